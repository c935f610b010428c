package runbooks

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/google/uuid"
)

// Firewall is what a run knows of the firewall rules: the plan's rules,
// the rules captured from real exports of the equipment (only captures
// that completed: a capture cut short counts for nothing), and the team's
// review of each. It records facts: a rule is at the source because an
// export had it, not because someone ticked a step.
type Firewall struct {
	// Plan are the plan's firewall rules, as recorded at the start.
	Plan []events.FirewallRule
	// Rules are the captured rules by id.
	Rules map[string]*CapturedRule
	// Captures are the completed captures, in order.
	Captures []Capture
	// Pending holds the rules of captures not completed yet.
	Pending map[string][]events.FirewallRuleCaptured
	// Destination is set once a capture of the destination completed:
	// from then on, AtDestination of each rule is what the last one saw,
	// and DestinationFormat is the syntax of that export.
	Destination       bool
	DestinationFormat string
}

// CapturedRule is a rule seen in the exports, with the team's decision.
type CapturedRule struct {
	ID, Meaning, Text, Comment string
	// PlanRule is the plan's rule this rule is ("" if not in the plan);
	// NotCompared marks a rule the plan is not compared with (a jump, a
	// translation, a log).
	PlanRule    string
	NotCompared bool
	// Forms is the rule in each export syntax (see
	// [events.FirewallRuleCaptured]).
	Forms map[string]string
	// FromSource: a source capture had it; Where is where (file:line),
	// Site which site.
	FromSource  bool
	Where, Site string
	// Format is the export format the rule was first read from (the
	// syntax to show it in).
	Format string
	// AtDestination: the last capture of the destination had it.
	AtDestination bool
	// Decision is keep or retire (empty: not reviewed), with why and who.
	Decision, Reason, ReviewedBy string
}

// Capture is a completed capture.
type Capture struct {
	ID, Site, Role string
	Rules          int
	Files          []string
	Unmatched      []string
	At             time.Time
	By             string
}

func (f *Firewall) clone() Firewall {
	c := *f
	c.Plan = slices.Clone(f.Plan)
	c.Captures = slices.Clone(f.Captures)
	c.Pending = maps.Clone(f.Pending)
	if f.Rules != nil {
		c.Rules = make(map[string]*CapturedRule, len(f.Rules))
		for id, r := range f.Rules {
			x := *r
			c.Rules[id] = &x
		}
	}
	return c
}

func (f *Firewall) captured(e events.FirewallRuleCaptured) bool {
	if f.Pending == nil {
		f.Pending = map[string][]events.FirewallRuleCaptured{}
	}
	// The slice is replaced, never appended to in place: a clone shares
	// the old one.
	f.Pending[e.Capture] = append(slices.Clip(f.Pending[e.Capture]), e)
	return true
}

func (f *Firewall) completed(e events.FirewallCaptureCompleted, rec events.Record) bool {
	rules := f.Pending[e.Capture]
	if len(rules) != e.Rules {
		return false // cut short, or not this capture's
	}
	pending := maps.Clone(f.Pending)
	delete(pending, e.Capture)
	f.Pending = pending
	if f.Rules == nil {
		f.Rules = map[string]*CapturedRule{}
	}
	if e.Role == events.FirewallRoleDestination {
		// The destination is what its last capture saw.
		for _, r := range f.Rules {
			r.AtDestination = false
		}
		f.Destination = true
		if len(rules) > 0 {
			f.DestinationFormat = rules[0].Format
		}
	}
	for _, c := range rules {
		r := f.Rules[c.Rule]
		if r == nil {
			r = &CapturedRule{ID: c.Rule, Meaning: c.Meaning, Text: c.Text, Comment: c.Comment, PlanRule: c.PlanRule, Format: c.Format, NotCompared: c.NotCompared, Forms: c.Forms}
			f.Rules[c.Rule] = r
		}
		if r.PlanRule == "" {
			r.PlanRule = c.PlanRule
		}
		switch e.Role {
		case events.FirewallRoleSource:
			if !r.FromSource {
				r.FromSource, r.Site, r.Where = true, c.Site, where(c)
			}
		case events.FirewallRoleDestination:
			r.AtDestination = true
		}
	}
	f.Captures = append(slices.Clip(f.Captures), Capture{ID: e.Capture, Site: e.Site, Role: e.Role, Rules: e.Rules, Files: e.Files, Unmatched: e.Unmatched, At: rec.Time, By: rec.Actor})
	return true
}

func where(c events.FirewallRuleCaptured) string {
	if c.Line > 0 {
		return fmt.Sprintf("%s:%d", c.File, c.Line)
	}
	return c.File
}

func (f *Firewall) reviewed(e events.FirewallRuleReviewed, rec events.Record) bool {
	r := f.Rules[e.Rule]
	if r == nil {
		return false
	}
	r.Decision, r.Reason, r.ReviewedBy = e.Decision, e.Reason, rec.Actor
	return true
}

// FirewallRulesOf is the plan's firewall rules as a run records them.
func FirewallRulesOf(p *planner.Plan) []events.FirewallRule {
	var out []events.FirewallRule
	for _, r := range p.FirewallRules {
		out = append(out, events.FirewallRule{ID: r.ID, Title: r.Title, Source: r.Source, Destination: r.Destination,
			Ports: r.Ports, Protocol: r.Protocol, Action: r.Action, Obsolete: r.Obsolete})
	}
	return out
}

// PlanRule returns the plan's rule with that id.
func (f *Firewall) PlanRule(id string) (events.FirewallRule, bool) {
	for _, r := range f.Plan {
		if r.ID == id {
			return r, true
		}
	}
	return events.FirewallRule{}, false
}

// OfPlan returns the captured rules that are the plan's rule id.
func (f *Firewall) OfPlan(id string) []*CapturedRule {
	var out []*CapturedRule
	for _, r := range f.sorted() {
		if r.PlanRule == id {
			out = append(out, r)
		}
	}
	return out
}

func (f *Firewall) sorted() []*CapturedRule {
	return slices.SortedFunc(maps.Values(f.Rules), func(a, b *CapturedRule) int { return strings.Compare(a.ID, b.ID) })
}

// Kept reports what the team decided for r, or what the plan says when
// nobody reviewed it: keep (true), retire (false), or undecided (ok false:
// a rule captured that the plan does not list, not reviewed yet).
func (f *Firewall) Kept(r *CapturedRule) (keep, ok bool) {
	switch r.Decision {
	case events.FirewallDecisionKeep:
		return true, true
	case events.FirewallDecisionRetire:
		return false, true
	}
	if p, found := f.PlanRule(r.PlanRule); found {
		return !p.Obsolete, true
	}
	if r.NotCompared {
		return true, true // nothing in the plan says otherwise
	}
	return false, false
}

// Reconciliation is where the firewall rules stand, from the facts.
type Reconciliation struct {
	// NotInPlan are source rules the plan does not list (the forgotten
	// rules), ToReview those of them nobody decided on.
	NotInPlan, ToReview []*CapturedRule
	// NotCaptured are the plan's rules (not obsolete) no source capture
	// had.
	NotCaptured []string
	// Once the destination was captured: Verified kept rules present,
	// Missing kept rules absent, Unexpected rules present that no source
	// capture had, Reappeared retired rules present.
	Verified, Missing, Unexpected, Reappeared []*CapturedRule
	// Kept and Retired count the decisions, by review or by the plan.
	Kept, Retired int
}

// Reconcile compares what was captured at the source and destination with
// the plan and the team's decisions.
func (f *Firewall) Reconcile() Reconciliation {
	var rc Reconciliation
	captured := map[string]bool{}
	for _, r := range f.sorted() {
		if r.FromSource && r.PlanRule != "" {
			captured[r.PlanRule] = true
		}
		keep, decided := f.Kept(r)
		if r.FromSource {
			if r.PlanRule == "" && !r.NotCompared {
				rc.NotInPlan = append(rc.NotInPlan, r)
				if !decided {
					rc.ToReview = append(rc.ToReview, r)
				}
			}
			switch {
			case decided && keep:
				rc.Kept++
			case decided:
				rc.Retired++
			}
		}
		if !f.Destination {
			continue
		}
		switch {
		case !r.FromSource && r.AtDestination:
			rc.Unexpected = append(rc.Unexpected, r)
		case decided && keep && r.AtDestination:
			rc.Verified = append(rc.Verified, r)
		case decided && keep:
			rc.Missing = append(rc.Missing, r)
		case decided && r.AtDestination:
			rc.Reappeared = append(rc.Reappeared, r)
		}
	}
	for _, p := range f.Plan {
		if !p.Obsolete && !captured[p.ID] {
			rc.NotCaptured = append(rc.NotCaptured, p.ID)
		}
	}
	return rc
}

// FirewallCapture is a capture to record: the rules read from the exports
// of a site's equipment, matched against the plan by the caller.
type FirewallCapture struct {
	Site  string
	Role  string
	Rules []events.FirewallRuleCaptured
	Files []string
	// Unmatched are the plan's rules no rule of the export is.
	Unmatched []string
}

// foresee applies to r the events a command decided, before they are
// signed (the executor signs them after the decision): what the model will
// be once they are recorded.
func (r *Run) foresee(evs []events.Envelope) {
	for _, e := range evs {
		ev, err := e.Decode()
		if err != nil {
			continue
		}
		r.apply(events.Record{Envelope: e, Seq: r.LastSeq}, ev)
	}
}

// captureChunk is how many rules one append of a capture holds: a
// capture larger than one atomic append is recorded in several, and counts
// only once its last (the completion) is recorded.
const captureChunk = events.MaxBatch - 100

// CaptureFirewall records a capture: its rules, then its completion, and
// with the completion the capture-rule steps (or verify-rule steps, for
// the destination) that the facts now complete. It returns the outcome of
// the last append.
func (c *Cutover) CaptureFirewall(ctx context.Context, run, actor string, fc FirewallCapture) (*Outcome, error) {
	if fc.Role != events.FirewallRoleSource && fc.Role != events.FirewallRoleDestination {
		return nil, fmt.Errorf("capture role %q: want source or destination", fc.Role)
	}
	if !events.ValidID(fc.Site) {
		return nil, refuse("site %q is not an id (letters, digits, '-' and '_')", fc.Site)
	}
	id := uuid.NewString()
	for i := range fc.Rules {
		fc.Rules[i].Capture, fc.Rules[i].Site, fc.Rules[i].Role = id, fc.Site, fc.Role
	}
	rules := fc.Rules
	for len(rules) > captureChunk {
		chunk := rules[:captureChunk]
		rules = rules[captureChunk:]
		if _, err := c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
			return r.captureEvents(now, actor, chunk)
		}); err != nil {
			return nil, err
		}
	}
	out, err := c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		evs, err := r.captureEvents(now, actor, rules)
		if err != nil {
			return nil, err
		}
		done, err := r.event(now, actor, events.FirewallCaptureSubject(fc.Site), events.FirewallCaptureCompleted{
			Capture: id, Site: fc.Site, Role: fc.Role, Rules: len(fc.Rules), Files: fc.Files, Unmatched: fc.Unmatched})
		return append(evs, done), err
	})
	if err != nil {
		return nil, err
	}
	// The steps the facts now complete, in an append of their own (a
	// capture's last append is full): if this one fails, the capture
	// stands, and the steps can be finished by hand, the facts being there.
	kind := events.KindCaptureRule
	if fc.Role == events.FirewallRoleDestination {
		kind = events.KindVerifyRule
	}
	steps, err := c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		return r.completeByFacts(now, actor, kind)
	})
	if err != nil {
		return out, fmt.Errorf("the capture is recorded, but completing its steps failed (finish them by hand): %w", err)
	}
	return steps, nil
}

func (r *Run) captureEvents(now time.Time, actor string, rules []events.FirewallRuleCaptured) ([]events.Envelope, error) {
	if _, err := r.actor(actor); err != nil {
		return nil, err
	}
	evs := make([]events.Envelope, 0, len(rules)+1)
	for _, c := range rules {
		e, err := r.event(now, actor, events.FirewallRuleSubject(c.Rule), c)
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// ReviewFirewallRule decides that actor keeps or retires a captured rule
// (by its id, or the plan's rule id), and why; the rule's review-rule step
// is completed with it when the facts allow.
func (r *Run) ReviewFirewallRule(now time.Time, actor, rule, decision, reason string) ([]events.Envelope, error) {
	who, err := r.actor(actor)
	if err != nil {
		return nil, err
	}
	if decision != events.FirewallDecisionKeep && decision != events.FirewallDecisionRetire {
		return nil, fmt.Errorf("decision %q: want keep or retire", decision)
	}
	if err := needReason(reason, "a review"); err != nil {
		return nil, err
	}
	targets := []*CapturedRule{r.Firewall.Rules[rule]}
	if targets[0] == nil {
		targets = r.Firewall.OfPlan(rule)
	}
	if len(targets) == 0 {
		return nil, refuse("no captured rule %s: a rule is reviewed once an export had it (dcmove fw capture --site SITE FILE); dcmove fw status lists the captured rules and their ids", rule)
	}
	var evs []events.Envelope
	for _, t := range targets {
		e, err := r.event(now, who, events.FirewallRuleSubject(t.ID), events.FirewallRuleReviewed{Rule: t.ID, Decision: decision, Reason: reason, PlanRule: t.PlanRule})
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	after := r.Clone()
	after.foresee(evs)
	steps, err := after.completeByFacts(now, who, events.KindReviewRule)
	return append(evs, steps...), err
}

// firewallFact says whether the facts complete step st (a capture-rule,
// review-rule or verify-rule step of a plan rule), and if not what is
// missing.
func (r *Run) firewallFact(st *Step) (bool, string) {
	if st.Rule == "" {
		return true, "" // a plain step of the plan's own: a tick is all there is
	}
	rules := r.Firewall.OfPlan(st.Rule)
	var source []*CapturedRule
	for _, c := range rules {
		if c.FromSource {
			source = append(source, c)
		}
	}
	switch st.Kind {
	case events.KindCaptureRule:
		if len(source) == 0 {
			return false, fmt.Sprintf("no export captured so far has rule %s: capture the source's rules with dcmove fw capture --site SITE FILE (iptables-save, nft list ruleset, or CSV); if the rule really is not on the equipment, the lead may skip the step with a reason", st.Rule)
		}
	case events.KindReviewRule:
		for _, c := range source {
			if c.Decision == "" {
				return false, fmt.Sprintf("rule %s (captured as %s) is not reviewed: dcmove fw review %s --keep|--retire --reason WHY", st.Rule, c.ID, st.Rule)
			}
		}
		if len(source) == 0 {
			return false, fmt.Sprintf("rule %s was not captured yet: dcmove fw capture first", st.Rule)
		}
	case events.KindVerifyRule:
		if !r.Firewall.Destination {
			return false, "the destination's rules were not captured yet: dcmove fw verify --site SITE FILE with the export of the destination's equipment"
		}
		for _, c := range source {
			keep, _ := r.Firewall.Kept(c)
			if keep != c.AtDestination {
				if keep {
					return false, fmt.Sprintf("rule %s is kept but the destination's last export does not have it: add it (dcmove fw status shows it in the export's syntax), export again, and run dcmove fw verify", st.Rule)
				}
				return false, fmt.Sprintf("rule %s is retired but the destination's last export has it: remove it, export again, and run dcmove fw verify", st.Rule)
			}
		}
		if len(source) == 0 {
			return false, fmt.Sprintf("rule %s was never captured at the source, so it cannot be verified at the destination", st.Rule)
		}
	default:
		return true, ""
	}
	return true, ""
}

// completeByFacts completes the started steps of kind whose facts are
// there, recorded as done by whoever recorded the facts. A step not started yet stays
// ready: starting it and finishing it is then allowed at once (the facts
// are there), and measures nothing.
func (r *Run) completeByFacts(now time.Time, actor string, kinds ...events.StepKind) ([]events.Envelope, error) {
	var evs []events.Envelope
	for _, st := range r.Steps {
		if !slices.Contains(kinds, st.Kind) || st.State() != Started {
			continue
		}
		validation := st.Kind == events.KindValidate || st.Kind == events.KindCheck || st.Kind == events.KindAck
		if !validation && st.Role != "" && len(r.Crew) > 0 && !slices.Contains(r.roles(actor), st.Role) {
			continue // someone of the step's role finishes it
		}
		// A validation is done by its checks' results, whoever ran them
		// (an agent, a probe outside): the step's own crew member may be
		// away from the vantage point.
		if factual, ok, _ := r.factOf(st); !factual || !ok {
			continue
		}
		e, err := r.stepEvent(now, actor, st.ID, events.StepCompleted{Step: st.ID})
		if err != nil {
			return nil, err
		}
		evs = append(evs, e...)
	}
	return evs, nil
}

// ReviewFirewallRule records the decision on a captured rule (see
// [Run.ReviewFirewallRule]).
func (c *Cutover) ReviewFirewallRule(ctx context.Context, run, actor, rule, decision, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		return r.ReviewFirewallRule(now, actor, rule, decision, reason)
	})
}

// FirewallAsPlanned records, for a rehearsal without the equipment's
// exports, the facts the plan's own rules imply: a capture of the source
// holding exactly the plan's rules, each reviewed as the plan says (kept,
// or retired when obsolete), and a capture of the destination holding the
// rules kept. The firewall steps these facts complete are done.
func (c *Cutover) FirewallAsPlanned(ctx context.Context, run, actor string) error {
	r, err := c.Load(ctx, run)
	if err != nil {
		return err
	}
	if _, err := c.CaptureFirewall(ctx, run, actor, PlanExport(r.Firewall.Plan, events.FirewallRoleSource)); err != nil {
		return err
	}
	for _, pr := range r.Firewall.Plan {
		decision, reason := events.FirewallDecisionKeep, "kept, as the plan says"
		if pr.Obsolete {
			decision, reason = events.FirewallDecisionRetire, "obsolete, as the plan says"
		}
		if _, err := c.ReviewFirewallRule(ctx, run, actor, pr.ID, decision, reason); err != nil {
			return err
		}
	}
	_, err = c.CaptureFirewall(ctx, run, actor, PlanExport(r.Firewall.Plan, events.FirewallRoleDestination))
	return err
}
