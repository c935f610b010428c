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
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
)

const smallPlan = `
plan: small
lead: Claire
window: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: Europe/Paris}
crew:
  - {name: Claire, roles: [lead]}
  - {name: Karim, roles: [network]}
  - {name: Julien, roles: [tech]}
steps:
  - {id: capture, title: Capture rules, duration: 1h, role: network}
  - {id: shutdown, title: Shut down, duration: 30m, role: tech}
  - {id: move, title: Move, duration: 2h, after: [capture, shutdown], role: tech}
  - {id: validate, title: Validate, duration: 1h, after: [move]}
`

var t0 = time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)

// openLog opens a fresh embedded log, closed when the test ends.
func openLog(t *testing.T) *jetstream.Log {
	t.Helper()
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// setup returns a cutover on a fresh embedded log with the small plan
// started as run "r".
func setup(t *testing.T) (*runbooks.Cutover, *runbooks.ManualClock, events.Log) {
	t.Helper()
	l := openLog(t)
	p, err := planner.Parse("small.yaml", []byte(smallPlan))
	if err != nil {
		t.Fatal(err)
	}
	clk := runbooks.NewManualClock(t0)
	c := &runbooks.Cutover{Log: l, Clock: clk}
	out, err := c.Start(context.Background(), p, "r", "claire")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Appended) != 5 {
		t.Fatalf("start appended %d events, want 5", len(out.Appended))
	}
	return c, clk, l
}

func TestStartRecordsPlanAtomically(t *testing.T) {
	c, _, l := setup(t)
	s := projections.NewStatus()
	if _, err := projections.Replay(context.Background(), l, "r", s); err != nil {
		t.Fatal(err)
	}
	if len(s.Steps) != 4 || s.Plan != "small" || s.TimeZone != "Europe/Paris" {
		t.Fatalf("status after start: %d steps, plan %q, zone %q", len(s.Steps), s.Plan, s.TimeZone)
	}
	got := []string{}
	for _, st := range s.In(projections.Ready) {
		got = append(got, st.ID)
	}
	if strings.Join(got, ",") != "capture,shutdown" {
		t.Errorf("ready after start: %v", got)
	}
	// The first event of the run was recorded by the crew member, spelled
	// as the plan spells the name.
	r, err := c.Load(context.Background(), "r")
	if err != nil || !r.Exists() {
		t.Fatalf("load: %v", err)
	}
	for rec, err := range l.Read(context.Background(), "r", 0) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Actor != "Claire" {
			t.Errorf("event %s recorded with actor %q, want Claire", rec.Type, rec.Actor)
		}
	}
}

func TestCompleteReportsNewlyReady(t *testing.T) {
	ctx := context.Background()
	c, _, _ := setup(t)
	for _, s := range [][2]string{{"capture", "Karim"}, {"shutdown", "Julien"}} {
		if _, err := c.StartStep(ctx, "r", s[0], s[1]); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.CompleteStep(ctx, "r", "capture", "Karim")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.NowReady) != 0 {
		t.Fatalf("finishing capture made %v ready; move still waits for shutdown", out.NowReady)
	}
	out, err = c.CompleteStep(ctx, "r", "shutdown", "Julien")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.NowReady, ",") != "move" {
		t.Fatalf("finishing shutdown made %v ready, want [move]", out.NowReady)
	}
}

func TestStartTwiceRefused(t *testing.T) {
	c, _, _ := setup(t)
	p, _ := planner.Parse("small.yaml", []byte(smallPlan))
	_, err := c.Start(context.Background(), p, "r", "Claire")
	if !errors.Is(err, runbooks.ErrRefused) || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second start of run r: %v", err)
	}
	if _, err := c.Start(context.Background(), p, "bad.name", "Claire"); !errors.Is(err, runbooks.ErrRefused) {
		t.Fatalf("start with a bad run name: %v", err)
	}
	if _, err := c.Start(context.Background(), p, "r2", "Claire"); err != nil {
		t.Fatalf("a second run of the same plan: %v", err)
	}
}

// TestConcurrentStartsOneWins: 20 crew laptops start the same step at once.
// Exactly one wins; every other is told the step is taken (after the
// conflict and one re-check) or that the run changed under it; the log holds
// one start.
func TestConcurrentStartsOneWins(t *testing.T) {
	ctx := context.Background()
	c, _, l := setup(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.StartStep(ctx, "r", "capture", "Karim")
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, runbooks.ErrRefused) && strings.Contains(err.Error(), "already started by Karim"):
		case errors.Is(err, events.ErrConflict):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d concurrent starts succeeded, want 1", wins)
	}
	starts := 0
	for rec, err := range l.Read(ctx, "r", 0) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type == events.TypeStepStarted {
			starts++
		}
	}
	if starts != 1 {
		t.Fatalf("log holds %d step starts, want 1", starts)
	}
}

// TestConcurrentDependentSteps: two people finish the two dependencies of a
// step at the same moment while a third tries to start it. Whatever the
// interleaving, the step never starts before both are done.
func TestConcurrentDependentSteps(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		c, _, l := setup(t)
		for _, s := range [][2]string{{"capture", "Karim"}, {"shutdown", "Julien"}} {
			if _, err := c.StartStep(ctx, "r", s[0], s[1]); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		wg.Add(3)
		go func() { defer wg.Done(); c.CompleteStep(ctx, "r", "capture", "Karim") }()
		go func() { defer wg.Done(); c.CompleteStep(ctx, "r", "shutdown", "Julien") }()
		go func() { defer wg.Done(); c.StartStep(ctx, "r", "move", "Julien") }()
		wg.Wait()
		done := map[string]bool{}
		for rec, err := range l.Read(ctx, "r", 0) {
			if err != nil {
				t.Fatal(err)
			}
			switch rec.Type {
			case events.TypeStepCompleted:
				done[rec.SubjectID()] = true
			case events.TypeStepStarted:
				if rec.SubjectID() == "move" && !(done["capture"] && done["shutdown"]) {
					t.Fatalf("round %d: move started before its dependencies were done", round)
				}
			}
		}
	}
}

// TestReplayEqualsLive: the status folded live while the run happens equals
// the status rebuilt from the log after closing and reopening the data
// directory.
func TestReplayEqualsLive(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := planner.Parse("small.yaml", []byte(smallPlan))
	clk := runbooks.NewManualClock(t0)
	c := &runbooks.Cutover{Log: l, Clock: clk}
	if _, err := c.Start(ctx, p, "r", "Claire"); err != nil {
		t.Fatal(err)
	}
	live := projections.NewStatus()
	wctx, stop := context.WithCancel(ctx)
	watched := make(chan uint64, 100)
	werr := make(chan error, 1)
	go func() {
		werr <- projections.Watch(wctx, l, "r", 0, live, func(r events.Record) { watched <- r.Seq })
	}()
	<-watched // caught up
	sim := &runbooks.Simulation{Cutover: c, Clock: clk, Seed: 7}
	if err := sim.Run(ctx, p, "r"); err != nil {
		t.Fatal(err)
	}
	last, _ := c.Load(ctx, "r")
	for seq := uint64(0); seq < last.LastSeq; {
		select {
		case seq = <-watched:
		case <-time.After(10 * time.Second):
			t.Fatalf("watcher stuck at %d, log at %d", seq, last.LastSeq)
		}
	}
	stop()
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l, err = jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	replayed := projections.NewStatus()
	if _, err := projections.Replay(ctx, l, "r", replayed); err != nil {
		t.Fatal(err)
	}
	if !replayed.Finished() || !live.Finished() {
		t.Fatalf("finished: replayed %v, live %v", replayed.Finished(), live.Finished())
	}
	var a, b strings.Builder
	now := clk.Now()
	projections.WriteStatus(&a, live, now)
	projections.WriteStatus(&b, replayed, now)
	if a.String() != b.String() || live.LastSeq != replayed.LastSeq {
		t.Fatalf("live and replayed status differ:\n--- live (seq %d)\n%s\n--- replayed (seq %d)\n%s", live.LastSeq, a.String(), replayed.LastSeq, b.String())
	}
	for i, st := range live.Steps {
		r := replayed.Steps[i]
		if st.ID != r.ID || st.State() != r.State() || !st.Started.Equal(r.Started) || !st.Done.Equal(r.Done) || st.DoneBy != r.DoneBy {
			t.Errorf("step %s: live %+v, replayed %+v", st.ID, st, r)
		}
	}
}
