package runbooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// Action is one thing a simulated crew member did.
type Action struct {
	At       time.Time
	Step     string
	Title    string
	Actor    string
	Started  bool          // true: the step started; false: it finished
	Took     time.Duration // for a finish: how long the step took
	Planned  time.Duration // the likely duration from the plan
	NowReady []string      // steps this action made ready
}

// Simulation runs a recorded run with a simulated crew, through the same
// guarded commands a real team uses: each step is taken by an idle crew
// member with its role, and takes a time drawn between its optimistic and
// pessimistic durations (triangular, around the likely one). Seed makes the
// draw repeatable.
type Simulation struct {
	Cutover *Cutover
	Clock   *ManualClock
	Seed    uint64
	// Report, if set, is called after every action.
	Report func(Action)
	// Exports, if set, reads the export of the firewall rules of the
	// source (role source) or the destination (role destination) that the
	// simulated crew captures; nil: exports that hold exactly the plan's
	// rules (at the destination, the rules kept).
	Exports func(role string) (FirewallCapture, error)
	// Note, if set, is told what the simulated crew learned from the
	// facts (a capture, a rule missing at the destination).
	Note func(at time.Time, who, what string)
	// Check, if set, runs a validation check from a vantage point for the
	// simulated crew; nil: every check passes, recorded as simulated
	// (there is no service behind a simulation).
	Check func(c events.CheckDef, from string) events.CheckRan
}

// Run executes every step of run, which must have been started from p,
// moving the clock from its current time until the last step is done. Steps
// with no role (waits such as a watch or a grace period) occupy nobody;
// timers (cool-downs) end by themselves when the clock passes them.
func (sim *Simulation) Run(ctx context.Context, p *planner.Plan, run string) error {
	rng := rand.New(rand.NewPCG(sim.Seed, 0x5eed))
	type job struct {
		step, person string
		busy         bool
		from, until  time.Time
	}
	var running []job
	busy := map[string]bool{}
	r, err := sim.Cutover.Load(ctx, run)
	if err != nil {
		return err
	}
	lead := p.Lead
	if lead == "" && len(p.Crew) > 0 {
		lead = p.Crew[0].Name
	}
	ready := r.Ready()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Give every ready step a free person with its role; steps of the
		// move wait for the window to open.
		waiting := false
		for _, id := range slices.Clone(ready) {
			sp, _ := r.Step(id)
			if sp.Timing != events.TimingBefore && !r.Rehearsal && sim.Clock.Now().Before(r.WindowStart) {
				waiting = true
				continue
			}
			who, occupies := lead, false
			if sp.Role != "" {
				if who, occupies = sim.free(p, sp.Role, busy), true; who == "" {
					continue
				}
			}
			out, err := sim.Cutover.StartStep(ctx, run, id, who)
			if err != nil {
				return fmt.Errorf("simulated %s starting %s: %w", who, id, err)
			}
			r = out.Run
			now := sim.Clock.Now()
			ready = slices.DeleteFunc(ready, func(x string) bool { return x == id })
			if sp.IsTimer() {
				// The grace period: it ends by itself (see below), and
				// nobody waits on it.
				sim.report(Action{At: now, Step: id, Title: sp.Title, Actor: who, Started: true, Planned: sp.Planned, NowReady: out.NowReady})
				continue
			}
			busy[who] = busy[who] || occupies
			d := planner.Duration{Optimistic: sp.Optimistic, Likely: sp.Planned, Pessimistic: sp.Pessimistic}
			running = append(running, job{step: id, person: who, busy: occupies, from: now, until: now.Add(d.Sample(rng).Round(time.Minute))})
			sim.report(Action{At: now, Step: id, Title: sp.Title, Actor: who, Started: true, Planned: d.Likely, NowReady: out.NowReady})
		}
		sort.SliceStable(running, func(i, j int) bool { return running[i].until.Before(running[j].until) })
		// A timer due before the next finish ends first.
		if next, ok := r.NextTimer(); ok && (len(running) == 0 || next.Before(running[0].until)) {
			sim.Clock.Set(next)
			out, err := sim.Cutover.Tick(ctx, run)
			if err != nil {
				return fmt.Errorf("simulated timer at %s: %w", next, err)
			}
			r, ready = out.Run, out.Run.Ready()
			for _, e := range out.Appended {
				if st := r.Find(e.SubjectID()); e.Type == events.TypeStepCompleted && st != nil {
					sim.report(Action{At: e.Time, Step: st.ID, Title: st.Title, Actor: e.Actor, Took: st.Done.Sub(st.Started), Planned: st.Planned, NowReady: out.NowReady})
				}
			}
			continue
		}
		if len(running) == 0 && waiting {
			sim.Clock.Set(r.WindowStart)
			continue
		}
		if len(running) == 0 {
			if len(ready) > 0 {
				return fmt.Errorf("simulation stuck: steps %v are ready but nobody in the crew can take them", ready)
			}
			return nil
		}
		// Move the clock to the next finish and finish that step.
		j := running[0]
		running = running[1:]
		sim.Clock.Set(j.until)
		sp, _ := r.Step(j.step)
		out, err := sim.finish(ctx, p, run, sp, j.person)
		if err != nil {
			return fmt.Errorf("simulated %s finishing %s: %w", j.person, j.step, err)
		}
		r = out.Run
		if j.busy {
			busy[j.person] = false
		}
		ready = r.Ready()
		sim.report(Action{At: j.until, Step: j.step, Title: sp.Title, Actor: j.person, Took: j.until.Sub(j.from), Planned: sp.Planned, NowReady: out.NowReady})
	}
}

// finish completes a step; a go/no-go gate is finished by one go from a
// crew member of each role, the last of which completes it.
func (sim *Simulation) finish(ctx context.Context, p *planner.Plan, run string, s *Step, who string) (*Outcome, error) {
	if s.Rule != "" && (s.Kind == events.KindCaptureRule || s.Kind == events.KindReviewRule || s.Kind == events.KindVerifyRule) {
		return sim.firewallFact(ctx, run, s, who)
	}
	if s.Stakeholder != "" && (s.Kind == events.KindNotice && s.Timing == events.TimingBefore || s.Kind == events.KindAck) {
		out, err := sim.notices(ctx, p, run, s, who)
		if err != nil {
			return nil, err
		}
		if st, ok := out.Run.Step(s.ID); ok && st.State() == Done {
			return out, nil
		}
	}
	if s.Kind == events.KindValidate || s.Kind == events.KindCheck {
		// The results complete the step when they all pass.
		out, err := sim.runChecks(ctx, run, s, who)
		if err != nil {
			return nil, err
		}
		if out == nil { // nothing to run: another step's results may have completed it
			r, err := sim.Cutover.Load(ctx, run)
			if err != nil {
				return nil, err
			}
			out = &Outcome{Run: r}
		}
		if st, ok := out.Run.Step(s.ID); ok && st.State() == Done {
			return out, nil
		}
	}
	if !s.Gate {
		return sim.Cutover.CompleteStep(ctx, run, s.ID, who)
	}
	r, err := sim.Cutover.Load(ctx, run)
	if err != nil {
		return nil, err
	}
	roles := map[string][]string{}
	for _, m := range p.Crew {
		roles[m.Name] = m.Roles
	}
	signed := map[string]bool{}
	sign := func(name string) (*Outcome, error) {
		for _, role := range roles[name] {
			signed[role] = true
		}
		return sim.Cutover.SignGate(ctx, run, s.ID, name, string(events.DecisionGo), "simulated go")
	}
	// The person who held the meeting signs first, then one person for
	// each role still missing.
	out, err := sign(who)
	for _, role := range r.GateRoles() {
		if err != nil || signed[role] {
			continue
		}
		for _, m := range p.Crew {
			if slices.Contains(m.Roles, role) {
				out, err = sign(m.Name)
				break
			}
		}
	}
	return out, err
}

func (sim *Simulation) report(a Action) {
	if sim.Report != nil {
		sim.Report(a)
	}
}

// free returns an idle crew member with role (anyone idle if role is empty),
// preferring people with fewer roles so specialists do specialist work.
func (sim *Simulation) free(p *planner.Plan, role string, busy map[string]bool) string {
	best, bestRoles := "", math.MaxInt
	for _, m := range p.Crew {
		if busy[m.Name] || (role != "" && !slices.Contains(m.Roles, role)) {
			continue
		}
		if len(m.Roles) < bestRoles {
			best, bestRoles = m.Name, len(m.Roles)
		}
	}
	if best == "" && len(p.Crew) == 0 {
		return "simulated-crew"
	}
	return best
}

// firewallFact does what completes a firewall rule's step: capture the
// source's export, review the rule as the plan says (keep, or retire an
// obsolete one), capture the destination's export. The facts complete the
// step; if they do not, the step's refusal says why.
func (sim *Simulation) firewallFact(ctx context.Context, run string, s *Step, who string) (*Outcome, error) {
	r, err := sim.Cutover.Load(ctx, run)
	if err != nil {
		return nil, err
	}
	var out *Outcome
	captured := func(role string) bool {
		for _, c := range r.Firewall.Captures {
			if c.Role == role {
				return true
			}
		}
		return false
	}
	capture := func(role string) error {
		fc, err := sim.export(r, role)
		if err != nil {
			return err
		}
		if out, err = sim.Cutover.CaptureFirewall(ctx, run, who, fc); err != nil {
			return err
		}
		r = out.Run
		rc := r.Firewall.Reconcile()
		if role == events.FirewallRoleSource {
			var files []string
			for _, f := range fc.Files {
				name, _, _ := strings.Cut(f, " sha256:")
				files = append(files, name)
			}
			sim.note(who, fmt.Sprintf("captured %d rules of %s from %s: %d not in the plan, %d plan rules not matched", len(fc.Rules), fc.Site, strings.Join(files, ", "), len(rc.NotInPlan), len(rc.NotCaptured)))
			return nil
		}
		sim.note(who, fmt.Sprintf("captured %d rules of %s: %d verified, %d missing, %d unexpected, %d retired but back", len(fc.Rules), fc.Site, len(rc.Verified), len(rc.Missing), len(rc.Unexpected), len(rc.Reappeared)))
		if len(rc.Missing) == 0 {
			return nil
		}
		// The crew adds what is missing, exports again and verifies.
		var names []string
		for _, m := range rc.Missing {
			names = append(names, m.ID+" ("+m.PlanRule+")")
		}
		sim.note(who, "adds the missing rules at "+fc.Site+" and exports again: "+strings.Join(names, ", "))
		if out, err = sim.Cutover.CaptureFirewall(ctx, run, who, withMissing(r, fc)); err != nil {
			return err
		}
		r = out.Run
		rc = r.Firewall.Reconcile()
		sim.note(who, fmt.Sprintf("verified again: %d verified, %d missing", len(rc.Verified), len(rc.Missing)))
		return nil
	}
	switch s.Kind {
	case events.KindCaptureRule:
		if !captured(events.FirewallRoleSource) {
			err = capture(events.FirewallRoleSource)
		}
	case events.KindReviewRule:
		// The rules the plan forgot are reviewed with the first review:
		// still in use, kept.
		var kept []string
		for _, f := range r.Firewall.Reconcile().ToReview {
			if _, err := sim.Cutover.ReviewFirewallRule(ctx, run, who, f.ID, events.FirewallDecisionKeep, "not in the plan, but still in use"); err != nil {
				return nil, err
			}
			kept = append(kept, f.ID)
		}
		if len(kept) > 0 {
			sim.note(who, fmt.Sprintf("reviews the %d rules the plan forgot: still in use, kept (%s)", len(kept), strings.Join(kept, ", ")))
		}
		decision, reason := events.FirewallDecisionKeep, "kept, as the plan says"
		if pr, ok := r.Firewall.PlanRule(s.Rule); ok && pr.Obsolete {
			decision, reason = events.FirewallDecisionRetire, "obsolete, as the plan says"
		}
		if len(r.Firewall.OfPlan(s.Rule)) > 0 {
			out, err = sim.Cutover.ReviewFirewallRule(ctx, run, who, s.Rule, decision, reason)
		}
	case events.KindVerifyRule:
		if !captured(events.FirewallRoleDestination) {
			err = capture(events.FirewallRoleDestination)
		}
	}
	if err != nil {
		return nil, err
	}
	if r, err = sim.Cutover.Load(ctx, run); err != nil {
		return nil, err
	}
	if st := r.Find(s.ID); st != nil && st.State() == Done {
		if out == nil {
			out = &Outcome{Run: r} // done by an earlier capture
		}
		return out, nil
	}
	if len(r.Firewall.OfPlan(s.Rule)) == 0 && r.Lead != "" {
		// A plan rule no export can show (written with names, not
		// addresses): the lead checks it by hand and skips the step, on
		// the record.
		why := "rule " + s.Rule + " is written with names, not addresses: no export can show it"
		if _, err := sim.Cutover.FailStep(ctx, run, s.ID, who, why); err != nil {
			return nil, err
		}
		sim.note(r.Lead, "skips "+s.ID+": "+why+"; checked by hand")
		return sim.Cutover.SkipStep(ctx, run, s.ID, r.Lead, why+"; checked by hand against the export")
	}
	return sim.Cutover.CompleteStep(ctx, run, s.ID, who)
}

// export is the firewall export the simulated crew reads.
func (sim *Simulation) export(r *Run, role string) (FirewallCapture, error) {
	if sim.Exports != nil {
		return sim.Exports(role)
	}
	return PlanExport(r.Firewall.Plan, role), nil
}

// PlanExport is an export holding exactly the plan's rules (at the
// destination, those the plan keeps), each with the plan rule's id as its
// own: what a simulated crew captures when it has no real export.
func PlanExport(plan []events.FirewallRule, role string) FirewallCapture {
	fc := FirewallCapture{Site: "simulated-" + role, Role: role, Files: []string{"simulated export of the plan's rules"}}
	for i, pr := range plan {
		if role == events.FirewallRoleDestination && pr.Obsolete {
			continue
		}
		meaning := fmt.Sprintf("%s %s -> %s ports %s %s", pr.Protocol, pr.Source, pr.Destination, pr.Ports, pr.Action)
		fc.Rules = append(fc.Rules, events.FirewallRuleCaptured{Rule: "plan-" + pr.ID, Meaning: meaning, Text: meaning,
			Format: "simulated", File: "plan", Line: i + 1, PlanRule: pr.ID})
	}
	return fc
}

func (sim *Simulation) note(who, what string) {
	if sim.Note != nil {
		sim.Note(sim.Clock.Now(), who, what)
	}
}

// withMissing is the destination's export fc once the crew added the kept
// rules its capture lacked, written in its syntax.
func withMissing(r *Run, fc FirewallCapture) FirewallCapture {
	fixed := fc
	fixed.Rules = slices.Clone(fc.Rules)
	fixed.Files = append(slices.Clone(fc.Files), "the rules added by hand")
	for _, m := range r.Firewall.Reconcile().Missing {
		text := m.Text
		if t, ok := m.Forms[r.Firewall.DestinationFormat]; ok {
			text = t
		}
		fixed.Rules = append(fixed.Rules, events.FirewallRuleCaptured{Rule: m.ID, Meaning: m.Meaning, Text: text, Comment: m.Comment,
			Format: r.Firewall.DestinationFormat, File: "added by hand", PlanRule: m.PlanRule, NotCompared: m.NotCompared, Forms: m.Forms})
	}
	return fixed
}

// runChecks records, before a validate step is finished, a result of each
// of its checks from each vantage point that has none passing yet.
func (sim *Simulation) runChecks(ctx context.Context, run string, s *Step, who string) (*Outcome, error) {
	r, err := sim.Cutover.Load(ctx, run)
	if err != nil {
		return nil, err
	}
	checks, _ := r.checksOf(r.byID[s.ID])
	var results []events.CheckRan
	for _, c := range checks {
		from := c.From
		if len(from) == 0 {
			from = []string{"local"}
		}
		for _, f := range from {
			if last, ok := r.Validation.Last[c.ID][f]; ok && last.OK {
				continue
			}
			res := events.CheckRan{Check: c.ID, From: f, OK: true, Expected: c.Kind + " " + c.Target + " " + c.Expect, Seen: "simulated: no service behind a simulation", Attempts: 1}
			if sim.Check != nil {
				res = sim.Check(c, f)
			}
			results = append(results, res)
		}
	}
	if len(results) == 0 {
		return nil, nil
	}
	return sim.Cutover.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		return r.RecordChecks(now, who, results)
	})
}

// notices does what completes a stakeholder's notice or ack step: the
// notice is recorded as sent to each recipient the plan lists (a
// simulation sends no mail: the subject says so), and each acknowledges by
// following their link, except the last of a stakeholder with several,
// who never does and is chased: a reminder, then a phone call the crew
// records. A stakeholder with no recipients (a provider's portal)
// acknowledges by phone. The lead waives nothing.
func (sim *Simulation) notices(ctx context.Context, p *planner.Plan, run string, s *Step, who string) (*Outcome, error) {
	recipients, err := p.RecipientsOf(s.Stakeholder)
	if err != nil {
		return nil, err
	}
	token := func(addr string, n int) string {
		sum := sha256.Sum256([]byte(fmt.Sprint("simulated ", run, " ", addr, " ", n)))
		return hex.EncodeToString(sum[:])
	}
	if s.Kind == events.KindNotice {
		var sent []events.NoticeSent
		for _, rc := range recipients {
			sent = append(sent, events.NoticeSent{Stakeholder: s.Stakeholder, Recipient: rc.Email, Name: rc.Name,
				Subject: "(simulated: no mail sent) Planned maintenance", TokenSHA256: token(rc.Email, 1)})
		}
		if len(sent) == 0 {
			r, err := sim.Cutover.Load(ctx, run)
			return &Outcome{Run: r}, err
		}
		sim.note(who, fmt.Sprintf("sends the notice to the %d recipients of %s (simulated: no mail leaves a simulation)", len(sent), s.Stakeholder))
		return sim.Cutover.RecordNotices(ctx, run, who, sent, nil)
	}
	if len(recipients) == 0 {
		return sim.Cutover.AcknowledgeNotice(ctx, run, who, s.Stakeholder, s.Stakeholder+" contact", "phone", "simulated: acknowledged on the phone")
	}
	var out *Outcome
	for i, rc := range recipients {
		if i == len(recipients)-1 && len(recipients) > 1 {
			// The one who never clicks: reminded, then called.
			if _, err := sim.Cutover.RecordNotices(ctx, run, who, []events.NoticeSent{{Stakeholder: s.Stakeholder, Recipient: rc.Email, Name: rc.Name,
				Subject: "(simulated: no mail sent) Reminder: planned maintenance", TokenSHA256: token(rc.Email, 2), Reminder: true}}, nil); err != nil {
				return nil, err
			}
			sim.note(who, fmt.Sprintf("%s of %s has not acknowledged: reminded by mail, then called", rc.Email, s.Stakeholder))
			out, err = sim.Cutover.AcknowledgeNotice(ctx, run, who, s.Stakeholder, rc.Email, "phone", "simulated: called after the reminder went unanswered")
		} else {
			out, err = sim.Cutover.AcknowledgeNotice(ctx, run, toolActor, s.Stakeholder, rc.Email, "link", "")
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
