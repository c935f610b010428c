// Package montecarlo estimates how a schedule fares when durations vary,
// the way a crew lives it: the steps are taken in the order the schedule
// starts them, and each starts as soon as its predecessors are done, the
// vehicles and resources it holds are free, and someone of its role is
// free with room left in their shift (past the last shift, they stay
// late).
//
// A [Sequence] is built once from a [schedule.Result]; re-timing it with
// other durations ([Sequence.Makespan]) costs one pass over the steps and
// their dependencies, far less than scheduling again, so a thousand samples
// of a 20,000-step move take about a second. [Sequence.Sample] draws them,
// in parallel, deterministically for a seed.
//
// Following the schedule's order is a choice: re-scheduling every sample
// from scratch lets the samples fill every gap an overrun leaves, which
// costs minutes at that size. The steps keep the order of their planned
// starts, each resource its units; each step takes, among the people
// of its role, whoever can start it first. The re-timed schedule is always
// feasible: it keeps each resource's capacity, each step's dependencies
// and release time, and each person's shifts. On the reference move its
// odds are within a point of re-scheduling each sample.
package montecarlo

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/dcmove/dcmove/planner/schedule"
)

// ErrArgument reports a bad argument, such as a result that is not of the
// problem given.
var ErrArgument = errors.New("montecarlo: bad argument")

// Sequence is a schedule's order of work: the steps in the order they
// start, with, for each, the units of resources it holds.
type Sequence struct {
	order []int32 // activities by baseline start
	at    []int32 // at[i] is activity i's place in order
	// The predecessors of order[k] are at places predAt[predOff[k]:predOff[k+1]].
	predOff, predAt []int32
	preds           [][]int32
	release         []int
	// units[i] lists, for activity i, each resource it holds and how many
	// units; sets[i] the sets it takes one member of (one unit each).
	units [][]hold
	sets  [][][]int32
	// lanes[r] is resource r's capacity; avail[r] its intervals (nil:
	// always available), the last one open-ended.
	lanes []int
	avail [][]schedule.Interval
	n     int
}

type hold struct{ res, amount int32 }

// New builds the sequence of r, a result of solving or evaluating p.
func New(p schedule.Problem, r schedule.Result) (*Sequence, error) {
	n := len(p.Activities)
	if len(r.Start) != n || len(r.Assigned) != n {
		return nil, fmt.Errorf("%w: a result of %d activities for a problem of %d", ErrArgument, len(r.Start), n)
	}
	s := &Sequence{n: n, preds: make([][]int32, n), release: make([]int, n), units: make([][]hold, n), sets: make([][][]int32, n)}
	pos := make([]int, n) // place in r.Order: the tie-break of equal starts
	for k, i := range r.Order {
		if i >= 0 && i < n {
			pos[i] = k
		}
	}
	s.order = make([]int32, n)
	for i := range s.order {
		s.order[i] = int32(i)
	}
	slices.SortStableFunc(s.order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(r.Start[a], r.Start[b]), cmp.Compare(pos[a], pos[b]))
	})
	nr := len(p.Resources)
	s.lanes = make([]int, nr)
	s.avail = make([][]schedule.Interval, nr)
	for k, res := range p.Resources {
		s.lanes[k] = max(res.Capacity, 1)
		if len(res.Available) > 0 {
			s.avail[k] = mergeIntervals(res.Available)
		}
	}
	s.at = make([]int32, n)
	for k, i := range s.order {
		s.at[i] = int32(k)
	}
	shared := map[string][]int32{}
	for i, a := range p.Activities {
		for _, q := range a.Preds {
			if q < 0 || q >= n {
				return nil, fmt.Errorf("%w: activity %s waits for activity %d of %d", ErrArgument, a.ID, q, n)
			}
			s.preds[i] = append(s.preds[i], int32(q))
		}
		s.release[i] = max(a.NotBefore, 0)
		for _, d := range a.Demand {
			if d.Resource < 0 || d.Resource >= nr {
				return nil, fmt.Errorf("%w: activity %s holds resource %d of %d", ErrArgument, a.ID, d.Resource, nr)
			}
			if d.Amount > 0 {
				s.units[i] = append(s.units[i], hold{int32(d.Resource), int32(min(d.Amount, s.lanes[d.Resource]))})
			}
		}
		if len(r.Assigned[i]) != len(a.OneOf) {
			return nil, fmt.Errorf("%w: activity %s has %d members for %d sets", ErrArgument, a.ID, len(r.Assigned[i]), len(a.OneOf))
		}
		for _, m := range r.Assigned[i] {
			if m < 0 || m >= nr {
				return nil, fmt.Errorf("%w: activity %s is assigned resource %d of %d", ErrArgument, a.ID, m, nr)
			}
		}
		for _, set := range a.OneOf {
			key := fmt.Sprint(set)
			ms, ok := shared[key] // the same sets (roles) share one slice
			if !ok {
				for _, m := range set {
					if m < 0 || m >= nr {
						return nil, fmt.Errorf("%w: activity %s takes one of resource %d of %d", ErrArgument, a.ID, m, nr)
					}
					ms = append(ms, int32(m))
				}
				shared[key] = ms
			}
			s.sets[i] = append(s.sets[i], ms)
		}
	}
	s.predOff = make([]int32, n+1)
	for k, i := range s.order {
		for _, q := range s.preds[i] {
			s.predAt = append(s.predAt, s.at[q])
		}
		s.predOff[k+1] = int32(len(s.predAt))
	}
	return s, nil
}

// mergeIntervals sorts and merges touching intervals, and leaves the last
// one open-ended: work past the last shift is overtime, not impossible.
func mergeIntervals(in []schedule.Interval) []schedule.Interval {
	var out []schedule.Interval
	for _, iv := range slices.SortedFunc(slices.Values(in), func(a, b schedule.Interval) int { return cmp.Compare(a.Start, b.Start) }) {
		if iv.End <= iv.Start {
			continue
		}
		if k := len(out) - 1; k >= 0 && iv.Start <= out[k].End {
			out[k].End = max(out[k].End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	if len(out) == 0 {
		return []schedule.Interval{{Start: 0, End: math.MaxInt32}}
	}
	out[len(out)-1].End = math.MaxInt32
	return out
}

// Timer re-times a sequence; each goroutine needs its own.
type Timer struct {
	s      *Sequence
	finish []int   // by place in the order
	free   [][]int // per resource, when each unit is next free
	taken  []int
	chosen []int32
	who    [][]int32 // the members each activity took, if not nil (tests)
	cur    []int     // per resource, its first interval that ends after a unit is free
}

// NewTimer returns a Timer of s.
func (s *Sequence) NewTimer() *Timer {
	t := &Timer{s: s, finish: make([]int, s.n), free: make([][]int, len(s.lanes)), cur: make([]int, len(s.lanes))}
	for r, c := range s.lanes {
		t.free[r] = make([]int, c)
	}
	return t
}

// Makespan re-times the sequence with dur (minutes, by activity) and
// returns the latest finish.
func (t *Timer) Makespan(dur []int) int {
	s := t.s
	for r := range t.free {
		clear(t.free[r])
	}
	clear(t.cur)
	end := 0
	for k, i := range s.order {
		d := max(dur[i], 0)
		at := s.release[i]
		for _, q := range s.predAt[s.predOff[k]:s.predOff[k+1]] {
			at = max(at, t.finish[q])
		}
		if d == 0 {
			// A milestone (a gate's decision point) holds nobody and fits
			// any shift, as the scheduler places it.
			t.finish[k] = at
			end = max(end, at)
			continue
		}
		for _, h := range s.units[i] {
			at = max(at, t.nthFree(h))
		}
		// Each set's member is whoever of it can start first (after the
		// members already taken), as a crew hands work to whoever is free.
		t.chosen = t.chosen[:0]
		for _, set := range s.sets[i] {
			best, bestAt := int32(-1), 0
			for _, m := range set {
				from := at
				if f := t.free[m]; len(f) == 1 {
					from = max(from, f[0])
				} else {
					from = max(from, slices.Min(f))
				}
				if best >= 0 && from >= bestAt || slices.Contains(t.chosen, m) {
					continue // cannot start it sooner than the best
				}
				c := t.fitOne(m, from, d)
				if best < 0 || c < bestAt {
					best, bestAt = m, c
					if c == at {
						break // no one can start it sooner
					}
				}
			}
			if best >= 0 {
				t.chosen = append(t.chosen, best)
				at = max(at, bestAt)
			}
		}
		at = t.fit(i, t.chosen, at, d)
		t.finish[k] = at + d
		for _, h := range s.units[i] {
			t.take(h, at+d)
		}
		for _, m := range t.chosen {
			t.take(hold{m, 1}, at+d)
		}
		if t.who != nil {
			t.who[i] = append(t.who[i][:0], t.chosen...)
		}
		end = max(end, at+d)
	}
	return end
}

// nthFree is when h.amount units of h.res are free: the h.amount-th
// earliest free unit.
func (t *Timer) nthFree(h hold) int {
	f := t.free[h.res]
	if h.amount == 1 {
		return slices.Min(f)
	}
	t.taken = append(t.taken[:0], f...)
	slices.Sort(t.taken)
	return t.taken[h.amount-1]
}

// take holds the h.amount earliest free units of h.res until until.
func (t *Timer) take(h hold, until int) {
	f := t.free[h.res]
	for range h.amount {
		k := 0
		for j := range f {
			if f[j] < f[k] {
				k = j
			}
		}
		f[k] = max(until, f[k])
	}
	if ivs := t.s.avail[h.res]; ivs != nil {
		first := slices.Min(f)
		c := t.cur[h.res]
		for c < len(ivs)-1 && ivs[c].End <= first {
			c++
		}
		t.cur[h.res] = c
	}
}

// fit is the earliest time at or after at when every resource i holds,
// and each of members, has one of its intervals around [t, t+d).
func (t *Timer) fit(i int32, members []int32, at, d int) int {
	for moved := true; moved; {
		moved = false
		for _, h := range t.s.units[i] {
			if c := t.fitOne(h.res, at, d); c != at {
				at, moved = c, true
			}
		}
		for _, m := range members {
			if c := t.fitOne(m, at, d); c != at {
				at, moved = c, true
			}
		}
	}
	return at
}

// fitOne is the earliest time at or after at when resource r has one of
// its intervals around [t, t+d): at is never before the time a unit of r
// is next free, so the intervals that end before it are skipped for good
// (t.cur).
func (t *Timer) fitOne(r int32, at, d int) int {
	ivs := t.s.avail[r]
	if ivs == nil {
		return at
	}
	k := t.cur[r]
	for ivs[k].End <= at && k < len(ivs)-1 {
		k++
	}
	for ; k < len(ivs); k++ {
		c := max(at, ivs[k].Start)
		if c+d <= ivs[k].End {
			return c
		}
	}
	return at // not reached: the last interval is open-ended
}

// Odds is what [Sequence.Sample] found.
type Odds struct {
	// Probability is the share of samples that end by the deadline.
	Probability float64
	// P50 and P90 are the median and 90th percentile makespans (nearest
	// rank).
	P50, P90 int
}

// Sample re-times the sequence samples times, each with durations drawn by
// sample(i, rng) for every activity i in index order, and returns the odds
// of ending by deadline. The durations are drawn in sample order from one
// generator seeded by seed, so the answer does not depend on the number of
// cores that re-time them.
func (s *Sequence) Sample(samples int, seed uint64, deadline int, sample func(i int, rng *rand.Rand) int) (Odds, error) {
	if samples <= 0 {
		return Odds{}, fmt.Errorf("%w: %d samples; ask for at least 1", ErrArgument, samples)
	}
	if sample == nil {
		return Odds{}, fmt.Errorf("%w: no sample function", ErrArgument)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d6f_6e74_6563)) // "montec"
	spans := make([]int, samples)
	workers := min(runtime.GOMAXPROCS(0), 8)
	timers := make([]*Timer, workers)
	for w := range timers {
		timers[w] = s.NewTimer()
	}
	const block = 64
	durs := make([][]int, min(block, samples))
	for k := range durs {
		durs[k] = make([]int, s.n)
	}
	for first := 0; first < samples; first += block {
		n := min(block, samples-first)
		for k := range n {
			for i := range durs[k] {
				d := sample(i, rng)
				if d < 0 || d > math.MaxInt32 {
					return Odds{}, fmt.Errorf("%w: sample %d: activity %d takes %d minutes", ErrArgument, first+k, i, d)
				}
				durs[k][i] = d
			}
		}
		var wg sync.WaitGroup
		for w, t := range timers {
			wg.Go(func() {
				for k := w; k < n; k += workers {
					spans[first+k] = t.Makespan(durs[k])
				}
			})
		}
		wg.Wait()
	}
	met := 0
	for _, span := range spans {
		if span <= deadline {
			met++
		}
	}
	slices.Sort(spans)
	rank := func(q int) int { return spans[(q*samples+99)/100-1] }
	return Odds{Probability: float64(met) / float64(samples), P50: rank(50), P90: rank(90)}, nil
}
