package events

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"os"
	"strings"
	"testing"
	"time"
)

// readFixture reads a log as `dcmove audit --output jsonl` writes it: one
// stored envelope a line, with its seq.
func readFixture(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Seq uint64 `json:"seq"`
			Envelope
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s:%d: %v", path, len(recs)+1, err)
		}
		recs = append(recs, Record{Envelope: line.Envelope, Seq: line.Seq})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// recordsLog is a [Log] that only reads the records it holds.
type recordsLog struct {
	Log
	recs []Record
}

func (l recordsLog) Read(_ context.Context, run string, from uint64) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for _, r := range l.recs {
			if r.Run == run && r.Seq >= from && !yield(r, nil) {
				return
			}
		}
	}
}

// TestUpcastV1Log reads testdata/v1-run.jsonl, a run recorded by dcmove
// when step.planned was at version 1 (from testdata/v1-run.yaml: the
// built-in runbook and one hand-written step), with the current code.
// Every event decodes, and every planned step gets the kind its step
// declares today; the hand-written step stays plain work, since version 1
// could not say more.
func TestUpcastV1Log(t *testing.T) {
	recs := readFixture(t, "testdata/v1-run.jsonl")
	// The fixture is what dcmove wrote, untouched.
	rep, err := Verify(context.Background(), recordsLog{recs: recs}, "tiny-move-rehearsal")
	if err != nil || !rep.OK() || rep.Events != len(recs) {
		t.Fatalf("fixture chain: %+v, %v", rep, err)
	}

	want := map[string]StepKind{
		"go-no-go":                    KindGate,
		"enter-degraded-mode":         KindEnterDegraded,
		"stop-web":                    KindStopService,
		"shutdown-web-1":              KindShutdown,
		"cooldown-web-1":              KindCooldown,
		"unrack-web-1":                KindUnrack,
		"rack-web-1":                  KindRack,
		"cable-web-1":                 KindCable,
		"power-on-web-1":              KindPowerOn,
		"activate-rules":              KindActivateRules,
		"start-web":                   KindStartService,
		"validate-web":                KindValidate,
		"leave-degraded-mode":         KindLeaveDegraded,
		"watch":                       KindWatch,
		"grace-period":                KindGrace,
		"decommission-old-nas":        KindDecommission,
		"wipe-old-range":              KindWork, // hand-written: no template, no gate
		"point-of-no-return":          KindGate, // a gate dcmove adds, with no template
		"unrack-at-destination-web-1": KindUnrack,
		"rerack-at-source-web-1":      KindRack,
		"power-on-at-source-web-1":    KindPowerOn,
		"restart-at-source-web":       KindRestore,
		"restore-full-service":        KindRestore,
	}
	got := map[string]StepPlanned{}
	types := map[string]int{}
	for _, r := range recs {
		ev, err := r.Decode()
		if err != nil {
			t.Fatalf("seq %d: %v", r.Seq, err)
		}
		types[r.Type]++
		sp, ok := ev.(StepPlanned)
		if !ok {
			continue
		}
		if r.DataVersion != 1 || strings.Contains(string(r.Data), `"kind"`) {
			t.Fatalf("seq %d is not a step.planned v1: dataversion %d, %s", r.Seq, r.DataVersion, r.Data)
		}
		got[sp.Step] = sp
	}
	if len(got) != len(want) || types[TypeCutoverStarted] != 1 || types[TypeStepStarted] == 0 || types[TypeStepCompleted] == 0 ||
		types[TypeGateSigned] == 0 || types[TypeCooldownStarted] != 1 || types[TypeDegradedEntered] != 1 {
		t.Errorf("fixture holds %d planned steps (want %d) and events %v", len(got), len(want), types)
	}
	for step, kind := range want {
		if sp, ok := got[step]; !ok || sp.Kind != kind {
			t.Errorf("step %s: kind %q, want %q (planned: %v)", step, sp.Kind, kind, ok)
		}
	}
	// Upcasting adds the kind and keeps everything else.
	cool := got["cooldown-web-1"]
	if cool.Timer != "cooldown" || cool.Asset != "web-1" || cool.Template != "cooldown-<id>" || time.Duration(cool.Likely) != 15*time.Minute ||
		len(cool.After) != 1 || cool.After[0] != "shutdown-web-1" || cool.PlannedStart.IsZero() {
		t.Errorf("cooldown-web-1 after upcasting: %+v", cool)
	}
	if d := got["decommission-old-nas"]; !d.Gate || d.Asset != "old-nas" || d.Phase != "after" {
		t.Errorf("decommission-old-nas after upcasting: %+v", d)
	}
	if w := got["wipe-old-range"]; w.Asset != "old-nas" || w.Template != "" || w.Role != "lead" {
		t.Errorf("wipe-old-range after upcasting: %+v", w)
	}
}

func v1(t *testing.T, data string) StepPlanned {
	t.Helper()
	e := Envelope{ID: "e1", Type: TypeStepPlanned, DataVersion: 1, Data: json.RawMessage(data)}
	ev, err := e.Decode()
	if err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return ev.(StepPlanned)
}

// The v1 upcaster's order: a timer says what the step is, then the
// built-in template step it came from, then the gate flag.
func TestUpcastStepPlannedV1Kinds(t *testing.T) {
	for _, tt := range []struct {
		data string
		want StepKind
	}{
		{`{"step":"cool-db","timer":"cooldown"}`, KindCooldown},
		{`{"step":"grace-period","template":"grace-period","timer":"grace"}`, KindGrace},
		{`{"step":"wait","template":"stop-<id>","timer":"grace"}`, KindGrace},
		{`{"step":"stop-db","template":"stop-<id>","service":"db"}`, KindStopService},
		{`{"step":"validate-asset-bo-1","template":"validate-asset-<id>"}`, KindValidate},
		{`{"step":"review-rule-r1","template":"review-rule-<id>"}`, KindReviewRule},
		{`{"step":"decommission-ftp-1","template":"decommission-<id>","gate":true}`, KindDecommission},
		{`{"step":"go-no-go","template":"go-no-go","gate":true}`, KindGate},
		{`{"step":"sign-off","gate":true}`, KindGate},
		{`{"step":"wipe-old-range","asset":"old-nas"}`, KindWork},
		{`{"step":"stop-db"}`, KindWork},                                    // a hand-written id is not guessed at
		{`{"step":"x","template":"my-own-<id>"}`, KindWork},                 // a template of the plan's own
		{`{"step":"x","template":"my-gate","gate":true}`, KindGate},         // its gates are gates
		{`{"step":"x","kind":"notice","template":"stop-<id>"}`, KindNotice}, // already has a kind
	} {
		if got := v1(t, tt.data).Kind; got != tt.want {
			t.Errorf("%s: kind %q, want %q", tt.data, got, tt.want)
		}
	}
}

// A version 2 payload keeps its kind on the wire, and is not upcast.
func TestUpcastStepPlannedV2(t *testing.T) {
	e, err := New(time.Now(), Origin{Run: "r", Plan: "p", Actor: "a"}, "step/wipe", StepPlanned{Step: "wipe", Title: "Wipe", Kind: KindDecommission})
	if err != nil {
		t.Fatal(err)
	}
	if e.DataVersion != 2 || !strings.Contains(string(e.Data), `"kind":"decommission"`) {
		t.Fatalf("v2 envelope: version %d, %s", e.DataVersion, e.Data)
	}
	ev, err := e.Decode()
	if err != nil || ev.(StepPlanned).Kind != KindDecommission {
		t.Fatalf("decode v2: %v, %v", ev, err)
	}
	// Plain work has no kind on the wire, and stays plain work.
	e, _ = New(time.Now(), Origin{Run: "r"}, "", StepPlanned{Step: "stop-db", Template: "stop-<id>"})
	if strings.Contains(string(e.Data), "kind") {
		t.Errorf("work step carries a kind: %s", e.Data)
	}
	if ev, _ := e.Decode(); ev.(StepPlanned).Kind != KindWork {
		t.Errorf("a v2 step is guessed at: %+v", ev)
	}
}

func TestUpcastNewerVersionIsUnknown(t *testing.T) {
	e := Envelope{ID: "e1", Type: TypeStepPlanned, DataVersion: 3, Data: json.RawMessage(`{"step":"a"}`)}
	_, err := e.Decode()
	if !errors.Is(err, ErrUnknownType) || !strings.Contains(err.Error(), "version 3 is newer than this dcmove knows (2)") {
		t.Errorf("decode of a newer version: %v", err)
	}
}

// probe is an event type of the tests' own, at version 3.
type probe struct {
	Name  string `json:"name"`
	Steps []int  `json:"steps"`
}

const typeProbe = "dcmove.test.probe"

func (probe) EventType() string { return typeProbe }
func (probe) EventVersion() int { return 3 }

// withProbe puts probe in the catalog for the test.
func withProbe(t *testing.T) {
	t.Helper()
	register[probe]()
	t.Cleanup(func() { delete(catalog, typeProbe) })
}

// appendStep is an upcaster that records that it ran.
func appendStep(n int) Upcaster {
	return func(data json.RawMessage) (json.RawMessage, error) {
		var p probe
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, err
		}
		p.Steps = append(p.Steps, n)
		return json.Marshal(p)
	}
}

func TestUpcastMissingUpcasterFails(t *testing.T) {
	withProbe(t)
	if err := RegisterUpcaster(typeProbe, 2, appendStep(2)); err != nil {
		t.Fatal(err)
	}
	e := Envelope{ID: "e1", Type: typeProbe, DataVersion: 1, Data: json.RawMessage(`{"name":"a"}`)}
	if _, err := e.Decode(); err == nil || errors.Is(err, ErrUnknownType) || !strings.Contains(err.Error(), "no upcaster from version 1 to 2") {
		t.Errorf("decode with a missing upcaster: %v", err)
	}
	// Version 2 has its upcaster.
	e.DataVersion = 2
	if ev, err := e.Decode(); err != nil || len(ev.(probe).Steps) != 1 {
		t.Errorf("decode v2: %v, %v", ev, err)
	}
}

func TestUpcastChain(t *testing.T) {
	withProbe(t)
	for from := 1; from <= 2; from++ {
		if err := RegisterUpcaster(typeProbe, from, appendStep(from)); err != nil {
			t.Fatal(err)
		}
	}
	e := Envelope{ID: "e1", Type: typeProbe, DataVersion: 1, Data: json.RawMessage(`{"name":"a"}`)}
	ev, err := e.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if p := ev.(probe); p.Name != "a" || len(p.Steps) != 2 || p.Steps[0] != 1 || p.Steps[1] != 2 {
		t.Errorf("upcast 1 -> 2 -> 3: %+v", p)
	}
	// An upcaster that fails makes the event undecodable, with the reason.
	withBad := Envelope{ID: "e2", Type: typeProbe, DataVersion: 1, Data: json.RawMessage(`{"name":7}`)}
	if _, err := withBad.Decode(); err == nil || !strings.Contains(err.Error(), "upcast from version 1") {
		t.Errorf("failing upcaster: %v", err)
	}
}

func TestRegisterUpcasterRefuses(t *testing.T) {
	withProbe(t)
	ok := appendStep(0)
	for _, tt := range []struct {
		typ  string
		from int
		up   Upcaster
		says string
	}{
		{"dcmove.nope", 1, ok, "unknown event type"},
		{typeProbe, 0, ok, "no version 0 to upcast from (1 to 2)"},
		{typeProbe, 3, ok, "no version 3 to upcast from"},
		{TypeStepStarted, 1, ok, "no version 1 to upcast from"}, // still at version 1
		{typeProbe, 1, nil, "nil upcaster"},
		{TypeStepPlanned, 1, ok, "already has an upcaster from version 1"},
	} {
		err := RegisterUpcaster(tt.typ, tt.from, tt.up)
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("RegisterUpcaster(%s, %d): %v, want %q", tt.typ, tt.from, err, tt.says)
		}
	}
	if err := RegisterUpcaster("dcmove.nope", 1, ok); !errors.Is(err, ErrUnknownType) {
		t.Errorf("unknown type: %v", err)
	}
}

// Every type of the catalog can be read from every version it ever had.
func TestCatalogUpcastersComplete(t *testing.T) {
	for _, typ := range Types() {
		et := catalog[typ]
		for v := 1; v < et.version; v++ {
			if et.upcast[v] == nil {
				t.Errorf("%s is at version %d but has no upcaster from version %d", typ, et.version, v)
			}
		}
	}
}
