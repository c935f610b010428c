package schedule

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

const (
	// never is returned by searches that find no feasible time.
	never = math.MaxInt
	// maxTime bounds every time and interval end so that sums and
	// reflections never overflow.
	maxTime = math.MaxInt / 8
	// maxDuration is the longest duration accepted (about 4000 years in
	// minutes); it keeps sums over long chains far from overflow.
	maxDuration = 1<<31 - 1
)

// compiled is a validated [Problem] in flat arrays (CSR adjacency lists),
// shared by every decode of a solve.
type compiled struct {
	n, nr   int
	ids     []string
	dur     []int // nominal durations
	release []int // max(0, NotBefore)

	predOff, pred []int32 // predecessors of i: pred[predOff[i]:predOff[i+1]]
	succOff, succ []int32

	demOff []int32 // demands of i: demRes/demAmt[demOff[i]:demOff[i+1]]
	demRes []int32
	demAmt []int64

	setOff []int32 // OneOf sets of i: set indices setOff[i]..setOff[i+1]-1
	memOff []int32 // members of set s: mem[memOff[s]:memOff[s+1]], ascending
	mem    []int32

	capac   []int64
	avail   [][]Interval // merged, sorted, clipped; nil = always available
	longest []int        // longest availability interval; maxTime if always

	lims [][]int64 // per resource: the usage limits activities test, ascending

	// Resources share usage profiles: those named in some Demand in groups
	// of up to maxGroup, so that one query covers an activity's demands;
	// the others one each.
	groups [][]int32 // per profile: its resources
	grp    []int32   // per resource: its profile
	gpos   []int32   // per resource: its position in the profile

	topo []int32 // a topological order
	rank []int32 // rank[i] = position of i in topo
}

func (c *compiled) preds(i int32) []int32 { return c.pred[c.predOff[i]:c.predOff[i+1]] }
func (c *compiled) succs(i int32) []int32 { return c.succ[c.succOff[i]:c.succOff[i+1]] }
func (c *compiled) members(s int32) []int32 {
	return c.mem[c.memOff[s]:c.memOff[s+1]]
}

// own returns how much of resource r activity i demands through Demand.
func (c *compiled) own(i, r int32) int64 {
	for k := c.demOff[i]; k < c.demOff[i+1]; k++ {
		if c.demRes[k] == r {
			return c.demAmt[k]
		}
	}
	return 0
}

// compile validates p and builds its flat form. Duration-dependent checks
// are left to checkDurations, since Evaluate and MonteCarlo bring their own.
func compile(p Problem) (*compiled, error) {
	n, nr := len(p.Activities), len(p.Resources)
	c := &compiled{n: n, nr: nr}
	c.ids = make([]string, n)
	c.dur = make([]int, n)
	c.release = make([]int, n)
	c.capac = make([]int64, nr)
	c.avail = make([][]Interval, nr)
	c.longest = make([]int, nr)
	for r, res := range p.Resources {
		c.capac[r] = int64(res.Capacity)
		c.avail[r], c.longest[r] = mergeIntervals(res.Available)
	}

	c.predOff = make([]int32, n+1)
	c.demOff = make([]int32, n+1)
	c.setOff = make([]int32, n+1)
	c.memOff = []int32{0}
	for i, a := range p.Activities {
		c.ids[i] = a.ID
		c.dur[i] = a.Duration
		c.release[i] = min(max(a.NotBefore, 0), maxTime)

		start := len(c.pred)
		for _, q := range a.Preds {
			if q < 0 || q >= n {
				return nil, fmt.Errorf("%w: activity %q has predecessor %d, but activities are numbered 0 to %d", ErrPred, a.ID, q, n-1)
			}
			c.pred = append(c.pred, int32(q))
		}
		ps := c.pred[start:]
		slices.Sort(ps)
		c.pred = append(c.pred[:start], slices.Compact(ps)...)
		c.predOff[i+1] = int32(len(c.pred))

		start = len(c.demRes)
		for _, d := range a.Demand {
			if d.Resource < 0 || d.Resource >= nr {
				return nil, fmt.Errorf("%w: activity %q demands resource %d, but resources are numbered 0 to %d", ErrResource, a.ID, d.Resource, nr-1)
			}
			if d.Amount < 0 {
				return nil, fmt.Errorf("%w: activity %q demands %d of %q; a demand cannot be negative", ErrDemand, a.ID, d.Amount, p.Resources[d.Resource].ID)
			}
			if d.Amount == 0 {
				continue
			}
			k := slices.Index(c.demRes[start:], int32(d.Resource))
			if k >= 0 {
				c.demAmt[start+k] += int64(d.Amount)
			} else {
				c.demRes = append(c.demRes, int32(d.Resource))
				c.demAmt = append(c.demAmt, int64(d.Amount))
			}
		}
		for k := start; k < len(c.demRes); k++ {
			if r := c.demRes[k]; c.demAmt[k] > c.capac[r] {
				return nil, fmt.Errorf("%w: activity %q demands %d of %q, which has capacity %d; lower the demand or raise the capacity", ErrDemand, a.ID, c.demAmt[k], p.Resources[r].ID, c.capac[r])
			}
		}
		c.demOff[i+1] = int32(len(c.demRes))

		for k, set := range a.OneOf {
			if len(set) == 0 {
				return nil, fmt.Errorf("%w: activity %q has an empty OneOf[%d]; name at least one resource", ErrNeverFits, a.ID, k)
			}
			ms := len(c.mem)
			for _, r := range set {
				if r < 0 || r >= nr {
					return nil, fmt.Errorf("%w: activity %q has resource %d in OneOf[%d], but resources are numbered 0 to %d", ErrResource, a.ID, r, k, nr-1)
				}
				c.mem = append(c.mem, int32(r))
			}
			slices.Sort(c.mem[ms:])
			c.mem = append(c.mem[:ms], slices.Compact(c.mem[ms:])...)
			c.memOff = append(c.memOff, int32(len(c.mem)))
		}
		c.setOff[i+1] = int32(len(c.memOff) - 1)
	}
	c.buildSuccs()
	c.buildLims()
	c.buildGroups()
	if err := c.order(); err != nil {
		return nil, err
	}
	return c, nil
}

// buildLims lists, per resource, the usage limits that placing an activity
// tests: capacity minus each amount demanded, and capacity minus one minus
// the activity's own demand for OneOf members. Past maxLevels distinct
// limits a resource is not tracked, and the list stops growing.
func (c *compiled) buildLims() {
	c.lims = make([][]int64, c.nr)
	note := func(r int32, lim int64) {
		l := c.lims[r]
		if len(l) <= maxLevels && !slices.Contains(l, lim) {
			c.lims[r] = append(l, lim)
		}
	}
	for i := range c.n {
		for k := c.demOff[i]; k < c.demOff[i+1]; k++ {
			r := c.demRes[k]
			note(r, c.capac[r]-c.demAmt[k])
		}
		for s := c.setOff[i]; s < c.setOff[i+1]; s++ {
			for _, m := range c.members(s) {
				note(m, c.capac[m]-1-c.own(int32(i), m))
			}
		}
	}
	for _, l := range c.lims {
		slices.Sort(l)
	}
}

// maxGroup is the most resources one profile holds.
const maxGroup = 8

func (c *compiled) buildGroups() {
	demanded := make([]bool, c.nr)
	for _, r := range c.demRes {
		demanded[r] = true
	}
	c.grp = make([]int32, c.nr)
	c.gpos = make([]int32, c.nr)
	var cur []int32
	for r := range c.nr {
		if !demanded[r] {
			continue
		}
		if len(cur) == maxGroup {
			c.groups = append(c.groups, cur)
			cur = nil
		}
		c.grp[r], c.gpos[r] = int32(len(c.groups)), int32(len(cur))
		cur = append(cur, int32(r))
	}
	if cur != nil {
		c.groups = append(c.groups, cur)
	}
	for r := range c.nr {
		if !demanded[r] {
			c.grp[r] = int32(len(c.groups))
			c.groups = append(c.groups, []int32{int32(r)})
		}
	}
}

func (c *compiled) buildSuccs() {
	c.succOff = make([]int32, c.n+1)
	for _, q := range c.pred {
		c.succOff[q+1]++
	}
	for i := range c.n {
		c.succOff[i+1] += c.succOff[i]
	}
	c.succ = make([]int32, len(c.pred))
	fill := slices.Clone(c.succOff[:c.n])
	for i := range c.n {
		for _, q := range c.preds(int32(i)) {
			c.succ[fill[q]] = int32(i)
			fill[q]++
		}
	}
}

// order finds a topological order (Kahn, lowest index first among the
// ready) or reports a cycle with the activities on it.
func (c *compiled) order() error {
	n := c.n
	indeg := make([]int32, n)
	for i := range n {
		indeg[i] = c.predOff[i+1] - c.predOff[i]
	}
	c.topo = make([]int32, 0, n)
	for i := range n {
		if indeg[i] == 0 {
			c.topo = append(c.topo, int32(i))
		}
	}
	for h := 0; h < len(c.topo); h++ {
		for _, s := range c.succs(c.topo[h]) {
			if indeg[s]--; indeg[s] == 0 {
				c.topo = append(c.topo, s)
			}
		}
	}
	if len(c.topo) < n {
		return c.cycleError(indeg)
	}
	c.rank = make([]int32, n)
	for k, i := range c.topo {
		c.rank[i] = int32(k)
	}
	return nil
}

// cycleError walks predecessors among the activities Kahn's algorithm could
// not order (each has one such predecessor) until it meets itself.
func (c *compiled) cycleError(indeg []int32) error {
	v := int32(-1)
	for i := range c.n {
		if indeg[i] > 0 {
			v = int32(i)
			break
		}
	}
	seen := make(map[int32]int)
	var path []int32
	for {
		if k, ok := seen[v]; ok {
			path = path[k:]
			break
		}
		seen[v] = len(path)
		path = append(path, v)
		for _, q := range c.preds(v) {
			if indeg[q] > 0 {
				v = q
				break
			}
		}
	}
	// path follows predecessors; print it in the direction work flows.
	names := make([]string, 0, len(path)+1)
	for k := len(path) - 1; k >= 0; k-- {
		names = append(names, fmt.Sprintf("%q", c.ids[path[k]]))
	}
	names = append(names, names[0])
	return fmt.Errorf("%w: activity %q is on the loop %s; remove one of these dependencies", ErrCycle, c.ids[path[len(path)-1]], strings.Join(names, " -> "))
}

// checkDurations checks that dur can be scheduled: no negative duration, and
// every activity has, for each resource it needs, an availability interval
// long enough, and enough distinct OneOf candidates.
func (c *compiled) checkDurations(dur []int, resIDs func(int32) string) error {
	var taken []int32
	for i := range c.n {
		d := dur[i]
		id := c.ids[i]
		if d < 0 {
			return fmt.Errorf("%w: activity %q has duration %d; use 0 for a milestone", ErrDuration, id, d)
		}
		if d > maxDuration {
			return fmt.Errorf("%w: activity %q has duration %d, above the limit of %d minutes", ErrDuration, id, d, maxDuration)
		}
		for k := c.demOff[i]; k < c.demOff[i+1]; k++ {
			if r := c.demRes[k]; c.longest[r] < d {
				return fmt.Errorf("%w: activity %q takes %d minutes but %q is never available that long at a stretch; split the activity or widen the availability", ErrNeverFits, id, d, resIDs(r))
			}
		}
		// A matching of sets to distinct usable members must exist.
		taken = taken[:0]
		for s := c.setOff[i]; s < c.setOff[i+1]; s++ {
			if !c.augment(int32(i), s, d, c.setOff[i], &taken, nil) {
				return fmt.Errorf("%w: activity %q needs one of %s for %d minutes, but none of them can take it (capacity, or no availability interval that long); add someone or shorten the activity", ErrNeverFits, id, c.setNames(s, resIDs), d)
			}
		}
	}
	return nil
}

// augment finds a member for set s distinct from those taken by the sets
// first..s-1 of activity i (taken[k] is the member of set first+k), moving
// earlier choices along an augmenting path when needed (Kuhn's algorithm).
func (c *compiled) augment(i, s int32, d int, first int32, taken *[]int32, visited []int32) bool {
	for _, m := range c.members(s) {
		if c.capac[m]-c.own(i, m) < 1 || c.longest[m] < d || slices.Contains(visited, m) {
			continue
		}
		visited = append(visited, m)
		k := slices.Index(*taken, m)
		if k < 0 || c.augment(i, first+int32(k), d, first, taken, visited) {
			if int(s-first) == len(*taken) {
				*taken = append(*taken, m)
			} else {
				(*taken)[s-first] = m
			}
			return true
		}
	}
	return false
}

func (c *compiled) setNames(s int32, resIDs func(int32) string) string {
	var b strings.Builder
	b.WriteString("{")
	for k, m := range c.members(s) {
		if k > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", resIDs(m))
	}
	b.WriteString("}")
	return b.String()
}

// mergeIntervals sorts the non-empty intervals, clips them to ±maxTime and
// merges those that overlap or touch. It returns nil for "always available"
// (no intervals given) and the length of the longest merged interval.
func mergeIntervals(in []Interval) ([]Interval, int) {
	if len(in) == 0 {
		return nil, maxTime
	}
	out := make([]Interval, 0, len(in))
	for _, iv := range in {
		s, e := max(iv.Start, -maxTime), min(iv.End, maxTime)
		if s < e {
			out = append(out, Interval{s, e})
		}
	}
	slices.SortFunc(out, func(a, b Interval) int {
		if a.Start != b.Start {
			if a.Start < b.Start {
				return -1
			}
			return 1
		}
		return 0
	})
	merged := out[:0]
	longest := 0
	for _, iv := range out {
		if k := len(merged) - 1; k >= 0 && iv.Start <= merged[k].End {
			merged[k].End = max(merged[k].End, iv.End)
		} else {
			merged = append(merged, iv)
		}
	}
	for _, iv := range merged {
		longest = max(longest, iv.End-iv.Start)
	}
	if len(merged) == 0 {
		// Intervals were given but all are empty: never available. Keep a
		// non-nil empty list so the resource is blocked everywhere.
		return []Interval{}, 0
	}
	return merged, longest
}
