package projections

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
)

// Report is what a run did, gathered for the post-migration report: a fold
// over the run's records that keeps the run's [Status] and, beside it, what
// the status forgets (who signed each gate and when, every deviation from
// the plan, each spell of degraded mode).
type Report struct {
	// Status is the run's status after the last record: the run's model,
	// which the report reads for everything it does not keep itself (the
	// lead, the plan file's hash, the schedule, the cool-downs).
	Status *Status
	// Records counts the records folded, understood or not.
	Records int
	// Signatures are the gate signatures, in log order.
	Signatures []Signature
	// Deviations are the departures from the plan, in log order.
	Deviations []Deviation
	// Spells are the spells of degraded mode, in order.
	Spells []Spell
	// Backout says how the move backed out (nil if it did not).
	Backout *Backout
	// Rehearsal compares a rehearsal run (A) with this run (B); nil
	// unless the caller sets it.
	Rehearsal *Comparison
	// HeadSignature is the signature of the run's head made with the
	// report; nil (the report unsigned) unless the caller sets it.
	HeadSignature *HeadSignature

	blocked map[string]int // step → its open "blocked" deviation (the model knows that a step is blocked, not since when)
}

// Signature is one signature on a go/no-go gate.
type Signature struct {
	At                 time.Time
	Gate, Role, Reason string
	Decision           events.Decision
	By                 string
}

// The kinds of [Deviation].
const (
	DeviationWarning    = "warning accepted"
	DeviationFailed     = "failed"
	DeviationRetried    = "retried"
	DeviationSkipped    = "skipped"
	DeviationBlocked    = "blocked"
	DeviationForced     = "cool-down cut short"
	DeviationNoGo       = "no-go"
	DeviationBackout    = "back-out"
	DeviationUnreadable = "not understood"
	DeviationIgnored    = "ignored"
	DeviationOverridden = "done without its facts"
)

// Deviation is one departure from the plan: a warning accepted at the
// start, a step failed, retried, skipped or blocked, a cool-down cut
// short, a no-go, the back-out.
type Deviation struct {
	At   time.Time
	Kind string
	// Subject is the step, asset, gate or lint it is about; Title the
	// step's title or the warning's message.
	Subject, Title string
	By, Reason     string
	// Note adds what the kind implies: how long a step stayed blocked,
	// how early a cool-down was cut.
	Note string
}

// Spell is one spell of degraded mode.
type Spell struct {
	// From and To bound the spell; To is zero while it lasts.
	From, To time.Time
	// Down are the services stopped on purpose.
	Down              []string
	Reason, EndReason string
	By, EndedBy       string
}

// Backout is how the move backed out.
type Backout struct {
	At                  time.Time
	By, Reason, Trigger string
	Steps, Cancelled    int
}

// NewReport returns the report of a run with no events yet.
func NewReport() *Report {
	return &Report{Status: NewStatus(), blocked: map[string]int{}}
}

// Apply folds one record into the report: what the status forgets, read
// against the run as it stood before the record (a cool-down cut short is
// gone from the model after it), then the record into the status.
func (rp *Report) Apply(r events.Record) {
	rp.Records++
	// A forced cool-down's planned end, read before the model forgets it.
	var until time.Time
	ev, err := r.Decode()
	if cf, ok := ev.(events.CooldownForced); ok && err == nil && r.Malformed == nil {
		until = rp.Status.Cooling[cf.Asset]
	}
	skipped := rp.Status.Skipped
	rp.Status.Apply(r)
	if rp.Status.Skipped > skipped && r.Malformed == nil && err == nil {
		// The model did not apply it (unsigned, forbidden, contradicting,
		// of another run): the report shows it as ignored, never as what
		// it claims.
		rp.deviate(Deviation{At: r.Time, Kind: DeviationIgnored, Subject: fmt.Sprint("seq ", r.Seq), By: r.Actor,
			Reason: "not applied: " + Describe(r.Actor, ev, rp.Status.StepTitle) + " (dcmove audit verify says why)"})
		return
	}
	rp.note(r, until)
}

// note keeps what the status forgets of r, a record the model applied
// (until is the end of a cool-down r forces).
func (rp *Report) note(r events.Record, until time.Time) {
	if r.Malformed != nil {
		rp.deviate(Deviation{Kind: DeviationUnreadable, Subject: fmt.Sprint("seq ", r.Seq), Reason: r.Malformed.Error()})
		return
	}
	ev, err := r.Decode()
	if err != nil {
		rp.deviate(Deviation{At: r.Time, Kind: DeviationUnreadable, Subject: fmt.Sprint("seq ", r.Seq), By: r.Actor, Reason: err.Error()})
		return
	}
	step := func(id string) (string, string) {
		if st, ok := rp.Status.Step(id); ok {
			return id, st.Title
		}
		return id, ""
	}
	d := Deviation{At: r.Time, By: r.Actor}
	switch e := ev.(type) {
	case events.WarningAccepted:
		d.Kind, d.Subject, d.Title, d.Reason = DeviationWarning, e.Lint, e.Message, e.Reason
		rp.deviate(d)
	case events.StepFailed:
		d.Kind, d.Reason = DeviationFailed, e.Reason
		d.Subject, d.Title = step(e.Step)
		rp.deviate(d)
	case events.StepRetried:
		d.Kind, d.Reason = DeviationRetried, e.Reason
		d.Subject, d.Title = step(e.Step)
		rp.deviate(d)
	case events.StepCompleted:
		if e.Override == "" {
			return
		}
		d.Kind, d.Reason = DeviationOverridden, e.Override
		d.Subject, d.Title = step(e.Step)
		rp.deviate(d)
	case events.StepSkipped:
		d.Kind, d.Reason = DeviationSkipped, e.Reason
		d.Subject, d.Title = step(e.Step)
		rp.deviate(d)
	case events.StepBlocked:
		d.Kind, d.Reason, d.Note = DeviationBlocked, e.Reason, "still blocked"
		d.Subject, d.Title = step(e.Step)
		if _, open := rp.blocked[e.Step]; !open {
			rp.blocked[e.Step] = len(rp.Deviations)
			rp.deviate(d)
		}
	case events.StepUnblocked:
		if i, open := rp.blocked[e.Step]; open {
			rp.Deviations[i].Note = "blocked for " + span(r.Time.Sub(rp.Deviations[i].At)) + because(e.Reason)
			delete(rp.blocked, e.Step)
		}
	case events.GateSigned:
		rp.Signatures = append(rp.Signatures, Signature{At: r.Time, Gate: e.Gate, Role: e.Role, Decision: events.Decision(e.Decision), Reason: e.Reason, By: r.Actor})
		if events.Decision(e.Decision) != events.DecisionGo {
			d.Kind, d.Reason, d.Note = DeviationNoGo, e.Reason, "as "+e.Role
			d.Subject, d.Title = step(e.Gate)
			rp.deviate(d)
		}
	case events.CooldownForced:
		d.Kind, d.Subject, d.Reason = DeviationForced, e.Asset, e.Reason
		if until.After(r.Time) {
			d.Note = span(until.Sub(r.Time)) + " before its end"
		}
		rp.deviate(d)
	case events.DegradedEntered:
		if n := len(rp.Spells); n == 0 || !rp.Spells[n-1].To.IsZero() {
			rp.Spells = append(rp.Spells, Spell{From: r.Time, Down: e.Down, Reason: e.Reason, By: r.Actor})
		}
	case events.DegradedLeft:
		if n := len(rp.Spells); n > 0 && rp.Spells[n-1].To.IsZero() {
			rp.Spells[n-1].To, rp.Spells[n-1].EndReason, rp.Spells[n-1].EndedBy = r.Time, e.Reason, r.Actor
		}
	case events.BackoutStarted:
		if rp.Backout == nil {
			rp.Backout = &Backout{At: r.Time, By: r.Actor, Reason: e.Reason, Trigger: e.Trigger, Steps: len(e.Steps), Cancelled: len(e.Cancelled)}
			d.Kind, d.Reason, d.Subject = DeviationBackout, e.Reason, e.Trigger
			d.Note = fmt.Sprintf("%d back-out steps to run, %d steps cancelled", len(e.Steps), len(e.Cancelled))
			rp.deviate(d)
		}
	}
}

func (rp *Report) deviate(d Deviation) { rp.Deviations = append(rp.Deviations, d) }

// MoveEnd returns when the move ended: when the last step of the window
// finished, once every step of the window is done, skipped or cancelled.
func (rp *Report) MoveEnd() (time.Time, bool) { return rp.Status.moveEnd() }

// PlannedEnd returns when the schedule recorded at the start said the
// move's window steps would end (zero if it did not say).
func (rp *Report) PlannedEnd() time.Time {
	var end time.Time
	for _, st := range rp.Status.Steps {
		if inWindow(st) && !st.BackoutOnly && st.PlannedEnd.After(end) {
			end = st.PlannedEnd
		}
	}
	return end
}

// GateDecision is a gate of the run with its signatures.
type GateDecision struct {
	ID, Title string
	// Outcome is "go" once every role signed go, "no-go" if one did, else
	// "open" (see [GateGo], [GateNoGo], [GateOpen]).
	Outcome string
	// At is when the gate was decided (or last signed, while open).
	At         time.Time
	Signatures []Signature
}

// The outcomes of a gate: the decision every role signed, or open.
const (
	GateGo   = string(events.DecisionGo)
	GateNoGo = string(events.DecisionNoGo)
	GateOpen = "open"
)

// Gates returns the run's gates that someone signed, in the order they
// were decided.
func (rp *Report) Gates() []GateDecision {
	var out []GateDecision
	for _, st := range rp.Status.Steps {
		if !st.Gate {
			continue
		}
		g := GateDecision{ID: st.ID, Title: st.Title, Outcome: GateOpen}
		for _, sg := range rp.Signatures {
			if sg.Gate == st.ID {
				g.Signatures = append(g.Signatures, sg)
				g.At = sg.At
				if sg.Decision != events.DecisionGo && g.Outcome == GateOpen {
					g.Outcome = GateNoGo
				}
			}
		}
		if len(g.Signatures) == 0 {
			continue
		}
		if g.Outcome == GateOpen && st.State() == Done {
			g.Outcome, g.At = GateGo, st.Done
		}
		out = append(out, g)
	}
	slices.SortStableFunc(out, func(a, b GateDecision) int { return a.At.Compare(b.At) })
	return out
}

// PhaseTotal is planned against actual for the steps of one phase that
// were done.
type PhaseTotal struct {
	Phase string
	// Steps counts the phase's steps (the cancelled ones apart), Done those
	// done with a start and an end to measure.
	Steps, Done int
	// Planned and Actual are the sums of the likely and the actual
	// durations of the measured steps.
	Planned, Actual time.Duration
}

// Ratio returns actual over planned (0 when nothing was planned).
func (p PhaseTotal) Ratio() float64 {
	if p.Planned <= 0 {
		return 0
	}
	return float64(p.Actual) / float64(p.Planned)
}

// measured returns how long a step took, if it is done and has a start.
func measured(st *Step) (time.Duration, bool) {
	if st.State() != Done || st.Started.IsZero() || st.Done.IsZero() {
		return 0, false
	}
	return st.Done.Sub(st.Started), true
}

// Phases returns planned against actual per phase, in the order the plan
// first names each phase, and the totals of the run.
func (rp *Report) Phases() (phases []PhaseTotal, total PhaseTotal) {
	total.Phase = "total"
	index := map[string]int{}
	for _, st := range rp.Status.Work() {
		if st.State() == Cancelled {
			continue
		}
		i, ok := index[st.Phase]
		if !ok {
			i = len(phases)
			index[st.Phase] = i
			phases = append(phases, PhaseTotal{Phase: st.Phase})
		}
		p := &phases[i]
		p.Steps++
		total.Steps++
		if d, ok := measured(st); ok {
			p.Done++
			p.Planned += st.Planned
			p.Actual += d
			total.Done++
			total.Planned += st.Planned
			total.Actual += d
		}
	}
	return phases, total
}

// LateStep is a step that took longer than planned.
type LateStep struct {
	ID, Title, Phase, By string
	Planned, Actual      time.Duration
}

// Over returns how much longer than planned the step took.
func (l LateStep) Over() time.Duration { return l.Actual - l.Planned }

// Late returns the steps that took longer than their likely duration, the
// latest first.
func (rp *Report) Late() []LateStep {
	var out []LateStep
	for _, st := range rp.Status.Work() {
		if d, ok := measured(st); ok && st.Planned > 0 && d > st.Planned {
			out = append(out, LateStep{ID: st.ID, Title: st.Title, Phase: st.Phase, By: st.DoneBy, Planned: st.Planned, Actual: d})
		}
	}
	slices.SortStableFunc(out, func(a, b LateStep) int { return cmp.Compare(b.Over(), a.Over()) })
	return out
}

// DegradedTotal returns how long degraded mode lasted in all; a spell still
// on counts until the last event of the run.
func (rp *Report) DegradedTotal() time.Duration {
	var d time.Duration
	for _, sp := range rp.Spells {
		d += rp.spellEnd(sp).Sub(sp.From)
	}
	return d
}

func (rp *Report) spellEnd(sp Spell) time.Time {
	if sp.To.IsZero() {
		return rp.Status.LastEvent
	}
	return sp.To
}
