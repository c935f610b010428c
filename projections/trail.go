package projections

import (
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
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
	// Steps and Assets are what the event is about: the step of its
	// subject and that step's asset, the asset of a cool-down and the step
	// that started it, the steps a back-out activates or cancels. Filters
	// match on them.
	Steps, Assets []string
	// Record is the record as stored, for exports.
	Record events.Record
}

// Trail is the chronological audit trail of a run: every record, in log
// order, including those no projection understood.
type Trail struct {
	Entries  []Entry
	TimeZone string
	planned  map[string]time.Duration
	started  map[string]time.Time
	titles   map[string]string
	assets   map[string]string // step id → asset id
}

// NewTrail returns an empty trail.
func NewTrail() *Trail {
	return &Trail{planned: map[string]time.Duration{}, started: map[string]time.Time{}, titles: map[string]string{}, assets: map[string]string{}}
}

// Apply folds one record into the trail.
func (t *Trail) Apply(r events.Record) {
	e := Entry{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Type: r.Type, Subject: r.Subject, Record: r}
	if r.Malformed != nil {
		e.Skipped = r.Malformed.Error()
		t.Entries = append(t.Entries, e)
		return
	}
	ev, err := r.Decode()
	if err != nil {
		e.Skipped = err.Error()
		e.Steps, e.Assets = t.about(r, nil)
		t.Entries = append(t.Entries, e)
		return
	}
	switch v := ev.(type) {
	case events.CutoverStarted:
		t.TimeZone = v.TimeZone
	case events.StepPlanned:
		t.planned[v.Step] = time.Duration(v.Likely)
		t.titles[v.Step] = v.Title
		t.assets[v.Step] = v.Asset
	case events.StepStarted:
		t.started[v.Step] = r.Time
	case events.StepCompleted:
		e.Planned = t.planned[v.Step]
		if at, ok := t.started[v.Step]; ok {
			e.Actual = r.Time.Sub(at)
		}
	}
	e.What = Describe(r.Actor, ev, func(id string) string { return t.titles[id] })
	e.Steps, e.Assets = t.about(r, ev)
	t.Entries = append(t.Entries, e)
}

// about returns the steps and assets a record is about (ev is nil when it
// could not be decoded: then its subject alone says).
func (t *Trail) about(r events.Record, ev events.Event) (steps, assets []string) {
	kind, id, _ := strings.Cut(r.Subject, "/")
	switch kind {
	case "step":
		steps = []string{id}
	case "asset":
		assets = []string{id}
	}
	switch v := ev.(type) {
	case events.CooldownStarted:
		steps = append(steps, v.Step)
	case events.BackoutStarted:
		steps = append(append(steps, v.Steps...), v.Cancelled...)
	}
	for _, st := range steps {
		if a := t.assets[st]; a != "" && !slices.Contains(assets, a) {
			assets = append(assets, a)
		}
	}
	return steps, assets
}

// Location returns the plan's time zone, or UTC if it is unknown here.
func (t *Trail) Location() *time.Location {
	if loc, err := time.LoadLocation(t.TimeZone); err == nil && t.TimeZone != "" {
		return loc
	}
	return time.UTC
}
