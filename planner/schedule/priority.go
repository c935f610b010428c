package schedule

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// rule is a priority rule: the activity with the smallest key among those
// whose predecessors are all listed goes next.
type rule int

const (
	ruleLFT  rule = iota // latest finish time, smallest first
	ruleMTS              // most total successors first
	ruleGRPW             // greatest rank positional weight first
	ruleLST              // latest start time, smallest first
	nRules
)

// lister makes the activity list of each pass: the priority rules LFT,
// MTS, GRPW and LST in turn, then randomised variants of them in the same
// rotation. Problems of up to sampleLimit activities use regret-based
// biased random sampling; larger ones add noise to the rule's ranks.
type lister struct {
	c      *compiled
	lf     []int
	rng    *rand.Rand
	keys   [nRules][]float64
	ranked [nRules][]float64
	noisy  []float64
	b      listBuilder
}

// sampleLimit is the largest problem whose randomised passes use
// regret-based sampling, O(n x eligible); larger ones perturb the rule's
// ranks with noise, O(n log n).
const sampleLimit = 2000

func newLister(c *compiled, seed uint64) *lister {
	_, lf := c.cpm(c.dur)
	return &lister{
		c:   c,
		lf:  lf,
		rng: rand.New(rand.NewPCG(seed, 0x6463_6d6f_7665)), // "dcmove"
		b:   listBuilder{c: c},
	}
}

// list returns the activity list of pass number pass, built in out.
func (l *lister) list(pass int, out []int32) []int32 {
	c := l.c
	r := rule(pass % int(nRules))
	if l.keys[r] == nil {
		l.keys[r] = c.keys(r, c.dur, l.lf)
	}
	switch {
	case pass < int(nRules):
		return l.b.build(l.keys[r], out)
	case c.n <= sampleLimit:
		return l.b.sample(l.keys[r], l.rng, out)
	}
	// Noise on the rule's ranks: each activity may move ahead of a few
	// others and about alpha*n more; alpha varies from pass to pass.
	if l.ranked[r] == nil {
		l.ranked[r] = ranks(l.keys[r])
	}
	if l.noisy == nil {
		l.noisy = make([]float64, c.n)
	}
	alpha := 0.01 * float64(int(1)<<((pass/int(nRules)-1)%4))
	amp := 2 + alpha*float64(c.n)
	for j, v := range l.ranked[r] {
		l.noisy[j] = v + amp*l.rng.Float64()
	}
	return l.b.build(l.noisy, out)
}

// cpm is the critical path method ignoring resources and availability:
// earliest finishes (with release times) forward, latest finishes backward
// from the latest earliest finish.
func (c *compiled) cpm(dur []int) (ef, lf []int) {
	ef = make([]int, c.n)
	lf = make([]int, c.n)
	horizon := 0
	for _, j := range c.topo {
		s := c.release[j]
		for _, q := range c.preds(j) {
			s = max(s, ef[q])
		}
		ef[j] = s + dur[j]
		horizon = max(horizon, ef[j])
	}
	for k := len(c.topo) - 1; k >= 0; k-- {
		j := c.topo[k]
		f := horizon
		for _, s := range c.succs(j) {
			f = min(f, lf[s]-dur[s])
		}
		lf[j] = f
	}
	return ef, lf
}

// keys returns the key of every activity under rule r.
func (c *compiled) keys(r rule, dur []int, lf []int) []float64 {
	k := make([]float64, c.n)
	switch r {
	case ruleLFT:
		for j := range k {
			k[j] = float64(lf[j])
		}
	case ruleLST:
		for j := range k {
			k[j] = float64(lf[j] - dur[j])
		}
	case ruleGRPW:
		for j := range k {
			w := dur[j]
			for _, s := range c.succs(int32(j)) {
				w += dur[s]
			}
			k[j] = -float64(w)
		}
	case ruleMTS:
		for j, v := range c.totalSuccessors() {
			k[j] = -v
		}
	}
	return k
}

// exactMTS is the largest problem for which the number of total successors
// is counted exactly with bit sets (n²/8 bytes); above it is estimated.
const exactMTS = 4096

// totalSuccessors returns, for every activity, the number of activities
// that transitively depend on it: exactly up to exactMTS activities, and
// above that estimated with Cohen's size-estimation framework (the minimum
// of k exponential ranks over the reachable set), which is linear.
func (c *compiled) totalSuccessors() []float64 {
	n := c.n
	out := make([]float64, n)
	if n <= exactMTS {
		w := (n + 63) / 64
		reach := make([]uint64, n*w)
		for k := n - 1; k >= 0; k-- {
			j := int(c.topo[k])
			row := reach[j*w : (j+1)*w]
			for _, s := range c.succs(int32(j)) {
				row[s/64] |= 1 << (s % 64)
				for x, b := range reach[int(s)*w : (int(s)+1)*w] {
					row[x] |= b
				}
			}
			cnt := 0
			for _, b := range row {
				cnt += bits.OnesCount64(b)
			}
			out[j] = float64(cnt)
		}
		return out
	}
	const k = 16
	rng := rand.New(rand.NewPCG(0x5ca1ab1e, 0xdeadbeef))
	mins := make([]float32, n*k)
	for x := range mins {
		mins[x] = float32(rng.ExpFloat64())
	}
	for t := n - 1; t >= 0; t-- {
		j := int(c.topo[t])
		row := mins[j*k : (j+1)*k]
		for _, s := range c.succs(int32(j)) {
			for x, v := range mins[int(s)*k : (int(s)+1)*k] {
				row[x] = min(row[x], v)
			}
		}
		var sum float64
		for _, v := range row {
			sum += float64(v)
		}
		out[j] = math.Max(0, (k-1)/sum-1)
	}
	return out
}

// ranks turns keys into positions 0..n-1 (ties by index), a scale-free form
// for adding noise.
func ranks(keys []float64) []float64 {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case keys[a] < keys[b]:
			return -1
		case keys[a] > keys[b]:
			return 1
		}
		return 0
	})
	r := make([]float64, len(keys))
	for p, i := range idx {
		r[i] = float64(p)
	}
	return r
}

// listBuilder turns keys into a precedence-feasible activity list: at each
// step the eligible activity (all predecessors listed) with the smallest
// key, ties by index. A binary heap keeps it O(n log n).
type listBuilder struct {
	c    *compiled
	left []int32
	heap []int32
	keys []float64
}

func (b *listBuilder) build(keys []float64, list []int32) []int32 {
	c := b.c
	b.keys = keys
	if b.left == nil {
		b.left = make([]int32, c.n)
	}
	b.heap = b.heap[:0]
	for j := range c.n {
		b.left[j] = c.predOff[j+1] - c.predOff[j]
		if b.left[j] == 0 {
			b.push(int32(j))
		}
	}
	list = list[:0]
	for len(b.heap) > 0 {
		j := b.pop()
		list = append(list, j)
		for _, s := range c.succs(j) {
			if b.left[s]--; b.left[s] == 0 {
				b.push(s)
			}
		}
	}
	return list
}

func (b *listBuilder) less(x, y int32) bool {
	kx, ky := b.keys[x], b.keys[y]
	if kx != ky {
		return kx < ky
	}
	return x < y
}

func (b *listBuilder) push(j int32) {
	h := append(b.heap, j)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !b.less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	b.heap = h
}

func (b *listBuilder) pop() int32 {
	h := b.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && b.less(h[r], h[l]) {
			m = r
		}
		if !b.less(h[m], h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	b.heap = h
	return top
}

// sample builds a list by regret-based biased random sampling (Drexl 1991;
// Kolisch and Drexl 1996): at each step every eligible activity j may come
// next with probability proportional to (regret_j + 1)^2, where regret_j is
// how much better its key is than the worst eligible key. It costs
// O(n * eligible) and is used for the randomised passes of small problems.
func (b *listBuilder) sample(keys []float64, rng *rand.Rand, list []int32) []int32 {
	c := b.c
	if b.left == nil {
		b.left = make([]int32, c.n)
	}
	elig := b.heap[:0]
	for j := range c.n {
		b.left[j] = c.predOff[j+1] - c.predOff[j]
		if b.left[j] == 0 {
			elig = append(elig, int32(j))
		}
	}
	var w []float64
	list = list[:0]
	for len(elig) > 0 {
		worst := math.Inf(-1)
		for _, j := range elig {
			worst = max(worst, keys[j])
		}
		w = w[:0]
		total := 0.0
		for _, j := range elig {
			r := worst - keys[j] + 1
			total += r * r
			w = append(w, total)
		}
		x := rng.Float64() * total
		k, _ := slices.BinarySearch(w, x)
		k = min(k, len(elig)-1)
		j := elig[k]
		elig[k] = elig[len(elig)-1]
		elig = elig[:len(elig)-1]
		list = append(list, j)
		for _, s := range c.succs(j) {
			if b.left[s]--; b.left[s] == 0 {
				elig = append(elig, s)
			}
		}
	}
	b.heap = elig
	return list
}
