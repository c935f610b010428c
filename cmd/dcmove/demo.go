package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/examples"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

func (m *Main) demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the reference weekend cutover end to end with a simulated crew, on an embedded event store",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Usage: "keep the event store here to inspect it afterwards (default: a temporary directory, removed)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the simulated step durations"},
			&cli.StringFlag{Name: "plan", Value: examples.Demo, Usage: "example plan to run: pa2-pa3.yaml (the reference move) or weekend.yaml (a small hand-written one)"},
		},
		Action: m.demo,
	}
}

func (m *Main) demo(c *cli.Context) error {
	name := c.String("plan")
	data, err := examples.FS.ReadFile(name)
	if err != nil {
		return usagef("--plan %q: the examples are pa2-pa3.yaml and weekend.yaml", name)
	}
	p, err := planner.Parse("examples/"+name, data)
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
	l, err := jetstream.Open(c.Context, jetstream.Options{DataDir: dir})
	if err != nil {
		return err
	}
	defer l.Close()
	w := m.Stdout
	loc := p.Window.Location
	fmt.Fprintln(w, p.Summary())
	fmt.Fprintf(w, "event store: embedded NATS JetStream in %s\n\n", dir)

	rb, err := runbooks.Expand(p)
	if err != nil {
		return err
	}
	// The crew starts preparing when the first notice is due.
	clock := runbooks.NewManualClock(p.Window.Start.Add(-10 * time.Minute))
	cut := &runbooks.Cutover{Log: l, Clock: clock}
	run, err := freeRunName(c.Context, cut, p.Name)
	if err != nil {
		return err
	}
	// What the planner says first, and the warnings the lead accepts.
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "plan: %d steps; the move should end %s (makespan %s); %.0f%% of %d simulated weekends fit the window\n",
		len(a.Steps), a.End.In(loc).Format("Mon 15:04"), planner.Span(a.Makespan), a.Probability*100, a.Samples)
	if a.HasPointOfNoReturn {
		fmt.Fprintf(w, "plan: point of no return %s\n", a.PointOfNoReturn.In(loc).Format("Mon 15:04"))
	}
	accept := map[string]string{}
	for _, f := range a.Findings {
		if _, ok := accept[f.ID]; !ok {
			accept[f.ID] = "accepted for the demo"
			fmt.Fprintf(w, "plan: %s accepts warning %s (%s)\n", p.Lead, f.ID, f.Message)
		}
	}
	if len(rb.Steps) > 0 {
		if first := earliestBefore(a); first.Before(clock.Now()) {
			clock = runbooks.NewManualClock(first)
		}
	}
	cut.Clock = clock
	out, err := cut.StartWith(c.Context, p, runbooks.StartOptions{Run: run, Actor: p.Lead, Accept: accept})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s  %s starts run %s: %d events recorded in one atomic append\n",
		clock.Now().In(loc).Format("Mon 2 Jan 15:04"), p.Lead, run, len(out.Appended))

	// Show a guard at work: the last step cannot start before the others,
	// even when the right person asks.
	last := lastForward(rb)
	who := someoneWithRole(p, last.Role)
	if _, err := cut.StartStep(c.Context, run, last.ID, who); err != nil {
		fmt.Fprintf(w, "%s  %s tries to start %s too early: refused: %v\n\n",
			clock.Now().In(loc).Format("Mon 2 Jan 15:04"), who, last.ID, err)
	}

	// Steps expanded from one template step are reported as a group: when
	// the first starts and when the last is done.
	group, size := map[string]string{}, map[string]int{}
	for _, s := range rb.Steps {
		if s.Template != "" && !strings.HasSuffix(s.Template, s.ID) {
			group[s.ID] = s.Template
			size[s.Template]++
		}
	}
	started, finished := map[string]int{}, map[string]int{}
	var simErr error
	sim := &runbooks.Simulation{Cutover: cut, Clock: clock, Seed: c.Uint64("seed")}
	sim.Report = func(act runbooks.Action) {
		at := act.At.In(loc).Format("Mon 2 Jan 15:04")
		if g, ok := group[act.Step]; ok && size[g] > 1 {
			if act.Started {
				if started[g]++; started[g] == 1 {
					fmt.Fprintf(w, "%s  start  %-26s %d steps\n", at, g, size[g])
				}
			} else if finished[g]++; finished[g] == size[g] {
				fmt.Fprintf(w, "%s  done   %-26s all %d\n", at, g, size[g])
			}
			return
		}
		if act.Started {
			fmt.Fprintf(w, "%s  start  %-26s %s (%s)\n", at, act.Step, act.Title, act.Actor)
			return
		}
		note := ""
		if d := act.Took - act.Planned; d > 0 {
			note = fmt.Sprintf(", %s over", planner.Span(d))
		}
		fmt.Fprintf(w, "%s  done   %-26s took %s, planned %s%s\n", at, act.Step, planner.Span(act.Took), planner.Span(act.Planned), note)
		// The lead switches degraded mode with the steps that call for it.
		var out *runbooks.Outcome
		var err error
		var kind events.StepKind
		if s, ok := rb.Step(act.Step); ok {
			kind = s.Kind
		}
		switch kind {
		case events.KindEnterDegraded:
			out, err = cut.EnterDegraded(c.Context, run, p.Lead, "the machines leave PA2")
		case events.KindLeaveDegraded:
			out, err = cut.LeaveDegraded(c.Context, run, p.Lead, "every service validated at PA3")
		}
		if err != nil && simErr == nil {
			simErr = err
		}
		if out != nil {
			ev, _ := out.Appended[len(out.Appended)-1].Decode()
			fmt.Fprintf(w, "%s  %s\n", at, projections.Describe(p.Lead, ev, out.Run.StepTitle))
		}
	}
	if err := sim.Run(c.Context, p, run); err != nil {
		return err
	}
	if simErr != nil {
		return simErr
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
	counts := map[string]int{}
	for rec, err := range l.Read(c.Context, run, 0) {
		if err != nil {
			return err
		}
		counts[rec.Type]++
	}
	fmt.Fprintf(w, "recorded: %d gate signatures, %d cool-downs (%d ended by their timer), %d warning(s) accepted\n",
		counts[events.TypeGateSigned], counts[events.TypeCooldownStarted], counts[events.TypeCooldownElapsed], counts[events.TypeWarningAccepted])
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

// earliestBefore returns when the first step before the window is due to
// start (the window's start if there is none).
func earliestBefore(a *planner.Analysis) time.Time {
	first := a.Plan.Window.Start
	for _, s := range a.Steps {
		if s.Timing == "before" && s.Start.Before(first) {
			first = s.Start
		}
	}
	return first
}

// lastForward returns the runbook's last step that is not a back-out step.
func lastForward(rb *planner.Runbook) planner.Step {
	for i := len(rb.Steps) - 1; i >= 0; i-- {
		if !rb.Steps[i].BackoutOnly {
			return rb.Steps[i]
		}
	}
	return rb.Steps[0]
}
