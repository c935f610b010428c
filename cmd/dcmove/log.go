package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

// logFlags say where the event log is; every command that reads or writes
// the log takes them.
func logFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "data-dir", Value: ".dcmove", EnvVars: []string{"DCMOVE_DATA_DIR"},
			Usage: "directory of the embedded event store (shared with other dcmove processes on it)"},
		&cli.StringFlag{Name: "server", EnvVars: []string{"DCMOVE_SERVER"},
			Usage: "NATS server URL to use instead of the embedded one, e.g. nats://127.0.0.1:4222"},
	}, natsFlags()...)
}

// runFlag picks the run; by default the one started last. Each command
// gets a new flag: urfave/cli stores the value from the environment in the
// flag, which would leak into later runs of Main in the same process.
func runFlag() cli.Flag {
	return &cli.StringFlag{Name: "run", EnvVars: []string{"DCMOVE_RUN"},
		Usage:  "run to act on (default: the run started last)",
		Action: func(_ *cli.Context, run string) error { return checkRunName("--run", run) }}
}

// actorFlag names who acts (a new flag each time, as runFlag).
func actorFlag() cli.Flag {
	return &cli.StringFlag{Name: "as", EnvVars: []string{"DCMOVE_ACTOR"},
		Usage:  "your name as the plan's crew list spells it (with --key, the key's owner: --as may be left out)",
		Action: func(_ *cli.Context, name string) error { return checkActor(name) }}
}

func openLog(c *cli.Context) (*jetstream.Log, error) { return openLogFor(c, false) }

// openReadLog opens the log for a command that only reads it (status,
// audit): a data directory that cannot be written (read-only, an archive,
// a full disk) is read from a copy, which the command notes on stderr.
func openReadLog(c *cli.Context) (*jetstream.Log, error) { return openLogFor(c, true) }

func openLogFor(c *cli.Context, readOnly bool) (*jetstream.Log, error) {
	o, err := logOptions(c)
	if err != nil {
		return nil, err
	}
	// A watch stays open: it notices a store that stops answering, and
	// waits for a --server to come back.
	o.KeepAlive = c.Bool("watch")
	o.ReadOnly = readOnly
	l, err := jetstream.Open(c.Context, o)
	if err == nil && l.ReadOnlyCopy() != "" {
		fmt.Fprintln(c.App.ErrWriter, "dcmove: note:", l.ReadOnlyCopy())
	}
	return l, err
}

// openRun opens the log and picks the run the command acts on.
func openRun(c *cli.Context) (*jetstream.Log, string, error) { return openRunFor(c, false) }

// openReadRun is openRun for a command that only reads (see openReadLog).
func openReadRun(c *cli.Context) (*jetstream.Log, string, error) { return openRunFor(c, true) }

func openRunFor(c *cli.Context, readOnly bool) (*jetstream.Log, string, error) {
	l, err := openLogFor(c, readOnly)
	if err != nil {
		return nil, "", err
	}
	run, err := pickRun(c.Context, c, l)
	if err != nil {
		l.Close()
		return nil, "", err
	}
	return l, run, nil
}

// pickRun returns the --run flag, or the run started last.
func pickRun(ctx context.Context, c *cli.Context, l events.Log) (string, error) {
	if run := c.String("run"); run != "" {
		if err := checkRunName("--run", run); err != nil {
			return "", err
		}
		return run, nil
	}
	run, err := l.LastRun(ctx)
	if errors.Is(err, events.ErrNoRun) {
		return "", &noRun{fmt.Errorf("no cutover has been started in this event log (%s); start one with: dcmove cutover start PLAN.yaml --as NAME", where(c))}
	}
	return run, err
}

// noRun says, in the user's words, that the run asked for does not exist;
// it matches [events.ErrNoRun] (exit status 2).
type noRun struct{ error }

func (e *noRun) Is(target error) bool { return target == events.ErrNoRun }
func (e *noRun) Unwrap() error        { return e.error }

func where(c *cli.Context) string {
	if s := c.String("server"); s != "" {
		return "server " + s
	}
	return "data directory " + c.String("data-dir")
}

// loadedRun is a run's model loaded for a command, on the log it opened.
type loadedRun struct {
	l     *jetstream.Log
	cut   *runbooks.Cutover
	actor string // with acting: who runs the command (see actingCutover)
	r     *runbooks.Run
}

// loadRun opens the log (to read only, see openReadLog, when readOnly),
// picks the run and loads its model; a run with no events is bad input
// (noEvents). With acting, the cutover carries the command's key and
// actor. The caller closes lr.l.
func (m *Main) loadRun(c *cli.Context, readOnly, acting bool) (*loadedRun, error) {
	l, run, err := openRunFor(c, readOnly)
	if err != nil {
		return nil, err
	}
	lr := &loadedRun{l: l, cut: m.cutover(c.Context, l)}
	if acting {
		if lr.cut, lr.actor, err = m.actingCutover(c, l, run); err != nil {
			l.Close()
			return nil, err
		}
	}
	if lr.r, err = lr.cut.Load(c.Context, run); err == nil && !lr.r.Exists() {
		err = noEvents(c, l, run)
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	return lr, nil
}
