package schedule

import (
	"math"
	"slices"
)

// blocked is the usage a profile shows where its resource is not available,
// so that availability and capacity are one test: usage <= capacity - demand.
const blocked int64 = 1 << 40

// maxLevels is the most usage limits a profile indexes per resource; a
// resource tested against more distinct limits falls back to scanning.
const maxLevels = 8

// noRun marks the absence of a free run reaching a point.
const noRun = math.MinInt

// satLen caps run lengths, which are only compared with durations <= satLen.
const satLen = maxDuration

// lcap and icap are the number of entries a leaf and an inner node of the
// B+ tree hold (one more while they split).
const (
	lcap = 16
	icap = 16
)

// profile is the usage of a small group of resources over time: a step
// function of usage vectors, kept as segments [key, next key) in the leaves
// of a B+ tree ordered by time.
//
// Each inner node keeps, per child, a summary of the child's time span: its
// bounds, each resource's maximum and minimum usage and, for each tracked
// usage limit of each resource (capacity minus an amount that some
// activity demands), the lengths of the free prefix, free suffix and
// longest free run, where free means usage <= limit.
//
// A query asks for the first window of d minutes at or after t in which
// several resources each stay within their limit. The free prefix and
// suffix of "all of them free" are the shortest of the individual ones, and
// its longest run is at most the shortest individual longest run, so one
// descent skips the subtrees that cannot hold the window and carries the
// free run across those it passes, rather than jumping back and forth
// between resources. For one resource that is O(log n) however fragmented
// the usage; for several, the bound on the longest run can send the
// descent into a subtree that turns out not to hold the window, which is
// uncommon. Untracked limits fall back to jumping from one free stretch
// to the next.
//
// Adding usage over [s, e) inserts at most two breakpoints, which changes
// no summary unless a node splits, then updates the segments inside and,
// on the paths to them, the summaries of the levels that changed. Wide
// nodes keep the tree shallow (four levels for 100,000 segments) and the
// summaries a node scans contiguous in memory.
type profile struct {
	g    int       // resources in the group
	lims [][]int64 // per resource: tracked limits
	loff []int     // per resource: index of its first level
	nl   int       // levels in all
	rl   []uint64  // per resource: the bits of its levels
	full uint64    // all levels

	leaves []bleaf
	inners []binner
	mxmn   []int64 // per inner node, resource and entry: max, min
	lv     []int32 // per inner node, level and entry: free prefix, suffix, longest run
	root   int32
}

type bleaf struct {
	n   int
	end int // end of the last segment
	key [lcap + 1]int
	val [(lcap + 1) * maxGroup]int64 // usage of resource r over segment i at i*g + r
}

type binner struct {
	n        int
	leafKids bool
	kid      [icap + 1]int32
	lo, hi   [icap + 1]int // span of each child
}

// req is one resource of a query: r's usage must stay <= lim, tracked as
// level x.
type req struct {
	r   int
	lim int64
	x   int
}

// amount is usage added to resource r.
type amount struct {
	r int
	a int64
}

// span is b-a, saturated at satLen and safe for the ±infinite ends.
func span(a, b int) int {
	if a == math.MinInt || b == math.MaxInt {
		return satLen
	}
	return min(b-a, satLen)
}

// setup sizes the profile for g resources with the given tracked limits
// (at most maxLevels each; more are not tracked).
func (p *profile) setup(g int, lims [][]int64) {
	p.g = g
	p.lims = make([][]int64, g)
	p.loff = make([]int, g)
	p.rl = make([]uint64, g)
	p.nl = 0
	for r := range g {
		if len(lims[r]) <= maxLevels {
			p.lims[r] = lims[r]
		}
		p.loff[r] = p.nl
		p.rl[r] = (1<<len(p.lims[r]) - 1) << p.nl
		p.nl += len(p.lims[r])
	}
	p.full = 1<<p.nl - 1
}

// reserve makes room for about adds additions without growing: each adds
// up to two breakpoints, many shared, and leaves are two-thirds full on
// average.
func (p *profile) reserve(adds int) {
	leaves := adds/6 + 2
	inners := leaves/8 + 2
	p.leaves = make([]bleaf, 0, leaves)
	p.inners = make([]binner, 0, inners)
	p.mxmn = make([]int64, 0, inners*stride*2*p.g)
	p.lv = make([]int32, 0, inners*stride*3*p.nl)
}

// level is the level tracking limit lim of resource r, or -1.
func (p *profile) level(r int, lim int64) int {
	for x, l := range p.lims[r] {
		if l == lim {
			return p.loff[r] + x
		}
	}
	return -1
}

// init makes the profile empty of work, each resource blocked outside its
// availability ivs[r] (nil means always available). With mirror, time runs
// backwards from m: an interval [s, e) becomes [m-e, m-s).
func (p *profile) init(ivs [][]Interval, mirror bool, m int) {
	p.leaves = p.leaves[:0]
	p.inners = p.inners[:0]
	p.mxmn = p.mxmn[:0]
	p.lv = p.lv[:0]
	l := p.newLeaf()
	p.leaves[l].n = 1
	p.leaves[l].end = math.MaxInt
	p.leaves[l].key[0] = math.MinInt
	for r := range p.g {
		if ivs[r] != nil {
			p.leaves[l].val[r] = blocked
		}
	}
	p.root = p.newInner(true)
	p.inners[p.root].n = 1
	p.inners[p.root].kid[0] = l
	p.summarize(p.root, 0, p.all(), p.full)
	var one [1]amount
	for r := range p.g {
		one[0] = amount{r, -blocked}
		for _, iv := range ivs[r] {
			s, e := iv.Start, iv.End
			if mirror {
				s, e = m-e, m-s
			}
			p.add(s, e, one[:])
		}
	}
}

func (p *profile) all() uint32 { return 1<<p.g - 1 }

func (p *profile) newLeaf() int32 {
	p.leaves = append(p.leaves, bleaf{})
	return int32(len(p.leaves) - 1)
}

func (p *profile) newInner(leafKids bool) int32 {
	p.inners = append(p.inners, binner{leafKids: leafKids})
	p.mxmn = grow(p.mxmn, stride*2*p.g)
	p.lv = grow(p.lv, stride*3*p.nl)
	return int32(len(p.inners) - 1)
}

// stride is the room for entries per inner node in the flat summary
// arrays.
const stride = icap + 1

// mmAt is the index in p.mxmn of resource r of entry c of inner node ni.
func (p *profile) mmAt(ni int32, r, c int) int { return ((int(ni)*p.g+r)*stride + c) * 2 }

// lvAt is the index in p.lv of level l of entry c of inner node ni.
func (p *profile) lvAt(ni int32, l, c int) int { return ((int(ni)*p.nl+l)*stride + c) * 3 }

// summarize recomputes the summary of entry c of inner node ni from the
// child it points to: the usage bounds of the resources in mask and the
// levels in lmask. It returns the levels whose summary changed; the others
// need no update further up.
func (p *profile) summarize(ni int32, c int, mask uint32, lmask uint64) uint64 {
	var changed uint64
	in := &p.inners[ni]
	g := p.g
	kid := in.kid[c]
	var lens [max(lcap, icap) + 1]int
	if in.leafKids {
		lf := &p.leaves[kid]
		n := lf.n
		in.lo[c], in.hi[c] = lf.key[0], lf.end
		total := span(lf.key[0], lf.end)
		for i := range n - 1 {
			lens[i] = span(lf.key[i], lf.key[i+1])
		}
		lens[n-1] = span(lf.key[n-1], lf.end)
		vals := lf.val[:n*g]
		for r := range g {
			if mask&(1<<r) == 0 {
				continue
			}
			mx, mn := vals[r], vals[r]
			for i := 1; i < n; i++ {
				v := vals[i*g+r]
				mx, mn = max(mx, v), min(mn, v)
			}
			mo := p.mxmn[p.mmAt(ni, r, c):][:2]
			omx := mo[0]
			mo[0], mo[1] = mx, mn
			for x, lim := range p.lims[r] {
				l := p.loff[r] + x
				if lmask&(1<<l) == 0 {
					continue
				}
				var pre, suf, best int
				switch {
				case lim >= mx:
					pre, suf, best = total, total, total
				case lim < mn:
				default:
					all := true
					for i := range n {
						if vals[i*g+r] > lim {
							all, suf = false, 0
							continue
						}
						suf = min(suf+lens[i], satLen)
						if all {
							pre = suf
						}
						best = max(best, suf)
					}
				}
				o := p.lv[p.lvAt(ni, l, c):][:3]
				if o[0] != int32(pre) || o[1] != int32(suf) || o[2] != int32(best) || (omx <= lim) != (mx <= lim) {
					changed |= 1 << l
					o[0], o[1], o[2] = int32(pre), int32(suf), int32(best)
				}
			}
		}
		return changed
	}
	ch := &p.inners[kid]
	n := ch.n
	in.lo[c], in.hi[c] = ch.lo[0], ch.hi[n-1]
	total := span(ch.lo[0], ch.hi[n-1])
	for e := range n {
		lens[e] = span(ch.lo[e], ch.hi[e])
	}
	for r := range g {
		if mask&(1<<r) == 0 {
			continue
		}
		cm := p.mxmn[p.mmAt(kid, r, 0):][:2*n]
		mx, mn := cm[0], cm[1]
		for e := 1; e < n; e++ {
			mx, mn = max(mx, cm[2*e]), min(mn, cm[2*e+1])
		}
		mo := p.mxmn[p.mmAt(ni, r, c):][:2]
		omx := mo[0]
		mo[0], mo[1] = mx, mn
		for x, lim := range p.lims[r] {
			l := p.loff[r] + x
			if lmask&(1<<l) == 0 {
				continue
			}
			var pre, suf, best int
			switch {
			case lim >= mx:
				pre, suf, best = total, total, total
			case lim < mn:
			default:
				cl := p.lv[p.lvAt(kid, l, 0):][:3*n]
				all := true
				for e := range n {
					epre := int(cl[3*e])
					best = max(best, int(cl[3*e+2]), min(suf+epre, satLen))
					if all {
						pre = min(pre+epre, satLen)
					}
					if cm[2*e] <= lim {
						suf = min(suf+lens[e], satLen)
					} else {
						all, suf = false, int(cl[3*e+1])
					}
				}
			}
			o := p.lv[p.lvAt(ni, l, c):][:3]
			if o[0] != int32(pre) || o[1] != int32(suf) || o[2] != int32(best) || (omx <= lim) != (mx <= lim) {
				changed |= 1 << l
				o[0], o[1], o[2] = int32(pre), int32(suf), int32(best)
			}
		}
	}
	return changed
}

// add adds the amounts to the usage over [s, e).
func (p *profile) add(s, e int, amts []amount) {
	if s >= e || len(amts) == 0 {
		return
	}
	var mask uint32
	var lmask uint64
	for _, a := range amts {
		mask |= 1 << a.r
		lmask |= p.rl[a.r]
	}
	p.breakAt(s)
	p.breakAt(e)
	p.addInner(p.root, s, e, amts, mask, lmask)
}

// addInner adds the amounts over [s, e) under inner node ni and returns
// the levels whose summaries changed.
func (p *profile) addInner(ni int32, s, e int, amts []amount, mask uint32, lmask uint64) uint64 {
	in := &p.inners[ni]
	var changed uint64
	for c := firstAfter(in, s); c < in.n && in.lo[c] < e; c++ {
		lm := lmask
		if in.leafKids {
			kid := in.kid[c]
			lf := &p.leaves[kid]
			vals := lf.val[:]
			for i := range lf.n {
				if s <= lf.key[i] && lf.key[i] < e {
					for _, a := range amts {
						vals[i*p.g+a.r] += a.a
					}
				}
			}
		} else {
			lm = p.addInner(in.kid[c], s, e, amts, mask, lmask)
		}
		changed |= p.summarize(ni, c, mask, lm)
	}
	return changed
}

// firstAfter is the first entry of in whose span ends after t.
func firstAfter(in *binner, t int) int {
	lo, hi := 0, in.n
	for lo < hi {
		m := (lo + hi) / 2
		if in.hi[m] <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// lastKeyAtMost is the last segment of lf starting at or before t (0 if
// none does).
func lastKeyAtMost(lf *bleaf, t int) int {
	lo, hi := 0, lf.n
	for lo < hi {
		m := (lo + hi) / 2
		if lf.key[m] <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return max(lo-1, 0)
}

// breakAt makes t a breakpoint, splitting the segment that contains it.
func (p *profile) breakAt(t int) {
	split, sib := p.insert(p.root, t)
	if !split {
		return
	}
	old := p.root
	r := p.newInner(false)
	p.inners[r].n = 2
	p.inners[r].kid[0], p.inners[r].kid[1] = old, sib
	p.summarize(r, 0, p.all(), p.full)
	p.summarize(r, 1, p.all(), p.full)
	p.root = r
}

// insert adds breakpoint t under inner node ni; if ni overflows it splits,
// and insert returns its new right sibling.
func (p *profile) insert(ni int32, t int) (bool, int32) {
	in := &p.inners[ni]
	c := min(firstAfter(in, t), in.n-1)
	var split bool
	var sib int32
	if in.leafKids {
		split, sib = p.insertLeaf(in.kid[c], t)
	} else {
		split, sib = p.insert(in.kid[c], t)
	}
	if !split {
		return false, 0 // usage is unchanged, so are the summaries
	}
	in = &p.inners[ni]
	n := in.n
	copy(in.kid[c+2:n+1], in.kid[c+1:n])
	copy(in.lo[c+2:n+1], in.lo[c+1:n])
	copy(in.hi[c+2:n+1], in.hi[c+1:n])
	for r := range p.g {
		copy(p.mxmn[p.mmAt(ni, r, c+2):p.mmAt(ni, r, n+1)], p.mxmn[p.mmAt(ni, r, c+1):p.mmAt(ni, r, n)])
	}
	for l := range p.nl {
		copy(p.lv[p.lvAt(ni, l, c+2):p.lvAt(ni, l, n+1)], p.lv[p.lvAt(ni, l, c+1):p.lvAt(ni, l, n)])
	}
	in.kid[c+1] = sib
	in.n++
	p.summarize(ni, c, p.all(), p.full)
	p.summarize(ni, c+1, p.all(), p.full)
	if in.n <= icap {
		return false, 0
	}
	nn := p.newInner(in.leafKids)
	in, out := &p.inners[ni], &p.inners[nn]
	h := in.n / 2
	m := in.n - h
	copy(out.kid[:m], in.kid[h:in.n])
	copy(out.lo[:m], in.lo[h:in.n])
	copy(out.hi[:m], in.hi[h:in.n])
	for r := range p.g {
		copy(p.mxmn[p.mmAt(nn, r, 0):p.mmAt(nn, r, m)], p.mxmn[p.mmAt(ni, r, h):p.mmAt(ni, r, in.n)])
	}
	for l := range p.nl {
		copy(p.lv[p.lvAt(nn, l, 0):p.lvAt(nn, l, m)], p.lv[p.lvAt(ni, l, h):p.lvAt(ni, l, in.n)])
	}
	out.n, in.n = m, h
	return true, nn
}

// insertLeaf adds breakpoint t to leaf li; if the leaf overflows it
// splits, and insertLeaf returns the new right leaf.
func (p *profile) insertLeaf(li int32, t int) (bool, int32) {
	lf := &p.leaves[li]
	i := lastKeyAtMost(lf, t)
	if lf.key[i] == t {
		return false, 0
	}
	n, g := lf.n, p.g
	vals := lf.val[:]
	copy(lf.key[i+2:n+1], lf.key[i+1:n])
	copy(vals[(i+2)*g:(n+1)*g], vals[(i+1)*g:n*g])
	lf.key[i+1] = t
	copy(vals[(i+1)*g:(i+2)*g], vals[i*g:(i+1)*g])
	lf.n++
	if lf.n <= lcap {
		return false, 0
	}
	nl := p.newLeaf()
	lf, out := &p.leaves[li], &p.leaves[nl]
	h := lf.n / 2
	m := lf.n - h
	copy(out.key[:m], lf.key[h:lf.n])
	copy(out.val[:m*p.g], lf.val[h*p.g:lf.n*p.g])
	out.n, lf.n = m, h
	out.end, lf.end = lf.end, out.key[0]
	return true, nl
}

// fit returns the earliest t' >= t such that every q's usage stays within
// its limit over all of [t', t'+d), or never. Every q must be tracked.
func (p *profile) fit(t, d int, q []req) int {
	if d <= 0 {
		return t
	}
	r, _ := p.run(p.root, t, d, q, noRun)
	return r
}

// run finds under inner node ni the first start >= t0 of a window of d
// minutes free for every q, given that a run free for all of them,
// starting at carry (noRun if none), reaches the node's left edge. It
// returns the start or never, and the free run reaching the right edge.
func (p *profile) run(ni int32, t0, d int, q []req, carry int) (int, int) {
	in := &p.inners[ni]
	// Where each req's summaries of this node start.
	var lvb, mmb [maxGroup]int
	for k, x := range q {
		lvb[k], mmb[k] = p.lvAt(ni, x.x, 0), p.mmAt(ni, x.r, 0)
	}
	for c := firstAfter(in, t0); c < in.n; c++ {
		lo, hi := in.lo[c], in.hi[c]
		if lo >= t0 {
			pre, suf, best, all := satLen, satLen, satLen, true
			for k, x := range q {
				v := p.lv[lvb[k]+3*c:][:3]
				pre, suf, best = min(pre, int(v[0])), min(suf, int(v[1])), min(best, int(v[2]))
				all = all && p.mxmn[mmb[k]+2*c] <= x.lim
			}
			if carry != noRun && lo-carry+pre >= d {
				return carry, noRun
			}
			if best < d {
				switch {
				case all:
					if carry == noRun {
						carry = lo
					}
				case suf > 0:
					carry = hi - suf
				default:
					carry = noRun
				}
				continue
			}
		}
		var t int
		if in.leafKids {
			t, carry = p.runLeaf(in.kid[c], t0, d, q, carry)
		} else {
			t, carry = p.run(in.kid[c], t0, d, q, carry)
		}
		if t != never {
			return t, noRun
		}
	}
	return never, carry
}

func (p *profile) runLeaf(li int32, t0, d int, q []req, carry int) (int, int) {
	lf := &p.leaves[li]
	g := p.g
	vals := lf.val[:]
	for i := lastKeyAtMost(lf, t0); i < lf.n; i++ {
		end := lf.end
		if i+1 < lf.n {
			end = lf.key[i+1]
		}
		free := end > t0
		for _, x := range q {
			free = free && vals[i*g+x.r] <= x.lim
		}
		if !free {
			carry = noRun
			continue
		}
		if carry == noRun {
			carry = max(lf.key[i], t0)
		}
		if span(carry, end) >= d {
			return carry, noRun
		}
	}
	return never, carry
}

// fitScan is fit for one resource r and an untracked limit: it alternates
// two searches, the next rise above the limit and the next fall back
// within it, one free stretch at a time.
func (p *profile) fitScan(t, d, r int, lim int64) int {
	if d <= 0 {
		return t
	}
	if p.at(t, r) > lim {
		if t = p.next(p.root, t, r, lim, false); t == never {
			return never
		}
	}
	for {
		b := p.next(p.root, t, r, lim, true)
		if b == never || b-t >= d {
			return t
		}
		if t = p.next(p.root, b, r, lim, false); t == never {
			return never
		}
	}
}

// at returns the usage of resource r at time t.
func (p *profile) at(t, r int) int64 {
	ni := p.root
	for {
		in := &p.inners[ni]
		c := min(firstAfter(in, t), in.n-1)
		if in.leafKids {
			lf := &p.leaves[in.kid[c]]
			return lf.val[lastKeyAtMost(lf, t)*p.g+r]
		}
		ni = in.kid[c]
	}
}

// next returns the first breakpoint after t where the usage of r is above
// lim (with over) or within it (without), or never.
func (p *profile) next(ni int32, t, r int, lim int64, over bool) int {
	in := &p.inners[ni]
	for c := firstAfter(in, t); c < in.n; c++ {
		m := p.mmAt(ni, r, c)
		if over && p.mxmn[m] <= lim || !over && p.mxmn[m+1] > lim {
			continue
		}
		if in.leafKids {
			kid := in.kid[c]
			lf := &p.leaves[kid]
			for i := range lf.n {
				if lf.key[i] > t && (lf.val[i*p.g+r] > lim) == over {
					return lf.key[i]
				}
			}
			continue
		}
		if k := p.next(in.kid[c], t, r, lim, over); k != never {
			return k
		}
	}
	return never
}

// grow extends s by k zeros.
func grow[T int32 | int64](s []T, k int) []T {
	n := len(s)
	s = slices.Grow(s, k)[:n+k]
	clear(s[n:])
	return s
}
