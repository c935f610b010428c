package main

import (
	"fmt"
	"github.com/dcmove/dcmove/events"

	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

func (m *Main) cutoverCommand() *cli.Command {
	return &cli.Command{
		Name:  "cutover",
		Usage: "put a plan into execution",
		Subcommands: []*cli.Command{{
			Name:      "start",
			Usage:     "record a plan in the event log as a new run (all its events or none)",
			ArgsUsage: "FILE",
			Flags: append(logFlags(), actorFlag(), keyFlag(),
				&cli.StringFlag{Name: "run", Usage: "name of the new run (default: the plan's name, with -rehearsal for a rehearsal); at most 128 letters, digits, '-' and '_'",
					Action: func(_ *cli.Context, run string) error { return checkRunName("--run", run) }},
				&cli.BoolFlag{Name: "rehearsal", Usage: "a dress rehearsal, kept apart from the live run"},
				&cli.StringSliceFlag{Name: "accept", Usage: "accept the plan's warnings of this lint id (e.g. L003); give one --reason per --accept"},
				&cli.StringSliceFlag{Name: "reason", Usage: "why the matching --accept is acceptable (recorded with your name)"},
				outputFlag()),
			Action: func(c *cli.Context) error {
				if err := checkOutput(c, "text", "json"); err != nil {
					return err
				}
				p, err := loadPlan(c)
				if err != nil {
					return err
				}
				run := c.String("run")
				if run == "" {
					run = p.Name
					if c.Bool("rehearsal") {
						run += "-rehearsal"
					}
				}
				ids, reasons := c.StringSlice("accept"), c.StringSlice("reason")
				if len(ids) != len(reasons) {
					return usagef("give one --reason for each --accept (%d --accept, %d --reason)", len(ids), len(reasons))
				}
				accept := map[string]string{}
				for i, id := range ids {
					accept[id] = reasons[i]
				}
				l, err := openLog(c)
				if err != nil {
					return err
				}
				defer l.Close()
				cut := m.cutover(c.Context, l)
				if err := withKey(c, cut); err != nil {
					return fmt.Errorf("start cutover: %w", err)
				}
				actor, err := cut.StartActor(p, run, c.String("as"))
				if err != nil {
					return fmt.Errorf("start cutover: %w", err)
				}
				out, err := cut.StartWith(c.Context, p, runbooks.StartOptions{Run: run, Actor: actor, Rehearsal: c.Bool("rehearsal"), Accept: accept})
				if err != nil {
					return fmt.Errorf("start cutover: %w", err)
				}
				if jsonOutput(c) {
					defer m.warnTimer(out)
					return writeDoc(m.Stdout, "cutover-start", struct {
						Run       string   `json:"run"`
						Plan      string   `json:"plan"`
						Rehearsal bool     `json:"rehearsal"`
						Steps     int      `json:"steps"`
						Staged    bool     `json:"staged"`
						Events    int      `json:"events"`
						Ready     []string `json:"ready"`
					}{run, p.Name, c.Bool("rehearsal"), len(out.Run.Work()), out.Run.Stage != "", int(out.Run.LastSeq), orEmpty(out.Run.Ready())})
				}
				kind := "run"
				if c.Bool("rehearsal") {
					kind = "rehearsal"
				}
				fmt.Fprintf(m.Stdout, "started %s %s: %s\n", kind, run, p.Summary())
				if out.Run.Stage != "" {
					fmt.Fprintf(m.Stdout, "recorded %d steps staged in appends of %d, then made the run's by %d events in one atomic append (all or nothing)\n",
						len(out.Run.Steps), events.MaxBatch-100, len(out.Appended))
				} else {
					fmt.Fprintf(m.Stdout, "recorded %d events in one atomic append\n", len(out.Appended))
				}
				m.printReady(out, "ready to start")
				m.warnTimer(out)
				return nil
			},
		}},
	}
}

// printReady lists steps of the outcome: the ones the command made ready, or
// all ready ones under the given heading.
func (m *Main) printReady(out *runbooks.Outcome, heading string) {
	ids := out.NowReady
	if len(ids) == 0 {
		if ready := out.Run.Ready(); len(ready) > 0 {
			fmt.Fprintf(m.Stdout, "no step became ready; still ready: %s\n", runbooks.ListSome(ready, 8, "dcmove status"))
		} else if started := out.Run.Started(); len(started) > 0 {
			fmt.Fprintf(m.Stdout, "no step is ready; in progress: %s\n", runbooks.ListSome(started, 8, "dcmove status"))
		} else if out.Run.Done() {
			fmt.Fprintln(m.Stdout, "every step is done: the cutover is complete")
		}
		return
	}
	fmt.Fprintf(m.Stdout, "%s:\n", heading)
	for _, id := range ids {
		fmt.Fprintf(m.Stdout, "  %-24s %s\n", id, out.Run.StepTitle(id))
	}
}
