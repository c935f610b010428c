package runbooks

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
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
	// Delay, if set, says how much longer than drawn a step takes, and
	// why (a truck late); Late is told when such a step finished.
	Delay func(s *Step) (time.Duration, string)
	Late  func(at time.Time, step, why string)
	// Pace, if set, is called whenever the simulated clock moves, from
	// and to: a demo watched live sleeps there.
	Pace func(from, to time.Time)
}

// Run executes every step of run, which must have been started from p,
// moving the clock from its current time until the last step is done. Steps
// with no role (waits such as a watch or a grace period) occupy nobody;
// timers (cool-downs) end by themselves when the clock passes them.
//
// The simulated crew obeys what the plan's schedule obeys: in the window,
// a person takes a step only during one of their shifts, and only one
// that fits in what is left of it (a step longer than their longest shift
// starts at a shift's start); a step that needs a vehicle or a resource
// (a trolley, the loading dock) waits until one is free. When nobody with
// a role has a shift left, they work past their last shift, and the
// simulation says so (Note). Before and after the window the crew is not
// scheduled by shifts, as in the plan.
func (sim *Simulation) Run(ctx context.Context, p *planner.Plan, run string) error {
	rng := rand.New(rand.NewPCG(sim.Seed, 0x5eed))
	type job struct {
		step, person string
		busy         bool
		from, until  time.Time
		needs        []planner.Need
		late         string // why the step ran late (Delay)
	}
	var running []job
	busy := map[string]bool{}
	r, err := sim.Cutover.Load(ctx, run)
	if err != nil {
		return err
	}
	rb, err := Expand(p)
	if err != nil {
		return err
	}
	needs := map[string][]planner.Need{}
	for _, st := range rb.Steps {
		needs[st.ID] = st.Needs
	}
	capacity := map[string]int{}
	for _, v := range p.Transport {
		capacity[v.ID] = max(v.Count, 1)
	}
	for _, res := range p.Resources {
		capacity[res.ID] = res.Capacity
	}
	inUse := map[string]int{}
	overtime := false
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
		waiting, offShift := false, false
		offRoles := map[string]time.Duration{} // roles of steps waiting for someone on shift, and their longest step
		for _, id := range slices.Clone(ready) {
			sp, _ := r.Step(id)
			now := sim.Clock.Now()
			if sp.Timing != events.TimingBefore && !r.Rehearsal && now.Before(r.WindowStart) {
				waiting = true
				continue
			}
			free := true
			for _, n := range needs[id] {
				if c, ok := capacity[n.Resource]; ok && inUse[n.Resource]+n.Amount > c {
					free = false
				}
			}
			if !free {
				continue // a vehicle or resource is in use: the step waits for it
			}
			who, occupies := lead, false
			if sp.Role != "" {
				shifts := sp.Timing == events.TimingWindow && !overtime
				if who, occupies = sim.free(p, sp.Role, busy, now, sp.Planned, shifts), true; who == "" {
					if shifts && sim.free(p, sp.Role, busy, now, sp.Planned, false) != "" {
						offShift = true
						offRoles[sp.Role] = max(offRoles[sp.Role], sp.Planned)
					}
					continue
				}
			}
			out, err := sim.Cutover.StartStep(ctx, run, id, who)
			if err != nil {
				return fmt.Errorf("simulated %s starting %s: %w", who, id, err)
			}
			r = out.Run
			ready = slices.DeleteFunc(ready, func(x string) bool { return x == id })
			if sp.IsTimer() {
				// The grace period: it ends by itself (see below), and
				// nobody waits on it.
				sim.report(Action{At: now, Step: id, Title: sp.Title, Actor: who, Started: true, Planned: sp.Planned, NowReady: out.NowReady})
				continue
			}
			busy[who] = busy[who] || occupies
			for _, n := range needs[id] {
				inUse[n.Resource] += n.Amount
			}
			d := planner.Duration{Optimistic: sp.Optimistic, Likely: sp.Planned, Pessimistic: sp.Pessimistic}
			took := d.Sample(rng).Round(time.Minute)
			var late string
			if sim.Delay != nil {
				extra, why := sim.Delay(sp)
				took, late = took+extra, why
			}
			running = append(running, job{step: id, person: who, busy: occupies, from: now, until: now.Add(took), needs: needs[id], late: late})
			sim.report(Action{At: now, Step: id, Title: sp.Title, Actor: who, Started: true, Planned: d.Likely, NowReady: out.NowReady})
		}
		sort.SliceStable(running, func(i, j int) bool { return running[i].until.Before(running[j].until) })
		// What comes next: a timer, a shift starting for a step that waits
		// for someone on shift, or a step finishing.
		next, ok := r.NextTimer()
		shift := time.Time{}
		if offShift {
			shift = sim.nextShift(p, sim.Clock.Now(), offRoles)
		}
		switch {
		case ok && (len(running) == 0 || next.Before(running[0].until)) && (shift.IsZero() || !shift.Before(next)):
			sim.advance(next)
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
		case !shift.IsZero() && (len(running) == 0 || shift.Before(running[0].until)):
			sim.advance(shift)
			continue
		case len(running) == 0 && waiting:
			sim.advance(r.WindowStart)
			continue
		case len(running) == 0 && offShift:
			// Nobody with the role has a shift left: the crew stays late.
			overtime = true
			sim.note(lead, fmt.Sprintf("nobody has a shift left for %s: the crew works past its last shift (the plan's shifts are too short for this weekend)", strings.Join(ready, ", ")))
			continue
		case len(running) == 0:
			if len(ready) > 0 {
				return fmt.Errorf("simulation stuck: steps %v are ready but nobody in the crew can take them", ready)
			}
			return nil
		}
		// Move the clock to the next finish and finish that step.
		j := running[0]
		running = running[1:]
		sim.advance(j.until)
		sp, _ := r.Step(j.step)
		if j.late != "" {
			sim.note(j.person, fmt.Sprintf("%s took %s, planned %s: %s", j.step, planner.Span(j.until.Sub(j.from)), planner.Span(sp.Planned), j.late))
		}
		out, err := sim.finish(ctx, p, run, sp, j.person)
		if err != nil {
			return fmt.Errorf("simulated %s finishing %s: %w", j.person, j.step, err)
		}
		r = out.Run
		if j.busy {
			busy[j.person] = false
		}
		for _, n := range j.needs {
			inUse[n.Resource] -= n.Amount
		}
		ready = r.Ready()
		sim.report(Action{At: j.until, Step: j.step, Title: sp.Title, Actor: j.person, Took: j.until.Sub(j.from), Planned: sp.Planned, NowReady: out.NowReady})
		if j.late != "" && sim.Late != nil {
			sim.Late(j.until, j.step, j.late)
		}
	}
}

// advance moves the clock to t, at the pace asked for (Pace).
func (sim *Simulation) advance(t time.Time) {
	from := sim.Clock.Now()
	sim.Clock.Set(t)
	if sim.Pace != nil && t.After(from) {
		sim.Pace(from, t)
	}
}

// nextShift is the earliest start of a shift after now of someone with
// one of the roles waited for, where a step of that role fits (or that
// begins a step longer than any of their shifts); zero if none.
func (sim *Simulation) nextShift(p *planner.Plan, now time.Time, roles map[string]time.Duration) time.Time {
	var next time.Time
	for _, m := range p.Crew {
		for role, length := range roles {
			if !slices.Contains(m.Roles, role) {
				continue
			}
			for _, sh := range m.Shifts {
				if sh.Start.After(now) && onShift(m.Shifts, sh.Start, length) && (next.IsZero() || sh.Start.Before(next)) {
					next = sh.Start
				}
			}
		}
	}
	return next
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
// With shifts, only someone on shift now whose shift has room for a step
// of that length (or who starts a step longer than any of their shifts at
// the shift's start).
func (sim *Simulation) free(p *planner.Plan, role string, busy map[string]bool, now time.Time, length time.Duration, shifts bool) string {
	best, bestRoles := "", math.MaxInt
	for _, m := range p.Crew {
		if busy[m.Name] || (role != "" && !slices.Contains(m.Roles, role)) {
			continue
		}
		if shifts && len(m.Shifts) > 0 && !onShift(m.Shifts, now, length) {
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

// onShift reports whether a step of that length may start at now in one of
// the shifts.
func onShift(shifts []planner.Shift, now time.Time, length time.Duration) bool {
	longest := time.Duration(0)
	for _, sh := range shifts {
		longest = max(longest, sh.End.Sub(sh.Start))
	}
	for _, sh := range shifts {
		if now.Before(sh.Start) || !now.Before(sh.End) {
			continue
		}
		if !now.Add(length).After(sh.End) || (length > longest && now.Equal(sh.Start)) {
			return true
		}
	}
	return false
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
	var out *Outcome
	// A check that fails is looked into, fixed and run again: three
	// rounds, twenty minutes apart, before the simulated crew gives up.
	for round := range 3 {
		r, err := sim.Cutover.Load(ctx, run)
		if err != nil {
			return nil, err
		}
		checks, _ := r.checksOf(r.byID[s.ID])
		var results []events.CheckRan
		for _, c := range checks {
			from := c.Vantages()
			for _, f := range from {
				if last, ok := r.Validation.Last[c.ID][f]; ok && last.OK {
					continue
				}
				res := events.CheckRan{Check: c.ID, From: f, OK: true, Expected: simulatedExpect(c), Seen: "simulated: no service behind a simulation", Attempts: 1}
				if sim.Check != nil {
					res = sim.Check(c, f)
				}
				results = append(results, res)
			}
		}
		if len(results) == 0 {
			return out, nil
		}
		if round > 0 {
			sim.advance(sim.Clock.Now().Add(20 * time.Minute))
		}
		out, err = sim.Cutover.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
			return r.RecordChecks(now, who, results)
		})
		if err != nil {
			return nil, err
		}
		failed := false
		for _, res := range results {
			switch {
			case !res.OK && round == 0:
				sim.note(who, fmt.Sprintf("check %s failed from %s: expected %s, saw %s; %s looks into it", res.Check, res.From, res.Expected, cmp.Or(res.Seen, res.Error), who))
				failed = true
			case !res.OK:
				failed = true
			case round > 0:
				sim.note(who, fmt.Sprintf("fixed; check %s run again from %s: passed (%s)", res.Check, res.From, res.Seen))
			}
		}
		if !failed {
			return out, nil
		}
	}
	return out, nil
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

// simulatedExpect says what a check expects, in words, for a simulated
// result.
func simulatedExpect(c events.CheckDef) string {
	what := []string{c.Kind, c.Target}
	if c.Expect != "" {
		what = append(what, c.Expect)
	}
	if c.Status != 0 {
		what = append(what, "status "+strconv.Itoa(c.Status))
	}
	if c.Body != "" {
		what = append(what, strconv.Quote(c.Body)+" in the body")
	}
	return strings.Join(what, " ")
}
