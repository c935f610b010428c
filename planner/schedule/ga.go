package schedule

import (
	"math/rand/v2"
	"slices"
)

// searchStats counts the work of one search.
type searchStats struct {
	lists    int // activity lists tried, each decoded and justified (passes)
	decodes  int // serial-scheme decodes, forward and backward (justification included)
	gens     int // generations of the genetic algorithm
	restarts int // restarts of its population
}

// popSize is the population of the genetic algorithm for n activities:
// smaller for large problems, where every schedule costs more and budgets
// are smaller, so that evolution starts early in the budget.
func popSize(n int) int {
	switch {
	case n < 1000:
		return 40
	case n < 5000:
		return 20
	}
	return 10
}

// GA settings: a child gets a shift mutation with probability pShift, and
// further ones each with the same probability (4 in all on average); after stallGens
// generations without a shorter schedule the population restarts from the
// best, refilled half with randomised priority-rule lists and half with
// the best list perturbed by restartShifts(n) shifts.
const (
	pShift    = 0.8
	stallGens = 25
)

// restartShifts is n/10, at least 2 and at most 30 (each costs O(n)).
func restartShifts(n int) int { return min(30, max(2, n/10)) }

// search makes passes passes (each one activity list, decoded by the serial
// scheme and improved by justification), keeping the best schedule in
// s.best, and stops early at the lower bound lb. The first passes are the
// priority rules and then their randomised variants (lister); with ga,
// once popSize lists are made, the genetic algorithm makes the rest. The
// sequence of lists does not depend on passes, which only cuts it short:
// more passes never give a longer schedule.
func (s *solver) search(passes int, seed uint64, lb int, ga bool) error {
	c := s.c
	lists := newLister(c, seed)
	first := passes
	var g *genetic
	if ga && c.n >= 2 && passes > popSize(c.n) {
		first = popSize(c.n)
		g = newGenetic(c, seed, first)
	}
	var list []int32
	for pass := range first {
		list = lists.list(pass, list)
		done, err := s.try(list, lb)
		if err != nil {
			return err
		}
		if g != nil {
			g.add(&g.pop, s.cur)
		}
		if done {
			return nil
		}
	}
	if g == nil {
		return nil
	}
	g.sortPop()
	return g.run(s, passes-first, lb, lists, first)
}

// try decodes list, justifies the schedule (left in s.cur) and keeps it if
// it is the best so far; done reports that the best reaches lb.
func (s *solver) try(list []int32, lb int) (done bool, err error) {
	if err := s.dec.run(list, s.dur, false, 0, nil, s.cur); err != nil {
		return false, err
	}
	if err := s.justify(); err != nil {
		return false, err
	}
	s.stats.lists++
	if !s.have || s.cur.makespan < s.best.makespan {
		s.best.copyFrom(s.cur)
		if s.bestBackOK = s.backOK; s.backOK {
			s.bestBack.copyFrom(s.back)
		}
		s.have = true
	}
	return s.best.makespan <= lb, nil
}

// genetic is the population of the genetic algorithm over activity lists
// (Hartmann 1998), each individual the list of a justified schedule.
type genetic struct {
	c     *compiled
	rng   *rand.Rand
	size  int
	pop   []indiv // best first
	kids  []indiv
	all   []indiv
	spare [][]int32
	child []int32
	pos   []int32
	mark  []uint32
	stamp uint32
	born  int
}

type indiv struct {
	list []int32
	span int
	hash uint64 // of the start times: equal schedules, equal hashes
	born int
}

func newGenetic(c *compiled, seed uint64, size int) *genetic {
	return &genetic{
		c:    c,
		rng:  rand.New(rand.NewPCG(seed, 0x6765_6e65_7469)), // "genetic"
		size: size,
		pos:  make([]int32, c.n),
		mark: make([]uint32, c.n),
	}
}

// add appends the schedule p (its list and makespan) to *to.
func (g *genetic) add(to *[]indiv, p *plan) {
	var buf []int32
	if k := len(g.spare); k > 0 {
		buf, g.spare = g.spare[k-1][:0], g.spare[:k-1]
	}
	h := uint64(14695981039346656037)
	for _, t := range p.start {
		h ^= uint64(t)
		h *= 1099511628211
	}
	g.born++
	*to = append(*to, indiv{list: append(buf, p.list...), span: p.makespan, hash: h, born: g.born})
}

// sortPop orders the population by makespan, the youngest first among
// equals.
func (g *genetic) sortPop() { sortIndivs(g.pop) }

func sortIndivs(a []indiv) {
	slices.SortFunc(a, func(x, y indiv) int {
		if x.span != y.span {
			return x.span - y.span
		}
		return y.born - x.born
	})
}

// run spends budget passes on generations: each breeds size children from
// parents chosen by binary tournament, by two-point crossover and shift
// mutation, decodes and justifies them, and keeps the size best distinct
// schedules of parents and children (elitist). After stallGens generations
// without a shorter schedule, the next generation restarts from the best.
func (g *genetic) run(s *solver, budget, lb int, lists *lister, pass int) error {
	best, stall := g.pop[0].span, 0
	for budget > 0 {
		g.kids = g.kids[:0]
		restart := stall >= stallGens
		for k := 0; len(g.kids) < g.size && budget > 0; k++ {
			var list []int32
			switch {
			case restart && k%2 == 0:
				list = lists.list(pass, g.child)
				pass++
			case restart:
				list = g.perturb(g.pop[0].list, restartShifts(g.c.n))
			default:
				m, f := g.parent(), g.parent()
				list = g.crossover(g.pop[m].list, g.pop[f].list)
				for g.rng.Float64() < pShift {
					g.shift(list)
				}
			}
			g.child = list
			done, err := s.try(list, lb)
			if err != nil {
				return err
			}
			budget--
			g.add(&g.kids, s.cur)
			if done {
				return nil
			}
		}
		if restart {
			s.stats.restarts++
			for _, x := range g.pop[1:] {
				g.spare = append(g.spare, x.list)
			}
			g.pop = g.pop[:1]
			stall = 0
		}
		g.survive()
		s.stats.gens++
		if g.pop[0].span < best {
			best, stall = g.pop[0].span, 0
		} else {
			stall++
		}
	}
	return nil
}

// parent picks an individual by binary tournament: the better of two
// drawn at random.
func (g *genetic) parent() int {
	a, b := g.rng.IntN(len(g.pop)), g.rng.IntN(len(g.pop))
	return min(a, b) // the population is sorted best first
}

// crossover is Hartmann's two-point crossover: the child takes the mother's
// first q1 activities, then the father's next q2-q1 not yet taken in his
// order, then the rest in the mother's order. Each part keeps every
// predecessor before its successors, so the child is precedence-feasible.
func (g *genetic) crossover(mother, father []int32) []int32 {
	n := len(mother)
	q1 := g.rng.IntN(n)
	q2 := q1 + 1 + g.rng.IntN(n-q1)
	if g.stamp++; g.stamp == 0 {
		clear(g.mark)
		g.stamp = 1
	}
	out := g.child[:0]
	for _, j := range mother[:q1] {
		g.mark[j] = g.stamp
		out = append(out, j)
	}
	for _, j := range father {
		if len(out) == q2 {
			break
		}
		if g.mark[j] != g.stamp {
			g.mark[j] = g.stamp
			out = append(out, j)
		}
	}
	for _, j := range mother[q1:] {
		if g.mark[j] != g.stamp {
			out = append(out, j)
		}
	}
	return out
}

// shift moves one activity, drawn at random, to a position drawn at random
// between its last predecessor and its first successor in list.
func (g *genetic) shift(list []int32) {
	c := g.c
	for k, j := range list {
		g.pos[j] = int32(k)
	}
	i := g.rng.IntN(len(list))
	j := list[i]
	lo, hi := 0, len(list)-1
	for _, q := range c.preds(j) {
		lo = max(lo, int(g.pos[q])+1)
	}
	for _, q := range c.succs(j) {
		hi = min(hi, int(g.pos[q])-1)
	}
	to := lo + g.rng.IntN(hi-lo+1)
	if to < i {
		copy(list[to+1:i+1], list[to:i])
	} else {
		copy(list[i:to], list[i+1:to+1])
	}
	list[to] = j
}

// perturb returns a copy of list with k shift mutations.
func (g *genetic) perturb(list []int32, k int) []int32 {
	out := append(g.child[:0], list...)
	for range k {
		g.shift(out)
	}
	return out
}

// survive keeps the size best distinct schedules of the population and the
// children, the younger first among equal makespans; duplicates fill in
// only when there are too few distinct ones.
func (g *genetic) survive() {
	g.all = append(append(g.all[:0], g.pop...), g.kids...)
	sortIndivs(g.all)
	g.pop = g.pop[:0]
	var dups []indiv
	for _, x := range g.all {
		dup := false
		for k := len(g.pop) - 1; k >= 0 && g.pop[k].span == x.span; k-- {
			if g.pop[k].hash == x.hash {
				dup = true
				break
			}
		}
		switch {
		case !dup && len(g.pop) < g.size:
			g.pop = append(g.pop, x)
		case dup:
			dups = append(dups, x)
		default:
			g.spare = append(g.spare, x.list)
		}
	}
	for _, x := range dups {
		if len(g.pop) < g.size {
			g.pop = append(g.pop, x)
		} else {
			g.spare = append(g.spare, x.list)
		}
	}
	// Filling with duplicates may break the order by makespan.
	sortIndivs(g.pop)
	g.kids = g.kids[:0]
}
