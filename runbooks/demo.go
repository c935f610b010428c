package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// Demo runs a plan from start to finish as `dcmove demo` shows it: the lead
// starts the run, accepting every warning; a guard refuses a step started
// too early; a simulated crew does every step (see [Simulation]) while the
// lead switches degraded mode with the steps that call for it. The clock is
// simulated: it starts when the first step before the window is due, and
// server timers are off (the next command records the timers due).
type Demo struct {
	Log events.Log
	// Checkpoints, if set, keeps the run's model between the crew's
	// commands (see [Cutover.Checkpoints]).
	Checkpoints events.CheckpointStore
	// Seed varies the simulated step durations.
	Seed uint64
	// Report, if set, is told of each thing that happens, in order: one
	// of the Demo* types of this package.
	Report func(DemoReport)
	// Exports, if set, are the firewall exports the simulated crew
	// captures (see [Simulation.Exports]).
	Exports func(role string) (FirewallCapture, error)
	// Started, if set, is told the run's name and its clock once it is
	// recorded (a live page of the demo follows it).
	Started func(run string, clock *ManualClock)
	// Pace, if set, is called as the simulated clock moves (see
	// [Simulation.Pace]).
	Pace func(from, to time.Time)
}

// The demo's surprises, as a real weekend has them: the first trip of
// the move is an hour late, and the first HTTP check to pass from several
// vantage points fails once from the last of them.
const (
	demoLateTrip  = time.Hour
	demoLateWhy   = "the goods lift was out of order for an hour"
	demoCheckSeen = "status 502 (the new load balancer has no backend for it yet)"
)

// DemoLate is a step that took longer than planned for a reason outside
// the crew's hands (a surprise of the demo).
type DemoLate struct {
	At        time.Time
	Step, Why string
}

func (DemoLate) demoReport() {}

// DemoReport is what [Demo.Report] is told: a [DemoPlanned],
// [DemoStarted], [DemoRefused], [DemoStep], [DemoGroup], [DemoSwitched]
// or [DemoFirewall].
type DemoReport interface{ demoReport() }

// DemoPlanned is the plan's analysis, with the warnings the lead accepts
// (each lint id once, as the first finding of that id says it).
type DemoPlanned struct {
	Analysis *planner.Analysis
	Lead     string
	Accepted []planner.Finding
}

// DemoStarted is the lead starting the run.
type DemoStarted struct {
	At    time.Time
	Actor string
	Run   string
	// Outcome is the start's: Appended holds every event recorded.
	Outcome *Outcome
}

// DemoRefused is a guard refusing a step started too early.
type DemoRefused struct {
	At          time.Time
	Actor, Step string
	Err         error
}

// DemoStep is a simulated crew member starting or finishing a step that is
// not part of a group (see [DemoGroup]).
type DemoStep struct{ Action }

// DemoGroup is the first step of a group starting, or the last one
// finishing: the steps expanded from one template step (Template) with
// more than one expansion are reported as a group of Size steps.
type DemoGroup struct {
	At       time.Time
	Template string
	Size     int
	Done     bool // false: the first started; true: all are done
}

// DemoSwitched is the lead entering or leaving degraded mode after the
// step that calls for it; the switch is the last event of Outcome.
type DemoSwitched struct {
	At      time.Time
	Actor   string
	Outcome *Outcome
}

func (DemoPlanned) demoReport()  {}
func (DemoStarted) demoReport()  {}
func (DemoRefused) demoReport()  {}
func (DemoStep) demoReport()     {}
func (DemoGroup) demoReport()    {}
func (DemoSwitched) demoReport() {}
func (DemoFirewall) demoReport() {}

// DemoFirewall is what the simulated crew learned from the firewall
// exports: a capture, a verification, rules added.
type DemoFirewall struct {
	At          time.Time
	Actor, What string
}

// DemoResult is how a demo ended.
type DemoResult struct {
	// Run is the run's name: the plan's, or the plan's with -2, -3... if
	// the log holds a run of that name already.
	Run string
	// End is the simulated clock's time when the last step was done.
	End time.Time
	// Recorded counts the run's events in the log by type.
	Recorded map[string]int
}

// Run runs the demo of p on d.Log.
func (d *Demo) Run(ctx context.Context, p *planner.Plan) (*DemoResult, error) {
	rb, err := Expand(p)
	if err != nil {
		return nil, err
	}
	// The crew starts preparing when the first notice is due.
	clock := NewManualClock(p.Window.Start.Add(-10 * time.Minute))
	cut := &Cutover{Log: d.Log, Clock: clock, Checkpoints: d.Checkpoints, Timers: false}
	run, err := demoRunName(ctx, cut, p.Name)
	if err != nil {
		return nil, err
	}
	// What the planner says first, and the warnings the lead accepts.
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	accept := map[string]string{}
	planned := DemoPlanned{Analysis: a, Lead: p.Lead}
	for _, f := range a.Findings {
		if _, ok := accept[f.ID]; !ok {
			accept[f.ID] = "accepted for the demo"
			planned.Accepted = append(planned.Accepted, f)
		}
	}
	d.report(planned)
	if len(rb.Steps) > 0 {
		if first := demoEarliestBefore(a); first.Before(clock.Now()) {
			clock = NewManualClock(first)
		}
	}
	cut.Clock = clock
	// Recorded from the expansion and analysis above, not a second one.
	if err := checkRunName(run); err != nil {
		return nil, err
	}
	rec, err := newRecording(p, rb, a, StartOptions{Run: run, Actor: p.Lead, Accept: accept})
	if err != nil {
		return nil, err
	}
	out, err := cut.startRecording(ctx, run, rec)
	if err != nil {
		return nil, err
	}
	d.report(DemoStarted{At: clock.Now(), Actor: p.Lead, Run: run, Outcome: out})

	// Show a guard at work: the last step cannot start before the others,
	// even when the right person asks.
	last := demoLastForward(rb)
	who := demoSomeoneWithRole(p, last.Role)
	if _, err := cut.StartStep(ctx, run, last.ID, who); err != nil {
		d.report(DemoRefused{At: clock.Now(), Actor: who, Step: last.ID, Err: err})
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
	var switchErr error
	if d.Started != nil {
		d.Started(run, clock)
	}
	sim := &Simulation{Cutover: cut, Clock: clock, Seed: d.Seed, Exports: d.Exports, Pace: d.Pace}
	lateDone := false
	sim.Delay = func(s *Step) (time.Duration, string) {
		if s.Kind != events.KindTransport || lateDone {
			return 0, ""
		}
		lateDone = true
		return demoLateTrip, demoLateWhy
	}
	sim.Late = func(at time.Time, step, why string) { d.report(DemoLate{At: at, Step: step, Why: why}) }
	failing, failed := demoFailingCheck(rec.Started.Checks), false
	sim.Check = func(c events.CheckDef, from string) events.CheckRan {
		res := events.CheckRan{Check: c.ID, From: from, OK: true, Expected: simulatedExpect(c), Seen: "simulated: no service behind a simulation", Attempts: 1}
		if c.ID == failing.ID && from == failing.From[len(failing.From)-1] && !failed {
			failed = true
			res.OK, res.Seen, res.Attempts = false, demoCheckSeen, 2
		}
		return res
	}
	sim.Note = func(at time.Time, who, what string) { d.report(DemoFirewall{At: at, Actor: who, What: what}) }
	sim.Report = func(act Action) {
		if g, ok := group[act.Step]; ok && size[g] > 1 {
			if act.Started {
				if started[g]++; started[g] == 1 {
					d.report(DemoGroup{At: act.At, Template: g, Size: size[g]})
				}
			} else if finished[g]++; finished[g] == size[g] {
				d.report(DemoGroup{At: act.At, Template: g, Size: size[g], Done: true})
			}
			return
		}
		d.report(DemoStep{act})
		if act.Started {
			return
		}
		// The lead switches degraded mode with the steps that call for it.
		var out *Outcome
		var err error
		var kind events.StepKind
		if s, ok := rb.Step(act.Step); ok {
			kind = s.Kind
		}
		switch kind {
		case events.KindEnterDegraded:
			out, err = cut.EnterDegraded(ctx, run, p.Lead, "the machines leave PA2")
		case events.KindLeaveDegraded:
			out, err = cut.LeaveDegraded(ctx, run, p.Lead, "every service validated at PA3")
		}
		if err != nil && switchErr == nil {
			switchErr = err
		}
		if out != nil {
			d.report(DemoSwitched{At: act.At, Actor: p.Lead, Outcome: out})
		}
	}
	if err := sim.Run(ctx, p, run); err != nil {
		return nil, err
	}
	if switchErr != nil {
		return nil, switchErr
	}

	res := &DemoResult{Run: run, End: clock.Now(), Recorded: map[string]int{}}
	for rec, err := range d.Log.Read(ctx, run, 0) {
		if err != nil {
			return nil, err
		}
		res.Recorded[rec.Type]++
	}
	return res, nil
}

func (d *Demo) report(r DemoReport) {
	if d.Report != nil {
		d.Report(r)
	}
}

// demoRunName returns name, or name-2, name-3... if a run of that name
// exists already (a demo run again on a kept data directory).
func demoRunName(ctx context.Context, cut *Cutover, name string) (string, error) {
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

// demoSomeoneWithRole returns a crew member who has role (the lead if none
// does).
func demoSomeoneWithRole(p *planner.Plan, role string) string {
	for _, m := range p.Crew {
		if slices.Contains(m.Roles, role) {
			return m.Name
		}
	}
	return p.Lead
}

// demoEarliestBefore returns when the first step before the window is due
// to start (the window's start if there is none).
func demoEarliestBefore(a *planner.Analysis) time.Time {
	first := a.Plan.Window.Start
	for _, s := range a.Steps {
		if s.Timing == "before" && s.Start.Before(first) {
			first = s.Start
		}
	}
	return first
}

// demoLastForward returns the runbook's last step that is not a back-out
// step.
func demoLastForward(rb *planner.Runbook) planner.Step {
	for i := len(rb.Steps) - 1; i >= 0; i-- {
		if !rb.Steps[i].BackoutOnly {
			return rb.Steps[i]
		}
	}
	return rb.Steps[0]
}

// demoFailingCheck is the check that fails once in the demo: the first
// HTTP check to pass from several vantage points.
func demoFailingCheck(checks []events.CheckDef) events.CheckDef {
	for _, c := range checks {
		if c.Kind == "http" && len(c.From) > 1 {
			return c
		}
	}
	return events.CheckDef{}
}
