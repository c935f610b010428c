// Command dcmove plans and runs a datacenter move on an event log.
//
// See the README for a tour; `dcmove help` lists the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // plans name their time zone; do not depend on the machine's

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/internal/redact"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

// Exit statuses, documented in the README.
const (
	exitError       = 1 // anything else
	exitBadInput    = 2 // a bad plan file, flag or argument, or a run that does not exist
	exitRefused     = 3 // a guard refused the command
	exitConflict    = 4 // someone else changed the run at the same time
	exitUnavailable = 5 // the NATS server could not be reached
	exitTampered    = 6 // audit verify found the log altered
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The machine's clock: the server delivers timers at their due time.
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Clock: runbooks.SystemClock{}, Timers: true}
	code := m.Execute(ctx, os.Args)
	stop()
	os.Exit(code)
}

// Execute runs the command line args as the binary does: it reports an
// error on Stderr and returns the exit status (see [exitCode]).
func (m *Main) Execute(ctx context.Context, args []string) int {
	err := m.Run(ctx, args)
	if err == nil {
		return 0
	}
	if m.output == "json" || (m.output == "" && wantsJSON(args)) {
		m.reportJSON(err) // on standard output, where the document was due
	} else {
		m.Report(err)
	}
	return exitCode(err)
}

// Report prints an error for the user: plan errors one per line, each with
// its file:line:col, anything else after "dcmove:".
//
// Every message is masked by [redact.String] on its way out, the last
// resort against a password, a token or a seed that reached it.
func (m *Main) Report(err error) {
	var errs planner.Errors
	if errors.As(err, &errs) {
		fmt.Fprintln(m.Stderr, redact.String(errs.Error()))
		fmt.Fprintf(m.Stderr, "dcmove: %d error(s) in the plan; fix them and run dcmove plan check again\n", len(errs))
		return
	}
	fmt.Fprintln(m.Stderr, "dcmove:", redact.String(err.Error()))
}

// Main is the dcmove program, built by main and by end-to-end tests.
type Main struct {
	Stdout, Stderr io.Writer
	Clock          runbooks.Clock
	// Timers asks the server to deliver each timer (a cool-down's end) at
	// its due time (see [runbooks.Cutover]): main sets it, with the
	// machine's clock. With a simulated clock leave it off: the next
	// command records the timers due.
	Timers bool

	// output is the --output the command that ran was given, once its
	// flags were parsed ("" before, or for a command without one).
	output string
}

// Run runs the command line args (args[0] is the program name).
func (m *Main) Run(ctx context.Context, args []string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report it): %v", r)
		}
	}()
	app := &cli.App{
		Name:        "dcmove",
		Usage:       "plan and run a datacenter move on an event log",
		Description: examplesText(commandExamples[""]),
		// --version, -v: see binaryVersion.
		Version:   binaryVersion().String(),
		Writer:    m.Stdout,
		ErrWriter: m.Stderr,
		// Errors go back to main, which prints them once and picks the
		// exit status.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		// The commands on the move, then the two about dcmove itself
		// (which print no JSON: see TestEveryCommandSpeaksJSON, which
		// walks m.commands()).
		Commands: m.commands(),
	}
	if n := len(args); n > 1 && args[n-1] == completeFlag {
		// The shell asks for the candidates for the next word (see
		// completionScripts): print them, run nothing.
		for _, s := range completions(app.Commands, args[1:n-1]) {
			fmt.Fprintln(m.Stdout, s)
		}
		return nil
	}
	for _, c := range app.Commands {
		setUsageError(c)
		m.noteOutput(c)
	}
	addExamples(app.Commands, "")
	args, err = helpArgs(app.Commands, args)
	if err != nil {
		return err
	}
	return cliMistake(app.RunContext(ctx, flagsFirst(app.Commands, args)))
}

// helpArgs turns "dcmove help step start" into "dcmove step start --help".
// urfave/cli v2's help command reads one command name only: it showed the
// help of "step" for "dcmove help step start", and that help without
// step's subcommands. A name that is not a command is a usage error.
func helpArgs(cmds []*cli.Command, args []string) ([]string, error) {
	if len(args) < 3 || (args[1] != "help" && args[1] != "h") {
		return args, nil
	}
	path := []string{args[0]}
	for _, w := range args[2:] {
		if strings.HasPrefix(w, "-") {
			continue
		}
		c := findCommand(cmds, w)
		if c == nil {
			return nil, cliUsage{fmt.Errorf("no help topic for %q: %s lists the commands", strings.Join(append(path[1:], w), " "), strings.Join(append([]string{"dcmove help"}, path[1:]...), " "))}
		}
		path, cmds = append(path, w), c.Subcommands
	}
	return append(path, "--help"), nil
}

// cliMistake marks the errors urfave/cli makes of the command line by
// itself, outside OnUsageError, as usage errors (exit status 2), keeping
// their text: a required flag not given, a command that does not exist
// (which it returns as a [cli.ExitCoder]; dcmove's commands never do).
func cliMistake(err error) error {
	var exit cli.ExitCoder
	if errors.As(err, &exit) || fmt.Sprintf("%T", err) == "*cli.errRequiredFlags" {
		return cliUsage{err}
	}
	return err
}

// cliUsage is a usageError that reads as urfave/cli wrote it, without the
// hint usageError adds.
type cliUsage struct{ err error }

func (e cliUsage) Error() string { return e.err.Error() }
func (e cliUsage) Unwrap() error { return usageError{e.err} }

func setUsageError(c *cli.Command) {
	c.OnUsageError = func(_ *cli.Context, err error, _ bool) error { return usageError{err} }
	for _, sub := range c.Subcommands {
		setUsageError(sub)
	}
}

// usageError is a mistake on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() + " (see --help)" }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitCode is the one mapping from a command's error to the exit status,
// by the sentinel the error wraps. The checks go in this order: an error
// that is both a refusal and bad input (a plan whose risks include an
// error, a run that does not exist) is bad input.
func exitCode(err error) int {
	var u usageError
	var lint lintErrors
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u), errors.As(err, &lint), errors.Is(err, planner.ErrInvalid), errors.Is(err, events.ErrNoRun):
		return exitBadInput
	case errors.Is(err, runbooks.ErrRefused):
		return exitRefused
	case errors.Is(err, events.ErrConflict):
		return exitConflict
	case errors.Is(err, events.ErrUnavailable):
		return exitUnavailable
	case errors.Is(err, events.ErrTampered):
		return exitTampered
	}
	return exitError
}

// commandExamples are the examples each command's help ends with, by the
// command's path ("" for dcmove itself): real command lines on the example
// plans (examples/weekend.yaml, examples/pa2-pa3.yaml) and their crew.
// TestHelpExamples checks that every command has some, and that each
// names commands and flags that exist. They are kept here, in one place,
// rather than in each command's literal.
var commandExamples = map[string][]string{
	"": {
		"dcmove plan check examples/weekend.yaml",
		`dcmove cutover start examples/weekend.yaml --as "Claire Martin" --rehearsal --accept L013 --reason "drill crew works without shifts"`,
		`dcmove step start capture-fw-rules --as "Karim Haddad"`,
		"dcmove status --watch",
		"dcmove help step start             # the help of one command",
	},
	"demo": {
		"dcmove demo                                   # the reference move, simulated, on a temporary event store",
		"dcmove demo --plan weekend.yaml --data-dir /tmp/demo   # keep its events: dcmove audit --data-dir /tmp/demo",
		"dcmove demo --serve 127.0.0.1:8080            # with the war-room page, slowly enough to watch it",
	},
	"plan": {
		"dcmove plan check examples/pa2-pa3.yaml",
		"dcmove plan gantt examples/pa2-pa3.yaml --format html --out move.html",
		"dcmove plan example --out my-move.yaml",
	},
	"plan check": {
		"dcmove plan check examples/pa2-pa3.yaml      # errors, the verdict on the window, the risks",
		"dcmove plan check my-move.yaml --samples 10000 --output json",
	},
	"plan schedule": {
		"dcmove plan schedule examples/pa2-pa3.yaml   # every step: start, end, slack, who",
		"dcmove plan schedule examples/pa2-pa3.yaml --output csv > schedule.csv",
	},
	"plan gantt": {
		"dcmove plan gantt examples/pa2-pa3.yaml --width 160                  # text, in the terminal",
		"dcmove plan gantt examples/pa2-pa3.yaml --format html --out move.html",
		"dcmove plan gantt examples/pa2-pa3.yaml --format mermaid > move.mmd  # for Markdown: GitHub, GitLab",
	},
	"plan import": {
		"dcmove plan import --from-csv runbook.csv    # a spreadsheet runbook: the steps: of a plan",
		"dcmove plan import --from-netbox https://netbox.example.com --site pa2 --to-site pa3 --tag move-wave-1 --out plan.yaml",
		`dcmove plan import --from-netbox-csv exports/ --site "Paris 2" --to-site "Paris 3" --out plan.yaml`,
	},
	"plan calibrate": {
		"dcmove plan calibrate examples/weekend.yaml --from pa2-to-pa3-rehearsal",
		"dcmove plan calibrate examples/weekend.yaml --from pa2-to-pa3-rehearsal --output diff | patch -p0",
	},
	"plan example": {
		"dcmove plan example --out my-move.yaml              # the reference move, to edit into yours",
		"dcmove plan example --assets 2800 --out big.yaml     # a 20,000-step move",
	},
	"plan lints": {
		"dcmove plan lints            # the risks plan check looks for, and the failures behind them",
		"dcmove plan lints --output json",
	},
	"cutover": {
		`dcmove cutover start examples/weekend.yaml --as "Claire Martin" --rehearsal --accept L013 --reason "drill crew works without shifts"`,
	},
	"cutover start": {
		`dcmove cutover start examples/weekend.yaml --as "Claire Martin" --rehearsal --accept L013 --reason "drill crew works without shifts"`,
		`dcmove cutover start examples/weekend.yaml --as "Claire Martin" --run pa2-to-pa3-live --accept L013 --reason "shifts agreed with the crew"`,
	},
	"step": {
		`dcmove step start capture-fw-rules --as "Karim Haddad"`,
		`dcmove step done capture-fw-rules --as "Karim Haddad"`,
		`dcmove step fail verify-backups --reason "restore stops at 80%: checksum error" --as "Hugo Leroy"`,
	},
	"step start": {
		`dcmove step start capture-fw-rules --as "Karim Haddad"`,
		"dcmove step start capture-fw-rules --key ~/.dcmove/karim.nk    # a plan whose crew has keys",
	},
	"step done": {
		`dcmove step done capture-fw-rules --as "Karim Haddad"`,
		`dcmove step done check-dns-api-workit-fr --override "registrar lowers the TTL tonight; answers are right" --as "Claire Martin"`,
	},
	"step fail": {
		`dcmove step fail verify-backups --reason "restore stops at 80%: checksum error" --as "Hugo Leroy"`,
	},
	"step retry": {
		`dcmove step retry verify-backups --reason "restoring the other copy" --as "Hugo Leroy"`,
	},
	"step skip": {
		`dcmove step skip remind-customers --reason "every customer was called instead" --as "Claire Martin"   # the lead only`,
	},
	"step block": {
		`dcmove step block go-no-go --reason "the PA3 cage keys are not there yet" --as "Claire Martin"`,
	},
	"step unblock": {
		`dcmove step unblock go-no-go --reason "keys handed over at the PA3 desk" --as "Claire Martin"`,
	},
	"gate": {
		`dcmove gate sign go-no-go --decision go --as "Claire Martin"`,
	},
	"gate sign": {
		`dcmove gate sign go-no-go --decision go --as "Claire Martin"`,
		`dcmove gate sign go-no-go --decision no-go --reason "backups not verified" --as "Hugo Leroy"   # the move backs out`,
	},
	"degraded": {
		`dcmove degraded on --reason "the database servers move" --as "Hugo Leroy"`,
		`dcmove degraded off --reason "every service validated at PA3" --as "Hugo Leroy"`,
	},
	"degraded on": {
		`dcmove degraded on --reason "the database servers move" --as "Hugo Leroy"`,
	},
	"degraded off": {
		`dcmove degraded off --reason "every service validated at PA3" --as "Hugo Leroy"`,
	},
	"cooldown": {
		`dcmove cooldown force web-1 --reason "powered off an hour before the window" --as "Claire Martin"`,
	},
	"cooldown force": {
		`dcmove cooldown force web-1 --reason "powered off an hour before the window" --as "Claire Martin"   # the lead only`,
	},
	"backout": {
		`dcmove backout start --reason "PA3 power feed B failed its test" --as "Claire Martin"`,
	},
	"backout start": {
		`dcmove backout start --reason "PA3 power feed B failed its test" --as "Claire Martin"   # the lead only`,
	},
	"fw": {
		`dcmove fw capture --site PA2 examples/pa2-iptables-save.txt --as "Karim Haddad"`,
		`dcmove fw verify --site PA3 examples/pa3-nft.txt --as "Karim Haddad"`,
		"dcmove fw status",
	},
	"fw capture": {
		`dcmove fw capture --site PA2 examples/pa2-iptables-save.txt --as "Karim Haddad"`,
	},
	"fw verify": {
		`dcmove fw verify --site PA3 examples/pa3-nft.txt --as "Karim Haddad"`,
	},
	"fw review": {
		`dcmove fw review --match proto=icmp --keep --reason "monitoring probes and ping stay" --as "Karim Haddad"`,
		`dcmove fw review in-ftp --retire --reason "FTP replaced by SFTP in 2024" --as "Karim Haddad"`,
	},
	"fw status": {
		"dcmove fw status             # the plan's rules, the captures and the reviews, reconciled",
		"dcmove fw status --output json",
	},
	"check": {
		`dcmove check run --from ovh-gra --as "Hugo Leroy"`,
		"dcmove check status",
	},
	"check run": {
		`dcmove check run --from ovh-gra --as "Hugo Leroy"                # every check to pass from ovh-gra`,
		`dcmove check run api-dns --from ovh-gra --as "Hugo Leroy"        # one check, again`,
		`dcmove check run --agents --as "Hugo Leroy"                      # every vantage point's agent at once`,
	},
	"check status": {
		"dcmove check status          # the last result of each check from each vantage point",
	},
	"agent": {
		"dcmove agent --site ovh-gra --server nats://nats.workit.internal:4222 --creds agent.creds",
	},
	"notice": {
		"dcmove notice draft customers",
		`dcmove notice send customers --as "Claire Martin" --smtp-user notices --smtp-password-file ~/.dcmove/smtp.pw`,
		"dcmove notice status",
	},
	"notice draft": {
		"dcmove notice draft customers          # the notice as it will be sent, on standard output",
	},
	"notice send": {
		`dcmove notice send customers --as "Claire Martin" --smtp-user notices --smtp-password-file ~/.dcmove/smtp.pw`,
	},
	"notice remind": {
		`dcmove notice remind customers --as "Claire Martin" --smtp-user notices --smtp-password-file ~/.dcmove/smtp.pw`,
	},
	"notice ack": {
		`dcmove notice ack customers --recipient ops@bricodeal.example --via phone --note "mailbox moved" --as "Claire Martin"`,
	},
	"notice waive": {
		`dcmove notice waive equinix --reason "Equinix confirms through its portal only" --as "Claire Martin"   # the lead only`,
	},
	"notice status": {
		"dcmove notice status                   # per stakeholder: sent, bounced, acknowledged, who is missing",
		"dcmove notice status customers --all",
	},
	"keys": {
		`dcmove keys new "Claire Martin" --out ~/.dcmove/claire.nk`,
	},
	"keys new": {
		`dcmove keys new "Claire Martin" --out ~/.dcmove/claire.nk   # paste the line it prints into the plan's crew`,
	},
	"status": {
		"dcmove status",
		"dcmove status --watch        # redrawn in place, fitted to the terminal, until Ctrl-C",
		"dcmove status --output json",
	},
	"audit": {
		"dcmove audit --step unrack-web-1",
		"dcmove audit --output html --rehearsal pa2-to-pa3-rehearsal > report.html",
	},
	"audit compare": {
		"dcmove audit compare pa2-to-pa3-rehearsal pa2-to-pa3",
	},
	"audit verify": {
		"dcmove audit verify",
		"dcmove audit verify --head 412:9f3c…     # the head kept from an earlier verify",
	},
	"serve": {
		"dcmove serve --data-dir .dcmove --http 127.0.0.1:8080",
		"dcmove serve --server nats://nats.workit.internal:4222 --creds crew.creds --http 127.0.0.1:8080",
	},
	"version": {
		"dcmove version",
		"dcmove --version",
	},
	"completion": {
		"source <(dcmove completion bash)",
		"dcmove completion fish > ~/.config/fish/completions/dcmove.fish",
	},
}

// addExamples ends the description of each of cmds (under path) and of
// their subcommands with its examples, under "Examples:", unless it has
// them already.
func addExamples(cmds []*cli.Command, path string) {
	for _, c := range cmds {
		p := strings.TrimSpace(path + " " + c.Name)
		if ex := commandExamples[p]; len(ex) > 0 && !strings.Contains(c.Description, "Examples:") {
			if c.Description != "" {
				c.Description += "\n"
			}
			c.Description += examplesText(ex)
		}
		addExamples(c.Subcommands, p)
	}
}

// examplesText is lines under "Examples:", indented as urfave/cli's help
// indents a description's lines.
func examplesText(lines []string) string {
	return "Examples:\n   " + strings.Join(lines, "\n   ")
}
