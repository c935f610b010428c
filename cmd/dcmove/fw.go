package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/firewall"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

func (m *Main) fwCommand() *cli.Command {
	siteFlag := func() cli.Flag {
		return &cli.StringFlag{Name: "site", Required: true, Usage: "the site whose equipment the export comes from (e.g. PA2)"}
	}
	return &cli.Command{
		Name:  "fw",
		Usage: "firewall rules as facts: captured from real exports, reviewed, verified at the destination",
		Subcommands: []*cli.Command{
			{
				Name:      "capture",
				Usage:     "record the source's rules from exports of its equipment (iptables-save, nft list ruleset, nft -j list ruleset, or dcmove CSV), all or nothing",
				ArgsUsage: "FILE...",
				Flags:     append(logFlags(), runFlag(), actorFlag(), keyFlag(), siteFlag(), outputFlag()),
				Action:    func(c *cli.Context) error { return m.fwCapture(c, events.FirewallRoleSource) },
			},
			{
				Name:      "verify",
				Usage:     "record the destination's rules from exports of its equipment, and reconcile them with the rules kept and retired",
				ArgsUsage: "FILE...",
				Flags:     append(logFlags(), runFlag(), actorFlag(), keyFlag(), siteFlag(), outputFlag()),
				Action:    func(c *cli.Context) error { return m.fwCapture(c, events.FirewallRoleDestination) },
			},
			{
				Name:      "review",
				Usage:     "keep or retire captured rules (by id, by the plan's rule id, or --match), with the reason: retired rules stay on the record",
				ArgsUsage: "[RULE...]",
				Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(),
					&cli.BoolFlag{Name: "keep", Usage: "the rule is re-created at the destination"},
					&cli.BoolFlag{Name: "retire", Usage: "the rule is obsolete: it must not be at the destination"},
					&cli.StringFlag{Name: "reason", Required: true, Usage: "why (recorded with your name)"},
					&cli.StringSliceFlag{Name: "match", Usage: "the captured rules whose normalised fields match, e.g. dport=21 or proto=tcp,dport=22 (all must match)"},
					outputFlag()),
				Action: m.fwReview,
			},
			{
				Name:   "status",
				Usage:  "where the rules stand: captured, not in the plan, to review, kept, retired, and at the destination verified, missing, unexpected, reappeared",
				Flags:  append(logFlags(), runFlag(), outputFlag()),
				Action: m.fwStatus,
			},
		},
	}
}

// fwCapture reads the exports, matches their rules with the run's plan,
// and records them as one capture of role.
func (m *Main) fwCapture(c *cli.Context, role string) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	if c.NArg() == 0 {
		return usagef("give the export files, e.g. %s --site PA2 pa2-iptables-save.txt", c.Command.HelpName)
	}
	site := c.String("site")
	if err := checkIDArg("--site", site); err != nil {
		return err
	}
	exports, err := readExports(c.Args().Slice())
	if err != nil {
		return err
	}
	lr, err := m.loadRun(c, false, true)
	if err != nil {
		return err
	}
	defer lr.l.Close()
	r := lr.r
	fc, match, err := captureFrom(exports, r.Firewall.Plan, site, role)
	if err != nil {
		return err
	}
	out, err := lr.cut.CaptureFirewall(c.Context, r.ID, lr.actor, fc)
	if err != nil {
		return fmt.Errorf("fw %s: %w", c.Command.Name, err)
	}
	if jsonOutput(c) {
		doc := fwCaptureDoc{Run: out.Run.ID, Site: site, Role: role, Files: fc.Files, Captured: len(fc.Rules),
			Found: []string{}, NotFound: []string{}, Unmatchable: []fwUnmatchable{}, Unplanned: []fwRuleDoc{},
			Reconciliation: reconciliationDoc(out.Run)}
		if role == events.FirewallRoleSource {
			for _, f := range match.Found {
				doc.Found = append(doc.Found, f.Plan.ID)
			}
			for _, nf := range match.NotFound {
				doc.NotFound = append(doc.NotFound, nf.ID)
			}
			for _, u := range match.Unmatchable {
				doc.Unmatchable = append(doc.Unmatchable, fwUnmatchable{u.Plan.ID, strings.TrimPrefix(u.Err.Error(), ":0: ")})
			}
			for _, u := range match.Unplanned {
				doc.Unplanned = append(doc.Unplanned, fwRuleDoc{ID: u.ID(), Where: fmt.Sprintf("%s:%d", u.Pos.File, u.Pos.Line), Text: u.Text})
			}
		}
		return writeDoc(m.Stdout, "fw-capture", doc)
	}
	w := m.Stdout
	fmt.Fprintf(w, "captured %d rules of %s (%s) from %s in one capture\n", len(fc.Rules), site, role, strings.Join(c.Args().Slice(), ", "))
	if role == events.FirewallRoleSource {
		fmt.Fprintf(w, "%d of the plan's %d rules found in the export\n", len(match.Found), len(r.Firewall.Plan))
		for _, u := range match.Unmatchable {
			fmt.Fprintf(w, "  plan rule %s cannot be compared: %s\n", u.Plan.ID, strings.TrimPrefix(u.Err.Error(), ":0: "))
		}
		for _, nf := range match.NotFound {
			fmt.Fprintf(w, "  plan rule %s is NOT in the export (%s %s -> %s ports %s)\n", nf.ID, nf.Protocol, nf.Source, nf.Destination, nf.Ports)
		}
		if len(match.Unplanned) > 0 {
			fmt.Fprintf(w, "captured, not in the plan (%d): forgotten rules? review each: dcmove fw review RULE --keep|--retire --reason WHY\n", len(match.Unplanned))
			for _, u := range match.Unplanned {
				fmt.Fprintf(w, "  %s  %s:%d  %s\n", u.ID(), u.Pos.File, u.Pos.Line, u.Text)
			}
		}
	}
	m.printReconciliation(w, out.Run, role == events.FirewallRoleDestination)
	return nil
}

// export is an export file's name and content.
type export struct {
	name string
	data []byte
}

// readExports reads the export files, each up to the parser's limit.
func readExports(paths []string) ([]export, error) {
	var out []export
	for _, path := range paths {
		data, err := planner.ReadFile("firewall export", path)
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, export{path, data})
	}
	return out, nil
}

// captureFrom parses the exports (every malformed line of every file is
// reported, and then nothing is captured), names each with its sha256,
// matches their rules with the plan's, and makes them one capture of site
// in role.
func captureFrom(exports []export, plan []events.FirewallRule, site, role string) (runbooks.FirewallCapture, firewall.MatchResult, error) {
	fc := runbooks.FirewallCapture{Site: site, Role: role}
	var rules []firewall.Rule
	formats := map[string]firewall.Format{}
	var errs firewall.Errors
	for _, e := range exports {
		format, err := firewall.Detect(e.name, e.data)
		if err != nil {
			return fc, firewall.MatchResult{}, usageError{err}
		}
		formats[e.name] = format
		rs, err := firewall.Parse(e.name, bytes.NewReader(e.data))
		var fe firewall.Errors
		switch {
		case errors.As(err, &fe):
			errs = append(errs, fe...)
		case err != nil:
			return fc, firewall.MatchResult{}, usageError{fmt.Errorf("%s: %w", e.name, err)}
		}
		rules = append(rules, rs...)
		sum := sha256.Sum256(e.data)
		fc.Files = append(fc.Files, e.name+" sha256:"+hex.EncodeToString(sum[:]))
	}
	if len(errs) > 0 {
		return fc, firewall.MatchResult{}, usageError{fmt.Errorf("%w\nnothing was recorded: fix the export (or leave out what dcmove cannot read) and capture again", errs)}
	}
	if len(rules) == 0 && role == events.FirewallRoleSource {
		// A destination still empty is a fact to record: every kept
		// rule is missing there.
		var names []string
		for _, e := range exports {
			names = append(names, e.name)
		}
		return fc, firewall.MatchResult{}, usageError{fmt.Errorf("no rule in %s: is it the right export?", strings.Join(names, ", "))}
	}
	match := firewall.Match(planRules(plan), rules)
	planOf := map[string]string{}
	for _, f := range match.Found {
		for _, id := range f.IDs {
			planOf[id] = f.Plan.ID
		}
	}
	notCompared := map[string]bool{}
	for _, nc := range match.NotCompared {
		notCompared[nc.ID()] = true
	}
	seen := map[string]bool{}
	for _, rule := range rules {
		id := rule.ID()
		if seen[id] {
			continue // the same rule in two exports (or twice in one)
		}
		seen[id] = true
		forms := map[string]string{}
		for _, f := range []firewall.Format{firewall.IPTablesSave, firewall.Nft} {
			if text, err := rule.Render(f); err == nil {
				forms[string(f)] = text
			}
		}
		fc.Rules = append(fc.Rules, events.FirewallRuleCaptured{Rule: id, Meaning: rule.Canonical(), Text: rule.Text, Comment: rule.Comment,
			Format: string(formats[rule.Pos.File]), File: rule.Pos.File, Line: rule.Pos.Line, PlanRule: planOf[id], NotCompared: notCompared[id], Forms: forms})
	}
	if role == events.FirewallRoleSource {
		for _, nf := range match.NotFound {
			if !nf.Obsolete {
				fc.Unmatched = append(fc.Unmatched, nf.ID)
			}
		}
	}
	return fc, match, nil
}

// planRules turns the run's record of the plan's rules back into the
// planner's, to match exports against.
func planRules(rs []events.FirewallRule) []planner.FirewallRule {
	out := make([]planner.FirewallRule, len(rs))
	for i, r := range rs {
		out[i] = planner.FirewallRule{ID: r.ID, Title: r.Title, Source: r.Source, Destination: r.Destination, Ports: r.Ports, Protocol: r.Protocol, Action: r.Action, Obsolete: r.Obsolete}
	}
	return out
}

func (m *Main) fwReview(c *cli.Context) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	if c.Bool("keep") == c.Bool("retire") {
		return usagef("give one of --keep or --retire")
	}
	decision := events.FirewallDecisionKeep
	if c.Bool("retire") {
		decision = events.FirewallDecisionRetire
	}
	for _, id := range c.Args().Slice() {
		if err := checkIDArg("rule id", id); err != nil {
			return err
		}
	}
	lr, err := m.loadRun(c, false, true)
	if err != nil {
		return err
	}
	defer lr.l.Close()
	r := lr.r
	ids := c.Args().Slice()
	// Every rule named is checked before anything is recorded.
	for _, id := range ids {
		if r.Firewall.Rules[id] == nil && len(r.Firewall.OfPlan(id)) == 0 {
			return runbooks.Refuse("no captured rule %s: a rule is reviewed once an export had it (dcmove fw capture --site SITE FILE); dcmove fw status lists the captured rules and their ids", id)
		}
	}
	if filters := c.StringSlice("match"); len(filters) > 0 {
		if err := checkFilters(filters); err != nil {
			return err
		}
		matched := 0
		for _, rule := range r.Firewall.Rules {
			if rule.FromSource && fieldsMatch(rule.Meaning, filters) {
				ids = append(ids, rule.ID)
				matched++
			}
		}
		if matched == 0 {
			return usagef("no captured rule matches --match %s (dcmove fw status lists them); nothing was recorded", strings.Join(filters, " --match "))
		}
	}
	if len(ids) == 0 {
		return usagef("give the rules to review (ids from dcmove fw status, or the plan's rule ids), or --match FIELD=VALUE")
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var last *runbooks.Outcome
	for _, id := range ids {
		out, err := lr.cut.ReviewFirewallRule(c.Context, r.ID, lr.actor, id, decision, c.String("reason"))
		if err != nil {
			return fmt.Errorf("fw review %s: %w", id, err)
		}
		last = out
		if !jsonOutput(c) {
			fmt.Fprintf(m.Stdout, "%s: %s (%s)\n", id, decision, c.String("reason"))
		}
	}
	if jsonOutput(c) {
		return writeDoc(m.Stdout, "fw-review", struct {
			Run            string         `json:"run"`
			Decision       string         `json:"decision"`
			Reason         string         `json:"reason"`
			Rules          []string       `json:"rules"`
			Reconciliation reconciliation `json:"reconciliation"`
		}{last.Run.ID, decision, c.String("reason"), ids, reconciliationDoc(last.Run)})
	}
	m.printReconciliation(m.Stdout, last.Run, false)
	return nil
}

// matchFields are the normalised fields --match may name.
var matchFields = []string{"table", "chain", "family", "proto", "src", "dst", "sport", "dport", "in", "out", "state", "icmp", "action", "target", "to"}

// checkFilters refuses a --match that is not field=value with a known
// field and a value: an empty value would match every rule without it.
func checkFilters(filters []string) error {
	for _, filter := range filters {
		for _, cond := range strings.Split(filter, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(cond), "=")
			if !ok || v == "" || !slices.Contains(matchFields, k) {
				return usagef("--match %q: write FIELD=VALUE[,FIELD=VALUE], FIELD one of %s, e.g. dport=21 or proto=tcp,dport=22", filter, strings.Join(matchFields, ", "))
			}
		}
	}
	return nil
}

// fieldsMatch reports whether a rule's normalised fields (key=value ...)
// match every filter: key=value, the value one of the field's
// comma-separated values (dport=21 matches dport=21,30000-30100).
func fieldsMatch(meaning string, filters []string) bool {
	fields := map[string]string{}
	for _, f := range strings.Fields(meaning) {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[k] = v
		}
	}
	for _, filter := range filters {
		for _, cond := range strings.Split(filter, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(cond), "=")
			if !ok || !slices.Contains(strings.Split(fields[k], ","), v) {
				return false
			}
		}
	}
	return true
}

func (m *Main) fwStatus(c *cli.Context) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	lr, err := m.loadRun(c, true, false)
	if err != nil {
		return err
	}
	defer lr.l.Close()
	if jsonOutput(c) {
		return writeDoc(m.Stdout, "fw-status", struct {
			Run            string         `json:"run"`
			Reconciliation reconciliation `json:"reconciliation"`
		}{lr.r.ID, reconciliationDoc(lr.r)})
	}
	m.printReconciliation(m.Stdout, lr.r, true)
	return nil
}

// printReconciliation says where the run's firewall rules stand.
func (m *Main) printReconciliation(w io.Writer, r *runbooks.Run, detail bool) {
	f := &r.Firewall
	rc := f.Reconcile()
	sources := 0
	for _, rule := range f.Rules {
		if rule.FromSource {
			sources++
		}
	}
	fmt.Fprintf(w, "firewall: %d plan rules; %d rules captured at the source; %d kept, %d retired, %d to review\n",
		len(f.Plan), sources, rc.Kept, rc.Retired, len(rc.ToReview))
	list := func(title string, rules []*runbooks.CapturedRule, render bool) {
		if len(rules) == 0 {
			return
		}
		fmt.Fprintf(w, "%s (%d):\n", title, len(rules))
		for _, rule := range rules {
			name := rule.ID
			if rule.PlanRule != "" {
				name += " (" + rule.PlanRule + ")"
			}
			text := rule.Text
			if render {
				text = renderLike(rule, f)
			}
			fmt.Fprintf(w, "  %s  %s\n", name, text)
		}
	}
	if len(rc.NotCaptured) > 0 {
		fmt.Fprintf(w, "plan rules no captured rule was matched to (%d): %s\n", len(rc.NotCaptured), strings.Join(rc.NotCaptured, ", "))
	}
	list("captured, not in the plan, to review", rc.ToReview, false)
	if !f.Destination {
		if detail {
			fmt.Fprintln(w, "destination: not captured yet (dcmove fw verify --site SITE FILE)")
		}
		return
	}
	fmt.Fprintf(w, "destination: %d verified, %d missing, %d unexpected, %d retired but back\n", len(rc.Verified), len(rc.Missing), len(rc.Unexpected), len(rc.Reappeared))
	list("MISSING at the destination: add", rc.Missing, true)
	list("at the destination, never captured at the source", rc.Unexpected, false)
	list("retired, yet at the destination: remove", rc.Reappeared, false)
}

// renderLike shows a missing rule in the syntax of the destination's last
// export, so that it can be pasted there; as the source wrote it
// otherwise.
func renderLike(rule *runbooks.CapturedRule, f *runbooks.Firewall) string {
	if text, ok := rule.Forms[f.DestinationFormat]; ok {
		return text
	}
	return rule.Text
}

// fwCaptureDoc is what fw capture or fw verify recorded, as JSON.
type fwCaptureDoc struct {
	Run      string   `json:"run"`
	Site     string   `json:"site"`
	Role     string   `json:"role"`
	Files    []string `json:"files"`
	Captured int      `json:"captured"`
	// At the source: the plan's rules found in the exports, not found,
	// and not comparable, and the rules captured that the plan lacks.
	Found          []string        `json:"found"`
	NotFound       []string        `json:"not_found"`
	Unmatchable    []fwUnmatchable `json:"unmatchable"`
	Unplanned      []fwRuleDoc     `json:"unplanned"`
	Reconciliation reconciliation  `json:"reconciliation"`
}

type fwUnmatchable struct {
	PlanRule string `json:"plan_rule"`
	Why      string `json:"why"`
}

// fwRuleDoc is a captured rule as JSON.
type fwRuleDoc struct {
	ID       string `json:"id"`
	PlanRule string `json:"plan_rule,omitempty"`
	Where    string `json:"where,omitempty"`
	Site     string `json:"site,omitempty"`
	Text     string `json:"text"`
	Decision string `json:"decision,omitempty"`
	Reason   string `json:"reason,omitempty"`
	By       string `json:"reviewed_by,omitempty"`
}

// reconciliation is where the run's firewall rules stand, as JSON.
type reconciliation struct {
	PlanRules          int         `json:"plan_rules"`
	CapturedAtSource   int         `json:"captured_at_source"`
	Kept               int         `json:"kept"`
	Retired            int         `json:"retired"`
	NotInPlan          []fwRuleDoc `json:"not_in_plan"`
	ToReview           []fwRuleDoc `json:"to_review"`
	NotCaptured        []string    `json:"not_captured"`
	DestinationChecked bool        `json:"destination_captured"`
	Verified           []fwRuleDoc `json:"verified"`
	Missing            []fwRuleDoc `json:"missing"`
	Unexpected         []fwRuleDoc `json:"unexpected"`
	Reappeared         []fwRuleDoc `json:"reappeared"`
}

func reconciliationDoc(r *runbooks.Run) reconciliation {
	f := &r.Firewall
	rc := f.Reconcile()
	rules := func(rs []*runbooks.CapturedRule, render bool) []fwRuleDoc {
		out := []fwRuleDoc{}
		for _, rule := range rs {
			text := rule.Text
			if render {
				text = renderLike(rule, f)
			}
			out = append(out, fwRuleDoc{ID: rule.ID, PlanRule: rule.PlanRule, Where: rule.Where, Site: rule.Site, Text: text,
				Decision: rule.Decision, Reason: rule.Reason, By: rule.ReviewedBy})
		}
		return out
	}
	doc := reconciliation{PlanRules: len(f.Plan), Kept: rc.Kept, Retired: rc.Retired,
		NotInPlan: rules(rc.NotInPlan, false), ToReview: rules(rc.ToReview, false), NotCaptured: orEmpty(rc.NotCaptured),
		DestinationChecked: f.Destination, Verified: rules(rc.Verified, false), Missing: rules(rc.Missing, true),
		Unexpected: rules(rc.Unexpected, false), Reappeared: rules(rc.Reappeared, false)}
	for _, rule := range f.Rules {
		if rule.FromSource {
			doc.CapturedAtSource++
		}
	}
	return doc
}
