package runbooks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// The guards every command shares: who may act on what, and whether a step
// may start now. They only read the run.

// actor checks that the run exists and that name is in its crew, and
// returns the name as the plan spells it.
func (r *Run) actor(name string) (string, error) {
	if !r.Exists() {
		return "", &noRun{reason: fmt.Sprintf("run %s has not been started: record a plan first with dcmove cutover start FILE", r.ID)}
	}
	return crewMember(r.Crew, name)
}

// guardMember checks the run, the step and that the actor is in the crew,
// whatever their role.
func (r *Run) guardMember(id, actor string) (*Step, string, error) {
	who, err := r.actor(actor)
	if err != nil {
		return nil, "", err
	}
	st := r.byID[id]
	if st == nil {
		return nil, "", refuse("run %s has no step %q; %s", r.ID, id, hint(id, r.ids(func(*Step) bool { return true })))
	}
	return st, who, nil
}

// guardStep checks what every step command needs: the run exists, the step
// exists, and the actor is a crew member who may do it. It returns the step
// and the actor's name as the plan spells it.
func (r *Run) guardStep(id, actor string) (*Step, string, error) {
	st, who, err := r.guardMember(id, actor)
	if err != nil {
		return nil, "", err
	}
	if st.Role != "" && len(r.Crew) > 0 && !slices.Contains(r.roles(who), st.Role) {
		var can []string
		for _, m := range r.Crew {
			if slices.Contains(m.Roles, st.Role) {
				can = append(can, m.Name)
			}
		}
		return nil, "", refuse("%s cannot do step %s: it needs the %s role, and %s has %s; ask %s",
			who, id, st.Role, who, orNone(r.roles(who)), strings.Join(can, " or "))
	}
	return st, who, nil
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

// guardDegraded checks that actor may switch degraded mode, and why.
func (r *Run) guardDegraded(actor, reason string) (string, error) {
	who, err := r.actor(actor)
	if err != nil {
		return "", err
	}
	if !r.isLead(who) && !slices.Contains(r.roles(who), events.RoleApp) {
		return "", refuse("%s cannot switch degraded mode: the lead or someone with the %s role does", who, events.RoleApp)
	}
	return who, needReason(reason, "degraded mode")
}

// isLead reports whether name leads the move (the plan's lead, or anyone
// with the lead role when the plan names none).
func (r *Run) isLead(name string) bool {
	if r.Lead != "" {
		return name == r.Lead
	}
	return slices.Contains(r.roles(name), events.RoleLead)
}

// canStart checks everything but the actor: the step's state, its
// dependencies, a block, the window, a cool-down and the point of no
// return.
func (r *Run) canStart(st *Step, now time.Time) error {
	switch st.state {
	case Started:
		return refuse("step %s is already started by %s", st.ID, st.StartedBy)
	case Done:
		return refuse("step %s is already done (by %s)", st.ID, st.DoneBy)
	case Skipped:
		return refuse("step %s was skipped by %s (%s)", st.ID, st.DoneBy, st.Reason)
	case Failed:
		return refuse("step %s failed (%s); to try again: dcmove step retry %s --reason WHY", st.ID, st.Reason, st.ID)
	case Cancelled:
		return refuse("step %s was cancelled when the move backed out (%s)", st.ID, st.Reason)
	}
	if st.Blocked != "" {
		return refuse("step %s is blocked (%s); when that is solved: dcmove step unblock %s", st.ID, st.Blocked, st.ID)
	}
	if st.Kind == events.KindCooldown {
		return refuse("step %s is a timer: it starts when %s is shut down and ends when it has cooled down", st.ID, st.Asset)
	}
	switch {
	case st.BackoutOnly && !r.BackingOut:
		return refuse("step %s only runs if the move backs out (dcmove backout start --reason WHY)", st.ID)
	case st.BackoutOnly && !r.activated[st.ID]:
		return refuse("step %s is not needed by this back-out: nothing it undoes had started", st.ID)
	case !st.BackoutOnly && r.BackingOut:
		return refuse("the move is backing out: only back-out steps run now (ready: %s)", strings.Join(r.Ready(), ", "))
	}
	var waiting []string
	for _, dep := range r.waitingFor(st) {
		waiting = append(waiting, fmt.Sprintf("%s (%s)", dep.ID, r.describe(dep)))
	}
	if len(waiting) > 0 {
		return refuse("step %s cannot start yet: it waits for %s", st.ID, ListSome(waiting, 8, "dcmove status shows them all"))
	}
	// A rehearsal happens before the live window, by definition.
	if st.Timing != events.TimingBefore && !r.Rehearsal && !r.WindowStart.IsZero() && now.Before(r.WindowStart) {
		return refuse("step %s is part of the move and the window opens %s; only steps before the window may start earlier",
			st.ID, r.WindowStart.In(r.Location()).Format("Mon 2 Jan 15:04"))
	}
	if a := st.Asset; a != "" && !st.BackoutOnly {
		if until, ok := r.Cooling[a]; ok && now.Before(until) {
			return refuse("%s is cooling down until %s (%s left); wait, or the lead cuts it short: dcmove cooldown force %s --reason WHY",
				a, until.In(r.Location()).Format("Mon 15:04"), planner.Span(until.Sub(now)), a)
		}
	}
	if st.Kind == events.KindDecommission {
		if err := r.canDecommission(st); err != nil {
			return err
		}
	}
	return r.pastPointOfNoReturn(st, now)
}

// canDecommission refuses a decommission until every grace period has
// elapsed and every backup confirmation is done: a confirmation skipped
// does not count, whatever the step's dependencies say.
func (r *Run) canDecommission(st *Step) error {
	var missing []string
	for _, s := range r.Steps {
		if (s.Kind == events.KindGrace || s.Kind == events.KindConfirmBackup) && s.state != Done && !s.BackoutOnly {
			missing = append(missing, fmt.Sprintf("%s (%s)", s.ID, r.describe(s)))
		}
	}
	if len(missing) > 0 {
		return refuse("step %s decommissions equipment: it waits for the grace period to have elapsed and every backup confirmation to be done (a skipped one does not count): %s",
			st.ID, ListSome(missing, 8, "dcmove status shows them all"))
	}
	return nil
}

// pastPointOfNoReturn refuses a forward step of the window that would run
// past the point of no return before the crew signed go on it.
func (r *Run) pastPointOfNoReturn(st *Step, now time.Time) error {
	gate := r.byID[PointOfNoReturnGate]
	if r.PointOfNoReturn.IsZero() || gate == nil || gate.state == Done || st.ID == PointOfNoReturnGate ||
		st.BackoutOnly || st.Timing != events.TimingWindow {
		return nil
	}
	if end := now.Add(st.Planned); end.After(r.PointOfNoReturn) {
		return refuse("step %s would run past the point of no return (%s): after it, a back-out no longer ends inside the window; every role signs go first: dcmove gate sign %s --decision go",
			st.ID, r.PointOfNoReturn.In(r.Location()).Format("Mon 15:04"), PointOfNoReturnGate)
	}
	return nil
}

// unmet lists what a gate requires (its Require) that is not true yet:
// for "firewall", the destination's export captured, no kept rule missing
// from it, no retired rule back in it and no rule the plan forgot left
// unreviewed;
// for "checks", every check passed from every vantage point.
func (r *Run) unmet(st *Step) []string {
	var out []string
	for _, req := range st.Require {
		switch req {
		case "firewall":
			if len(r.Firewall.Captures) == 0 && len(r.Firewall.Plan) == 0 {
				continue // no rules anywhere: nothing to reconcile
			}
			if !r.Firewall.Destination {
				out = append(out, "the destination's rules were never captured (dcmove fw verify --site SITE FILE)")
				continue
			}
			rc := r.Firewall.Reconcile()
			for _, c := range rc.ToReview {
				out = append(out, fmt.Sprintf("rule %s is not reviewed (dcmove fw review %s --keep|--retire --reason WHY)", c.ID, c.ID))
			}
			for _, c := range rc.Missing {
				out = append(out, fmt.Sprintf("rule %s is kept but missing at the destination", cmp.Or(c.PlanRule, c.ID)))
			}
			for _, c := range rc.Reappeared {
				out = append(out, fmt.Sprintf("rule %s is retired but back at the destination", cmp.Or(c.PlanRule, c.ID)))
			}
		case "checks":
			out = append(out, r.Validation.pending(r.Validation.Checks)...)
		case "acks":
			for _, s := range r.Notices.Stakeholders {
				if s.Ack {
					for _, p := range r.Notices.Pending(s.ID) {
						out = append(out, s.ID+": "+p)
					}
				}
			}
		default:
			out = append(out, fmt.Sprintf("%q, which this version of dcmove does not know", req))
		}
	}
	return out
}

// describe says where a step stands, in words.
func (r *Run) describe(st *Step) string {
	if st == nil {
		return "not in the plan"
	}
	d := stateWords[st.state]
	if st.Blocked != "" {
		d += ", blocked"
	}
	if st.Gate && (st.state == Pending || st.state == Started) {
		if missing := r.unsigned(st); len(missing) > 0 {
			d += ", waiting for go from " + strings.Join(missing, ", ")
		}
	}
	return d
}

// unsigned returns the roles that have not signed go on a gate.
func (r *Run) unsigned(st *Step) []string { return unsignedOf(r.GateRoles(), st.Signed) }

func unsignedOf(roles []string, signed map[string]events.Decision) []string {
	var out []string
	for _, role := range roles {
		if signed[role] != events.DecisionGo {
			out = append(out, role)
		}
	}
	return out
}

func needReason(reason, what string) error {
	if strings.TrimSpace(reason) == "" {
		return refuse("say why with --reason: %s is recorded for the audit", what)
	}
	return nil
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
