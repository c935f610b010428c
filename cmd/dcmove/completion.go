package main

import (
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// Shell completion. The three scripts ask the binary itself, as those of
// urfave/cli do: they run the command line typed so far followed by
// --generate-bash-completion, and dcmove prints the candidates, one a line
// (see completions). The binary that runs is the one completed, so the
// candidates are always its commands and flags. urfave/cli's generated
// fish script (App.ToFishCompletion) is not used: it tells subcommands
// apart by their last name only, so that "dcmove step start" was offered
// the flags of "cutover start" and "dcmove check run" those of "plan
// check".

// completeFlag ends a command line that asks for completions
// (urfave/cli's name for it, which its own scripts use).
const completeFlag = "--generate-bash-completion"

func (m *Main) completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "Load it in the current shell, or install it for every new one:\n" +
			"  source <(dcmove completion bash)        # bash; for good: dcmove completion bash > ~/.local/share/bash-completion/completions/dcmove\n" +
			"  source <(dcmove completion zsh)         # zsh (after compinit); for good: dcmove completion zsh > \"${fpath[1]}/_dcmove\"\n" +
			"  dcmove completion fish | source         # fish; for good: dcmove completion fish > ~/.config/fish/completions/dcmove.fish\n" +
			"Commands, subcommands and flags complete (dcmove step <TAB>, dcmove status --<TAB>); file names elsewhere.",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("name one shell: bash, zsh or fish")
			}
			script, ok := completionScripts[c.Args().First()]
			if !ok {
				return usagef("no completion for %q: bash, zsh or fish", c.Args().First())
			}
			_, err := io.WriteString(m.Stdout, script)
			return err
		},
	}
}

// completionScripts are the scripts, by shell. Each runs the words before
// the cursor, the word under it ("" for a new one) and completeFlag; with
// no candidate, the shell completes file names.
var completionScripts = map[string]string{
	"bash": `# bash completion for dcmove. Load it with: source <(dcmove completion bash)
# or save it as ~/.local/share/bash-completion/completions/dcmove
_dcmove() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local -a words=("${COMP_WORDS[@]:0:COMP_CWORD}" "$cur")
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$("${words[@]}" ` + completeFlag + ` 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _dcmove dcmove
`,
	"zsh": `#compdef dcmove
# zsh completion for dcmove. Load it with: source <(dcmove completion zsh)
# (after compinit), or save it as _dcmove in a directory of $fpath.
_dcmove() {
    local -a args candidates
    args=("${(@Q)words[1,CURRENT-1]}" "${(Q)words[CURRENT]}")
    candidates=("${(@f)$("${args[@]}" ` + completeFlag + ` 2>/dev/null)}")
    if [[ -n ${candidates[1]} ]]; then
        compadd -a candidates
    else
        _files
    fi
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _dcmove "$@"
else
    compdef _dcmove dcmove
fi
`,
	"fish": `# fish completion for dcmove. Load it with: dcmove completion fish | source
# or save it as ~/.config/fish/completions/dcmove.fish
function __dcmove_candidates
    set -l args (commandline -opc)
    set -l cur (commandline -ct)
    set -a args "$cur"
    $args ` + completeFlag + ` 2>/dev/null
end
complete -c dcmove -f -n 'test (count (__dcmove_candidates)) -gt 0' -a '(__dcmove_candidates)'
complete -c dcmove -F -n 'test (count (__dcmove_candidates)) -eq 0'
`,
}

// completions are the candidates for the word under the cursor, the last
// of words (the command line without the program's name and completeFlag;
// "" when the cursor starts a new word), which Main.Run prints one a line
// without running anything. Starting with "-": the flags of the command
// named before it that start with it (not one already given, unless it
// may be repeated). Otherwise the subcommands of that command, or the
// words its argument may be (argCandidates). Nothing after a flag that
// takes a value, nor where a command takes other arguments: the shell
// then completes file names.
//
// urfave/cli's own answer is not used: it reads os.Args rather than the
// command line it is given, runs the command when the line holds "--",
// lists the subcommands of help rather than of the command asked about
// ("dcmove help step <TAB>"), and cannot tell the flag under the cursor
// from a flag whose value is being typed ("--as <TAB>" completed to
// "--as").
func completions(cmds []*cli.Command, words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	words, cur := words[:len(words)-1], words[len(words)-1]
	if len(words) > 0 && (words[0] == "help" || words[0] == "h") {
		words = words[1:] // dcmove help step <TAB>: the subcommands of step
		if strings.HasPrefix(cur, "-") {
			return nil
		}
	}
	var cmd *cli.Command
	flags := []cli.Flag{cli.VersionFlag}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			return nil // arguments only
		}
		if strings.HasPrefix(w, "-") {
			if name := strings.TrimLeft(w, "-"); !strings.Contains(name, "=") && flagTakesValue(flags, name) {
				if i == len(words)-1 {
					return nil // the word under the cursor is the flag's value
				}
				i++
			}
			continue
		}
		next := findCommand(subcommands(cmds, cmd), w)
		if next == nil {
			if !strings.HasPrefix(cur, "-") {
				return nil // an argument: a file, a step…
			}
			continue
		}
		cmd, flags = next, next.Flags
	}
	var out []string
	if strings.HasPrefix(cur, "-") {
		seen := map[string]bool{}
		for _, f := range append(slices.Clip(flags), cli.HelpFlag) {
			if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
				continue
			}
			if seen[f.Names()[0]] || given(words, f) && !repeatable(f) {
				continue
			}
			seen[f.Names()[0]] = true
			for _, name := range f.Names() {
				dashed := "--" + name
				if len(name) == 1 {
					dashed = "-" + name
				}
				if strings.HasPrefix(dashed, cur) {
					out = append(out, dashed)
				}
			}
		}
		return out
	}
	var candidates []string
	if cmd != nil && len(cmd.Subcommands) == 0 {
		candidates = argCandidates[cmd.Name]
	} else {
		for _, c := range subcommands(cmds, cmd) {
			if !c.Hidden {
				candidates = append(candidates, c.Names()...)
			}
		}
		candidates = append(candidates, "help") // urfave/cli's, in every command that has subcommands
	}
	for _, c := range candidates {
		if strings.HasPrefix(c, cur) {
			out = append(out, c)
		}
	}
	return out
}

func subcommands(root []*cli.Command, cmd *cli.Command) []*cli.Command {
	if cmd == nil {
		return root
	}
	return cmd.Subcommands
}

// argCandidates are the arguments of the commands that take one of a
// few words.
var argCandidates = map[string][]string{"completion": {"bash", "zsh", "fish"}}

// flagTakesValue reports whether the flag of flags called name reads the
// next word as its value.
func flagTakesValue(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			d, ok := f.(cli.DocGenerationFlag)
			return ok && d.TakesValue()
		}
	}
	return false
}

// given reports whether words name flag f.
func given(words []string, f cli.Flag) bool {
	for _, w := range words {
		name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if strings.HasPrefix(w, "-") && slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
}

// repeatable reports whether f may be given more than once (--accept,
// --reason, --head…).
func repeatable(f cli.Flag) bool {
	switch f.(type) {
	case *cli.StringSliceFlag, *cli.IntSliceFlag, *cli.Int64SliceFlag, *cli.Float64SliceFlag, *cli.UintSliceFlag, *cli.Uint64SliceFlag:
		return true
	}
	return false
}
