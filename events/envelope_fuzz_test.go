package events_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/dcmove/dcmove/events"
)

// The fuzz targets of the event decoder. Plain `go test` runs their seeds
// (the records of testdata/v1-run.jsonl, a run recorded by an older
// dcmove, and the inputs under testdata/fuzz/FuzzEnvelope and
// testdata/fuzz/FuzzDecode); run one for longer with
//
//	go test -run '^$' -fuzz '^FuzzEnvelope$' -fuzztime 2m ./events/

// fuzzFixtureLines returns the lines of testdata/v1-run.jsonl.
func fuzzFixtureLines(f *testing.F) [][]byte {
	f.Helper()
	data, err := os.ReadFile("testdata/v1-run.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil || len(lines) == 0 {
		f.Fatalf("read testdata/v1-run.jsonl: %d lines, %v", len(lines), err)
	}
	return lines
}

// fuzzCurrentVersion is the version of each type of the catalog.
var fuzzCurrentVersion = func() map[string]int {
	m := map[string]int{}
	for _, ev := range []events.Event{
		events.CutoverStarted{}, events.WarningAccepted{}, events.StepPlanned{},
		events.StepStarted{}, events.StepCompleted{}, events.StepFailed{},
		events.StepRetried{}, events.StepSkipped{}, events.StepBlocked{},
		events.StepUnblocked{}, events.GateSigned{}, events.CooldownStarted{},
		events.CooldownElapsed{}, events.CooldownForced{}, events.DegradedEntered{},
		events.DegradedLeft{}, events.BackoutStarted{},
	} {
		m[ev.EventType()] = ev.EventVersion()
	}
	return m
}()

// FuzzEnvelope decodes an envelope from arbitrary JSON, as a reader of the
// log does. An envelope that decodes re-encodes to the same canonical form
// (and so the same hash); its canonical form is JSON that decodes to the
// same canonical form again; its payload decodes as FuzzDecode says.
func FuzzEnvelope(f *testing.F) {
	for _, line := range fuzzFixtureLines(f) {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e events.Envelope
		if err := json.Unmarshal(data, &e); err != nil {
			return // a Malformed record; FuzzVerify covers those
		}
		_ = e.Check() // must not panic, whatever it says
		canon := e.Canonical()
		if !json.Valid(canon) {
			t.Fatalf("canonical form is not JSON: %s", canon)
		}
		if again := e.Canonical(); !bytes.Equal(again, canon) {
			t.Fatalf("canonical form is not deterministic:\n%s\n%s", canon, again)
		}

		// Re-encoded as the log stores it, then decoded again: the same
		// canonical form, so the same place in the chain.
		stored, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("a decoded envelope does not encode again: %v", err)
		}
		var back events.Envelope
		if err := json.Unmarshal(stored, &back); err != nil {
			t.Fatalf("a re-encoded envelope does not decode: %v\n%s", err, stored)
		}
		if got := back.Canonical(); !bytes.Equal(got, canon) {
			t.Fatalf("re-encoding changed the canonical form:\n%s\n%s", canon, got)
		}
		if back.Hash() != e.Hash() {
			t.Fatal("re-encoding changed the hash")
		}

		// The canonical form is a fixed point.
		var fromCanon events.Envelope
		if err := json.Unmarshal(canon, &fromCanon); err != nil {
			t.Fatalf("canonical form does not decode: %v\n%s", err, canon)
		}
		if got := fromCanon.Canonical(); !bytes.Equal(got, canon) {
			t.Fatalf("the canonical form of the canonical form differs:\n%s\n%s", canon, got)
		}

		fuzzCheckDecode(t, e)
	})
}

// FuzzDecode decodes arbitrary payloads of any type and version, through
// the upcasters (step.planned v1 to v2). A known type at a version from 1
// to the current one decodes or fails without panicking; a type or a
// version this dcmove does not know fails with ErrUnknownType; a decoded
// payload is of the envelope's type and re-encodes stably.
func FuzzDecode(f *testing.F) {
	for _, line := range fuzzFixtureLines(f) {
		var e events.Envelope
		if err := json.Unmarshal(line, &e); err != nil {
			f.Fatal(err)
		}
		f.Add(e.Type, e.DataVersion, []byte(e.Data))
	}
	f.Add(events.TypeStepPlanned, 1, []byte(`{"step":"cooldown-db1","title":"t","timer":"cooldown"}`))
	f.Add(events.TypeStepPlanned, 1, []byte(`null`))
	f.Add(events.TypeStepPlanned, 3, []byte(`{}`))
	f.Add("dcmove.firewall.changed", 1, []byte(`{}`))
	f.Fuzz(func(t *testing.T, typ string, version int, data []byte) {
		fuzzCheckDecode(t, events.Envelope{ID: "fuzz", Type: typ, DataVersion: version, Data: data})
	})
}

// fuzzCheckDecode checks e.Decode.
func fuzzCheckDecode(t *testing.T, e events.Envelope) {
	t.Helper()
	ev, err := e.Decode()
	current, known := fuzzCurrentVersion[e.Type]
	switch {
	case !known || e.DataVersion > current:
		if !errors.Is(err, events.ErrUnknownType) {
			t.Fatalf("%s v%d decoded with error %v, want ErrUnknownType", e.Type, e.DataVersion, err)
		}
		return
	case err != nil:
		if errors.Is(err, events.ErrUnknownType) {
			t.Fatalf("%s v%d, a known type and version, is reported unknown: %v", e.Type, e.DataVersion, err)
		}
		return
	case e.DataVersion < 1:
		t.Fatalf("%s v%d decoded, yet versions start at 1", e.Type, e.DataVersion)
	}
	if ev == nil || ev.EventType() != e.Type || ev.EventVersion() != current {
		t.Fatalf("%s v%d decoded to %#v", e.Type, e.DataVersion, ev)
	}
	// What a command would write for this event decodes to the same thing.
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("decoded %s does not encode: %v", e.Type, err)
	}
	ev2, err := events.Envelope{ID: "fuzz", Type: e.Type, DataVersion: current, Data: data}.Decode()
	if err != nil {
		t.Fatalf("re-encoded %s does not decode: %v\n%s", e.Type, err, data)
	}
	data2, err := json.Marshal(ev2)
	if err != nil || !bytes.Equal(data, data2) {
		t.Fatalf("re-encoding %s is not stable (%v):\n%s\n%s", e.Type, err, data, data2)
	}
}
