package main

import (
	"fmt"
	"io"
	"net"
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
			&cli.StringFlag{Name: "serve", Usage: "also serve the run's live war-room page at host:port (loopback), e.g. --serve 127.0.0.1:8080, and run slowly enough to watch it (--speed)"},
			&cli.Float64Flag{Name: "speed", Value: 600, Usage: "with --serve: simulated minutes per real minute in the window (600: the weekend in about 4 minutes); the weeks before and after go by fast"},
			linesOutputFlag(),
		},
		Action: m.asJSONLines("demo-line", m.demo),
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

	var pc *pageConfig
	if addr := c.String("serve"); addr != "" {
		if pc, err = demoPage(addr); err != nil {
			return err
		}
		if c.Float64("speed") < 1 {
			return usagef("--speed %g: give at least 1 (simulated minutes per real minute)", c.Float64("speed"))
		}
	}
	var run string
	var clock *runbooks.ManualClock
	demo := &runbooks.Demo{Log: l, Checkpoints: m.checkpoints(c.Context, l), Seed: c.Uint64("seed")}
	demo.Report = func(r runbooks.DemoReport) {
		printDemo(w, loc, r)
		if clock == nil {
			return
		}
		// Where the weekend stands, as status would say, at the moments
		// that change it.
		switch r := r.(type) {
		case runbooks.DemoSwitched, runbooks.DemoLate:
			demoStatus(c, w, l, run, clock.Now())
		case runbooks.DemoStep:
			if !r.Started && (r.Step == "go-no-go" || r.Step == runbooks.PointOfNoReturnGate) {
				demoStatus(c, w, l, run, clock.Now())
			}
		}
	}
	demo.Started = func(r string, ck *runbooks.ManualClock) {
		run, clock = r, ck
		if pc == nil {
			return
		}
		page := &Main{Stdout: w, Stderr: m.Stderr, Clock: ck}
		pc.run = r
		go func() {
			if err := page.servePage(c.Context, jetstream.Options{DataDir: dir}, pc, nil); err != nil && c.Context.Err() == nil {
				fmt.Fprintln(m.Stderr, "dcmove: war-room page:", err)
			}
		}()
		time.Sleep(time.Second) // the page's address is printed before the weekend goes on
	}
	if pc != nil {
		speed := c.Float64("speed")
		demo.Pace = func(from, to time.Time) {
			d := time.Duration(float64(to.Sub(from)) / speed)
			// The weeks before and after the window go by a hundred
			// times faster: the weekend is what one watches.
			if inWindow := !to.Before(p.Window.Start) && !from.After(p.Window.End); !inWindow {
				d = min(d/100, 100*time.Millisecond)
			}
			select {
			case <-c.Context.Done():
			case <-time.After(min(d, 5*time.Second)):
			}
		}
	}
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
	fmt.Fprintf(w, "recorded: %d gate signatures, %d cool-downs (%d ended by their timer), %d warning(s) accepted, %d notices sent, %d acknowledged, %d check results\n",
		counts[events.TypeGateSigned], counts[events.TypeCooldownStarted], counts[events.TypeCooldownElapsed], counts[events.TypeWarningAccepted],
		counts[events.TypeNoticeSent], counts[events.TypeNoticeAcknowledged], counts[events.TypeCheckRan])

	// The post-migration report's summary, and the audit's verdict.
	rp := projections.NewReport()
	if _, err := projections.Replay(c.Context, l, res.Run, rp); err != nil {
		return err
	}
	fmt.Fprintln(w, "\npost-migration report (dcmove audit --output html for the whole of it):")
	for _, f := range rp.Summary() {
		line := "  " + f.Label + ": " + f.Value
		if f.Detail != "" {
			line += " (" + f.Detail + ")"
		}
		fmt.Fprintln(w, line)
	}
	rep, err := events.Verify(c.Context, l, res.Run)
	if err != nil {
		return err
	}
	if rep.Break != nil || len(rep.Foreign) > 0 || len(rep.Unsigned) > 0 {
		return fmt.Errorf("audit verify: the demo's run does not verify: %v", rep.Err())
	}
	fmt.Fprintf(w, "\naudit verify: ok: %d events, chain intact; head seq %d sha256 %s\n", rep.Events, rep.Last.Seq, rep.Head)
	if pc != nil {
		fmt.Fprintf(w, "\nthe weekend is over; its war-room page stays up at http://%s/ until interrupted (Ctrl-C)\n", pc.addr)
		<-c.Context.Done()
	}
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
			runbooks.StepCount(a), a.End.In(loc).Format("Mon 15:04"), planner.Span(a.Makespan), a.Probability*100, a.Samples)
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
	case runbooks.DemoLate:
		fmt.Fprintf(w, "%s  SURPRISE: %s ran late: %s\n", at(r.At), r.Step, r.Why)
	case runbooks.DemoSwitched:
		out := r.Outcome
		ev, _ := out.Appended[len(out.Appended)-1].Decode()
		fmt.Fprintf(w, "%s  %s\n", at(r.At), projections.Describe(r.Actor, ev, out.Run.StepTitle))
	}
}

// demoPage checks --serve: loopback only (the demo has no token).
func demoPage(addr string) (*pageConfig, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("--serve %q: write host:port, e.g. 127.0.0.1:8080", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, usagef("--serve %s: the demo serves its page on loopback only (use serve --http --http-expose with a token for a real run)", addr)
	}
	// Before the slow weekend starts: a port in use is said at once.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usagef("--serve %s: %v", addr, err)
	}
	ln.Close()
	return &pageConfig{addr: addr}, nil
}

// demoStatus prints where the demo's weekend stands now, as status says
// it: progress, late steps, services down, and the forecast.
func demoStatus(c *cli.Context, w io.Writer, l events.Log, run string, now time.Time) {
	s := projections.NewStatus()
	if _, err := projections.Replay(c.Context, l, run, s); err != nil {
		return
	}
	b := s.Board(now)
	line := fmt.Sprintf("    status: %d of %d steps done, %d late, %d services down", b.Progress.Done, b.Progress.Total, b.Late, len(b.ServicesDown))
	if eta, err := projections.Forecast(s, now, 200, forecastSeed); err == nil && !eta.End.IsZero() {
		loc := s.Location()
		if eta.Ended {
			line += fmt.Sprintf("; the move's work ended %s", eta.End.In(loc).Format("Mon 15:04"))
		} else {
			line += fmt.Sprintf("; forecast end %s if every step takes its likely time, %s at the median of the simulated ends, %.0f%% of which are inside the window",
				eta.End.In(loc).Format("Mon 15:04"), eta.P50.In(loc).Format("Mon 15:04"), eta.Probability*100)
		}
	}
	fmt.Fprintln(w, line)
}
