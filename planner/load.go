package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"

	// Time zones must load on machines without a zoneinfo database.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// Limits on what dcmove reads, so that a wrong file or a hostile one is
// refused with a message instead of exhausting memory. The README lists
// them ("Plan files").
const (
	// MaxFileSize is the largest plan, runbook template or CSV file dcmove
	// reads: 16 MiB. A larger file (or /dev/zero) is refused after
	// MaxFileSize+1 bytes are read, never more.
	MaxFileSize = 16 << 20
	// MaxIDLength is the longest id: plan name, step, asset, service, site
	// and every other id of a plan or template, and a run name.
	MaxIDLength = 128
	// MaxNameLength is the longest crew member name.
	MaxNameLength = 200
)

// ErrTooLarge is matched by errors.Is for a file larger than
// [MaxFileSize]; so is [ErrInvalid].
var ErrTooLarge = errors.New("file too large")

type tooLarge struct{ what, name string }

func (e *tooLarge) Error() string {
	return fmt.Sprintf("%s %s is larger than %d MiB, the most dcmove reads; is it the right file?", e.what, e.name, MaxFileSize>>20)
}

func (e *tooLarge) Is(target error) bool { return target == ErrTooLarge || target == ErrInvalid }

// ReadFile reads the file at path, what it is (plan, runbook template, CSV
// file) naming it in errors, through [ReadAll]'s limit.
func ReadFile(what, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(0)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if size = fi.Size(); size > MaxFileSize {
			return nil, &tooLarge{what, path}
		}
	}
	return readAll(what, path, f, size)
}

// ReadAll reads r to its end, name and what (plan, CSV file) naming it in
// errors; more than [MaxFileSize] bytes is an error matching
// [ErrTooLarge]. It reads at most MaxFileSize+1 bytes and holds at most
// that much.
func ReadAll(what, name string, r io.Reader) ([]byte, error) {
	return readAll(what, name, r, 0)
}

func readAll(what, name string, r io.Reader, sizeHint int64) ([]byte, error) {
	r = io.LimitReader(r, MaxFileSize+1)
	buf := make([]byte, 0, min(max(sizeHint+1, 512), MaxFileSize+1))
	for {
		if len(buf) == cap(buf) {
			if len(buf) > MaxFileSize {
				return nil, &tooLarge{what, name}
			}
			// Grow by doubling, but never past the limit: append could
			// allocate well beyond it. All the buffers together come to
			// twice the limit at most, the one kept to the limit and a byte.
			c := 2 * cap(buf)
			if c >= MaxFileSize {
				c = MaxFileSize + 1
			}
			nb := make([]byte, len(buf), c)
			copy(nb, buf)
			buf = nb
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if len(buf) > MaxFileSize {
				return nil, &tooLarge{what, name}
			}
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Load reads the plan file at path and parses it with [Parse]. A plan that
// is not valid is reported as [Errors]; a file that cannot be read is
// reported with the path and what to do, wrapping the I/O error; a file
// larger than [MaxFileSize] is refused (errors.Is [ErrTooLarge]).
func Load(path string) (*Plan, error) {
	data, err := ReadFile("plan", path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read plan: %w; check the path, or start a plan from examples/weekend.yaml", err)
	}
	if errors.Is(err, ErrTooLarge) {
		return nil, err
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
	if len(data) > MaxFileSize {
		return nil, &tooLarge{"plan", file}
	}
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
		failsAt := func(k int) bool {
			var doc yaml.Node
			perr := yaml.Unmarshal(bytes.Join(lines[:k], nil), &doc)
			return perr != nil && perr.Error() == msg
		}
		// The first prefix that fails as the whole file does: a prefix
		// holding the mistake fails, a shorter one does not, so a binary
		// search finds it in a few parses (a line-by-line search cost the
		// square of the file).
		if lo, hi := line, len(lines); lo <= hi && failsAt(hi) {
			for lo < hi {
				if mid := (lo + hi) / 2; failsAt(mid) {
					hi = mid
				} else {
					lo = mid + 1
				}
			}
			line = lo
		}
		msg = msg[len(m[0]):]
	}
	return &Error{
		Pos: Pos{File: d.file, Line: line, Col: 1},
		Msg: "not valid YAML: " + msg + " (check the indentation, and quote text that contains \": \" or starts with a special character)",
	}
}
