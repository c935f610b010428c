package schedule

import (
	"fmt"
	"math/rand/v2"
)

// progenConfig shapes an instance in the style of ProGen (Kolisch, Sprecher
// and Drexl 1995), the generator of the PSPLIB sets J30 and J120.
type progenConfig struct {
	n  int     // non-dummy activities
	nc float64 // network complexity: arcs per activity, counting the dummy source and sink
	rf float64 // resource factor: the fraction of the resources each activity requests
	rs float64 // resource strength: capacity between the largest demand (0) and the peak of the earliest-start schedule (1)
}

// The parameter levels of the PSPLIB sets: J30 crosses NC, RF and the
// first RS list (48 combinations); J120 crosses NC, RF and the second (60).
var (
	progenNC    = []float64{1.5, 1.8, 2.1}
	progenRF    = []float64{0.25, 0.5, 0.75, 1}
	progenRS30  = []float64{0.2, 0.5, 0.7, 1.0}
	progenRS120 = []float64{0.1, 0.2, 0.3, 0.4, 0.5}
)

// progenCombo is the k-th parameter combination for n activities; k = 0..47
// (J30) or 0..59 (J120) covers every combination once, and any run of 16
// (20) consecutive k covers each RF x RS pair once, NC rotating.
func progenCombo(n, k int) progenConfig {
	rss := progenRS30
	if n > 30 {
		rss = progenRS120
	}
	pairs := len(progenRF) * len(rss)
	m := k % pairs
	round := k / pairs
	return progenConfig{
		n:  n,
		nc: progenNC[(m+round)%len(progenNC)],
		rf: progenRF[(m/len(rss))%len(progenRF)],
		rs: rss[m%len(rss)],
	}
}

func (g progenConfig) String() string {
	return fmt.Sprintf("n=%d NC=%.1f RF=%.2f RS=%.1f", g.n, g.nc, g.rf, g.rs)
}

// Fixed ProGen settings of J30 and J120: 4 renewable resources, durations
// 1..10, demands 1..10, 3 start and 3 end activities, at most 3
// successors and 3 predecessors per activity.
const (
	progenRes     = 4
	progenMaxDur  = 10
	progenMaxDem  = 10
	progenEnds    = 3
	progenMaxSucc = 3
	progenMaxPred = 3
)

// progen draws an instance as ProGen does: activities 0..n-1 in a
// topological order; the first progenEnds are the start activities (no
// predecessor), the last progenEnds the end activities (no successor);
// every other activity gets one random predecessor, every activity but the
// end ones at least one successor, then random arcs are added until
// NC x (n+2) arcs (counting the arcs from the dummy source and to the dummy
// sink) or no more can be, never a redundant arc (one implied by others).
// Each activity requests round(RF x 4) of the 4 resources, 1..10 units; the
// capacity of resource k is Kmin + round(RS x (Kmax - Kmin)), Kmin the
// largest demand on it and Kmax the peak of its usage in the earliest-start
// schedule. The activities are then renumbered at random.
func progen(rng *rand.Rand, g progenConfig) Problem {
	n := g.n
	preds := make([][]int, n)
	succs := make([][]int, n)
	// reach[i] has bit j when there is a path i -> j (n <= 64*len).
	w := (n + 63) / 64
	reach := make([]uint64, n*w)
	row := func(i int) []uint64 { return reach[i*w : (i+1)*w] }
	has := func(i, j int) bool { return row(i)[j/64]>>(j%64)&1 == 1 }
	recompute := func() {
		clear(reach)
		for i := n - 1; i >= 0; i-- {
			r := row(i)
			for _, s := range succs[i] {
				r[s/64] |= 1 << (s % 64)
				for x, b := range row(s) {
					r[x] |= b
				}
			}
		}
	}
	isEnd := func(i int) bool { return i >= n-progenEnds }
	// redundant reports whether the arc i -> j is implied by a path, or
	// would make an existing arc a -> b redundant (a reaches i, j reaches b).
	redundant := func(i, j int) bool {
		if has(i, j) {
			return true
		}
		for a := range n {
			if a != i && !has(a, i) {
				continue
			}
			for _, b := range succs[a] {
				if b == j || has(j, b) {
					if !(a == i && b == j) {
						return true
					}
				}
			}
		}
		return false
	}
	arcs := 0
	add := func(i, j int) {
		preds[j] = append(preds[j], i)
		succs[i] = append(succs[i], j)
		arcs++
		recompute()
	}
	for j := progenEnds; j < n; j++ {
		// Half the time from those without a successor yet, which keeps
		// the arcs needed below to give each one a successor few.
		var cand, fresh []int
		for i := range min(j, n-progenEnds) {
			if len(succs[i]) < progenMaxSucc {
				cand = append(cand, i)
			}
			if len(succs[i]) == 0 {
				fresh = append(fresh, i)
			}
		}
		if len(fresh) > 0 && rng.IntN(2) == 0 {
			cand = fresh
		}
		if len(cand) > 0 {
			add(cand[rng.IntN(len(cand))], j)
		}
	}
	for i := range n - progenEnds {
		if len(succs[i]) > 0 {
			continue
		}
		var cand []int
		for j := max(i+1, progenEnds); j < n; j++ {
			if len(preds[j]) < progenMaxPred && !redundant(i, j) {
				cand = append(cand, j)
			}
		}
		if len(cand) == 0 {
			// Past the limit on predecessors, to one with the fewest,
			// rather than leave i without a successor.
			fewest := n
			for j := max(i+1, progenEnds); j < n; j++ {
				if !redundant(i, j) {
					if len(preds[j]) < fewest {
						fewest, cand = len(preds[j]), cand[:0]
					}
					if len(preds[j]) == fewest {
						cand = append(cand, j)
					}
				}
			}
		}
		if len(cand) > 0 {
			add(i, cand[rng.IntN(len(cand))])
		}
	}
	// Arcs from the source and to the sink count toward NC.
	dummy := func() int {
		d := 0
		for j := range n {
			if len(preds[j]) == 0 {
				d++
			}
			if len(succs[j]) == 0 {
				d++
			}
		}
		return d
	}
	// Then arcs from a random activity to a random one of its possible
	// successors, until none is left.
	target := int(g.nc*float64(n+2) + 0.5)
	var open []int // activities that may still get a successor
	for i := range n {
		if !isEnd(i) {
			open = append(open, i)
		}
	}
	for arcs+dummy() < target && len(open) > 0 {
		k := rng.IntN(len(open))
		i := open[k]
		var cand []int
		if len(succs[i]) < progenMaxSucc {
			for j := max(i+1, progenEnds); j < n; j++ {
				if len(preds[j]) < progenMaxPred && !redundant(i, j) {
					cand = append(cand, j)
				}
			}
		}
		if len(cand) == 0 {
			open = append(open[:k], open[k+1:]...)
			continue
		}
		add(i, cand[rng.IntN(len(cand))])
	}

	dur := make([]int, n)
	for j := range dur {
		dur[j] = 1 + rng.IntN(progenMaxDur)
	}
	per := int(g.rf*progenRes + 0.5)
	dem := make([][progenRes]int, n)
	for j := range dem {
		for _, r := range rng.Perm(progenRes)[:per] {
			dem[j][r] = 1 + rng.IntN(progenMaxDem)
		}
	}
	// Earliest-start schedule and its peak usage.
	es := make([]int, n)
	horizon := 0
	for j := range n { // 0..n-1 is a topological order
		for _, q := range preds[j] {
			es[j] = max(es[j], es[q]+dur[q])
		}
		horizon = max(horizon, es[j]+dur[j])
	}
	p := Problem{Activities: make([]Activity, n)}
	for r := range progenRes {
		use := make([]int, horizon)
		kmin := 0
		for j := range n {
			kmin = max(kmin, dem[j][r])
			for t := es[j]; t < es[j]+dur[j]; t++ {
				use[t] += dem[j][r]
			}
		}
		kmax := 0
		for _, u := range use {
			kmax = max(kmax, u)
		}
		capacity := max(1, kmin+int(g.rs*float64(kmax-kmin)+0.5))
		p.Resources = append(p.Resources, Resource{ID: fmt.Sprintf("R%d", r+1), Capacity: capacity})
	}
	perm := rng.Perm(n)
	for j := range n {
		a := Activity{ID: fmt.Sprintf("a%d", j+1), Duration: dur[j]}
		for _, q := range preds[j] {
			a.Preds = append(a.Preds, perm[q])
		}
		for r := range progenRes {
			if dem[j][r] > 0 {
				a.Demand = append(a.Demand, Demand{r, dem[j][r]})
			}
		}
		p.Activities[perm[j]] = a
	}
	return p
}

// networkComplexity is the arcs per activity of p, counting the arcs of
// the dummy source and sink, as ProGen defines NC.
func networkComplexity(p Problem) float64 {
	n := len(p.Activities)
	arcs := 0
	hasSucc := make([]bool, n)
	for _, a := range p.Activities {
		arcs += len(a.Preds)
		if len(a.Preds) == 0 {
			arcs++
		}
		for _, q := range a.Preds {
			hasSucc[q] = true
		}
	}
	for _, h := range hasSucc {
		if !h {
			arcs++
		}
	}
	return float64(arcs) / float64(n+2)
}

// progenCheck reports the first way in which p departs from g: limits on
// predecessors and successors, NC, RF, and the capacities RS implies.
func progenCheck(p Problem, g progenConfig) error {
	n := len(p.Activities)
	succ := make([]int, n)
	starts, over := 0, 0
	for j, a := range p.Activities {
		// progen exceeds the limit rather than leave an activity without
		// a successor, seldom.
		if len(a.Preds) > progenMaxPred {
			over++
		}
		if len(a.Preds) > 2*progenMaxPred || over > max(2, n/20) {
			return fmt.Errorf("%s has %d predecessors (%d over %d)", a.ID, len(a.Preds), over, progenMaxPred)
		}
		if len(a.Preds) == 0 {
			starts++
		}
		for _, q := range a.Preds {
			succ[q]++
		}
		if want := int(g.rf*progenRes + 0.5); len(a.Demand) != want {
			return fmt.Errorf("%s requests %d resources, want %d", a.ID, len(a.Demand), want)
		}
		if a.Duration < 1 || a.Duration > progenMaxDur {
			return fmt.Errorf("activity %d: duration %d", j, a.Duration)
		}
	}
	ends := 0
	for _, s := range succ {
		if s > progenMaxSucc {
			return fmt.Errorf("%d successors", s)
		}
		if s == 0 {
			ends++
		}
	}
	// Now and then an activity finds no successor that would not be
	// redundant, and ends the project too; the limits on successors and
	// predecessors can stop NC short of the target.
	if starts != progenEnds || ends < progenEnds || ends > progenEnds+2 {
		return fmt.Errorf("%d start and %d end activities", starts, ends)
	}
	if nc := networkComplexity(p); nc < g.nc-0.3 || nc > g.nc+0.05 {
		return fmt.Errorf("NC %.2f, want %.2f", nc, g.nc)
	}
	return nil
}
