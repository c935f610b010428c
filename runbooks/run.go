package runbooks

import (
	"time"

	"github.com/dcmove/dcmove/events"
)

// stepState is where a step stands, as the command side sees it.
type stepState int

const (
	pending stepState = iota
	started
	done
)

type step struct {
	id, title, role string
	after           []string
	state           stepState
	by              string
	planned         events.StepPlanned
}

// Run is the command-side state of one run, folded from its events: just
// what the guards need.
type Run struct {
	ID, Plan string
	// TimeZone is the plan's time zone name.
	TimeZone string
	// Seq is the sequence of the last record applied: commands validated
	// against this state append with this expectation.
	Seq   uint64
	crew  map[string][]string // name -> roles
	names []string
	steps map[string]*step
	order []string
}

func newRun(id string) *Run {
	return &Run{ID: id, crew: map[string][]string{}, steps: map[string]*step{}}
}

// Exists reports whether the run has been started.
func (r *Run) Exists() bool { return r.Plan != "" }

// Apply folds one record into the run.
func (r *Run) Apply(rec events.Record) {
	if rec.Seq > r.Seq {
		r.Seq = rec.Seq
	}
	if rec.Malformed != nil {
		return
	}
	ev, err := rec.Decode()
	if err != nil {
		return
	}
	switch e := ev.(type) {
	case events.CutoverStarted:
		r.Plan, r.TimeZone = e.Plan, e.TimeZone
		for _, m := range e.Crew {
			r.crew[m.Name] = m.Roles
			r.names = append(r.names, m.Name)
		}
	case events.StepPlanned:
		if _, dup := r.steps[e.Step]; !dup {
			r.steps[e.Step] = &step{id: e.Step, title: e.Title, role: e.Role, after: e.After, planned: e}
			r.order = append(r.order, e.Step)
		}
	case events.StepStarted:
		if s := r.steps[e.Step]; s != nil && s.state == pending {
			s.state, s.by = started, rec.Actor
		}
	case events.StepCompleted:
		if s := r.steps[e.Step]; s != nil && s.state == started {
			s.state, s.by = done, rec.Actor
		}
	}
}

// ready reports whether every dependency of s is done.
func (r *Run) ready(s *step) bool {
	for _, d := range s.after {
		if dep := r.steps[d]; dep == nil || dep.state != done {
			return false
		}
	}
	return true
}

// Ready returns the ids of the steps that can start now, in plan order.
func (r *Run) Ready() []string {
	var out []string
	for _, id := range r.order {
		if s := r.steps[id]; s.state == pending && r.ready(s) {
			out = append(out, id)
		}
	}
	return out
}

// Started returns the ids of the steps in progress, in plan order.
func (r *Run) Started() []string {
	var out []string
	for _, id := range r.order {
		if r.steps[id].state == started {
			out = append(out, id)
		}
	}
	return out
}

// Done reports whether every step of the run is done.
func (r *Run) Done() bool {
	for _, s := range r.steps {
		if s.state != done {
			return false
		}
	}
	return len(r.steps) > 0
}

// Location returns the plan's time zone (UTC if unknown).
func (r *Run) Location() *time.Location {
	if loc, err := time.LoadLocation(r.TimeZone); err == nil && r.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// Title returns the title of a step.
func (r *Run) Title(id string) string {
	if s := r.steps[id]; s != nil {
		return s.title
	}
	return ""
}
