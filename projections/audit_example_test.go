package projections_test

import (
	"fmt"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
)

// The state as of an instant: only the records whose time is at or before
// it, even when a timer that was due earlier landed later in the log.
func ExampleAsOf() {
	at := func(hhmm string) time.Time {
		t, _ := time.Parse("15:04", hhmm)
		return time.Date(2026, 12, 5, t.Hour(), t.Minute(), 0, 0, time.UTC)
	}
	o := events.Origin{Run: "r1", Plan: "move", Actor: "Julien"}
	var log projections.Records
	for _, x := range []struct {
		at, subject string
		ev          events.Event
	}{
		{"07:00", "step/shutdown", events.StepPlanned{Step: "shutdown", Title: "Shut down db-1", Asset: "db-1"}},
		{"07:00", "step/cool-down", events.StepPlanned{Step: "cool-down", Title: "Let db-1 cool down", Asset: "db-1", Timer: "cooldown", After: []string{"shutdown"}}},
		{"07:00", "step/unrack", events.StepPlanned{Step: "unrack", Title: "Unrack db-1", Asset: "db-1", After: []string{"cool-down"}}},
		{"08:00", "step/shutdown", events.StepStarted{Step: "shutdown"}},
		{"08:30", "step/shutdown", events.StepCompleted{Step: "shutdown"}},
		{"08:30", "step/cool-down", events.StepStarted{Step: "cool-down"}},
		{"09:10", "", events.DegradedEntered{Reason: "the machines leave", Down: []string{"reporting"}}},
		{"09:00", "asset/db-1", events.CooldownElapsed{Asset: "db-1", Due: at("09:00")}}, // the timer, due 09:00, landed after 09:10
	} {
		e, _ := events.New(at(x.at), o, x.subject, x.ev)
		log.Apply(events.Record{Envelope: e, Seq: uint64(len(log) + 1)})
	}
	for _, t := range []string{"08:45", "09:05"} {
		s := projections.NewStatus()
		log.Feed(projections.AsOf(at(t), s))
		unrack, _ := s.Step("unrack")
		fmt.Printf("as of %s: unrack %s, degraded %v\n", t, unrack.State(), s.Degraded)
	}
	// Output:
	// as of 08:45: unrack pending, degraded false
	// as of 09:05: unrack ready, degraded false
}

// A filter keeps the events of the trail that match all its criteria.
func ExampleFilter() {
	o := events.Origin{Run: "r1", Plan: "move", Actor: "Karim"}
	t := projections.NewTrail()
	for i, x := range []struct {
		subject string
		ev      events.Event
	}{
		{"step/capture", events.StepPlanned{Step: "capture", Title: "Capture rules", Asset: "fw-1", Likely: events.Duration(time.Hour)}},
		{"step/move", events.StepPlanned{Step: "move", Title: "Move", Asset: "db-1"}},
		{"step/capture", events.StepStarted{Step: "capture"}},
		{"step/move", events.StepStarted{Step: "move"}},
		{"step/capture", events.StepCompleted{Step: "capture"}},
	} {
		e, _ := events.New(time.Date(2026, 12, 5, 7, 10*i, 0, 0, time.UTC), o, x.subject, x.ev)
		t.Apply(events.Record{Envelope: e, Seq: uint64(i + 1)})
	}
	for _, e := range t.Select(projections.Filter{Asset: "fw-1", Type: "step.started"}).Entries {
		fmt.Println(e.Seq, e.What)
	}
	// Output:
	// 3 step started: Capture rules
}
