package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/examples"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

func (m *Main) demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the example weekend cutover end to end with a simulated crew, on an embedded event store",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Usage: "keep the event store here to inspect it afterwards (default: a temporary directory, removed)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the simulated step durations"},
		},
		Action: m.demo,
	}
}

func (m *Main) demo(c *cli.Context) error {
	data, err := examples.FS.ReadFile(examples.Demo)
	if err != nil {
		return err
	}
	p, err := planner.Parse("examples/"+examples.Demo, data)
	if err != nil {
		return err
	}
	dir := c.String("data-dir")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "dcmove-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	l, err := events.Open(c.Context, events.Options{DataDir: dir})
	if err != nil {
		return err
	}
	defer l.Close()
	w := m.Stdout
	loc := p.Window.Location
	fmt.Fprintln(w, p.Summary())
	fmt.Fprintf(w, "event store: embedded NATS JetStream in %s\n\n", dir)

	clock := runbooks.NewManualClock(p.Window.Start.Add(-10 * time.Minute))
	cut := &runbooks.Cutover{Log: l, Clock: clock}
	run, err := freeRunName(c.Context, cut, p.Name)
	if err != nil {
		return err
	}
	// What the planner says first, and the warnings the lead accepts.
	rb, err := runbooks.Expand(p)
	if err != nil {
		return err
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "plan: the move should end %s (makespan %s); %.0f%% of %d simulated weekends fit the window\n",
		a.End.In(loc).Format("Mon 15:04"), planner.Span(a.Makespan), a.Probability*100, a.Samples)
	accept := map[string]string{}
	for _, f := range a.Findings {
		if _, ok := accept[f.ID]; !ok {
			accept[f.ID] = "demo: the simulated crew works without shifts"
			fmt.Fprintf(w, "plan: %s accepts warning %s (%s)\n", p.Lead, f.ID, f.Message)
		}
	}
	out, err := cut.StartWith(c.Context, p, runbooks.StartOptions{Run: run, Actor: p.Lead, Accept: accept})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s  %s starts run %s: %d events recorded in one atomic append\n",
		clock.Now().In(loc).Format("Mon 15:04"), p.Lead, run, len(out.Appended))

	// Show a guard at work: the last step cannot start before the others,
	// even when the right person asks.
	order := p.Order()
	last, _ := p.Step(order[len(order)-1])
	who := someoneWithRole(p, last.Role)
	if _, err := cut.StartStep(c.Context, run, last.ID, who); err != nil {
		fmt.Fprintf(w, "%s  %s tries to start %s too early: refused: %v\n\n",
			clock.Now().In(loc).Format("Mon 15:04"), who, last.ID, err)
	}
	clock.Set(p.Window.Start)

	sim := &runbooks.Simulation{Cutover: cut, Clock: clock, Seed: c.Uint64("seed"), Report: func(a runbooks.Action) {
		at := a.At.In(loc).Format("Mon 15:04")
		if a.Started {
			fmt.Fprintf(w, "%s  start  %-24s %s (%s)\n", at, a.Step, a.Title, a.Actor)
			return
		}
		note := ""
		if d := a.Took - a.Planned; d > 0 {
			note = fmt.Sprintf(", %s over", planner.Span(d))
		}
		fmt.Fprintf(w, "%s  done   %-24s took %s, planned %s%s\n", at, a.Step, planner.Span(a.Took), planner.Span(a.Planned), note)
	}}
	if err := sim.Run(c.Context, p, run); err != nil {
		return err
	}

	// Read the weekend back from the log, as a watcher or an auditor would.
	s := projections.NewStatus()
	n, err := projections.Replay(c.Context, l, run, s)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nstatus, rebuilt from the %d events in the log:\n", n)
	if err := projections.WriteStatus(w, s, clock.Now()); err != nil {
		return err
	}
	if c.String("data-dir") != "" {
		fmt.Fprintf(w, "\nreplay it: dcmove audit --data-dir %s --run %s\n", dir, run)
	}
	return nil
}

// freeRunName returns name, or name-2, name-3... if a run of that name
// exists already (a demo run again on a kept data directory).
func freeRunName(ctx context.Context, cut *runbooks.Cutover, name string) (string, error) {
	for i := 1; ; i++ {
		run := name
		if i > 1 {
			run = fmt.Sprintf("%s-%d", name, i)
		}
		r, err := cut.Load(ctx, run)
		if err != nil {
			return "", err
		}
		if !r.Exists() {
			return run, nil
		}
	}
}

// someoneWithRole returns a crew member who has role (the lead if none does).
func someoneWithRole(p *planner.Plan, role string) string {
	for _, m := range p.Crew {
		if slices.Contains(m.Roles, role) {
			return m.Name
		}
	}
	return p.Lead
}
