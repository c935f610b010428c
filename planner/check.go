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

	assets := make([]string, 0, len(p.Assets))
	firstAsset := map[string]Pos{}
	for _, a := range p.Assets {
		if first, dup := firstAsset[a.ID]; dup {
			d.errs = append(d.errs, &Error{Pos: a.Pos, Msg: fmt.Sprintf("duplicate asset id %q (first defined at line %d); ids must be unique", a.ID, first.Line)})
			continue
		}
		firstAsset[a.ID] = a.Pos
		assets = append(assets, a.ID)
	}

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
			case firstStep[a] == nil:
				d.errorf(n, "step %q is after unknown step %q; %s", s.ID, a, Hint(a, "steps in the plan", steps))
			}
			seen[a] = true
		}
		if nodes.asset != nil && !slices.Contains(assets, s.Asset) {
			d.errorf(nodes.asset, "step %q uses unknown asset %q; %s", s.ID, s.Asset, Hint(s.Asset, "assets in the plan", assets))
		}
		if nodes.role != nil && !slices.Contains(roles, s.Role) {
			d.errorf(nodes.role, "step %q needs role %q but nobody in crew has it; %s", s.ID, s.Role, Hint(s.Role, "roles in crew", roles))
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
