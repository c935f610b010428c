package planner

import (
	"cmp"
	"fmt"
	"github.com/dcmove/dcmove/events"
	"slices"
	"sort"
	"strings"
	"time"
)

// Runbook is a plan's work, ready to schedule: the steps a template
// expanded into plus the plan's own, the phases with their timing, and the
// trips the moved equipment travels in.
type Runbook struct {
	Name   string
	Phases []Phase
	Steps  []Step
	Trips  []Trip
}

// Trip is one journey of a vehicle between the sites, carrying assets.
type Trip struct {
	ID      string
	Vehicle string
	Assets  []string
	Height  int // rack units carried
}

// Timing returns the timing of a phase: "before", "window" or "after".
// Phases the runbook does not declare are in the window.
func (r *Runbook) Timing(phase string) string {
	for _, ph := range r.Phases {
		if ph.ID == phase {
			return ph.Timing
		}
	}
	return "window"
}

// Step returns the runbook's step with that id.
func (r *Runbook) Step(id string) (*Step, bool) {
	for i := range r.Steps {
		if r.Steps[i].ID == id {
			return &r.Steps[i], true
		}
	}
	return nil, false
}

// item is one thing of the plan a template step can be expanded for.
type item struct {
	id, title string
	preds     map[string]bool
	rel       map[string][]string // relation -> related item ids
	duration  Duration            // for duration: item
	role      string
	vehicle   string
	// what the expanded step is about
	asset, service, rule, stakeholder, site, domain string
}

// Expand turns the plan into its runbook: t's steps expanded for the plan's
// items, then the plan's own steps. With a nil template the plan's steps
// are the runbook. Errors name the template or plan position at fault.
func Expand(p *Plan, t *Template) (*Runbook, error) {
	rb := &Runbook{}
	var errs Errors
	if t != nil {
		rb.Name = t.Name
		rb.Phases = slices.Clone(t.Phases)
		var err error
		if rb.Trips, err = packTrips(p); err != nil {
			return nil, err
		}
		items := itemsOf(p, rb.Trips)
		// instances[template step id][item id] = expanded step id
		instances := map[string]map[string]string{}
		expanded := map[string][]string{} // template step id -> expansions in order
		kindOf := map[string]string{}
		var made []Step
		var from []TemplateStep // template step of each made step
		var fromItem []item
		for _, ts := range t.Steps {
			kindOf[ts.ID] = ts.For
			instances[ts.ID] = map[string]string{}
			for _, it := range items[ts.For] {
				if !matches(it, ts.Where) {
					continue
				}
				s := Step{
					ID:          subst(ts.ID, it),
					Title:       subst(ts.Title, it),
					Phase:       ts.Phase,
					Duration:    ts.Duration,
					Role:        ts.Role,
					Gate:        ts.Gate,
					BackoutOnly: ts.BackoutOnly,
					Kind:        ts.Kind,
					Timer:       ts.Timer,
					Asset:       it.asset,
					Service:     it.service,
					Rule:        it.rule,
					Domain:      it.domain,
					Require:     ts.Require,
					Stakeholder: it.stakeholder,
					Site:        it.site,
					Template:    ts.ID,
					Pos:         ts.Pos,
				}
				if ts.ItemDuration {
					s.Duration = it.duration
					if s.Duration.Likely <= 0 {
						errs = append(errs, &Error{Pos: ts.Pos, Msg: fmt.Sprintf("template step %q takes its duration from %s %q, which has none", ts.ID, strings.TrimSuffix(ts.For, "s"), it.id)})
						continue
					}
				}
				if ts.GracePeriod {
					s.Duration = p.GraceDuration()
				}
				if it.role != "" {
					s.Role = it.role
				}
				for _, n := range ts.Needs {
					s.Needs = append(s.Needs, Need{Resource: subst(n.Resource, it), Amount: n.Amount})
				}
				instances[ts.ID][it.id] = s.ID
				expanded[ts.ID] = append(expanded[ts.ID], s.ID)
				made = append(made, s)
				from = append(from, ts)
				fromItem = append(fromItem, it)
			}
		}
		resolve := func(refs []string, it item) []string {
			var out []string
			for _, ref := range refs {
				target, rel := splitRef(ref)
				inst := instances[target]
				switch {
				case kindOf[target] == "":
					if id, ok := inst[""]; ok {
						out = append(out, id)
					}
				case rel == "*":
					out = append(out, expanded[target]...)
				case rel == "":
					if id, ok := inst[it.id]; ok {
						out = append(out, id)
					}
				default:
					for _, other := range it.rel[rel] {
						if id, ok := inst[other]; ok {
							out = append(out, id)
						}
					}
				}
			}
			return dedupe(out)
		}
		for i := range made {
			made[i].After = resolve(from[i].After, fromItem[i])
			made[i].Backout = resolve(from[i].Backout, fromItem[i])
		}
		rb.Steps = made
		twoWaves(p, rb)
	}
	seen := map[string]Pos{}
	for _, s := range rb.Steps {
		seen[s.ID] = s.Pos
	}
	for _, s := range p.Steps {
		if at, dup := seen[s.ID]; dup {
			errs = append(errs, &Error{Pos: s.Pos, Msg: fmt.Sprintf("step %q is also a step of runbook %s (from %s); give the plan's step another id", s.ID, rb.Name, at)})
			continue
		}
		seen[s.ID] = s.Pos
		rb.Steps = append(rb.Steps, s)
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, s := range rb.Steps {
		for _, a := range append(slices.Clone(s.After), s.Backout...) {
			if _, ok := seen[a]; !ok {
				errs = append(errs, &Error{Pos: s.Pos, Msg: fmt.Sprintf("step %q refers to unknown step %q; %s", s.ID, a, Hint(a, "steps", ids))})
			}
		}
	}
	if len(errs) == 0 {
		if cycle := findCycle(rb.Steps); cycle != nil {
			first, _ := rb.Step(cycle[0])
			errs = append(errs, &Error{Pos: first.Pos, Msg: "steps depend on each other in a circle: " + strings.Join(append(cycle, cycle[0]), " -> ")})
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs
	}
	if t == nil {
		for _, s := range rb.Steps {
			if !slices.ContainsFunc(rb.Phases, func(ph Phase) bool { return ph.ID == s.Phase }) {
				rb.Phases = append(rb.Phases, Phase{ID: s.Phase, Title: s.Phase, Timing: "window"})
			}
		}
	}
	return rb, nil
}

func matches(it item, where []string) bool {
	for _, w := range where {
		if !it.preds[w] {
			return false
		}
	}
	return true
}

// subst replaces <id> and <title> (and <vehicle>) with the item's.
func subst(s string, it item) string {
	return strings.NewReplacer("<id>", it.id, "<title>", it.title, "<vehicle>", it.vehicle).Replace(s)
}

func dedupe(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// itemsOf lists the plan's items per kind, in file order.
func itemsOf(p *Plan, trips []Trip) map[string][]item {
	tripOf := map[string]string{}
	for _, t := range trips {
		for _, a := range t.Assets {
			tripOf[a] = t.ID
		}
	}
	hosts := map[string][]string{} // service -> assets
	for _, a := range p.Assets {
		for _, s := range a.Services {
			hosts[s] = append(hosts[s], a.ID)
		}
	}
	dependents := map[string][]string{}
	for _, s := range p.Services {
		for _, d := range s.DependsOn {
			dependents[d] = append(dependents[d], s.ID)
		}
	}
	out := map[string][]item{"": {{preds: map[string]bool{}}}}
	for _, a := range p.Assets {
		network := slices.Contains([]string{"firewall", "switch", "router", "load-balancer", "patch-panel"}, a.Kind)
		moved := a.Moved()
		it := item{id: a.ID, title: cmp.Or(a.Title, a.ID), asset: a.ID,
			duration: Duration{a.Cooldown, a.Cooldown, a.Cooldown},
			preds: map[string]bool{
				"moved": moved, "decommission": a.Decommission, "powered": moved && a.Power > 0,
				"cooldown": moved && a.Cooldown > 0, "nonstandard": !a.Standard,
				"network": network, "server": !network,
			},
			rel: map[string][]string{"services": a.Services}}
		if t, ok := tripOf[a.ID]; ok {
			it.rel["trip"] = []string{t}
		}
		out["assets"] = append(out["assets"], it)
	}
	for _, s := range p.Services {
		moved := false
		for _, h := range hosts[s.ID] {
			for _, a := range p.Assets {
				if a.ID == h && a.Moved() {
					moved = true
				}
			}
		}
		out["services"] = append(out["services"], item{id: s.ID, title: cmp.Or(s.Title, s.ID), service: s.ID,
			preds: map[string]bool{"vital": s.Vital, "nonvital": !s.Vital, "moved": moved, "stops": moved && !s.KeepUp, "keepup": moved && s.KeepUp},
			rel:   map[string][]string{"assets": hosts[s.ID], "depends_on": s.DependsOn, "dependents": dependents[s.ID]}})
	}
	for _, s := range p.Stakeholders {
		out["stakeholders"] = append(out["stakeholders"], item{id: s.ID, title: cmp.Or(s.Title, s.ID), stakeholder: s.ID,
			preds: map[string]bool{"ack": s.Ack}})
	}
	for _, r := range p.FirewallRules {
		title := r.Title
		if title == "" {
			title = fmt.Sprintf("%s -> %s %s", r.Source, r.Destination, r.Ports)
		}
		out["firewall_rules"] = append(out["firewall_rules"], item{id: r.ID, title: title, rule: r.ID,
			preds: map[string]bool{"obsolete": r.Obsolete, "kept": !r.Obsolete}})
	}
	for _, d := range p.Domains {
		out["domains"] = append(out["domains"], item{id: strings.ReplaceAll(d.Name, ".", "-"), title: d.Name, service: d.Service, domain: d.Name,
			preds: map[string]bool{}})
	}
	for _, b := range p.Backups {
		out["backups"] = append(out["backups"], item{id: b.ID, title: b.ID + " of " + b.Of, asset: b.Of,
			preds: map[string]bool{"offsite": b.OffSite(p)}, rel: map[string][]string{"of": {b.Of}}})
	}
	for _, s := range p.Sites {
		for _, pr := range s.Access {
			out["procedures"] = append(out["procedures"], item{id: s.ID + "-" + pr.ID, title: cmp.Or(pr.Title, pr.ID) + " at " + cmp.Or(s.Title, s.ID),
				site: s.ID, duration: pr.Duration, role: pr.Role,
				preds: map[string]bool{"enter": pr.When == "enter", "exit": pr.When == "exit"}})
		}
	}
	for _, t := range trips {
		var v Vehicle
		for _, x := range p.Transport {
			if x.ID == t.Vehicle {
				v = x
			}
		}
		out["trips"] = append(out["trips"], item{id: t.ID, title: fmt.Sprintf("%s (%s: %s)", t.ID, cmp.Or(v.Title, v.ID), strings.Join(t.Assets, ", ")),
			duration: v.Trip, vehicle: v.ID, preds: map[string]bool{},
			rel: map[string][]string{"assets": t.Assets}})
	}
	return out
}

// packTrips loads the moved assets into trips of the largest vehicle, first
// fit decreasing by height, so that no trip carries more rack units or
// pieces than the vehicle holds. With no vehicle there are no trips.
func packTrips(p *Plan) ([]Trip, error) {
	if len(p.Transport) == 0 {
		return nil, nil
	}
	v := p.Transport[0]
	for _, x := range p.Transport[1:] {
		if x.CapacityU > v.CapacityU || (x.CapacityU == v.CapacityU && x.CapacityItems > v.CapacityItems) {
			v = x
		}
	}
	type load struct {
		id     string
		height int
	}
	var loads []load
	for _, a := range p.Assets {
		if !a.Moved() {
			continue
		}
		h := max(a.Height, 1)
		if v.CapacityU > 0 && h > v.CapacityU {
			return nil, Errors{&Error{Pos: a.Pos, Msg: fmt.Sprintf("asset %s is %dU but vehicle %s carries at most %dU a trip; declare a larger vehicle in transport", a.ID, h, v.ID, v.CapacityU)}}
		}
		loads = append(loads, load{a.ID, h})
	}
	sort.SliceStable(loads, func(i, j int) bool { return loads[i].height > loads[j].height })
	// The second wave of a service kept up travels in trips of its own,
	// after the first: it leaves only once the first is back on.
	second := secondWave(p)
	slices.SortStableFunc(loads, func(a, b load) int {
		switch {
		case second[a.id] == second[b.id]:
			return 0
		case second[a.id]:
			return 1
		}
		return -1
	})
	var trips []Trip
	firstOfSecond := -1
	for _, l := range loads {
		if second[l.id] && firstOfSecond < 0 {
			firstOfSecond = len(trips)
		}
		placed := false
		for i := range trips {
			if second[l.id] && i < firstOfSecond {
				continue
			}
			t := &trips[i]
			if (v.CapacityU == 0 || t.Height+l.height <= v.CapacityU) && (v.CapacityItems == 0 || len(t.Assets) < v.CapacityItems) {
				t.Assets, t.Height, placed = append(t.Assets, l.id), t.Height+l.height, true
				break
			}
		}
		if !placed {
			trips = append(trips, Trip{ID: fmt.Sprintf("trip-%d", len(trips)+1), Vehicle: v.ID, Assets: []string{l.id}, Height: l.height})
		}
	}
	return trips, nil
}

// findCycle returns the ids of a dependency cycle among steps, or nil.
func findCycle(steps []Step) []string {
	idx := map[string]int{}
	for i, s := range steps {
		idx[s.ID] = i
	}
	state := make([]int8, len(steps)) // 0 new, 1 on stack, 2 done
	var stack []string
	var found []string
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = 1
		stack = append(stack, steps[i].ID)
		for _, a := range steps[i].After {
			j, ok := idx[a]
			if !ok {
				continue
			}
			if state[j] == 1 {
				k := slices.Index(stack, a)
				found = slices.Clone(stack[k:])
				return true
			}
			if state[j] == 0 && visit(j) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
		return false
	}
	for i := range steps {
		if state[i] == 0 && visit(i) {
			return found
		}
	}
	return nil
}

// GraceDuration is the plan's grace period as an estimate, for the
// template step that waits it out.
func (p *Plan) GraceDuration() Duration {
	g := p.GracePeriod
	if g == 0 {
		g = 10 * 24 * time.Hour
	}
	return Duration{g, g, g}
}

// Waves returns, for a service kept up, its moved hosts in plan order
// split into the two waves they move in: the first half, then the rest.
func (p *Plan) Waves(sv Service) (first, second []string) {
	var hosts []string
	for _, a := range p.Assets {
		if a.Moved() && slices.Contains(a.Services, sv.ID) {
			hosts = append(hosts, a.ID)
		}
	}
	return hosts[:len(hosts)/2], hosts[len(hosts)/2:]
}

// secondWave are the moved assets of the second wave of the services kept
// up (with two moved hosts or more).
func secondWave(p *Plan) map[string]bool {
	out := map[string]bool{}
	for _, sv := range p.Services {
		if first, second := p.Waves(sv); sv.KeepUp && len(first) > 0 {
			for _, h := range second {
				out[h] = true
			}
		}
	}
	return out
}

// twoWaves moves the hosts of each service kept up in two waves: the first
// half of its moved hosts (in plan order), then the rest, whose shutdown
// waits until every host of the first wave is powered on at the
// destination; the service's validation waits for both waves.
func twoWaves(p *Plan, rb *Runbook) {
	for _, sv := range p.Services {
		first, second := p.Waves(sv)
		if !sv.KeepUp || len(first) == 0 {
			continue // fewer than two hosts: an error of the plan's check
		}
		stepsOf := func(kind events.StepKind, assets ...[]string) []string {
			var out []string
			for _, st := range rb.Steps {
				if st.Kind == kind && slices.Contains(slices.Concat(assets...), st.Asset) && !st.BackoutOnly {
					out = append(out, st.ID)
				}
			}
			return out
		}
		poweredOn, all := stepsOf(events.KindPowerOn, first), stepsOf(events.KindPowerOn, first, second)
		for i := range rb.Steps {
			st := &rb.Steps[i]
			switch {
			case st.Kind == events.KindShutdown && slices.Contains(second, st.Asset) && !st.BackoutOnly:
				st.After = dedupe(append(st.After, poweredOn...))
			case st.Kind == events.KindValidate && st.Service == sv.ID:
				st.After = dedupe(append(st.After, all...))
			}
		}
	}
}
