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
	if wantsJSON(args) {
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
}

// Run runs the command line args (args[0] is the program name).
func (m *Main) Run(ctx context.Context, args []string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report it): %v", r)
		}
	}()
	app := &cli.App{
		Name:      "dcmove",
		Usage:     "plan and run a datacenter move on an event log",
		Writer:    m.Stdout,
		ErrWriter: m.Stderr,
		// Errors go back to main, which prints them once and picks the
		// exit status.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: m.commands(),
	}
	for _, c := range app.Commands {
		setUsageError(c)
	}
	return cliMistake(app.RunContext(ctx, flagsFirst(app.Commands, args)))
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
