package runbooks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
)

// reference starts examples/pa2-pa3.yaml, every warning accepted, with the
// clock at the window's start.
func reference(t *testing.T) (*runbooks.Cutover, *runbooks.ManualClock, *planner.Plan, events.Log) {
	t.Helper()
	p, err := planner.Load("../examples/pa2-pa3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	accept := acceptAll(t, p)
	l := openLog(t)
	store, err := l.Checkpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Commands start from the run's checkpoint, as the CLI's do.
	clk := runbooks.NewManualClock(p.Window.Start)
	c := &runbooks.Cutover{Log: l, Clock: clk, Checkpoints: store}
	if _, err := c.StartWith(context.Background(), p, runbooks.StartOptions{Run: "ref", Actor: p.Lead, Accept: accept}); err != nil {
		t.Fatal(err)
	}
	return c, clk, p, l
}

// A scripted crew runs the whole reference move, through every phase:
// preparation, the move with its gates and cool-downs, and the after phase
// up to the decommission after the grace period.
func TestReferenceMoveEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a whole weekend")
	}
	ctx := context.Background()
	c, clk, p, l := reference(t)
	sim := &runbooks.Simulation{Cutover: c, Clock: clk, Seed: 3}
	if err := sim.Run(ctx, p, "ref"); err != nil {
		t.Fatal(err)
	}
	s := projections.NewStatus()
	if _, err := projections.Replay(ctx, l, "ref", s); err != nil {
		t.Fatal(err)
	}
	if !s.Finished() || s.Skipped != 0 || s.BackingOut {
		t.Fatalf("finished %v, skipped records %d, backing out %v", s.Finished(), s.Skipped, s.BackingOut)
	}
	// A command of another process starts from the run's checkpoint: it
	// sees the run as a replay from scratch does.
	fresh := &runbooks.Cutover{Log: l, Clock: clk, Checkpoints: c.Checkpoints}
	r, err := fresh.Load(ctx, "ref")
	if err != nil {
		t.Fatal(err)
	}
	if r.LastSeq != s.LastSeq || r.Head() != s.Head() || r.Done() != s.Done() || len(r.Ready()) != len(s.Ready()) {
		t.Fatalf("from the checkpoint: seq %d, head %v, done %v; from scratch: seq %d, head %v, done %v",
			r.LastSeq, r.Head(), r.Done(), s.LastSeq, s.Head(), s.Done())
	}
	a, errA := r.Checkpoint()
	b, errB := s.Checkpoint()
	if errA != nil || errB != nil || string(a) != string(b) {
		t.Fatalf("the model from the checkpoint differs from a replay from scratch (%v, %v)", errA, errB)
	}
	counts := map[string]int{}
	for rec, err := range l.Read(ctx, "ref", 0) {
		if err != nil {
			t.Fatal(err)
		}
		counts[rec.Type]++
	}
	// 20 moved assets cool down, and every cool-down ended by its timer.
	if counts[events.TypeCooldownStarted] == 0 || counts[events.TypeCooldownStarted] != counts[events.TypeCooldownElapsed] {
		t.Errorf("cool-downs started %d, elapsed %d", counts[events.TypeCooldownStarted], counts[events.TypeCooldownElapsed])
	}
	if counts[events.TypeGateSigned] < 4 || counts[events.TypeBackoutStarted] != 0 {
		t.Errorf("gate signatures %d, back-outs %d", counts[events.TypeGateSigned], counts[events.TypeBackoutStarted])
	}
	if gate, _ := s.Step("decommission-ftp-1"); gate == nil || gate.State() != projections.Done {
		t.Errorf("decommission-ftp-1 is %v", gate)
	}
}

// The team says no-go at the go/no-go: the move backs out at once, and
// nothing of the move happens.
func TestReferenceNoGoBacksOut(t *testing.T) {
	ctx := context.Background()
	c, _, p, l := reference(t)
	r, err := c.Load(ctx, "ref")
	if err != nil {
		t.Fatal(err)
	}
	// The source's rules are captured (an export holding the plan's
	// rules): the capture-rule steps are done by that fact.
	captured, err := c.CaptureFirewall(ctx, "ref", "Karim Haddad", runbooks.PlanExport(r.Firewall.Plan, events.FirewallRoleSource))
	if err != nil {
		t.Fatal(err)
	}
	r = captured.Run
	// Get everything before the gate done.
	for i := 0; i < 500 && !strings.Contains(strings.Join(r.Ready(), ","), "go-no-go"); i++ {
		progressed := false
		for _, id := range r.Ready() {
			if id == "go-no-go" || id == runbooks.PointOfNoReturnGate {
				continue
			}
			who := crewFor(p, r, id)
			st := r.Find(id)
			if _, err := c.StartStep(ctx, "ref", id, who); err != nil {
				t.Fatalf("start %s: %v", id, err)
			}
			if st.Kind == events.KindAck {
				// Acknowledged on the phone: the acknowledgement completes
				// the step.
				out, err := c.AcknowledgeNotice(ctx, "ref", who, st.Stakeholder, st.Stakeholder+" contact", "phone", "")
				if err != nil {
					t.Fatalf("acknowledge %s: %v", id, err)
				}
				r, progressed = out.Run, true
				continue
			}
			if st.Kind == events.KindReviewRule {
				// Reviewed as the plan says: the review completes the step.
				out, err := c.ReviewFirewallRule(ctx, "ref", who, st.Rule, events.FirewallDecisionKeep, "kept, as the plan says")
				if err != nil {
					t.Fatalf("review %s: %v", id, err)
				}
				r, progressed = out.Run, true
				continue
			}
			out, err := c.CompleteStep(ctx, "ref", id, who)
			if err != nil {
				t.Fatalf("finish %s: %v", id, err)
			}
			r, progressed = out.Run, true
		}
		if !progressed {
			t.Fatalf("stuck before the gate; ready %v", r.Ready())
		}
	}
	out := must(t)(c.SignGate(ctx, "ref", "go-no-go", "Claire Martin", "no-go", "PA3 cage not handed over by Equinix"))
	if !out.Run.BackingOut {
		t.Fatal("a no-go did not back the move out")
	}
	_, err = c.StartStep(ctx, "ref", "enter-degraded-mode", crewFor(p, out.Run, "enter-degraded-mode"))
	refused(t, err, "cancelled when the move backed out")
	s := projections.NewStatus()
	if _, err := projections.Replay(ctx, l, "ref", s); err != nil {
		t.Fatal(err)
	}
	if !s.BackingOut || s.Counts()[projections.Cancelled] < 100 || !s.Finished() {
		t.Fatalf("backing out %v, cancelled %d, finished %v", s.BackingOut, s.Counts()[projections.Cancelled], s.Finished())
	}
}

// crewFor returns a crew member who can do the step.
func crewFor(p *planner.Plan, r *runbooks.Run, id string) string {
	role := r.Role(id)
	for _, m := range p.Crew {
		for _, x := range m.Roles {
			if x == role {
				return m.Name
			}
		}
	}
	return p.Lead
}
