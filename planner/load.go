package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"

	// Time zones must load on machines without a zoneinfo database.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// Load reads the plan file at path and parses it with [Parse]. A plan that
// is not valid is reported as [Errors]; a file that cannot be read is
// reported with the path and what to do, wrapping the I/O error.
func Load(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read plan: %w; check the path, or start a plan from examples/weekend.yaml", err)
	}
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a plan from the YAML in data; file names it in positions.
//
// When the content is not valid, the error is [Errors] listing every problem
// found (only the first when the YAML itself cannot be read), each at the
// file:line:col of the offending text, and errors.Is(err, [ErrInvalid])
// holds.
//
// Plan names, step ids and asset ids may contain only ASCII letters, digits,
// '-' and '_', and start with a letter or digit: they become NATS subject
// tokens. Durations are written 30m, 1h30m, 20m/30m/1h
// (optimistic/likely/pessimistic) or as a mapping with optimistic, likely
// and pessimistic (likely required, the others default to it). Window times
// are RFC 3339 or "2026-12-05 08:00" in the window's time zone.
func Parse(file string, data []byte) (*Plan, error) {
	d := &decoder{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{d.syntaxError(data, err)}
	}
	p := d.plan(&doc)
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	p.File = file
	sum := sha256.Sum256(data)
	p.Hash = hex.EncodeToString(sum[:])
	return p, nil
}

// yamlLine finds the line number in the YAML parser's messages, which look
// like "yaml: line 3: mapping values are not allowed in this context".
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// syntaxError turns the YAML parser's error into an [Error].
//
// The parser gives no column, so the column is 1. Its line is often where
// the enclosing block starts rather than where the mistake is, so the line
// reported is the first from there on at which the file's beginning fails
// to parse with the same message.
func (d *decoder) syntaxError(data []byte, err error) *Error {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n > 0 {
			line = n
		}
		lines := bytes.SplitAfter(data, []byte("\n"))
		for k := line; k <= len(lines); k++ {
			var doc yaml.Node
			prefix := bytes.Join(lines[:k], nil)
			if perr := yaml.Unmarshal(prefix, &doc); perr != nil && perr.Error() == msg {
				line = k
				break
			}
		}
		msg = msg[len(m[0]):]
	}
	return &Error{
		Pos: Pos{File: d.file, Line: line, Col: 1},
		Msg: "not valid YAML: " + msg + " (check the indentation, and quote text that contains \": \" or starts with a special character)",
	}
}
