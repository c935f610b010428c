package netbox

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/dcmove/dcmove/planner"
)

// PlanOptions says how to write the plan.
type PlanOptions struct {
	// RackMap renames source racks at the destination (source name →
	// destination name); a rack not in it keeps its name.
	RackMap map[string]string
	// Now dates the header and places the placeholder window, four weeks
	// ahead.
	Now time.Time
}

// Decision is a device the plan could not place by itself, and what the
// lead should do about it.
type Decision struct {
	Device string // the device's label: name and NetBox id, or file:line
	Why    string
	Do     string
}

// String formats the decision for a list: "web-9 (NetBox device 9): why; do".
func (d Decision) String() string { return d.Device + ": " + d.Why + "; " + d.Do }

// Result is the plan written, and what its lead must look at.
type Result struct {
	// YAML is the plan file.
	YAML []byte
	// Assets is how many devices became assets.
	Assets int
	// Decisions are the devices that need a decision; Notes the other
	// facts the lead must check (rounded heights, unknown power, racks
	// missing at the destination).
	Decisions []Decision
	Notes     []string
}

// asset is a device as the plan writes it.
type asset struct {
	id       string
	dev      *Device
	low, top int // source units; low is 0 when not written
	height   int
	toRack   string
	toU      int
	comments []string
}

// WritePlan writes the skeleton of a plan from the inventory: the sites,
// the destination racks, placeholder crew and window marked TODO, and the
// devices as assets. Devices it cannot place are in Result.Decisions and in
// a comment block at the top of the plan, never dropped in silence.
func WritePlan(inv *Inventory, opt PlanOptions) (*Result, error) {
	if inv == nil || inv.From == nil {
		return nil, fmt.Errorf("no source site to write a plan from")
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	res := &Result{}
	src := siteID(inv.From)
	dst := ""
	if inv.To != nil {
		dst = siteID(inv.To)
		if dst == src && inv.To.Slug != inv.From.Slug {
			dst += "-to"
		}
	}
	moving := map[int]bool{}
	devs := make([]*Device, len(inv.Devices))
	for i := range inv.Devices {
		devs[i] = &inv.Devices[i]
		if devs[i].ID > 0 {
			moving[devs[i].ID] = true
		}
	}
	slices.SortStableFunc(devs, func(a, b *Device) int {
		return cmp.Or(cmp.Compare(unracked(a), unracked(b)), naturalCompare(a.Rack, b.Rack),
			cmp.Compare(b.Position, a.Position), naturalCompare(a.Name, b.Name))
	})

	var assets []*asset
	ids := map[string]bool{}
	type held struct {
		low, top int
		id       string
	}
	fromHeld, toHeld := map[string][]held{}, map[string][]held{}
	var unknownPower []string
	for _, d := range devs {
		if why, do, ok := placeable(d); !ok {
			res.Decisions = append(res.Decisions, Decision{Device: d.Label(), Why: why, Do: do})
			continue
		}
		a := &asset{id: assetID(d, ids), dev: d}
		h := d.Height
		if !d.HeightKnown {
			h = 1
			a.comments = append(a.comments, "height unknown in NetBox: 1U assumed, correct it")
			res.Decisions = append(res.Decisions, Decision{Device: d.Label(), Why: "its height is unknown (no device type height in the export)", Do: "it is written as 1U: correct height: of asset " + a.id})
		}
		a.low = int(math.Floor(d.Position))
		a.top = int(math.Ceil(d.Position+h-1e-9)) - 1
		a.top = max(a.top, a.low)
		a.height = a.top - a.low + 1
		if d.HeightKnown && (float64(a.top-a.low+1) != h || d.Position != float64(a.low)) {
			a.comments = append(a.comments, fmt.Sprintf("NetBox: %sU at U%s, which takes %s in whole units", trimFloat(h), trimFloat(d.Position), unitsText(a.low, a.top)))
		}
		if i := slices.IndexFunc(fromHeld[d.Rack], func(o held) bool { return a.low <= o.top && o.low <= a.top }); i >= 0 {
			o := fromHeld[d.Rack][i]
			res.Decisions = append(res.Decisions, Decision{Device: d.Label(),
				Why: fmt.Sprintf("shares %s of rack %s with %s in NetBox (a front and a rear half-depth device?)", unitsText(a.low, a.top), d.Rack, o.id),
				Do:  fmt.Sprintf("asset %s is written without u: dcmove gives each asset its own units, so say where it goes", a.id)})
			a.comments = append(a.comments, fmt.Sprintf("shares %s with %s in NetBox (%s): u left out, see \"needs a decision\"", unitsText(a.low, a.top), o.id, cmp.Or(d.Face, "no face")))
			a.low, a.top = 0, 0
		} else {
			fromHeld[d.Rack] = append(fromHeld[d.Rack], held{a.low, a.top, a.id})
		}
		if inv.To != nil {
			a.toRack = d.Rack
			if r, ok := opt.RackMap[d.Rack]; ok {
				a.toRack = r
			}
			if a.low > 0 {
				if i := slices.IndexFunc(toHeld[a.toRack], func(o held) bool { return a.low <= o.top && o.low <= a.top }); i >= 0 {
					o := toHeld[a.toRack][i]
					res.Decisions = append(res.Decisions, Decision{Device: d.Label(),
						Why: fmt.Sprintf("would take %s of rack %s at %s, as %s does (two source racks go to one)", unitsText(a.low, a.top), a.toRack, dst, o.id),
						Do:  fmt.Sprintf("asset %s is written without a u in to: say where it goes", a.id)})
					a.comments = append(a.comments, fmt.Sprintf("%s of %s at %s are %s's too: u left out of to:", unitsText(a.low, a.top), a.toRack, dst, o.id))
				} else {
					a.toU = a.low
					toHeld[a.toRack] = append(toHeld[a.toRack], held{a.low, a.top, a.id})
				}
			}
		}
		switch d.DrawFrom {
		case "maximum":
			a.comments = append(a.comments, "power: the largest maximum draw of its power ports (NetBox has no allocated draw)")
		case "":
			unknownPower = append(unknownPower, a.id)
			a.comments = append(a.comments, "power unknown in NetBox: write its draw in watts")
		}
		assets = append(assets, a)
	}
	res.Assets = len(assets)
	if n := len(unknownPower); n > 0 {
		names := strings.Join(unknownPower[:min(n, 10)], ", ")
		if n > 10 {
			names += fmt.Sprintf(" and %d more", n-10)
		}
		res.Notes = append(res.Notes, fmt.Sprintf("%s no power draw in NetBox (no power port with an allocated or maximum draw): %s; write power: for each that draws any (L023 counts them 0 W)", have(n), names))
	}

	racks := destinationRacks(inv, assets, moving, dst, res)
	var b strings.Builder
	header(&b, inv, opt, src, dst, res)
	body(&b, inv, opt, src, dst, racks, assets)
	res.YAML = []byte(b.String())
	return res, nil
}

// unracked is 1 for a device in no rack, which the plan lists last.
func unracked(d *Device) int {
	if d.Rack == "" {
		return 1
	}
	return 0
}

// have says "1 asset has", "3 assets have".
func have(n int) string {
	if n == 1 {
		return "1 asset has"
	}
	return fmt.Sprintf("%d assets have", n)
}

// placeable says why a device cannot be an asset of the plan, and what to
// do, or ok.
func placeable(d *Device) (why, do string, ok bool) {
	switch {
	case !moves(d.Status):
		return fmt.Sprintf("its status in NetBox is %s", d.Status), "if it moves, set it active (or planned, staged) in NetBox and import again, or add it under assets: by hand; if it stays, nothing to do", false
	case d.Parent != "":
		bay := ""
		if d.Bay != "" {
			bay = " " + d.Bay
		}
		return fmt.Sprintf("it sits in device bay%s of %s", bay, d.Parent), fmt.Sprintf("it moves with %s; add it under assets: only if it is carried on its own", d.Parent), false
	case d.Rack == "":
		return "it is in no rack in NetBox", "say where it stands, and add it under assets: if it moves", false
	case d.HeightKnown && d.Height == 0:
		return fmt.Sprintf("it is a 0U device of rack %s (mounted on the side, e.g. a vertical PDU)", d.Rack), "it takes no rack unit: add it under assets: without u if it moves", false
	case d.Position <= 0:
		return fmt.Sprintf("it is in rack %s with no position in NetBox", d.Rack), "give it a position in NetBox and import again, or add it under assets: with its u", false
	}
	return "", "", true
}

// rackOut is a destination rack as the plan writes it.
type rackOut struct {
	name        string
	height      int
	power       int
	weight      float64
	used        []planner.Units
	usedPower   int
	usedWeight  float64
	comments    []string
	declaredNot bool
}

// destinationRacks returns the destination racks that receive assets,
// with what they can take and what stands in them already.
func destinationRacks(inv *Inventory, assets []*asset, moving map[int]bool, dst string, res *Result) []rackOut {
	if inv.To == nil {
		return nil
	}
	var names []string
	for _, a := range assets {
		if a.toRack != "" && !slices.Contains(names, a.toRack) {
			names = append(names, a.toRack)
		}
	}
	var out []rackOut
	var missing []string
	for _, name := range names {
		i := slices.IndexFunc(inv.Racks, func(r Rack) bool { return r.Name == name })
		if i < 0 {
			missing = append(missing, name)
			continue
		}
		r := inv.Racks[i]
		ro := rackOut{name: name, power: r.Power, weight: round1(r.MaxWeight)}
		start := max(r.StartingUnit, 1)
		taken := map[int]bool{}
		if r.Height > 0 {
			ro.height = start + r.Height - 1
			for u := 1; u < start; u++ {
				taken[u] = true
			}
			if start > 1 {
				ro.comments = append(ro.comments, fmt.Sprintf("NetBox numbers its units from U%d: U1-U%d are counted as used", start, start-1))
			}
		}
		noDraw, noHeight := 0, 0
		for k := range inv.Present {
			p := &inv.Present[k]
			if p.Rack != name || (p.ID > 0 && moving[p.ID]) {
				continue
			}
			ro.usedPower += p.Draw
			ro.usedWeight += p.Weight
			if p.Draw == 0 {
				noDraw++
			}
			if p.Position <= 0 || p.Parent != "" {
				continue
			}
			h := p.Height
			if !p.HeightKnown {
				h = 1
				noHeight++
			}
			if h == 0 {
				continue
			}
			low, top := int(math.Floor(p.Position)), int(math.Ceil(p.Position+h-1e-9))-1
			for u := low; u <= max(top, low); u++ {
				taken[u] = true
			}
		}
		ro.used = ranges(taken)
		ro.usedWeight = round1(ro.usedWeight)
		if noDraw > 0 {
			ro.comments = append(ro.comments, fmt.Sprintf("%d device(s) already in it have no power draw in NetBox: used_power counts the others", noDraw))
		}
		if noHeight > 0 {
			ro.comments = append(ro.comments, fmt.Sprintf("%d device(s) already in it have no known height: 1U assumed for each", noHeight))
		}
		if r.Power == 0 {
			ro.comments = append(ro.comments, "no active primary power feed in NetBox: its power budget is unknown, write power: (watts)")
			res.Notes = append(res.Notes, fmt.Sprintf("rack %s at %s has no active primary power feed in NetBox: its power budget is unknown (write power: in watts under its racks: entry)", name, dst))
		} else {
			ro.comments = append(ro.comments, fmt.Sprintf("power: %d W from %d primary feed(s), redundant feeds not counted", r.Power, r.Feeds))
		}
		if r.Height == 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("rack %s at %s has no height in NetBox: write height:", name, dst))
		}
		out = append(out, ro)
	}
	if len(missing) > 0 {
		names := make([]string, len(inv.Racks))
		for i, r := range inv.Racks {
			names[i] = r.Name
		}
		for _, m := range missing {
			res.Notes = append(res.Notes, fmt.Sprintf("rack %s does not exist at %s in NetBox: map it to one that does (--rack-map %s=DST, %s), or create it in NetBox and import again; nothing checks what goes into it until it is declared under sites: %s racks:", m, dst, m, planner.Hint(m, "racks at "+dst, names), dst))
		}
	}
	return out
}

// ranges turns a set of units into ranges.
func ranges(taken map[int]bool) []planner.Units {
	var us []int
	for u := range taken {
		us = append(us, u)
	}
	slices.Sort(us)
	var out []planner.Units
	for _, u := range us {
		if n := len(out); n > 0 && out[n-1].Top == u-1 {
			out[n-1].Top = u
			continue
		}
		out = append(out, planner.Units{Low: u, Top: u})
	}
	return out
}

// header writes the comment block that opens the plan: where it comes
// from, what was read how, what the lead must complete, and the devices
// that need a decision.
func header(b *strings.Builder, inv *Inventory, opt PlanOptions, src, dst string, res *Result) {
	what := "site " + inv.From.Slug
	if inv.Tag != "" {
		what += ", devices tagged " + inv.Tag
	}
	if inv.To != nil {
		what += ", to site " + inv.To.Slug
	}
	fmt.Fprintf(b, "# A dcmove plan imported from %s on %s (%s).\n", comment(inv.Source), opt.Now.Format("2006-01-02"), comment(what))
	b.WriteString("# It is a skeleton: complete it, then run dcmove plan check on it.\n#\n")
	b.WriteString("# TODO before the plan is real:\n")
	b.WriteString("#   - lead and crew: placeholders named \"TODO ...\"; write your people, their roles and shifts\n")
	b.WriteString("#   - window: placeholder dates four weeks ahead; write the move's window\n")
	b.WriteString("#   - cooldown: of each powered asset (L011), and services, checks, stakeholders, backups, transport\n")
	if inv.To == nil {
		b.WriteString("#   - to: of each asset that moves (imported without --to-site, nothing moves yet)\n")
	}
	b.WriteString("#\n# What was read from NetBox, and how:\n")
	b.WriteString("#   from      the device's rack and position (the lowest unit it takes)\n")
	if inv.To != nil {
		if len(opt.RackMap) > 0 {
			fmt.Fprintf(b, "#   to        the same unit, at %s, in the rack --rack-map names (else the same rack name)\n", dst)
		} else {
			fmt.Fprintf(b, "#   to        the same rack name and unit at %s (--rack-map SRC=DST to change a rack)\n", dst)
		}
	}
	b.WriteString("#   height    the device type's height, rounded up to whole units (a 0.5U device takes 1U)\n")
	b.WriteString("#   power     watts: the sum of its power ports' allocated draw, else the largest maximum draw of a port\n")
	b.WriteString("#   weight    kilograms: the device type's weight\n")
	b.WriteString("#   kind      from the device role (…switch, leaf, spine: switch; …firewall: firewall; …server: server)\n")
	if inv.To != nil {
		fmt.Fprintf(b, "#   racks     the racks of %s that receive assets: height, power (the available power of their active\n", dst)
		b.WriteString("#             primary feeds), weight (max weight), and what stands in them already (used, used_power,\n")
		b.WriteString("#             used_weight); dcmove plan check checks what moves in against them (L022 to L024)\n")
	}
	if len(res.Decisions) > 0 {
		fmt.Fprintf(b, "#\n# Needs a decision (%d):\n", len(res.Decisions))
		for _, d := range res.Decisions {
			wrap(b, "#   - ", "#     ", comment(d.String()))
		}
	}
	if len(res.Notes) > 0 {
		fmt.Fprintf(b, "#\n# Check also:\n")
		for _, n := range res.Notes {
			wrap(b, "#   - ", "#     ", comment(n))
		}
	}
}

// body writes the plan itself.
func body(b *strings.Builder, inv *Inventory, opt PlanOptions, src, dst string, racks []rackOut, assets []*asset) {
	name := src + "-move"
	title := "Move out of " + cmp.Or(inv.From.Name, inv.From.Slug)
	if inv.To != nil {
		name = src + "-to-" + dst
		title = "Move from " + cmp.Or(inv.From.Name, inv.From.Slug) + " to " + cmp.Or(inv.To.Name, inv.To.Slug)
	}
	if len(name) > planner.MaxIDLength {
		name = name[:planner.MaxIDLength]
	}
	fmt.Fprintf(b, "plan: %s\ntitle: %s\n", name, scalar(title))
	b.WriteString("lead: TODO lead # TODO: the crew member who leads the move\n")
	b.WriteString("runbook: weekend-cutover\n")

	tz := inv.From.TimeZone
	loc, err := time.LoadLocation(tz)
	if tz == "" || tz == "Local" || err != nil {
		tz, loc = "UTC", time.UTC
	}
	start := opt.Now.In(loc).AddDate(0, 0, 28)
	for start.Weekday() != time.Saturday {
		start = start.AddDate(0, 0, 1)
	}
	start = time.Date(start.Year(), start.Month(), start.Day(), 8, 0, 0, 0, loc)
	end := time.Date(start.Year(), start.Month(), start.Day()+1, 20, 0, 0, 0, loc)
	b.WriteString("\n# TODO: the move's window; these dates are placeholders.\n")
	fmt.Fprintf(b, "window:\n  start: %s\n  end: %s\n  timezone: %s", start.Format("2006-01-02 15:04"), end.Format("2006-01-02 15:04"), tz)
	if tz != inv.From.TimeZone {
		fmt.Fprintf(b, " # TODO: NetBox gives site %s no time zone", comment(inv.From.Slug))
	}
	b.WriteString("\n\nsites:\n")
	fmt.Fprintf(b, "  - id: %s\n    title: %s\n", src, scalar(cmp.Or(inv.From.Name, inv.From.Slug)))
	if inv.To != nil {
		fmt.Fprintf(b, "  - id: %s\n    title: %s\n", dst, scalar(cmp.Or(inv.To.Name, inv.To.Slug)))
		if len(racks) > 0 {
			b.WriteString("    racks:\n")
		}
		for _, r := range racks {
			for _, c := range r.comments {
				fmt.Fprintf(b, "      # %s: %s\n", comment(r.name), comment(c))
			}
			var f []string
			f = append(f, "id: "+scalar(r.name))
			if r.height > 0 {
				f = append(f, fmt.Sprintf("height: %d", r.height))
			}
			if r.power > 0 {
				f = append(f, fmt.Sprintf("power: %d", r.power))
			}
			if r.weight > 0 {
				f = append(f, "weight: "+trimFloat(r.weight))
			}
			if len(r.used) > 0 {
				us := make([]string, len(r.used))
				for i, u := range r.used {
					us[i] = u.String()
				}
				f = append(f, "used: ["+strings.Join(us, ", ")+"]")
			}
			if r.usedPower > 0 {
				f = append(f, fmt.Sprintf("used_power: %d", r.usedPower))
			}
			if r.usedWeight > 0 {
				f = append(f, "used_weight: "+trimFloat(r.usedWeight))
			}
			fmt.Fprintf(b, "      - {%s}\n", strings.Join(f, ", "))
		}
	}

	b.WriteString("\n# TODO: your crew, by name, with their roles and shifts; the runbook asks for lead, network, tech and app.\n")
	b.WriteString("crew:\n")
	for _, r := range []string{"lead", "network", "tech", "app"} {
		fmt.Fprintf(b, "  - {name: TODO %s, roles: [%s]}\n", r, r)
	}

	b.WriteString("\nassets:")
	if len(assets) == 0 {
		b.WriteString(" [] # nothing to place: see \"needs a decision\" above")
	}
	b.WriteString("\n")
	for _, a := range assets {
		d := a.dev
		fmt.Fprintf(b, "  - id: %s # %s\n", a.id, comment(reference(d, a.id)))
		for _, c := range a.comments {
			fmt.Fprintf(b, "    # %s\n", comment(c))
		}
		if k := kindOf(d.Role); k != "" {
			fmt.Fprintf(b, "    kind: %s\n", k)
		}
		if t := strings.TrimSpace(d.Manufacturer + " " + d.Type); t != "" {
			if d.Face == "rear" {
				t += ", rear-mounted"
			}
			fmt.Fprintf(b, "    title: %s\n", scalar(t))
		}
		fmt.Fprintf(b, "    from: {site: %s, rack: %s%s}\n", src, scalar(d.Rack), unitField(a.low))
		if inv.To != nil {
			fmt.Fprintf(b, "    to: {site: %s, rack: %s%s}\n", dst, scalar(a.toRack), unitField(a.toU))
		}
		fmt.Fprintf(b, "    height: %d\n", a.height)
		if d.Draw > 0 {
			fmt.Fprintf(b, "    power: %d\n", d.Draw)
		}
		if d.Weight > 0 {
			fmt.Fprintf(b, "    weight: %s\n", trimFloat(round1(d.Weight)))
		}
	}
}

// reference says where the asset comes from: "NetBox device 17", or
// "NetBox \"web01.pa2\", device 17" when the name had to change.
func reference(d *Device, id string) string {
	where := d.At
	if d.ID > 0 {
		where = fmt.Sprintf("NetBox device %d", d.ID)
	}
	switch d.Name {
	case id:
	case "":
		return "unnamed, " + where
	default:
		return fmt.Sprintf("%q, %s", d.Name, where)
	}
	return where
}

func unitField(u int) string {
	if u < 1 {
		return ""
	}
	return fmt.Sprintf(", u: %d", u)
}

func unitsText(low, top int) string {
	return planner.Units{Low: low, Top: max(top, low)}.String()
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// siteID is the plan's id of a site: its slug, made an id.
func siteID(s *Site) string {
	return cmp.Or(idOf(s.Slug), idOf(s.Name), "site")
}

var notID = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// idOf makes s a dcmove id: letters, digits, '-' and '_', starting with a
// letter or digit; "" when nothing is left.
func idOf(s string) string {
	s = notID.ReplaceAllString(strings.TrimSpace(s), "-")
	s = strings.Trim(s, "-_")
	if len(s) > planner.MaxIDLength {
		s = strings.TrimRight(s[:planner.MaxIDLength], "-_")
	}
	return s
}

// assetID returns a unique asset id for the device: its name made an id,
// else device-ID; a name taken already gets the NetBox id (or a number).
func assetID(d *Device, taken map[string]bool) string {
	id := idOf(d.Name)
	if id == "" {
		if d.ID > 0 {
			id = fmt.Sprintf("device-%d", d.ID)
		} else {
			id = "device"
		}
	}
	if taken[id] {
		base := id
		if d.ID > 0 {
			id = fmt.Sprintf("%s-%d", base, d.ID)
		}
		for n := 2; taken[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
	}
	taken[id] = true
	return id
}

// kindOf turns a device role into an asset kind: the kinds the runbook
// knows for the words that name them, else the role itself.
func kindOf(role string) string {
	r := strings.ToLower(idOf(role))
	words := strings.FieldsFunc(r, func(c rune) bool { return c == '-' || c == '_' })
	has := func(ws ...string) bool {
		for _, w := range words {
			if slices.Contains(ws, w) {
				return true
			}
		}
		return false
	}
	switch {
	case r == "":
		return ""
	case has("firewall", "firewalls", "fw", "utm"):
		return "firewall"
	case has("lb", "loadbalancer", "adc") || strings.Contains(r, "load-balancer"):
		return "load-balancer"
	case has("router", "routers", "gateway"):
		return "router"
	case has("switch", "switches", "leaf", "spine", "tor", "access", "core", "distribution", "aggregation"):
		return "switch"
	case has("patch", "patchpanel") || strings.Contains(r, "patch-panel"):
		return "patch-panel"
	case has("pdu", "pdus"):
		return "pdu"
	case has("server", "servers", "compute", "hypervisor", "host", "hosts", "node"):
		return "server"
	case has("storage", "san", "nas", "array"):
		return "storage"
	}
	return r
}

// plain are the texts YAML reads as themselves without quotes, and that
// are no other YAML value (a number, true, null).
var plain = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9 ._/()+-]*[A-Za-z0-9.)]$|^[A-Za-z]$`)

// scalar writes s as a YAML scalar: plain when that reads back the same,
// else double-quoted.
func scalar(s string) string {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~":
		return strconv.Quote(s)
	}
	if plain.MatchString(s) && !strings.Contains(s, " #") && !strings.Contains(s, ": ") {
		return s
	}
	return strconv.Quote(s)
}

// comment makes s safe inside a YAML comment: one line, printable.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// wrap writes text as comment lines of at most about 100 characters.
func wrap(b *strings.Builder, first, rest, text string) {
	const width = 100
	prefix := first
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(prefix)+len(line)+1+len(w) > width {
			b.WriteString(prefix + line + "\n")
			prefix, line = rest, ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	b.WriteString(prefix + line + "\n")
}

// naturalCompare orders names with their numbers by value: R2 before R10.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
