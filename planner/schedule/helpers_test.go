package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
)

// genConfig shapes a random instance.
type genConfig struct {
	n        int     // activities
	preds    float64 // expected number of predecessors per activity
	res      int     // renewable resources (1 to 4 when 0)
	tight    float64 // largest demand as a fraction of capacity
	maxDur   int     // durations are 1..maxDur, some 0
	release  float64 // probability of a NotBefore
	crew     int     // unit resources with shifts, used through OneOf
	crewSets float64 // probability that an activity needs a crew member
	capMax   int     // capacities are 1..capMax (10 when 0)
	windows  bool    // renewable resources get availability windows too
}

// genProblem draws a random instance from rng: a random DAG with the
// activities relabelled at random, random demands, optional release times
// and optional crew with shifts.
func genProblem(rng *rand.Rand, g genConfig) Problem {
	if g.res == 0 {
		g.res = 1 + rng.IntN(4)
	}
	if g.maxDur == 0 {
		g.maxDur = 10
	}
	if g.capMax == 0 {
		g.capMax = 10
	}
	var p Problem
	for r := range g.res {
		res := Resource{ID: fmt.Sprintf("r%d", r), Capacity: 1 + rng.IntN(g.capMax)}
		if g.windows && rng.IntN(2) == 0 {
			for t := rng.IntN(20); t < 40*g.maxDur*g.n+200; {
				l := 4*g.maxDur + rng.IntN(20*g.maxDur)
				res.Available = append(res.Available, Interval{t, t + l})
				t += l + rng.IntN(2*g.maxDur)
			}
		}
		p.Resources = append(p.Resources, res)
	}
	for k := range g.crew {
		var shifts []Interval
		for t := rng.IntN(30); t < 20*g.maxDur*g.n/max(1, g.crew)+200; {
			l := 2*g.maxDur + rng.IntN(6*g.maxDur)
			shifts = append(shifts, Interval{t, t + l})
			t += l + rng.IntN(3*g.maxDur)
		}
		p.Resources = append(p.Resources, Resource{ID: fmt.Sprintf("crew%d", k), Capacity: 1, Available: shifts})
	}
	perm := rng.Perm(g.n)
	p.Activities = make([]Activity, g.n)
	for gen := range g.n {
		i := perm[gen]
		a := Activity{ID: fmt.Sprintf("a%d", i), Duration: 1 + rng.IntN(g.maxDur)}
		if rng.Float64() < 0.05 {
			a.Duration = 0
		}
		for q := range gen {
			if rng.Float64() < g.preds/float64(gen) {
				a.Preds = append(a.Preds, perm[q])
			}
		}
		for r := range g.res {
			if rng.Float64() < 0.7 {
				c := p.Resources[r].Capacity
				top := max(1, int(g.tight*float64(c)+0.5))
				a.Demand = append(a.Demand, Demand{r, 1 + rng.IntN(top)})
			}
		}
		if g.crew > 0 && rng.Float64() < g.crewSets {
			var set []int
			for k := range g.crew {
				if rng.Float64() < 0.5 {
					set = append(set, g.res+k)
				}
			}
			if len(set) == 0 {
				set = []int{g.res + rng.IntN(g.crew)}
			}
			a.OneOf = append(a.OneOf, set)
			if len(set) >= 2 && rng.Float64() < 0.3 {
				a.OneOf = append(a.OneOf, set)
			}
		}
		if rng.Float64() < g.release {
			a.NotBefore = rng.IntN(2 * g.maxDur)
		}
		p.Activities[i] = a
	}
	return p
}

// checkFeasible reports the first way in which start (with r's finishes
// recomputed from durations, and r.Assigned) breaks a rule of p, or nil.
func checkFeasible(p Problem, r Result) error {
	return checkStarts(p, r.Start, r.Assigned, r.Makespan)
}

func checkStarts(p Problem, start []int, assigned [][]int, makespan int) error {
	n := len(p.Activities)
	if len(start) != n || len(assigned) != n {
		return fmt.Errorf("result sized %d/%d for %d activities", len(start), len(assigned), n)
	}
	span := 0
	for i, a := range p.Activities {
		f := start[i] + a.Duration
		span = max(span, f)
		if start[i] < max(a.NotBefore, 0) {
			return fmt.Errorf("%s starts at %d, before %d", a.ID, start[i], max(a.NotBefore, 0))
		}
		for _, q := range a.Preds {
			if fq := start[q] + p.Activities[q].Duration; fq > start[i] {
				return fmt.Errorf("%s starts at %d before predecessor %s finishes at %d", a.ID, start[i], p.Activities[q].ID, fq)
			}
		}
		if len(assigned[i]) != len(a.OneOf) {
			return fmt.Errorf("%s: %d assignments for %d OneOf sets", a.ID, len(assigned[i]), len(a.OneOf))
		}
		for k, m := range assigned[i] {
			if !slices.Contains(a.OneOf[k], m) {
				return fmt.Errorf("%s: OneOf[%d] assigned %d, not in %v", a.ID, k, m, a.OneOf[k])
			}
			if slices.Index(assigned[i], m) != k {
				return fmt.Errorf("%s: resource %d assigned to two OneOf sets", a.ID, m)
			}
		}
	}
	if span != makespan {
		return fmt.Errorf("makespan %d, but the latest finish is %d", makespan, span)
	}
	type event struct{ t, d int }
	for r, res := range p.Resources {
		var ev []event
		ivs := mergedForCheck(res.Available)
		for i, a := range p.Activities {
			amt := 0
			for _, d := range a.Demand {
				if d.Resource == r {
					amt += d.Amount
				}
			}
			for _, m := range assigned[i] {
				if m == r {
					amt++
				}
			}
			if amt == 0 || a.Duration == 0 {
				continue
			}
			s, f := start[i], start[i]+a.Duration
			ev = append(ev, event{s, amt}, event{f, -amt})
			if res.Available != nil && len(res.Available) > 0 {
				ok := false
				for _, iv := range ivs {
					if iv.Start <= s && f <= iv.End {
						ok = true
					}
				}
				if !ok {
					return fmt.Errorf("%s uses %s over [%d,%d), outside its availability %v", a.ID, res.ID, s, f, ivs)
				}
			}
		}
		sort.Slice(ev, func(x, y int) bool {
			if ev[x].t != ev[y].t {
				return ev[x].t < ev[y].t
			}
			return ev[x].d < ev[y].d
		})
		use := 0
		for _, e := range ev {
			use += e.d
			if use > res.Capacity {
				return fmt.Errorf("%s used %d > capacity %d at %d", res.ID, use, res.Capacity, e.t)
			}
		}
	}
	return nil
}

func mergedForCheck(in []Interval) []Interval {
	ivs := slices.Clone(in)
	sort.Slice(ivs, func(a, b int) bool { return ivs[a].Start < ivs[b].Start })
	var out []Interval
	for _, iv := range ivs {
		if iv.End <= iv.Start {
			continue
		}
		if k := len(out) - 1; k >= 0 && iv.Start <= out[k].End {
			out[k].End = max(out[k].End, iv.End)
		} else {
			out = append(out, iv)
		}
	}
	return out
}

// timeGrid is a minute-by-minute usage table: the naive reference for the
// serial scheme, for instances without OneOf or availability.
type timeGrid struct {
	p   Problem
	use [][]int
}

func newTimeGrid(p Problem) *timeGrid {
	h := 1
	for _, a := range p.Activities {
		h += a.Duration + max(a.NotBefore, 0)
	}
	g := &timeGrid{p: p, use: make([][]int, len(p.Resources))}
	for r := range g.use {
		g.use[r] = make([]int, h)
	}
	return g
}

// earliest is the first t >= t0 where activity j fits.
func (g *timeGrid) earliest(j, t0 int) int {
	a := g.p.Activities[j]
	for t := t0; ; t++ {
		ok := true
		for _, d := range a.Demand {
			c := g.p.Resources[d.Resource].Capacity
			for u := t; u < t+a.Duration && ok; u++ {
				ok = g.use[d.Resource][u]+d.Amount <= c
			}
		}
		if ok {
			return t
		}
	}
}

func (g *timeGrid) add(j, t, sign int) {
	a := g.p.Activities[j]
	for _, d := range a.Demand {
		for u := t; u < t+a.Duration; u++ {
			g.use[d.Resource][u] += sign * d.Amount
		}
	}
}

// naiveDecode is the serial scheme minute by minute.
func naiveDecode(p Problem, order []int) []int {
	g := newTimeGrid(p)
	start := make([]int, len(p.Activities))
	for _, j := range order {
		a := p.Activities[j]
		t := max(a.NotBefore, 0)
		for _, q := range a.Preds {
			t = max(t, start[q]+p.Activities[q].Duration)
		}
		start[j] = g.earliest(j, t)
		g.add(j, start[j], 1)
	}
	return start
}

// exactMakespan is the optimum makespan of a small instance without OneOf
// or availability. The serial scheme over every precedence-feasible list
// yields every active schedule, and the active schedules include an optimal
// one. Each active schedule is reached by exactly one list, the one sorted
// by (start, topological rank), so the search only extends a list with an
// activity that starts later, or as early with a higher rank; it also
// prunes when the finished part plus any remaining tail already reaches the
// best makespan.
func exactMakespan(p Problem) int {
	n := len(p.Activities)
	indeg := make([]int, n)
	succ := make([][]int, n)
	for j, a := range p.Activities {
		for _, q := range slices.Compact(slices.Sorted(slices.Values(a.Preds))) {
			indeg[j]++
			succ[q] = append(succ[q], j)
		}
	}
	var topo []int
	deg := slices.Clone(indeg)
	for j := range n {
		if deg[j] == 0 {
			topo = append(topo, j)
		}
	}
	for h := 0; h < len(topo); h++ {
		for _, s := range succ[topo[h]] {
			if deg[s]--; deg[s] == 0 {
				topo = append(topo, s)
			}
		}
	}
	rank := make([]int, n)
	for k, j := range topo {
		rank[j] = k
	}
	tail := make([]int, n)
	for k := n - 1; k >= 0; k-- {
		j := topo[k]
		for _, s := range succ[j] {
			tail[j] = max(tail[j], tail[s])
		}
		tail[j] += p.Activities[j].Duration
	}
	best := 0
	for j, t := range naiveDecode(p, topo) {
		best = max(best, t+p.Activities[j].Duration)
	}
	g := newTimeGrid(p)
	start := make([]int, n)
	done := make([]bool, n)
	left := slices.Clone(indeg)
	var dfs func(count, prevStart, prevRank, span int)
	dfs = func(count, prevStart, prevRank, span int) {
		if count == n {
			best = min(best, span)
			return
		}
		for j := range n {
			if done[j] || left[j] > 0 {
				continue
			}
			a := p.Activities[j]
			t := max(a.NotBefore, 0)
			for _, q := range a.Preds {
				t = max(t, start[q]+p.Activities[q].Duration)
			}
			s := g.earliest(j, t)
			if s < prevStart || (s == prevStart && rank[j] < prevRank) {
				continue
			}
			bound := max(span, s+a.Duration)
			for k := range n {
				if !done[k] && k != j {
					bound = max(bound, max(s, p.Activities[k].NotBefore)+tail[k])
				}
			}
			if bound >= best {
				continue
			}
			done[j], start[j] = true, s
			g.add(j, s, 1)
			for _, x := range succ[j] {
				left[x]--
			}
			dfs(count+1, s, rank[j], max(span, s+a.Duration))
			for _, x := range succ[j] {
				left[x]++
			}
			g.add(j, s, -1)
			done[j] = false
		}
	}
	dfs(0, -1, -1, 0)
	return best
}
