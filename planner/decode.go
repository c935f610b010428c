package planner

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nats-io/nkeys"
	"go.yaml.in/yaml/v3"
)

// The fields each mapping of a plan file accepts, in the order they are
// listed in messages.
var (
	planFields        = []string{"plan", "title", "lead", "runbook", "grace_period", "window", "sites", "crew", "transport", "resources", "assets", "services", "firewall_rules", "domains", "backups", "stakeholders", "notices", "steps"}
	windowFields      = []string{"start", "end", "timezone", "blackouts"}
	blackoutFields    = []string{"name", "start", "end"}
	siteFields        = []string{"id", "title", "access", "racks"}
	rackFields        = []string{"id", "height", "power", "weight", "used", "used_power", "used_weight"}
	procedureFields   = []string{"id", "title", "when", "duration", "role"}
	personFields      = []string{"name", "roles", "shifts", "key"}
	shiftFields       = []string{"start", "end"}
	vehicleFields     = []string{"id", "title", "count", "capacity_u", "capacity_items", "trip"}
	resourceFields    = []string{"id", "title", "capacity"}
	assetFields       = []string{"id", "kind", "title", "from", "to", "height", "power", "cooldown", "services", "standard", "checks", "decommission", "weight"}
	placeFields       = []string{"site", "rack", "u"}
	serviceFields     = []string{"id", "title", "vital", "keep_up", "depends_on", "rto", "checks"}
	checkFields       = []string{"id", "kind", "target", "expect", "from", "type", "resolver", "max_ttl", "status", "body", "server_name", "min_days", "timeout", "retries"}
	ruleFields        = []string{"id", "title", "source", "destination", "ports", "protocol", "action", "obsolete"}
	domainFields      = []string{"name", "service", "ttl", "checks"}
	backupFields      = []string{"id", "of", "stored_on", "verified"}
	stakeholderFields = []string{"id", "title", "contact", "notice", "ack", "recipients", "recipients_file"}
	recipientFields   = []string{"name", "email"}
	noticesFields     = []string{"contact", "smtp", "from", "ack_url"}
	stepFields        = []string{"id", "title", "phase", "duration", "after", "asset", "role", "gate", "needs", "backout", "backout_only", "timer", "kind", "service", "rule", "domain", "require"}
	durationFields    = []string{"optimistic", "likely", "pessimistic"}
)

// The closed sets of values some fields take.
var (
	checkKinds     = []string{"dns", "tcp", "http", "tls"}
	procedureWhens = []string{"enter", "exit"}
	ruleActions    = []string{"allow", "deny"}
)

// DefaultGracePeriod is how long a source asset is kept after validation
// when a plan does not say (yaml "grace_period").
const DefaultGracePeriod = 10 * 24 * time.Hour

// idPattern is what plan names, step ids and asset ids look like: they
// become NATS subject tokens, so no dots, spaces, '*' or '>'.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// Examples shown in messages, so that people see what to write.
const (
	exampleDuration = "duration: 30m or duration: 20m/30m/1h"
	exampleTime     = "2026-12-05 08:00 (in the window's timezone) or 2026-12-05T08:00:00+01:00"
	exampleStep     = "steps: [{id: unrack-web1, title: Unrack web-1, duration: 30m}]"
)

// decoder turns the YAML node tree of a plan file into a [Plan], collecting
// every problem with its position instead of stopping at the first.
type decoder struct {
	file string
	errs Errors

	// Nodes of the references, checked once every id is known; each slice
	// runs parallel to the plan's list of the same name.
	lead         *yaml.Node
	sites        []siteNodes
	vehicles     []*yaml.Node // id nodes
	resources    []*yaml.Node // id nodes
	assets       []assetNodes
	services     []serviceNodes
	rules        []*yaml.Node // id nodes
	domains      []domainNodes
	backups      []backupNodes
	stakeholders []*yaml.Node // id nodes
	steps        []stepNodes
	// checks are the nodes of every check, of assets and services, in file
	// order: the id node, or the check's mapping when the id is implied.
	checks []*yaml.Node
}

// stepNodes are the nodes of one step that later checks point at.
type stepNodes struct {
	id      *yaml.Node
	after   []*yaml.Node
	asset   *yaml.Node
	service *yaml.Node
	rule    *yaml.Node
	domain  *yaml.Node
	role    *yaml.Node
	needs   []*yaml.Node // the resource or vehicle id of each need
	backout []*yaml.Node
}

type siteNodes struct {
	id    *yaml.Node
	roles []*yaml.Node // of the access procedures, nil where none
}

type assetNodes struct {
	id           *yaml.Node
	from, to     *yaml.Node // the site of each place
	services     []*yaml.Node
	decommission *yaml.Node // the "decommission" key when true
}

type serviceNodes struct {
	id        *yaml.Node
	dependsOn []*yaml.Node
}

type domainNodes struct {
	name, service *yaml.Node
}

type backupNodes struct {
	id, of, storedOn *yaml.Node
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

// has reports whether key is given a value other than null.
func (f *fields) has(key string) bool {
	n := f.values[key]
	return n != nil && !isNull(n)
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
	if n != nil {
		d.checkID(n, what)
	}
	return s, n
}

// checkID reports an id that could not be a NATS subject token, or is
// longer than [MaxIDLength].
func (d *decoder) checkID(n *yaml.Node, what string) {
	switch {
	case len(n.Value) > MaxIDLength:
		d.errorf(n, "%s %q is %d characters long; ids are at most %d", what, Clip(n.Value), len(n.Value), MaxIDLength)
	case !idPattern.MatchString(n.Value):
		d.errorf(n, "invalid %s %q: use only letters, digits, '-' and '_', starting with a letter or digit (ids become NATS subject tokens: no dots, spaces, '*' or '>')", what, Clip(n.Value))
	}
}

// Clip shortens s for a message: its first 40 characters and "...".
func Clip(s string) string {
	const keep = 40
	if utf8.RuneCountInString(s) <= keep {
		return s
	}
	return string([]rune(s)[:keep]) + "..."
}

// CheckName reports why s cannot be a crew member's name: longer than
// [MaxNameLength] characters, or holding a control character (a line
// break, a tab); nil if it can.
func CheckName(s string) error {
	if n := utf8.RuneCountInString(s); n > MaxNameLength {
		return fmt.Errorf("name %q is %d characters long; names are at most %d", Clip(s), n, MaxNameLength)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("name %q is not valid UTF-8", Clip(s))
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return fmt.Errorf("name %q holds a control character (%U); write the name on one line", Clip(s), []rune(s[i:])[0])
	}
	return nil
}

// oneOf is optional text that must be one of valid.
func (d *decoder) oneOf(f *fields, key string, required bool, valid []string) (string, *yaml.Node) {
	s, n := d.text(f, key, required, key+": "+valid[0])
	if n != nil && !slices.Contains(valid, s) {
		d.errorf(n, "invalid %s %q in %s; write one of %s", key, s, f.what, strings.Join(valid, ", "))
		return "", nil
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
func (d *decoder) flag(f *fields, key string) bool { return d.flagOr(f, key, false) }

// flagOr returns the boolean value of key, def when absent.
func (d *decoder) flagOr(f *fields, key string, def bool) bool {
	n := f.values[key]
	if n == nil || isNull(n) {
		return def
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b
		}
	}
	d.errorf(n, "expected true or false for %q in %s, found %s", key, f.what, kindOf(n))
	return def
}

// number returns the whole number under key, def when absent. A number
// below least is reported, saying what to write instead.
func (d *decoder) number(f *fields, key string, def, least int, instead string) int {
	n := f.values[key]
	if n == nil || isNull(n) {
		return def
	}
	if v, ok := d.whole(n, key, f.what, least, instead); ok {
		return v
	}
	return def
}

// whole reads the whole number in n, key of what, at least least.
func (d *decoder) whole(n *yaml.Node, key, what string, least int, instead string) (int, bool) {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
		d.errorf(n, "expected a whole number for %q in %s, found %s", key, what, kindOf(n))
		return 0, false
	}
	if v < least {
		d.errorf(n, "%q in %s must be at least %d, found %d; %s", key, what, least, v, instead)
		return 0, false
	}
	return v, true
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
	p := &Plan{GracePeriod: DefaultGracePeriod}
	p.Name, _ = d.id(f, "plan", "plan name", "plan: pa2-to-pa3")
	p.Title, _ = d.text(f, "title", false, "")
	p.Lead, d.lead = d.text(f, "lead", false, "")
	p.Runbook, _ = d.text(f, "runbook", false, "")
	if f.has("grace_period") {
		p.GracePeriod = d.span(f, "grace_period", "grace_period: 10d")
		p.GracePeriodPos = d.pos(f.values["grace_period"])
	}
	if d.require(f, "window", "window: {start: 2026-12-05 08:00, end: 2026-12-06 20:00, timezone: Europe/Paris}") {
		p.Window = d.window(f.values["window"])
	}
	loc := p.Window.Location
	for _, n := range d.seq(f, "sites", "sites") {
		if s, ok := d.site(n); ok {
			p.Sites = append(p.Sites, s)
		}
	}
	for _, n := range d.seq(f, "crew", "crew members") {
		if c, ok := d.person(n, loc); ok {
			p.Crew = append(p.Crew, c)
		}
	}
	for _, n := range d.seq(f, "transport", "vehicles") {
		if v, ok := d.vehicle(n); ok {
			p.Transport = append(p.Transport, v)
		}
	}
	for _, n := range d.seq(f, "resources", "resources") {
		if r, ok := d.resource(n); ok {
			p.Resources = append(p.Resources, r)
		}
	}
	for _, n := range d.seq(f, "assets", "assets") {
		if a, ok := d.asset(n); ok {
			p.Assets = append(p.Assets, a)
		}
	}
	for _, n := range d.seq(f, "services", "services") {
		if s, ok := d.service(n); ok {
			p.Services = append(p.Services, s)
		}
	}
	for _, n := range d.seq(f, "firewall_rules", "firewall rules") {
		if r, ok := d.rule(n); ok {
			p.FirewallRules = append(p.FirewallRules, r)
		}
	}
	for _, n := range d.seq(f, "domains", "domains") {
		if dom, ok := d.domain(n); ok {
			p.Domains = append(p.Domains, dom)
		}
	}
	for _, n := range d.seq(f, "backups", "backups") {
		if b, ok := d.backup(n); ok {
			p.Backups = append(p.Backups, b)
		}
	}
	for _, n := range d.seq(f, "stakeholders", "stakeholders") {
		if s, ok := d.stakeholder(n); ok {
			p.Stakeholders = append(p.Stakeholders, s)
		}
	}
	if n := f.values["notices"]; n != nil && !isNull(n) {
		p.Notices = d.notices(n)
	}
	// A runbook template expands into the steps; without one, the steps
	// are the whole runbook and there must be some.
	if p.Runbook != "" || d.require(f, "steps", exampleStep) {
		items := d.seq(f, "steps", "steps")
		if v, ok := f.values["steps"]; ok && p.Runbook == "" && (isNull(v) || (v.Kind == yaml.SequenceNode && len(v.Content) == 0)) {
			d.errorf(f.keys["steps"], "plan has no steps; add at least one (write e.g. %s), or name a runbook template (runbook: weekend-cutover)", exampleStep)
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
	w.Start, w.End, _ = d.period(f, w.Location)
	for _, n := range d.seq(f, "blackouts", "blackouts") {
		if b, ok := d.blackout(n, w.Location); ok {
			w.Blackouts = append(w.Blackouts, b)
		}
	}
	return w
}

// period reads the start and end of f, which must come later.
func (d *decoder) period(f *fields, loc *time.Location) (start, end time.Time, ok bool) {
	start, startOK := d.time(f, "start", loc)
	end, endOK := d.time(f, "end", loc)
	if startOK && endOK && !end.After(start) {
		const layout = "2006-01-02 15:04 MST"
		d.errorf(f.values["end"], "%s end %s is not after its start %s; the end must be later", f.what, end.Format(layout), start.Format(layout))
		return start, end, false
	}
	return start, end, startOK && endOK
}

// time reads a time: RFC 3339, or a local time in loc, the window's zone.
// With no loc (an unknown zone, reported already) local times are only
// checked.
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
	d.errorf(n, "invalid %s time %q in %s; write e.g. %s", key, s, f.what, exampleTime)
	return time.Time{}, false
}

func (d *decoder) blackout(n *yaml.Node, loc *time.Location) (Blackout, bool) {
	f, ok := d.fields(n, "blackout", blackoutFields)
	if !ok {
		return Blackout{}, false
	}
	b := Blackout{Pos: d.pos(f.node)}
	var nameNode *yaml.Node
	b.Name, nameNode = d.text(f, "name", true, "name: Christmas change freeze")
	b.Start, b.End, ok = d.period(f, loc)
	return b, ok && nameNode != nil
}

func (d *decoder) site(n *yaml.Node) (Site, bool) {
	f, ok := d.fields(n, "site", siteFields)
	if !ok {
		return Site{}, false
	}
	s := Site{Pos: d.pos(f.node)}
	nodes := siteNodes{}
	s.ID, nodes.id = d.id(f, "id", "site id", "id: PA2")
	s.Title, _ = d.text(f, "title", false, "")
	for _, n := range d.seq(f, "access", "access procedures") {
		if pr, role, ok := d.procedure(n); ok {
			s.Access = append(s.Access, pr)
			nodes.roles = append(nodes.roles, role)
		}
	}
	seen := map[string]int{}
	for _, n := range d.seq(f, "racks", "racks") {
		r, ok := d.rack(n)
		if !ok {
			continue
		}
		if first, dup := seen[r.ID]; dup {
			d.errs = append(d.errs, &Error{Pos: r.Pos, Msg: fmt.Sprintf("site %q declares rack %q twice (first at line %d); keep one", s.ID, r.ID, first)})
			continue
		}
		seen[r.ID] = r.Pos.Line
		s.Racks = append(s.Racks, r)
	}
	if nodes.id == nil {
		return s, false
	}
	d.sites = append(d.sites, nodes)
	return s, true
}

// rack reads a rack of a site: its name, its height, and what it can
// take (power, weight) and already holds (used, used_power, used_weight).
func (d *decoder) rack(n *yaml.Node) (Rack, bool) {
	f, ok := d.fields(n, "rack", rackFields)
	if !ok {
		return Rack{}, false
	}
	r := Rack{Pos: d.pos(f.node)}
	var idNode *yaml.Node
	r.ID, idNode = d.text(f, "id", true, "id: PA3-R01 (the rack's name, as the assets' to: rack writes it)")
	r.Height = d.number(f, "height", 0, 1, "write how many rack units it has, e.g. height: 42")
	r.Power = d.number(f, "power", 0, 0, "write the watts its feeds may supply, e.g. power: 5000")
	r.Weight = d.decimal(f, "weight", "write the kilograms it may carry, e.g. weight: 1000")
	r.UsedPower = d.number(f, "used_power", 0, 0, "write the watts drawn by what stays in it, e.g. used_power: 800")
	r.UsedWeight = d.decimal(f, "used_weight", "write the kilograms of what stays in it, e.g. used_weight: 120")
	for _, item := range d.unitList(f, "used") {
		if r.Height > 0 && item.Top > r.Height {
			d.errs = append(d.errs, &Error{Pos: item.Pos, Msg: fmt.Sprintf("rack %q has %d units, but used says %s; write the units taken within U1-U%d", r.ID, r.Height, item, r.Height)})
			continue
		}
		r.Used = append(r.Used, item)
	}
	return r, idNode != nil
}

// unitList reads a list of rack units under key: whole numbers (40) and
// ranges ("U1-U4", "1-4", "U7").
func (d *decoder) unitList(f *fields, key string) []Units {
	n := f.values[key]
	if n == nil || isNull(n) {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []Units
	for _, it := range items {
		it = resolve(it)
		u, err := ParseUnits(it.Value)
		if it.Kind != yaml.ScalarNode || err != nil {
			d.errorf(it, "expected rack units in %q of %s, found %s; write e.g. %s: [U1-U4, U40]", key, f.what, kindOf(it), key)
			continue
		}
		u.Pos = d.pos(it)
		out = append(out, u)
	}
	return out
}

// ParseUnits reads rack units as a plan writes them: "U7", "7", "U1-U4"
// or "1-4".
func ParseUnits(s string) (Units, error) {
	num := func(s string) (int, error) {
		s = strings.TrimSpace(s)
		s = strings.TrimPrefix(strings.TrimPrefix(s, "U"), "u")
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			return 0, fmt.Errorf("rack units %q: write U7 or U1-U4, units count from 1", s)
		}
		return v, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	low, err := num(lo)
	if err != nil {
		return Units{}, err
	}
	top := low
	if isRange {
		if top, err = num(hi); err != nil {
			return Units{}, err
		}
	}
	if top < low {
		return Units{}, fmt.Errorf("rack units %q: write the lower unit first, e.g. U1-U4", s)
	}
	return Units{Low: low, Top: top}, nil
}

// decimal returns the number under key, whole or not (18.5), zero when
// absent; a negative number or text is reported, saying what to write.
func (d *decoder) decimal(f *fields, key, instead string) float64 {
	n := f.values[key]
	if n == nil || isNull(n) {
		return 0
	}
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && v >= 0 && v < 1e9 {
			return v
		}
	}
	d.errorf(n, "expected a number of at least 0 for %q in %s, found %s; %s", key, f.what, kindOf(n), instead)
	return 0
}

func (d *decoder) procedure(n *yaml.Node) (Procedure, *yaml.Node, bool) {
	f, ok := d.fields(n, "access procedure", procedureFields)
	if !ok {
		return Procedure{}, nil, false
	}
	pr := Procedure{Pos: d.pos(f.node)}
	var idNode, roleNode *yaml.Node
	pr.ID, idNode = d.id(f, "id", "access procedure id", "id: exit-paperwork")
	pr.Title, _ = d.text(f, "title", false, "")
	pr.When, _ = d.oneOf(f, "when", true, procedureWhens)
	if d.require(f, "duration", exampleDuration) {
		pr.Duration = d.duration(f, "duration")
	}
	pr.Role, roleNode = d.text(f, "role", false, "")
	return pr, roleNode, idNode != nil
}

func (d *decoder) person(n *yaml.Node, loc *time.Location) (Person, bool) {
	f, ok := d.fields(n, "crew member", personFields)
	if !ok {
		return Person{}, false
	}
	c := Person{Pos: d.pos(f.node)}
	var nameNode *yaml.Node
	c.Name, nameNode = d.text(f, "name", true, "name: Claire Martin")
	if nameNode != nil {
		if err := CheckName(c.Name); err != nil {
			d.errorf(nameNode, "crew member %v", err)
		}
	}
	c.Roles, _ = d.list(f, "roles")
	if key, n := d.text(f, "key", false, ""); n != nil {
		c.Key, c.KeyPos = strings.TrimSpace(key), d.pos(n)
		d.checkKey(n, c.Key)
	}
	for _, n := range d.seq(f, "shifts", "shifts") {
		sf, ok := d.fields(n, "shift", shiftFields)
		if !ok {
			continue
		}
		s := Shift{Pos: d.pos(sf.node)}
		if s.Start, s.End, ok = d.period(sf, loc); ok {
			c.Shifts = append(c.Shifts, s)
		}
	}
	return c, nameNode != nil
}

// checkKey reports a crew key that is not the public key of a user NKey.
func (d *decoder) checkKey(n *yaml.Node, key string) {
	if nkeys.IsValidPublicUserKey(key) {
		return
	}
	if strings.HasPrefix(key, "S") {
		// Never repeat a seed: it is a secret.
		d.errorf(n, "crew key is a seed (a secret), not a public key: never put a seed in a plan; make a new key for this person (this one is exposed) with: dcmove keys new NAME --out FILE, and paste the public key it prints (it starts with U)")
		return
	}
	shown := key
	if len(shown) > 12 {
		shown = shown[:12] + "…"
	}
	what := "is not a public NKey"
	if nkeys.IsValidPublicKey(key) {
		what = "is a public NKey but not a user key (a user key starts with U)"
	}
	d.errorf(n, "crew key %q %s; make one with: dcmove keys new NAME --out FILE, and paste the key it prints", shown, what)
}

func (d *decoder) vehicle(n *yaml.Node) (Vehicle, bool) {
	f, ok := d.fields(n, "vehicle", vehicleFields)
	if !ok {
		return Vehicle{}, false
	}
	v := Vehicle{Pos: d.pos(f.node)}
	var idNode *yaml.Node
	v.ID, idNode = d.id(f, "id", "vehicle id", "id: trolley")
	v.Title, _ = d.text(f, "title", false, "")
	v.Count = d.number(f, "count", 1, 1, "leave count out for one vehicle")
	v.CapacityU = d.number(f, "capacity_u", 0, 1, "leave capacity_u out for no limit in rack units")
	v.CapacityItems = d.number(f, "capacity_items", 0, 1, "leave capacity_items out for no limit in pieces")
	if d.require(f, "trip", "trip: 15m/20m/45m") {
		v.Trip = d.duration(f, "trip")
	}
	if idNode == nil {
		return v, false
	}
	d.vehicles = append(d.vehicles, idNode)
	return v, true
}

func (d *decoder) resource(n *yaml.Node) (Resource, bool) {
	f, ok := d.fields(n, "resource", resourceFields)
	if !ok {
		return Resource{}, false
	}
	r := Resource{Pos: d.pos(f.node)}
	var idNode *yaml.Node
	r.ID, idNode = d.id(f, "id", "resource id", "id: dock")
	r.Title, _ = d.text(f, "title", false, "")
	r.Capacity = d.number(f, "capacity", 1, 1, "write how many steps can hold it at once, e.g. capacity: 2")
	if idNode == nil {
		return r, false
	}
	d.resources = append(d.resources, idNode)
	return r, true
}

func (d *decoder) asset(n *yaml.Node) (Asset, bool) {
	f, ok := d.fields(n, "asset", assetFields)
	if !ok {
		return Asset{}, false
	}
	a := Asset{Pos: d.pos(f.node)}
	nodes := assetNodes{}
	checkStart := len(d.checks)
	a.ID, nodes.id = d.id(f, "id", "asset id", "id: web-1")
	a.Kind, _ = d.text(f, "kind", false, "")
	a.Title, _ = d.text(f, "title", false, "")
	if f.has("from") {
		a.From, nodes.from = d.place(f, "from")
		a.Height = 1
	}
	if f.has("to") {
		a.To, nodes.to = d.place(f, "to")
		if !f.has("from") {
			d.errorf(f.keys["to"], "asset %q has a to but no from; say where it stands now (write e.g. from: {site: PA2, rack: PA2-R12, u: 10})", a.ID)
		}
	}
	a.Height = d.number(f, "height", a.Height, 1, "write its height in rack units, e.g. height: 2")
	a.Power = d.number(f, "power", 0, 0, "write its power draw in watts, e.g. power: 450")
	a.Weight = d.decimal(f, "weight", "write its weight in kilograms, e.g. weight: 18.5")
	if f.has("cooldown") {
		a.Cooldown = d.span(f, "cooldown", "cooldown: 30m")
	}
	a.Services, nodes.services = d.list(f, "services")
	a.Standard = d.flagOr(f, "standard", true)
	a.Checks = d.decodeChecks(f, a.ID, "")
	a.Decommission = d.flag(f, "decommission")
	if a.Decommission {
		nodes.decommission = f.keys["decommission"]
	}
	if nodes.id == nil {
		d.checks = d.checks[:checkStart]
		return a, false
	}
	d.assets = append(d.assets, nodes)
	return a, true
}

// place reads a position in a datacenter; the node returned is its site.
func (d *decoder) place(f *fields, key string) (Place, *yaml.Node) {
	pf, ok := d.fields(f.values[key], key+" place", placeFields)
	if !ok {
		return Place{}, nil
	}
	pl := Place{Pos: d.pos(pf.node)}
	var site *yaml.Node
	pl.Site, site = d.text(pf, "site", true, "site: PA2")
	pl.Rack, _ = d.text(pf, "rack", false, "")
	pl.U = d.number(pf, "u", 0, 1, "rack units are numbered from 1 at the bottom")
	return pl, site
}

func (d *decoder) service(n *yaml.Node) (Service, bool) {
	f, ok := d.fields(n, "service", serviceFields)
	if !ok {
		return Service{}, false
	}
	s := Service{Pos: d.pos(f.node)}
	var nodes serviceNodes
	checkStart := len(d.checks)
	s.ID, nodes.id = d.id(f, "id", "service id", "id: api")
	s.Title, _ = d.text(f, "title", false, "")
	s.Vital = d.flag(f, "vital")
	s.KeepUp = d.flag(f, "keep_up")
	s.DependsOn, nodes.dependsOn = d.list(f, "depends_on")
	if f.has("rto") {
		s.RTO = d.span(f, "rto", "rto: 4h")
	}
	s.Checks = d.decodeChecks(f, s.ID, "")
	if nodes.id == nil {
		d.checks = d.checks[:checkStart]
		return s, false
	}
	d.services = append(d.services, nodes)
	return s, true
}

// decodeChecks reads the validation checks under "checks" of owner, an
// asset, a service or a domain. A check with no id is named after its
// owner and kind: "web-http", then "web-http-2". A domain's dns check with
// no target asks for the domain's name (name).
func (d *decoder) decodeChecks(f *fields, owner, name string) []Check {
	var out []Check
	seen := map[string]int{}
	for _, n := range d.seq(f, "checks", "checks") {
		cf, ok := d.fields(n, "check", checkFields)
		if !ok {
			continue
		}
		c := Check{Pos: d.pos(cf.node)}
		var kind *yaml.Node
		c.Kind, kind = d.oneOf(cf, "kind", true, checkKinds)
		var target *yaml.Node
		if name != "" && c.Kind == "dns" && !cf.has("target") {
			c.Target, target = name, cf.node
		} else {
			c.Target, target = d.text(cf, "target", true, "target: www.workit.fr")
			if kind != nil && target != nil {
				d.checkTarget(target, c.Kind)
			}
		}
		c.Expect, _ = d.text(cf, "expect", false, "")
		c.From, _ = d.list(cf, "from")
		idNode := cf.node
		if cf.has("id") {
			c.ID, idNode = d.id(cf, "id", "check id", "id: web-https")
			if idNode == nil {
				continue
			}
		} else if c.Kind != "" {
			c.ID = owner + "-" + c.Kind
			if seen[c.Kind]++; seen[c.Kind] > 1 {
				c.ID += "-" + strconv.Itoa(seen[c.Kind])
			}
		}
		d.checkDetails(cf, &c)
		if c.Kind == "" || target == nil {
			continue
		}
		d.checks = append(d.checks, idNode)
		out = append(out, c)
	}
	return out
}

// checkDetails reads what a check of each kind may say besides its target
// and expect: the record type, resolver and TTL of a dns check, the status
// and body of an http check, the name and days of a tls check, and the
// timeout and retries of any. A detail of another kind is an error: a
// check that would silently ignore it could not fail the way its author
// meant.
func (d *decoder) checkDetails(cf *fields, c *Check) {
	only := func(key string, kinds ...string) bool {
		if !cf.has(key) {
			return false
		}
		if c.Kind != "" && !slices.Contains(kinds, c.Kind) {
			d.errorf(cf.keys[key], "%q is for %s checks, and check %s is a %s check; remove it", key, strings.Join(kinds, " and "), c.ID, c.Kind)
			return false
		}
		return true
	}
	if only("type", "dns") {
		var n *yaml.Node
		c.Type, n = d.text(cf, "type", false, "")
		if t := strings.ToUpper(c.Type); n != nil && !slices.Contains(dnsTypes, t) {
			d.errorf(n, "record type %q: write one of %s", c.Type, strings.Join(dnsTypes, ", "))
		}
		c.Type = strings.ToUpper(c.Type)
	}
	if only("resolver", "dns") {
		var n *yaml.Node
		c.Resolver, n = d.text(cf, "resolver", false, "")
		if n != nil && (c.Resolver == "" || strings.ContainsAny(c.Resolver, "/ ")) {
			d.errorf(n, "resolver %q is not host[:port]; write e.g. resolver: 9.9.9.9 or resolver: ns1.example.net:53", c.Resolver)
		}
	}
	if only("max_ttl", "dns") {
		if n := cf.values["max_ttl"]; n.Tag == "!!int" {
			c.MaxTTL = time.Duration(d.number(cf, "max_ttl", 0, 1, "write the longest TTL accepted, e.g. max_ttl: 300 (seconds) or 5m")) * time.Second
		} else {
			c.MaxTTL = d.span(cf, "max_ttl", "max_ttl: 300 (seconds) or max_ttl: 5m")
		}
	}
	if only("status", "http") {
		c.Status = d.number(cf, "status", 0, 100, "write an HTTP status, e.g. status: 200")
		if c.Status > 599 {
			d.errorf(cf.values["status"], "status %d is not an HTTP status; write e.g. status: 200", c.Status)
		}
	}
	if only("body", "http") {
		c.Body, _ = d.text(cf, "body", false, "")
	}
	if only("server_name", "tls") {
		c.ServerName, _ = d.text(cf, "server_name", false, "")
	}
	if only("min_days", "tls") {
		c.MinDays = d.number(cf, "min_days", 0, 0, "write the fewest days the certificate must still be valid, e.g. min_days: 14")
	}
	if cf.has("timeout") {
		c.Timeout = d.span(cf, "timeout", "timeout: 5s")
		if c.Timeout > 5*time.Minute {
			d.errorf(cf.values["timeout"], "timeout %s is longer than 5m; a check that long is a watch, not a check", c.Timeout)
		}
	}
	c.Retries = d.number(cf, "retries", 0, 0, "write how many attempts follow the first, e.g. retries: 2")
	if c.Retries > 10 {
		d.errorf(cf.values["retries"], "retries: %d is more than 10; a check retried that often hides what it should show", c.Retries)
	}
}

// dnsTypes are the record types a dns check may ask for.
var dnsTypes = []string{"A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA", "SRV", "CAA", "PTR"}

// checkTarget reports a target that the check's kind cannot use.
func (d *decoder) checkTarget(n *yaml.Node, kind string) {
	t := n.Value
	switch kind {
	case "dns":
		if strings.ContainsAny(t, ":/ ") {
			d.errorf(n, "dns check target %q is not a host name; write the name to resolve, e.g. target: www.workit.fr", t)
		}
	case "tcp", "tls":
		i := strings.LastIndex(t, ":")
		if port, err := strconv.Atoi(t[i+1:]); i <= 0 || err != nil || port < 1 || port > 65535 || strings.Contains(t, "/") {
			d.errorf(n, "%s check target %q needs host:port; write e.g. target: db-1.workit.internal:5432", kind, t)
		}
	case "http":
		if !strings.HasPrefix(t, "http://") && !strings.HasPrefix(t, "https://") {
			d.errorf(n, "http check target %q is not a URL; write e.g. target: https://www.workit.fr/health", t)
		}
	}
}

func (d *decoder) rule(n *yaml.Node) (FirewallRule, bool) {
	f, ok := d.fields(n, "firewall rule", ruleFields)
	if !ok {
		return FirewallRule{}, false
	}
	r := FirewallRule{Pos: d.pos(f.node)}
	var idNode *yaml.Node
	r.ID, idNode = d.id(f, "id", "firewall rule id", "id: fw-web-https")
	r.Title, _ = d.text(f, "title", false, "")
	r.Source, _ = d.text(f, "source", false, "")
	r.Destination, _ = d.text(f, "destination", false, "")
	r.Ports, _ = d.text(f, "ports", false, "")
	r.Protocol, _ = d.text(f, "protocol", false, "")
	r.Action, _ = d.oneOf(f, "action", true, ruleActions)
	r.Obsolete = d.flag(f, "obsolete")
	if idNode == nil {
		return r, false
	}
	d.rules = append(d.rules, idNode)
	return r, true
}

func (d *decoder) domain(n *yaml.Node) (Domain, bool) {
	f, ok := d.fields(n, "domain", domainFields)
	if !ok {
		return Domain{}, false
	}
	dom := Domain{Pos: d.pos(f.node)}
	var nodes domainNodes
	dom.Name, nodes.name = d.text(f, "name", true, "name: www.workit.fr")
	if nodes.name != nil && strings.ContainsAny(dom.Name, " :/") {
		d.errorf(nodes.name, "domain %q is not a DNS name; write the name alone, e.g. name: www.workit.fr", dom.Name)
	}
	dom.Service, nodes.service = d.text(f, "service", false, "")
	if n := f.values["ttl"]; n != nil && !isNull(n) {
		// Zone files write TTLs in seconds; accept that as well as 5m.
		if secs, err := strconv.Atoi(n.Value); err == nil && n.Tag == "!!int" && secs > 0 {
			dom.TTL = time.Duration(secs) * time.Second
		} else {
			dom.TTL = d.span(f, "ttl", "ttl: 300 (seconds) or ttl: 5m")
		}
	}
	checkStart := len(d.checks)
	dom.Checks = d.decodeChecks(f, strings.ReplaceAll(dom.Name, ".", "-"), dom.Name)
	if nodes.name == nil {
		d.checks = d.checks[:checkStart]
		return dom, false
	}
	d.domains = append(d.domains, nodes)
	return dom, true
}

func (d *decoder) backup(n *yaml.Node) (Backup, bool) {
	f, ok := d.fields(n, "backup", backupFields)
	if !ok {
		return Backup{}, false
	}
	b := Backup{Pos: d.pos(f.node)}
	var nodes backupNodes
	b.ID, nodes.id = d.id(f, "id", "backup id", "id: db-nightly")
	b.Of, nodes.of = d.text(f, "of", true, "of: db-1")
	b.StoredOn, nodes.storedOn = d.text(f, "stored_on", true, "stored_on: offsite:s3-paris")
	b.Verified = d.flag(f, "verified")
	if nodes.id == nil {
		return b, false
	}
	d.backups = append(d.backups, nodes)
	return b, true
}

// recipient reads one recipient of a notice: {name, email}, or a string
// "Name <email>" or "email".
func (d *decoder) recipient(n *yaml.Node) (Recipient, bool) {
	if n.Kind == yaml.ScalarNode {
		r, err := ParseRecipient(n.Value)
		if err != nil {
			d.errorf(n, "%v", err)
			return r, false
		}
		return r, true
	}
	f, ok := d.fields(n, "recipient", recipientFields)
	if !ok {
		return Recipient{}, false
	}
	var r Recipient
	r.Name, _ = d.text(f, "name", false, "")
	var en *yaml.Node
	r.Email, en = d.text(f, "email", true, "email: it@customer.example")
	if en != nil {
		if _, err := ParseRecipient(r.Email); err != nil {
			d.errorf(en, "%v", err)
			return r, false
		}
	}
	return r, en != nil
}

// notices reads how notices are sent.
func (d *decoder) notices(n *yaml.Node) Notices {
	f, ok := d.fields(n, "notices", noticesFields)
	if !ok {
		return Notices{}
	}
	no := Notices{Pos: d.pos(f.node)}
	no.Contact, _ = d.text(f, "contact", false, "")
	var sn, un *yaml.Node
	no.SMTP, sn = d.text(f, "smtp", false, "")
	if sn != nil {
		if _, port, err := net.SplitHostPort(no.SMTP); err != nil || port == "" {
			d.errorf(sn, "smtp %q: write host:port, e.g. smtp: smtp.workit.fr:587", no.SMTP)
		}
	}
	no.From, _ = d.text(f, "from", false, "")
	no.AckURL, un = d.text(f, "ack_url", false, "")
	if un != nil && !strings.HasPrefix(no.AckURL, "https://") && !strings.HasPrefix(no.AckURL, "http://") {
		d.errorf(un, "ack_url %q: write the address of the war-room page, e.g. ack_url: https://move.workit.fr", no.AckURL)
	}
	return no
}

func (d *decoder) stakeholder(n *yaml.Node) (Stakeholder, bool) {
	f, ok := d.fields(n, "stakeholder", stakeholderFields)
	if !ok {
		return Stakeholder{}, false
	}
	s := Stakeholder{Pos: d.pos(f.node)}
	var idNode *yaml.Node
	s.ID, idNode = d.id(f, "id", "stakeholder id", "id: customers")
	s.Title, _ = d.text(f, "title", false, "")
	s.Contact, _ = d.text(f, "contact", false, "")
	if f.has("notice") {
		s.Notice = d.span(f, "notice", "notice: 21d")
	}
	s.Ack = d.flag(f, "ack")
	for _, n := range d.seq(f, "recipients", "recipients") {
		if r, ok := d.recipient(n); ok {
			s.Recipients = append(s.Recipients, r)
		}
	}
	s.RecipientsFile, _ = d.text(f, "recipients_file", false, "")
	if idNode == nil {
		return s, false
	}
	d.stakeholders = append(d.stakeholders, idNode)
	return s, true
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
	s.Service, nodes.service = d.text(f, "service", false, "")
	s.Rule, nodes.rule = d.text(f, "rule", false, "")
	s.Domain, nodes.domain = d.text(f, "domain", false, "")
	s.Require = d.requires(f)
	s.Role, nodes.role = d.text(f, "role", false, "")
	s.Gate = d.flag(f, "gate")
	s.Needs, nodes.needs = d.stepNeeds(f)
	s.Backout, nodes.backout = d.list(f, "backout")
	s.BackoutOnly = d.flag(f, "backout_only")
	s.Kind, s.Gate = d.kind(f, s.Gate)
	s.Timer = timerOf(s.Kind)
	d.gateOnly(f, s.Gate, s.Require)
	return s, nodes, nodes.id != nil
}

// GateRequirements are what a gate may require before it is signed go
// (yaml "require").
var GateRequirements = []string{"firewall", "checks", "acks"}

// requires reads what a gate requires before it may be signed go.
func (d *decoder) requires(f *fields) []string {
	req, nodes := d.list(f, "require")
	for i, r := range req {
		if !slices.Contains(GateRequirements, r) {
			d.errorf(nodes[i], "require: %q is not something a gate can require; write %s", r, strings.Join(GateRequirements, " or "))
		}
	}
	return req
}

// gateOnly reports a require on a step that is not a gate: only a gate is
// signed, so only a gate can wait for what it requires.
func (d *decoder) gateOnly(f *fields, gate bool, req []string) {
	if len(req) > 0 && !gate {
		d.errorf(f.keys["require"], "only a go/no-go gate can require %s; add gate: true, or remove require", strings.Join(req, " and "))
	}
}

// stepNeeds reads what a step holds while it runs: {dock: 1, van: 1}, or
// a list of ids that each mean an amount of 1.
func (d *decoder) stepNeeds(f *fields) ([]Need, []*yaml.Node) {
	n := f.values["needs"]
	if n == nil || isNull(n) || n.Kind != yaml.MappingNode {
		ids, nodes := d.list(f, "needs")
		needs := make([]Need, len(ids))
		for i, id := range ids {
			needs[i] = Need{Resource: id, Amount: 1}
		}
		return needs, nodes
	}
	var needs []Need
	var nodes []*yaml.Node
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.errorf(k, "expected a resource or vehicle id in needs of step, found %s", kindOf(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, "step needs %q twice (first at line %d); keep one with the total amount", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		if amount, ok := d.whole(v, k.Value, "needs of step", 1, "write how many the step holds, e.g. "+k.Value+": 1"); ok {
			needs = append(needs, Need{Resource: k.Value, Amount: amount})
			nodes = append(nodes, k)
		}
	}
	return needs, nodes
}

// span reads a single duration such as 30m, 4h or 10d, for key of f.
func (d *decoder) span(f *fields, key, example string) time.Duration {
	n := f.values[key]
	if n.Kind == yaml.ScalarNode && !strings.Contains(n.Value, "/") {
		if v, err := ParseDuration(n.Value); err == nil {
			return v.Likely
		}
	}
	d.errorf(n, "invalid %s %s in %s: write one duration greater than zero, e.g. %s (units d, h, m, s)", key, kindOf(n), f.what, example)
	return 0
}

// duration reads 30m, 20m/30m/1h, or {optimistic, likely, pessimistic}.
func (d *decoder) duration(f *fields, key string) Duration {
	n := f.values[key]
	switch {
	case n.Kind == yaml.MappingNode:
		var dur Duration
		m, _ := d.fields(n, key, durationFields)
		if !d.require(m, "likely", "likely: 30m") {
			return dur
		}
		var ok bool
		if dur.Likely, ok = d.estimate(m.values["likely"]); !ok {
			return dur
		}
		dur.Optimistic, dur.Pessimistic = dur.Likely, dur.Likely
		if v := m.values["optimistic"]; v != nil {
			if dur.Optimistic, ok = d.estimate(v); !ok {
				return dur
			}
		}
		if v := m.values["pessimistic"]; v != nil {
			if dur.Pessimistic, ok = d.estimate(v); !ok {
				return dur
			}
		}
		if err := dur.check(); err != nil {
			d.errorf(n, "%v", err)
		}
		return dur
	case n.Kind != yaml.ScalarNode:
		d.errorf(n, "expected a duration for %q in %s, found %s (write e.g. %s)", key, f.what, kindOf(n), exampleDuration)
	case isNull(n) || strings.TrimSpace(n.Value) == "":
		d.errorf(f.keys[key], "%s has an empty %q (write e.g. %s)", f.what, key, exampleDuration)
	default:
		dur, err := ParseDuration(n.Value)
		if err != nil {
			d.errorf(n, "%v", err)
		}
		return dur
	}
	return Duration{}
}

// estimate reads one value of a duration mapping.
func (d *decoder) estimate(n *yaml.Node) (time.Duration, bool) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		if v, err := parseSpan(strings.TrimSpace(n.Value)); err == nil {
			return v, true
		}
	}
	d.errorf(n, "invalid duration %s: write e.g. 30m or 1h30m (units d, h, m, s)", kindOf(n))
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
