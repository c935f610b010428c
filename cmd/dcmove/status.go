package main

import (
	"fmt"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
	"github.com/urfave/cli/v2"
)

func (m *Main) statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show where the cutover stands: progress, steps started and ready",
		Flags: append(logFlags(), runFlag,
			&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "keep printing the status as events arrive, until interrupted"}),
		Action: func(c *cli.Context) error {
			l, err := openLog(c)
			if err != nil {
				return err
			}
			defer l.Close()
			run, err := pickRun(c.Context, c, l)
			if err != nil {
				return err
			}
			s := projections.NewStatus()
			if !c.Bool("watch") {
				if _, err := projections.Replay(c.Context, l, run, s); err != nil {
					return err
				}
				if s.LastSeq == 0 {
					return fmt.Errorf("run %s has no events in %s; list runs by starting one: dcmove cutover start PLAN.yaml", run, where(c))
				}
				return projections.WriteStatus(m.Stdout, s, m.Clock.Now())
			}
			first := true
			return projections.Watch(c.Context, l, run, 0, s, func(r events.Record) {
				if !first {
					fmt.Fprintf(m.Stdout, "\n--- %s %s %s\n", r.Time.In(s.Location()).Format("15:04:05"), r.Actor, r.Type)
				}
				first = false
				projections.WriteStatus(m.Stdout, s, m.Clock.Now())
			})
		},
	}
}
