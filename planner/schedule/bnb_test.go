package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// bnb is an exact solver for instances of up to 64 activities without
// OneOf sets or availability (release times and milestones allowed): a
// depth-first branch and bound over the precedence tree (Patterson et al.
// 1989; Sprecher 2000).
//
// A node is a partial schedule whose last activity started at t; each
// child schedules one more activity whose predecessors are all scheduled,
// at the earliest time at or after t (and its predecessors' finishes and
// release) at which its demands fit. Call F(N) the least makespan of a
// schedule extending N in which every further activity starts at or after
// t. F(N) is the least F over N's children: take an extension Y of least
// makespan, shift its activities left (never before t) while one can
// move, and let j be its first activity (by start, then topological
// rank); then j fits at no time before Y_j (else it could have moved,
// since every other activity of Y starts at Y_j or later), so the child
// for j places it at Y_j and Y extends that child. So the search from the
// root is exact, and three rules prune it without losing the optimum:
//
//   - bound: a child whose lower bound reaches the best makespan found is
//     cut. The bound is the largest of the makespan so far; for each
//     unscheduled activity, its earliest start (at or after t, its
//     predecessors' earliest finishes, its release) plus the longest path
//     from its start to the end; for each resource, t plus the work still
//     to be done on it after t divided by its capacity; and a one-machine
//     bound on a set of unscheduled activities no two of which can
//     overlap (precedence, or a capacity their demands together exceed).
//   - left shift: a child for j at s_j is cut if another candidate k of
//     positive duration would finish by s_j (s_k + d_k <= s_j): moving k
//     into that gap, ahead of everything else, turns any extension of the
//     child for j into an extension of the child for k, no longer. The
//     relation is acyclic (s_k < s_j), so the least candidate survives.
//   - cut-set dominance (after Demeulemeester and Herroelen 1992): nodes
//     are remembered by their set of scheduled activities S, with t and
//     the finishes of those still running after t. A node C is cut when a
//     remembered node B with the same S has t_B <= t_C and every activity
//     running after t_B in B finishes no later than max(its finish in C,
//     t_C): any extension of C (starts >= t_C) then extends B as well,
//     with usage by S at any time >= t_C no higher and every predecessor
//     done as early, so F(B) <= F(C). Only expanded nodes are remembered,
//     and by induction on the number of unscheduled activities (then on
//     the order of visit) the search still reaches a schedule of
//     makespan min F.
type bnb struct {
	n, nr        int
	dur, rel     []int
	preds, succs [][]int
	dem          [][]int // dem[j][r]
	capac        []int
	tail         []int // longest path from the start of j to the end, d_j included
	topo         []int

	start, fin []int
	placed     []bool
	left       []int   // unscheduled predecessors
	use        [][]int // use[r][t]
	es         []int
	work       []int // per resource, scratch
	items      []bnbItem
	incompat   []uint64 // incompat[j] has bit k when j and k cannot overlap
	byDur      []int    // activities by decreasing duration

	best      int
	bestStart []int
	nodes     int
	limit     int
	aborted   bool
	memo      map[uint64][]bnbState
}

type bnbState struct {
	t       int
	running []bnbFin // scheduled activities that finish after t
}

type bnbFin struct{ j, f int }

// exactBnB returns the optimum makespan of p, or the best found and false
// when the search stops after limit nodes. ub is the makespan of a known
// feasible schedule (or 0 for none): the search looks for shorter ones.
func exactBnB(p Problem, ub int, limit int) (best int, proved bool, nodes int) {
	b := newBnB(p)
	if ub <= 0 {
		ub = 1
		for j := range b.n {
			ub += b.dur[j] + b.rel[j]
		}
	}
	b.best, b.limit = ub, limit
	horizon := ub + 1
	for _, d := range b.dur {
		horizon += d
	}
	for r := range b.use {
		b.use[r] = make([]int, horizon)
	}
	if b.rootBound() < b.best {
		b.dfs(0, 0, 0, 0)
	}
	return b.best, !b.aborted, b.nodes
}

func newBnB(p Problem) *bnb {
	n, nr := len(p.Activities), len(p.Resources)
	if n > 64 {
		panic("bnb: more than 64 activities")
	}
	b := &bnb{
		n: n, nr: nr,
		dur: make([]int, n), rel: make([]int, n),
		preds: make([][]int, n), succs: make([][]int, n),
		dem: make([][]int, n), capac: make([]int, nr), tail: make([]int, n),
		start: make([]int, n), fin: make([]int, n), placed: make([]bool, n),
		left: make([]int, n), use: make([][]int, nr), es: make([]int, n), work: make([]int, nr),
		bestStart: make([]int, n),
		memo:      map[uint64][]bnbState{},
	}
	for r, res := range p.Resources {
		if len(res.Available) > 0 {
			panic("bnb: availability intervals")
		}
		b.capac[r] = res.Capacity
	}
	for j, a := range p.Activities {
		if len(a.OneOf) > 0 {
			panic("bnb: OneOf sets")
		}
		b.dur[j], b.rel[j] = a.Duration, max(a.NotBefore, 0)
		b.dem[j] = make([]int, nr)
		for _, d := range a.Demand {
			b.dem[j][d.Resource] += d.Amount
		}
		for _, q := range slices.Compact(slices.Sorted(slices.Values(a.Preds))) {
			b.preds[j] = append(b.preds[j], q)
			b.succs[q] = append(b.succs[q], j)
		}
		b.left[j] = len(b.preds[j])
	}
	deg := slices.Clone(b.left)
	for j := range n {
		if deg[j] == 0 {
			b.topo = append(b.topo, j)
		}
	}
	for h := 0; h < len(b.topo); h++ {
		for _, s := range b.succs[b.topo[h]] {
			if deg[s]--; deg[s] == 0 {
				b.topo = append(b.topo, s)
			}
		}
	}
	reach := make([]uint64, n)
	for k := n - 1; k >= 0; k-- {
		j := b.topo[k]
		for _, s := range b.succs[j] {
			b.tail[j] = max(b.tail[j], b.tail[s])
			reach[j] |= 1<<s | reach[s]
		}
		b.tail[j] += b.dur[j]
	}
	b.incompat = make([]uint64, n)
	for j := range n {
		for k := range n {
			if j == k || reach[j]>>k&1 == 1 || reach[k]>>j&1 == 1 {
				continue
			}
			for r := range nr {
				if b.dem[j][r]+b.dem[k][r] > b.capac[r] {
					b.incompat[j] |= 1 << k
					break
				}
			}
		}
		for k := range n {
			if reach[j]>>k&1 == 1 || reach[k]>>j&1 == 1 {
				b.incompat[j] |= 1 << k
			}
		}
	}
	for j := range n {
		if b.dur[j] > 0 {
			b.byDur = append(b.byDur, j)
		}
	}
	slices.SortStableFunc(b.byDur, func(x, y int) int { return b.dur[y] - b.dur[x] })
	return b
}

// earliest is the first time >= t0 at which j's demands fit for its whole
// duration, or -1 if that is so late that j would end at or after the best
// makespan with its tail.
func (b *bnb) earliest(j, t0 int) int {
	d := b.dur[j]
	for t := t0; ; {
		if t+b.tail[j] >= b.best {
			return -1
		}
		next := t
		for r, a := range b.dem[j] {
			if a == 0 {
				continue
			}
			u := b.use[r]
			for x := t + d - 1; x >= t; x-- {
				if u[x]+a > b.capac[r] {
					next = max(next, x+1)
					break
				}
			}
		}
		if next == t {
			return t
		}
		t = next
	}
}

func (b *bnb) place(j, s int, sign int) {
	for r, a := range b.dem[j] {
		if a == 0 {
			continue
		}
		u := b.use[r]
		for x := s; x < s+b.dur[j]; x++ {
			u[x] += sign * a
		}
	}
}

// rootBound is the bound of the empty schedule.
func (b *bnb) rootBound() int { return b.bound(0) }

// bound is a lower bound on the makespan of any extension of the current
// partial schedule with every further start at or after t.
func (b *bnb) bound(t int) int {
	lb := 0
	work := b.work
	clear(work)
	for _, j := range b.topo {
		if b.placed[j] {
			lb = max(lb, b.fin[j])
			if rem := b.fin[j] - t; rem > 0 {
				for r, a := range b.dem[j] {
					work[r] += a * rem
				}
			}
			continue
		}
		e := max(t, b.rel[j])
		for _, q := range b.preds[j] {
			if b.placed[q] {
				e = max(e, b.fin[q])
			} else {
				e = max(e, b.es[q]+b.dur[q])
			}
		}
		b.es[j] = e
		lb = max(lb, e+b.tail[j])
		for r, a := range b.dem[j] {
			work[r] += a * b.dur[j]
		}
	}
	// Per resource: the work still to do after t, on its capacity.
	for r, w := range work {
		if w > 0 {
			lb = max(lb, t+(w+b.capac[r]-1)/b.capac[r])
		}
	}
	// A set of unscheduled activities no two of which can overlap (by
	// precedence or because together they exceed some capacity), built
	// greedily longest first, runs one activity at a time.
	var clique uint64
	items := b.items[:0]
	for _, j := range b.byDur {
		if b.placed[j] || clique&^b.incompat[j] != 0 {
			continue
		}
		clique |= 1 << j
		items = append(items, bnbItem{b.es[j], b.dur[j], b.tail[j] - b.dur[j]})
	}
	b.items = items
	lb = max(lb, oneMachine(items))
	return lb
}

// oneMachine bounds the makespan of items that run one at a time, each
// after its head and followed by its tail: over the parts with heads at
// least a, or tails at least q, the least head + total work + least tail.
func oneMachine(items []bnbItem) int {
	lb := 0
	slices.SortFunc(items, func(x, y bnbItem) int { return y.head - x.head })
	work, minQ := 0, maxTime
	for _, it := range items {
		work += it.work
		minQ = min(minQ, it.tail)
		lb = max(lb, it.head+work+minQ)
	}
	slices.SortFunc(items, func(x, y bnbItem) int { return y.tail - x.tail })
	work, minH := 0, maxTime
	for _, it := range items {
		work += it.work
		minH = min(minH, it.head)
		lb = max(lb, minH+work+it.tail)
	}
	return lb
}

type bnbItem struct{ head, work, tail int }

// dominated reports whether a remembered node with the scheduled set set
// dominates the current one (last start t), and remembers the current one
// if not.
func (b *bnb) dominated(set uint64, t int) bool {
	states := b.memo[set]
	for _, st := range states {
		if st.t > t {
			continue
		}
		ok := true
		for _, rf := range st.running {
			if rf.f > max(b.fin[rf.j], t) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	var running []bnbFin
	for j := range b.n {
		if set>>j&1 == 1 && b.fin[j] > t {
			running = append(running, bnbFin{j, b.fin[j]})
		}
	}
	// Drop the remembered states the current one dominates.
	kept := states[:0]
	for _, st := range states {
		if t <= st.t && b.covers(running, st) {
			continue
		}
		kept = append(kept, st)
	}
	b.memo[set] = append(kept, bnbState{t, running})
	return false
}

// covers reports whether every activity in running finishes no later
// than in st (where one not running in st counts as finishing at st.t).
func (b *bnb) covers(running []bnbFin, st bnbState) bool {
	for _, rf := range running {
		g := st.t
		for _, o := range st.running {
			if o.j == rf.j {
				g = max(o.f, st.t)
			}
		}
		if rf.f > g {
			return false
		}
	}
	return true
}

type bnbCand struct{ j, s int }

func (b *bnb) dfs(t int, set uint64, count, span int) {
	if count == b.n {
		if span < b.best {
			b.best = span
			copy(b.bestStart, b.start)
		}
		return
	}
	b.nodes++
	if b.nodes > b.limit {
		b.aborted = true
		return
	}
	var buf [64]bnbCand
	cands := buf[:0]
	for j := range b.n {
		if b.placed[j] || b.left[j] > 0 {
			continue
		}
		e := max(t, b.rel[j])
		for _, q := range b.preds[j] {
			e = max(e, b.fin[q])
		}
		if s := b.earliest(j, e); s >= 0 {
			cands = append(cands, bnbCand{j, s})
		}
	}
	slices.SortFunc(cands, func(x, y bnbCand) int {
		if x.s != y.s {
			return x.s - y.s
		}
		return b.tail[y.j] - b.tail[x.j]
	})
	for ci, c := range cands {
		shifted := false
		for k, o := range cands {
			if k != ci && b.dur[o.j] > 0 && o.s+b.dur[o.j] <= c.s {
				shifted = true
				break
			}
		}
		if shifted {
			continue
		}
		j, f := c.j, c.s+b.dur[c.j]
		b.placed[j], b.start[j], b.fin[j] = true, c.s, f
		b.place(j, c.s, 1)
		for _, x := range b.succs[j] {
			b.left[x]--
		}
		next := set | 1<<j
		if b.bound(c.s) < b.best && !b.dominated(next, c.s) {
			b.dfs(c.s, next, count+1, max(span, f))
		}
		for _, x := range b.succs[j] {
			b.left[x]++
		}
		b.place(j, c.s, -1)
		b.placed[j] = false
		if b.aborted {
			return
		}
	}
}

// TestBnBExact checks the branch and bound against the enumeration of
// exactMakespan on small instances, with release times and milestones.
func TestBnBExact(t *testing.T) {
	count := 300
	if long() {
		count = 3000
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for k := range count {
		p := genProblem(rng, genConfig{
			n:       3 + rng.IntN(8),
			preds:   []float64{0.5, 1, 2}[rng.IntN(3)],
			tight:   []float64{0.3, 0.6, 1}[rng.IntN(3)],
			release: []float64{0, 0.2}[rng.IntN(2)],
		})
		want := exactMakespan(p)
		got, proved, _ := exactBnB(p, 0, 1<<30)
		if !proved || got != want {
			t.Fatalf("instance %d: branch and bound %d (proved %v), enumeration %d", k, got, proved, want)
		}
		// Starting from the optimum as the upper bound, nothing shorter.
		if got, proved, _ := exactBnB(p, want, 1<<30); !proved || got != want {
			t.Fatalf("instance %d: from the optimum %d, branch and bound %d (proved %v)", k, want, got, proved)
		}
	}
}
