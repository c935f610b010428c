package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// dcmove help step start shows the help of step start, as dcmove step
// start --help does (urfave/cli v2 showed step's); dcmove help step lists
// step's subcommands (it did not).
func TestHelpNestedCommand(t *testing.T) {
	nested := mustRun(t, nil, "help", "step", "start")
	if flag := mustRun(t, nil, "step", "start", "--help"); nested != flag {
		t.Errorf("dcmove help step start:\n%s\ndcmove step start --help:\n%s", nested, flag)
	}
	wantContains(t, "dcmove help step start", nested,
		"dcmove step start - start a step", "dcmove step start [command options] STEP", "--as value", "Examples:")
	if h := mustRun(t, nil, "h", "plan", "gantt"); !strings.Contains(h, "dcmove plan gantt - draw the schedule") {
		t.Errorf("dcmove h plan gantt:\n%s", h)
	}
	step := mustRun(t, nil, "help", "step")
	wantContains(t, "dcmove help step", step, "COMMANDS:", "start ", "unblock ", "Examples:")
	if msg := mustFail(t, nil, exitBadInput, "help", "step", "strat"); !strings.Contains(msg, `no help topic for "step strat": dcmove help step lists the commands`) {
		t.Errorf("dcmove help step strat: %s", msg)
	}
	if msg := mustFail(t, nil, exitBadInput, "help", "nosuch"); !strings.Contains(msg, "nosuch") {
		t.Errorf("dcmove help nosuch: %s", msg)
	}
	wantContains(t, "dcmove help", mustRun(t, nil, "help"), "COMMANDS:", "version ", "completion ", "Examples:")
}

// Every command's help ends with examples, and each example is a command
// line dcmove takes: its commands exist, each of its flags is a flag of
// the command it names, and a flag that takes a value is given one.
func TestHelpExamples(t *testing.T) {
	m := &Main{}
	app := append(m.commands(), m.versionCommand(), m.completionCommand())
	var paths [][]string
	var walk func(path []string, c *cli.Command)
	walk = func(path []string, c *cli.Command) {
		path = append(slices.Clip(path), c.Name)
		paths = append(paths, path)
		for _, sub := range c.Subcommands {
			walk(path, sub)
		}
	}
	for _, c := range app {
		walk(nil, c)
	}
	paths = append(paths, nil) // dcmove --help
	examples := 0
	for _, path := range paths {
		help := mustRun(t, nil, append(path, "--help")...)
		_, ex, ok := strings.Cut(help, "Examples:\n")
		if !ok {
			t.Errorf("dcmove %s --help has no examples:\n%s", strings.Join(path, " "), help)
			continue
		}
		ex, _, _ = strings.Cut(ex, "\n\n")
		own := 0 // examples of this command (the others show what comes next)
		for _, line := range strings.Split(ex, "\n") {
			examples++
			words, err := exampleWords(line)
			if err != nil {
				t.Errorf("dcmove %s: example %q: %v", strings.Join(path, " "), line, err)
				continue
			}
			ran, err := checkExample(app, words)
			if err != nil {
				t.Errorf("dcmove %s: example %q: %v", strings.Join(path, " "), strings.TrimSpace(line), err)
			}
			if len(ran) >= len(path) && slices.Equal(ran[:len(path)], path) ||
				strings.Join(path, " ") == "version" && slices.Contains(words, "--version") {
				own++
			}
		}
		if own == 0 {
			t.Errorf("dcmove %s --help: no example runs it:\n%s", strings.Join(path, " "), ex)
		}
	}
	if examples < len(paths) {
		t.Errorf("%d examples for %d commands", examples, len(paths))
	}
}

// exampleWords is the dcmove command line of an example line, as the
// shell splits it: from "dcmove" up to a comment, a pipe, a redirection
// or the end of a process substitution.
func exampleWords(line string) ([]string, error) {
	i := strings.Index(line, "dcmove ")
	if i < 0 {
		return nil, errNoCommand
	}
	var words []string
	var w strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range line[i:] {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case r == '#' && !inWord, r == '|', r == '>', r == ')':
			if inWord {
				words = append(words, w.String())
			}
			return words, nil
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errUnquoted
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

type exampleError string

func (e exampleError) Error() string { return string(e) }

const (
	errNoCommand exampleError = "no dcmove command line"
	errUnquoted  exampleError = "a quote is not closed"
)

// checkExample checks an example's words (words[0] is "dcmove") against
// the commands, and returns the path of the command it runs: its commands
// exist, its flags are flags of the command they follow, and a flag that
// takes a value is given one. "dcmove help" must name commands.
func checkExample(cmds []*cli.Command, words []string) ([]string, error) {
	if len(words) > 1 && words[1] == "help" {
		var path []string
		var cmd *cli.Command
		for _, w := range words[2:] {
			if cmd = findCommand(subcommands(cmds, cmd), w); cmd == nil {
				return nil, exampleError("no command " + strings.Join(append(path, w), " "))
			}
			path = append(path, w)
		}
		return []string{"help"}, nil
	}
	var path []string
	var cmd *cli.Command
	flags := []cli.Flag{cli.VersionFlag, cli.HelpFlag}
	args := 0
	for i := 1; i < len(words); i++ {
		w := words[i]
		if strings.HasPrefix(w, "-") {
			name, _, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			var f cli.Flag
			for _, g := range flags {
				if slices.Contains(g.Names(), name) {
					f = g
				}
			}
			if f == nil {
				return path, exampleError("no flag " + w + " in dcmove " + strings.Join(path, " "))
			}
			if d, ok := f.(cli.DocGenerationFlag); ok && d.TakesValue() && !hasValue {
				if i+1 == len(words) || strings.HasPrefix(words[i+1], "--") {
					return path, exampleError(w + " without its value")
				}
				i++
			}
			continue
		}
		if args == 0 {
			if next := findCommand(subcommands(cmds, cmd), w); next != nil {
				cmd, flags, path = next, append(slices.Clip(next.Flags), cli.HelpFlag), append(path, w)
				continue
			}
		}
		if cmd == nil || len(cmd.Subcommands) > 0 {
			return path, exampleError("no command " + strings.Join(append(path, w), " "))
		}
		args++
	}
	return path, nil
}
