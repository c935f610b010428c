package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// leaves lists every command that runs (path and command), from the
// commands of m.
func leaves(m *Main) map[string]*cli.Command {
	out := map[string]*cli.Command{}
	var walk func(path string, c *cli.Command)
	walk = func(path string, c *cli.Command) {
		path = strings.TrimSpace(path + " " + c.Name)
		if c.Action != nil {
			out[path] = c
		}
		for _, sub := range c.Subcommands {
			walk(path, sub)
		}
	}
	for _, c := range m.commands() {
		walk("", c)
	}
	return out
}

// Every command takes --output json, and fails in JSON as it fails in
// text: a document of kind error on standard output, nothing on standard
// error, the same exit status.
func TestEveryCommandSpeaksJSON(t *testing.T) {
	cmds := leaves(&Main{})
	if len(cmds) < 40 {
		t.Fatalf("%d commands found; the walk missed some", len(cmds))
	}
	dir := t.TempDir()
	for path, c := range cmds {
		if path == "completion" {
			continue // it prints a shell script, for the shell
		}
		if !hasFlag(c, "output") {
			t.Errorf("dcmove %s has no --output flag", path)
			continue
		}
		t.Run(strings.ReplaceAll(path, " ", "-"), func(t *testing.T) {
			// An argument no command takes (or a run that does not exist):
			// every command fails before it does anything.
			args := append(strings.Fields(path), "--data-dir", dir, "--no-such-flag")
			text := execute(t, nil, false, args...)
			js := execute(t, nil, false, append(args, "--output", "json")...)
			if text.code == 0 || js.code != text.code {
				t.Fatalf("exit %d in text, %d in JSON\ntext: %s\njson: %s%s", text.code, js.code, text.errOut, js.out, js.errOut)
			}
			var doc struct {
				Kind    string
				Version int
				Error   struct {
					Message string
					Status  int `json:"exit_status"`
					Reason  string
				}
			}
			if err := json.Unmarshal([]byte(js.out), &doc); err != nil {
				t.Fatalf("not JSON on stdout: %v\n%s", err, js.out)
			}
			if doc.Kind != "error" || doc.Version != 1 || doc.Error.Status != text.code || doc.Error.Reason == "" ||
				!strings.Contains(text.errOut, doc.Error.Message) || js.errOut != "" {
				t.Errorf("error document %+v for %q (stderr %q)", doc, text.errOut, js.errOut)
			}
		})
	}
}

func hasFlag(c *cli.Command, name string) bool {
	for _, f := range c.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// A plan with errors, checked with --output json, prints them as JSON
// (it printed nothing on stdout), each at its file:line:col.
func TestPlanErrorsAsJSON(t *testing.T) {
	plan := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(plan, []byte("plan: bad\nwindow: {start: 2026-12-05 07:00, end: 2026-12-05 19:00}\nsteps:\n  - {id: a, title: A, duration: 10x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := execute(t, nil, false, "plan", "check", plan, "-o", "json")
	var doc struct {
		Kind  string
		Error struct {
			Status int `json:"exit_status"`
			Errors []struct {
				File         string
				Line, Column int
				Message      string
			}
		}
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("exit %d, not JSON: %v\n%s%s", r.code, err, r.out, r.errOut)
	}
	if r.code != exitBadInput || doc.Kind != "error" || doc.Error.Status != exitBadInput || len(doc.Error.Errors) == 0 {
		t.Fatalf("exit %d, %+v", r.code, doc)
	}
	for _, e := range doc.Error.Errors {
		if e.File != plan || e.Line == 0 || e.Message == "" {
			t.Errorf("error without its position: %+v", e)
		}
	}
}

// The format of an error is the --output the command was given: "-o" as
// the value of another flag asks for nothing.
func TestErrorFormatFollowsTheParsedFlag(t *testing.T) {
	r := execute(t, nil, false, "audit", "verify", "--run", "-o", "json", "--data-dir", t.TempDir())
	if r.code != exitBadInput || r.out != "" || !strings.Contains(r.errOut, `--run "-o" is not a run name`) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want the error in text on stderr", r.code, r.out, r.errOut)
	}
}
