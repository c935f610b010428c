package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dcmove/dcmove/internal/redact"
	"github.com/dcmove/dcmove/planner"
	"github.com/urfave/cli/v2"
)

// outputVersion is the version of every JSON document dcmove prints: a
// document's fields change meaning or go away only with a new version
// (new fields may appear within one). Each document names its kind and
// version first, as kubectl's kind and apiVersion do; the kinds and their
// JSON Schemas are in docs/schemas/.
const outputVersion = 1

// writeDoc writes v, a struct or map that encodes as a JSON object, as a
// document of kind: {"kind": kind, "version": 1, ...v's fields}, indented,
// with snake_case field names (v's json tags say them).
func writeDoc(w io.Writer, kind string, v any) error {
	written.LoadOrStore(kind, v)
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	body = bytes.TrimSpace(body)
	if len(body) < 2 || body[0] != '{' {
		return fmt.Errorf("internal error: a %s document is not a JSON object", kind)
	}
	head := fmt.Sprintf(`{"kind":%q,"version":%d`, kind, outputVersion)
	if len(body) > 2 {
		head += ","
	}
	var out bytes.Buffer
	if err := json.Indent(&out, append([]byte(head), body[1:]...), "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// written holds, per kind of document written by this process, the first
// value written: the Go type its JSON Schema is generated from (see
// TestJSONSchemas).
var written sync.Map

// writeLine writes v as a document of kind on one line (JSON lines, for
// commands that print as they go: a watch, the demo, a server).
func writeLine(w io.Writer, kind string, v any) error {
	var b bytes.Buffer
	if err := writeDoc(&b, kind, v); err != nil {
		return err
	}
	var line bytes.Buffer
	if err := json.Compact(&line, b.Bytes()); err != nil {
		return err
	}
	line.WriteByte('\n')
	_, err := w.Write(line.Bytes())
	return err
}

// jsonOutput reports whether the command asks for JSON output.
func jsonOutput(c *cli.Context) bool { return c.String("output") == "json" }

// noteOutput makes c and its subcommands record in m.output the --output
// they were given, once their flags are parsed: a failing command reports
// its error in that format.
func (m *Main) noteOutput(c *cli.Command) {
	c.Before = func(ctx *cli.Context) error {
		for _, sub := range c.Subcommands {
			if sub.HasName(ctx.Args().First()) {
				return nil // the subcommand's own flags decide
			}
		}
		m.output = ctx.String("output")
		return nil
	}
	for _, sub := range c.Subcommands {
		m.noteOutput(sub)
	}
}

// wantsJSON reports whether a command line asks for JSON output (-o json,
// --output json, --output=json, -o=json): for the errors found while its
// flags are parsed, before the command knows its --output.
func wantsJSON(args []string) bool {
	for i, a := range args {
		switch {
		case a == "--":
			return false
		case a == "-o" || a == "--output" || a == "-output":
			if i+1 < len(args) && args[i+1] == "json" {
				return true
			}
		case a == "-o=json" || a == "--output=json" || a == "-output=json" || a == "-ojson":
			return true
		}
	}
	return false
}

// errorDoc is the document a command run with --output json prints on
// standard output when it fails (the exit status is the same as in text).
type errorDoc struct {
	Error struct {
		Message string `json:"message"`
		// Status is the exit status, and Reason says what it means.
		Status int    `json:"exit_status"`
		Reason string `json:"reason"`
		// Errors are a plan file's errors, each at its file:line:col.
		Errors []planError `json:"errors,omitempty"`
	} `json:"error"`
}

type planError struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// exitReasons names the exit statuses in errors printed as JSON.
var exitReasons = map[int]string{
	exitError:       "error",
	exitBadInput:    "bad-input",
	exitRefused:     "refused",
	exitConflict:    "conflict",
	exitUnavailable: "unavailable",
	exitTampered:    "tampered",
}

// reportJSON prints err as an error document on standard output.
func (m *Main) reportJSON(err error) {
	var doc errorDoc
	doc.Error.Status = exitCode(err)
	doc.Error.Reason = exitReasons[doc.Error.Status]
	doc.Error.Message = redact.String(err.Error())
	var errs planner.Errors
	if errors.As(err, &errs) {
		doc.Error.Message = fmt.Sprintf("%d error(s) in the plan; fix them and run dcmove plan check again", len(errs))
		for _, e := range errs {
			pe := planError{Message: redact.String(e.Msg)}
			pe.File, pe.Line, pe.Column = e.Pos.File, e.Pos.Line, e.Pos.Col
			doc.Error.Errors = append(doc.Error.Errors, pe)
		}
	}
	// One line: a whole document for a reader of stdout, and a line among
	// the others after a command that printed JSON lines.
	if werr := writeLine(m.Stdout, "error", doc); werr != nil {
		fmt.Fprintln(m.Stderr, "dcmove:", strings.TrimSpace(doc.Error.Message))
	}
}

// linesOutputFlag is the --output of a command that prints as it goes (see
// asJSONLines).
func linesOutputFlag() cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text, or json: each line as a JSON document of its own (JSON lines)"}
}

// asJSONLines runs action, a command that prints as it goes (the demo, a
// server, an agent), so that with --output json each line it prints is a
// JSON document of kind on a line of its own: {"kind", "version", "time",
// "message"}, the message as the text said it.
func (m *Main) asJSONLines(kind string, action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := checkOutput(c, "text", "json"); err != nil {
			return err
		}
		if !jsonOutput(c) {
			return action(c)
		}
		out := &jsonLines{w: m.Stdout, kind: kind}
		m.Stdout = out
		defer func() { out.flush(); m.Stdout = out.w }()
		return action(c)
	}
}

// jsonLines turns the lines written to it into JSON lines.
type jsonLines struct {
	mu   sync.Mutex
	w    io.Writer
	kind string
	buf  []byte
}

func (j *jsonLines) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = append(j.buf, p...)
	for {
		i := bytes.IndexByte(j.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if err := j.line(string(j.buf[:i])); err != nil {
			return 0, err
		}
		j.buf = j.buf[i+1:]
	}
}

func (j *jsonLines) line(s string) error {
	if strings.TrimSpace(s) == "" {
		return nil // the blank lines that space the text out
	}
	return writeLine(j.w, j.kind, struct {
		Time    time.Time `json:"time"`
		Message string    `json:"message"`
	}{time.Now().UTC(), s})
}

func (j *jsonLines) flush() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.buf) > 0 {
		j.line(string(j.buf))
		j.buf = nil
	}
}
