package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// complete runs dcmove with the words of a command line and the word
// under the cursor, as the scripts do, and returns the candidates.
func complete(t *testing.T, words ...string) []string {
	t.Helper()
	r := dcmove(t.Context(), nil, append(words, completeFlag)...)
	if r.err != nil || r.errOut != "" {
		t.Fatalf("dcmove %s %s: %v\n%s", strings.Join(words, " "), completeFlag, r.err, r.errOut)
	}
	return strings.Fields(r.out)
}

// `dcmove completion SHELL` prints the script of each shell; any other
// shell, or none, is a usage error.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out := mustRun(t, nil, "completion", shell)
		if out != completionScripts[shell] || !strings.Contains(out, "dcmove") || !strings.Contains(out, completeFlag) {
			t.Errorf("dcmove completion %s printed:\n%s", shell, out)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if msg := mustFail(t, nil, exitBadInput, args...); !strings.Contains(msg, "bash, zsh or fish") {
			t.Errorf("dcmove %s: %s", strings.Join(args, " "), msg)
		}
	}
}

// The completion protocol: the candidates for the word under the cursor.
func TestCompletionProtocol(t *testing.T) {
	tests := []struct {
		words []string
		want  []string // exactly, in order
	}{
		{[]string{""}, []string{"demo", "plan", "cutover", "step", "gate", "degraded", "cooldown", "backout", "fw", "check", "agent", "notice", "keys", "status", "audit", "serve", "version", "completion", "help"}},
		{[]string{"st"}, []string{"step", "status"}},
		{[]string{"step", ""}, []string{"start", "done", "fail", "retry", "skip", "block", "unblock", "help"}},
		{[]string{"help", "step", ""}, []string{"start", "done", "fail", "retry", "skip", "block", "unblock", "help"}},
		{[]string{"step", "start", "--a"}, []string{"--as"}},
		{[]string{"status", "--w"}, []string{"--watch"}},
		{[]string{"status", "-"}, nil}, // checked below: every flag
		{[]string{"-"}, []string{"--version", "-v", "--help", "-h"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}},
		// A flag given is not offered again, unless it may be repeated.
		{[]string{"step", "start", "capture-fw-rules", "--as", "Karim Haddad", "--a"}, nil},
		{[]string{"cutover", "start", "plan.yaml", "--accept", "L013", "--reason", "why", "--ac"}, []string{"--accept"}},
		// The value of a flag, an argument: file names, from the shell.
		{[]string{"step", "start", "--as", ""}, nil},
		{[]string{"step", "start", "--as", "Kar"}, nil},
		{[]string{"plan", "check", ""}, nil},
		{[]string{"plan", "gantt", "examples/pa2-pa3.yaml", "--format", ""}, nil},
		// Nothing runs: not even a command line with "--" in it.
		{[]string{"status", "--", ""}, nil},
	}
	for _, tt := range tests {
		got := complete(t, tt.words...)
		if tt.words[0] == "status" && tt.words[1] == "-" {
			for _, f := range []string{"--watch", "--output", "-o", "--samples", "--run", "--data-dir", "--server", "--help"} {
				if !slices.Contains(got, f) {
					t.Errorf("dcmove status -<TAB>: no %s in %v", f, got)
				}
			}
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("dcmove %q<TAB>: %q, want %q", tt.words, got, tt.want)
		}
	}
}

// Every command completes: its subcommands, and each of its flags.
func TestCompletionEveryCommand(t *testing.T) {
	m := &Main{}
	var walk func(path []string, c *cli.Command)
	n := 0
	walk = func(path []string, c *cli.Command) {
		path = append(slices.Clip(path), c.Name)
		n++
		if len(c.Subcommands) > 0 {
			var want []string
			for _, sub := range c.Subcommands {
				want = append(want, sub.Names()...)
			}
			want = append(want, "help")
			if got := complete(t, append(path, "")...); !slices.Equal(got, want) {
				t.Errorf("dcmove %s <TAB>: %q, want %q", strings.Join(path, " "), got, want)
			}
		}
		got := complete(t, append(path, "--")...)
		for _, f := range c.Flags {
			if !slices.Contains(got, "--"+f.Names()[0]) {
				t.Errorf("dcmove %s --<TAB>: no --%s in %q", strings.Join(path, " "), f.Names()[0], got)
			}
		}
		for _, sub := range c.Subcommands {
			walk(path, sub)
		}
	}
	for _, c := range append(m.commands(), m.versionCommand(), m.completionCommand()) {
		walk(nil, c)
	}
	if n < 50 {
		t.Errorf("%d commands walked", n)
	}
}

// The scripts in the shells themselves: each loads, and asks this test
// binary, as dcmove, for the candidates (zsh's and fish's when they are
// installed).
func TestCompletionInShells(t *testing.T) {
	bin := t.TempDir()
	wrapper := "#!/bin/sh\n" + asDcmove + "=1 exec " + shellQuote(os.Args[0]) + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "dcmove"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for shell, script := range completionScripts {
		if err := os.WriteFile(filepath.Join(dir, shell), []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Each test: "dcmove step <TAB>" and "dcmove step start --a<TAB>".
	tests := map[string]string{
		"bash": `source "$1/bash"
comp() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMPREPLY=(); _dcmove; echo "${COMPREPLY[*]}"; }
comp dcmove step ""
comp dcmove step start --a
complete -p dcmove`,
		"zsh": `compdef() { print "compdef $*" }
compadd() { print -- "${(@P)2}" }
_files() { print "(files)" }
source "$1/zsh"
words=(dcmove step ""); CURRENT=3; _dcmove
words=(dcmove step start --a); CURRENT=4; _dcmove
words=(dcmove plan check ""); CURRENT=4; _dcmove`,
		"fish": `source $argv[1]/fish
echo (complete -C"dcmove step ")
complete -C"dcmove step start --a"`,
	}
	want := map[string]string{
		"bash": "start done fail retry skip block unblock help\n--as\ncomplete -o bashdefault -o default -F _dcmove dcmove\n",
		"zsh":  "compdef _dcmove dcmove\nstart done fail retry skip block unblock help\n--as\n(files)\n",
		"fish": "block done fail help retry skip start unblock\n--as\n",
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			path, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("no %s here", shell)
			}
			args := []string{"-c", tests[shell], "test", dir}
			if shell == "zsh" {
				args = append([]string{"-f"}, args...)
			}
			if shell == "fish" {
				args = []string{"--no-config", "-c", tests[shell], dir}
			}
			cmd := exec.CommandContext(t.Context(), path, args...)
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != want[shell] {
				t.Errorf("%s: %v; got:\n%s\nwant:\n%s", shell, err, out, want[shell])
			}
		})
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
