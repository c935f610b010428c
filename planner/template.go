package planner

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/dcmove/dcmove/events"
	"go.yaml.in/yaml/v3"
)

// Template is a runbook template: the ordered work of a move, written once
// and expanded into concrete steps for each plan by [Expand].
//
// A template step is expanded once, or once per item of a kind of the plan
// (for: assets, services, stakeholders, firewall_rules, domains, backups,
// procedures, trips), for the items that match every predicate in where.
// Its id, title and after entries may hold placeholders: <id> and <title>
// of the item, and relations that expand to several steps: <services> and
// <assets> (of an asset, service or trip), <depends_on> and <dependents>
// (of a service), <of> (the asset of a backup), <trip> (the trip of an
// asset), <vehicle> (of a trip, in needs). <*> in an after entry means every
// expansion of that template step. A reference to an expansion that a where
// filter left out is dropped: "after cooldown-<id>" only binds assets that
// have a cool-down.
type Template struct {
	Name, Title string
	Phases      []Phase
	Steps       []TemplateStep
	File        string
}

// Phase groups the steps of a template. Timing says when it happens:
// "before" the window (preparation, days ahead), "window" (the move
// itself), or "after" it (watch, grace period, decommission).
type Phase struct {
	ID, Title, Timing string
	Pos               Pos
}

// TemplateStep is one step of a template before expansion.
type TemplateStep struct {
	ID, Title, Phase string
	// For is the kind of item the step is expanded for; empty: once.
	For string
	// Where are predicates an item must match.
	Where []string
	// Duration is the estimate; ItemDuration takes it from the item
	// instead (duration: item: a procedure's, a trip's, a cool-down).
	Duration     Duration
	ItemDuration bool
	// GracePeriod takes the duration from the plan's grace period
	// (duration: grace_period).
	GracePeriod bool
	After       []string
	Role        string
	Gate        bool
	Needs       []Need
	Backout     []string
	BackoutOnly bool
	// Kind is what the expanded steps are (see [Step]).
	Kind events.StepKind
	// Require is what a gate requires before it is signed go (see [Step]).
	Require []string
	// Timer is Kind when it is a timer kind: "cooldown" or "grace".
	//
	// Deprecated: read Kind.
	Timer string
	Pos   Pos
	nodes templateNodes
}

type templateNodes struct {
	after, backout []*yaml.Node
	needs          *yaml.Node
}

var (
	templateFields     = []string{"runbook", "title", "phases", "steps"}
	phaseFields        = []string{"id", "title", "timing"}
	templateStepFields = []string{"id", "title", "phase", "for", "where", "duration", "after", "role", "gate", "needs", "backout", "backout_only", "timer", "kind", "require"}
	timings            = []string{"before", "window", "after"}
)

// kinds are what a template step may be expanded for, with the predicates
// of its where filter.
var kinds = map[string][]string{
	"":               nil,
	"assets":         {"moved", "decommission", "powered", "cooldown", "nonstandard", "network", "server"},
	"services":       {"vital", "nonvital", "moved", "stops", "keepup"},
	"stakeholders":   {"ack"},
	"firewall_rules": {"obsolete", "kept"},
	"domains":        nil,
	"backups":        {"offsite"},
	"procedures":     {"enter", "exit"},
	"trips":          nil,
}

// placeholder matches <name> in template text.
var placeholder = regexp.MustCompile(`<([a-z_*]+)>`)

// LoadTemplate reads the runbook template file at path, through the
// [MaxFileSize] limit, and parses it with [ParseTemplate].
func LoadTemplate(path string) (*Template, error) {
	data, err := ReadFile("runbook template", path)
	if err != nil {
		return nil, err
	}
	return ParseTemplate(path, data)
}

// ParseTemplate reads a runbook template. Like [Parse], every error names
// file:line:col and says what to write instead.
func ParseTemplate(file string, data []byte) (*Template, error) {
	if len(data) > MaxFileSize {
		return nil, &tooLarge{"runbook template", file}
	}
	d := &decoder{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Errors{d.syntaxError(data, err)}
	}
	t := d.template(&doc)
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	t.File = file
	return t, nil
}

func (d *decoder) template(doc *yaml.Node) *Template {
	t := &Template{}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode || isNull(root) {
		d.errs = append(d.errs, &Error{Pos: Pos{File: d.file, Line: 1, Col: 1},
			Msg: "the runbook template is empty; start with runbook: NAME, phases: and steps:"})
		return t
	}
	f, ok := d.fields(root, "runbook template", templateFields)
	if !ok {
		return t
	}
	t.Name, _ = d.id(f, "runbook", "runbook name", "runbook: weekend-cutover")
	t.Title, _ = d.text(f, "title", false, "")
	phaseAt := map[string]Pos{}
	for _, n := range d.seq(f, "phases", "phases") {
		pf, ok := d.fields(n, "phase", phaseFields)
		if !ok {
			continue
		}
		ph := Phase{Pos: d.pos(pf.node)}
		var idNode *yaml.Node
		ph.ID, idNode = d.id(pf, "id", "phase id", "id: move")
		ph.Title, _ = d.text(pf, "title", false, "")
		var tn *yaml.Node
		ph.Timing, tn = d.text(pf, "timing", true, "timing: window")
		if tn != nil && !slices.Contains(timings, ph.Timing) {
			d.errorf(tn, "timing %q is not one of %s", ph.Timing, strings.Join(timings, ", "))
		}
		if idNode != nil {
			if first, dup := phaseAt[ph.ID]; dup {
				d.errorf(idNode, "phase %q is defined twice (first at line %d)", ph.ID, first.Line)
			}
			phaseAt[ph.ID] = ph.Pos
		}
		t.Phases = append(t.Phases, ph)
	}
	if len(t.Phases) == 0 {
		d.errorf(root, "runbook template has no phases; add phases: [{id: move, timing: window}]")
	}
	stepAt := map[string]Pos{}
	for _, n := range d.seq(f, "steps", "steps") {
		s, ok := d.templateStep(n, phaseAt)
		if !ok {
			continue
		}
		if first, dup := stepAt[s.ID]; dup {
			d.errorf(n, "template step %q is defined twice (first at line %d)", s.ID, first.Line)
			continue
		}
		stepAt[s.ID] = s.Pos
		t.Steps = append(t.Steps, s)
	}
	if len(t.Steps) == 0 {
		d.errorf(root, "runbook template has no steps")
	}
	d.checkTemplateRefs(t)
	return t
}

func (d *decoder) templateStep(n *yaml.Node, phases map[string]Pos) (TemplateStep, bool) {
	f, ok := d.fields(n, "template step", templateStepFields)
	if !ok {
		return TemplateStep{}, false
	}
	s := TemplateStep{Pos: d.pos(f.node)}
	var idNode *yaml.Node
	s.ID, idNode = d.text(f, "id", true, "id: unrack-<id>")
	if idNode == nil {
		return s, false
	}
	s.For, _ = d.text(f, "for", false, "")
	preds, known := kinds[s.For]
	if !known {
		d.errorf(f.values["for"], "cannot expand for %q; write one of assets, services, stakeholders, firewall_rules, domains, backups, procedures, trips (or leave out for once)", s.For)
	}
	if bare := placeholder.ReplaceAllString(s.ID, "x"); len(bare) > MaxIDLength {
		d.errorf(idNode, "template step id %q is %d characters long besides its <placeholders>; ids are at most %d", Clip(s.ID), len(bare), MaxIDLength)
	} else if !idPattern.MatchString(bare) {
		d.errorf(idNode, "template step id %q: use letters, digits, '-' and '_' besides {placeholders}", Clip(s.ID))
	}
	if s.For != "" && !strings.Contains(s.ID, "<id>") {
		d.errorf(idNode, "template step %q is expanded for each of %s, so its id must contain <id>", s.ID, s.For)
	}
	where, whereNodes := d.list(f, "where")
	for i, w := range where {
		if !slices.Contains(preds, w) {
			d.errorf(whereNodes[i], "%q is not a predicate of %s; use one of: %s", w, orOnce(s.For), strings.Join(preds, ", "))
		}
	}
	s.Where = where
	s.Title, _ = d.text(f, "title", true, `title: "Unrack <title>"`)
	var phaseNode *yaml.Node
	s.Phase, phaseNode = d.text(f, "phase", true, "phase: move")
	if phaseNode != nil {
		if _, ok := phases[s.Phase]; !ok {
			d.errorf(phaseNode, "unknown phase %q; %s", s.Phase, Hint(s.Phase, "phases", slices.Sorted(maps.Keys(phases))))
		}
	}
	if n := f.values["duration"]; n != nil && n.Kind == yaml.ScalarNode && n.Value == "item" {
		s.ItemDuration = true
		if s.For == "" || s.For == "stakeholders" || s.For == "services" || s.For == "firewall_rules" || s.For == "domains" || s.For == "backups" {
			d.errorf(n, "duration: item needs an item with a duration: assets (their cool-down), procedures or trips")
		}
	} else if n != nil && n.Kind == yaml.ScalarNode && n.Value == "grace_period" {
		s.GracePeriod = true
	} else if d.require(f, "duration", "duration: 20m/30m/1h, duration: item or duration: grace_period") {
		s.Duration = d.duration(f, "duration")
	}
	s.After, s.nodes.after = d.list(f, "after")
	s.Role, _ = d.text(f, "role", false, "")
	s.Gate = d.flag(f, "gate")
	s.Backout, s.nodes.backout = d.list(f, "backout")
	s.BackoutOnly = d.flag(f, "backout_only")
	s.Kind, s.Gate = d.kind(f, s.Gate)
	s.Timer = timerOf(s.Kind)
	s.Require = d.requires(f)
	d.gateOnly(f, s.Gate, s.Require)
	if s.Kind == events.KindCooldown && s.For != "assets" {
		n := f.values["timer"]
		if n == nil {
			n = f.values["kind"]
		}
		d.errorf(n, "a cooldown timer waits for an asset: expand it for: assets")
	}
	s.Needs, s.nodes.needs = d.needs(f)
	return s, true
}

// needs reads a step's needs: a mapping of resource ids to amounts, or a
// list of resource ids (amount 1 each).
func (d *decoder) needs(f *fields) ([]Need, *yaml.Node) {
	n := f.values["needs"]
	if n == nil || isNull(n) {
		return nil, nil
	}
	var out []Need
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
			var amount int
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
				d.errorf(v, "expected a whole number of %q in needs, found %s (write e.g. needs: {dock: 1})", k.Value, kindOf(v))
				continue
			}
			fmt.Sscan(v.Value, &amount)
			if amount < 1 {
				d.errorf(v, "needs %d of %q: write a number of at least 1", amount, k.Value)
				continue
			}
			out = append(out, Need{Resource: k.Value, Amount: amount})
		}
	default:
		ids, _ := d.list(f, "needs")
		for _, id := range ids {
			out = append(out, Need{Resource: id, Amount: 1})
		}
	}
	return out, n
}

// checkTemplateRefs checks that every after and backout entry names a
// template step (with the same placeholders expanded), and that
// placeholders are relations the step's kind has.
func (d *decoder) checkTemplateRefs(t *Template) {
	ids := make([]string, len(t.Steps))
	for i, s := range t.Steps {
		ids[i] = s.ID
	}
	for _, s := range t.Steps {
		check := func(refs []string, nodes []*yaml.Node, what string) {
			for i, ref := range refs {
				target, rel := splitRef(ref)
				if !slices.Contains(ids, target) {
					d.errorf(nodes[i], "%s %q names no template step; %s", what, ref, Hint(target, "template steps", ids))
					continue
				}
				if _, known := kinds[s.For]; known && rel != "" && rel != "*" && !slices.Contains(relations[s.For], rel) {
					d.errorf(nodes[i], "{%s} is not a relation of %s; use one of: %s", rel, orOnce(s.For), strings.Join(append([]string{"id", "*"}, relations[s.For]...), ", "))
				}
			}
		}
		check(s.After, s.nodes.after, "after")
		check(s.Backout, s.nodes.backout, "backout")
	}
}

// relations are the placeholders in after entries that stand for related
// items, per kind.
var relations = map[string][]string{
	"assets":   {"services", "trip"},
	"services": {"assets", "depends_on", "dependents"},
	"backups":  {"of"},
	"trips":    {"assets"},
}

// splitRef turns "stop-<dependents>" into the template step id it refers
// to ("stop-<id>") and the relation ("dependents"); "capture" into
// ("capture", "").
func splitRef(ref string) (target, rel string) {
	m := placeholder.FindStringSubmatchIndex(ref)
	if m == nil {
		return ref, ""
	}
	rel = ref[m[2]:m[3]]
	if rel == "id" {
		rel = ""
	}
	return ref[:m[0]] + "<id>" + ref[m[1]:], rel
}

func orOnce(kind string) string {
	if kind == "" {
		return "a step expanded once"
	}
	return kind
}

// timers are the kinds a step's timer: may name; timer: cooldown is an
// older spelling of kind: cooldown, timer: grace of kind: grace.
var timers = []string{string(events.KindCooldown), string(events.KindGrace)}

// kind reads what a step is, from kind: or timer:, and returns it with the
// step's gate flag: a step with gate: true and no kind is a gate, and
// kind: gate or kind: decommission makes a step a gate (every role signs
// go on a decommission, however the step is written). An unknown kind, an unknown timer, a
// timer that contradicts the kind, or kind: gate with gate: false is an
// error at its position.
func (d *decoder) kind(f *fields, gate bool) (events.StepKind, bool) {
	k, kn := d.text(f, "kind", false, "")
	kind := events.StepKind(k)
	if kn != nil && !kind.Valid() {
		d.errorf(kn, "unknown step kind %q; %s", k, kindHint(k))
		return events.KindWork, gate
	}
	t, tn := d.text(f, "timer", false, "")
	switch {
	case tn == nil:
	case !slices.Contains(timers, t):
		d.errorf(tn, "timer %q is not one of %s (cooldown: ends when the asset has cooled down; grace: cannot end before its duration)", t, strings.Join(timers, ", "))
	case kn != nil && kind != events.StepKind(t):
		d.errorf(tn, "timer: %s makes the step kind %s, but it says kind: %s; keep one of them (timer: %s is the older spelling of kind: %s)", t, t, k, t, t)
	default:
		kind = events.StepKind(t)
	}
	switch {
	case kind == events.KindGate && f.values["gate"] != nil && !gate:
		d.errorf(f.values["gate"], "a step of kind gate is a go/no-go gate; remove gate: false")
	case kind == events.KindDecommission && f.values["gate"] != nil && !gate:
		d.errorf(f.values["gate"], "a decommission destroys what is at the source: every role signs go on it, as on a gate; remove gate: false")
	case kind == events.KindGate, kind == events.KindDecommission:
		gate = true
	case kind == events.KindWork && gate:
		kind = events.KindGate
	}
	return kind, gate
}

// kindHint suggests a kind for an unknown one and lists them all.
func kindHint(k string) string {
	kinds := events.StepKinds()
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	all := "write one of " + strings.Join(names, ", ") + ", or leave kind out for plain work"
	if h := Hint(k, "kinds", names); strings.HasPrefix(h, "did you mean") {
		return h + " " + all
	}
	return all
}

// timerOf returns the timer a step of that kind is ("cooldown", "grace"),
// or "".
func timerOf(k events.StepKind) string {
	if k.IsTimer() {
		return string(k)
	}
	return ""
}
