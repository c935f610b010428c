package schedule

import (
	"slices"
	"strconv"
	"strings"
)

// criticalPath is the longest chain of durations along precedences,
// ignoring resources, availability and release times.
func (c *compiled) criticalPath(dur []int) int {
	ef := make([]int, c.n)
	cp := 0
	for _, j := range c.topo {
		s := 0
		for _, q := range c.preds(j) {
			s = max(s, ef[q])
		}
		ef[j] = s + dur[j]
		cp = max(cp, ef[j])
	}
	return cp
}

// lowerBound is a makespan no schedule can beat: the largest of
//   - the release+tail bound: earliest finishes with release times,
//     precedences, and each activity pushed to the first availability
//     interval long enough of every resource it needs (the soonest among
//     the members of each OneOf set), usage ignored;
//   - per resource, the least time by which capacity x available time
//     covers its work sum(d x demand);
//   - per distinct OneOf set, the same for the work that must land on its
//     members.
func (c *compiled) lowerBound(dur []int) int {
	lb := 0
	ef := make([]int, c.n)
	for _, j := range c.topo {
		t := c.release[j]
		for _, q := range c.preds(j) {
			t = max(t, ef[q])
		}
		if d := dur[j]; d > 0 {
			for moved := true; moved && t != never; {
				moved = false
				for k := c.demOff[j]; k < c.demOff[j+1] && t != never; k++ {
					if t2 := intervalFit(c.avail[c.demRes[k]], t, d); t2 != t {
						t, moved = t2, true
					}
				}
				for s := c.setOff[j]; s < c.setOff[j+1] && t != never; s++ {
					best := never
					for _, m := range c.members(s) {
						if c.capac[m]-c.own(j, m) >= 1 {
							best = min(best, intervalFit(c.avail[m], t, d))
						}
					}
					if best != t {
						t, moved = best, true
					}
				}
			}
		}
		if t == never {
			return never
		}
		ef[j] = t + dur[j]
		lb = max(lb, ef[j])
	}

	work := make([]int64, c.nr)
	for j := range c.n {
		for k := c.demOff[j]; k < c.demOff[j+1]; k++ {
			work[c.demRes[k]] += int64(dur[j]) * c.demAmt[k]
		}
	}
	for r := range c.nr {
		lb = max(lb, c.coverTime([]int32{int32(r)}, work[r]))
	}

	// Group the OneOf sets by their members, in order of first appearance.
	var sets [][]int32
	var setWork []int64
	index := map[string]int{}
	var key strings.Builder
	for j := range c.n {
		for s := c.setOff[j]; s < c.setOff[j+1]; s++ {
			key.Reset()
			for _, m := range c.members(s) {
				key.WriteString(strconv.Itoa(int(m)))
				key.WriteByte(',')
			}
			g, ok := index[key.String()]
			if !ok {
				g = len(sets)
				index[key.String()] = g
				sets = append(sets, c.members(s))
				setWork = append(setWork, 0)
			}
			setWork[g] += int64(dur[j])
		}
	}
	const subsetLimit = 64
	for g, members := range sets {
		w := setWork[g]
		if len(sets) <= subsetLimit {
			for h, other := range sets {
				if h != g && subset(other, members) {
					w += setWork[h]
				}
			}
		}
		for _, m := range members {
			w += work[m]
		}
		lb = max(lb, c.coverTime(members, w))
	}
	return lb
}

func subset(a, b []int32) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return false
		}
	}
	return true
}

// intervalFit is the first t' >= t with [t', t'+d) inside one interval of
// ivs (nil = always), or never.
func intervalFit(ivs []Interval, t, d int) int {
	if ivs == nil {
		return t
	}
	k, _ := slices.BinarySearchFunc(ivs, t+d, func(iv Interval, x int) int {
		if iv.End < x {
			return -1
		}
		return 1
	})
	for ; k < len(ivs); k++ {
		s := max(ivs[k].Start, t)
		if ivs[k].End-s >= d {
			return s
		}
	}
	return never
}

// coverTime is the least m such that the resources rs, over [0, m), offer
// at least w capacity-minutes within their availability.
func (c *compiled) coverTime(rs []int32, w int64) int {
	if w <= 0 {
		return 0
	}
	offered := func(m int) int64 {
		var sum int64
		for _, r := range rs {
			if c.capac[r] <= 0 {
				continue
			}
			if c.avail[r] == nil {
				sum += capped(c.capac[r], int64(m), w)
			} else {
				for _, iv := range c.avail[r] {
					if iv.Start >= m {
						break
					}
					if s, e := max(iv.Start, 0), min(iv.End, m); s < e {
						sum += capped(c.capac[r], int64(e-s), w)
					}
				}
			}
			if sum >= w {
				return w
			}
		}
		return sum
	}
	hi := 1
	for offered(hi) < w {
		if hi >= maxTime/2 {
			return never
		}
		hi *= 2
	}
	lo := hi / 2 // offered(lo) < w, or lo == 0
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		if offered(mid) >= w {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// capped is a*b for positive a and b, or w if that is at least w; it keeps
// coverTime free of overflow.
func capped(a, b, w int64) int64 {
	if a > w/b {
		return w
	}
	return min(a*b, w)
}
