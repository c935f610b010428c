package main

import (
	"fmt"

	"github.com/dcmove/dcmove/events"
	"github.com/urfave/cli/v2"
)

// auditVerifyCommand is `dcmove audit verify`: it checks the run's hash
// chain and names the first event altered, removed, inserted or moved. A
// broken chain is an error wrapping [events.ErrTampered].
func (m *Main) auditVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check that no event of the run was altered, removed, inserted or moved since it was written",
		Description: "Every event carries the hash of the one before it in its run. verify walks the run\n" +
			"and names the first event that does not fit, or prints the hash of the last event:\n" +
			"keep it elsewhere, since an event cut off the end of a run leaves no trace in the chain.",
		Flags: append(logFlags(), runFlag()),
		Action: func(c *cli.Context) error {
			l, run, err := openRun(c)
			if err != nil {
				return err
			}
			defer l.Close()
			rep, err := events.Verify(c.Context, l, run)
			if err != nil {
				return err
			}
			if rep.Events == 0 {
				return noEvents(c, l, run)
			}
			if b := rep.Break; b != nil {
				return fmt.Errorf("audit verify: run %s: %w (the %d event(s) before it are intact)", run, b, b.Intact)
			}
			fmt.Fprintf(m.Stdout, "ok: %d events, chain intact from %s to %s\n",
				rep.Events, events.DescribeRecord(rep.First), events.DescribeRecord(rep.Last))
			fmt.Fprintf(m.Stdout, "head: %s (keep it elsewhere: an event cut off the end leaves no trace in the chain)\n", rep.Head)
			return nil
		},
	}
}
