package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/urfave/cli/v2"
)

// flagsFirst moves the flags given after a command's arguments in front of
// them: urfave/cli v2 stops reading flags at the first argument, and people
// write "dcmove step start ID --as NAME", as dcmove's own hints do.
func flagsFirst(cmds []*cli.Command, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	i := 1
	var cmd *cli.Command
	for ; i < len(args); i++ {
		next := findCommand(cmds, args[i])
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
		out = append(out, args[i])
	}
	if cmd == nil || len(cmd.Subcommands) > 0 {
		return args
	}
	var flags, rest []string
	dashes := false // "--": what follows is arguments only
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest, dashes = append(rest, args[i+1:]...), true
			break
		}
		if len(a) < 2 || a[0] != '-' {
			rest = append(rest, a)
			continue
		}
		if name := strings.TrimLeft(a, "-"); name == "h" || name == "help" {
			return append(out, "--help") // help on the command, not on its argument
		}
		flags = append(flags, a)
		if !strings.Contains(a, "=") && takesValue(cmd, strings.TrimLeft(a, "-")) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	out = append(out, flags...)
	if dashes {
		out = append(out, "--")
	}
	return append(out, rest...)
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// takesValue reports whether cmd's flag called name reads the next argument
// as its value (unknown flags do not: the parser reports them).
func takesValue(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			d, ok := f.(cli.DocGenerationFlag)
			return ok && d.TakesValue()
		}
	}
	return false
}

// The ranges of the numeric flags, the same in every command that takes
// the flag (README, "Flags"). A value outside is a usage error (exit
// status 2), as is one that is not a number or does not fit in 64 bits.
const (
	maxSamples  = 1_000_000 // --samples: 0 (none) to a million
	minWidth    = 24        // --width of the text chart (the chart's own minimum)
	maxWidth    = 1000
	maxReplicas = 5 // --replicas: JetStream keeps at most five copies
)

// intFlag is an integer flag whose value must lie in [lo, hi].
func intFlag(name string, value, lo, hi int, usage string) *cli.IntFlag {
	return &cli.IntFlag{Name: name, Value: value, Usage: fmt.Sprintf("%s; %d to %d", usage, lo, hi),
		Action: func(_ *cli.Context, v int) error {
			if v < lo || v > hi {
				return usagef("--%s %d: give a number from %d to %d", name, v, lo, hi)
			}
			return nil
		}}
}

// samplesFlag is --samples, with the same range in plan and status.
func samplesFlag(usage string) *cli.IntFlag {
	return intFlag("samples", 1000, 0, maxSamples, usage)
}

// checkRunName reports a run name that dcmove cannot use (what names it in
// the message: "--run", "--from"), as a usage error.
func checkRunName(what, run string) error {
	switch {
	case len(run) > planner.MaxIDLength:
		return usagef("%s %q is %d characters long; run names are at most %d", what, planner.Clip(run), len(run), planner.MaxIDLength)
	case !events.ValidID(run):
		return usagef("%s %q is not a run name (letters, digits, '-' and '_')", what, planner.Clip(run))
	}
	return nil
}

// checkIDArg reports a step or asset id given on the command line that no
// plan could hold, as a usage error.
func checkIDArg(what, id string) error {
	switch {
	case len(id) > planner.MaxIDLength:
		return usagef("%s %q is %d characters long; ids are at most %d", what, planner.Clip(id), len(id), planner.MaxIDLength)
	case !events.ValidID(id):
		return usagef("%s %q is not an id (letters, digits, '-' and '_')", what, planner.Clip(id))
	}
	return nil
}

// checkActor reports a --as name no crew list could hold, as a usage
// error.
func checkActor(name string) error {
	if err := planner.CheckName(name); err != nil {
		return usagef("--as: %v", err)
	}
	return nil
}
