package projections

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
)

// State is where a step stands.
type State string

// The states of a step. Ready is derived: a pending step whose dependencies
// are all done.
const (
	Pending   State = "pending"
	Ready     State = "ready"
	Started   State = "started"
	Done      State = "done"
	Failed    State = "failed"
	Skipped   State = "skipped"
	Cancelled State = "cancelled"
)

// States lists the states in lifecycle order.
var States = []State{Pending, Ready, Started, Done, Failed, Skipped, Cancelled}

// Step is one step of the run as the status shows it.
type Step struct {
	ID, Title, Phase, Asset, Role string
	Gate                          bool
	After                         []string
	// Planned is the likely duration; Optimistic and Pessimistic bound it.
	Planned, Optimistic, Pessimistic time.Duration
	// Started and Done are when the step started and finished (zero if
	// not yet), and StartedBy and DoneBy who did it.
	Started, Done     time.Time
	StartedBy, DoneBy string
	// Reason says why the step failed or was skipped; Blocked why it is
	// blocked (empty when it is not).
	Reason, Blocked string
	// Signed holds a gate's decisions by role.
	Signed                    map[string]string
	Timing, Service, Template string
	// BackoutOnly marks a step that runs only if the move backs out;
	// Timer a step that ends by itself (a cool-down).
	BackoutOnly bool
	Timer       string
	// PlannedStart and PlannedEnd are the schedule's times for the step
	// when the cutover started (zero for back-out steps).
	PlannedStart, PlannedEnd time.Time
	state                    State
	waitingFor               int // dependencies not done yet
	dependents               []string
	startedSeq, doneSeq      uint64
}

// Status is the live state of one run: the projection every watcher reads.
type Status struct {
	Run, Plan, Title, File string
	WindowStart, WindowEnd time.Time
	TimeZone               string
	Crew                   []events.Member
	// Lead is the crew member who leads the move.
	Lead string
	// Phases are the phases of the steps, in the order the plan first
	// names them.
	Phases []string
	// CutoverStarted is when the run was recorded.
	CutoverStarted time.Time
	// Steps are the run's steps in plan order.
	Steps []*Step
	// LastSeq is the sequence of the last record applied.
	LastSeq uint64
	// LastEvent is the time of the last event applied.
	LastEvent time.Time
	// Skipped counts records that were not applied: malformed, of an unknown
	// type or version, or contradicting the run's history.
	Skipped int
	// Rehearsal marks a dress rehearsal.
	Rehearsal bool
	// Accepted are the plan warnings accepted at the start, with who and why.
	Accepted []Acceptance
	// Degraded is set while degraded mode is on: since DegradedSince, with
	// the services in Down stopped on purpose.
	Degraded      bool
	DegradedSince time.Time
	Down          []string
	// DegradedTotal is how long degraded mode lasted in earlier spells.
	DegradedTotal time.Duration
	// Cooling are the assets cooling down, with the time each may be handled.
	Cooling map[string]time.Time
	// BackingOut is set once the move backs out, with why and since when.
	BackingOut    bool
	BackoutReason string
	BackoutSince  time.Time
	// PointOfNoReturn is the planned last moment to back out (zero: none).
	PointOfNoReturn time.Time
	// Services are the plan's services with their downtime so far.
	Services  []*Service
	activated map[string]bool
	byID      map[string]*Step
}

// Service is a service of the plan as the status tracks it: down from the
// start of its stop step until its start step is done at the destination.
type Service struct {
	ID, Title string
	Vital     bool
	RTO       time.Duration
	// DownSince is set while the service is down; Down is the downtime of
	// earlier outages.
	DownSince time.Time
	Down      time.Duration
}

// Downtime returns how long the service has been down in all, by now.
func (sv *Service) Downtime(now time.Time) time.Duration {
	d := sv.Down
	if !sv.DownSince.IsZero() {
		d += now.Sub(sv.DownSince)
	}
	return d
}

// OnPurpose reports whether a down service is down because of degraded mode.
func (s *Status) OnPurpose(id string) bool {
	return s.Degraded && slices.Contains(s.Down, id)
}

func (s *Status) service(id string) *Service {
	for _, sv := range s.Services {
		if sv.ID == id {
			return sv
		}
	}
	return nil
}

// Acceptance is a plan warning someone accepted.
type Acceptance struct {
	Lint, Message, Reason, By string
}

// NewStatus returns the status of a run with no events yet.
func NewStatus() *Status {
	return &Status{byID: map[string]*Step{}, Cooling: map[string]time.Time{}, activated: map[string]bool{}}
}

// Apply folds one record into the status.
func (s *Status) Apply(r events.Record) {
	if r.Seq > s.LastSeq {
		s.LastSeq = r.Seq
	}
	if r.Malformed != nil {
		s.Skipped++
		return
	}
	ev, err := r.Decode()
	if err != nil {
		s.Skipped++
		return
	}
	if s.Run == "" {
		s.Run = r.Run
	}
	s.LastEvent = r.Time
	switch e := ev.(type) {
	case events.CutoverStarted:
		s.Plan, s.Title, s.File = e.Plan, e.Title, e.File
		s.WindowStart, s.WindowEnd, s.TimeZone = e.WindowStart, e.WindowEnd, e.TimeZone
		s.Crew, s.Lead = e.Crew, e.Lead
		s.CutoverStarted = r.Time
		s.Rehearsal = e.Rehearsal
		s.PointOfNoReturn = e.PointOfNoReturn
		for _, sv := range e.Services {
			s.Services = append(s.Services, &Service{ID: sv.ID, Title: sv.Title, Vital: sv.Vital, RTO: time.Duration(sv.RTO)})
		}
	case events.WarningAccepted:
		s.Accepted = append(s.Accepted, Acceptance{Lint: e.Lint, Message: e.Message, Reason: e.Reason, By: r.Actor})
	case events.StepPlanned:
		s.plan(e)
	case events.StepStarted:
		st := s.byID[e.Step]
		if st == nil || st.state == Started || st.state == Done {
			s.Skipped++
			return
		}
		st.state, st.Started, st.StartedBy, st.startedSeq = Started, r.Time, r.Actor, r.Seq
		if sv := s.service(st.Service); sv != nil && strings.HasPrefix(st.Template, "stop-") && sv.DownSince.IsZero() {
			sv.DownSince = r.Time
		}
	case events.StepCompleted:
		st := s.byID[e.Step]
		if st == nil || st.state != Started {
			s.Skipped++
			return
		}
		st.state, st.Done, st.DoneBy, st.doneSeq = Done, r.Time, r.Actor, r.Seq
		s.release(st)
		if sv := s.service(st.Service); sv != nil && strings.HasPrefix(st.Template, "start-") && !sv.DownSince.IsZero() {
			sv.Down += r.Time.Sub(sv.DownSince)
			sv.DownSince = time.Time{}
		}
	case events.StepFailed:
		if st := s.byID[e.Step]; st != nil && st.state == Started {
			st.state, st.Reason, st.Done, st.DoneBy = Failed, e.Reason, r.Time, r.Actor
		} else {
			s.Skipped++
		}
	case events.StepRetried:
		if st := s.byID[e.Step]; st != nil && st.state == Failed {
			st.state, st.Reason, st.Started, st.Done, st.StartedBy, st.DoneBy = Pending, "", time.Time{}, time.Time{}, "", ""
		} else {
			s.Skipped++
		}
	case events.StepSkipped:
		if st := s.byID[e.Step]; st != nil && (st.state == Pending || st.state == Failed) {
			st.state, st.Reason, st.Done, st.DoneBy = Skipped, e.Reason, r.Time, r.Actor
			s.release(st)
		} else {
			s.Skipped++
		}
	case events.StepBlocked:
		if st := s.byID[e.Step]; st != nil {
			st.Blocked = e.Reason
		}
	case events.StepUnblocked:
		if st := s.byID[e.Step]; st != nil {
			st.Blocked = ""
		}
	case events.GateSigned:
		if st := s.byID[e.Gate]; st != nil {
			if st.Signed == nil {
				st.Signed = map[string]string{}
			}
			st.Signed[e.Role] = e.Decision
		}
	case events.CooldownStarted:
		s.Cooling[e.Asset] = e.Until
	case events.CooldownElapsed:
		s.cooled(e.Asset, r)
	case events.CooldownForced:
		s.cooled(e.Asset, r)
	case events.DegradedEntered:
		s.Degraded, s.DegradedSince, s.Down = true, r.Time, e.Down
	case events.BackoutStarted:
		s.BackingOut, s.BackoutReason, s.BackoutSince = true, e.Reason, r.Time
		for _, id := range e.Steps {
			s.activated[id] = true
		}
		for _, id := range e.Cancelled {
			if st := s.byID[id]; st != nil && (st.state == Pending || st.state == Started && st.Timer != "") {
				st.state, st.Reason = Cancelled, e.Reason
			}
		}
	case events.DegradedLeft:
		if s.Degraded {
			s.DegradedTotal += r.Time.Sub(s.DegradedSince)
		}
		s.Degraded, s.Down = false, nil
	default:
		s.Skipped++
	}
}

// cooled ends an asset's cool-down: its timer steps are done.
func (s *Status) cooled(asset string, r events.Record) {
	delete(s.Cooling, asset)
	for _, st := range s.Steps {
		if st.Timer == "cooldown" && st.Asset == asset && st.state == Started {
			st.state, st.Done, st.DoneBy = Done, r.Time, r.Actor
			s.release(st)
		}
	}
}

// release lets the dependents of a finished (done or skipped) step go on.
func (s *Status) release(st *Step) {
	for _, id := range st.dependents {
		if d := s.byID[id]; d != nil {
			d.waitingFor--
		}
	}
}

func (s *Status) plan(e events.StepPlanned) {
	if _, dup := s.byID[e.Step]; dup {
		s.Skipped++
		return
	}
	st := &Step{
		ID: e.Step, Title: e.Title, Phase: e.Phase, Asset: e.Asset, Role: e.Role, Gate: e.Gate,
		After:   e.After,
		Planned: time.Duration(e.Likely), Optimistic: time.Duration(e.Optimistic), Pessimistic: time.Duration(e.Pessimistic),
		Timing: e.Timing, BackoutOnly: e.BackoutOnly, Timer: e.Timer, Service: e.Service, Template: e.Template,
		PlannedStart: e.PlannedStart, PlannedEnd: e.PlannedEnd,
		state: Pending,
	}
	if st.Phase != "" && !slices.Contains(s.Phases, st.Phase) {
		s.Phases = append(s.Phases, st.Phase)
	}
	// Steps are planned in an order where dependencies come first, but
	// count them either way.
	for _, dep := range e.After {
		if d := s.byID[dep]; d != nil {
			d.dependents = append(d.dependents, st.ID)
			if d.state != Done {
				st.waitingFor++
			}
		} else {
			st.waitingFor++
		}
	}
	for _, other := range s.Steps {
		for _, dep := range other.After {
			if dep == st.ID {
				st.dependents = append(st.dependents, other.ID)
			}
		}
	}
	s.Steps = append(s.Steps, st)
	s.byID[st.ID] = st
}

// Clone returns a copy of the status that shares nothing the fold changes:
// a watcher hands it to another goroutine (a forecast) while the fold goes
// on.
func (s *Status) Clone() *Status {
	c := *s
	c.Crew = slices.Clone(s.Crew)
	c.Phases = slices.Clone(s.Phases)
	c.Accepted = slices.Clone(s.Accepted)
	c.Down = slices.Clone(s.Down)
	c.Cooling = maps.Clone(s.Cooling)
	c.activated = maps.Clone(s.activated)
	c.Services = make([]*Service, len(s.Services))
	for i, sv := range s.Services {
		x := *sv
		c.Services[i] = &x
	}
	c.Steps = make([]*Step, len(s.Steps))
	c.byID = make(map[string]*Step, len(s.byID))
	for i, st := range s.Steps {
		x := *st
		x.After = slices.Clone(st.After)
		x.Signed = maps.Clone(st.Signed)
		x.dependents = slices.Clone(st.dependents)
		c.Steps[i] = &x
		c.byID[x.ID] = &x
	}
	return &c
}

// State returns the state of a step.
func (st *Step) State() State {
	if st.state == Pending && st.waitingFor == 0 && st.Blocked == "" {
		return Ready
	}
	return st.state
}

// Late says how late a step is at now (zero if it is not). A started step
// is late once it runs past its planned end and past its planned duration
// from when it started; a step whose dependencies are done is late once
// its planned start has passed, counted from when it could start. Either
// way a step that starts late because its predecessors were late is not
// blamed for their delay: that shows on them, and in the forecast. Timers
// (cool-downs, the grace period) end by themselves and are never late.
func (s *Status) Late(st *Step, now time.Time) time.Duration {
	if st.Timer != "" {
		return 0
	}
	var due time.Time
	switch {
	case st.state == Started:
		if st.Planned == 0 && st.PlannedEnd.IsZero() {
			return 0
		}
		due = st.Started.Add(st.Planned)
		if st.PlannedEnd.After(due) {
			due = st.PlannedEnd
		}
	case st.state == Pending && st.waitingFor == 0 && !st.PlannedStart.IsZero():
		due = st.PlannedStart
		if free := s.freedAt(st); free.After(due) {
			due = free
		}
	default:
		return 0
	}
	if now.After(due) {
		return now.Sub(due)
	}
	return 0
}

// freedAt returns when the last dependency of st finished (when the run
// started, for a step with none).
func (s *Status) freedAt(st *Step) time.Time {
	at := s.CutoverStarted
	for _, id := range st.After {
		if d := s.byID[id]; d != nil && d.Done.After(at) {
			at = d.Done
		}
	}
	return at
}

// Step returns the step with that id.
func (s *Status) Step(id string) (*Step, bool) {
	st, ok := s.byID[id]
	return st, ok
}

// In returns the steps in state st, in plan order.
func (s *Status) In(st State) []*Step {
	var out []*Step
	for _, x := range s.Work() {
		if x.State() == st {
			out = append(out, x)
		}
	}
	return out
}

// Work returns the steps that are part of the run's work, in plan order:
// every forward step, and the back-out steps once the move backs out.
func (s *Status) Work() []*Step {
	var out []*Step
	for _, x := range s.Steps {
		if !x.BackoutOnly || s.activated[x.ID] {
			out = append(out, x)
		}
	}
	return out
}

// Counts returns how many steps of the work are in each state.
func (s *Status) Counts() map[State]int {
	c := make(map[State]int, len(States))
	for _, x := range s.Work() {
		c[x.State()]++
	}
	return c
}

// Finished reports whether every step of the work is done, skipped or
// cancelled (or, once backing out, failed).
func (s *Status) Finished() bool {
	c := s.Counts()
	n := len(s.Work())
	settled := c[Done] + c[Skipped] + c[Cancelled]
	if s.BackingOut {
		settled += c[Failed] // what failed is what the back-out undoes
	}
	return n > 0 && settled == n
}

// Location returns the plan's time zone, or UTC if it is unknown here.
func (s *Status) Location() *time.Location {
	if loc, err := time.LoadLocation(s.TimeZone); err == nil && s.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// ErrNoEvents means a run has no events: it was never started.
var ErrNoEvents = errors.New("projections: the run has no events")
