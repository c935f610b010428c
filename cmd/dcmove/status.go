package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
	"github.com/urfave/cli/v2"
)

func (m *Main) statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show where the cutover stands: progress, steps started and ready",
		Flags: append(logFlags(), runFlag(),
			&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "keep printing the status as events arrive, until interrupted"}),
		Action: func(c *cli.Context) error {
			l, run, err := openRun(c)
			if err != nil {
				return err
			}
			defer func() {
				if l != nil {
					l.Close()
				}
			}()
			s := projections.NewStatus()
			if _, err := projections.Replay(c.Context, l, run, s); err != nil {
				return err
			}
			if s.LastSeq == 0 {
				// Also with --watch: a misspelt --run would show an
				// empty status forever.
				return noEvents(c, l, run)
			}
			if err := projections.WriteStatus(m.Stdout, s, m.Clock.Now()); err != nil || !c.Bool("watch") {
				return err
			}
			return m.watch(c, &l, run, s)
		},
	}
}

// watch prints the status again after every new event of run until the
// command is interrupted. When the dcmove process that served the data
// directory exits, it reopens the log (serving it itself if nobody else
// does) and goes on from the last event it applied.
func (m *Main) watch(c *cli.Context, l **events.JetStreamLog, run string, s *projections.Status) error {
	for {
		err := projections.Watch(c.Context, *l, run, s.LastSeq+1, s, func(r events.Record) {
			if r.Seq == 0 {
				return // caught up with nothing new: already printed
			}
			fmt.Fprintf(m.Stdout, "\n--- %s %s %s %s\n", r.Time.In(s.Location()).Format("15:04:05"), r.Actor, r.Type, r.Subject)
			projections.WriteStatus(m.Stdout, s, m.Clock.Now())
		})
		if err == nil || c.Context.Err() != nil {
			return nil
		}
		if !errors.Is(err, events.ErrUnavailable) || c.String("server") != "" {
			return err
		}
		fmt.Fprintf(m.Stderr, "dcmove: lost the event store (%v); reconnecting\n", err)
		(*l).Close()
		for {
			if *l, err = openLog(c); err == nil {
				break
			}
			select {
			case <-c.Context.Done():
				*l = nil
				return nil
			case <-time.After(time.Second):
			}
		}
	}
}

// noEvents explains that run has no events, and names the run started last.
func noEvents(c *cli.Context, l events.Log, run string) error {
	last, err := l.LastRun(c.Context)
	if err != nil {
		return fmt.Errorf("run %s has no events in %s", run, where(c))
	}
	return fmt.Errorf("run %s has no events in %s; the run started last is %s", run, where(c), last)
}
