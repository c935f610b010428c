package projections_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
	"github.com/nats-io/nkeys"
)

// The report shows what the run's model applied: an event the model
// ignores (unsigned on a run that requires keys) is listed as ignored,
// never as the back-out or the skip it claims to be.
func TestReportShowsIgnoredEventsAsIgnored(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	o := events.Origin{Run: "k", Plan: "p", Actor: "Claire"}
	var evs []events.Envelope
	add := func(subject string, ev events.Event, signed bool) {
		e, err := events.New(at, o, subject, ev)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
		if len(evs) > 1 {
			events.LinkTo(evs[len(evs)-2]).Chain(evs[len(evs)-1:])
		}
		if signed {
			if err := events.Sign(&evs[len(evs)-1], kp); err != nil {
				t.Fatal(err)
			}
		}
	}
	add("", events.CutoverStarted{Plan: "p", Lead: "Claire", Crew: []events.Member{{Name: "Claire", Roles: []string{"lead"}, Key: pub}}}, true)
	add("step/a", events.StepPlanned{Step: "a", Title: "A", Likely: events.Duration(time.Hour)}, true)
	add("", events.BackoutStarted{Reason: "forged", Steps: []string{}, Cancelled: []string{"a"}}, false)
	add("step/a", events.StepSkipped{Step: "a", Reason: "forged"}, false)
	rp := projections.NewReport()
	for i, e := range evs {
		rp.Apply(events.Record{Envelope: e, Seq: uint64(i + 1)})
	}
	if rp.Backout != nil || rp.Status.BackingOut {
		t.Fatalf("the report shows a forged back-out: %+v", rp.Backout)
	}
	var ignored []string
	for _, d := range rp.Deviations {
		if d.Kind == projections.DeviationBackout || d.Kind == projections.DeviationSkipped {
			t.Fatalf("the report lists a forged event as a %s", d.Kind)
		}
		if d.Kind == projections.DeviationIgnored {
			ignored = append(ignored, d.Reason)
		}
	}
	if len(ignored) != 2 || !strings.Contains(ignored[1], "not applied: ") {
		t.Fatalf("ignored deviations %q, want the two forged events", ignored)
	}
}
