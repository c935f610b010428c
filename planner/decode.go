package planner

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The fields each mapping of a plan file accepts, in the order they are
// listed in messages.
var (
	planFields     = []string{"plan", "title", "lead", "window", "crew", "assets", "steps"}
	windowFields   = []string{"start", "end", "timezone"}
	personFields   = []string{"name", "roles"}
	assetFields    = []string{"id", "kind", "title"}
	stepFields     = []string{"id", "title", "phase", "duration", "after", "asset", "role", "gate"}
	durationFields = []string{"optimistic", "likely", "pessimistic"}
)

// idPattern is what plan names, step ids and asset ids look like: they
// become NATS subject tokens, so no dots, spaces, '*' or '>'.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// Examples shown in messages, so that people see what to write.
const (
	exampleDuration = "duration: 30m or duration: 20m/30m/1h"
	exampleTime     = "2026-12-05 08:00 (in the window's timezone) or 2026-12-05T08:00:00+01:00"
)

// decoder turns the YAML node tree of a plan file into a [Plan], collecting
// every problem with its position instead of stopping at the first.
type decoder struct {
	file string
	errs Errors

	// Nodes of the references, checked once every id is known.
	lead  *yaml.Node
	steps []stepNodes
}

// stepNodes are the nodes of one step that later checks point at.
type stepNodes struct {
	id    *yaml.Node
	after []*yaml.Node
	asset *yaml.Node
	role  *yaml.Node
}

func (d *decoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
}

// fields is one YAML mapping being decoded.
type fields struct {
	node   *yaml.Node
	what   string                // what the mapping is, in messages: "step", "window"
	keys   map[string]*yaml.Node // the key nodes, for positions
	values map[string]*yaml.Node // the value nodes, aliases resolved
	typos  []string              // unknown keys, reported already
}

// fields checks that n is a mapping whose keys are all in valid, each once.
func (d *decoder) fields(n *yaml.Node, what string, valid []string) (*fields, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "expected a mapping for %s (%s), found %s", what, strings.Join(valid, ", "), kindOf(n))
		return nil, false
	}
	f := &fields{node: n, what: what, keys: map[string]*yaml.Node{}, values: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "expected a field name in %s, found %s", what, kindOf(k))
			continue
		}
		if !slices.Contains(valid, k.Value) {
			d.errorf(k, "unknown field %q in %s; valid fields: %s", k.Value, what, strings.Join(valid, ", "))
			f.typos = append(f.typos, k.Value)
			continue
		}
		if first, dup := f.keys[k.Value]; dup {
			d.errorf(k, "field %q appears twice in %s (first at line %d); keep one", k.Value, what, first.Line)
			continue
		}
		f.keys[k.Value], f.values[k.Value] = k, v
	}
	return f, true
}

// require reports key missing from f, with an example of what to write,
// unless an unknown key reported already looks like a typo of it.
func (d *decoder) require(f *fields, key, example string) bool {
	if _, ok := f.values[key]; ok {
		return true
	}
	for _, typo := range f.typos {
		if closeEnough(typo, key) {
			return false
		}
	}
	d.errorf(f.node, "%s is missing %q (write e.g. %s)", f.what, key, example)
	return false
}

// text returns the scalar value of key and its node. The node is nil when
// the key is absent, empty or not a scalar; a required key given no value
// is reported with example.
func (d *decoder) text(f *fields, key string, required bool, example string) (string, *yaml.Node) {
	if required && !d.require(f, key, example) {
		return "", nil
	}
	n := f.values[key]
	if n == nil {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "expected text for %q in %s, found %s", key, f.what, kindOf(n))
		return "", nil
	}
	if isNull(n) || strings.TrimSpace(n.Value) == "" {
		if required {
			d.errorf(f.keys[key], "%s has an empty %q (write e.g. %s)", f.what, key, example)
		}
		return "", nil
	}
	return n.Value, n
}

// id is text that must be an id; what names it in messages.
func (d *decoder) id(f *fields, key, what, example string) (string, *yaml.Node) {
	s, n := d.text(f, key, true, example)
	if n != nil && !idPattern.MatchString(s) {
		d.errorf(n, "invalid %s %q: use only letters, digits, '-' and '_', starting with a letter or digit (ids become NATS subject tokens: no dots, spaces, '*' or '>')", what, s)
	}
	return s, n
}

// list returns the texts of key, a list or a single value, and their nodes.
func (d *decoder) list(f *fields, key string) ([]string, []*yaml.Node) {
	n := f.values[key]
	if n == nil || isNull(n) {
		return nil, nil
	}
	items := []*yaml.Node{n}
	switch n.Kind {
	case yaml.ScalarNode:
	case yaml.SequenceNode:
		items = n.Content
	default:
		d.errorf(n, "expected a list (or a single value) for %q in %s, found %s", key, f.what, kindOf(n))
		return nil, nil
	}
	var vals []string
	var nodes []*yaml.Node
	for _, it := range items {
		it = resolve(it)
		switch {
		case it.Kind != yaml.ScalarNode:
			d.errorf(it, "expected text in %q of %s, found %s", key, f.what, kindOf(it))
		case isNull(it) || strings.TrimSpace(it.Value) == "":
			d.errorf(it, "empty entry in %q of %s; remove it or write a value", key, f.what)
		default:
			vals = append(vals, it.Value)
			nodes = append(nodes, it)
		}
	}
	return vals, nodes
}

// flag returns the boolean value of key, false when absent.
func (d *decoder) flag(f *fields, key string) bool {
	n := f.values[key]
	if n == nil || isNull(n) {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b
		}
	}
	d.errorf(n, "expected true or false for %q in %s, found %s", key, f.what, kindOf(n))
	return false
}

// seq returns the items of the list under key, nil when absent or empty.
func (d *decoder) seq(f *fields, key, of string) []*yaml.Node {
	n := f.values[key]
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "expected a list of %s for %q, found %s (start each entry with \"- \")", of, key, kindOf(n))
		return nil
	}
	return n.Content
}

// plan decodes a whole plan file and checks its references.
func (d *decoder) plan(doc *yaml.Node) *Plan {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode || isNull(root) {
		d.errs = append(d.errs, &Error{
			Pos: Pos{File: d.file, Line: 1, Col: 1},
			Msg: "plan file is empty; write at least plan:, window: and steps: (see examples/weekend.yaml)",
		})
		return nil
	}
	f, ok := d.fields(root, "plan file", planFields)
	if !ok {
		return nil
	}
	p := &Plan{}
	p.Name, _ = d.id(f, "plan", "plan name", "plan: pa2-to-pa3")
	p.Title, _ = d.text(f, "title", false, "")
	p.Lead, d.lead = d.text(f, "lead", false, "")
	if d.require(f, "window", "window: {start: 2026-12-05 08:00, end: 2026-12-06 20:00, timezone: Europe/Paris}") {
		p.Window = d.window(f.values["window"])
	}
	for _, n := range d.seq(f, "crew", "crew members") {
		if c, ok := d.person(n); ok {
			p.Crew = append(p.Crew, c)
		}
	}
	for _, n := range d.seq(f, "assets", "assets") {
		if a, ok := d.asset(n); ok {
			p.Assets = append(p.Assets, a)
		}
	}
	const exampleStep = "steps: [{id: unrack-web1, title: Unrack web-1, duration: 30m}]"
	if d.require(f, "steps", exampleStep) {
		items := d.seq(f, "steps", "steps")
		if v := f.values["steps"]; isNull(v) || (v.Kind == yaml.SequenceNode && len(v.Content) == 0) {
			d.errorf(f.keys["steps"], "plan has no steps; add at least one (write e.g. %s)", exampleStep)
		}
		for _, n := range items {
			if s, nodes, ok := d.step(n); ok {
				p.Steps = append(p.Steps, s)
				d.steps = append(d.steps, nodes)
			}
		}
	}
	d.check(p)
	return p
}

func (d *decoder) window(n *yaml.Node) Window {
	var w Window
	f, ok := d.fields(n, "window", windowFields)
	if !ok {
		return w
	}
	tz, tzNode := d.text(f, "timezone", true, "timezone: Europe/Paris")
	if tzNode != nil {
		loc, err := time.LoadLocation(tz)
		switch {
		case tz == "Local":
			d.errorf(tzNode, "time zone \"Local\" depends on the machine reading the plan; name the site's zone, e.g. Europe/Paris")
		case err != nil:
			d.errorf(tzNode, "unknown time zone %q; use an IANA name such as Europe/Paris or UTC", tz)
		default:
			w.TimeZone, w.Location = tz, loc
		}
	}
	start, startOK := d.time(f, "start", w.Location)
	end, endOK := d.time(f, "end", w.Location)
	w.Start, w.End = start, end
	if startOK && endOK && !end.After(start) {
		const layout = "2006-01-02 15:04 MST"
		d.errorf(f.values["end"], "window end %s is not after its start %s; the end must be later", end.Format(layout), start.Format(layout))
	}
	return w
}

// time reads a window time: RFC 3339, or a local time in loc. With no loc
// (an unknown zone, reported already) local times are only checked.
func (d *decoder) time(f *fields, key string, loc *time.Location) (time.Time, bool) {
	s, n := d.text(f, key, true, key+": "+exampleTime)
	if n == nil {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		if loc != nil {
			t = t.In(loc)
		}
		return t, true
	}
	in := loc
	if in == nil {
		in = time.UTC
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, in); err == nil {
			return t, loc != nil
		}
	}
	d.errorf(n, "invalid %s time %q in window; write e.g. %s", key, s, exampleTime)
	return time.Time{}, false
}

func (d *decoder) person(n *yaml.Node) (Person, bool) {
	f, ok := d.fields(n, "crew member", personFields)
	if !ok {
		return Person{}, false
	}
	c := Person{Pos: d.pos(f.node)}
	var nameNode *yaml.Node
	c.Name, nameNode = d.text(f, "name", true, "name: Claire Martin")
	c.Roles, _ = d.list(f, "roles")
	return c, nameNode != nil
}

func (d *decoder) asset(n *yaml.Node) (Asset, bool) {
	f, ok := d.fields(n, "asset", assetFields)
	if !ok {
		return Asset{}, false
	}
	a := Asset{Pos: d.pos(f.node)}
	var idNode *yaml.Node
	a.ID, idNode = d.id(f, "id", "asset id", "id: web-1")
	a.Kind, _ = d.text(f, "kind", false, "")
	a.Title, _ = d.text(f, "title", false, "")
	return a, idNode != nil
}

func (d *decoder) step(n *yaml.Node) (Step, stepNodes, bool) {
	f, ok := d.fields(n, "step", stepFields)
	if !ok {
		return Step{}, stepNodes{}, false
	}
	s := Step{Pos: d.pos(f.node)}
	var nodes stepNodes
	s.ID, nodes.id = d.id(f, "id", "step id", "id: unrack-web1")
	s.Title, _ = d.text(f, "title", true, "title: Unrack web-1")
	s.Phase, _ = d.text(f, "phase", false, "")
	if d.require(f, "duration", exampleDuration) {
		s.Duration = d.duration(f, "duration")
	}
	s.After, nodes.after = d.list(f, "after")
	s.Asset, nodes.asset = d.text(f, "asset", false, "")
	s.Role, nodes.role = d.text(f, "role", false, "")
	s.Gate = d.flag(f, "gate")
	return s, nodes, nodes.id != nil
}

// duration reads 30m, 20m/30m/1h, or {optimistic, likely, pessimistic}.
func (d *decoder) duration(f *fields, key string) Duration {
	n := f.values[key]
	var dur Duration
	switch {
	case n.Kind == yaml.MappingNode:
		m, _ := d.fields(n, key, durationFields)
		if !d.require(m, "likely", "likely: 30m") {
			return dur
		}
		var ok bool
		if dur.Likely, ok = d.span(m.values["likely"]); !ok {
			return dur
		}
		dur.Optimistic, dur.Pessimistic = dur.Likely, dur.Likely
		if v := m.values["optimistic"]; v != nil {
			if dur.Optimistic, ok = d.span(v); !ok {
				return dur
			}
		}
		if v := m.values["pessimistic"]; v != nil {
			if dur.Pessimistic, ok = d.span(v); !ok {
				return dur
			}
		}
	case n.Kind != yaml.ScalarNode:
		d.errorf(n, "expected a duration for %q in %s, found %s (write e.g. %s)", key, f.what, kindOf(n), exampleDuration)
		return dur
	case isNull(n) || strings.TrimSpace(n.Value) == "":
		d.errorf(f.keys[key], "%s has an empty %q (write e.g. %s)", f.what, key, exampleDuration)
		return dur
	default:
		parts := strings.Split(n.Value, "/")
		if len(parts) != 1 && len(parts) != 3 {
			d.errorf(n, "duration %q needs one value or three (optimistic/likely/pessimistic); write e.g. %s", n.Value, exampleDuration)
			return dur
		}
		spans := make([]time.Duration, len(parts))
		for i, part := range parts {
			v, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil {
				d.errorf(n, "invalid duration %q: write e.g. 30m, 1h30m or 20m/30m/1h (units h, m, s)", n.Value)
				return dur
			}
			spans[i] = v
		}
		if len(spans) == 1 {
			dur = Duration{spans[0], spans[0], spans[0]}
		} else {
			dur = Duration{spans[0], spans[1], spans[2]}
		}
	}
	switch {
	case dur.Optimistic <= 0 || dur.Likely <= 0 || dur.Pessimistic <= 0:
		d.errorf(n, "duration %s must be greater than zero; write e.g. %s", dur, exampleDuration)
	case dur.Optimistic > dur.Likely || dur.Likely > dur.Pessimistic:
		d.errorf(n, "duration %s must have optimistic <= likely <= pessimistic, shortest first; write e.g. 20m/30m/1h", dur)
	}
	return dur
}

// span reads one duration of a duration mapping.
func (d *decoder) span(n *yaml.Node) (time.Duration, bool) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		if v, err := time.ParseDuration(strings.TrimSpace(n.Value)); err == nil {
			return v, true
		}
	}
	d.errorf(n, "invalid duration %s: write e.g. 30m or 1h30m (units h, m, s)", kindOf(n))
	return 0, false
}

// resolve follows YAML aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// kindOf describes a node for messages: "a mapping", "a list", "\"yes\"".
func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "nothing"
}
