package jetstream_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// The canonical form is pinned byte for byte: changing it would make every
// stored run fail verification.
func TestCanonicalForm(t *testing.T) {
	e := events.Envelope{
		SpecVersion: "1.0", ID: "e1", Source: "/dcmove/laptop", Type: events.TypeStepFailed,
		Subject: "step/a", Time: time.Date(2026, 12, 5, 8, 0, 0, 500_000_000, time.FixedZone("CET", 3600)),
		DataContentType: "application/json", Run: "r1", Plan: "p", Actor: "Al \"x\"\n\\ é",
		DataVersion: 1, PrevID: "e0", PrevHash: strings.Repeat("ab", 32),
		Data: json.RawMessage(`{ "step": "a",
			"reason": "<fan> & smoke\u2028" }`),
	}
	want := `{"specversion":"1.0","id":"e1","source":"/dcmove/laptop","type":"dcmove.step.failed",` +
		`"subject":"step/a","time":"2026-12-05T07:00:00.5Z","datacontenttype":"application/json",` +
		`"run":"r1","plan":"p","actor":"Al \"x\"\u000a\\ é","dataversion":1,"previd":"e0",` +
		`"prevhash":"` + strings.Repeat("ab", 32) + `",` +
		`"data":{"step":"a","reason":"\u003cfan\u003e \u0026 smoke\u2028"}}`
	if got := string(e.Canonical()); got != want {
		t.Fatalf("canonical form:\n got %s\nwant %s", got, want)
	}
	sum := sha256.Sum256([]byte(want))
	if e.Hash() != hex.EncodeToString(sum[:]) {
		t.Errorf("hash %s is not the SHA-256 of the canonical form", e.Hash())
	}
	// Absent attributes are empty strings, absent data is null.
	bare := events.Envelope{Time: time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)}
	wantBare := `{"specversion":"","id":"","source":"","type":"","subject":"","time":"2026-12-05T07:00:00Z",` +
		`"datacontenttype":"","run":"","plan":"","actor":"","dataversion":0,"previd":"","prevhash":"","data":null}`
	if got := string(bare.Canonical()); got != wantBare {
		t.Errorf("canonical form of a bare envelope:\n got %s\nwant %s", got, wantBare)
	}
}

// The hash of an envelope before it is stored is the hash of the record
// read back, whatever its strings and data hold.
func TestHashSurvivesTheLog(t *testing.T) {
	l := openLog(t)
	e := chainEvent(t, "r1", "", events.CutoverStarted{Plan: "p<1> & \u2028 é", Title: "tab\there"})
	e.Actor = "Zoë \xff <lead>"
	f := chainEvent(t, "r1", "step/a", events.StepFailed{Step: "a"})
	f.Data = json.RawMessage("{ \"step\" : \"a\",\n \"reason\": \"<fan> & smoke\" }")
	evs := []events.Envelope{e, f}
	events.Link{}.Chain(evs)
	if _, err := l.Append(context.Background(), "r1", 0, evs...); err != nil {
		t.Fatal(err)
	}
	recs := readRun(t, l, "r1")
	for i, r := range recs {
		if r.Malformed != nil {
			t.Fatal(r.Malformed)
		}
		if r.Hash() != evs[i].Hash() {
			t.Errorf("event %d: hash %s before the log, %s read back\n%s\n%s", i, evs[i].Hash(), r.Hash(), evs[i].Canonical(), r.Canonical())
		}
	}
	if recs[1].PrevHash != recs[0].Hash() || recs[1].PrevID != recs[0].ID || recs[0].PrevHash != "" {
		t.Errorf("chain read back: %q %q, %q", recs[0].PrevHash, recs[1].PrevID, recs[1].PrevHash)
	}
}

// A timer the server fires lands unchained; the next command chains to it.
func TestVerifyTimerFiredByTheServer(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	evs := []events.Envelope{
		chainEvent(t, "r1", "", events.CutoverStarted{Plan: "p"}),
		chainEvent(t, "r1", "asset/web1", events.CooldownStarted{Asset: "web1"}),
	}
	events.Link{}.Chain(evs)
	if _, err := l.Append(ctx, "r1", 0, evs...); err != nil {
		t.Fatal(err)
	}
	timer := chainEvent(t, "r1", "asset/web1", events.CooldownElapsed{Asset: "web1"})
	timer.Actor = "dcmove"
	if err := l.Schedule(ctx, timer, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for r, err := range l.Follow(wctx, "r1", 0) {
		if err != nil {
			t.Fatalf("the timer did not fire: %v", err)
		}
		if r.ID == timer.ID {
			break
		}
	}
	recs := readRun(t, l, "r1")
	last := recs[len(recs)-1]
	if last.ID != timer.ID || last.PrevHash != "" {
		t.Fatalf("fired timer: %+v", last.Envelope)
	}
	next := []events.Envelope{chainEvent(t, "r1", "step/a", events.StepStarted{Step: "a"})}
	events.LinkTo(last.Envelope).Chain(next)
	if _, err := l.Append(ctx, "r1", last.Seq, next...); err != nil {
		t.Fatal(err)
	}
	rep, err := events.Verify(ctx, l, "r1")
	if err != nil || !rep.OK() || rep.Events != 4 || rep.Head != next[0].Hash() {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
}

// run builds the envelopes of a small run: the start and four step events,
// chained.
func chainRun(t *testing.T) []events.Envelope {
	t.Helper()
	evs := []events.Envelope{chainEvent(t, "r1", "", events.CutoverStarted{Plan: "p"})}
	for _, s := range []string{"a", "b", "c", "d"} {
		evs = append(evs, chainEvent(t, "r1", "step/"+s, events.StepStarted{Step: s}))
	}
	events.Link{}.Chain(evs)
	return evs
}

// timer is a cool-down end as the server fires it: no chain.
func firedTimer(t *testing.T) events.Envelope {
	t.Helper()
	e := chainEvent(t, "r1", "asset/web1", events.CooldownElapsed{Asset: "web1"})
	e.Actor = "dcmove"
	return e
}

func TestVerify(t *testing.T) {
	type want struct {
		kind    events.Tamper
		id      string // the event named
		missing string
		// foreign are the positions of the messages stored that are
		// foreign records; with no kind, the chain around them is intact.
		foreign []int
		// otherHead: intact, but the head is not the last of the run's
		// events as chainRun made them.
		otherHead bool
	}
	tests := []struct {
		name string
		// build returns the messages to store, given the run's events.
		build func(t *testing.T, evs []events.Envelope) [][]byte
		want  func(evs []events.Envelope) want // zero: intact
	}{
		{name: "intact", build: func(t *testing.T, evs []events.Envelope) [][]byte { return stored(t, evs...) }},
		{name: "laid out by another tool", build: func(t *testing.T, evs []events.Envelope) [][]byte {
			// Attributes in another order, spaces everywhere: the same
			// events.
			out := stored(t, evs...)
			for i, m := range out {
				var v map[string]json.RawMessage
				if err := json.Unmarshal(m, &v); err != nil {
					t.Fatal(err)
				}
				out[i], _ = json.MarshalIndent(v, "", "   ")
			}
			return out
		}},
		{
			name: "data re-encoded in another order",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				// The payload is hashed as stored: the same meaning in
				// other bytes is a change.
				out := stored(t, evs...)
				out[0] = replaceOnce(t, out[0], `"plan":"p","file":""`, `"file":"","plan":"p"`)
				return out
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Altered, id: evs[0].ID} },
		},
		{
			name: "data altered",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				out := stored(t, evs...)
				out[2] = replaceOnce(t, out[2], `"step":"b"`, `"step":"x"`)
				return out
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Altered, id: evs[2].ID} },
		},
		{
			name: "time altered",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				evs[2].Time = evs[2].Time.Add(time.Hour)
				return stored(t, evs...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Altered, id: evs[2].ID} },
		},
		{
			name: "removed",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				return stored(t, append(evs[:2:2], evs[3:]...)...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Removed, id: evs[3].ID, missing: evs[2].ID} },
		},
		{
			name:  "first removed",
			build: func(t *testing.T, evs []events.Envelope) [][]byte { return stored(t, evs[1:]...) },
			want:  func(evs []events.Envelope) want { return want{kind: events.Removed, id: evs[1].ID, missing: evs[0].ID} },
		},
		{
			name: "inserted, chained by a forger",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				f := []events.Envelope{chainEvent(t, "r1", "step/b", events.StepCompleted{Step: "b"})}
				events.LinkTo(evs[2]).Chain(f)
				evs = append(evs[:3:3], append(f, evs[3:]...)...)
				return stored(t, evs...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Inserted, id: caseForged} },
		},
		{
			name: "inserted without a chain",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				f := chainEvent(t, "r1", "step/b", events.StepCompleted{Step: "b"})
				return stored(t, append(evs[:3:3], append([]events.Envelope{f}, evs[3:]...)...)...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Inserted, id: caseForged} },
		},
		{
			name: "inserted at the end without a chain",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				return stored(t, append(evs, chainEvent(t, "r1", "step/d", events.StepCompleted{Step: "d"}))...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Inserted, id: caseForged} },
		},
		{
			name: "inserted as a timer",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				return stored(t, append(evs[:3:3], append([]events.Envelope{firedTimer(t)}, evs[3:]...)...)...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Inserted, id: caseForged} },
		},
		{
			name: "a run started again in front",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				f := chainEvent(t, "r1", "", events.CutoverStarted{Plan: "forged"})
				return stored(t, append([]events.Envelope{f}, evs...)...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Inserted, id: caseForged} },
		},
		{
			name: "two swapped",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				evs[2], evs[3] = evs[3], evs[2]
				return stored(t, evs...)
			},
			// The first event out of place is the one that moved up.
			want: func(evs []events.Envelope) want { return want{kind: events.Reordered, id: evs[3].ID} },
		},
		{
			name: "one moved up",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				return stored(t, evs[0], evs[4], evs[1], evs[2], evs[3])
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Reordered, id: evs[4].ID} },
		},
		{
			name: "one replayed",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				return stored(t, append(evs, evs[1])...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Inserted, id: evs[1].ID} },
		},
		{
			name: "chain stripped",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				evs[2].PrevID, evs[2].PrevHash = "", ""
				return stored(t, evs...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Altered, id: evs[2].ID} },
		},
		{
			name: "damaged",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				out := stored(t, evs...)
				out[2] = []byte("not an event")
				return out
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Altered} },
		},
		{
			name: "not an event, put in",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				out := stored(t, evs...)
				return slices.Insert(out, 2, []byte("{}"))
			},
			want: func(evs []events.Envelope) want { return want{foreign: []int{2}} },
		},
		{
			name: "junk bytes put in",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				return slices.Insert(stored(t, evs...), 3, []byte("\x00\xffjunk"))
			},
			want: func(evs []events.Envelope) want { return want{foreign: []int{3}} },
		},
		{
			name: "junk first and last",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				out := slices.Insert(stored(t, evs...), 0, []byte(`{"hello":`))
				return append(out, []byte("[1,2,3]"))
			},
			want: func(evs []events.Envelope) want { return want{foreign: []int{0, 6}} },
		},
		{
			name: "an envelope of another run put in",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				f := []events.Envelope{chainEvent(t, "r2", "step/b", events.StepCompleted{Step: "b"})}
				events.LinkTo(evs[2]).Chain(f)
				return slices.Insert(stored(t, evs...), 3, stored(t, f...)...)
			},
			want: func(evs []events.Envelope) want { return want{foreign: []int{3}} },
		},
		{
			name: "an envelope of an unknown type without a chain put in",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				f := chainEvent(t, "r1", "", events.CutoverStarted{Plan: "p"})
				f.Type = "com.example.deploy.finished"
				return slices.Insert(stored(t, evs...), 3, stored(t, f)...)
			},
			want: func(evs []events.Envelope) want { return want{foreign: []int{3}} },
		},
		{
			name: "an event of an unknown type, chained (a newer dcmove)",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				f := chainEvent(t, "r1", "", events.CutoverStarted{Plan: "p"})
				f.Type = "dcmove.something.new"
				all := slices.Insert(slices.Clone(evs), 3, f)
				events.Link{}.Chain(all)
				return stored(t, all...)
			},
			want: func(evs []events.Envelope) want { return want{otherHead: true} },
		},
		{
			name: "an event moved to another run in place",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				evs[2].Run = "r2"
				return stored(t, evs...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Altered, id: evs[2].ID} },
		},
		{
			name:  "no chain at all (an older dcmove)",
			build: func(t *testing.T, evs []events.Envelope) [][]byte { return stored(t, withoutChain(evs)...) },
			want:  func(evs []events.Envelope) want { return want{kind: events.Inserted, id: evs[1].ID} },
		},
		{
			name: "timer fired by the server, followed",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				return stored(t, withFiredTimer(t, evs, firedTimer(t), 1)...)
			},
		},
		{
			name: "timer fired twice",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				tm := firedTimer(t)
				return stored(t, withFiredTimer(t, evs, tm, 2)...)
			},
		},
		{
			name: "timer fired by the server, removed",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				with := withFiredTimer(t, evs, firedTimer(t), 1)
				return stored(t, append(with[:3:3], with[4:]...)...)
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Removed, id: evs[3].ID, missing: caseTimer} },
		},
		{
			name: "timer fired by the server, altered",
			build: func(t *testing.T, evs []events.Envelope) [][]byte {
				with := withFiredTimer(t, evs, firedTimer(t), 1)
				out := stored(t, with...)
				out[3] = replaceOnce(t, out[3], `"asset":"web1"`, `"asset":"web2"`)
				return out
			},
			want: func(evs []events.Envelope) want { return want{kind: events.Altered, id: caseTimer} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			evs := chainRun(t)
			orig := make([]events.Envelope, len(evs))
			copy(orig, evs)
			msgs := tt.build(t, evs)
			l := openLog(t)
			publishRaw(t, l, msgs)
			rep, err := events.Verify(ctx, l, "r1")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Events != len(msgs) {
				t.Errorf("verify read %d events, %d stored", rep.Events, len(msgs))
			}
			var w want
			if tt.want != nil {
				w = tt.want(orig)
			}
			var foreign []uint64
			for _, f := range rep.Foreign {
				foreign = append(foreign, f.Seq)
				if !strings.Contains(f.Error(), fmt.Sprintf("seq %d: foreign message (not a dcmove event): ", f.Seq)) {
					t.Errorf("foreign record not named: %v", f)
				}
			}
			var wantForeign []uint64
			for _, i := range w.foreign {
				wantForeign = append(wantForeign, uint64(i+1)) // a fresh stream: seq = position+1
			}
			if !slices.Equal(foreign, wantForeign) {
				t.Errorf("foreign records at seqs %v, want %v", foreign, wantForeign)
			}
			if w.kind == 0 {
				if rep.Break != nil || len(rep.Unsigned) > 0 {
					t.Fatalf("verify: %v", rep.Err())
				}
				if len(w.foreign) == 0 && !rep.OK() || len(w.foreign) > 0 && (rep.OK() || !errors.Is(rep.Err(), events.ErrTampered)) {
					t.Errorf("OK %v, error %v with %d foreign record(s)", rep.OK(), rep.Err(), len(w.foreign))
				}
				t.Log(rep.Err())
				if !strings.Contains(tt.name, "timer") && !w.otherHead {
					if last := orig[len(orig)-1]; rep.Head != last.Hash() || rep.Last.ID != last.ID {
						t.Errorf("head %s (%s), want the hash of the last event", rep.Head, events.DescribeRecord(rep.Last))
					}
				}
				return
			}
			if rep.OK() {
				t.Fatalf("verify found nothing wrong, want %v %s", w.kind, w.id)
			}
			b := rep.Break
			t.Log(b)
			if !errors.Is(rep.Err(), events.ErrTampered) {
				t.Errorf("error %v is not ErrTampered", rep.Err())
			}
			id := w.id
			switch id {
			case caseForged:
				if hasID(orig, b.Event.ID) {
					t.Errorf("named %s, an event of the run, want the forged one", b.Event.ID)
				}
				id = b.Event.ID
			case caseTimer:
				id = firedTimerID
			}
			if w.missing == caseTimer {
				w.missing = firedTimerID
			}
			if b.Kind != w.kind || b.Event.ID != id || b.Missing != w.missing {
				t.Errorf("break %v at %s (missing %q), want %v at %s (missing %q)", b.Kind, b.Event.ID, b.Missing, w.kind, id, w.missing)
			}
			if b.Event.Seq == 0 || !strings.Contains(b.Error(), "seq ") {
				t.Errorf("break does not say where: %v", b)
			}
		})
	}
}

// Sentinels for the event a case names: one made up by the test.
const (
	caseForged = "(forged)"
	caseTimer  = "(timer)"
)

// firedTimerID is the id of the timer withTimer put in the run last.
var firedTimerID string

// withTimer puts a timer the server fired (copies times) after evs[2] and
// chains the events after it to it.
func withFiredTimer(t *testing.T, evs []events.Envelope, tm events.Envelope, copies int) []events.Envelope {
	t.Helper()
	firedTimerID = tm.ID
	out := append([]events.Envelope{}, evs[:3]...)
	for range copies {
		out = append(out, tm)
	}
	rest := append([]events.Envelope{}, evs[3:]...)
	events.LinkTo(tm).Chain(rest)
	return append(out, rest...)
}

func withoutChain(evs []events.Envelope) []events.Envelope {
	out := append([]events.Envelope{}, evs...)
	for i := range out {
		out[i].PrevID, out[i].PrevHash = "", ""
	}
	return out
}

func hasID(evs []events.Envelope, id string) bool {
	for _, e := range evs {
		if e.ID == id {
			return true
		}
	}
	return false
}

func replaceOnce(t *testing.T, m []byte, old, new string) []byte {
	t.Helper()
	if !strings.Contains(string(m), old) {
		t.Fatalf("%s does not hold %s", m, old)
	}
	return []byte(strings.Replace(string(m), old, new, 1))
}

// openLog opens a fresh embedded log (synced writes, as in production),
// closed when the test or benchmark ends.
func openLog(tb testing.TB) *jetstream.Log {
	tb.Helper()
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}

var chainClock = time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)

func chainEvent(t *testing.T, run, subject string, ev events.Event) events.Envelope {
	t.Helper()
	chainClock = chainClock.Add(time.Minute)
	e, err := events.New(chainClock, events.Origin{Run: run, Plan: "p", Actor: "alice"}, subject, ev)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// raws returns the envelopes as the log stores them.
func stored(t *testing.T, evs ...events.Envelope) [][]byte {
	t.Helper()
	out := make([][]byte, len(evs))
	for i, e := range evs {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = data
	}
	return out
}

// publish stores messages on run r1's subjects with plain JetStream
// publishes, as a tool with access to the stream could.
func publishRaw(t *testing.T, l *jetstream.Log, msgs [][]byte) {
	t.Helper()
	js, err := jsapi.New(l.Conn())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		// Every message goes on run r1's subjects, whatever run its
		// envelope names.
		subject := "dcmove.r1.forged"
		var e events.Envelope
		if json.Unmarshal(m, &e) == nil && e.Run != "" && e.Type != "" {
			subject = "dcmove.r1." + e.Topic()
		}
		if _, err := js.Publish(context.Background(), subject, m); err != nil {
			t.Fatal(err)
		}
	}
}

func readRun(t *testing.T, l events.Log, run string) []events.Record {
	t.Helper()
	var out []events.Record
	for r, err := range l.Read(context.Background(), run, 0) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
