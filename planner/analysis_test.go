package planner_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/planner"
)

const handPlan = `
plan: hand
window: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: Europe/Paris}
lead: Claire
crew:
  - {name: Claire, roles: [lead]}
  - {name: Julien, roles: [tech]}
steps:
  - {id: a, title: A, duration: 1h, role: lead}
  - {id: b, title: B, duration: 2h, role: tech, after: [a]}
  - {id: c, title: C, duration: 1h, role: tech, after: [a]}
  - {id: d, title: D, duration: 30m, role: lead, after: [b, c]}
`

func analyze(t *testing.T, plan, template string, o planner.Options) *planner.Analysis {
	t.Helper()
	p, err := planner.Parse("plan.yaml", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	var tpl *planner.Template
	if template != "" {
		if tpl, err = planner.ParseTemplate("mini.yaml", []byte(template)); err != nil {
			t.Fatal(err)
		}
	}
	rb, err := planner.Expand(p, tpl)
	if err != nil {
		t.Fatal(err)
	}
	a, err := planner.Analyze(p, rb, o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func has(a *planner.Analysis, id string) bool {
	for _, f := range a.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// One technician does b and c one after the other: the crew, not the
// dependencies, sets the makespan.
func TestAnalyzeHandPlan(t *testing.T) {
	a := analyze(t, handPlan, "", planner.Options{Seed: 1})
	if a.Makespan != 4*time.Hour+30*time.Minute || a.CriticalPath != 3*time.Hour+30*time.Minute {
		t.Fatalf("makespan %s, critical path %s; want 4h30m and 3h30m", a.Makespan, a.CriticalPath)
	}
	if a.LowerBound < a.CriticalPath || a.LowerBound > a.Makespan {
		t.Errorf("lower bound %s outside [%s, %s]", a.LowerBound, a.CriticalPath, a.Makespan)
	}
	if !a.Fits || a.Probability != 1 || has(a, "L014") || has(a, "L015") {
		t.Errorf("fits %v, probability %v, findings %v", a.Fits, a.Probability, a.Findings)
	}
	who := map[string]string{}
	for _, s := range a.Steps {
		who[s.ID] = strings.Join(s.Who, ",")
		if s.Timing != "window" {
			t.Errorf("step %s timing %s", s.ID, s.Timing)
		}
	}
	if who["b"] != "Julien" || who["a"] != "Claire" {
		t.Errorf("assignments %v", who)
	}
	if a.HasPointOfNoReturn {
		t.Error("a plan without back-out steps has a point of no return")
	}
}

func TestAnalyzeWindowTooShort(t *testing.T) {
	plan := strings.Replace(handPlan, "end: 2026-12-05 19:00", "end: 2026-12-05 10:00", 1)
	a := analyze(t, plan, "", planner.Options{Seed: 1})
	if a.Fits || !has(a, "L014") || !has(a, "L015") || a.Probability != 0 {
		t.Fatalf("fits %v, probability %v, findings %v", a.Fits, a.Probability, a.Findings)
	}
}

// The point of no return is the last moment a back-out still ends inside
// the window, and a go/no-go decided after it is an error.
func TestPointOfNoReturn(t *testing.T) {
	late := strings.Replace(miniTemplate, "  - {id: done, title: All racked, phase: move, duration: 5m, role: lead, after: [rack-<*>]}",
		"  - {id: done, title: All racked, phase: move, duration: 5m, role: lead, after: [rack-<*>]}\n  - {id: last-call, title: Late go/no-go, phase: move, duration: 10m, role: lead, gate: true, after: [done]}", 1)
	a := analyze(t, expandPlan, late, planner.Options{Seed: 1, Samples: -1})
	if !a.HasPointOfNoReturn || len(a.Backout) == 0 {
		t.Fatal("no point of no return computed")
	}
	if b := a.Backout[len(a.Backout)-1]; b.Duration != 30*time.Minute {
		t.Errorf("backing out after every service stopped takes %s, want 30m (three restarts by the one app person)", b.Duration)
	}
	if has(a, "L016") {
		t.Errorf("with a long window the late gate is before the point of no return (%s): %v", a.PointOfNoReturn, a.Findings)
	}
	// Shrink the window to end 10 minutes after the move: the point of no
	// return falls before the late gate.
	short := strings.Replace(expandPlan, "end: 2026-12-06 20:00", "end: "+a.End.Add(10*time.Minute).In(a.Plan.Window.Location).Format("2006-01-02 15:04"), 1)
	b := analyze(t, short, late, planner.Options{Seed: 1, Samples: -1})
	if !b.Fits {
		t.Fatalf("the shortened window does not fit: ends %s, window %s", b.End, b.Plan.Window.End)
	}
	if !b.PointOfNoReturn.Before(b.End) || !has(b, "L016") {
		t.Fatalf("point of no return %s, end %s, findings %v", b.PointOfNoReturn, b.End, b.Findings)
	}
	// Defining property: a back-out decided at the point of no return ends
	// inside the window.
	var at planner.BackoutAt
	for _, x := range b.Backout {
		if !x.At.After(b.PointOfNoReturn) {
			at = x
		}
	}
	if b.PointOfNoReturn.Add(at.Duration).After(b.Plan.Window.End) {
		t.Errorf("backing out at the point of no return %s takes %s and ends after the window (%s)", b.PointOfNoReturn, at.Duration, b.Plan.Window.End)
	}
}

// Steps before the window are placed as late as allowed; a notice goes out
// its notice period ahead.
func TestBeforeAndAfterTheWindow(t *testing.T) {
	tpl := miniTemplate + "  - {id: notify-<id>, for: stakeholders, title: Notify <title>, phase: prep, duration: 30m, role: lead}\n"
	tpl = strings.Replace(tpl, "  - {id: move, timing: window}", "  - {id: prep, timing: before}\n  - {id: move, timing: window}", 1)
	plan := expandPlan + "stakeholders:\n  - {id: customers, title: Customers, notice: 21d, ack: true}\n"
	a := analyze(t, plan, tpl, planner.Options{Seed: 1, Samples: -1})
	for _, s := range a.Steps {
		switch s.ID {
		case "notify-customers":
			if want := a.Plan.Window.Start.Add(-21 * 24 * time.Hour); !s.End.Equal(want) {
				t.Errorf("notice ends %s, want %s (21 days ahead)", s.End, want)
			}
		case "retire-old-1":
			if s.Start.Before(a.End) {
				t.Errorf("after-phase step starts %s, before the move ends %s", s.Start, a.End)
			}
		}
	}
}

// A hand-written plan names its own back-out steps: they are not scheduled
// forward, but they set the point of no return.
func TestHandWrittenBackout(t *testing.T) {
	plan := strings.Replace(handPlan, "  - {id: b, title: B, duration: 2h, role: tech, after: [a]}",
		"  - {id: b, title: B, duration: 2h, role: tech, after: [a], backout: [undo-b]}\n  - {id: undo-b, title: Undo B, duration: 3h, role: tech, backout_only: true}", 1)
	a := analyze(t, plan, "", planner.Options{Seed: 1, Samples: -1})
	for _, s := range a.Steps {
		if s.ID == "undo-b" {
			t.Fatal("the back-out step is scheduled as forward work")
		}
	}
	if a.Makespan != 4*time.Hour+30*time.Minute {
		t.Errorf("makespan %s, want 4h30m as without the back-out step", a.Makespan)
	}
	// b starts at 08:00 (Paris); undoing it takes 3h: the window (until
	// 19:00) allows backing out until 16:00.
	want := a.Plan.Window.End.Add(-3 * time.Hour)
	if !a.HasPointOfNoReturn || !a.PointOfNoReturn.Equal(want) {
		t.Fatalf("point of no return %v (has %v), want %v", a.PointOfNoReturn, a.HasPointOfNoReturn, want)
	}
}
