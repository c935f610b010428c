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

// canStart checks everything but the actor: the step's state, its
// dependencies, a block, and the window.
func (r *Run) canStart(s *step, now time.Time) error {
	switch s.state {
	case started:
		return refuse("step %s is already started by %s", s.id, s.by)
	case done:
		return refuse("step %s is already done (by %s)", s.id, s.by)
	case skipped:
		return refuse("step %s was skipped by %s (%s)", s.id, s.by, s.reason)
	case failed:
		return refuse("step %s failed (%s); to try again: dcmove step retry %s --reason WHY", s.id, s.reason, s.id)
	case cancelled:
		return refuse("step %s was cancelled when the move backed out (%s)", s.id, s.reason)
	}
	if s.blocked != "" {
		return refuse("step %s is blocked (%s); when that is solved: dcmove step unblock %s", s.id, s.blocked, s.id)
	}
	if s.planned.Timer == "cooldown" {
		return refuse("step %s is a timer: it starts when %s is shut down and ends when it has cooled down", s.id, s.planned.Asset)
	}
	switch {
	case s.planned.BackoutOnly && !r.BackingOut:
		return refuse("step %s only runs if the move backs out (dcmove backout start --reason WHY)", s.id)
	case s.planned.BackoutOnly && !r.activated[s.id]:
		return refuse("step %s is not needed by this back-out: nothing it undoes had started", s.id)
	case !s.planned.BackoutOnly && r.BackingOut:
		return refuse("the move is backing out: only back-out steps run now (ready: %s)", strings.Join(r.Ready(), ", "))
	}
	var waiting []string
	for _, dep := range r.waitingFor(s) {
		waiting = append(waiting, fmt.Sprintf("%s (%s)", dep.id, r.describe(dep)))
	}
	if len(waiting) > 0 {
		return refuse("step %s cannot start yet: it waits for %s", s.id, ListSome(waiting, 8, "dcmove status shows them all"))
	}
	// A rehearsal happens before the live window, by definition.
	if s.timing != "before" && !r.Rehearsal && !r.WindowStart.IsZero() && now.Before(r.WindowStart) {
		return refuse("step %s is part of the move and the window opens %s; only steps before the window may start earlier",
			s.id, r.WindowStart.In(r.Location()).Format("Mon 2 Jan 15:04"))
	}
	if a := s.planned.Asset; a != "" && !s.planned.BackoutOnly {
		if until, ok := r.cooling[a]; ok && now.Before(until) {
			return refuse("%s is cooling down until %s (%s left); wait, or the lead cuts it short: dcmove cooldown force %s --reason WHY",
				a, until.In(r.Location()).Format("Mon 15:04"), planner.Span(until.Sub(now)), a)
		}
	}
	return r.pastPointOfNoReturn(s, now)
}

// describe says where a step stands, in words.
func (r *Run) describe(s *step) string {
	d := s.stateName()
	if s.blocked != "" {
		d += ", blocked"
	}
	if s.gate && (s.state == pending || s.state == started) {
		if missing := r.unsigned(s); len(missing) > 0 {
			d += ", waiting for go from " + strings.Join(missing, ", ")
		}
	}
	return d
}

// unsigned returns the roles that have not signed go on a gate.
func (r *Run) unsigned(s *step) []string {
	var out []string
	for _, role := range r.GateRoles() {
		if s.signed[role] != "go" {
			out = append(out, role)
		}
	}
	return out
}

// isLead reports whether name leads the move (the plan's lead, or anyone
// with the lead role when the plan names none).
func (r *Run) isLead(name string) bool {
	if r.Lead != "" {
		return name == r.Lead
	}
	return slices.Contains(r.crew[name], "lead")
}

func (c *Cutover) stepEvent(r *Run, who, id string, ev events.Event) ([]events.Envelope, error) {
	e, err := events.New(c.Clock.Now(), events.Origin{Run: r.ID, Plan: r.Plan, Actor: who}, "step/"+id, ev)
	return []events.Envelope{e}, err
}

func needReason(reason, what string) error {
	if strings.TrimSpace(reason) == "" {
		return refuse("say why with --reason: %s is recorded for the audit", what)
	}
	return nil
}

// FailStep records that a started step failed, and why. Its dependents
// wait until it is retried and done, or skipped.
func (c *Cutover) FailStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		s, who, err := r.guardStep(id, actor)
		if err != nil {
			return nil, err
		}
		if err := needReason(reason, "a failure"); err != nil {
			return nil, err
		}
		if s.state != started {
			return nil, refuse("step %s is %s; only a started step can fail", id, r.describe(s))
		}
		return c.stepEvent(r, who, id, events.StepFailed{Step: id, Reason: reason})
	})
}

// RetryStep puts a failed step back to be started again.
func (c *Cutover) RetryStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		s, who, err := r.guardStep(id, actor)
		if err != nil {
			return nil, err
		}
		if s.state != failed {
			return nil, refuse("step %s is %s; only a failed step can be retried", id, r.describe(s))
		}
		return c.stepEvent(r, who, id, events.StepRetried{Step: id, Reason: reason})
	})
}

// SkipStep records that a step will not be done: its dependents go on as if
// it were. Only the lead may skip, with a reason; a go/no-go gate is never
// skipped.
func (c *Cutover) SkipStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		s, who, err := r.guardMember(id, actor)
		if err != nil {
			return nil, err
		}
		if !r.isLead(who) {
			return nil, refuse("only the lead (%s) may skip a step; %s may block it instead (dcmove step block %s --reason WHY)", r.Lead, who, id)
		}
		if err := needReason(reason, "a skipped step"); err != nil {
			return nil, err
		}
		if s.gate {
			return nil, refuse("step %s is a go/no-go gate: it cannot be skipped, only signed", id)
		}
		if s.state != pending && s.state != failed {
			return nil, refuse("step %s is %s; only a step not started, or failed, can be skipped", id, r.describe(s))
		}
		return c.stepEvent(r, who, id, events.StepSkipped{Step: id, Reason: reason})
	})
}

// BlockStep records that a step cannot go on for a reason outside the plan.
// Any crew member may block a step that is not finished.
func (c *Cutover) BlockStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		s, who, err := r.guardMember(id, actor)
		if err != nil {
			return nil, err
		}
		if err := needReason(reason, "a block"); err != nil {
			return nil, err
		}
		if s.blocked != "" {
			return nil, refuse("step %s is already blocked (%s)", id, s.blocked)
		}
		if s.finished() {
			return nil, refuse("step %s is %s: there is nothing to block", id, r.describe(s))
		}
		return c.stepEvent(r, who, id, events.StepBlocked{Step: id, Reason: reason})
	})
}

// UnblockStep lets a blocked step go on.
func (c *Cutover) UnblockStep(ctx context.Context, run, id, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		s, who, err := r.guardMember(id, actor)
		if err != nil {
			return nil, err
		}
		if s.blocked == "" {
			return nil, refuse("step %s is not blocked", id)
		}
		return c.stepEvent(r, who, id, events.StepUnblocked{Step: id, Reason: reason})
	})
}

// guardMember checks the run, the step and that the actor is in the crew,
// whatever their role.
func (r *Run) guardMember(id, actor string) (*step, string, error) {
	who, err := r.actor(actor)
	if err != nil {
		return nil, "", err
	}
	s := r.steps[id]
	if s == nil {
		return nil, "", refuse("run %s has no step %q; %s", r.ID, id, hint(id, r.order))
	}
	return s, who, nil
}

// actor checks that the run exists and that name is in its crew, and
// returns the name as the plan spells it.
func (r *Run) actor(name string) (string, error) {
	if !r.Exists() {
		return "", refuse("run %s has not been started: record a plan first with dcmove cutover start FILE", r.ID)
	}
	return crewMember(r.members(), name)
}

func (r *Run) members() []events.Member {
	out := make([]events.Member, 0, len(r.names))
	for _, n := range r.names {
		out = append(out, events.Member{Name: n, Roles: r.crew[n]})
	}
	return out
}

// SignGate records the actor's decision on a go/no-go gate, for each of the
// actor's roles the gate still needs. When every role of the crew has
// signed go, the gate is done and its dependents become ready. A no-go
// fails the gate: nothing after it starts.
func (c *Cutover) SignGate(ctx context.Context, run, id, actor, decision, reason string) (*Outcome, error) {
	if decision != "go" && decision != "no-go" {
		return nil, refuse("--decision %q: write go or no-go", decision)
	}
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		s, who, err := r.guardMember(id, actor)
		if err != nil {
			return nil, err
		}
		if !s.gate {
			return nil, refuse("step %s is not a go/no-go gate; finish it with dcmove step done %s", id, id)
		}
		if decision == "no-go" {
			if err := needReason(reason, "a no-go"); err != nil {
				return nil, err
			}
		}
		if s.state != pending && s.state != started {
			return nil, refuse("gate %s is %s: it can no longer be signed", id, r.describe(s))
		}
		if s.state == pending {
			if err := r.canStart(s, c.Clock.Now()); err != nil {
				return nil, err
			}
		}
		var roles []string
		for _, role := range r.crew[who] {
			if slices.Contains(r.GateRoles(), role) && s.signed[role] != "go" {
				roles = append(roles, role)
			}
		}
		if len(roles) == 0 {
			return nil, refuse("%s has no role left to sign on gate %s; still to sign: %s", who, id, strings.Join(r.unsigned(s), ", "))
		}
		now := c.Clock.Now()
		o := events.Origin{Run: r.ID, Plan: r.Plan, Actor: who}
		var evs []events.Envelope
		add := func(ev events.Event) error {
			e, err := events.New(now, o, "step/"+id, ev)
			evs = append(evs, e)
			return err
		}
		if s.state == pending {
			if err := add(events.StepStarted{Step: id}); err != nil {
				return nil, err
			}
		}
		signed := map[string]string{}
		for k, v := range s.signed {
			signed[k] = v
		}
		for _, role := range roles {
			if err := add(events.GateSigned{Gate: id, Role: role, Decision: decision, Reason: reason}); err != nil {
				return nil, err
			}
			signed[role] = decision
		}
		switch {
		case decision == "no-go":
			// One no-go fails the gate and backs the move out, in the same
			// atomic append.
			if err = add(events.StepFailed{Step: id, Reason: fmt.Sprintf("no-go from %s (%s): %s", who, strings.Join(roles, ", "), reason)}); err == nil && !r.BackingOut {
				b := r.backout(fmt.Sprintf("no-go on %s from %s: %s", id, who, reason), id)
				var e events.Envelope
				e, err = events.New(now, o, "", b)
				evs = append(evs, e)
			}
		case len(unsignedOf(r.GateRoles(), signed)) == 0:
			err = add(events.StepCompleted{Step: id})
		}
		return evs, err
	})
}

func unsignedOf(roles []string, signed map[string]string) []string {
	var out []string
	for _, role := range roles {
		if signed[role] != "go" {
			out = append(out, role)
		}
	}
	return out
}

// EnterDegraded records that the service runs in degraded mode: every
// service that is not vital is down on purpose. The lead or someone with the
// app role decides it.
func (c *Cutover) EnterDegraded(ctx context.Context, run, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		who, err := r.guardDegraded(actor, reason)
		if err != nil {
			return nil, err
		}
		if r.Degraded {
			return nil, refuse("degraded mode is already on (down on purpose: %s)", strings.Join(r.DegradedDown, ", "))
		}
		var down []string
		for _, sv := range r.services {
			if !sv.Vital {
				down = append(down, sv.ID)
			}
		}
		e, err := events.New(c.Clock.Now(), events.Origin{Run: r.ID, Plan: r.Plan, Actor: who}, "", events.DegradedEntered{Reason: reason, Down: down})
		return []events.Envelope{e}, err
	})
}

// LeaveDegraded records that degraded mode is over.
func (c *Cutover) LeaveDegraded(ctx context.Context, run, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		who, err := r.guardDegraded(actor, reason)
		if err != nil {
			return nil, err
		}
		if !r.Degraded {
			return nil, refuse("degraded mode is not on")
		}
		e, err := events.New(c.Clock.Now(), events.Origin{Run: r.ID, Plan: r.Plan, Actor: who}, "", events.DegradedLeft{Reason: reason})
		return []events.Envelope{e}, err
	})
}

func (r *Run) guardDegraded(actor, reason string) (string, error) {
	who, err := r.actor(actor)
	if err != nil {
		return "", err
	}
	if !r.isLead(who) && !slices.Contains(r.crew[who], "app") {
		return "", refuse("%s cannot switch degraded mode: the lead or someone with the app role does", who)
	}
	return who, needReason(reason, "degraded mode")
}

func hint(id string, known []string) string { return planner.Hint(id, "steps", known) }

// ListSome joins the first n items, and says how many more there are and
// where to see them: a crew member reads a refusal on a laptop in a
// datacenter aisle, not a list of 45 steps.
func ListSome(items []string, n int, rest string) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more (%s)", strings.Join(items[:n], ", "), len(items)-n, rest)
}
