package planner

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// check reports what can only be seen once the whole plan is decoded:
// duplicate names and ids, references to nothing, and cycles.
func (d *decoder) check(p *Plan) {
	roles := d.checkCrew(p)

	sites := d.unique("site", len(p.Sites), func(i int) (string, Pos) { return p.Sites[i].ID, d.pos(d.sites[i].id) })
	for i, s := range p.Sites {
		seen := map[string]int{}
		for k, pr := range s.Access {
			if first, dup := seen[pr.ID]; dup {
				d.errs = append(d.errs, &Error{Pos: pr.Pos, Msg: fmt.Sprintf("site %q has two access procedures %q (first at line %d); ids must be unique within a site", s.ID, pr.ID, first)})
			}
			seen[pr.ID] = pr.Pos.Line
			if n := d.sites[i].roles[k]; n != nil && !slices.Contains(roles, pr.Role) {
				d.errorf(n, "access procedure %q of site %q needs role %q but nobody in crew has it; %s", pr.ID, s.ID, pr.Role, Hint(pr.Role, "roles in crew", roles))
			}
		}
	}

	vehicles := d.unique("vehicle", len(p.Transport), func(i int) (string, Pos) { return p.Transport[i].ID, d.pos(d.vehicles[i]) })
	resources := d.unique("resource", len(p.Resources), func(i int) (string, Pos) { return p.Resources[i].ID, d.pos(d.resources[i]) })
	for i, r := range p.Resources {
		if k := slices.IndexFunc(p.Transport, func(v Vehicle) bool { return v.ID == r.ID }); k >= 0 {
			d.errorf(d.resources[i], "resource id %q is also a vehicle id (line %d); steps name both in needs, so give them different ids", r.ID, p.Transport[k].Pos.Line)
		}
	}

	assets := d.unique("asset", len(p.Assets), func(i int) (string, Pos) { return p.Assets[i].ID, p.Assets[i].Pos })
	services := d.unique("service", len(p.Services), func(i int) (string, Pos) { return p.Services[i].ID, d.pos(d.services[i].id) })
	for i, a := range p.Assets {
		nodes := d.assets[i]
		if nodes.from != nil {
			d.known(nodes.from, sites, "sites in the plan", "asset %q is from unknown site %q", a.ID, a.From.Site)
		}
		if nodes.to != nil {
			d.known(nodes.to, sites, "sites in the plan", "asset %q goes to unknown site %q", a.ID, a.To.Site)
		}
		if nodes.decommission != nil && a.To.Site != "" {
			d.errorf(nodes.decommission, "asset %q is decommissioned but has a to; remove to (the asset stays and is retired) or decommission (it moves)", a.ID)
		}
		for k, n := range nodes.services {
			if slices.Contains(a.Services[:k], a.Services[k]) {
				d.errorf(n, "asset %q lists service %q twice; remove one", a.ID, a.Services[k])
				continue
			}
			d.known(n, services, "services in the plan", "asset %q runs unknown service %q", a.ID, a.Services[k])
		}
	}
	d.checkRacks(p)
	d.checkServices(p, services)

	var checks []Check
	for _, a := range p.Assets {
		checks = append(checks, a.Checks...)
	}
	for _, s := range p.Services {
		checks = append(checks, s.Checks...)
	}
	for _, dom := range p.Domains {
		checks = append(checks, dom.Checks...)
	}
	d.unique("check", len(checks), func(i int) (string, Pos) { return checks[i].ID, d.pos(d.checks[i]) })

	rules := d.unique("firewall rule", len(p.FirewallRules), func(i int) (string, Pos) { return p.FirewallRules[i].ID, d.pos(d.rules[i]) })
	firstDomain := map[string]int{}
	for i, dom := range p.Domains {
		nodes := d.domains[i]
		if first, dup := firstDomain[strings.ToLower(dom.Name)]; dup {
			d.errorf(nodes.name, "domain %q is listed twice (first at line %d); keep one", dom.Name, first)
		} else {
			firstDomain[strings.ToLower(dom.Name)] = nodes.name.Line
		}
		if nodes.service != nil {
			d.known(nodes.service, services, "services in the plan", "domain %q points at unknown service %q", dom.Name, dom.Service)
		}
	}
	d.unique("backup", len(p.Backups), func(i int) (string, Pos) { return p.Backups[i].ID, d.pos(d.backups[i].id) })
	for i, b := range p.Backups {
		nodes := d.backups[i]
		if nodes.of != nil {
			d.known(nodes.of, assets, "assets in the plan", "backup %q is of unknown asset %q", b.ID, b.Of)
		}
		if nodes.storedOn != nil && !strings.Contains(b.StoredOn, ":") && !slices.Contains(assets, b.StoredOn) {
			d.errorf(nodes.storedOn, "backup %q is stored on unknown asset %q; %s, or name a place outside the plan with a colon, e.g. stored_on: offsite:s3-paris", b.ID, b.StoredOn, Hint(b.StoredOn, "assets in the plan", assets))
		}
	}
	d.unique("stakeholder", len(p.Stakeholders), func(i int) (string, Pos) { return p.Stakeholders[i].ID, d.pos(d.stakeholders[i]) })

	d.checkSteps(p, roles, assets, services, rules, slices.Concat(resources, vehicles))
}

// checkCrew reports crew members listed twice and a lead who is not in the
// crew, and returns every role in the crew.
func (d *decoder) checkCrew(p *Plan) []string {
	crew := make([]string, 0, len(p.Crew))
	firstCrew := map[string]Pos{}
	var roles []string
	for _, c := range p.Crew {
		if first, dup := firstCrew[c.Name]; dup {
			d.errs = append(d.errs, &Error{Pos: c.Pos, Msg: fmt.Sprintf("crew member %q is listed twice (first at line %d); keep one and merge the roles", c.Name, first.Line)})
			continue
		}
		firstCrew[c.Name] = c.Pos
		crew = append(crew, c.Name)
		for _, r := range c.Roles {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	if d.lead != nil && !slices.Contains(crew, p.Lead) {
		d.errorf(d.lead, "lead %q is not in crew; %s", p.Lead, Hint(p.Lead, "crew members", crew))
	}
	d.checkCrewKeys(p)
	return roles
}

// checkCrewKeys reports a key given to two members and, in a plan that
// lists keys (its runs require signed actions), a member without one.
func (d *decoder) checkCrewKeys(p *Plan) {
	if !p.RequiresKeys() {
		return
	}
	owner := map[string]Person{}
	for _, c := range p.Crew {
		if c.Key == "" {
			d.errs = append(d.errs, &Error{Pos: c.Pos, Msg: fmt.Sprintf("crew member %q has no key, but other members have one: a plan that lists keys requires one for everyone (make one with: dcmove keys new %q --out FILE, and paste the key: line it prints)", c.Name, c.Name)})
			continue
		}
		if first, dup := owner[c.Key]; dup && first.Name != c.Name {
			d.errs = append(d.errs, &Error{Pos: c.KeyPos, Msg: fmt.Sprintf("crew member %q has the key of %q (line %d): each person needs a key of their own (dcmove keys new %q --out FILE)", c.Name, first.Name, first.KeyPos.Line, c.Name)})
			continue
		}
		owner[c.Key] = c
	}
}

// unique returns the ids of a list of n items in file order, reporting
// each id defined twice at the later definition. at returns the id of the
// item i and where it is defined.
func (d *decoder) unique(noun string, n int, at func(i int) (string, Pos)) []string {
	ids := make([]string, 0, n)
	first := map[string]int{}
	for i := range n {
		id, pos := at(i)
		if line, dup := first[id]; dup {
			d.errs = append(d.errs, &Error{Pos: pos, Msg: fmt.Sprintf("duplicate %s id %q (first defined at line %d); ids must be unique", noun, id, line)})
			continue
		}
		first[id] = pos.Line
		ids = append(ids, id)
	}
	return ids
}

// known reports the reference in n unless it is one of ids, with a hint
// at what was meant; the message is format with args.
func (d *decoder) known(n *yaml.Node, ids []string, noun, format string, args ...any) {
	if !slices.Contains(ids, n.Value) {
		d.errorf(n, "%s; %s", fmt.Sprintf(format, args...), Hint(n.Value, noun, ids))
	}
}

// checkRacks reports assets given the same rack units, where they stand
// now or where they go.
func (d *decoder) checkRacks(p *Plan) {
	type slot struct {
		asset    string
		place    Place
		low, top int
	}
	for _, to := range []bool{false, true} {
		var taken []slot
		for _, a := range p.Assets {
			pl := a.From
			if to {
				if !a.Moved() {
					continue
				}
				pl = a.To
			}
			if pl.Rack == "" || pl.U < 1 {
				continue
			}
			s := slot{a.ID, pl, pl.U, pl.U + max(a.Height, 1) - 1}
			for _, t := range taken {
				if t.place.Site == pl.Site && t.place.Rack == pl.Rack && s.low <= t.top && t.low <= s.top {
					d.errs = append(d.errs, &Error{Pos: pl.Pos, Msg: fmt.Sprintf("asset %q takes %s of rack %s at %s, which overlaps asset %q (%s, line %d); give each asset its own rack units", a.ID, units(s.low, s.top), pl.Rack, pl.Site, t.asset, units(t.low, t.top), t.place.Pos.Line)})
					break
				}
			}
			taken = append(taken, s)
		}
	}
}

// units formats a range of rack units: "U10", "U10-U11".
func units(low, top int) string {
	if low == top {
		return fmt.Sprintf("U%d", low)
	}
	return fmt.Sprintf("U%d-U%d", low, top)
}

// checkServices reports depends_on entries naming no service, the service
// itself or one service twice, and services that depend on each other in
// a cycle.
func (d *decoder) checkServices(p *Plan, services []string) {
	for i, s := range p.Services {
		if !s.KeepUp || i >= len(d.services) {
			continue
		}
		first, second := p.Waves(s)
		if moved := len(first) + len(second); moved < 2 {
			d.errorf(d.services[i].id, "service %q is kept up (keep_up: true) but %d moved asset runs it: one wave keeps serving while the other moves, so it needs two at least (add a temporary instance at the destination as an asset, or remove keep_up)", s.ID, moved)
		}
	}
	index := map[string]int{}
	for i, s := range p.Services {
		if _, dup := index[s.ID]; !dup {
			index[s.ID] = i
		}
	}
	// succs[i] are the services service i depends on.
	g := graph{succs: make([][]int, len(p.Services))}
	for i, s := range p.Services {
		for k, dep := range s.DependsOn {
			n := d.services[i].dependsOn[k]
			j, ok := index[dep]
			switch {
			case dep == s.ID:
				d.errorf(n, "service %q depends on itself; remove it from depends_on", s.ID)
			case slices.Contains(s.DependsOn[:k], dep):
				d.errorf(n, "service %q lists %q twice in depends_on; remove one", s.ID, dep)
			case !ok:
				d.known(n, services, "services in the plan", "service %q depends on unknown service %q", s.ID, dep)
			default:
				g.succs[i] = append(g.succs[i], j)
			}
		}
	}
	for _, cycle := range cycles(g) {
		ids := make([]string, len(cycle)+1)
		for k, i := range cycle {
			ids[k] = p.Services[i].ID
		}
		ids[len(cycle)] = ids[0]
		d.errs = append(d.errs, &Error{
			Pos: p.Services[cycle[0]].Pos,
			Msg: fmt.Sprintf("services depend on each other in a cycle: %s (each depends on the next); remove one of these depends_on entries", strings.Join(ids, " -> ")),
		})
	}
}

// checkSteps reports duplicate step ids, references from steps to nothing,
// and cycles. With a runbook template, after and backout may name steps
// the template expands into, which only the expansion can check.
func (d *decoder) checkSteps(p *Plan, roles, assets, services, rules, needs []string) {
	steps := make([]string, 0, len(p.Steps))
	firstStep := map[string]*yaml.Node{}
	for i, s := range p.Steps {
		n := d.steps[i].id
		if first, dup := firstStep[s.ID]; dup {
			d.errorf(n, "duplicate step id %q (first defined at line %d); ids must be unique", s.ID, first.Line)
			continue
		}
		firstStep[s.ID] = n
		steps = append(steps, s.ID)
	}
	expanded := p.Runbook != ""
	capacity := map[string]int{}
	for _, r := range p.Resources {
		capacity[r.ID] = r.Capacity
	}
	for _, v := range p.Transport {
		capacity[v.ID] = v.Count
	}

	for i, s := range p.Steps {
		nodes := d.steps[i]
		seen := map[string]bool{}
		for k, a := range s.After {
			n := nodes.after[k]
			switch {
			case a == s.ID:
				d.errorf(n, "step %q lists itself in after; remove it", s.ID)
			case seen[a]:
				d.errorf(n, "step %q lists %q twice in after; remove one", s.ID, a)
			case firstStep[a] == nil && !expanded:
				d.errorf(n, "step %q is after unknown step %q; %s", s.ID, a, Hint(a, "steps in the plan", steps))
			}
			seen[a] = true
		}
		for k, b := range s.Backout {
			n := nodes.backout[k]
			switch {
			case b == s.ID:
				d.errorf(n, "step %q lists itself in backout; name the steps that undo it", s.ID)
			case slices.Contains(s.Backout[:k], b):
				d.errorf(n, "step %q lists %q twice in backout; remove one", s.ID, b)
			case firstStep[b] == nil && !expanded:
				d.errorf(n, "step %q is backed out by unknown step %q; %s", s.ID, b, Hint(b, "steps in the plan", steps))
			}
		}
		if nodes.asset != nil {
			d.known(nodes.asset, assets, "assets in the plan", "step %q uses unknown asset %q", s.ID, s.Asset)
		}
		if nodes.service != nil {
			d.known(nodes.service, services, "services in the plan", "step %q is about unknown service %q", s.ID, s.Service)
		}
		if nodes.domain != nil && !slices.ContainsFunc(p.Domains, func(dom Domain) bool { return strings.EqualFold(dom.Name, s.Domain) }) {
			d.errorf(nodes.domain, "step %q is about domain %q, which the plan's domains do not list; add it under domains: or fix the name", s.ID, s.Domain)
		}
		if nodes.rule != nil {
			d.known(nodes.rule, rules, "firewall rules in the plan", "step %q is about unknown firewall rule %q", s.ID, s.Rule)
		}
		if nodes.role != nil && !slices.Contains(roles, s.Role) {
			d.errorf(nodes.role, "step %q needs role %q but nobody in crew has it; %s", s.ID, s.Role, Hint(s.Role, "roles in crew", roles))
		}
		for k, need := range s.Needs {
			n := nodes.needs[k]
			c, ok := capacity[need.Resource]
			switch {
			case !ok:
				d.known(n, needs, "resources and vehicles in the plan", "step %q needs unknown resource or vehicle %q", s.ID, need.Resource)
			case slices.ContainsFunc(s.Needs[:k], func(o Need) bool { return o.Resource == need.Resource }):
				d.errorf(n, "step %q needs %q twice; keep one with the total amount", s.ID, need.Resource)
			case need.Amount > c:
				d.errorf(n, "step %q needs %d of %q but there are only %d; lower the amount or raise the capacity", s.ID, need.Amount, need.Resource, c)
			}
		}
	}

	g := p.graph()
	for _, cycle := range cycles(g) {
		ids := make([]string, len(cycle)+1)
		for k, i := range cycle {
			ids[k] = p.Steps[i].ID
		}
		ids[len(cycle)] = ids[0]
		d.errs = append(d.errs, &Error{
			Pos: p.Steps[cycle[0]].Pos,
			Msg: fmt.Sprintf("steps form a cycle: %s (each runs after the one before it); remove one of these after entries", strings.Join(ids, " -> ")),
		})
	}
}

// cycles returns one cycle for each group of steps that depend on each
// other, each in execution order starting at its step earliest in the file.
func cycles(g graph) [][]int {
	var out [][]int
	for _, scc := range components(g) {
		if len(scc) < 2 {
			continue
		}
		in := make(map[int]bool, len(scc))
		start := scc[0]
		for _, i := range scc {
			in[i] = true
			start = min(start, i)
		}
		// Shortest way from start back to start, staying in the component.
		via := map[int]int{start: -1}
		queue := []int{start}
		end := -1
		for len(queue) > 0 && end < 0 {
			i := queue[0]
			queue = queue[1:]
			for _, j := range g.succs[i] {
				if j == start {
					end = i
					break
				}
				if _, seen := via[j]; !seen && in[j] {
					via[j] = i
					queue = append(queue, j)
				}
			}
		}
		var cycle []int
		for i := end; i >= 0; i = via[i] {
			cycle = append(cycle, i)
		}
		slices.Reverse(cycle)
		out = append(out, cycle)
	}
	slices.SortFunc(out, func(a, b []int) int { return a[0] - b[0] })
	return out
}

// components returns the strongly connected components of g (Tarjan).
func components(g graph) [][]int {
	n := len(g.succs)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var visit func(int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.succs[v] {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var scc []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				scc = append(scc, w)
				if w == v {
					break
				}
			}
			out = append(out, scc)
		}
	}
	for v := range n {
		if index[v] < 0 {
			visit(v)
		}
	}
	return out
}

// Hint suggests the known name closest to name when one is close enough to
// be a typo, else lists a few known names.
func Hint(name, noun string, known []string) string {
	if len(known) == 0 {
		return "there are no " + noun
	}
	best, bestDist := "", -1
	for _, k := range known {
		if d := distance(strings.ToLower(name), strings.ToLower(k)); bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist <= typoDistance(name) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	const few = 5
	if len(known) <= few {
		return noun + ": " + strings.Join(known, ", ")
	}
	return fmt.Sprintf("%s: %s and %d more", noun, strings.Join(known[:few], ", "), len(known)-few)
}

// typoDistance is how many edits to name still look like a typo.
func typoDistance(name string) int {
	return max(1, min(3, len([]rune(name))/3))
}

// closeEnough reports whether a looks like a typo of b.
func closeEnough(a, b string) bool {
	return distance(strings.ToLower(a), strings.ToLower(b)) <= typoDistance(a)
}

// distance is the edit distance between a and b, counting an insertion,
// a deletion, a substitution or a swap of two neighbours as one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
