package runbooks

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
)

// State is where a step stands.
type State string

// The states of a step. Ready is derived: a pending step that may start now
// (see [Run.Ready]); the others are recorded.
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

// stateWords say a recorded state in a refusal's words.
var stateWords = map[State]string{
	Pending: "not started", Started: "started", Done: "done", Failed: "failed",
	Skipped: "skipped", Cancelled: "cancelled (the move backed out)",
}

// Step is one step of a run: what the plan said of it when the cutover
// started, and what happened to it since.
type Step struct {
	ID, Title, Phase, Asset, Role string
	// Kind says what the step is; guards, lints and views go by it.
	Kind events.StepKind
	Gate bool
	// After are the steps this one waits for.
	After []string
	// Planned is the likely duration; Optimistic and Pessimistic bound it.
	Planned, Optimistic, Pessimistic time.Duration
	// Started and Done are when the step last started and when it
	// finished (done, failed or skipped), zero if not yet; StartedBy and
	// DoneBy who did it.
	Started, Done     time.Time
	StartedBy, DoneBy string
	// Reason says why the step failed, was skipped or cancelled; Blocked
	// why it is blocked (empty when it is not).
	Reason, Blocked string
	// Signed holds a gate's decisions by role.
	Signed map[string]events.Decision
	// Timing is before, window or after the move window.
	Timing events.Timing
	// Service is the service the step is about; Template the runbook
	// template step it was expanded from; Rule the plan's firewall rule.
	Service, Template, Rule string
	// Stakeholder is the stakeholder a notice or ack step is about.
	Stakeholder string
	// Needs are the vehicles and resources the step holds while it runs.
	Needs []events.Capacity
	// Domain is the DNS name a check-dns step is about; Require what a
	// gate requires before it is signed go ("firewall", "checks").
	Domain  string
	Require []string
	// Override is the lead's reason for finishing the step without its
	// facts (checks not all passed, a rule not verified); empty otherwise.
	Override string
	// BackoutOnly marks a step that runs only if the move backs out;
	// Backout are the steps that undo this one.
	BackoutOnly bool
	Backout     []string
	// Cooldown is the cool-down of Asset that starts when this step is
	// done (a shutdown).
	Cooldown time.Duration
	// PlannedStart and PlannedEnd are the schedule's times for the step
	// when the cutover started (zero for back-out steps).
	PlannedStart, PlannedEnd time.Time

	state               State
	startedSeq, doneSeq uint64
	run                 *Run
}

// State returns where the step stands; Ready for a pending step that may
// start now.
func (st *Step) State() State {
	if st.state == Pending && st.run != nil && st.run.ready(st) {
		return Ready
	}
	return st.state
}

// Recorded returns the step's state as the log records it: never Ready.
func (st *Step) Recorded() State { return st.state }

// IsTimer reports whether no one works on the step: it ends by itself
// (a cool-down) or cannot end before its time (the grace period).
func (st *Step) IsTimer() bool { return st.Kind.IsTimer() }

// finished reports whether dependents of the step may go on.
func (st *Step) finished() bool { return st.state == Done || st.state == Skipped }

// Service is a service of the plan and its downtime: down from the start of
// its stop step until its start step is done.
type Service struct {
	ID, Title string
	Vital     bool
	// KeepUp: kept up while its hosts move in two waves.
	KeepUp bool
	RTO    time.Duration
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

// Acceptance is a plan warning someone accepted.
type Acceptance struct {
	Lint, Message, Reason, By string
}

// Run is the one model of a run: the fold of its events that the team's
// commands decide on and that status, audit and calibration read. [Run.Apply]
// only changes state; the commands (methods that return events or a
// refusal) only read it.
type Run struct {
	// ID is the run's id; Plan the plan's name, Title its title and File
	// the plan file the run was started from.
	ID, Plan, Title, File string
	// Hash is the hex SHA-256 of the plan file the run was started from
	// (empty if the run did not record it).
	Hash                   string
	WindowStart, WindowEnd time.Time
	// TimeZone is the plan's time zone name.
	TimeZone string
	Crew     []events.Member
	// Lead is the crew member who leads the move.
	Lead string
	// Phases are the phases of the steps, in the order the plan first
	// names them.
	Phases []string
	// CutoverStarted is when the run was recorded.
	CutoverStarted time.Time
	// Steps are the run's steps in plan order.
	Steps []*Step
	// LastSeq is the sequence of the last record applied: commands decided
	// on this state append with this expectation.
	LastSeq uint64
	// LastEvent is the time of the last event applied.
	LastEvent time.Time
	// Skipped counts records that were not applied: malformed, of an unknown
	// type or version, or contradicting the run's history.
	Skipped int
	// Signed marks a run whose crew lists keys: every event must be signed
	// by the key of its actor (see [events.SignedBy]). Unsigned counts the
	// records of such a run that were not applied because they are not
	// (unsigned, signed by someone else, or altered since they were
	// signed); they count in Skipped too.
	Signed   bool
	Unsigned int
	// Rehearsal marks a dress rehearsal.
	Rehearsal bool
	// Starter is who started the run; SimulatedClock marks a run recorded
	// with a simulated clock (see [events.CutoverStarted]).
	Starter        string
	SimulatedClock bool
	// Forbidden counts events of a run that requires keys that were
	// signed by their actor but that the actor may not do (a gate signed
	// for a role they do not have, a timer ended by hand): they are not
	// applied.
	Forbidden int
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
	Services []*Service
	// Firewall is what the run knows of the firewall rules: the plan's,
	// those captured from real exports, and the team's reviews.
	Firewall Firewall
	// Validation is the plan's checks and their last results.
	Validation Validation
	// Notices are the stakeholders' notices and acknowledgements.
	Notices Notices
	// Stage is the id of the staged start that made the run, for a start
	// larger than one atomic append; Abandoned counts the steps staged by
	// starts that never committed (a start killed half-way), which are
	// not the run's.
	Stage     string
	Abandoned int
	// Capacities are the plan's vehicles and resources.
	Capacities []events.Capacity
	// staged holds, before the run exists, the steps staged by each
	// start, with their envelopes (checked against the crew when the
	// start commits).
	staged map[string][]stagedStep

	activated map[string]bool // back-out steps to run
	byID      map[string]*Step
	// last is the last dcmove event of the run applied (hasLast) or,
	// restored from a checkpoint, its link: what the next event chains
	// to. Foreign records (see [events.Record.ForeignTo]) are never last.
	last    events.Envelope
	hasLast bool
	head    events.Link
}

// NewRun returns the model of a run with no events yet. id may be empty: the
// first record applied names it.
func NewRun(id string) *Run {
	return &Run{ID: id, byID: map[string]*Step{}, Cooling: map[string]time.Time{}, activated: map[string]bool{}}
}

// Exists reports whether the run has been started.
func (r *Run) Exists() bool { return r.Plan != "" }

// Head is what the next event of the run chains to: the last record
// applied that is a dcmove event of the run (zero for a run with none).
// A foreign record (junk, an envelope that does not decode or names
// another run, an unknown type without a chain: [events.Record.ForeignTo])
// is never the head, so a message someone else wrote on the run's subject
// leaves the chain of the run's events verifiable around it. An event
// that is a well-formed envelope of the run is the head even when it is
// not applied: of an unknown type with a chain (a newer dcmove), or, on a
// run that requires keys, unsigned or signed by someone else. Such an
// event is in the chain [events.Verify] checks (which names it unsigned),
// so the next event must chain to it for the chain to stay whole.
func (r *Run) Head() events.Link {
	if r.hasLast {
		return events.LinkTo(r.last)
	}
	return r.head
}

// Apply folds one record into the run. It never fails: records it cannot
// read, or that contradict the run's history (a start of a step already
// started, written by a concurrent writer of an older dcmove), change
// nothing and are counted in Skipped. Foreign records are counted there
// too, and do not become the run's [Run.Head]; every record moves LastSeq,
// the expectation the next append is checked against.
func (r *Run) Apply(rec events.Record) {
	if rec.Seq > r.LastSeq {
		r.LastSeq = rec.Seq
	}
	if rec.ForeignTo(r.ID) != nil {
		r.Skipped++
		return
	}
	r.last, r.hasLast = rec.Envelope, true
	ev, err := rec.Decode()
	if err != nil {
		r.Skipped++
		return
	}
	if (r.Signed || rec.Type == events.TypeCutoverStarted) && !r.signedByActor(rec.Envelope, ev) {
		r.Unsigned++
		r.Skipped++
		return
	}
	if r.Signed && !r.permitted(rec, ev) {
		r.Forbidden++
		r.Skipped++
		return
	}
	if r.ID == "" {
		r.ID = rec.Run
	}
	r.LastEvent = rec.Time
	if !r.apply(rec, ev) {
		r.Skipped++
	}
}

// signedByActor reports whether e may be applied on a run that requires
// signatures: signed by the crew key of its actor (any crew key for the
// tool's own events). The start of a run is checked against the crew it
// lists itself: it, the warnings accepted and the steps planned with it
// are all signed by whoever started the run, with their key in that crew.
func (r *Run) signedByActor(e events.Envelope, ev events.Event) bool {
	crew := r.Crew
	if cs, ok := ev.(events.CutoverStarted); ok && !r.Exists() {
		crew = cs.Crew
	}
	return events.SignedBy(e, crew) == nil
}

// apply makes the change ev records, and reports false if it changes
// nothing because it contradicts the run.
func (r *Run) apply(rec events.Record, ev events.Event) bool {
	switch e := ev.(type) {
	case events.CutoverStarted:
		if r.Exists() {
			return false // a run starts once: a second start would replace its crew and keys
		}
		r.Starter, r.SimulatedClock = rec.Actor, e.SimulatedClock
		r.Plan, r.Title, r.File, r.Hash = e.Plan, e.Title, e.File, e.Hash
		r.WindowStart, r.WindowEnd, r.TimeZone = e.WindowStart, e.WindowEnd, e.TimeZone
		r.Crew, r.Lead, r.Rehearsal = e.Crew, e.Lead, e.Rehearsal
		r.Signed = events.RequiresKeys(e.Crew)
		r.CutoverStarted = rec.Time
		r.PointOfNoReturn = e.PointOfNoReturn
		for _, sv := range e.Services {
			r.Services = append(r.Services, &Service{ID: sv.ID, Title: sv.Title, Vital: sv.Vital, KeepUp: sv.KeepUp, RTO: time.Duration(sv.RTO)})
		}
		r.Firewall.Plan = e.FirewallRules
		r.Validation.Checks = e.Checks
		r.Notices.Stakeholders = e.Stakeholders
		r.Stage, r.Capacities = e.Stage, e.Capacities
		r.commitStaged(e, rec)
	case events.NoticeSent, events.NoticeBounced, events.NoticeAcknowledged, events.NoticeWaived:
		return r.Notices.apply(e, rec)
	case events.WarningAccepted:
		r.Accepted = append(r.Accepted, Acceptance{Lint: e.Lint, Message: e.Message, Reason: e.Reason, By: rec.Actor})
	case events.StepPlanned:
		switch {
		case e.Stage == "":
			return r.plan(e)
		case !r.Exists():
			// Staged: it is the run's only if its start commits.
			if r.staged == nil {
				r.staged = map[string][]stagedStep{}
			}
			raw, err := json.Marshal(rec.Envelope)
			if err != nil {
				return false
			}
			r.staged[e.Stage] = append(r.staged[e.Stage], stagedStep{e, string(raw)})
			return true
		case e.Stage != r.Stage:
			r.Abandoned++ // staged by a start that lost, or was retried
			return true
		}
		return r.plan(e)
	case events.FirewallRuleCaptured:
		return r.Firewall.captured(e)
	case events.FirewallCaptureCompleted:
		return r.Firewall.completed(e, rec)
	case events.FirewallRuleReviewed:
		return r.Firewall.reviewed(e, rec)
	case events.CheckRan:
		return r.Validation.ran(e, rec)
	case events.StepStarted:
		st := r.byID[e.Step]
		if st == nil || st.state != Pending {
			return false
		}
		st.state, st.Started, st.StartedBy, st.startedSeq = Started, rec.Time, rec.Actor, rec.Seq
		if sv := r.service(st.Service); sv != nil && st.Kind == events.KindStopService && sv.DownSince.IsZero() {
			sv.DownSince = rec.Time
		}
	case events.StepCompleted:
		st := r.byID[e.Step]
		if st != nil && st.Kind == events.KindGrace {
			return r.graceElapsed(st, rec)
		}
		if st == nil || st.state != Started {
			return false
		}
		r.finish(st, Done, rec, e.Override)
		st.Override = e.Override
		if sv := r.service(st.Service); sv != nil && st.Kind == events.KindStartService && !sv.DownSince.IsZero() {
			sv.Down += rec.Time.Sub(sv.DownSince)
			sv.DownSince = time.Time{}
		}
	case events.StepFailed:
		st := r.byID[e.Step]
		if st == nil || st.state != Started {
			return false
		}
		r.finish(st, Failed, rec, e.Reason)
	case events.StepRetried:
		st := r.byID[e.Step]
		if st == nil || st.state != Failed {
			return false
		}
		st.state, st.Reason, st.Started, st.Done, st.StartedBy, st.DoneBy = Pending, "", time.Time{}, time.Time{}, "", ""
	case events.StepSkipped:
		st := r.byID[e.Step]
		if st == nil || (st.state != Pending && st.state != Failed) {
			return false
		}
		r.finish(st, Skipped, rec, e.Reason)
	case events.StepBlocked:
		if st := r.byID[e.Step]; st != nil {
			st.Blocked = e.Reason
		}
	case events.StepUnblocked:
		if st := r.byID[e.Step]; st != nil {
			st.Blocked = ""
		}
	case events.GateSigned:
		if st := r.byID[e.Gate]; st != nil {
			if st.Signed == nil {
				st.Signed = map[string]events.Decision{}
			}
			st.Signed[e.Role] = events.Decision(e.Decision)
		}
	case events.CooldownStarted:
		r.Cooling[e.Asset] = e.Until
	case events.CooldownElapsed:
		r.cooled(e.Asset, rec)
	case events.CooldownForced:
		r.cooled(e.Asset, rec)
	case events.DegradedEntered:
		r.Degraded, r.DegradedSince, r.Down = true, rec.Time, e.Down
	case events.DegradedLeft:
		if r.Degraded {
			r.DegradedTotal += rec.Time.Sub(r.DegradedSince)
		}
		r.Degraded, r.Down = false, nil
	case events.BackoutStarted:
		r.BackingOut, r.BackoutReason, r.BackoutSince = true, e.Reason, rec.Time
		for _, id := range e.Steps {
			r.activated[id] = true
		}
		for _, id := range e.Cancelled {
			// A cool-down of what no longer moves is moot.
			if st := r.byID[id]; st != nil && (st.state == Pending || st.state == Started && st.IsTimer()) {
				st.state, st.Reason = Cancelled, e.Reason
			}
		}
	default:
		return false
	}
	return true
}

// finish records that a step ended in state.
func (r *Run) finish(st *Step, state State, rec events.Record, reason string) {
	st.state, st.Done, st.DoneBy, st.Reason = state, rec.Time, rec.Actor, reason
	if state == Done {
		st.doneSeq = rec.Seq
	}
}

// graceElapsed ends a grace period, which only its time ends: a completion
// recorded before it elapsed contradicts the run. The server and the next
// command may both record the end: the second changes nothing.
func (r *Run) graceElapsed(st *Step, rec events.Record) bool {
	due := st.Started.Add(st.Planned)
	switch {
	case st.state == Done && rec.Actor == toolActor:
		return true
	case st.state != Started || rec.Time.Before(due):
		return false
	case !r.SimulatedClock && !rec.Stored.IsZero() && rec.Stored.Before(due.Add(-clockSkew)):
		// Dated after its end, but stored before it by the log's clock: a
		// writer chose the time.
		return false
	}
	r.finish(st, Done, rec, "")
	return true
}

// clockSkew is how far the clocks of the crew's laptops may run ahead of
// the log's when a timer's end is recorded.
const clockSkew = 2 * time.Minute

// cooled ends an asset's cool-down: its cool-down steps are done.
func (r *Run) cooled(asset string, rec events.Record) {
	delete(r.Cooling, asset)
	for _, st := range r.Steps {
		if st.Kind == events.KindCooldown && st.Asset == asset && st.state == Started {
			r.finish(st, Done, rec, "")
		}
	}
}

func (r *Run) plan(e events.StepPlanned) bool {
	if _, dup := r.byID[e.Step]; dup {
		return false
	}
	kind := e.Kind
	if kind == events.KindWork && events.StepKind(e.Timer).IsTimer() {
		kind = events.StepKind(e.Timer)
	}
	st := &Step{
		ID: e.Step, Title: e.Title, Kind: kind, Phase: e.Phase, Asset: e.Asset, Role: e.Role, Gate: e.Gate,
		After:   e.After,
		Planned: time.Duration(e.Likely), Optimistic: time.Duration(e.Optimistic), Pessimistic: time.Duration(e.Pessimistic),
		Timing: events.Timing(e.Timing), BackoutOnly: e.BackoutOnly, Backout: e.Backout, Cooldown: time.Duration(e.Cooldown),
		Service: e.Service, Template: e.Template, Rule: e.Rule, Domain: e.Domain, Require: e.Require, Stakeholder: e.Stakeholder, Needs: e.Needs,
		PlannedStart: e.PlannedStart, PlannedEnd: e.PlannedEnd,
		state: Pending, run: r,
	}
	if st.Phase != "" && !slices.Contains(r.Phases, st.Phase) {
		r.Phases = append(r.Phases, st.Phase)
	}
	r.Steps = append(r.Steps, st)
	r.byID[st.ID] = st
	return true
}

// ready reports whether st can start: pending, unblocked, not a cool-down
// (it starts with its asset's shutdown), part of the work (a back-out step
// only once the move backs out and needs it, a forward step only until
// then), and every dependency done or skipped.
func (r *Run) ready(st *Step) bool {
	if st.state != Pending || st.Blocked != "" || st.Kind == events.KindCooldown {
		return false
	}
	if st.BackoutOnly != r.BackingOut || (st.BackoutOnly && !r.activated[st.ID]) {
		return false
	}
	return len(r.waitingFor(st)) == 0
}

// waitingFor returns the dependencies of st that are not finished. A
// back-out step waits only for the back-out steps the back-out needs.
func (r *Run) waitingFor(st *Step) []*Step {
	var out []*Step
	for _, d := range st.After {
		dep := r.byID[d]
		if dep == nil || dep.finished() || (st.BackoutOnly && !r.activated[d]) {
			continue
		}
		out = append(out, dep)
	}
	return out
}

// Waiting returns how many dependencies of st are not finished.
func (r *Run) Waiting(st *Step) int { return len(r.waitingFor(st)) }

// Step returns the step with that id.
func (r *Run) Step(id string) (*Step, bool) {
	st, ok := r.byID[id]
	return st, ok
}

// StepTitle returns the title of a step ("" for none).
func (r *Run) StepTitle(id string) string {
	if st := r.byID[id]; st != nil {
		return st.Title
	}
	return ""
}

// Role returns the role a step needs ("" for anyone).
func (r *Run) Role(id string) string {
	if st := r.byID[id]; st != nil {
		return st.Role
	}
	return ""
}

// Ready returns the ids of the steps that can start now, in plan order.
func (r *Run) Ready() []string { return r.ids(r.ready) }

// Started returns the ids of the steps in progress, in plan order.
func (r *Run) Started() []string {
	return r.ids(func(st *Step) bool { return st.state == Started })
}

// Failed returns the ids of the failed steps, in plan order.
func (r *Run) Failed() []string {
	return r.ids(func(st *Step) bool { return st.state == Failed })
}

// Blocked returns the ids of the blocked steps, in plan order.
func (r *Run) Blocked() []string {
	return r.ids(func(st *Step) bool { return st.Blocked != "" })
}

func (r *Run) ids(keep func(*Step) bool) []string {
	var out []string
	for _, st := range r.Steps {
		if keep(st) {
			out = append(out, st.ID)
		}
	}
	return out
}

// Done reports whether every step of the work is done or skipped (cancelled
// steps and back-out steps not needed aside).
func (r *Run) Done() bool {
	n := 0
	for _, st := range r.Work() {
		if st.state == Cancelled {
			continue
		}
		if !st.finished() {
			return false
		}
		n++
	}
	return n > 0
}

// Work returns the steps that are part of the run's work, in plan order:
// every forward step, and the back-out steps once the move backs out and
// needs them.
func (r *Run) Work() []*Step {
	var out []*Step
	for _, st := range r.Steps {
		if !st.BackoutOnly || r.activated[st.ID] {
			out = append(out, st)
		}
	}
	return out
}

// In returns the steps of the work in state s, in plan order.
func (r *Run) In(s State) []*Step {
	var out []*Step
	for _, st := range r.Work() {
		if st.State() == s {
			out = append(out, st)
		}
	}
	return out
}

// Counts returns how many steps of the work are in each state.
func (r *Run) Counts() map[State]int {
	c := make(map[State]int, len(States))
	for _, st := range r.Work() {
		c[st.State()]++
	}
	return c
}

// Finished reports whether every step of the work is done, skipped or
// cancelled (or, once backing out, failed).
func (r *Run) Finished() bool {
	c := r.Counts()
	n := len(r.Work())
	settled := c[Done] + c[Skipped] + c[Cancelled]
	if r.BackingOut {
		settled += c[Failed] // what failed is what the back-out undoes
	}
	return n > 0 && settled == n
}

// GateRoles returns the roles that must all sign go on a gate: every role
// of the crew, so each team says go.
func (r *Run) GateRoles() []string {
	var roles []string
	for _, m := range r.Crew {
		for _, role := range m.Roles {
			if !slices.Contains(roles, role) {
				roles = append(roles, role)
			}
		}
	}
	slices.Sort(roles)
	return roles
}

// roles returns the roles of a crew member.
func (r *Run) roles(name string) []string {
	for _, m := range r.Crew {
		if m.Name == name {
			return m.Roles
		}
	}
	return nil
}

// Location returns the plan's time zone, or UTC if it is unknown here.
func (r *Run) Location() *time.Location {
	if loc, err := time.LoadLocation(r.TimeZone); err == nil && r.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// OnPurpose reports whether a down service is down because of degraded mode.
func (r *Run) OnPurpose(id string) bool {
	return r.Degraded && slices.Contains(r.Down, id)
}

func (r *Run) service(id string) *Service {
	for _, sv := range r.Services {
		if sv.ID == id {
			return sv
		}
	}
	return nil
}

// NextTimer returns when the next timer of the run is due, if any: the end
// of a cool-down or of the grace period.
func (r *Run) NextTimer() (time.Time, bool) {
	var next time.Time
	for _, until := range r.Cooling {
		if next.IsZero() || until.Before(next) {
			next = until
		}
	}
	for _, st := range r.Steps {
		if end, ok := graceEnd(st); ok && (next.IsZero() || end.Before(next)) {
			next = end
		}
	}
	return next, !next.IsZero()
}

// Late says how late a step is at now (zero if it is not). A started step
// is late once it runs past its planned end and past its planned duration
// from when it started; a step whose dependencies are done is late once
// its planned start has passed, counted from when it could start. Either
// way a step that starts late because its predecessors were late is not
// blamed for their delay: that shows on them, and in the forecast. Timers
// (cool-downs, the grace period) end by themselves and are never late.
func (r *Run) Late(st *Step, now time.Time) time.Duration {
	if st.IsTimer() {
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
	case st.state == Pending && len(r.waitingFor(st)) == 0 && !st.PlannedStart.IsZero():
		due = st.PlannedStart
		if free := r.freedAt(st); free.After(due) {
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
func (r *Run) freedAt(st *Step) time.Time {
	at := r.CutoverStarted
	for _, id := range st.After {
		if d := r.byID[id]; d != nil && d.Done.After(at) {
			at = d.Done
		}
	}
	return at
}

// Clone returns a copy of the run that shares nothing the fold changes: a
// watcher hands it to another goroutine (a forecast) while the fold goes
// on.
func (r *Run) Clone() *Run {
	c := *r
	c.Crew = slices.Clone(r.Crew)
	c.Phases = slices.Clone(r.Phases)
	c.Accepted = slices.Clone(r.Accepted)
	c.Down = slices.Clone(r.Down)
	c.Cooling = maps.Clone(r.Cooling)
	c.activated = maps.Clone(r.activated)
	c.Firewall = r.Firewall.clone()
	c.Validation = r.Validation.clone()
	c.Notices = r.Notices.clone()
	if r.staged != nil {
		c.staged = make(map[string][]stagedStep, len(r.staged))
		for k, v := range r.staged {
			c.staged[k] = slices.Clone(v)
		}
	}
	c.Services = make([]*Service, len(r.Services))
	for i, sv := range r.Services {
		x := *sv
		c.Services[i] = &x
	}
	c.Steps = make([]*Step, len(r.Steps))
	c.byID = make(map[string]*Step, len(r.byID))
	for i, st := range r.Steps {
		x := *st
		x.After = slices.Clone(st.After)
		x.Backout = slices.Clone(st.Backout)
		x.Signed = maps.Clone(st.Signed)
		x.run = &c
		c.Steps[i] = &x
		c.byID[x.ID] = &x
	}
	return &c
}

// Find returns the step with that id, nil if the run has none.
func (r *Run) Find(id string) *Step { return r.byID[id] }

// stagedStep is a step staged before its run's start committed, with its
// envelope (JSON) to check who staged it.
type stagedStep struct {
	Step     events.StepPlanned
	Envelope string
}

// commitStaged makes the steps staged under the start's stage the run's,
// in the order they were staged; on a run that requires keys, each must
// be signed by whoever started the run. The steps of other stages are
// abandoned starts'.
func (r *Run) commitStaged(e events.CutoverStarted, rec events.Record) {
	for stage, steps := range r.staged {
		if stage != e.Stage {
			r.Abandoned += len(steps)
			continue
		}
		for _, s := range steps {
			var env events.Envelope
			if json.Unmarshal([]byte(s.Envelope), &env) != nil || env.Actor != rec.Actor || (r.Signed && events.SignedBy(env, r.Crew) != nil) {
				r.Skipped++
				continue
			}
			if !r.plan(s.Step) {
				r.Skipped++
			}
		}
	}
	r.staged = nil
}
