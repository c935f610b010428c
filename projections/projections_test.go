package projections_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var t0 = time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC) // 07:00 in Paris

// history builds records of a small run: a plan of three steps, capture done
// (late), move started.
func history(t testing.TB) []events.Record {
	t.Helper()
	var recs []events.Record
	add := func(at time.Duration, actor, subject string, ev events.Event) {
		e, err := events.New(t0.Add(at), events.Origin{Run: "r1", Plan: "small", Actor: actor}, subject, ev)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, events.Record{Envelope: e, Seq: uint64(len(recs) + 1)})
	}
	add(0, "Claire", "", events.CutoverStarted{Plan: "small", Title: "Small move", Steps: 3, TimeZone: "Europe/Paris",
		WindowStart: t0, WindowEnd: t0.Add(36 * time.Hour)})
	add(0, "Claire", "step/capture", events.StepPlanned{Step: "capture", Title: "Capture rules", Role: "network",
		Optimistic: events.Duration(45 * time.Minute), Likely: events.Duration(time.Hour), Pessimistic: events.Duration(2 * time.Hour)})
	add(0, "Claire", "step/move", events.StepPlanned{Step: "move", Title: "Move", After: []string{"capture"}, Role: "tech",
		Optimistic: events.Duration(90 * time.Minute), Likely: events.Duration(2 * time.Hour), Pessimistic: events.Duration(4 * time.Hour)})
	add(0, "Claire", "step/validate", events.StepPlanned{Step: "validate", Title: "Validate", After: []string{"move"}, Gate: true,
		Optimistic: events.Duration(time.Hour), Likely: events.Duration(time.Hour), Pessimistic: events.Duration(time.Hour)})
	add(time.Minute, "Karim", "step/capture", events.StepStarted{Step: "capture"})
	add(91*time.Minute, "Karim", "step/capture", events.StepCompleted{Step: "capture"})
	add(95*time.Minute, "Julien", "step/move", events.StepStarted{Step: "move"})
	return recs
}

func fold(f projections.Fold, recs []events.Record) {
	for _, r := range recs {
		f.Apply(r)
	}
}

func TestStatusFold(t *testing.T) {
	s := projections.NewStatus()
	fold(s, history(t))
	want := map[string]projections.State{"capture": projections.Done, "move": projections.Started, "validate": projections.Pending}
	for id, st := range want {
		step, ok := s.Step(id)
		if !ok || step.State() != st {
			t.Errorf("step %s: %v, want %s", id, step, st)
		}
	}
	c := s.Counts()
	if c[projections.Done] != 1 || c[projections.Started] != 1 || c[projections.Pending] != 1 || c[projections.Ready] != 0 {
		t.Errorf("counts %v", c)
	}
	if step, _ := s.Step("capture"); step.DoneBy != "Karim" || step.Done.Sub(step.Started) != 90*time.Minute {
		t.Errorf("capture: done by %q in %s", step.DoneBy, step.Done.Sub(step.Started))
	}
	if s.LastSeq != 7 || s.Skipped != 0 || s.Finished() {
		t.Errorf("last seq %d, skipped %d, finished %v", s.LastSeq, s.Skipped, s.Finished())
	}
}

// Folds never fail: records they cannot use are counted and skipped, so an
// older dcmove still reads a newer log.
func TestFoldsSkipWhatTheyCannotRead(t *testing.T) {
	recs := history(t)
	unknown, _ := events.New(t0, events.Origin{Run: "r1", Actor: "x"}, "", events.StepStarted{Step: "capture"})
	unknown.Type = "dcmove.teleporter.engaged"
	newer := recs[4]
	newer.DataVersion = 9
	bad := events.Record{Seq: 10, Malformed: errors.New("not json")}
	twice := recs[4] // capture started again, after it was done
	ghost, _ := events.New(t0, events.Origin{Run: "r1", Actor: "x"}, "step/ghost", events.StepCompleted{Step: "ghost"})
	extra := []events.Record{{Envelope: unknown, Seq: 8}, {Envelope: newer.Envelope, Seq: 9}, bad,
		{Envelope: twice.Envelope, Seq: 11}, {Envelope: ghost, Seq: 12}}

	s := projections.NewStatus()
	fold(s, append(recs, extra...))
	if s.Skipped != len(extra) {
		t.Errorf("status skipped %d records, want %d", s.Skipped, len(extra))
	}
	if s.LastSeq != 12 {
		t.Errorf("status last seq %d, want 12", s.LastSeq)
	}
	if step, _ := s.Step("capture"); step.State() != projections.Done {
		t.Errorf("a repeated start changed capture to %s", step.State())
	}
	tr := projections.NewTrail()
	fold(tr, append(recs, extra...))
	if len(tr.Entries) != len(recs)+len(extra) {
		t.Fatalf("trail has %d entries, want every record (%d)", len(tr.Entries), len(recs)+len(extra))
	}
	skipped := 0
	for _, e := range tr.Entries {
		if e.Skipped != "" {
			skipped++
		}
	}
	if skipped != 3 {
		t.Errorf("trail marks %d entries skipped, want 3 (unknown type, newer version, malformed)", skipped)
	}
}

func TestTrailPlannedVsActual(t *testing.T) {
	tr := projections.NewTrail()
	fold(tr, history(t))
	e := tr.Entries[5]
	if e.Type != events.TypeStepCompleted || e.Planned != time.Hour || e.Actual != 90*time.Minute || e.Actor != "Karim" {
		t.Fatalf("completion entry %+v", e)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = scrubHead(got)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./projections -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is wanted):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestWriteStatusGolden(t *testing.T) {
	s := projections.NewStatus()
	fold(s, history(t))
	var b bytes.Buffer
	// Two and a half hours after move started: it is late.
	v := projections.View{Now: t0.Add(95*time.Minute + 150*time.Minute), Local: time.UTC}
	if err := v.Write(&b, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.golden", b.Bytes())
}

func TestWriteTrailGolden(t *testing.T) {
	tr := projections.NewTrail()
	fold(tr, history(t))
	var b bytes.Buffer
	if err := projections.WriteTrail(&b, tr); err != nil {
		t.Fatal(err)
	}
	golden(t, "trail.golden", b.Bytes())
}

// The envelope stays readable by generic CloudEvents tools.
func TestEnvelopeIsCloudEventsJSON(t *testing.T) {
	b, err := json.Marshal(history(t)[4].Envelope)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data", "run", "actor", "dataversion"} {
		if _, ok := m[k]; !ok {
			t.Errorf("envelope JSON lacks %q: %s", k, b)
		}
	}
}

// Services down in degraded mode are down on purpose; a vital one stopped
// is not, and both are measured against their restoration objective.
func TestServicesDownOnPurposeOrNot(t *testing.T) {
	var recs []events.Record
	add := func(at time.Duration, subject string, ev events.Event) {
		e, err := events.New(t0.Add(at), events.Origin{Run: "r1", Actor: "Hugo"}, subject, ev)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, events.Record{Envelope: e, Seq: uint64(len(recs) + 1)})
	}
	add(0, "", events.CutoverStarted{Plan: "p", TimeZone: "Europe/Paris", Services: []events.Service{
		{ID: "db", Vital: true, RTO: events.Duration(2 * time.Hour)}, {ID: "web", RTO: events.Duration(time.Hour)}}})
	for _, sv := range []string{"web", "db"} {
		add(0, "step/stop-"+sv, events.StepPlanned{Step: "stop-" + sv, Title: "Stop " + sv, Service: sv, Template: "stop-<id>", Kind: events.KindStopService, Likely: events.Duration(10 * time.Minute)})
		add(0, "step/start-"+sv, events.StepPlanned{Step: "start-" + sv, Title: "Start " + sv, Service: sv, Template: "start-<id>", Kind: events.KindStartService, After: []string{"stop-" + sv}, Likely: events.Duration(10 * time.Minute)})
	}
	add(time.Minute, "", events.DegradedEntered{Reason: "move", Down: []string{"web"}})
	add(2*time.Minute, "step/stop-web", events.StepStarted{Step: "stop-web"})
	add(2*time.Minute, "step/stop-db", events.StepStarted{Step: "stop-db"})
	s := projections.NewStatus()
	fold(s, recs)
	if !s.OnPurpose("web") || s.OnPurpose("db") {
		t.Fatalf("on purpose: web %v, db %v", s.OnPurpose("web"), s.OnPurpose("db"))
	}
	var b bytes.Buffer
	projections.WriteStatus(&b, s, t0.Add(92*time.Minute))
	for _, want := range []string{"web  on purpose (degraded mode)", "down 1h30m since Sat 07:02 (RTO 1h, OVER by 30m)", "db   NOT on purpose, vital", "(RTO 2h)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status does not say %q:\n%s", want, b.String())
		}
	}
	// Started again at the destination: up, with its downtime kept.
	add(100*time.Minute, "step/stop-web", events.StepCompleted{Step: "stop-web"})
	add(100*time.Minute, "step/start-web", events.StepStarted{Step: "start-web"})
	add(110*time.Minute, "step/start-web", events.StepCompleted{Step: "start-web"})
	s = projections.NewStatus()
	fold(s, recs)
	for _, sv := range s.Services {
		if sv.ID == "web" && (!sv.DownSince.IsZero() || sv.Down != 108*time.Minute) {
			t.Errorf("web after restart: down since %v, downtime %s", sv.DownSince, sv.Down)
		}
	}
}
