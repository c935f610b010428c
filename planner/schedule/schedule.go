package schedule

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Problem is what to schedule: activities that need resources, and the
// resources with their capacities and availability.
type Problem struct {
	Activities []Activity
	Resources  []Resource
}

// Activity is one piece of work of a move, such as a runbook step.
type Activity struct {
	// ID names the activity in errors.
	ID string
	// Duration is how long it takes, in minutes; 0 makes it a milestone.
	Duration int
	// Preds are the indices of the activities that must finish before this
	// one starts.
	Preds []int
	// Demand lists the renewable resources the activity holds for its whole
	// duration.
	Demand []Demand
	// OneOf lists sets of resources, typically the crew members who have a
	// role; for each set the activity takes one member (one unit) for its
	// whole duration, a different member for each set.
	OneOf [][]int
	// NotBefore is the earliest start allowed (a release time); times before
	// 0 mean 0.
	NotBefore int
}

// Demand is an amount of a resource held by an activity.
type Demand struct{ Resource, Amount int }

// Resource is something activities share: a crew member, a loading dock,
// a team, a number of carts.
type Resource struct {
	// ID names the resource in errors.
	ID string
	// Capacity is how many units can be in use at once.
	Capacity int
	// Available lists when the resource can be used, such as a person's
	// shifts; empty means always. Overlapping or touching intervals are one
	// interval. An activity that uses the resource must fit entirely inside
	// one interval: work is not interrupted.
	Available []Interval
}

// Interval is the time span [Start, End), in minutes from the origin.
type Interval struct{ Start, End int }

// Options tunes [Solve].
type Options struct {
	// Seed makes the randomised passes reproducible.
	Seed uint64
	// Passes is the effort: the number of activity lists tried, each
	// decoded into a schedule and improved by justification (a pass costs
	// about four decodes). 0 means DefaultPasses, and 1 means a single
	// deterministic pass (latest-finish-time rule). The first passes use
	// the priority rules, then their randomised variants; past the size of
	// the genetic algorithm's population (40 lists below 1,000 activities,
	// 20 below 5,000, 10 above) the genetic algorithm makes the rest. The
	// lists tried do not depend on Passes, which only stops them: more
	// passes never give a longer schedule for the same Seed. The time
	// grows in proportion; a pass takes about 0.15 ms on 30 activities
	// with 4 resources, 0.2 ms on 120, and 1.5 ms on 300 with crew and
	// OneOf sets (BenchmarkGA).
	Passes int
}

// DefaultPasses is the number of passes [Solve] makes when Options.Passes
// is 0: the four priority rules, then randomised variants of them.
const DefaultPasses = 8

// Result is a schedule and what is known about its quality.
type Result struct {
	// Start and Finish are the times of each activity, by index.
	Start, Finish []int
	// Assigned[i][k] is the resource chosen for Activities[i].OneOf[k]
	// (nil for an activity with no OneOf).
	Assigned [][]int
	// Makespan is the latest finish (0 for no activities).
	Makespan int
	// CriticalPath is the longest chain of durations along precedences,
	// ignoring resources, availability and release times.
	CriticalPath int
	// LowerBound is a makespan no schedule can beat; Makespan ==
	// LowerBound proves the schedule optimal.
	LowerBound int
	// Slack is, per activity, how many minutes it can start later in this
	// schedule, keeping its resources and everything else that could move
	// right (as late as possible), without delaying the makespan.
	Slack []int
	// Order is the activity list that [Evaluate] decodes into this
	// schedule; re-evaluate it with other durations for what-if analysis.
	Order []int
}

// Solve builds a schedule of small makespan for p. The same p and o always
// give the same Result.
func Solve(p Problem, o Options) (Result, error) {
	r, _, err := solve(p, o, true)
	return r, err
}

// solve is Solve, with the counts of its work; without ga it makes every
// pass with the priority rules and their randomised variants, as Solve did
// before the genetic algorithm (for comparison in tests).
func solve(p Problem, o Options, ga bool) (Result, searchStats, error) {
	c, err := compile(p)
	if err != nil {
		return Result{}, searchStats{}, err
	}
	if err := c.checkDurations(c.dur, resourceIDs(p)); err != nil {
		return Result{}, searchStats{}, err
	}
	passes := o.Passes
	if passes <= 0 {
		passes = DefaultPasses
	}
	s := newSolver(c, c.dur)
	lb := c.lowerBound(c.dur)
	if err := s.search(passes, o.Seed, lb, ga); err != nil {
		return Result{}, searchStats{}, err
	}
	s.stats.decodes = s.dec.runs
	r, err := s.result(s.best, c.dur, lb)
	return r, s.stats, err
}

// Evaluate decodes one activity list (a permutation of the activity
// indices with every predecessor before its successors) with the serial
// schedule generation scheme and the given durations, one per activity.
// It is the way to re-schedule [Result.Order] with other durations.
func Evaluate(p Problem, order []int, durations []int) (Result, error) {
	c, err := compile(p)
	if err != nil {
		return Result{}, err
	}
	if len(durations) != c.n {
		return Result{}, errorf(ErrArgument, "%d durations for %d activities", len(durations), c.n)
	}
	if err := c.checkDurations(durations, resourceIDs(p)); err != nil {
		return Result{}, err
	}
	list, err := c.checkOrder(order)
	if err != nil {
		return Result{}, err
	}
	s := newSolver(c, durations)
	if err := s.dec.run(list, durations, false, 0, nil, s.cur); err != nil {
		return Result{}, err
	}
	return s.result(s.cur, durations, c.lowerBound(durations))
}

// MonteCarlo estimates how likely the activity list order is to meet
// deadline when durations vary. For each of samples draws it asks
// sample(i, rng) for the duration of every activity i in index order,
// decodes order as [Evaluate] does, and records the makespan. It returns the
// fraction of draws with makespan <= deadline and the 50th and 90th
// percentile makespans (nearest rank). The same seed gives the same answer.
func MonteCarlo(p Problem, order []int, samples int, seed uint64, deadline int, sample func(i int, rng *rand.Rand) int) (prob float64, p50, p90 int, err error) {
	c, err := compile(p)
	if err != nil {
		return 0, 0, 0, err
	}
	if samples <= 0 {
		return 0, 0, 0, errorf(ErrArgument, "%d samples; ask for at least 1", samples)
	}
	if sample == nil {
		return 0, 0, 0, errorf(ErrArgument, "no sample function")
	}
	list, err := c.checkOrder(order)
	if err != nil {
		return 0, 0, 0, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d6f_6e74_6563)) // "montec"
	spans := make([]int, samples)
	ids := resourceIDs(p)
	// The durations are drawn in sample order from one generator, so the
	// result does not depend on how many cores decode the samples: a
	// block at a time is drawn, then decoded by one worker per core.
	workers := min(runtime.GOMAXPROCS(0), 8)
	type worker struct {
		dec *decoder
		out *plan
	}
	ws := make([]worker, workers)
	for w := range ws {
		ws[w] = worker{newDecoder(c), newPlan(c)}
	}
	const block = 64
	durs := make([][]int, min(block, samples))
	for k := range durs {
		durs[k] = make([]int, c.n)
	}
	errs := make([]error, len(durs))
	for first := 0; first < samples; first += block {
		n := min(block, samples-first)
		for k := range n {
			for i := range durs[k] {
				durs[k][i] = sample(i, rng)
			}
			if err := c.checkDurations(durs[k], ids); err != nil {
				return 0, 0, 0, fmt.Errorf("sample %d: %w", first+k, err)
			}
		}
		var wg sync.WaitGroup
		for w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := w; k < n; k += workers {
					errs[k] = ws[w].dec.run(list, durs[k], false, 0, nil, ws[w].out)
					spans[first+k] = ws[w].out.makespan
				}
			}()
		}
		wg.Wait()
		for k := range n {
			if errs[k] != nil {
				return 0, 0, 0, fmt.Errorf("sample %d: %w", first+k, errs[k])
			}
		}
	}
	met := 0
	for _, span := range spans {
		if span <= deadline {
			met++
		}
	}
	slices.Sort(spans)
	rank := func(q int) int { return spans[(q*samples+99)/100-1] }
	return float64(met) / float64(samples), rank(50), rank(90), nil
}

// solver holds the working schedules of one solve.
type solver struct {
	c                     *compiled
	dur                   []int
	dec                   *decoder
	cur, cand, back, best *plan
	listB, listF          []int32

	backOK     bool  // s.back is the right-justification of s.cur
	bestBack   *plan // the right-justification of s.best, if bestBackOK
	bestBackOK bool
	have       bool // s.best holds a schedule

	stats searchStats
}

func newSolver(c *compiled, dur []int) *solver {
	return &solver{
		c: c, dur: dur, dec: newDecoder(c),
		cur: newPlan(c), cand: newPlan(c), back: newPlan(c), best: newPlan(c),
		bestBack: newPlan(c),
	}
}

// maxRounds bounds the forward-backward rounds of one pass.
const maxRounds = 16

// minGain is the least gain that makes another forward-backward round
// worth its cost: 1% of the makespan, at least one minute. Most of the
// gain comes in the first round (on 100,000 activities: 0.8%, then 0.13%,
// then less, each round costing two decodes).
func minGain(makespan int) int { return max(1, makespan/100) }

// justify improves s.cur by forward-backward improvement (Valls, Ballestín
// and Quintanilla 2005): right-justify, then left-justify by decoding the
// activities in order of their right-justified starts; repeat while that
// shortens the makespan by at least minGain. It leaves s.backOK telling
// whether s.back holds the right-justification of s.cur.
func (s *solver) justify() error {
	s.backOK = false
	for range maxRounds {
		if err := s.rightJustify(s.cur); err != nil {
			return err
		}
		s.listF = s.c.sortedBy(s.listF, s.back.start, false)
		if err := s.dec.run(s.listF, s.dur, false, 0, nil, s.cand); err != nil {
			return err
		}
		gain := s.cur.makespan - s.cand.makespan
		if gain <= 0 {
			s.backOK = true
			return nil
		}
		s.cur, s.cand = s.cand, s.cur
		if gain < minGain(s.cur.makespan) {
			return nil
		}
	}
	return nil
}

// rightJustify schedules every activity of p as late as possible within
// p's makespan, keeping its OneOf members, into s.back.
func (s *solver) rightJustify(p *plan) error {
	s.listB = s.c.sortedBy(s.listB, p.finish, true)
	return s.dec.run(s.listB, s.dur, true, p.makespan, p.assign, s.back)
}

// result turns p into a Result, with slack from its right-justification.
func (s *solver) result(p *plan, dur []int, lb int) (Result, error) {
	c := s.c
	r := Result{
		Start:        slices.Clone(p.start),
		Finish:       slices.Clone(p.finish),
		Assigned:     make([][]int, c.n),
		Makespan:     p.makespan,
		CriticalPath: c.criticalPath(dur),
		LowerBound:   lb,
		Slack:        make([]int, c.n),
		Order:        make([]int, len(p.list)),
	}
	for i := range c.n {
		if c.setOff[i] < c.setOff[i+1] {
			a := make([]int, 0, c.setOff[i+1]-c.setOff[i])
			for s := c.setOff[i]; s < c.setOff[i+1]; s++ {
				a = append(a, int(p.assign[s]))
			}
			r.Assigned[i] = a
		}
	}
	for k, j := range p.list {
		r.Order[k] = int(j)
	}
	if c.n > 0 {
		back := s.bestBack
		if p != s.best || !s.bestBackOK {
			if err := s.rightJustify(p); err != nil {
				return Result{}, err
			}
			back = s.back
		}
		for i := range c.n {
			r.Slack[i] = back.start[i] - p.start[i]
		}
	}
	return r, nil
}

// checkOrder checks that order lists every activity once, each after its
// predecessors.
func (c *compiled) checkOrder(order []int) ([]int32, error) {
	if len(order) != c.n {
		return nil, errorf(ErrOrder, "the list has %d entries for %d activities", len(order), c.n)
	}
	pos := make([]int, c.n)
	for i := range pos {
		pos[i] = -1
	}
	list := make([]int32, c.n)
	for k, j := range order {
		if j < 0 || j >= c.n {
			return nil, errorf(ErrOrder, "entry %d is %d, but activities are numbered 0 to %d", k, j, c.n-1)
		}
		if pos[j] >= 0 {
			return nil, errorf(ErrOrder, "activity %q is listed twice (entries %d and %d)", c.ids[j], pos[j], k)
		}
		pos[j] = k
		list[k] = int32(j)
	}
	for j := range c.n {
		for _, q := range c.preds(int32(j)) {
			if pos[q] > pos[j] {
				return nil, errorf(ErrOrder, "activity %q is listed before its predecessor %q", c.ids[j], c.ids[q])
			}
		}
	}
	return list, nil
}

func resourceIDs(p Problem) func(int32) string {
	return func(r int32) string { return p.Resources[r].ID }
}

// errorf wraps sentinel with a message, keeping the sentinel's text first.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// Minutes converts a duration to the scheduler's unit, rounding up: a step
// of 30 s still takes a minute of someone's time.
func Minutes(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Minutes()))
}

// Duration converts minutes of the scheduler back to a duration.
func Duration(m int) time.Duration { return time.Duration(m) * time.Minute }
