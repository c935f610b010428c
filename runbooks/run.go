package runbooks

import (
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
)

// stepState is where a step stands, as the command side sees it.
type stepState int

const (
	pending stepState = iota
	started
	done
	failed
	skipped
	cancelled
)

var stateNames = [...]string{"not started", "started", "done", "failed", "skipped", "cancelled (the move backed out)"}

type step struct {
	id, title, role string
	after           []string
	state           stepState
	by              string
	startedAt       time.Time
	reason          string // why it failed or was skipped
	blocked         string // why it is blocked; empty when not
	timing          string
	gate            bool
	signed          map[string]string // gate: role -> decision
	planned         events.StepPlanned
}

// finished reports whether dependents of the step may go on.
func (s *step) finished() bool { return s.state == done || s.state == skipped }

// Run is the command-side state of one run, folded from its events: just
// what the guards need.
type Run struct {
	ID, Plan string
	// TimeZone is the plan's time zone name.
	TimeZone string
	// WindowStart and WindowEnd bound the move window.
	WindowStart, WindowEnd time.Time
	// Lead is the crew member who leads the move.
	Lead string
	// Rehearsal marks a dress rehearsal.
	Rehearsal bool
	// Seq is the sequence of the last record applied: commands validated
	// against this state append with this expectation.
	Seq      uint64
	crew     map[string][]string // name -> roles
	names    []string
	steps    map[string]*step
	order    []string
	services []events.Service
	// Degraded is set while degraded mode is on, with the services down on
	// purpose.
	Degraded     bool
	DegradedDown []string
	// PointOfNoReturn is the planned last moment a back-out still ends in
	// the window (zero: none).
	PointOfNoReturn time.Time
	// BackingOut is set once the move backs out.
	BackingOut bool
	activated  map[string]bool      // back-out steps to run
	cooling    map[string]time.Time // asset -> cooled down at
}

func newRun(id string) *Run {
	return &Run{ID: id, crew: map[string][]string{}, steps: map[string]*step{}, activated: map[string]bool{}, cooling: map[string]time.Time{}}
}

// Exists reports whether the run has been started.
func (r *Run) Exists() bool { return r.Plan != "" }

// Apply folds one record into the run. Records that contradict the state
// (a start of a step already started, by a concurrent writer of an older
// dcmove) are ignored.
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
		r.Plan, r.TimeZone, r.Lead, r.Rehearsal = e.Plan, e.TimeZone, e.Lead, e.Rehearsal
		r.WindowStart, r.WindowEnd, r.services = e.WindowStart, e.WindowEnd, e.Services
		r.PointOfNoReturn = e.PointOfNoReturn
		for _, m := range e.Crew {
			r.crew[m.Name] = m.Roles
			r.names = append(r.names, m.Name)
		}
	case events.StepPlanned:
		if _, dup := r.steps[e.Step]; !dup {
			r.steps[e.Step] = &step{id: e.Step, title: e.Title, role: e.Role, after: e.After, timing: e.Timing, gate: e.Gate, planned: e}
			r.order = append(r.order, e.Step)
		}
	case events.StepStarted:
		if s := r.steps[e.Step]; s != nil && s.state == pending {
			s.state, s.by, s.startedAt = started, rec.Actor, rec.Time
		}
	case events.StepCompleted:
		if s := r.steps[e.Step]; s != nil && s.state == started {
			s.state, s.by = done, rec.Actor
		}
	case events.StepFailed:
		if s := r.steps[e.Step]; s != nil && s.state == started {
			s.state, s.by, s.reason = failed, rec.Actor, e.Reason
		}
	case events.StepRetried:
		if s := r.steps[e.Step]; s != nil && s.state == failed {
			s.state, s.by, s.reason = pending, rec.Actor, ""
		}
	case events.StepSkipped:
		if s := r.steps[e.Step]; s != nil && (s.state == pending || s.state == failed) {
			s.state, s.by, s.reason = skipped, rec.Actor, e.Reason
		}
	case events.StepBlocked:
		if s := r.steps[e.Step]; s != nil {
			s.blocked = e.Reason
		}
	case events.StepUnblocked:
		if s := r.steps[e.Step]; s != nil {
			s.blocked = ""
		}
	case events.GateSigned:
		if s := r.steps[e.Gate]; s != nil {
			if s.signed == nil {
				s.signed = map[string]string{}
			}
			s.signed[e.Role] = e.Decision
		}
	case events.CooldownStarted:
		r.cooling[e.Asset] = e.Until
	case events.CooldownElapsed:
		r.cooled(e.Asset, rec.Actor)
	case events.CooldownForced:
		r.cooled(e.Asset, rec.Actor)
	case events.BackoutStarted:
		r.BackingOut = true
		for _, id := range e.Steps {
			r.activated[id] = true
		}
		for _, id := range e.Cancelled {
			if s := r.steps[id]; s != nil && (s.state == pending || s.state == started && s.planned.Timer != "") {
				s.state, s.reason = cancelled, e.Reason
			}
		}
	case events.DegradedEntered:
		r.Degraded, r.DegradedDown = true, e.Down
	case events.DegradedLeft:
		r.Degraded, r.DegradedDown = false, nil
	}
}

// cooled ends an asset's cool-down: its timer steps are done.
func (r *Run) cooled(asset, actor string) {
	if _, ok := r.cooling[asset]; !ok {
		return
	}
	delete(r.cooling, asset)
	for _, id := range r.order {
		if s := r.steps[id]; s.planned.Timer == "cooldown" && s.planned.Asset == asset && s.state == started {
			s.state, s.by = done, actor
		}
	}
}

// ready reports whether s can start: pending, unblocked, part of the work
// (a back-out step only once the move backs out, a forward step only until
// then), and every dependency done or skipped. A back-out step waits only
// for the back-out steps that were activated.
func (r *Run) ready(s *step) bool {
	if s.state != pending || s.blocked != "" || s.planned.Timer == "cooldown" {
		return false
	}
	if s.planned.BackoutOnly != r.BackingOut || (s.planned.BackoutOnly && !r.activated[s.id]) {
		return false
	}
	return len(r.waitingFor(s)) == 0
}

// waitingFor returns the dependencies of s that are not finished.
func (r *Run) waitingFor(s *step) []*step {
	var out []*step
	for _, d := range s.after {
		dep := r.steps[d]
		if dep == nil || dep.finished() || (s.planned.BackoutOnly && !r.activated[d]) {
			continue
		}
		out = append(out, dep)
	}
	return out
}

// Ready returns the ids of the steps that can start now, in plan order.
func (r *Run) Ready() []string { return r.where(r.ready) }

// Started returns the ids of the steps in progress, in plan order.
func (r *Run) Started() []string {
	return r.where(func(s *step) bool { return s.state == started })
}

// Failed returns the ids of the failed steps, in plan order.
func (r *Run) Failed() []string {
	return r.where(func(s *step) bool { return s.state == failed })
}

// Blocked returns the ids of the blocked steps, in plan order.
func (r *Run) Blocked() []string {
	return r.where(func(s *step) bool { return s.blocked != "" })
}

func (r *Run) where(keep func(*step) bool) []string {
	var out []string
	for _, id := range r.order {
		if keep(r.steps[id]) {
			out = append(out, id)
		}
	}
	return out
}

// Done reports whether every step of the run is done or skipped (back-out
// steps aside).
func (r *Run) Done() bool {
	n := 0
	for _, s := range r.steps {
		if s.planned.BackoutOnly && !r.activated[s.id] || s.state == cancelled {
			continue
		}
		if !s.finished() {
			return false
		}
		n++
	}
	return n > 0
}

// GateRoles returns the roles that must all sign go on a gate: every role
// of the crew, so each team says go.
func (r *Run) GateRoles() []string {
	var roles []string
	for _, n := range r.names {
		for _, role := range r.crew[n] {
			if !slices.Contains(roles, role) {
				roles = append(roles, role)
			}
		}
	}
	slices.Sort(roles)
	return roles
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

// Role returns the role a step needs ("" for anyone).
func (r *Run) Role(id string) string {
	if s := r.steps[id]; s != nil {
		return s.role
	}
	return ""
}
