package runbooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// rawEvent is a message of the event stream as stored.
type rawEvent struct {
	subject string
	data    []byte
	rec     events.Record
}

// storedRun returns the messages of run as the stream holds them.
func storedRun(t *testing.T, l events.Log, run string) []rawEvent {
	t.Helper()
	ctx := context.Background()
	js, err := jsapi.New(l.(*jetstream.Log).Conn())
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, jetstream.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	var out []rawEvent
	for rec, err := range l.Read(ctx, run, 0) {
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.GetMsg(ctx, rec.Seq)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rawEvent{subject: m.Subject, data: m.Data, rec: rec})
	}
	return out
}

// copyRun stores msgs, as they are, in the event stream of a fresh
// embedded server, with plain JetStream publishes, and returns its log.
func copyRun(t *testing.T, msgs []rawEvent) events.Log {
	t.Helper()
	ctx := context.Background()
	l := openLog(t)
	js, err := jsapi.New(l.Conn())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := js.Publish(ctx, m.subject, m.data); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func verifyRun(t *testing.T, l events.Log, run string) events.Report {
	t.Helper()
	rep, err := events.Verify(context.Background(), l, run)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// findEvent returns the position of the first message of type typ about
// subject (any subject if empty).
func findEvent(t *testing.T, msgs []rawEvent, typ, subject string) int {
	t.Helper()
	for i, m := range msgs {
		if m.rec.Type == typ && (subject == "" || m.rec.Subject == subject) {
			return i
		}
	}
	t.Fatalf("no %s %s in the run", typ, subject)
	return -1
}

// Every command chains what it appends to the last record it read; the
// lazily recorded end of a cool-down is chained like any other event.
func TestCommandsChainTheRun(t *testing.T) {
	ctx := context.Background()
	c, clk, l := moving(t, "30m", "2026-12-05 07:00", false)
	goGate(t, c)
	must(t)(c.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	clk.Advance(10 * time.Minute)
	must(t)(c.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	clk.Advance(31 * time.Minute)
	out := must(t)(c.StartStep(ctx, "m", "unrack-web-1", "Julien"))
	if out.Appended[0].Type != events.TypeCooldownElapsed || out.Appended[1].PrevHash != out.Appended[0].Hash() {
		t.Fatalf("unrack after the cool-down appended %v, not chained", types(out.Appended))
	}
	must(t)(c.EnterDegraded(ctx, "m", "Claire", "web down during the move"))
	clk.Advance(20 * time.Minute)
	must(t)(c.CompleteStep(ctx, "m", "unrack-web-1", "Julien"))

	recs := storedRun(t, l, "m")
	for i, m := range recs {
		want := events.Link{}
		if i > 0 {
			want = events.LinkTo(recs[i-1].rec.Envelope)
		}
		if m.rec.PrevID != want.ID || m.rec.PrevHash != want.Hash {
			t.Errorf("%d %s chains to %q %q, want %q %q", i, m.rec.Type, m.rec.PrevID, m.rec.PrevHash, want.ID, want.Hash)
		}
	}
	rep := verifyRun(t, l, "m")
	last := recs[len(recs)-1].rec
	if !rep.OK() || rep.Events != len(recs) || rep.First.Type != events.TypeCutoverStarted || rep.Last.ID != last.ID || rep.Head != last.Hash() {
		t.Fatalf("verify: %+v", rep)
	}
}

// A copy of a real run, tampered with one change at a time: verify names
// the event changed.
func TestVerifyTamperedCopies(t *testing.T) {
	ctx := context.Background()
	c, clk, l := moving(t, "30m", "2026-12-05 07:00", false)
	goGate(t, c)
	must(t)(c.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	clk.Advance(10 * time.Minute)
	must(t)(c.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	clk.Advance(31 * time.Minute)
	must(t)(c.StartStep(ctx, "m", "unrack-web-1", "Julien"))
	clk.Advance(20 * time.Minute)
	must(t)(c.CompleteStep(ctx, "m", "unrack-web-1", "Julien"))
	orig := storedRun(t, l, "m")
	head := verifyRun(t, l, "m").Head

	gate := findEvent(t, orig, events.TypeGateSigned, "")
	gate++ // Julien's go, after Claire's
	started := findEvent(t, orig, events.TypeStepStarted, "step/shutdown-web-1")
	elapsed := findEvent(t, orig, events.TypeCooldownElapsed, "")

	tests := []struct {
		name  string
		edit  func(t *testing.T, msgs []rawEvent) []rawEvent
		kind  events.Tamper // 0: intact
		named func(msgs []rawEvent) string
	}{
		{name: "untouched copy", edit: func(t *testing.T, msgs []rawEvent) []rawEvent { return msgs }},
		{
			name: "gate decision altered",
			edit: func(t *testing.T, msgs []rawEvent) []rawEvent {
				if !strings.Contains(string(msgs[gate].data), `"decision":"go"`) {
					t.Fatalf("not a go: %s", msgs[gate].data)
				}
				msgs[gate].data = []byte(strings.Replace(string(msgs[gate].data), `"decision":"go"`, `"decision":"no-go"`, 1))
				return msgs
			},
			kind:  events.Altered,
			named: func(msgs []rawEvent) string { return msgs[gate].rec.ID },
		},
		{
			name: "actor altered",
			edit: func(t *testing.T, msgs []rawEvent) []rawEvent {
				msgs[started].data = []byte(strings.Replace(string(msgs[started].data), `"actor":"Julien"`, `"actor":"Claire"`, 1))
				return msgs
			},
			kind:  events.Altered,
			named: func(msgs []rawEvent) string { return msgs[started].rec.ID },
		},
		{
			name:  "step start removed",
			edit:  func(t *testing.T, msgs []rawEvent) []rawEvent { return slices.Delete(msgs, started, started+1) },
			kind:  events.Removed,
			named: func(msgs []rawEvent) string { return msgs[started+1].rec.ID },
		},
		{
			name:  "cool-down end removed",
			edit:  func(t *testing.T, msgs []rawEvent) []rawEvent { return slices.Delete(msgs, elapsed, elapsed+1) },
			kind:  events.Removed,
			named: func(msgs []rawEvent) string { return msgs[elapsed+1].rec.ID },
		},
		{
			name: "forged completion inserted",
			edit: func(t *testing.T, msgs []rawEvent) []rawEvent {
				return slices.Insert(msgs, started+1, forge(t, msgs[started].rec))
			},
			kind:  events.Inserted,
			named: func([]rawEvent) string { return forgedID },
		},
		{
			name: "two swapped",
			edit: func(t *testing.T, msgs []rawEvent) []rawEvent {
				msgs[started], msgs[started+1] = msgs[started+1], msgs[started]
				return msgs
			},
			kind:  events.Reordered,
			named: func(msgs []rawEvent) string { return msgs[started+1].rec.ID },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := tt.edit(t, slices.Clone(orig))
			rep := verifyRun(t, copyRun(t, msgs), "m")
			if rep.Events != len(msgs) {
				t.Errorf("verified %d events, the copy holds %d", rep.Events, len(msgs))
			}
			if tt.kind == 0 {
				if !rep.OK() || rep.Head != head {
					t.Fatalf("copy: %v, head %s, want %s", rep.Err(), rep.Head, head)
				}
				return
			}
			if rep.OK() {
				t.Fatalf("verify found nothing wrong, want %v", tt.kind)
			}
			t.Log(rep.Break)
			if want := tt.named(orig); rep.Break.Kind != tt.kind || rep.Break.Event.ID != want {
				t.Errorf("break %v at %s %s, want %v at %s", rep.Break.Kind, rep.Break.Event.Type, rep.Break.Event.ID, tt.kind, want)
			}
		})
	}

	// The chain cannot see an event cut off its end; the head noted
	// elsewhere does.
	rep := verifyRun(t, copyRun(t, orig[:len(orig)-1]), "m")
	if !rep.OK() || rep.Head == head {
		t.Errorf("tail cut: %v, head %s (was %s)", rep.Err(), rep.Head, head)
	}
}

const forgedID = "forged-completion"

// forge makes a step completion that follows after in the chain, as a
// forger who knows the chain would.
func forge(t *testing.T, after events.Record) rawEvent {
	t.Helper()
	e, err := events.New(after.Time.Add(time.Minute), events.Origin{Run: after.Run, Plan: after.Plan, Actor: after.Actor}, after.Subject, events.StepCompleted{Step: after.SubjectID()})
	if err != nil {
		t.Fatal(err)
	}
	e.ID = forgedID
	evs := []events.Envelope{e}
	events.LinkTo(after.Envelope).Chain(evs)
	data, err := json.Marshal(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	return rawEvent{subject: "dcmove." + e.Run + "." + e.Topic(), data: data}
}

// The end of a cool-down fired by the server carries no chain; the next
// command chains to it, so removing it is seen.
func TestChainCoversServerTimers(t *testing.T) {
	ctx := context.Background()
	c, _, l := moving(t, "2s", "2026-12-05 07:00", true)
	// As in TestCooldownTimerFromTheServer: the steps before the shutdown
	// on a manual clock inside the window, the shutdown's end on the
	// machine's clock so the server's timer is set.
	manual := &runbooks.Cutover{Log: l, Clock: runbooks.NewManualClock(time.Date(2026, 12, 5, 7, 0, 0, 0, paris))}
	goGate(t, manual)
	must(t)(manual.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	must(t)(c.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for rec, err := range l.Follow(wctx, "m", 0) {
		if err != nil {
			t.Fatalf("no cool-down elapsed event within 15 s: %v", err)
		}
		if rec.Type == events.TypeCooldownElapsed {
			break
		}
	}
	must(t)(manual.StartStep(ctx, "m", "unrack-web-1", "Julien"))

	msgs := storedRun(t, l, "m")
	fired := findEvent(t, msgs, events.TypeCooldownElapsed, "")
	if msgs[fired].rec.PrevHash != "" || msgs[fired].rec.Actor != "dcmove" || !strings.HasPrefix(msgs[fired].subject, "dcmove.m.") {
		t.Fatalf("the server's timer: %+v on %s", msgs[fired].rec.Envelope, msgs[fired].subject)
	}
	if next := msgs[fired+1].rec; next.PrevHash != msgs[fired].rec.Hash() {
		t.Fatalf("%s after the timer does not chain to it", next.Type)
	}
	if rep := verifyRun(t, l, "m"); !rep.OK() || rep.Events != len(msgs) {
		t.Fatalf("verify: %v (%d events of %d)", rep.Err(), rep.Events, len(msgs))
	}
	rep := verifyRun(t, copyRun(t, slices.Delete(slices.Clone(msgs), fired, fired+1)), "m")
	if rep.OK() || rep.Break.Kind != events.Removed || rep.Break.Missing != msgs[fired].rec.ID {
		t.Fatalf("timer removed: %v", rep.Err())
	}
}

// Commands that race re-read the run and chain again: the chain holds.
func TestConcurrentCommandsKeepTheChain(t *testing.T) {
	ctx := context.Background()
	c, _ := gated(t, "2026-12-05 08:00")
	must(t)(c.StartStep(ctx, "g", "prep", "Karim"))
	var wg sync.WaitGroup
	errs := make([]error, 30)
	for i := range errs {
		wg.Go(func() {
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
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, runbooks.ErrRefused) && !errors.Is(err, events.ErrConflict) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if rep := verifyRun(t, c.Log, "g"); !rep.OK() || rep.Events < 5 {
		t.Fatalf("verify after a race: %v, %d events", rep.Err(), rep.Events)
	}
}
