// Package logtest is the conformance suite every [events.Log] implementation
// must pass, in the manner of testing/slogtest.
package logtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
)

// Run runs the suite. open returns a new, empty log; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) events.Log) {
	tests := []struct {
		name string
		fn   func(t *testing.T, l events.Log)
	}{
		{"AppendThenRead", appendThenRead},
		{"BatchIsAtomic", batchIsAtomic},
		{"SameIDStoredOnce", sameIDStoredOnce},
		{"StaleWriterConflicts", staleWriterConflicts},
		{"ConcurrentWritersOneWins", concurrentWritersOneWins},
		{"RunsAreApart", runsAreApart},
		{"ReadFrom", readFrom},
		{"FollowSeesNewEvents", followSeesNewEvents},
		{"LastRun", lastRun},
		{"RejectsBadEnvelope", rejectsBadEnvelope},
		{"ScheduledEventArrives", scheduledEventArrives},
		{"ScheduledInThePastArrives", scheduledInThePastArrives},
		{"TimersOnOneTopicAllArrive", timersOnOneTopicAllArrive},
		{"ScheduleRetryFiresOnce", scheduleRetryFiresOnce},
		{"ScheduleRejectsBadEnvelope", scheduleRejectsBadEnvelope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := open(t)
			t.Cleanup(func() { l.Close() })
			tt.fn(t, l)
		})
	}
}

var t0 = time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)

func env(t *testing.T, run, step string, ev events.Event) events.Envelope {
	t.Helper()
	subject := ""
	if step != "" {
		subject = "step/" + step
	}
	e, err := events.New(t0, events.Origin{Run: run, Plan: "p", Actor: "alice"}, subject, ev)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func started(t *testing.T, run string) events.Envelope {
	return env(t, run, "", events.CutoverStarted{Plan: "p", Steps: 1})
}

func readAll(t *testing.T, l events.Log, run string, from uint64) []events.Record {
	t.Helper()
	var out []events.Record
	for r, err := range l.Read(context.Background(), run, from) {
		if err != nil {
			t.Fatalf("read %s: %v", run, err)
		}
		out = append(out, r)
	}
	return out
}

func mustAppend(t *testing.T, l events.Log, run string, after uint64, evs ...events.Envelope) uint64 {
	t.Helper()
	seq, err := l.Append(context.Background(), run, after, evs...)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return seq
}

func appendThenRead(t *testing.T, l events.Log) {
	batch := []events.Envelope{
		started(t, "r1"),
		env(t, "r1", "a", events.StepPlanned{Step: "a", Title: "A", Likely: events.Duration(time.Hour)}),
		env(t, "r1", "b", events.StepPlanned{Step: "b", Title: "B", After: []string{"a"}}),
	}
	seq := mustAppend(t, l, "r1", 0, batch...)
	one := env(t, "r1", "a", events.StepStarted{Step: "a"})
	seq2 := mustAppend(t, l, "r1", seq, one)
	if seq2 <= seq {
		t.Fatalf("sequence went from %d to %d", seq, seq2)
	}
	got := readAll(t, l, "r1", 0)
	want := append(batch, one)
	if len(got) != len(want) {
		t.Fatalf("read %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		if r.Malformed != nil {
			t.Fatalf("record %d malformed: %v", i, r.Malformed)
		}
		if r.ID != want[i].ID || r.Type != want[i].Type || r.Subject != want[i].Subject ||
			r.Actor != "alice" || r.Plan != "p" || !r.Time.Equal(t0) || string(r.Data) != string(want[i].Data) {
			t.Errorf("record %d = %+v, want %+v", i, r.Envelope, want[i])
		}
		if i > 0 && r.Seq <= got[i-1].Seq {
			t.Errorf("record %d seq %d not after %d", i, r.Seq, got[i-1].Seq)
		}
	}
	if got[len(got)-1].Seq != seq2 {
		t.Errorf("last seq %d, append returned %d", got[len(got)-1].Seq, seq2)
	}
	ev, err := got[1].Decode()
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := ev.(events.StepPlanned); !ok || p.Step != "a" || p.Likely != events.Duration(time.Hour) {
		t.Errorf("decoded %#v", ev)
	}
}

func batchIsAtomic(t *testing.T, l events.Log) {
	seq := mustAppend(t, l, "r1", 0, started(t, "r1"))
	// A stale batch stores nothing.
	_, err := l.Append(context.Background(), "r1", 0,
		env(t, "r1", "a", events.StepStarted{Step: "a"}),
		env(t, "r1", "b", events.StepStarted{Step: "b"}))
	if !errors.Is(err, events.ErrConflict) {
		t.Fatalf("stale batch: err = %v, want ErrConflict", err)
	}
	// A batch with one bad envelope stores nothing.
	bad := env(t, "r1", "b", events.StepStarted{Step: "b"})
	bad.Type = ""
	if _, err := l.Append(context.Background(), "r1", seq, env(t, "r1", "a", events.StepStarted{Step: "a"}), bad); err == nil {
		t.Fatal("batch with a bad envelope: no error")
	}
	if got := readAll(t, l, "r1", 0); len(got) != 1 {
		t.Fatalf("log holds %d records after two failed batches, want 1", len(got))
	}
}

func sameIDStoredOnce(t *testing.T, l events.Log) {
	e := started(t, "r1")
	s1 := mustAppend(t, l, "r1", events.AnySequence, e)
	s2 := mustAppend(t, l, "r1", events.AnySequence, e)
	if s1 != s2 {
		t.Errorf("retry stored at %d, first at %d", s2, s1)
	}
	// A retried single command carrying its original expectation is still
	// recognised as a retry, not a conflict.
	a := env(t, "r1", "a", events.StepStarted{Step: "a"})
	s3 := mustAppend(t, l, "r1", s1, a)
	if s4, err := l.Append(context.Background(), "r1", s1, a); err != nil || s4 != s3 {
		t.Errorf("retry with its original expectation: seq %d err %v, want %d nil", s4, err, s3)
	}
	// A retried batch stores nothing the second time, with or without its
	// expectation.
	b := []events.Envelope{env(t, "r1", "b", events.StepStarted{Step: "b"}), env(t, "r1", "c", events.StepStarted{Step: "c"})}
	s5 := mustAppend(t, l, "r1", s3, b...)
	for _, after := range []uint64{s3, events.AnySequence} {
		if s6, err := l.Append(context.Background(), "r1", after, b...); err != nil || s6 != s5 {
			t.Errorf("retried batch (after %d): seq %d err %v, want %d nil", after, s6, err, s5)
		}
	}
	// A batch that repeats one stored id next to a new one is refused whole.
	c := env(t, "r1", "d", events.StepStarted{Step: "d"})
	if _, err := l.Append(context.Background(), "r1", events.AnySequence, b[0], c); !errors.Is(err, events.ErrDuplicate) {
		t.Errorf("batch mixing stored and new ids: err = %v, want ErrDuplicate", err)
	}
	if got := readAll(t, l, "r1", 0); len(got) != 4 {
		t.Fatalf("log holds %d records, want 4", len(got))
	}
}

func staleWriterConflicts(t *testing.T, l events.Log) {
	s1 := mustAppend(t, l, "r1", 0, started(t, "r1"))
	mustAppend(t, l, "r1", s1, env(t, "r1", "a", events.StepStarted{Step: "a"}))
	_, err := l.Append(context.Background(), "r1", s1, env(t, "r1", "a", events.StepStarted{Step: "a"}))
	if !errors.Is(err, events.ErrConflict) {
		t.Fatalf("stale append: err = %v, want ErrConflict", err)
	}
	// A run that already exists cannot be started again.
	if _, err := l.Append(context.Background(), "r1", 0, started(t, "r1")); !errors.Is(err, events.ErrConflict) {
		t.Fatalf("second start: err = %v, want ErrConflict", err)
	}
}

func concurrentWritersOneWins(t *testing.T, l events.Log) {
	seq := mustAppend(t, l, "r1", 0, started(t, "r1"))
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = l.Append(context.Background(), "r1", seq, env(t, "r1", "a", events.StepStarted{Step: "a"}))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, events.ErrConflict):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d writers succeeded, want exactly 1", ok)
	}
	if got := readAll(t, l, "r1", 0); len(got) != 2 {
		t.Fatalf("log holds %d records, want 2", len(got))
	}
}

func runsAreApart(t *testing.T, l events.Log) {
	a := mustAppend(t, l, "ra", 0, started(t, "ra"))
	mustAppend(t, l, "rb", 0, started(t, "rb"))
	// rb moved on, but ra did not: a writer of ra that read up to a is
	// still current.
	mustAppend(t, l, "ra", a, env(t, "ra", "x", events.StepStarted{Step: "x"}))
	if got := readAll(t, l, "ra", 0); len(got) != 2 {
		t.Fatalf("run ra holds %d records, want 2", len(got))
	}
	if got := readAll(t, l, "rb", 0); len(got) != 1 {
		t.Fatalf("run rb holds %d records, want 1", len(got))
	}
	if got := readAll(t, l, "nobody", 0); len(got) != 0 {
		t.Fatalf("unknown run holds %d records", len(got))
	}
	if _, err := l.Append(context.Background(), "ra", events.AnySequence, started(t, "rb")); err == nil {
		t.Fatal("append of an envelope of run rb to run ra: no error")
	}
}

func readFrom(t *testing.T, l events.Log) {
	var seqs []uint64
	last := uint64(0)
	for i := range 5 {
		last = mustAppend(t, l, "r1", last, env(t, "r1", fmt.Sprintf("s%d", i), events.StepStarted{Step: fmt.Sprintf("s%d", i)}))
		seqs = append(seqs, last)
	}
	got := readAll(t, l, "r1", seqs[2])
	if len(got) != 3 || got[0].Seq != seqs[2] {
		t.Fatalf("read from %d: %d records starting at %v", seqs[2], len(got), got)
	}
	if got := readAll(t, l, "r1", last+1); len(got) != 0 {
		t.Fatalf("read past the end: %d records", len(got))
	}
}

func followSeesNewEvents(t *testing.T, l events.Log) {
	seq := mustAppend(t, l, "r1", 0, started(t, "r1"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan events.Record, 10)
	done := make(chan error, 1)
	go func() {
		for r, err := range l.Follow(ctx, "r1", 0) {
			if err != nil {
				done <- err
				return
			}
			got <- r
			if r.Type == events.TypeStepCompleted {
				done <- nil
				return
			}
		}
		done <- errors.New("follow ended")
	}()
	if r := <-got; r.Seq != seq {
		t.Fatalf("first followed record seq %d, want %d", r.Seq, seq)
	}
	seq = mustAppend(t, l, "r1", seq, env(t, "r1", "a", events.StepStarted{Step: "a"}))
	mustAppend(t, l, "r1", seq, env(t, "r1", "a", events.StepCompleted{Step: "a"}))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(got); n != 2 {
		t.Fatalf("follow delivered %d more records, want 2", n)
	}
}

func lastRun(t *testing.T, l events.Log) {
	if _, err := l.LastRun(context.Background()); !errors.Is(err, events.ErrNoRun) {
		t.Fatalf("empty log: err = %v, want ErrNoRun", err)
	}
	s := mustAppend(t, l, "first", 0, started(t, "first"))
	mustAppend(t, l, "second", 0, started(t, "second"))
	mustAppend(t, l, "first", s, env(t, "first", "a", events.StepStarted{Step: "a"}))
	got, err := l.LastRun(context.Background())
	if err != nil || got != "second" {
		t.Fatalf("LastRun = %q, %v; want second", got, err)
	}
}

func rejectsBadEnvelope(t *testing.T, l events.Log) {
	tests := []struct {
		name string
		edit func(*events.Envelope)
	}{
		{"empty id", func(e *events.Envelope) { e.ID = "" }},
		{"run with a dot", func(e *events.Envelope) { e.Run = "r.1" }},
		{"subject without kind", func(e *events.Envelope) { e.Subject = "a" }},
		{"zero time", func(e *events.Envelope) { e.Time = time.Time{} }},
	}
	for _, tt := range tests {
		e := started(t, "r1")
		tt.edit(&e)
		if _, err := l.Append(context.Background(), e.Run, events.AnySequence, e); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if got := readAll(t, l, "r1", 0); len(got) != 0 {
		t.Fatalf("log holds %d records after bad appends", len(got))
	}
}

// timerWait is how long a test waits for a timer to fire: generous, since
// the server's schedules have one-second resolution.
const timerWait = 10 * time.Second

// awaitRecords follows run from sequence from until it has seen n records or
// timerWait passes, and returns what it saw.
func awaitRecords(t *testing.T, l events.Log, run string, from uint64, n int) []events.Record {
	t.Helper()
	return awaitUntil(t, l, run, from, func(got []events.Record) bool { return len(got) == n })
}

// awaitUntil follows run from sequence from until done says the records seen
// are enough or timerWait passes, and returns what it saw.
func awaitUntil(t *testing.T, l events.Log, run string, from uint64, done func([]events.Record) bool) []events.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timerWait)
	defer cancel()
	var got []events.Record
	for r, err := range l.Follow(ctx, run, from) {
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatalf("follow %s after %d records: %v", run, len(got), err)
		}
		got = append(got, r)
		if done(got) {
			break
		}
	}
	return got
}

func mustSchedule(t *testing.T, l events.Log, e events.Envelope, at time.Time) {
	t.Helper()
	if err := l.Schedule(context.Background(), e, at); err != nil {
		t.Fatalf("schedule: %v", err)
	}
}

// cooldown is the event a cool-down timer fires.
func cooldown(t *testing.T, run, asset string) events.Envelope {
	t.Helper()
	e, err := events.New(t0, events.Origin{Run: run, Plan: "p", Actor: "dcmove"}, "asset/"+asset,
		events.CooldownElapsed{Asset: asset, Due: t0.Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func scheduledEventArrives(t *testing.T, l events.Log) {
	seq := mustAppend(t, l, "r1", 0, started(t, "r1"))
	e := cooldown(t, "r1", "web1")
	at := time.Now().Add(time.Second)
	mustSchedule(t, l, e, at)
	got := awaitRecords(t, l, "r1", seq+1, 1)
	if len(got) != 1 {
		t.Fatalf("the scheduled event did not arrive within %s", timerWait)
	}
	r := got[0]
	if r.Malformed != nil {
		t.Fatalf("scheduled event malformed: %v", r.Malformed)
	}
	if r.ID != e.ID || r.Type != e.Type || r.Subject != e.Subject || string(r.Data) != string(e.Data) {
		t.Errorf("arrived %+v, scheduled %+v", r.Envelope, e)
	}
	if !r.Time.Equal(at) {
		t.Errorf("arrived with time %s, want the due time %s", r.Time, at)
	}
	if r.Seq <= seq {
		t.Errorf("arrived at seq %d, not after %d", r.Seq, seq)
	}
	// The run moved on: a writer that read it before the timer fired is
	// stale.
	if _, err := l.Append(context.Background(), "r1", seq, env(t, "r1", "a", events.StepStarted{Step: "a"})); !errors.Is(err, events.ErrConflict) {
		t.Fatalf("append with the expectation from before the timer: err = %v, want ErrConflict", err)
	}
	mustAppend(t, l, "r1", r.Seq, env(t, "r1", "a", events.StepStarted{Step: "a"}))
}

func scheduledInThePastArrives(t *testing.T, l events.Log) {
	e := cooldown(t, "r1", "web1")
	mustSchedule(t, l, e, time.Now().Add(-time.Hour))
	got := awaitRecords(t, l, "r1", 0, 1)
	if len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("an event due an hour ago did not arrive within %s: %v", timerWait, got)
	}
}

func timersOnOneTopicAllArrive(t *testing.T, l events.Log) {
	// Two timers on the same step (and a third on another run) neither
	// replace nor hide each other.
	at := time.Now().Add(time.Second)
	a, b := cooldown(t, "r1", "web1"), cooldown(t, "r1", "web1")
	other := cooldown(t, "r2", "web1")
	for _, e := range []events.Envelope{a, b, other} {
		mustSchedule(t, l, e, at)
	}
	got := awaitRecords(t, l, "r1", 0, 2)
	ids := map[string]bool{}
	for _, r := range got {
		ids[r.ID] = true
	}
	if len(got) != 2 || !ids[a.ID] || !ids[b.ID] {
		t.Fatalf("run r1 received %v, want the two timers %s and %s", got, a.ID, b.ID)
	}
	if got := awaitRecords(t, l, "r2", 0, 1); len(got) != 1 || got[0].ID != other.ID {
		t.Fatalf("run r2 received %v, want its timer %s", got, other.ID)
	}
}

func scheduleRetryFiresOnce(t *testing.T, l events.Log) {
	at := time.Now().Add(time.Second)
	e := cooldown(t, "r1", "web1")
	mustSchedule(t, l, e, at)
	mustSchedule(t, l, e, at)
	// A timer scheduled after e for the same instant fires after it: once
	// it is in, any second copy of e would be too.
	last := cooldown(t, "r1", "web2")
	mustSchedule(t, l, last, at)
	got := awaitUntil(t, l, "r1", 0, func(got []events.Record) bool { return got[len(got)-1].ID == last.ID })
	if len(got) != 2 || got[0].ID != e.ID || got[1].ID != last.ID {
		t.Fatalf("received %v, want %s once, then %s", got, e.ID, last.ID)
	}
}

func scheduleRejectsBadEnvelope(t *testing.T, l events.Log) {
	tests := []struct {
		name string
		edit func(*events.Envelope)
	}{
		{"empty id", func(e *events.Envelope) { e.ID = "" }},
		{"empty type", func(e *events.Envelope) { e.Type = "" }},
		{"run with a dot", func(e *events.Envelope) { e.Run = "r.1" }},
		{"subject without kind", func(e *events.Envelope) { e.Subject = "a" }},
	}
	for _, tt := range tests {
		e := cooldown(t, "r1", "web1")
		tt.edit(&e)
		if err := l.Schedule(context.Background(), e, time.Now().Add(-time.Hour)); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if err := l.Schedule(context.Background(), cooldown(t, "r1", "web1"), time.Time{}); err == nil {
		t.Error("zero due time: no error")
	}
	// Had any been accepted, it would have fired at once; a valid timer
	// scheduled after them is the first and only thing to arrive.
	e := cooldown(t, "r1", "web2")
	mustSchedule(t, l, e, time.Now().Add(-time.Hour))
	got := awaitRecords(t, l, "r1", 0, 1)
	if len(got) != 1 || got[0].ID != e.ID {
		t.Fatalf("received %v, want only %s", got, e.ID)
	}
}
