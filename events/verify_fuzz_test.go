package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/dcmove/dcmove/events"
)

// fuzzStream is a test helper for the pure verifier, not a mock of NATS:
// an events.Log that only reads, holding one run's subject as arbitrary
// bytes, one stored message a line. Read decodes each message the way
// events/jetstream does (decodeMsg): JSON that is not an envelope, or an
// envelope that fails Check, is a record with Malformed set, and every
// message on the subject is yielded whatever run it claims. Verify reads
// through Read only; the other methods refuse.
type fuzzStream struct {
	msgs [][]byte
}

func (s fuzzStream) records() []events.Record {
	recs := make([]events.Record, 0, len(s.msgs))
	for i, m := range s.msgs {
		r := events.Record{Seq: uint64(i + 1)}
		if err := json.Unmarshal(m, &r.Envelope); err != nil {
			r.Malformed = fmt.Errorf("events: message %d is not a dcmove event: %w", r.Seq, err)
		} else if err := r.Envelope.Check(); err != nil {
			r.Malformed = fmt.Errorf("events: message %d: %w", r.Seq, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func (s fuzzStream) Read(_ context.Context, _ string, from uint64) iter.Seq2[events.Record, error] {
	return func(yield func(events.Record, error) bool) {
		for _, r := range s.records() {
			if r.Seq >= from && !yield(r, nil) {
				return
			}
		}
	}
}

var errFuzzReadOnly = errors.New("fuzzStream only reads")

func (s fuzzStream) Append(context.Context, string, uint64, ...events.Envelope) (uint64, error) {
	return 0, errFuzzReadOnly
}

func (s fuzzStream) Follow(ctx context.Context, run string, from uint64) iter.Seq2[events.Record, error] {
	return s.Read(ctx, run, from)
}

func (s fuzzStream) Schedule(context.Context, events.Envelope, time.Time) error {
	return errFuzzReadOnly
}

func (s fuzzStream) LastRun(context.Context) (string, error) { return "", events.ErrNoRun }
func (s fuzzStream) Close() error                            { return nil }

// fuzzChainLinks is the chain rule of events.Verify, written out
// independently: no record is malformed; the first carries no chain; every
// other one carries the id and hash of the record right before it, or no
// chain at all if it is a cool-down timer the server fired; an id appears
// once, but for copies of such a timer (the same hash).
func fuzzChainLinks(recs []events.Record) error {
	fired := func(e events.Envelope) bool {
		return e.Type == events.TypeCooldownElapsed && e.Actor == "dcmove" && e.PrevID == "" && e.PrevHash == ""
	}
	hashOf := map[string]string{} // id -> hash of its first record
	for k, r := range recs {
		if r.Malformed != nil {
			return fmt.Errorf("seq %d is malformed", r.Seq)
		}
		h := r.Hash()
		if first, seen := hashOf[r.ID]; seen && (!fired(r.Envelope) || first != h) {
			return fmt.Errorf("seq %d repeats id %q", r.Seq, r.ID)
		} else if !seen {
			hashOf[r.ID] = h
		}
		unchained := r.PrevID == "" && r.PrevHash == ""
		switch {
		case k == 0 && !unchained:
			return fmt.Errorf("the first record, seq %d, is chained", r.Seq)
		case k == 0, unchained && fired(r.Envelope):
		case r.PrevID != recs[k-1].ID || r.PrevHash != recs[k-1].Hash():
			return fmt.Errorf("seq %d does not chain to seq %d", r.Seq, recs[k-1].Seq)
		}
	}
	return nil
}

// fuzzSignedRun returns a small run whose crew lists a key, every event
// signed, with a timer the server fired: the stored messages, one a line.
func fuzzSignedRun(f *testing.F) []byte {
	f.Helper()
	kp, err := nkeys.FromRawSeed(nkeys.PrefixByteUser, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		f.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	o := events.Origin{Run: "fuzz-run", Plan: "fuzz", Actor: "Claire"}
	var evs []events.Envelope
	add := func(o events.Origin, subject string, ev events.Event) {
		e, err := events.New(at.Add(time.Duration(len(evs))*time.Minute), o, subject, ev)
		if err != nil {
			f.Fatal(err)
		}
		e.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", len(evs)+1)
		e.Source = "/dcmove/fuzz"
		evs = append(evs, e)
	}
	add(o, "", events.CutoverStarted{Plan: "fuzz", File: "fuzz.yaml", WindowStart: at, WindowEnd: at.Add(12 * time.Hour),
		TimeZone: "UTC", Steps: 1, Crew: []events.Member{{Name: "Claire", Roles: []string{"lead"}, Key: pub}, {Name: "dcmove", Key: pub}}, Lead: "Claire"})
	add(o, "step/cool", events.StepStarted{Step: "cool"})
	add(o, "asset/db1", events.CooldownStarted{Asset: "db1", Step: "cool", Until: at.Add(time.Hour)})
	add(events.Origin{Run: "fuzz-run", Plan: "fuzz", Actor: "dcmove"}, "asset/db1", events.CooldownElapsed{Asset: "db1", Due: at.Add(time.Hour)})
	add(o, "step/cool", events.StepCompleted{Step: "cool"})
	events.Link{}.Chain(evs[:3])
	events.LinkTo(evs[3]).Chain(evs[4:])
	var out []byte
	for i := range evs {
		if err := events.Sign(&evs[i], kp); err != nil {
			f.Fatal(err)
		}
		b, err := json.Marshal(evs[i])
		if err != nil {
			f.Fatal(err)
		}
		out = append(append(out, b...), '\n')
	}
	return out
}

// FuzzVerify runs `audit verify` (events.Verify) on arbitrary stream
// contents: the bytes are a run's subject, one message a line. Plain `go
// test` runs its seeds (testdata/v1-run.jsonl as recorded, with a message
// removed, moved, altered, a foreign one inserted, and a small signed run
// with a timer the server fired); run it for longer with
//
//	go test -run '^$' -fuzz '^FuzzVerify$' -fuzztime 2m ./events/
//
// Verify never fails to read this log and never panics; its report counts
// every message; it reports ok only when the chain links (see
// fuzzChainLinks: every message an event, each chained to the one before
// it), and then its head is the last event's hash; a chain that links, of
// events of the run verified, has no break; a break names a record of the
// run, fails the report and matches ErrTampered.
func FuzzVerify(f *testing.F) {
	lines := fuzzFixtureLines(f)
	join := func(ls ...[]byte) []byte { return append(bytes.Join(ls, []byte("\n")), '\n') }
	f.Add(join(lines...))
	f.Add(join(append(append([][]byte{}, lines[:5]...), lines[6:]...)...))                                                                     // removed
	f.Add(join(append(append(append([][]byte{}, lines[:3]...), lines[4], lines[3]), lines[5:]...)...))                                         // reordered
	f.Add(join(append(append(append([][]byte{}, lines[:4]...), []byte(`{"junk":true}`)), lines[4:]...)...))                                    // foreign
	f.Add(join(append(append(append([][]byte{}, lines[:2]...), bytes.Replace(lines[2], []byte("move"), []byte("mode"), 1)), lines[3:]...)...)) // altered
	f.Add(fuzzSignedRun(f))
	f.Add([]byte("not json\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzStream{msgs: bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))}
		if len(data) == 0 {
			s.msgs = nil
		}
		recs := s.records()
		// The run verified is the one the first event names, as when
		// `audit verify` checks the run on that subject.
		run := "fuzz-run"
		for _, r := range recs {
			if r.Malformed == nil {
				run = r.Run
				break
			}
		}
		rep, err := events.Verify(context.Background(), s, run)
		if err != nil {
			t.Fatalf("Verify failed to read an in-memory log: %v", err)
		}
		if rep.Events != len(recs) {
			t.Fatalf("report counts %d events, the run holds %d", rep.Events, len(recs))
		}
		links := fuzzChainLinks(recs)
		sameRun := true
		for _, r := range recs {
			sameRun = sameRun && r.Run == run
		}
		if rep.OK() {
			if links != nil {
				t.Fatalf("Verify reports ok, yet %v", links)
			}
			if len(recs) > 0 && rep.Head != recs[len(recs)-1].Hash() {
				t.Fatalf("ok, with head %q, not the last event's hash", rep.Head)
			}
		}
		if links == nil && sameRun {
			if rep.Break != nil {
				t.Fatalf("Verify reports a break on a chain that links: %v", rep.Break)
			}
			if rep.Head != "" && rep.Head != recs[len(recs)-1].Hash() {
				t.Fatalf("head %q is not the last event's hash", rep.Head)
			}
		}
		if b := rep.Break; b != nil {
			if b.Event.Seq < 1 || b.Event.Seq > uint64(len(recs)) || b.Intact < 0 || b.Intact >= len(recs) {
				t.Fatalf("break at seq %d with %d intact, in a run of %d: %v", b.Event.Seq, b.Intact, len(recs), b)
			}
			if !errors.Is(rep.Err(), events.ErrTampered) || rep.OK() || rep.Head != "" {
				t.Fatalf("a break that does not fail the report: ok %v, head %q, err %v", rep.OK(), rep.Head, rep.Err())
			}
			_ = b.Error()
		}
		if rep.OK() && (rep.Break != nil || len(rep.Unsigned) > 0 || rep.Err() != nil) {
			t.Fatalf("OK report with a break or unsigned events: %v", rep.Err())
		}
		for _, u := range rep.Unsigned {
			_ = u.Error()
		}
	})
}
