package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// The team's commands on a step. Each is a pure decision on the run's model
// (events to record, or a refusal), and a [Cutover] method that executes it
// against the log.

// event builds an envelope of the run, caused by who.
func (r *Run) event(now time.Time, who, subject string, ev events.Event) (events.Envelope, error) {
	return events.New(now, events.Origin{Run: r.ID, Plan: r.Plan, Actor: who}, subject, ev)
}

// stepEvent is one event about step id.
func (r *Run) stepEvent(now time.Time, who, id string, ev events.Event) ([]events.Envelope, error) {
	e, err := r.event(now, who, "step/"+id, ev)
	return []events.Envelope{e}, err
}

// StartStep decides that actor starts a step. It refuses when the step's
// dependencies are not done, the step is not pending, or the actor is not a
// crew member with the step's role.
func (r *Run) StartStep(now time.Time, actor, id string) ([]events.Envelope, error) {
	st, who, err := r.guardStep(id, actor)
	if err != nil {
		return nil, err
	}
	if err := r.canStart(st, now); err != nil {
		return nil, err
	}
	return r.stepEvent(now, who, id, events.StepStarted{Step: id})
}

// CompleteStep decides that actor finished a started step. A gate is done
// by its signatures, a cool-down by its timer, and the grace period not
// before its time.
func (r *Run) CompleteStep(now time.Time, actor, id string) ([]events.Envelope, error) {
	st, who, err := r.guardStep(id, actor)
	if err != nil {
		return nil, err
	}
	if st.state != Started {
		return nil, refuse("step %s is %s; only a started step can be finished (dcmove step start %s)", id, r.describe(st), id)
	}
	if st.Gate {
		return nil, refuse("step %s is a go/no-go gate: it is done when every role signed go (dcmove gate sign %s --decision go); still to sign: %s", id, id, strings.Join(r.unsigned(st), ", "))
	}
	switch st.Kind {
	case events.KindGrace:
		end, _ := graceEnd(st) // started: checked above
		return nil, refuse("step %s is the grace period: nothing at the source may be destroyed before %s (%s left); it ends by itself then, and nobody can end it earlier",
			id, end.In(r.Location()).Format("Mon 2 Jan 15:04"), planner.Span(max(end.Sub(now), 0)))
	case events.KindCooldown:
		return nil, refuse("step %s is a timer: %s cools down until %s, then it ends by itself; the lead may cut it short: dcmove cooldown force %s --reason WHY",
			id, st.Asset, r.Cooling[st.Asset].In(r.Location()).Format("Mon 15:04"), st.Asset)
	}
	// A validation is done when its checks passed, and a firewall rule's
	// capture, review and verification by real exports: not by a tick.
	if _, ok, missing := r.factOf(st); !ok {
		return nil, refuse("step %s is done by the facts, not by a tick: %s", id, missing)
	}
	evs, err := r.stepEvent(now, who, id, events.StepCompleted{Step: id})
	if err != nil {
		return nil, err
	}
	return r.startCooldown(now, st, evs)
}

// OverrideStep decides that the lead finishes a step whose facts are not
// there (a validation whose checks have not all passed from every vantage
// point, a firewall rule not captured, reviewed or verified), and why:
// the step is done, the override is recorded with it, and status and the
// report show it as a deviation. A step not started yet is started and
// finished at once, when it could start. Only a step done by facts can be
// overridden, and only while they are missing.
func (r *Run) OverrideStep(now time.Time, actor, id, reason string) ([]events.Envelope, error) {
	st, who, err := r.guardMember(id, actor)
	if err != nil {
		return nil, err
	}
	if !r.isLead(who) {
		return nil, refuse("only the lead (%s) may override the facts of step %s", r.Lead, id)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, refuse("say why with --override WHY: an override is recorded for the audit")
	}
	factual, ok, _ := r.factOf(st)
	switch {
	case !factual:
		return nil, refuse("step %s is not done by facts (checks or firewall exports): finish it with dcmove step done %s", id, id)
	case ok && (st.state == Started || st.state == Pending):
		return nil, refuse("the facts of step %s are there: no override is needed (dcmove step start %s, then dcmove step done %s)", id, id, id)
	}
	var evs []events.Envelope
	switch st.state {
	case Pending:
		if err := r.canStart(st, now); err != nil {
			return nil, err
		}
		if st.Role != "" && len(r.Crew) > 0 && !slices.Contains(r.roles(who), st.Role) {
			return nil, refuse("step %s needs the %s role to start, and %s has %s: someone with it starts the step (dcmove step start %s), then the lead overrides", id, st.Role, who, orNone(r.roles(who)), id)
		}
		if evs, err = r.stepEvent(now, who, id, events.StepStarted{Step: id}); err != nil {
			return nil, err
		}
	case Started:
	default:
		return nil, refuse("step %s is %s; only a pending or started step can be overridden", id, r.describe(st))
	}
	done, err := r.stepEvent(now, who, id, events.StepCompleted{Step: id, Override: reason})
	return append(evs, done...), err
}

// FailStep decides that a started step failed, and why. Its dependents
// wait until it is retried and done, or skipped.
func (r *Run) FailStep(now time.Time, actor, id, reason string) ([]events.Envelope, error) {
	st, who, err := r.guardStep(id, actor)
	if err != nil {
		return nil, err
	}
	if err := needReason(reason, "a failure"); err != nil {
		return nil, err
	}
	if st.IsTimer() {
		return nil, refuse("step %s is a timer (%s): it ends by itself and cannot fail; %s", id, st.Kind, timerWayOut(st))
	}
	if st.state != Started {
		return nil, refuse("step %s is %s; only a started step can fail", id, r.describe(st))
	}
	return r.stepEvent(now, who, id, events.StepFailed{Step: id, Reason: reason})
}

// timerWayOut says what can be done about a timer step instead.
func timerWayOut(st *Step) string {
	if st.Kind == events.KindCooldown {
		return fmt.Sprintf("the lead may cut the cool-down short: dcmove cooldown force %s --reason WHY", st.Asset)
	}
	return "the grace period keeps the source until it has elapsed (Online 2017: servers destroyed on a fixed date lost customers' data)"
}

// RetryStep decides that a failed step goes back to be started again.
func (r *Run) RetryStep(now time.Time, actor, id, reason string) ([]events.Envelope, error) {
	st, who, err := r.guardStep(id, actor)
	if err != nil {
		return nil, err
	}
	if st.state != Failed {
		return nil, refuse("step %s is %s; only a failed step can be retried", id, r.describe(st))
	}
	return r.stepEvent(now, who, id, events.StepRetried{Step: id, Reason: reason})
}

// SkipStep decides that a step will not be done: its dependents go on as
// if it were. Only the lead may skip, with a reason; a go/no-go gate is
// never skipped.
func (r *Run) SkipStep(now time.Time, actor, id, reason string) ([]events.Envelope, error) {
	st, who, err := r.guardMember(id, actor)
	if err != nil {
		return nil, err
	}
	if !r.isLead(who) {
		return nil, refuse("only the lead (%s) may skip a step; %s may block it instead (dcmove step block %s --reason WHY)", r.Lead, who, id)
	}
	if err := needReason(reason, "a skipped step"); err != nil {
		return nil, err
	}
	if st.Gate {
		return nil, refuse("step %s is a go/no-go gate: it cannot be skipped, only signed", id)
	}
	if st.IsTimer() {
		return nil, refuse("step %s is a timer (%s): it cannot be skipped; %s", id, st.Kind, timerWayOut(st))
	}
	if st.state != Pending && st.state != Failed {
		return nil, refuse("step %s is %s; only a step not started, or failed, can be skipped", id, r.describe(st))
	}
	return r.stepEvent(now, who, id, events.StepSkipped{Step: id, Reason: reason})
}

// BlockStep decides that a step cannot go on for a reason outside the
// plan. Any crew member may block a step that is not finished.
func (r *Run) BlockStep(now time.Time, actor, id, reason string) ([]events.Envelope, error) {
	st, who, err := r.guardMember(id, actor)
	if err != nil {
		return nil, err
	}
	if err := needReason(reason, "a block"); err != nil {
		return nil, err
	}
	if st.Blocked != "" {
		return nil, refuse("step %s is already blocked (%s)", id, st.Blocked)
	}
	if st.finished() {
		return nil, refuse("step %s is %s: there is nothing to block", id, r.describe(st))
	}
	return r.stepEvent(now, who, id, events.StepBlocked{Step: id, Reason: reason})
}

// UnblockStep decides that a blocked step may go on.
func (r *Run) UnblockStep(now time.Time, actor, id, reason string) ([]events.Envelope, error) {
	st, who, err := r.guardMember(id, actor)
	if err != nil {
		return nil, err
	}
	if st.Blocked == "" {
		return nil, refuse("step %s is not blocked", id)
	}
	return r.stepEvent(now, who, id, events.StepUnblocked{Step: id, Reason: reason})
}

// SignGate decides the actor's decision on a go/no-go gate, for each of the
// actor's roles the gate still needs. When every role of the crew has
// signed go, the gate is done and its dependents become ready. A no-go
// fails the gate and backs the move out, in the same append.
func (r *Run) SignGate(now time.Time, actor, id string, decision events.Decision, reason string) ([]events.Envelope, error) {
	if decision != events.DecisionGo && decision != events.DecisionNoGo {
		return nil, refuse("--decision %q: write %s or %s", decision, events.DecisionGo, events.DecisionNoGo)
	}
	st, who, err := r.guardMember(id, actor)
	if err != nil {
		return nil, err
	}
	if !st.Gate {
		return nil, refuse("step %s is not a go/no-go gate; finish it with dcmove step done %s", id, id)
	}
	if decision == events.DecisionNoGo {
		if err := needReason(reason, "a no-go"); err != nil {
			return nil, err
		}
	}
	if st.state != Pending && st.state != Started {
		return nil, refuse("gate %s is %s: it can no longer be signed", id, r.describe(st))
	}
	if st.state == Pending {
		if err := r.canStart(st, now); err != nil {
			return nil, err
		}
	}
	if decision == events.DecisionGo {
		if unmet := r.unmet(st); len(unmet) > 0 {
			return nil, refuse("gate %s requires %s before anyone signs go: %s", id, strings.Join(st.Require, " and "), ListSome(unmet, 8, "dcmove fw status and dcmove check status show them all"))
		}
	}
	var roles []string
	for _, role := range r.roles(who) {
		if slices.Contains(r.GateRoles(), role) && st.Signed[role] != events.DecisionGo {
			roles = append(roles, role)
		}
	}
	if len(roles) == 0 {
		return nil, refuse("%s has no role left to sign on gate %s; still to sign: %s", who, id, strings.Join(r.unsigned(st), ", "))
	}
	var evs []events.Envelope
	add := func(subject string, ev events.Event) error {
		e, err := r.event(now, who, subject, ev)
		evs = append(evs, e)
		return err
	}
	if st.state == Pending {
		if err := add("step/"+id, events.StepStarted{Step: id}); err != nil {
			return nil, err
		}
	}
	signed := map[string]events.Decision{}
	for k, v := range st.Signed {
		signed[k] = v
	}
	for _, role := range roles {
		if err := add("step/"+id, events.GateSigned{Gate: id, Role: role, Decision: string(decision), Reason: reason}); err != nil {
			return nil, err
		}
		signed[role] = decision
	}
	switch {
	case decision == events.DecisionNoGo:
		why := fmt.Sprintf("no-go from %s (%s): %s", who, strings.Join(roles, ", "), reason)
		if err := add("step/"+id, events.StepFailed{Step: id, Reason: why}); err != nil {
			return nil, err
		}
		if !r.BackingOut {
			if err := add("", r.backout(fmt.Sprintf("no-go on %s from %s: %s", id, who, reason), id)); err != nil {
				return nil, err
			}
		}
	case len(unsignedOf(r.GateRoles(), signed)) == 0:
		if err := add("step/"+id, events.StepCompleted{Step: id}); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// EnterDegraded decides that the service runs in degraded mode: every
// service that is not vital is down on purpose. The lead or someone with
// the app role decides it.
func (r *Run) EnterDegraded(now time.Time, actor, reason string) ([]events.Envelope, error) {
	who, err := r.guardDegraded(actor, reason)
	if err != nil {
		return nil, err
	}
	if r.Degraded {
		return nil, refuse("degraded mode is already on (down on purpose: %s)", strings.Join(r.Down, ", "))
	}
	var down []string
	for _, sv := range r.Services {
		if !sv.Vital && !sv.KeepUp {
			down = append(down, sv.ID)
		}
	}
	e, err := r.event(now, who, "", events.DegradedEntered{Reason: reason, Down: down})
	return []events.Envelope{e}, err
}

// LeaveDegraded decides that degraded mode is over.
func (r *Run) LeaveDegraded(now time.Time, actor, reason string) ([]events.Envelope, error) {
	who, err := r.guardDegraded(actor, reason)
	if err != nil {
		return nil, err
	}
	if !r.Degraded {
		return nil, refuse("degraded mode is not on")
	}
	e, err := r.event(now, who, "", events.DegradedLeft{Reason: reason})
	return []events.Envelope{e}, err
}

// StartStep records that actor started a step: see [Run.StartStep].
func (c *Cutover) StartStep(ctx context.Context, run, id, actor string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.StartStep(now, actor, id) })
}

// CompleteStep records that actor finished a started step: see
// [Run.CompleteStep].
func (c *Cutover) CompleteStep(ctx context.Context, run, id, actor string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.CompleteStep(now, actor, id) })
}

// OverrideStep records that the lead finished a step without its facts:
// see [Run.OverrideStep].
func (c *Cutover) OverrideStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.OverrideStep(now, actor, id, reason) })
}

// FailStep records that a started step failed: see [Run.FailStep].
func (c *Cutover) FailStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.FailStep(now, actor, id, reason) })
}

// RetryStep puts a failed step back to be started again: see
// [Run.RetryStep].
func (c *Cutover) RetryStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.RetryStep(now, actor, id, reason) })
}

// SkipStep records that a step will not be done: see [Run.SkipStep].
func (c *Cutover) SkipStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.SkipStep(now, actor, id, reason) })
}

// BlockStep records that a step cannot go on: see [Run.BlockStep].
func (c *Cutover) BlockStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.BlockStep(now, actor, id, reason) })
}

// UnblockStep lets a blocked step go on: see [Run.UnblockStep].
func (c *Cutover) UnblockStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.UnblockStep(now, actor, id, reason) })
}

// SignGate records the actor's decision on a go/no-go gate: see
// [Run.SignGate].
func (c *Cutover) SignGate(ctx context.Context, run, id, actor, decision, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		return r.SignGate(now, actor, id, events.Decision(decision), reason)
	})
}

// EnterDegraded records that the service runs in degraded mode: see
// [Run.EnterDegraded].
func (c *Cutover) EnterDegraded(ctx context.Context, run, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.EnterDegraded(now, actor, reason) })
}

// LeaveDegraded records that degraded mode is over: see
// [Run.LeaveDegraded].
func (c *Cutover) LeaveDegraded(ctx context.Context, run, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.LeaveDegraded(now, actor, reason) })
}
