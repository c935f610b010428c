package runbooks_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

const gatePlan = `
plan: gated
lead: Claire
window: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: Europe/Paris}
crew:
  - {name: Claire, roles: [lead]}
  - {name: Karim, roles: [network]}
  - {name: Julien, roles: [tech, app]}
services:
  - {id: db, vital: true, rto: 2h, checks: [{kind: tcp, target: "db:5432", from: [paris, gra]}]}
  - {id: web, rto: 2h, checks: [{kind: http, target: "https://x.fr", from: [paris, gra]}]}
steps:
  - {id: prep, title: Prepare, phase: before, duration: 1h, role: network}
  - {id: go, title: Go/no-go, duration: 15m, role: lead, gate: true, after: [prep]}
  - {id: shutdown, title: Shut down, duration: 30m, role: tech, after: [go]}
  - {id: move, title: Move, duration: 2h, role: tech, after: [shutdown]}
`

var paris, _ = time.LoadLocation("Europe/Paris")

// gated starts the gate plan as run "g" with the clock at at (Paris time).
func gated(t *testing.T, at string) (*runbooks.Cutover, *runbooks.ManualClock) {
	t.Helper()
	l := openLog(t)
	p, err := planner.Parse("gated.yaml", []byte(gatePlan))
	if err != nil {
		t.Fatal(err)
	}
	when, err := time.ParseInLocation("2006-01-02 15:04", at, paris)
	if err != nil {
		t.Fatal(err)
	}
	clk := runbooks.NewManualClock(when)
	c := &runbooks.Cutover{Log: l, Clock: clk}
	if _, err := c.Start(context.Background(), p, "g", "Claire"); err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func refused(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, runbooks.ErrRefused) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want a refusal saying %q", err, want)
	}
}

// must fails the test on an error: must(t)(c.StartStep(...)).
func must(t *testing.T) func(*runbooks.Outcome, error) *runbooks.Outcome {
	return func(out *runbooks.Outcome, err error) *runbooks.Outcome {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func TestWindowGuard(t *testing.T) {
	ctx := context.Background()
	c, clk := gated(t, "2026-12-04 18:00")
	// A hand-written plan's steps are all part of the move: not before the
	// window opens. (A runbook's "before" phase may start days ahead.)
	_, err := c.StartStep(ctx, "g", "prep", "Karim")
	refused(t, err, "the window opens Sat 5 Dec 07:00")
	clk.Set(time.Date(2026, 12, 5, 7, 0, 0, 0, paris))
	must(t)(c.StartStep(ctx, "g", "prep", "Karim"))
	// A dress rehearsal runs before the live window.
	p, _ := planner.Parse("gated.yaml", []byte(gatePlan))
	rehearsal := &runbooks.Cutover{Log: c.Log, Clock: runbooks.NewManualClock(time.Date(2026, 11, 21, 9, 0, 0, 0, paris))}
	must(t)(rehearsal.StartWith(ctx, p, runbooks.StartOptions{Run: "g-rehearsal", Actor: "Claire", Rehearsal: true}))
	must(t)(rehearsal.StartStep(ctx, "g-rehearsal", "prep", "Karim"))
}

func TestGateNeedsEveryRole(t *testing.T) {
	ctx := context.Background()
	c, _ := gated(t, "2026-12-05 08:00")
	must(t)(c.StartStep(ctx, "g", "prep", "Karim"))
	must(t)(c.CompleteStep(ctx, "g", "prep", "Karim"))
	_, err := c.CompleteStep(ctx, "g", "go", "Claire")
	refused(t, err, "only a started step can be finished")
	out := must(t)(c.SignGate(ctx, "g", "go", "Claire", "go", "crew on site"))
	if len(out.NowReady) != 0 {
		t.Fatalf("one signature of three made %v ready", out.NowReady)
	}
	_, err = c.CompleteStep(ctx, "g", "go", "Claire")
	refused(t, err, "still to sign: app, network, tech")
	_, err = c.SignGate(ctx, "g", "go", "Claire", "go", "")
	refused(t, err, "Claire has no role left to sign")
	_, err = c.SignGate(ctx, "g", "go", "Julien", "maybe", "")
	refused(t, err, "write go or no-go")
	must(t)(c.SignGate(ctx, "g", "go", "Julien", "go", "")) // tech and app at once
	out = must(t)(c.SignGate(ctx, "g", "go", "Karim", "go", ""))
	if strings.Join(out.NowReady, ",") != "shutdown" {
		t.Fatalf("the last go made %v ready, want [shutdown]", out.NowReady)
	}
}

func TestNoGoFailsTheGate(t *testing.T) {
	ctx := context.Background()
	c, _ := gated(t, "2026-12-05 08:00")
	must(t)(c.StartStep(ctx, "g", "prep", "Karim"))
	must(t)(c.CompleteStep(ctx, "g", "prep", "Karim"))
	must(t)(c.SignGate(ctx, "g", "go", "Claire", "go", ""))
	_, err := c.SignGate(ctx, "g", "go", "Karim", "no-go", "")
	refused(t, err, "say why with --reason")
	must(t)(c.SignGate(ctx, "g", "go", "Karim", "no-go", "rules not pre-staged"))
	_, err = c.StartStep(ctx, "g", "shutdown", "Julien")
	refused(t, err, "was cancelled when the move backed out (no-go on go from Karim: rules not pre-staged)")
	_, err = c.SkipStep(ctx, "g", "go", "Claire", "hurry")
	refused(t, err, "cannot be skipped")
}

func TestFailRetrySkipBlock(t *testing.T) {
	ctx := context.Background()
	c, _ := gated(t, "2026-12-05 08:00")
	_, err := c.FailStep(ctx, "g", "prep", "Karim", "no access")
	refused(t, err, "only a started step can fail")
	must(t)(c.StartStep(ctx, "g", "prep", "Karim"))
	_, err = c.FailStep(ctx, "g", "prep", "Karim", "")
	refused(t, err, "say why with --reason")
	must(t)(c.FailStep(ctx, "g", "prep", "Karim", "switch config export timed out"))
	_, err = c.StartStep(ctx, "g", "prep", "Karim")
	refused(t, err, "failed (switch config export timed out); to try again: dcmove step retry prep")
	must(t)(c.RetryStep(ctx, "g", "prep", "Karim", "second console cable"))
	// Block: anyone in the crew, with a reason; start refused until unblocked.
	must(t)(c.BlockStep(ctx, "g", "prep", "Julien", "badge not activated"))
	_, err = c.StartStep(ctx, "g", "prep", "Karim")
	refused(t, err, "blocked (badge not activated)")
	must(t)(c.UnblockStep(ctx, "g", "prep", "Julien", "security desk fixed it"))
	must(t)(c.StartStep(ctx, "g", "prep", "Karim"))
	must(t)(c.FailStep(ctx, "g", "prep", "Karim", "again"))
	// Skip: the lead only, with a reason; dependents go on.
	_, err = c.SkipStep(ctx, "g", "prep", "Karim", "not needed")
	refused(t, err, "only the lead (Claire) may skip")
	out := must(t)(c.SkipStep(ctx, "g", "prep", "Claire", "done by hand last week"))
	if strings.Join(out.NowReady, ",") != "go" {
		t.Fatalf("skipping prep made %v ready, want [go]", out.NowReady)
	}
}

func TestDegradedMode(t *testing.T) {
	ctx := context.Background()
	c, _ := gated(t, "2026-12-05 08:00")
	_, err := c.EnterDegraded(ctx, "g", "Karim", "move starts")
	refused(t, err, "the lead or someone with the app role")
	_, err = c.EnterDegraded(ctx, "g", "Julien", "")
	refused(t, err, "say why with --reason")
	out := must(t)(c.EnterDegraded(ctx, "g", "Julien", "machines leave PA2"))
	if !out.Run.Degraded || strings.Join(out.Run.Down, ",") != "web" {
		t.Fatalf("degraded %v, down %v; want web down (db is vital)", out.Run.Degraded, out.Run.Down)
	}
	_, err = c.EnterDegraded(ctx, "g", "Claire", "again")
	refused(t, err, "already on")
	must(t)(c.LeaveDegraded(ctx, "g", "Claire", "validated at PA3"))
	_, err = c.LeaveDegraded(ctx, "g", "Claire", "again")
	refused(t, err, "not on")
}

func TestStartRefusesUnacceptedWarnings(t *testing.T) {
	ctx := context.Background()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// No checks from a second vantage point: warning L009.
	p, err := planner.Parse("gated.yaml", []byte(strings.Replace(gatePlan, "from: [paris, gra]", "from: [paris]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	c := &runbooks.Cutover{Log: l, Clock: runbooks.NewManualClock(time.Date(2026, 12, 5, 6, 0, 0, 0, paris))}
	_, err = c.StartWith(ctx, p, runbooks.StartOptions{Run: "g", Actor: "Claire"})
	refused(t, err, "warning L009")
	_, err = c.StartWith(ctx, p, runbooks.StartOptions{Run: "g", Actor: "Claire", Accept: map[string]string{"L009": "gra probe added next week", "L001": "x"}})
	refused(t, err, "--accept L001: the plan has no L001 warning")
	out := must(t)(c.StartWith(ctx, p, runbooks.StartOptions{Run: "g", Actor: "Claire", Rehearsal: true, Accept: map[string]string{"L009": "gra probe added next week"}}))
	if !out.Run.Rehearsal {
		t.Error("rehearsal not recorded")
	}
	var accepted []events.WarningAccepted
	for rec, err := range l.Read(ctx, "g", 0) {
		if err != nil {
			t.Fatal(err)
		}
		if ev, err := rec.Decode(); err == nil {
			if w, ok := ev.(events.WarningAccepted); ok {
				accepted = append(accepted, w)
				if rec.Actor != "Claire" {
					t.Errorf("acceptance recorded by %q", rec.Actor)
				}
			}
		}
	}
	if len(accepted) != 1 || accepted[0].Lint != "L009" || accepted[0].Reason != "gra probe added next week" {
		t.Fatalf("accepted %+v", accepted)
	}
}

// Fifty laptops act at once, on one step and on dependent steps: whatever
// the interleaving, one start per step, and never a start before its
// dependencies are done.
func TestFiftyConcurrentCommands(t *testing.T) {
	ctx := context.Background()
	c, _ := gated(t, "2026-12-05 08:00")
	must(t)(c.StartStep(ctx, "g", "prep", "Karim"))
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch i % 5 {
			case 0:
				_, errs[i] = c.CompleteStep(ctx, "g", "prep", "Karim")
			case 1:
				_, errs[i] = c.SignGate(ctx, "g", "go", "Claire", "go", "")
			case 2:
				_, errs[i] = c.SignGate(ctx, "g", "go", "Karim", "go", "")
			case 3:
				_, errs[i] = c.SignGate(ctx, "g", "go", "Julien", "go", "")
			case 4:
				_, errs[i] = c.StartStep(ctx, "g", "shutdown", "Julien")
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, runbooks.ErrRefused) && !errors.Is(err, events.ErrConflict) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	counts := map[string]int{}
	doneAt := map[string]uint64{}
	l := c.Log
	for rec, err := range l.Read(ctx, "g", 0) {
		if err != nil {
			t.Fatal(err)
		}
		switch rec.Type {
		case events.TypeStepStarted, events.TypeStepCompleted, events.TypeGateSigned:
			counts[rec.Type+" "+rec.SubjectID()]++
		}
		if rec.Type == events.TypeStepCompleted {
			doneAt[rec.SubjectID()] = rec.Seq
		}
		if rec.Type == events.TypeStepStarted && rec.SubjectID() == "shutdown" && (doneAt["go"] == 0 || doneAt["go"] > rec.Seq) {
			t.Fatal("shutdown started before the gate was done")
		}
	}
	for key, n := range counts {
		if n != 1 && !strings.HasPrefix(key, events.TypeGateSigned) {
			t.Errorf("%d × %s, want 1", n, key)
		}
	}
	if n := counts[events.TypeGateSigned+" go"]; n > 4 {
		t.Errorf("%d gate signatures for 4 roles", n)
	}
}

func TestListSome(t *testing.T) {
	if got := runbooks.ListSome([]string{"a", "b"}, 3, "x"); got != "a, b" {
		t.Errorf("short list: %q", got)
	}
	if got := runbooks.ListSome([]string{"a", "b", "c", "d", "e"}, 2, "dcmove status shows them all"); got != "a, b and 3 more (dcmove status shows them all)" {
		t.Errorf("long list: %q", got)
	}
}
