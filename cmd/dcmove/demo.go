package main

import (
	"fmt"
	"io"
	"os"
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

	demo := &runbooks.Demo{Log: l, Checkpoints: m.checkpoints(c.Context, l), Seed: c.Uint64("seed"), Report: func(r runbooks.DemoReport) { printDemo(w, loc, r) }}
	if name == examples.Demo {
		// The reference move's crew captures the real exports of PA2's
		// and PA3's equipment.
		demo.Exports = func(role string) (runbooks.FirewallCapture, error) {
			file := examples.Exports[role]
			data, err := examples.FS.ReadFile(file)
			if err != nil {
				return runbooks.FirewallCapture{}, err
			}
			site := map[string]string{events.FirewallRoleSource: "PA2", events.FirewallRoleDestination: "PA3"}[role]
			fc, _, err := captureFrom([]export{{"examples/" + file, data}}, runbooks.FirewallRulesOf(p), site, role)
			return fc, err
		}
	}
	res, err := demo.Run(c.Context, p)
	if err != nil {
		return err
	}

	// Read the weekend back from the log, as a watcher or an auditor would.
	s := projections.NewStatus()
	n, err := projections.Replay(c.Context, l, res.Run, s)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nstatus, rebuilt from the %d events in the log:\n", n)
	if err := projections.WriteStatus(w, s, res.End); err != nil {
		return err
	}
	counts := res.Recorded
	fmt.Fprintf(w, "recorded: %d gate signatures, %d cool-downs (%d ended by their timer), %d warning(s) accepted\n",
		counts[events.TypeGateSigned], counts[events.TypeCooldownStarted], counts[events.TypeCooldownElapsed], counts[events.TypeWarningAccepted])
	if c.String("data-dir") != "" {
		fmt.Fprintf(w, "\nreplay it: dcmove audit --data-dir %s --run %s\n", dir, res.Run)
	}
	return nil
}

// printDemo prints one thing the demo reports, at its time in loc.
func printDemo(w io.Writer, loc *time.Location, r runbooks.DemoReport) {
	at := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04") }
	switch r := r.(type) {
	case runbooks.DemoPlanned:
		a := r.Analysis
		fmt.Fprintf(w, "plan: %d steps; the move should end %s (makespan %s); %.0f%% of %d simulated weekends fit the window\n",
			len(a.Steps), a.End.In(loc).Format("Mon 15:04"), planner.Span(a.Makespan), a.Probability*100, a.Samples)
		if a.HasPointOfNoReturn {
			fmt.Fprintf(w, "plan: point of no return %s\n", a.PointOfNoReturn.In(loc).Format("Mon 15:04"))
		}
		for _, f := range r.Accepted {
			fmt.Fprintf(w, "plan: %s accepts warning %s (%s)\n", r.Lead, f.ID, f.Message)
		}
	case runbooks.DemoStarted:
		fmt.Fprintf(w, "\n%s  %s starts run %s: %d events recorded in one atomic append\n", at(r.At), r.Actor, r.Run, len(r.Outcome.Appended))
	case runbooks.DemoRefused:
		fmt.Fprintf(w, "%s  %s tries to start %s too early: refused: %v\n\n", at(r.At), r.Actor, r.Step, r.Err)
	case runbooks.DemoGroup:
		if r.Done {
			fmt.Fprintf(w, "%s  done   %-26s all %d\n", at(r.At), r.Template, r.Size)
		} else {
			fmt.Fprintf(w, "%s  start  %-26s %d steps\n", at(r.At), r.Template, r.Size)
		}
	case runbooks.DemoStep:
		if r.Started {
			fmt.Fprintf(w, "%s  start  %-26s %s (%s)\n", at(r.At), r.Step, r.Title, r.Actor)
			return
		}
		note := ""
		if d := r.Took - r.Planned; d > 0 {
			note = fmt.Sprintf(", %s over", planner.Span(d))
		}
		fmt.Fprintf(w, "%s  done   %-26s took %s, planned %s%s\n", at(r.At), r.Step, planner.Span(r.Took), planner.Span(r.Planned), note)
	case runbooks.DemoFirewall:
		fmt.Fprintf(w, "%s  %s %s\n", at(r.At), r.Actor, r.What)
	case runbooks.DemoSwitched:
		out := r.Outcome
		ev, _ := out.Appended[len(out.Appended)-1].Decode()
		fmt.Fprintf(w, "%s  %s\n", at(r.At), projections.Describe(r.Actor, ev, out.Run.StepTitle))
	}
}
