package projections

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/runbooks"
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
	// run is the run's model as of the records folded so far: the trail
	// reads titles, assets and start times there.
	run *runbooks.Run
}

// NewTrail returns an empty trail.
func NewTrail() *Trail { return &Trail{run: runbooks.NewRun("")} }

// Apply folds one record into the trail: the record is applied to the
// run, and its entry written against it (a completion's duration against
// the run as it was before).
func (t *Trail) Apply(r events.Record) {
	e := Entry{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Type: r.Type, Subject: r.Subject, Record: r}
	if why := r.ForeignTo(t.run.ID); why != nil {
		// Junk, or an envelope that is not an event of this run: shown,
		// never as what it claims.
		t.run.Apply(r)
		e.Skipped = events.ForeignRecord{Record: r, Why: why}.What()
		t.Entries = append(t.Entries, e)
		return
	}
	ev, err := r.Decode()
	if err != nil {
		t.run.Apply(r)
		e.Skipped = err.Error()
		e.Steps, e.Assets = t.about(r, nil)
		t.Entries = append(t.Entries, e)
		return
	}
	switch v := ev.(type) {
	case events.CutoverStarted:
		t.TimeZone = v.TimeZone
	case events.StepCompleted:
		if st := t.run.Find(v.Step); st != nil {
			e.Planned = st.Planned
			if !st.Started.IsZero() {
				e.Actual = r.Time.Sub(st.Started)
			}
		}
	}
	unsigned := t.run.Unsigned
	t.run.Apply(r)
	e.What = Describe(r.Actor, ev, t.run.StepTitle)
	if t.run.Unsigned > unsigned {
		// A forged or altered event on a run that requires signatures:
		// shown, never as what it claims.
		why := "it is not signed by its actor"
		if err := events.SignedBy(r.Envelope, t.run.Crew); err != nil {
			why = strings.TrimPrefix(err.Error(), "events: ")
		}
		e.Skipped = fmt.Sprintf("ignored: %s; it claims: %s", why, e.What)
	}
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
	for _, id := range steps {
		if st := t.run.Find(id); st != nil && st.Asset != "" && !slices.Contains(assets, st.Asset) {
			assets = append(assets, st.Asset)
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
