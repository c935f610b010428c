package main

import (
	"fmt"
	"os"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner/schedule"
	"github.com/dcmove/dcmove/projections"
	"github.com/urfave/cli/v2"
)

// forecastSeed makes the forecast's samples the same for the same status,
// so that two watchers (and two runs of status) agree.
const forecastSeed = 1

// viewerZone is the time zone of the person reading the status; tests fix
// it.
var viewerZone = func() *time.Location { return time.Local }

// isTerminal reports whether w is a terminal (golang.org/x/term); tests
// pretend.
var isTerminal = writerIsTerminal

func (m *Main) statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show where the cutover stands: progress, late steps, crew, services down, forecast",
		Flags: append(logFlags(), runFlag(),
			&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "keep showing the status as events arrive, until interrupted"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text, or json for other tools (one line per change)"},
			samplesFlag("Monte Carlo samples for the forecast's odds (0: the likely end only)"),
			intFlag("effort", schedule.DefaultPasses, 1, 100000, "how many activity lists the forecast's scheduler tries when it schedules what is left (more: a shorter forecast, or the same; the time grows with it)")),
		Action: func(c *cli.Context) error {
			if err := checkOutput(c, "text", "json"); err != nil {
				return err
			}
			l, run, err := openReadRun(c)
			if err != nil {
				return err
			}
			s := projections.NewStatus()
			if err := m.replayStatus(c, l, run, s); err != nil {
				l.Close()
				return err
			}
			if s.LastSeq == 0 {
				// Also with --watch: a misspelt --run would show an
				// empty status forever.
				defer l.Close()
				return noEvents(c, l, run)
			}
			sc := m.screen(c)
			sc.setStore(storeHealth(c, l))
			if c.Bool("watch") {
				return m.watch(c, l, run, s, sc) // the watch closes l
			}
			defer l.Close()
			now := m.Clock.Now()
			fc := projections.Forecaster{Samples: sc.samples, Seed: forecastSeed, Passes: c.Int("effort")}
			eta, err := fc.Forecast(s, now)
			return sc.show(projections.Snapshot{Change: projections.ChangeStatus, Status: s, Now: now, Forecast: eta, ForecastErr: err})
		},
	}
}

// screen returns how this command shows statuses: JSON lines, or text
// (redrawn in place, in colour unless NO_COLOR is set, on a terminal).
func (m *Main) screen(c *cli.Context) *screen {
	sc := &screen{out: m.Stdout, local: viewerZone(), samples: c.Int("samples"), json: jsonOutput(c)}
	if !sc.json && isTerminal(m.Stdout) {
		sc.terminal = true
		sc.color = os.Getenv("NO_COLOR") == ""
	}
	return sc
}

// noEvents explains that run has no events, and names the run started
// last. The error wraps [events.ErrNoRun] (exit status 2).
func noEvents(c *cli.Context, l events.Log, run string) error {
	last, err := l.LastRun(c.Context)
	if err != nil {
		return &noRun{fmt.Errorf("run %s has no events in %s", run, where(c))}
	}
	return &noRun{fmt.Errorf("run %s has no events in %s; the run started last is %s", run, where(c), last)}
}

// replayStatus rebuilds the run's status from its checkpoint and the
// events after it (from the start if there is none, or it was written by
// another version), saves a new checkpoint, and shows progress on a
// terminal for long replays.
func (m *Main) replayStatus(c *cli.Context, l *jetstream.Log, run string, s *projections.Status) error {
	bar := projections.WithProgress(projections.NewProgress(m.Stderr, "replaying run "+run))
	store, err := l.Checkpoints(c.Context)
	if err != nil {
		// Without a checkpoint bucket (no permission on a shared server),
		// replay everything.
		_, err = projections.Replay(c.Context, l, run, s, bar)
		return err
	}
	_, err = projections.ReplayCheckpointed(c.Context, l, store, run, s, bar)
	return err
}
