package projections_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
)

// openLog opens a log on a fresh embedded server.
func openLog(tb testing.TB) *jetstream.Log {
	tb.Helper()
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

// referenceRun records run in l: the reference plan started through the
// runbooks (with whatever its steps carry today), a simulated crew's first
// actions, then what the crew did not get to: failures and retries, a skip,
// blocks, gate signatures, cool-downs elapsed and forced, degraded mode twice,
// a record of an unknown type, and a back-out.
func referenceRun(tb testing.TB, l events.Log, run string) {
	tb.Helper()
	ctx := context.Background()
	p, err := planner.Load("../examples/pa2-pa3.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	rb, err := runbooks.Expand(p)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1, Samples: -1})
	if err != nil {
		tb.Fatal(err)
	}
	accept := map[string]string{}
	for _, f := range a.Findings {
		accept[f.ID] = "accepted for the test"
	}
	clk := runbooks.NewManualClock(p.Window.Start.Add(-time.Hour))
	c := &runbooks.Cutover{Log: l, Clock: clk}
	if _, err := c.StartWith(ctx, p, runbooks.StartOptions{Run: run, Actor: p.Lead, Accept: accept}); err != nil {
		tb.Fatal(err)
	}
	simCtx, stop := context.WithCancel(ctx)
	actions := 0
	sim := &runbooks.Simulation{Cutover: c, Clock: clk, Seed: 3, Report: func(runbooks.Action) {
		if actions++; actions == 20 {
			stop()
		}
	}}
	if err := sim.Run(simCtx, p, run); err != nil && !errors.Is(err, context.Canceled) {
		tb.Fatal(err)
	}
	stop()

	s := projections.NewStatus()
	if _, err := projections.Replay(ctx, l, run, s); err != nil {
		tb.Fatal(err)
	}
	at := clk.Now()
	var evs []events.Envelope
	add := func(subject string, ev events.Event) {
		at = at.Add(time.Minute)
		e, err := events.New(at, events.Origin{Run: run, Plan: p.Name, Actor: p.Lead}, subject, ev)
		if err != nil {
			tb.Fatal(err)
		}
		evs = append(evs, e)
	}
	var pending, timers, stops, gates, backout []*projections.Step
	for _, st := range s.Steps {
		switch {
		case st.BackoutOnly:
			backout = append(backout, st)
		case st.Kind == events.KindCooldown && st.State() != projections.Done:
			timers = append(timers, st)
		case st.Kind == events.KindStopService && st.State() != projections.Done:
			stops = append(stops, st)
		case st.Gate && st.State() != projections.Done:
			gates = append(gates, st)
		case st.State() == projections.Pending || st.State() == projections.Ready:
			pending = append(pending, st)
		}
	}
	if len(pending) < 7 || len(timers) < 3 || len(stops) < 2 || len(gates) < 1 || len(backout) < 2 {
		tb.Fatalf("the reference run lacks steps to script: %d pending, %d timers, %d stops, %d gates, %d back-out",
			len(pending), len(timers), len(stops), len(gates), len(backout))
	}
	step := func(st *projections.Step) string { return "step/" + st.ID }
	// Failed, retried, done; failed and left so; skipped; blocked and
	// unblocked; blocked; started.
	f := pending[0]
	add(step(f), events.StepStarted{Step: f.ID})
	add(step(f), events.StepFailed{Step: f.ID, Reason: "disk did not spin up"})
	add(step(f), events.StepRetried{Step: f.ID, Reason: "disk replaced"})
	add(step(f), events.StepStarted{Step: f.ID})
	add(step(f), events.StepCompleted{Step: f.ID})
	add(step(pending[1]), events.StepStarted{Step: pending[1].ID})
	add(step(pending[1]), events.StepFailed{Step: pending[1].ID, Reason: "rails missing"})
	add(step(pending[2]), events.StepSkipped{Step: pending[2].ID, Reason: "done last week"})
	add(step(pending[3]), events.StepBlocked{Step: pending[3].ID, Reason: "badge refused"})
	add(step(pending[3]), events.StepUnblocked{Step: pending[3].ID, Reason: "badge fixed"})
	add(step(pending[4]), events.StepBlocked{Step: pending[4].ID, Reason: "waiting for Equinix"})
	add(step(pending[5]), events.StepStarted{Step: pending[5].ID})
	add("step/"+gates[0].ID, events.GateSigned{Gate: gates[0].ID, Role: "network", Decision: "go", Reason: "rules tested"})
	// Degraded mode, with services stopped on purpose or not.
	var down []string
	for _, sv := range s.Services {
		if !sv.Vital {
			down = append(down, sv.ID)
		}
	}
	add("", events.DegradedEntered{Reason: "the move", Down: down})
	add(step(stops[0]), events.StepStarted{Step: stops[0].ID})
	add("", events.DegradedLeft{Reason: "short break"})
	add("", events.DegradedEntered{Reason: "the move again", Down: down[:1]})
	add(step(stops[1]), events.StepStarted{Step: stops[1].ID})
	// Cool-downs: one elapses, one is forced, one still runs.
	for i, st := range timers[:3] {
		add(step(st), events.StepStarted{Step: st.ID})
		add(step(st), events.CooldownStarted{Asset: st.Asset, Step: st.ID, Until: at.Add(time.Duration(15+i) * time.Minute)})
	}
	add("", events.CooldownElapsed{Asset: timers[0].Asset, Due: at})
	add("", events.CooldownForced{Asset: timers[1].Asset, Reason: "hands-on now"})
	unknown, err := events.New(at, events.Origin{Run: run, Actor: p.Lead}, "", events.DegradedLeft{Reason: "x"})
	if err != nil {
		tb.Fatal(err)
	}
	unknown.Type = "dcmove.teleporter.engaged"
	evs = append(evs, unknown)
	add("", events.BackoutStarted{Reason: "PA3 power feed failed", Steps: []string{backout[0].ID, backout[1].ID},
		Cancelled: []string{pending[6].ID, timers[2].ID}})
	add(step(backout[0]), events.StepStarted{Step: backout[0].ID})
	if _, err := l.Append(ctx, run, events.AnySequence, evs...); err != nil {
		tb.Fatal(err)
	}
}

// reference holds the envelopes of the reference run, recorded once for
// all the tests.
var reference struct {
	sync.Once
	envs []events.Envelope
}

// referenceLog returns a log holding a copy of the reference run under each
// of runs, and the number of records of one copy.
func referenceLog(t *testing.T, runs ...string) (*jetstream.Log, int) {
	t.Helper()
	ctx := context.Background()
	reference.Do(func() {
		dir, err := os.MkdirTemp("", "dcmove-reference-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		referenceRun(t, l, "ref")
		var envs []events.Envelope
		for r, err := range l.Read(ctx, "ref", 0) {
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, r.Envelope)
		}
		reference.envs = envs
	})
	if len(reference.envs) == 0 {
		t.Fatal("no reference run: see the first test that recorded it")
	}
	l := openLog(t)
	for _, run := range runs {
		var seq uint64
		for batch := range slices.Chunk(reference.envs, events.MaxBatch) {
			evs := slices.Clone(batch)
			for i := range evs {
				// Ids are unique across the log.
				evs[i].Run, evs[i].ID = run, run+"-"+evs[i].ID
			}
			var err error
			if seq, err = l.Append(ctx, run, seq, evs...); err != nil {
				t.Fatal(err)
			}
		}
	}
	return l, len(reference.envs)
}

// referenceRecords returns the records of the reference run.
func referenceRecords(t *testing.T) []events.Record {
	t.Helper()
	l, _ := referenceLog(t, "ref")
	var recs []events.Record
	for r, err := range l.Read(context.Background(), "ref", 0) {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return recs
}

// difference names the first field in which got and want differ, or returns
// "" if they are deeply equal.
func difference(got, want any) string {
	var walk func(path string, g, w reflect.Value) string
	walk = func(path string, g, w reflect.Value) string {
		switch {
		case g.Kind() == reflect.Pointer && !g.IsNil() && !w.IsNil():
			return walk(path, g.Elem(), w.Elem())
		case g.Kind() == reflect.Struct && g.Type() != reflect.TypeFor[time.Time]():
			// Field by field, never the whole struct at once: a step
			// points back at its run, and comparing that deeply for
			// every step costs the square of the run.
			for i := range g.NumField() {
				f := g.Type().Field(i)
				if notState[f.Name] {
					continue // compared through Run.Head, or an index or back pointer
				}
				if d := walk(path+"."+f.Name, unexported(g.Field(i)), unexported(w.Field(i))); d != "" {
					return d
				}
			}
			return ""
		case g.Kind() == reflect.Slice && g.Len() == w.Len() && g.IsNil() == w.IsNil():
			for i := range g.Len() {
				if d := walk(fmt.Sprintf("%s[%d]", path, i), g.Index(i), w.Index(i)); d != "" {
					return d
				}
			}
			return ""
		case reflect.DeepEqual(g.Interface(), w.Interface()):
			return ""
		}
		return fmt.Sprintf("%s: got %#v, want %#v", path, g.Interface(), w.Interface())
	}
	return walk("", reflect.ValueOf(got), reflect.ValueOf(want))
}

// same reports whether two statuses hold the same state and chain the next
// event to the same record.
func same(a, b *projections.Status) bool {
	return difference(a, b) == "" && a.Head() == b.Head()
}

// notState are the fields of the run's model that hold no state of their
// own: a step's pointer back to its run, the index of the steps by id, and
// the last record, which a
// checkpoint keeps only as the link the next event chains to (compared
// through Run.Head).
var notState = map[string]bool{"run": true, "last": true, "hasLast": true, "head": true, "byID": true}

// unexported makes an unexported field's value readable.
func unexported(v reflect.Value) reflect.Value {
	if v.CanInterface() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

func writeStatus(t *testing.T, s *projections.Status) string {
	t.Helper()
	var b bytes.Buffer
	if err := projections.WriteStatus(&b, s, s.LastEvent.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func checkpoint(t *testing.T, s *projections.Status) []byte {
	t.Helper()
	b, err := s.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A status restored from a checkpoint taken anywhere in a real run, then fed
// the rest of the run, is the status replayed from scratch: every field,
// unexported ones included, and what it prints. A field the snapshot misses
// fails here.
func TestStatusFromCheckpointEqualsReplay(t *testing.T) {
	recs := referenceRecords(t)
	full := projections.NewStatus()
	fold(full, recs)
	wantText, wantSnap := writeStatus(t, full), checkpoint(t, full)
	if full.Skipped == 0 || !full.BackingOut || len(full.Cooling) == 0 || !full.Degraded {
		t.Fatalf("the reference run does not reach what it should: skipped %d, backing out %v, cooling %v, degraded %v",
			full.Skipped, full.BackingOut, full.Cooling, full.Degraded)
	}
	s := projections.NewStatus()
	for i, r := range recs {
		s.Apply(r)
		if i%29 != 0 && i < len(recs)-8 {
			continue // every 29th record, and each of the last 8
		}
		restored := projections.NewStatus()
		if err := restored.Restore(checkpoint(t, s)); err != nil {
			t.Fatalf("restore at record %d: %v", i, err)
		}
		if d := difference(restored, s); d != "" {
			t.Fatalf("restored at record %d (seq %d) differs from the status it was taken from: %s", i, r.Seq, d)
		}
		if restored.Head() != s.Head() {
			t.Fatalf("restored at record %d (seq %d) chains to %v, not %v", i, r.Seq, restored.Head(), s.Head())
		}
		fold(restored, recs[i+1:])
		if d := difference(restored, full); d != "" {
			t.Fatalf("checkpoint at record %d (seq %d) + the rest differs from a replay from scratch: %s", i, r.Seq, d)
		}
		if got := checkpoint(t, restored); !bytes.Equal(got, wantSnap) {
			t.Fatalf("checkpoint at record %d + the rest snapshots differently:\n%s\n%s", i, got, wantSnap)
		}
		if got := writeStatus(t, restored); got != wantText {
			t.Fatalf("checkpoint at record %d + the rest prints differently:\n%s\n--- from scratch:\n%s", i, got, wantText)
		}
	}
}

// checkpointed replays run through a fresh status and the store, and returns
// the status and how many records it applied.
func checkpointed(t *testing.T, l events.Log, store events.CheckpointStore, run string, f projections.Checkpointed) int {
	t.Helper()
	n, err := projections.ReplayCheckpointed(context.Background(), l, store, run, f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func replayed(t *testing.T, l events.Log, run string) *projections.Status {
	t.Helper()
	s := projections.NewStatus()
	if _, err := projections.Replay(context.Background(), l, run, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReplayCheckpointedReadsOnlyTheTail(t *testing.T) {
	ctx := context.Background()
	l, total := referenceLog(t, "ref", "other")
	store, err := l.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first := projections.NewStatus()
	if n := checkpointed(t, l, store, "ref", first); n != total {
		t.Fatalf("first replay applied %d records, want all %d", n, total)
	}
	want := replayed(t, l, "ref")
	if !same(first, want) {
		t.Fatal("a first checkpointed replay differs from a replay")
	}
	second := projections.NewStatus()
	if n := checkpointed(t, l, store, "ref", second); n != 0 {
		t.Fatalf("second replay applied %d records, want none: the checkpoint holds them all", n)
	}
	if !same(second, want) {
		t.Fatal("a status restored from its checkpoint differs from a replay")
	}

	// Three more events: the next replay applies those three only.
	seq := want.LastSeq
	for _, ev := range []events.Event{events.DegradedLeft{Reason: "back"}, events.DegradedEntered{Reason: "again"}, events.DegradedLeft{Reason: "done"}} {
		e, err := events.New(want.LastEvent.Add(time.Minute), events.Origin{Run: "ref", Actor: "Claire"}, "", ev)
		if err != nil {
			t.Fatal(err)
		}
		if seq, err = l.Append(ctx, "ref", seq, e); err != nil {
			t.Fatal(err)
		}
	}
	third := projections.NewStatus()
	if n := checkpointed(t, l, store, "ref", third); n != 3 {
		t.Fatalf("third replay applied %d records, want the 3 appended since", n)
	}
	if !same(third, replayed(t, l, "ref")) {
		t.Fatal("checkpoint + tail differs from a replay")
	}

	// Checkpoints along the way: the last one is at the last record.
	other := projections.NewStatus()
	if _, err := projections.ReplayCheckpointed(ctx, l, store, "other", other, projections.CheckpointEvery(100)); err != nil {
		t.Fatal(err)
	}
	cp, err := store.Load(ctx, events.CheckpointKey("run", "other"))
	if err != nil || cp.Seq != other.LastSeq {
		t.Fatalf("checkpoint of other at %d (%v), want at its last record %d", cp.Seq, err, other.LastSeq)
	}

	// A long replay saves a few checkpoints, not one every 10 records: each
	// costs the size of the state, so that would cost the square of the
	// run (85 s for a command reading a run of 28,000 events).
	counting := &countingStore{CheckpointStore: store}
	long := projections.NewStatus()
	if _, err := projections.ReplayCheckpointed(ctx, l, counting, "ref", long, projections.CheckpointEvery(10)); err != nil {
		t.Fatal(err)
	}
	if limit := 2 + bits.Len64(long.LastSeq/10); counting.saves < 2 || counting.saves > limit {
		t.Fatalf("a replay of %d records saved %d checkpoints; want between 2 and %d", long.LastSeq, counting.saves, limit)
	}
}

// countingStore counts the checkpoints saved; it loads none, so that a
// replay starts from the first record.
type countingStore struct {
	events.CheckpointStore
	saves int
}

func (s *countingStore) Load(context.Context, string) (events.Checkpoint, error) {
	return events.Checkpoint{}, events.ErrNoCheckpoint
}

func (s *countingStore) Save(ctx context.Context, key string, cp events.Checkpoint) error {
	s.saves++
	return s.CheckpointStore.Save(ctx, key, cp)
}

// olderStatus is the status as an older dcmove checkpointed it.
type olderStatus struct{ *projections.Status }

func (olderStatus) CheckpointVersion() string { return "0-older" }

func TestReplayCheckpointedRebuildsWhatItCannotUse(t *testing.T) {
	ctx := context.Background()
	l, total := referenceLog(t, "ref")
	store, err := l.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := replayed(t, l, "ref")
	key := events.CheckpointKey("run", "ref")
	good, err := want.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	var lastID string
	for r, err := range l.Read(ctx, "ref", want.LastSeq) {
		if err != nil {
			t.Fatal(err)
		}
		lastID = r.ID
	}
	version := want.CheckpointVersion()
	tests := []struct {
		name  string
		saved func() error
	}{
		{"older version", func() error {
			_, err := projections.ReplayCheckpointed(ctx, l, store, "ref", olderStatus{projections.NewStatus()})
			return err
		}},
		{"state not JSON", func() error {
			return store.Save(ctx, key, events.Checkpoint{Version: version, Seq: want.LastSeq, ID: lastID, State: []byte("{\"Steps\":[{\"ID\":")})
		}},
		{"state of another shape", func() error {
			return store.Save(ctx, key, events.Checkpoint{Version: version, Seq: want.LastSeq, ID: lastID, State: []byte(`{"Steps":[{"ID":"a","State":"bogus"}],"LastSeq":3}`)})
		}},
		{"state empty", func() error {
			return store.Save(ctx, key, events.Checkpoint{Version: version, Seq: want.LastSeq, ID: lastID, State: []byte("null")})
		}},
		{"last record not in the log", func() error {
			return store.Save(ctx, key, events.Checkpoint{Version: version, Seq: want.LastSeq, ID: "from-a-deleted-log", State: good})
		}},
		{"beyond the end of the log", func() error {
			return store.Save(ctx, key, events.Checkpoint{Version: version, Seq: want.LastSeq + 1000, ID: lastID, State: good})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.saved(); err != nil {
				t.Fatal(err)
			}
			s := projections.NewStatus()
			if n := checkpointed(t, l, store, "ref", s); n != total {
				t.Fatalf("applied %d records, want a rebuild from the start (%d)", n, total)
			}
			if !same(s, want) {
				t.Fatal("the rebuilt status differs from a replay")
			}
			// The rebuild left a good checkpoint behind.
			if n := checkpointed(t, l, store, "ref", projections.NewStatus()); n != 0 {
				t.Fatalf("after the rebuild, a replay applied %d records, want none", n)
			}
		})
	}
}

// difference finds a change deep in a step, and ignores only what holds no
// state of its own.
func TestDifferenceFindsAChange(t *testing.T) {
	s := projections.NewStatus()
	fold(s, referenceRecords(t))
	c := s.Clone()
	if d := difference(c, s); d != "" || !same(c, s) {
		t.Fatalf("a clone differs: %s", d)
	}
	c.Steps[len(c.Steps)/2].DoneBy = "Mallory"
	if d := difference(c, s); !strings.Contains(d, ".DoneBy") {
		t.Fatalf("a changed DoneBy is not found: %q", d)
	}
	c = s.Clone()
	c.Cooling["fw-1"] = time.Time{}
	if d := difference(c, s); !strings.Contains(d, ".Cooling") {
		t.Fatalf("a changed cool-down is not found: %q", d)
	}
}
