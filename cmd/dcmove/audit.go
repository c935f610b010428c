package main

import (
	"github.com/dcmove/dcmove/projections"
	"github.com/urfave/cli/v2"
)

func (m *Main) auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "print the chronological trail of a run: time, actor, event, step, planned vs actual",
		Flags: append(logFlags(), runFlag()),
		Action: func(c *cli.Context) error {
			l, run, err := openRun(c)
			if err != nil {
				return err
			}
			defer l.Close()
			t := projections.NewTrail()
			n, err := projections.Replay(c.Context, l, run, t)
			if err != nil {
				return err
			}
			if n == 0 {
				return noEvents(c, l, run)
			}
			return projections.WriteTrail(m.Stdout, t)
		},
	}
}
