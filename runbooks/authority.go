package runbooks

import (
	"slices"

	"github.com/dcmove/dcmove/events"
)

// permitted reports whether the actor of a signed event may do what it
// records, by the rules the commands' guards apply: the fold of a run that
// requires keys applies only what its crew could have done through dcmove,
// so an event a member signs for a role they do not have, or a timer they
// end by hand, never counts. State rules (a step started twice) are the
// fold's own; the time rules of the guards (the window, the point of no
// return) are not re-checked here.
func (r *Run) permitted(rec events.Record, ev events.Event) bool {
	actor := rec.Actor
	if actor == toolActor {
		return r.toolMay(ev)
	}
	step := func(id string) *Step { return r.byID[id] }
	hasRole := func(st *Step) bool { return st == nil || st.Role == "" || slices.Contains(r.roles(actor), st.Role) }
	switch e := ev.(type) {
	case events.CutoverStarted:
		return true // its signature is checked against the crew it lists
	case events.StepPlanned, events.WarningAccepted:
		return !r.Exists() || actor == r.Starter
	case events.StepStarted:
		st := step(e.Step)
		if st != nil && st.Gate {
			return true // the first signature starts a gate
		}
		return st == nil || st.Kind != events.KindCooldown && hasRole(st)
	case events.StepCompleted:
		st := step(e.Step)
		if e.Override != "" {
			// Only the lead finishes a step without its facts, and only a
			// step done by facts: never a gate or a timer.
			if st == nil || st.Gate || st.IsTimer() || !r.isLead(actor) {
				return false
			}
			factual, _, _ := r.factOf(st)
			return factual
		}
		if st != nil && st.Gate {
			return len(r.unsigned(st)) == 0 // done when every role signed go
		}
		return st == nil || !st.IsTimer() && hasRole(st)
	case events.StepFailed:
		st := step(e.Step)
		if st != nil && st.Gate {
			return slices.ContainsFunc(r.roles(actor), func(role string) bool { return st.Signed[role] == events.DecisionNoGo })
		}
		return st == nil || !st.IsTimer() && hasRole(st)
	case events.StepRetried:
		st := step(e.Step)
		return st == nil || !st.IsTimer() && hasRole(st)
	case events.StepSkipped:
		st := step(e.Step)
		return r.isLead(actor) && (st == nil || !st.Gate && !st.IsTimer())
	case events.GateSigned:
		return slices.Contains(r.roles(actor), e.Role)
	case events.DegradedEntered, events.DegradedLeft:
		return r.isLead(actor) || slices.Contains(r.roles(actor), events.RoleApp)
	case events.CooldownForced:
		return r.isLead(actor)
	case events.BackoutStarted:
		if e.Trigger != "" {
			g := step(e.Trigger)
			return g != nil && slices.ContainsFunc(r.roles(actor), func(role string) bool { return g.Signed[role] == events.DecisionNoGo })
		}
		return r.isLead(actor)
	case events.CooldownStarted, events.CooldownElapsed:
		return false // the tool's own
	case events.NoticeWaived:
		return r.isLead(actor)
	}
	return true // blocks, unblocks, notices sent, acknowledgements: any member
}

// toolMay reports whether an event recorded as dcmove's own (any crew key
// may sign it) is one dcmove records by itself: a cool-down started by a
// shutdown, a timer's end, an acknowledgement link followed, and the ack
// step it completes.
func (r *Run) toolMay(ev events.Event) bool {
	switch e := ev.(type) {
	case events.CooldownStarted, events.CooldownElapsed:
		return true
	case events.StepStarted:
		st := r.byID[e.Step]
		return st != nil && st.Kind == events.KindCooldown
	case events.StepCompleted:
		st := r.byID[e.Step]
		return st != nil && (st.Kind == events.KindGrace || st.Kind == events.KindAck) && e.Override == ""
	case events.NoticeAcknowledged:
		return e.Via == "link" // a recipient who followed their link
	}
	return false
}
