package runbooks_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

const moveTemplate = `runbook: tiny
phases: [{id: move, timing: window}, {id: after, timing: after}]
steps:
  - {id: go, title: Go/no-go, phase: move, duration: 10m, role: lead, gate: true}
  - {id: shutdown-<id>, for: assets, where: moved, title: Shut down <title>, phase: move, duration: 10m, role: tech, after: [go], backout: [power-on-<id>]}
  - {id: cooldown-<id>, for: assets, where: cooldown, title: Cool <title>, phase: move, duration: item, timer: cooldown, after: [shutdown-<id>]}
  - {id: unrack-<id>, for: assets, where: moved, title: Unrack <title>, phase: move, duration: 20m, role: tech, after: [shutdown-<id>, cooldown-<id>], backout: [rerack-<id>]}
  - {id: rack-<id>, for: assets, where: moved, title: Rack <title>, phase: move, duration: 3h, role: tech, after: [unrack-<id>]}
  - {id: rerack-<id>, for: assets, where: moved, title: Re-rack <title>, phase: move, duration: 30m, role: tech, backout_only: true}
  - {id: power-on-<id>, for: assets, where: moved, title: Power on <title> at the source, phase: move, duration: 10m, role: tech, backout_only: true, after: [rerack-<id>]}
  - {id: validate, title: Validate at the destination, phase: move, duration: 10m, role: tech, after: [rack-<*>]}
  - {id: grace-period, title: Grace period, phase: after, duration: grace_period, timer: grace, after: [validate]}
  - {id: decommission-<id>, for: assets, where: decommission, title: Decommission <title>, phase: after, duration: 1h, role: lead, gate: true, after: [grace-period, validate]}
`

const movePlan = `plan: tiny
runbook: tiny.yaml
lead: Claire
window: {start: 2026-12-05 07:00, end: 2026-12-05 12:00, timezone: Europe/Paris}
sites: [{id: a}, {id: b}]
crew:
  - {name: Claire, roles: [lead]}
  - {name: Julien, roles: [tech]}
assets:
  - {id: web-1, from: {site: a, rack: R1, u: 1}, to: {site: b, rack: R2, u: 1}, power: 300, cooldown: COOL}
  - {id: old-1, from: {site: a, rack: R9, u: 1}, decommission: true}
grace_period: 2d
`

// moving starts the tiny move as run "m" with the clock at at (Paris).
func moving(t *testing.T, cooldown, at string, real bool) (*runbooks.Cutover, *runbooks.ManualClock, events.Log) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tiny.yaml"), []byte(moveTemplate), 0o644)
	path := filepath.Join(dir, "plan.yaml")
	os.WriteFile(path, []byte(strings.Replace(movePlan, "COOL", cooldown, 1)), 0o644)
	p, err := planner.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	when, _ := time.ParseInLocation("2006-01-02 15:04", at, paris)
	clk := runbooks.NewManualClock(when)
	c := &runbooks.Cutover{Log: l, Clock: clk}
	if real {
		c.Clock, c.Timers = runbooks.SystemClock{}, true
	}
	if _, err := c.StartWith(context.Background(), p, runbooks.StartOptions{Run: "m", Actor: "Claire", Accept: acceptAll(t, p)}); err != nil {
		t.Fatal(err)
	}
	return c, clk, l
}

func goGate(t *testing.T, c *runbooks.Cutover) {
	t.Helper()
	ctx := context.Background()
	must(t)(c.SignGate(ctx, "m", "go", "Claire", "go", ""))
	must(t)(c.SignGate(ctx, "m", "go", "Julien", "go", ""))
}

// With a simulated clock, the cool-down ends when the clock passes it: the
// next command records it.
func TestCooldownGuard(t *testing.T) {
	ctx := context.Background()
	c, clk, _ := moving(t, "30m", "2026-12-05 07:00", false)
	goGate(t, c)
	must(t)(c.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	clk.Advance(10 * time.Minute)
	out := must(t)(c.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	if len(out.Appended) != 3 || out.Appended[1].Type != events.TypeCooldownStarted || out.Appended[2].Type != events.TypeStepStarted {
		t.Fatalf("shutdown done appended %v", types(out.Appended))
	}
	_, err := c.StartStep(ctx, "m", "unrack-web-1", "Julien")
	refused(t, err, "waits for cooldown-web-1")
	_, err = c.CompleteStep(ctx, "m", "cooldown-web-1", "Julien")
	refused(t, err, "is a timer")
	_, err = c.ForceCooldown(ctx, "m", "web-1", "Julien", "it is cold")
	refused(t, err, "only the lead (Claire)")
	clk.Advance(31 * time.Minute)
	out = must(t)(c.StartStep(ctx, "m", "unrack-web-1", "Julien"))
	if out.Appended[0].Type != events.TypeCooldownElapsed || !out.Appended[0].Time.Equal(clk.Now().Add(-time.Minute)) {
		t.Fatalf("unrack after the cool-down appended %v at %v", types(out.Appended), out.Appended[0].Time)
	}
}

func TestCooldownForcedByTheLead(t *testing.T) {
	ctx := context.Background()
	c, clk, _ := moving(t, "30m", "2026-12-05 07:00", false)
	goGate(t, c)
	must(t)(c.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	clk.Advance(10 * time.Minute)
	must(t)(c.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	_, err := c.ForceCooldown(ctx, "m", "web-1", "Claire", "")
	refused(t, err, "say why with --reason")
	out := must(t)(c.ForceCooldown(ctx, "m", "web-1", "Claire", "fans stopped an hour ago, measured 24°C"))
	if strings.Join(out.NowReady, ",") != "unrack-web-1" {
		t.Fatalf("forcing made %v ready", out.NowReady)
	}
}

// With the machine's clock, the server delivers the end of the cool-down
// by itself: a real JetStream message schedule.
func TestCooldownTimerFromTheServer(t *testing.T) {
	ctx := context.Background()
	c, _, l := moving(t, "2s", "2026-12-05 07:00", true)
	// The real clock is before the window: let the test start move steps
	// by signing the gate in a run whose window... the window guard uses
	// the real clock, so bypass it with a cutover on a manual clock for
	// the steps before the shutdown is done.
	manual := &runbooks.Cutover{Log: l, Clock: runbooks.NewManualClock(time.Date(2026, 12, 5, 7, 0, 0, 0, paris))}
	goGate(t, manual)
	must(t)(manual.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	// Finish the shutdown with the machine's clock: the timer is set.
	must(t)(c.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for rec, err := range l.Follow(wctx, "m", 0) {
		if err != nil {
			t.Fatalf("no cool-down elapsed event within 15 s: %v", err)
		}
		if rec.Type == events.TypeCooldownElapsed && rec.Actor == "dcmove" {
			break
		}
	}
	r, err := c.Load(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(r.Ready(), ","), "unrack-web-1") {
		t.Fatalf("after the server's timer, ready: %v", r.Ready())
	}
}

func TestBackout(t *testing.T) {
	ctx := context.Background()
	c, clk, _ := moving(t, "10m", "2026-12-05 07:00", false)
	goGate(t, c)
	must(t)(c.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	_, err := c.StartStep(ctx, "m", "rerack-web-1", "Julien")
	refused(t, err, "only runs if the move backs out")
	clk.Advance(10 * time.Minute)
	must(t)(c.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	_, err = c.StartBackout(ctx, "m", "Julien", "disk failure")
	refused(t, err, "only the lead")
	out := must(t)(c.StartBackout(ctx, "m", "Claire", "PA3 power feed B is dead"))
	ev, _ := out.Appended[len(out.Appended)-1].Decode()
	b := ev.(events.BackoutStarted)
	if strings.Join(b.Steps, ",") != "power-on-web-1" || !strings.Contains(strings.Join(b.Cancelled, ","), "unrack-web-1") {
		t.Fatalf("back-out %+v", b)
	}
	// Forward work stops; only the back-out runs, and its own dependency
	// on a re-rack that is not needed (nothing was unracked) is ignored.
	_, err = c.StartStep(ctx, "m", "unrack-web-1", "Julien")
	refused(t, err, "was cancelled when the move backed out")
	_, err = c.StartStep(ctx, "m", "rerack-web-1", "Julien")
	refused(t, err, "not needed by this back-out")
	must(t)(c.StartStep(ctx, "m", "power-on-web-1", "Julien"))
	out = must(t)(c.CompleteStep(ctx, "m", "power-on-web-1", "Julien"))
	if !out.Run.Done() {
		t.Error("the back-out is over but the run is not done")
	}
}

func TestPointOfNoReturnNeedsGo(t *testing.T) {
	ctx := context.Background()
	// 07:00-12:00: once web-1 is unracked, backing out (re-rack 30m,
	// power on 10m) takes 40m, so the point of no return is 11:20.
	c, clk, _ := moving(t, "10m", "2026-12-05 07:00", false)
	r, _ := c.Load(ctx, "m")
	if r.PointOfNoReturn.IsZero() {
		t.Fatal("no point of no return recorded")
	}
	goGate(t, c)
	for _, id := range []string{"shutdown-web-1"} {
		must(t)(c.StartStep(ctx, "m", id, "Julien"))
		clk.Advance(10 * time.Minute)
		must(t)(c.CompleteStep(ctx, "m", id, "Julien"))
	}
	clk.Advance(10 * time.Minute)
	must(t)(c.StartStep(ctx, "m", "unrack-web-1", "Julien"))
	clk.Advance(20 * time.Minute)
	must(t)(c.CompleteStep(ctx, "m", "unrack-web-1", "Julien"))
	// At 07:40, racking (3h) ends before 11:20: no decision needed yet.
	// An hour later it would not.
	if r, _ := c.Load(ctx, "m"); !r.PointOfNoReturn.Equal(time.Date(2026, 12, 5, 11, 20, 0, 0, paris)) {
		t.Fatalf("point of no return %s, want Sat 11:20", r.PointOfNoReturn.In(paris))
	}
	clk.Advance(time.Hour)
	_, err := c.StartStep(ctx, "m", "rack-web-1", "Julien")
	refused(t, err, "would run past the point of no return (Sat 11:20)")
	must(t)(c.SignGate(ctx, "m", runbooks.PointOfNoReturnGate, "Claire", "go", "PA3 ready"))
	must(t)(c.SignGate(ctx, "m", runbooks.PointOfNoReturnGate, "Julien", "go", ""))
	must(t)(c.StartStep(ctx, "m", "rack-web-1", "Julien"))
}

func types(evs []events.Envelope) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// The 2017 lesson: nothing at the source is destroyed before the grace
// period has elapsed, and only with the lead's sign-off.
func TestGuardedDecommission(t *testing.T) {
	ctx := context.Background()
	c, clk, _ := moving(t, "10m", "2026-12-05 07:00", false)
	goGate(t, c)
	for _, id := range []string{"shutdown-web-1"} {
		must(t)(c.StartStep(ctx, "m", id, "Julien"))
		clk.Advance(10 * time.Minute)
		must(t)(c.CompleteStep(ctx, "m", id, "Julien"))
	}
	clk.Advance(10 * time.Minute)
	must(t)(c.SignGate(ctx, "m", runbooks.PointOfNoReturnGate, "Claire", "go", ""))
	must(t)(c.SignGate(ctx, "m", runbooks.PointOfNoReturnGate, "Julien", "go", ""))
	for _, id := range []string{"unrack-web-1", "rack-web-1"} {
		must(t)(c.StartStep(ctx, "m", id, "Julien"))
		clk.Advance(time.Hour)
		must(t)(c.CompleteStep(ctx, "m", id, "Julien"))
	}
	_, err := c.SignGate(ctx, "m", "decommission-old-1", "Claire", "go", "")
	refused(t, err, "waits for grace-period (not started), validate (not started)")
	must(t)(c.StartStep(ctx, "m", "validate", "Julien"))
	must(t)(c.CompleteStep(ctx, "m", "validate", "Julien"))
	must(t)(c.StartStep(ctx, "m", "grace-period", "Claire"))
	clk.Advance(24 * time.Hour)
	_, err = c.CompleteStep(ctx, "m", "grace-period", "Claire")
	refused(t, err, "nothing at the source may be destroyed before Mon 7 Dec")
	clk.Advance(25 * time.Hour)
	_, err = c.CompleteStep(ctx, "m", "grace-period", "Claire")
	refused(t, err, "step grace-period is done") // the grace period ended by itself, recorded by this very command
	// The lead signs, and so does every other role.
	out := must(t)(c.SignGate(ctx, "m", "decommission-old-1", "Julien", "go", "validated, backups off-site"))
	if out.Run.Done() {
		t.Fatal("decommissioned without the lead's sign-off")
	}
	out = must(t)(c.SignGate(ctx, "m", "decommission-old-1", "Claire", "go", "sign-off"))
	if !out.Run.Done() {
		t.Fatal("the decommission is not done after every sign-off")
	}
}

// acceptAll accepts every warning the plan's analysis finds.
func acceptAll(t *testing.T, p *planner.Plan) map[string]string {
	t.Helper()
	rb, err := runbooks.Expand(p)
	if err != nil {
		t.Fatal(err)
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	accept := map[string]string{}
	for _, f := range a.Findings {
		accept[f.ID] = "accepted for the test"
	}
	return accept
}
