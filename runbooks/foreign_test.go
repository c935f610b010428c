package runbooks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// publishOn stores data on subject with a plain JetStream publish, as a
// tool with access to the stream could, and returns its sequence.
func publishOn(t *testing.T, l events.Log, subject string, data []byte) uint64 {
	t.Helper()
	js, err := jsapi.New(l.(*jetstream.Log).Conn())
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(context.Background(), subject, data)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// One junk message in the middle of a run: verify names it as foreign at
// its sequence and the run's chain stays intact around it; the commands
// after it chain to the run's last event, never to the junk; status and
// audit skip it; a checkpoint taken with the junk last keeps the real head.
func TestForeignMessageOnTheRun(t *testing.T) {
	ctx := context.Background()
	c, clk, l := moving(t, "30m", "2026-12-05 07:00", false)
	goGate(t, c)
	must(t)(c.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	before := storedRun(t, l, "m")
	lastReal := before[len(before)-1].rec

	junk := publishOn(t, l, "dcmove.m.step.shutdown-web-1", []byte("\x00\xff not an event"))

	// With the junk last, the run's head is still its last event, from
	// scratch and through a checkpoint.
	r := runbooks.NewRun("m")
	if _, err := events.Replay(ctx, l, "m", r); err != nil {
		t.Fatal(err)
	}
	if r.LastSeq != junk || r.Head() != events.LinkTo(lastReal.Envelope) || r.Skipped != 1 {
		t.Fatalf("after the junk: last seq %d (junk at %d), head %v, want %s; skipped %d", r.LastSeq, junk, r.Head(), lastReal.ID, r.Skipped)
	}
	snap, err := r.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	restored := runbooks.NewRun("m")
	if err := restored.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if restored.Head() != r.Head() || restored.LastSeq != junk {
		t.Fatalf("restored: head %v, seq %d; want %v, %d", restored.Head(), restored.LastSeq, r.Head(), junk)
	}

	// The command after it chains to the last event (c has the run in
	// memory and reads on from it; a fresh one reads the whole run).
	clk.Advance(10 * time.Minute)
	out := must(t)(c.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	if first := out.Appended[0]; first.PrevID != lastReal.ID || first.PrevHash != lastReal.Hash() {
		t.Fatalf("the command after the junk chains to %s %s, want the last event %s", first.PrevID, first.PrevHash, lastReal.ID)
	}
	prev := out.Appended[len(out.Appended)-1]
	junk2 := publishOn(t, l, "dcmove.m.forged", []byte(`{"hello":"world"}`))
	clk.Advance(31 * time.Minute)
	fresh := &runbooks.Cutover{Log: l, Clock: clk}
	out = must(t)(fresh.StartStep(ctx, "m", "unrack-web-1", "Julien"))
	if first := out.Appended[0]; first.PrevID != prev.ID || first.PrevHash != prev.Hash() {
		t.Fatalf("the command after the second junk chains to %s, want %s", first.PrevID, prev.ID)
	}

	rep := verifyRun(t, l, "m")
	if rep.Break != nil || len(rep.Unsigned) > 0 || rep.OK() {
		t.Fatalf("verify: break %v, unsigned %v, ok %v", rep.Break, rep.Unsigned, rep.OK())
	}
	if len(rep.Foreign) != 2 || rep.Foreign[0].Seq != junk || rep.Foreign[1].Seq != junk2 {
		t.Fatalf("foreign records %v, want seqs %d and %d", rep.Foreign, junk, junk2)
	}
	last := out.Appended[len(out.Appended)-1]
	if rep.Head != last.Hash() || rep.Last.ID != last.ID {
		t.Fatalf("head %s at %s, want the last event %s", rep.Head, events.DescribeRecord(rep.Last), last.ID)
	}
	if err := rep.Err(); !errors.Is(err, events.ErrTampered) || !strings.Contains(err.Error(), fmt.Sprintf("seq %d: foreign message (not a dcmove event): ", junk)) {
		t.Errorf("error: %v", err)
	}
	t.Log(rep.Err())

	// status and audit show the records as skipped, the run as it is.
	s := projections.NewStatus()
	if _, err := projections.Replay(ctx, l, "m", s); err != nil {
		t.Fatal(err)
	}
	if s.Skipped != 2 || s.Head() != events.LinkTo(last) || s.Find("unrack-web-1").State() != runbooks.Started {
		t.Fatalf("status: skipped %d, head %v, unrack %s", s.Skipped, s.Head(), s.Find("unrack-web-1").State())
	}
	tr := projections.NewTrail()
	if _, err := projections.Replay(ctx, l, "m", tr); err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, e := range tr.Entries {
		if e.Seq == junk || e.Seq == junk2 {
			skipped++
			if !strings.Contains(e.Skipped, "not a dcmove event") {
				t.Errorf("audit line of seq %d: skipped %q", e.Seq, e.Skipped)
			}
		} else if e.Skipped != "" {
			t.Errorf("audit line of seq %d skipped: %s", e.Seq, e.Skipped)
		}
	}
	if skipped != 2 {
		t.Errorf("%d junk records in the trail, want 2", skipped)
	}

	// An event altered in place is still altered, not foreign.
	msgs := storedRun(t, l, "m")
	done := findEvent(t, msgs, events.TypeStepCompleted, "step/shutdown-web-1")
	msgs[done].data = []byte(strings.Replace(string(msgs[done].data), `"actor":"Julien"`, `"actor":"Claire"`, 1))
	rep = verifyRun(t, copyRun(t, msgs), "m")
	if rep.Break == nil || rep.Break.Kind != events.Altered || rep.Break.Event.ID != msgs[done].rec.ID || len(rep.Foreign) != 2 {
		t.Fatalf("altered in place: break %v, foreign %v", rep.Break, rep.Foreign)
	}
	// So is one altered past reading: replaced by junk.
	msgs = storedRun(t, l, "m")
	msgs[done].data = []byte("garbage")
	rep = verifyRun(t, copyRun(t, msgs), "m")
	if rep.Break == nil || rep.Break.Kind != events.Altered || rep.Break.Event.Seq != msgs[done].rec.Seq || len(rep.Foreign) != 2 {
		t.Fatalf("replaced by junk: break %v, foreign %v", rep.Break, rep.Foreign)
	}
	t.Log(rep.Break)
}
