package runbooks

import (
	"context"
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
		gate := &planner.Step{ID: PointOfNoReturnGate, Kind: events.KindGate, Gate: true, Role: events.RoleLead, Phase: "move",
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

// StepCount is how many steps a run of the analysed plan has, as the
// status, the report and the war-room page count them: the schedule's
// steps and the point-of-no-return gate a start adds. The back-out steps
// a start also records (BackoutCount) are not counted: they run only if
// the move backs out.
func StepCount(a *planner.Analysis) int {
	if a.HasPointOfNoReturn {
		return len(a.Steps) + 1
	}
	return len(a.Steps)
}

// BackoutCount is how many back-out steps a start records with the run.
func BackoutCount(rb *planner.Runbook) int {
	n := 0
	for _, s := range rb.Steps {
		if s.BackoutOnly {
			n++
		}
	}
	return n
}

func ponr(a *planner.Analysis) time.Time {
	if !a.HasPointOfNoReturn {
		return time.Time{}
	}
	return a.PointOfNoReturn
}

// cooldownSteps returns the cool-down each cooldown step's predecessors on
// the same asset (the shutdowns) start when they are done.
func cooldownSteps(rb *planner.Runbook) map[string]time.Duration {
	cooldowns := map[string]time.Duration{}
	for _, s := range rb.Steps {
		if s.Kind != events.KindCooldown {
			continue
		}
		for _, d := range s.After {
			if dep, ok := rb.Step(d); ok && dep.Asset == s.Asset {
				cooldowns[d] = s.Duration.Likely
			}
		}
	}
	return cooldowns
}

// startCooldown adds to a finished step's events the start of its asset's
// cool-down, and starts the asset's cool-down steps.
func (r *Run) startCooldown(now time.Time, st *Step, evs []events.Envelope) ([]events.Envelope, error) {
	if st.Cooldown <= 0 || st.Asset == "" {
		return evs, nil
	}
	e, err := r.event(now, toolActor, "asset/"+st.Asset, events.CooldownStarted{Asset: st.Asset, Step: st.ID, Until: now.Add(st.Cooldown)})
	if err != nil {
		return nil, err
	}
	evs = append(evs, e)
	for _, t := range r.Steps {
		if t.Kind == events.KindCooldown && t.Asset == st.Asset && t.state == Pending {
			e, err := r.event(now, toolActor, "step/"+t.ID, events.StepStarted{Step: t.ID})
			if err != nil {
				return nil, err
			}
			evs = append(evs, e)
		}
	}
	return evs, nil
}

// DueTimers decides the timers that are over by now but not yet recorded
// as such: the cool-downs, and the grace periods (done by themselves at
// their end).
func (r *Run) DueTimers(now time.Time) ([]events.Envelope, error) {
	var out []events.Envelope
	for _, asset := range slices.Sorted(maps.Keys(r.Cooling)) {
		until := r.Cooling[asset]
		if now.Before(until) {
			continue
		}
		e, err := r.event(until, toolActor, "asset/"+asset, events.CooldownElapsed{Asset: asset, Due: until})
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	for _, st := range r.Steps {
		if end, ok := graceEnd(st); ok && !now.Before(end) {
			e, err := r.event(end, toolActor, "step/"+st.ID, events.StepCompleted{Step: st.ID})
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// graceEnd returns when a running grace period ends by itself.
func graceEnd(st *Step) (time.Time, bool) {
	if st.Kind != events.KindGrace || st.state != Started {
		return time.Time{}, false
	}
	return st.Started.Add(st.Planned), true
}

// Timer is an event a command's events start the clock on: the log
// appends it at At, whether or not a dcmove command runs then.
type Timer struct {
	Event events.Envelope
	At    time.Time
	// What the timer ends, in words ("the cool-down of web-1").
	What string
}

// Timers returns the timers that evs, just recorded on r, start: the end of
// each cool-down started, and of the grace period when it starts.
func (r *Run) Timers(evs []events.Envelope) ([]Timer, error) {
	var out []Timer
	for _, e := range evs {
		ev, err := e.Decode()
		if err != nil {
			return nil, err
		}
		switch v := ev.(type) {
		case events.CooldownStarted:
			due, err := r.event(v.Until, toolActor, e.Subject, events.CooldownElapsed{Asset: v.Asset, Due: v.Until})
			if err != nil {
				return nil, err
			}
			out = append(out, Timer{Event: due, At: v.Until, What: "the cool-down of " + v.Asset})
		case events.StepStarted:
			if st := r.byID[v.Step]; st != nil && st.Kind == events.KindGrace {
				end := e.Time.Add(st.Planned)
				done, err := r.event(end, toolActor, e.Subject, events.StepCompleted{Step: v.Step})
				if err != nil {
					return nil, err
				}
				out = append(out, Timer{Event: done, At: end, What: "the grace period " + v.Step})
			}
		}
	}
	return out, nil
}

// ForceCooldown decides that the lead cuts an asset's cool-down short; the
// decision and its reason are recorded.
func (r *Run) ForceCooldown(now time.Time, actor, asset, reason string) ([]events.Envelope, error) {
	who, err := r.guardLead(actor, "cut a cool-down short")
	if err != nil {
		return nil, err
	}
	if err := needReason(reason, "a forced cool-down"); err != nil {
		return nil, err
	}
	if _, ok := r.Cooling[asset]; !ok {
		return nil, refuse("%s is not cooling down", asset)
	}
	e, err := r.event(now, who, "asset/"+asset, events.CooldownForced{Asset: asset, Reason: reason})
	return []events.Envelope{e}, err
}

// StartBackout decides that the move backs out, by the lead: the back-out
// steps of every step started so far become the work, and the forward
// steps not started are cancelled (kept, never deleted).
func (r *Run) StartBackout(now time.Time, actor, reason string) ([]events.Envelope, error) {
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
	e, err := r.event(now, who, "", r.backout(reason, ""))
	return []events.Envelope{e}, err
}

// backout computes what backing out means now: the back-out steps of every
// started or finished forward step, and the forward steps to cancel.
func (r *Run) backout(reason, trigger string) events.BackoutStarted {
	b := events.BackoutStarted{Reason: reason, Trigger: trigger, Steps: []string{}, Cancelled: []string{}}
	seen := map[string]bool{}
	for _, st := range r.Steps {
		if st.BackoutOnly {
			continue
		}
		switch {
		case st.IsTimer() && st.state == Started:
			// A cool-down of what is no longer moving is moot.
			b.Cancelled = append(b.Cancelled, st.ID)
		case st.state == Started, st.state == Done, st.state == Failed:
			for _, u := range st.Backout {
				if !seen[u] && r.byID[u] != nil {
					seen[u] = true
					b.Steps = append(b.Steps, u)
				}
			}
		case st.state == Pending:
			b.Cancelled = append(b.Cancelled, st.ID)
		}
	}
	return b
}

// ForceCooldown lets the lead cut an asset's cool-down short: see
// [Run.ForceCooldown].
func (c *Cutover) ForceCooldown(ctx context.Context, run, asset, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		return r.ForceCooldown(now, actor, asset, reason)
	})
}

// StartBackout switches the move to backing out: see [Run.StartBackout].
func (c *Cutover) StartBackout(ctx context.Context, run, actor, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) { return r.StartBackout(now, actor, reason) })
}
