package main

import (
	"slices"
	"strings"

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
