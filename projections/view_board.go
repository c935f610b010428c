package projections

import (
	"maps"
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
)

// Board is the status of a run at one moment, section by section: what
// `dcmove status` prints, and what it gives other tools as JSON. Each
// section is filled by a function of its own ([Status.Board] lists them)
// and printed by another ([View.Write]).
type Board struct {
	Run       string `json:"run"`
	Plan      string `json:"plan"`
	Title     string `json:"title,omitempty"`
	Rehearsal bool   `json:"rehearsal,omitempty"`
	Seq       uint64 `json:"seq"` // the last event applied
	// Head is the hash of that event (see [events.Envelope.Hash]): with
	// Seq, what `dcmove audit verify --head` checks later.
	Head        string    `json:"head,omitempty"`
	Now         time.Time `json:"now"`
	TimeZone    string    `json:"timezone"`
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	// Progress counts the steps of the work by state, and Phases the steps
	// done per phase, in phase order.
	Progress Tally        `json:"progress"`
	Phases   []PhaseTally `json:"phases,omitempty"`
	// BackingOut is set once the move backs out, since BackoutSince.
	BackingOut    bool      `json:"backing_out,omitempty"`
	BackoutSince  time.Time `json:"backout_since,omitzero"`
	BackoutReason string    `json:"backout_reason,omitempty"`
	// PointOfNoReturn is the planned last moment to back out, while its
	// gate is not signed and the move does not back out; Left is the time
	// left before it (0: passed).
	PointOfNoReturn     time.Time       `json:"point_of_no_return,omitzero"`
	PointOfNoReturnLeft events.Duration `json:"point_of_no_return_left,omitempty"`
	// NextGate is the first go/no-go not done, by planned start.
	NextGate *StepLine `json:"next_gate,omitempty"`
	// Degraded is set while degraded mode is on, since DegradedSince;
	// DegradedFor is how long it lasted in all, Down the services down on
	// purpose.
	Degraded      bool            `json:"degraded,omitempty"`
	DegradedSince time.Time       `json:"degraded_since,omitzero"`
	DegradedFor   events.Duration `json:"degraded_for,omitempty"`
	Down          []string        `json:"down_on_purpose,omitempty"`
	// Accepted are the plan warnings accepted at the start.
	Accepted []string `json:"warnings_accepted,omitempty"`
	// MoveEnded is when the window's last step finished (once they all
	// have), Finished when the whole run did.
	MoveEnded time.Time `json:"move_ended,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	// The steps started (late ones with Late set), failed, blocked and
	// ready to start (late ones, not started by their planned start, with
	// Late set), in plan order; Late counts the late ones.
	Started []StepLine `json:"started"`
	Failed  []StepLine `json:"failed"`
	Blocked []StepLine `json:"blocked"`
	Ready   []StepLine `json:"ready"`
	Late    int        `json:"late"`
	// Crew says what each crew member is on.
	Crew []CrewLine `json:"crew"`
	// ServicesDown are the services down now, on purpose or not.
	ServicesDown []ServiceLine `json:"services_down"`
	// KeptUp are the services kept up on purpose while their hosts move
	// in two waves (while the move is under way).
	KeptUp []string `json:"kept_up,omitempty"`
	// Validation says, for each service and asset with checks, whether
	// they all passed from every vantage point the plan names: a service
	// is up because its checks pass, not because a step was ticked.
	Validation []ValidationLine `json:"validation,omitempty"`
	// Overridden are the steps the lead finished without their facts
	// (checks not all passed, a rule not verified), with the reason.
	Overridden []StepLine `json:"overridden,omitempty"`
	// Cooling are the assets cooling down.
	Cooling []CoolingLine `json:"cooling"`
	// Skipped counts the events that were not understood.
	Skipped int `json:"skipped_events,omitempty"`
	// Signed says the run's plan lists crew keys: every action is signed
	// by whoever took it. Unsigned counts the events of such a run that
	// were ignored because they are not signed by their actor (forged or
	// altered: dcmove audit verify names them); they are in Skipped too.
	Signed   bool `json:"signed"`
	Unsigned int  `json:"unsigned_events,omitempty"`
}

// Location returns the plan's time zone, in which the board's times are
// shown (UTC if it is unknown here), as the run's model says it.
func (b *Board) Location() *time.Location {
	if loc, err := time.LoadLocation(b.TimeZone); err == nil && b.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// Tally counts the steps of the work by state (cancelled ones are not in
// Total).
type Tally struct {
	Done      int `json:"done"`
	Total     int `json:"total"`
	Percent   int `json:"percent"`
	Started   int `json:"started"`
	Ready     int `json:"ready"`
	Waiting   int `json:"waiting"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
	Cancelled int `json:"cancelled"`
}

// PhaseTally is how many steps of a phase are done.
type PhaseTally struct {
	Phase string `json:"phase"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// StepLine is a step as a section of the board shows it.
type StepLine struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Phase string `json:"phase,omitempty"`
	Role  string `json:"role,omitempty"`
	State State  `json:"state"`
	// By is who started the step (who failed it, for a failed one), Since
	// when.
	By           string          `json:"by,omitempty"`
	Since        time.Time       `json:"since,omitzero"`
	Planned      events.Duration `json:"planned"`
	PlannedStart time.Time       `json:"planned_start,omitzero"`
	PlannedEnd   time.Time       `json:"planned_end,omitzero"`
	// Late is how late the step is ([Status.Late]).
	Late events.Duration `json:"late,omitempty"`
	// Reason says why the step failed or is blocked.
	Reason string `json:"reason,omitempty"`
	// Gate marks a go/no-go, with the decisions signed so far by role.
	Gate   bool                       `json:"gate,omitempty"`
	Signed map[string]events.Decision `json:"signed,omitempty"`
	// Waiting counts the dependencies not done yet.
	Waiting int `json:"waiting_for,omitempty"`
}

// CrewLine is what one crew member is on: the steps they started and are
// working on (none: idle), since when.
type CrewLine struct {
	Name  string    `json:"name"`
	Roles []string  `json:"roles,omitempty"`
	On    []string  `json:"on"`
	Since time.Time `json:"since,omitzero"` // on the first step, or idle since they finished their last
}

// ServiceLine is a service that is down, on purpose (degraded mode) or
// not, against its restoration time objective.
type ServiceLine struct {
	ID        string          `json:"id"`
	Title     string          `json:"title,omitempty"`
	Vital     bool            `json:"vital,omitempty"`
	OnPurpose bool            `json:"on_purpose"`
	Since     time.Time       `json:"since"`
	Down      events.Duration `json:"down"` // in all, earlier outages included
	RTO       events.Duration `json:"rto,omitempty"`
	Over      events.Duration `json:"over_rto,omitempty"`
}

// CoolingLine is an asset cooling down.
type CoolingLine struct {
	Asset string          `json:"asset"`
	Until time.Time       `json:"until"`
	Left  events.Duration `json:"left,omitempty"`
}

// Board returns the status at now, section by section.
func (s *Status) Board(now time.Time) *Board {
	// Lists are empty rather than null in JSON.
	b := &Board{Now: now, Started: []StepLine{}, Failed: []StepLine{}, Blocked: []StepLine{}, Ready: []StepLine{},
		Crew: []CrewLine{}, ServicesDown: []ServiceLine{}, Cooling: []CoolingLine{}}
	for _, section := range []func(*Board, *Status){
		boardHeader, boardProgress, boardMilestones, boardDegraded, boardEnded,
		boardStarted, boardFailed, boardBlocked, boardReady, boardLate,
		boardCrew, boardServices, boardValidation, boardCooling,
	} {
		section(b, s)
	}
	return b
}

func boardHeader(b *Board, s *Status) {
	b.Run, b.Plan, b.Title, b.Rehearsal, b.Seq = s.ID, s.Plan, s.Title, s.Rehearsal, s.LastSeq
	if s.LastSeq > 0 {
		b.Head = s.Head().Hash
	}
	b.TimeZone, b.WindowStart, b.WindowEnd = s.TimeZone, s.WindowStart, s.WindowEnd
	b.Skipped = s.Skipped
	b.Signed, b.Unsigned = s.Signed, s.Unsigned
	for _, a := range s.Accepted {
		if !slices.Contains(b.Accepted, a.Lint) {
			b.Accepted = append(b.Accepted, a.Lint)
		}
	}
}

func boardProgress(b *Board, s *Status) {
	c := s.Counts()
	t := Tally{Done: c[Done], Total: len(s.Work()) - c[Cancelled], Started: c[Started], Ready: c[Ready],
		Waiting: c[Pending], Failed: c[Failed], Skipped: c[Skipped], Cancelled: c[Cancelled]}
	if t.Total > 0 {
		t.Percent = 100 * t.Done / t.Total
	}
	b.Progress = t
	for _, ph := range s.Phases {
		pt := PhaseTally{Phase: ph}
		for _, st := range s.Work() {
			if st.Phase != ph || st.State() == Cancelled {
				continue
			}
			pt.Total++
			if st.State() == Done {
				pt.Done++
			}
		}
		if pt.Total > 0 {
			b.Phases = append(b.Phases, pt)
		}
	}
}

// boardMilestones fills the back-out, the point of no return and the next
// gate.
func boardMilestones(b *Board, s *Status) {
	if s.BackingOut {
		b.BackingOut, b.BackoutSince, b.BackoutReason = true, s.BackoutSince, s.BackoutReason
	} else if !s.PointOfNoReturn.IsZero() {
		if gate, ok := s.Step("point-of-no-return"); !ok || gate.State() != Done {
			b.PointOfNoReturn = s.PointOfNoReturn
			b.PointOfNoReturnLeft = events.Duration(max(s.PointOfNoReturn.Sub(b.Now), 0))
		}
	}
	var next *Step
	for _, st := range s.Work() {
		switch st.State() {
		case Done, Skipped, Cancelled:
			continue
		}
		if st.Gate && (next == nil || plannedBefore(st, next)) {
			next = st
		}
	}
	if next != nil {
		line := s.line(next, b.Now)
		b.NextGate = &line
	}
}

// plannedBefore orders steps by planned start, those without one last.
func plannedBefore(a, b *Step) bool {
	switch {
	case a.PlannedStart.IsZero():
		return false
	case b.PlannedStart.IsZero():
		return true
	}
	return a.PlannedStart.Before(b.PlannedStart)
}

func boardDegraded(b *Board, s *Status) {
	total := s.DegradedTotal
	if s.Degraded {
		b.Degraded, b.DegradedSince, b.Down = true, s.DegradedSince, s.Down
		total += b.Now.Sub(s.DegradedSince)
	}
	b.DegradedFor = events.Duration(total)
}

func boardEnded(b *Board, s *Status) {
	if moved, ok := s.moveEnd(); ok {
		b.MoveEnded = moved
	}
	if s.Finished() {
		b.Finished = s.lastDone()
	}
}

func boardStarted(b *Board, s *Status) {
	for _, st := range s.In(Started) {
		b.Started = append(b.Started, s.line(st, b.Now))
	}
}

func boardFailed(b *Board, s *Status) {
	for _, st := range s.In(Failed) {
		b.Failed = append(b.Failed, s.line(st, b.Now))
	}
}

func boardBlocked(b *Board, s *Status) {
	for _, st := range s.Steps {
		if st.Blocked != "" {
			b.Blocked = append(b.Blocked, s.line(st, b.Now))
		}
	}
}

func boardReady(b *Board, s *Status) {
	for _, st := range s.In(Ready) {
		b.Ready = append(b.Ready, s.line(st, b.Now))
	}
}

func boardLate(b *Board, s *Status) {
	for _, st := range s.Work() {
		if s.Late(st, b.Now) > 0 {
			b.Late++
		}
	}
}

// boardCrew says who is on what: the steps with a role each person started
// and is working on (waits such as the watch, and timers, occupy nobody).
func boardCrew(b *Board, s *Status) {
	for _, m := range s.Crew {
		cl := CrewLine{Name: m.Name, Roles: m.Roles, On: []string{}}
		var idle time.Time
		for _, st := range s.Steps {
			switch {
			case st.Recorded() == Started && st.StartedBy == m.Name && st.Role != "" && !st.IsTimer():
				if len(cl.On) == 0 || st.Started.Before(cl.Since) {
					cl.Since = st.Started
				}
				cl.On = append(cl.On, st.ID)
			case (st.Recorded() == Done || st.Recorded() == Failed) && st.DoneBy == m.Name && st.Done.After(idle):
				idle = st.Done
			}
		}
		if len(cl.On) == 0 {
			cl.Since = idle
		}
		b.Crew = append(b.Crew, cl)
	}
}

func boardServices(b *Board, s *Status) {
	for _, sv := range s.Services {
		if sv.KeepUp && sv.DownSince.IsZero() && b.MoveEnded.IsZero() {
			b.KeptUp = append(b.KeptUp, sv.ID)
		}
	}
	for _, sv := range s.Services {
		if sv.DownSince.IsZero() {
			continue
		}
		d := sv.Downtime(b.Now)
		l := ServiceLine{ID: sv.ID, Title: sv.Title, Vital: sv.Vital, OnPurpose: s.OnPurpose(sv.ID),
			Since: sv.DownSince, Down: events.Duration(d), RTO: events.Duration(sv.RTO)}
		if sv.RTO > 0 && d > sv.RTO {
			l.Over = events.Duration(d - sv.RTO)
		}
		b.ServicesDown = append(b.ServicesDown, l)
	}
}

// ValidationLine is where the checks of a service or asset stand.
type ValidationLine struct {
	Of     string `json:"of"`
	Checks int    `json:"checks"`
	// Results counts the vantage points' results recorded so far.
	Results int `json:"results"`
	// Up: every check passed from every vantage point it must; else
	// Pending lists what has not ("web-dns from outside-uk: failed: ...").
	Up      bool     `json:"up"`
	Pending []string `json:"pending,omitempty"`
}

func boardValidation(b *Board, s *Status) {
	v := &s.Validation
	var owners []string
	for _, c := range v.Checks {
		if !slices.Contains(owners, c.Of) {
			owners = append(owners, c.Of)
		}
	}
	for _, of := range owners {
		pending := v.Pending(of)
		results := 0
		for _, c := range v.Of(of) {
			results += len(v.Last[c.ID])
		}
		b.Validation = append(b.Validation, ValidationLine{Of: of, Checks: len(v.Of(of)), Results: results, Up: len(pending) == 0, Pending: pending})
	}
	for _, st := range s.Steps {
		if st.Override != "" {
			l := s.line(st, b.Now)
			l.By, l.Since, l.Reason = st.DoneBy, st.Done, st.Override
			b.Overridden = append(b.Overridden, l)
		}
	}
}

func boardCooling(b *Board, s *Status) {
	for _, asset := range slices.Sorted(maps.Keys(s.Cooling)) {
		until := s.Cooling[asset]
		b.Cooling = append(b.Cooling, CoolingLine{Asset: asset, Until: until, Left: events.Duration(max(until.Sub(b.Now), 0))})
	}
}

// line is st as the board shows it at now.
func (s *Status) line(st *Step, now time.Time) StepLine {
	l := StepLine{ID: st.ID, Title: st.Title, Phase: st.Phase, Role: st.Role, State: st.State(),
		Planned: events.Duration(st.Planned), PlannedStart: st.PlannedStart, PlannedEnd: st.PlannedEnd,
		Late: events.Duration(s.Late(st, now)), Gate: st.Gate, Signed: maps.Clone(st.Signed), Waiting: s.Waiting(st)}
	switch st.Recorded() {
	case Started:
		l.By, l.Since = st.StartedBy, st.Started
	case Failed:
		l.By, l.Since, l.Reason = st.DoneBy, st.Done, st.Reason
	}
	if st.Blocked != "" {
		l.Reason = st.Blocked
	}
	return l
}
