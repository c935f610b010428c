package projections

import (
	"fmt"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// Entry is one line of the audit trail.
type Entry struct {
	Seq     uint64
	Time    time.Time
	Actor   string
	Type    string
	Subject string
	// What says what happened in words.
	What string
	// Planned and Actual are set on step completions: the likely duration
	// from the plan and the time the step really took.
	Planned, Actual time.Duration
	// Skipped says why a record is in the trail but was not understood.
	Skipped string
}

// Trail is the chronological audit trail of a run: every record, in log
// order, including those no projection understood.
type Trail struct {
	Entries  []Entry
	TimeZone string
	planned  map[string]time.Duration
	started  map[string]time.Time
	titles   map[string]string
}

// NewTrail returns an empty trail.
func NewTrail() *Trail {
	return &Trail{planned: map[string]time.Duration{}, started: map[string]time.Time{}, titles: map[string]string{}}
}

// Apply folds one record into the trail.
func (t *Trail) Apply(r events.Record) {
	e := Entry{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Type: r.Type, Subject: r.Subject}
	if r.Malformed != nil {
		e.Skipped = r.Malformed.Error()
		t.Entries = append(t.Entries, e)
		return
	}
	ev, err := r.Decode()
	if err != nil {
		e.Skipped = err.Error()
		t.Entries = append(t.Entries, e)
		return
	}
	switch v := ev.(type) {
	case events.CutoverStarted:
		t.TimeZone = v.TimeZone
		e.What = fmt.Sprintf("cutover started: plan %s, %d steps", v.Plan, v.Steps)
	case events.StepPlanned:
		t.planned[v.Step] = time.Duration(v.Likely)
		t.titles[v.Step] = v.Title
		d := planner.Duration{Optimistic: time.Duration(v.Optimistic), Likely: time.Duration(v.Likely), Pessimistic: time.Duration(v.Pessimistic)}
		e.What = fmt.Sprintf("step planned: %s (%s)", v.Title, d)
	case events.StepStarted:
		t.started[v.Step] = r.Time
		e.What = "step started: " + t.titles[v.Step]
	case events.StepCompleted:
		e.What = "step done: " + t.titles[v.Step]
		e.Planned = t.planned[v.Step]
		if at, ok := t.started[v.Step]; ok {
			e.Actual = r.Time.Sub(at)
		}
	}
	t.Entries = append(t.Entries, e)
}
