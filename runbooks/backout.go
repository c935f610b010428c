package runbooks

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// PointOfNoReturnGate is the id of the gate the crew signs to go past the
// point of no return.
const PointOfNoReturnGate = "point-of-no-return"

// recordedSteps are the steps a cutover records: the scheduled ones, the
// gate at the point of no return, and the back-out steps (dormant until the
// move backs out).
func recordedSteps(a *planner.Analysis, rb *planner.Runbook) []planner.Scheduled {
	steps := slices.Clone(a.Steps)
	if a.HasPointOfNoReturn {
		// It waits for nothing: a late crew must still be able to decide,
		// and a step that would run past the point needs the decision.
		gate := &planner.Step{ID: PointOfNoReturnGate, Gate: true, Role: "lead", Phase: "move",
			Title:    "Go past the point of no return: after it, a back-out no longer ends inside the window",
			Duration: planner.Duration{Optimistic: 5 * time.Minute, Likely: 5 * time.Minute, Pessimistic: 15 * time.Minute}}
		steps = append(steps, planner.Scheduled{Step: gate, Timing: "window", Start: a.PointOfNoReturn, End: a.PointOfNoReturn})
	}
	for i := range rb.Steps {
		if s := &rb.Steps[i]; s.BackoutOnly {
			steps = append(steps, planner.Scheduled{Step: s, Timing: rb.Timing(s.Phase)})
		}
	}
	return steps
}

func ponr(a *planner.Analysis) time.Time {
	if !a.HasPointOfNoReturn {
		return time.Time{}
	}
	return a.PointOfNoReturn
}

// cooldownSteps returns the runbook's timer steps by kind, and the
// cool-down each cooldown timer's predecessors on the same asset (the
// shutdowns) start.
func cooldownSteps(rb *planner.Runbook) (timers map[string]string, cooldowns map[string]time.Duration) {
	timers, cooldowns = map[string]string{}, map[string]time.Duration{}
	for _, s := range rb.Steps {
		if s.Timer == "" {
			continue
		}
		timers[s.ID] = s.Timer
		if s.Timer != "cooldown" {
			continue
		}
		for _, d := range s.After {
			if dep, ok := rb.Step(d); ok && dep.Asset == s.Asset {
				cooldowns[d] = s.Duration.Likely
			}
		}
	}
	return timers, cooldowns
}

// startCooldown adds to a finished step's events the start of its asset's
// cool-down, and starts the asset's timer steps.
func (c *Cutover) startCooldown(r *Run, s *step, evs []events.Envelope) ([]events.Envelope, error) {
	d := time.Duration(s.planned.Cooldown)
	if d <= 0 || s.planned.Asset == "" {
		return evs, nil
	}
	now := c.Clock.Now()
	o := events.Origin{Run: r.ID, Plan: r.Plan, Actor: "dcmove"}
	e, err := events.New(now, o, "asset/"+s.planned.Asset, events.CooldownStarted{Asset: s.planned.Asset, Step: s.id, Until: now.Add(d)})
	if err != nil {
		return nil, err
	}
	evs = append(evs, e)
	for _, id := range r.order {
		t := r.steps[id]
		if t.planned.Timer == "cooldown" && t.planned.Asset == s.planned.Asset && t.state == pending {
			e, err := events.New(now, o, "step/"+id, events.StepStarted{Step: id})
			if err != nil {
				return nil, err
			}
			evs = append(evs, e)
		}
	}
	return evs, nil
}

// dueTimers returns the cool-downs that are over by the clock but not yet
// recorded as such.
func (c *Cutover) dueTimers(r *Run) ([]events.Envelope, error) {
	now := c.Clock.Now()
	var out []events.Envelope
	for _, asset := range slices.Sorted(maps.Keys(r.cooling)) {
		until := r.cooling[asset]
		if now.Before(until) {
			continue
		}
		e, err := events.New(until, events.Origin{Run: r.ID, Plan: r.Plan, Actor: "dcmove"}, "asset/"+asset, events.CooldownElapsed{Asset: asset, Due: until})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// scheduleTimers asks the server to deliver the end of every cool-down the
// command started, at its due time.
func (c *Cutover) scheduleTimers(ctx context.Context, evs []events.Envelope) error {
	if !c.Timers {
		return nil
	}
	for _, e := range evs {
		if e.Type != events.TypeCooldownStarted {
			continue
		}
		ev, err := e.Decode()
		if err != nil {
			return err
		}
		cs := ev.(events.CooldownStarted)
		due, err := events.New(cs.Until, events.Origin{Run: e.Run, Plan: e.Plan, Actor: "dcmove"}, e.Subject, events.CooldownElapsed{Asset: cs.Asset, Due: cs.Until})
		if err != nil {
			return err
		}
		if err := c.Log.Schedule(ctx, due, cs.Until); err != nil {
			return fmt.Errorf("the cool-down of %s is recorded, but its timer could not be set (the next command records it when due): %w", cs.Asset, err)
		}
	}
	return nil
}

// ForceCooldown lets the lead cut an asset's cool-down short; the decision
// and its reason are recorded.
func (c *Cutover) ForceCooldown(ctx context.Context, run, asset, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		who, err := r.guardLead(actor, "cut a cool-down short")
		if err != nil {
			return nil, err
		}
		if err := needReason(reason, "a forced cool-down"); err != nil {
			return nil, err
		}
		if _, ok := r.cooling[asset]; !ok {
			return nil, refuse("%s is not cooling down", asset)
		}
		e, err := events.New(c.Clock.Now(), events.Origin{Run: r.ID, Plan: r.Plan, Actor: who}, "asset/"+asset, events.CooldownForced{Asset: asset, Reason: reason})
		return []events.Envelope{e}, err
	})
}

// guardLead checks that the run exists and that actor leads the move.
func (r *Run) guardLead(actor, what string) (string, error) {
	who, err := r.actor(actor)
	if err != nil {
		return "", err
	}
	if !r.isLead(who) {
		return "", refuse("only the lead (%s) may %s", r.Lead, what)
	}
	return who, nil
}

// pastPointOfNoReturn refuses a forward step of the window that would run
// past the point of no return before the crew signed go on it.
func (r *Run) pastPointOfNoReturn(s *step, now time.Time) error {
	gate := r.steps[PointOfNoReturnGate]
	if r.PointOfNoReturn.IsZero() || gate == nil || gate.state == done || s.id == PointOfNoReturnGate ||
		s.planned.BackoutOnly || s.timing != "window" {
		return nil
	}
	if end := now.Add(time.Duration(s.planned.Likely)); end.After(r.PointOfNoReturn) {
		return refuse("step %s would run past the point of no return (%s): after it, a back-out no longer ends inside the window; every role signs go first: dcmove gate sign %s --decision go",
			s.id, r.PointOfNoReturn.In(r.Location()).Format("Mon 15:04"), PointOfNoReturnGate)
	}
	return nil
}

// StartBackout switches the move to backing out, decided by the lead: the
// back-out steps of every step started so far become the work, and the
// forward steps not started are cancelled (kept, never deleted).
func (c *Cutover) StartBackout(ctx context.Context, run, actor, reason string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		who, err := r.guardLead(actor, "start a back-out")
		if err != nil {
			return nil, err
		}
		if err := needReason(reason, "a back-out"); err != nil {
			return nil, err
		}
		if r.BackingOut {
			return nil, refuse("the move is already backing out")
		}
		e, err := events.New(c.Clock.Now(), events.Origin{Run: r.ID, Plan: r.Plan, Actor: who}, "", r.backout(reason, ""))
		return []events.Envelope{e}, err
	})
}

// backout computes what backing out means now: the back-out steps of every
// started or finished forward step, and the forward steps to cancel.
func (r *Run) backout(reason, trigger string) events.BackoutStarted {
	b := events.BackoutStarted{Reason: reason, Trigger: trigger, Steps: []string{}, Cancelled: []string{}}
	seen := map[string]bool{}
	for _, id := range r.order {
		s := r.steps[id]
		if s.planned.BackoutOnly {
			continue
		}
		switch {
		case s.planned.Timer != "" && s.state == started:
			// A cool-down of what is no longer moving is moot.
			b.Cancelled = append(b.Cancelled, id)
		case s.state == started, s.state == done, s.state == failed:
			for _, u := range s.planned.Backout {
				if !seen[u] && r.steps[u] != nil {
					seen[u] = true
					b.Steps = append(b.Steps, u)
				}
			}
		case s.state == pending:
			b.Cancelled = append(b.Cancelled, id)
		}
	}
	return b
}

// Tick records the timers that are due by the clock (the end of a
// cool-down), if any, and nothing else. A simulated crew calls it when it
// waits for a timer; with the machine's clock the server delivers timers.
func (c *Cutover) Tick(ctx context.Context, run string) (*Outcome, error) {
	// execute records the due timers ahead of any command, and appends
	// nothing when none is due.
	return c.execute(ctx, run, func(*Run) ([]events.Envelope, error) { return nil, nil })
}

// NextTimer returns when the next timer of the run is due, if any.
func (r *Run) NextTimer() (time.Time, bool) {
	var next time.Time
	for _, until := range r.cooling {
		if next.IsZero() || until.Before(next) {
			next = until
		}
	}
	return next, !next.IsZero()
}
