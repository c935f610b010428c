package montecarlo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/dcmove/dcmove/planner/schedule"
)

// problem is a random move: chains and joins of steps, a crew of people
// in shifts taking one of a role each, a dock and a few trucks.
func problem(rng *rand.Rand, n int) schedule.Problem {
	var p schedule.Problem
	for k := range 6 { // people: two roles of three
		r := schedule.Resource{ID: fmt.Sprintf("p%d", k), Capacity: 1}
		for day := range max(4, n/15) {
			s := day*24*60 + rng.IntN(3)*60
			r.Available = append(r.Available, schedule.Interval{Start: s, End: s + 10*60})
		}
		p.Resources = append(p.Resources, r)
	}
	p.Resources = append(p.Resources, schedule.Resource{ID: "dock", Capacity: 1}, schedule.Resource{ID: "trucks", Capacity: 3})
	for i := range n {
		a := schedule.Activity{ID: fmt.Sprintf("a%d", i), Duration: 5 + rng.IntN(90)}
		for range rng.IntN(3) {
			if i > 0 {
				a.Preds = append(a.Preds, rng.IntN(i))
			}
		}
		switch rng.IntN(4) {
		case 0:
			a.OneOf = [][]int{{0, 1, 2}}
		case 1:
			a.OneOf = [][]int{{3, 4, 5}}
		case 2:
			a.OneOf = [][]int{{0, 1, 2}}
			a.Demand = []schedule.Demand{{Resource: 7, Amount: 1 + rng.IntN(3)}}
		default:
			a.Demand = []schedule.Demand{{Resource: 6, Amount: 1}}
		}
		if rng.IntN(10) == 0 {
			a.NotBefore = rng.IntN(600)
		}
		p.Activities = append(p.Activities, a)
	}
	return p
}

// feasible checks a re-timed schedule: dependencies, release times,
// capacities, and each person's work inside one shift (or after the last).
func feasible(p schedule.Problem, assigned [][]int, start, dur []int) error {
	n := len(p.Activities)
	for i, a := range p.Activities {
		if start[i] < a.NotBefore {
			return fmt.Errorf("%s starts at %d before its release %d", a.ID, start[i], a.NotBefore)
		}
		for _, q := range a.Preds {
			if start[i] < start[q]+dur[q] {
				return fmt.Errorf("%s starts at %d before %s ends at %d", a.ID, start[i], p.Activities[q].ID, start[q]+dur[q])
			}
		}
		for _, m := range assigned[i] {
			av := p.Resources[m].Available
			ok := start[i] >= av[len(av)-1].Start
			for _, iv := range av {
				ok = ok || (start[i] >= iv.Start && start[i]+dur[i] <= iv.End)
			}
			if !ok {
				return fmt.Errorf("%s at [%d,%d) is outside %s's shifts", a.ID, start[i], start[i]+dur[i], p.Resources[m].ID)
			}
		}
	}
	for r, res := range p.Resources {
		for i := range n {
			if dur[i] == 0 {
				continue
			}
			t, used := start[i], 0
			for j, a := range p.Activities {
				if dur[j] == 0 || start[j] > t || start[j]+dur[j] <= t {
					continue
				}
				for _, d := range a.Demand {
					if d.Resource == r {
						used += d.Amount
					}
				}
				for _, m := range assigned[j] {
					if m == r {
						used++
					}
				}
			}
			if used > res.Capacity {
				return fmt.Errorf("%s holds %d of %d at %d", res.ID, used, res.Capacity, t)
			}
		}
	}
	return nil
}

// Re-timed with the schedule's own durations, the sequence ends no later
// than the schedule; with other durations it stays feasible.
func TestRetimedSchedulesAreFeasible(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range 30 {
		p := problem(rng, 20+rng.IntN(60))
		r, err := schedule.Solve(p, schedule.Options{Seed: uint64(k)})
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		s, err := New(p, r)
		if err != nil {
			t.Fatal(err)
		}
		tm := s.NewTimer()
		tm.who = make([][]int32, len(p.Activities))
		dur := make([]int, len(p.Activities))
		for i, a := range p.Activities {
			dur[i] = a.Duration
		}
		if m := tm.Makespan(dur); m > r.Makespan {
			t.Fatalf("instance %d: re-timed with the same durations it ends at %d, the schedule at %d", k, m, r.Makespan)
		}
		for range 5 {
			for i, a := range p.Activities {
				dur[i] = a.Duration/2 + rng.IntN(2*a.Duration+1)
			}
			tm.Makespan(dur)
			start := make([]int, len(dur))
			for i := range dur {
				start[i] = tm.finish[s.at[i]] - dur[i]
			}
			who := make([][]int, len(dur))
			for i, ms := range tm.who {
				for _, m := range ms {
					who[i] = append(who[i], int(m))
				}
			}
			if err := feasible(p, who, start, dur); err != nil {
				t.Fatalf("instance %d: %v", k, err)
			}
		}
	}
}

// Longer steps never end the sequence earlier.
func TestRetimingIsMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := problem(rng, 200)
	r, err := schedule.Solve(p, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New(p, r)
	tm := s.NewTimer()
	dur := make([]int, len(p.Activities))
	for i, a := range p.Activities {
		dur[i] = a.Duration
	}
	prev := tm.Makespan(dur)
	for range 50 {
		dur[rng.IntN(len(dur))] += rng.IntN(60)
		m := tm.Makespan(dur)
		if m < prev {
			t.Fatalf("a step made longer ends the move at %d, before %d", m, prev)
		}
		prev = m
	}
}

// The same seed gives the same odds, whatever the number of cores.
func TestSampleIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := problem(rng, 300)
	r, err := schedule.Solve(p, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New(p, r)
	draw := func(i int, rng *rand.Rand) int {
		return p.Activities[i].Duration/2 + rng.IntN(p.Activities[i].Duration+1)
	}
	a, err := s.Sample(500, 9, r.Makespan, draw)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	b, err := s.Sample(500, 9, r.Makespan, draw)
	runtime.GOMAXPROCS(prev)
	if err != nil || a != b {
		t.Fatalf("odds %+v on every core, %+v on one (%v)", a, b, err)
	}
	if a.P50 > a.P90 {
		t.Fatalf("odds %+v: P50 after P90", a)
	}
	if c, _ := s.Sample(500, 9, a.P50, draw); c.Probability < 0.5 || c.P50 != a.P50 {
		t.Fatalf("odds %+v with the median as the deadline; want at least 50%%", c)
	}
	if c, _ := s.Sample(500, 9, a.P90-1, draw); c.Probability >= 0.9 {
		t.Fatalf("odds %+v with a deadline before P90; want under 90%%", c)
	}
	if _, err := s.Sample(0, 1, 0, draw); !errors.Is(err, ErrArgument) {
		t.Fatalf("0 samples: %v", err)
	}
	if _, err := s.Sample(1, 1, 0, func(int, *rand.Rand) int { return -1 }); !errors.Is(err, ErrArgument) {
		t.Fatalf("a negative duration: %v", err)
	}
	if _, err := New(p, schedule.Result{}); !errors.Is(err, ErrArgument) {
		t.Fatalf("a result of another problem: %v", err)
	}
}

// BenchmarkSample re-times 1,000 samples of a schedule of 1,000 and 10,000
// steps, beside the scheduler's own Monte Carlo (which decodes each sample
// again, re-ordering the work) doing the same samples.
func BenchmarkSample(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		rng := rand.New(rand.NewPCG(7, 8))
		p := problem(rng, n)
		r, err := schedule.Solve(p, schedule.Options{Passes: 1})
		if err != nil {
			b.Fatal(err)
		}
		draw := func(i int, rng *rand.Rand) int {
			return p.Activities[i].Duration/2 + rng.IntN(p.Activities[i].Duration+1)
		}
		b.Run(fmt.Sprintf("steps=%d/sequence", n), func(b *testing.B) {
			for b.Loop() {
				s, err := New(p, r)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Sample(1000, 1, r.Makespan, draw); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("steps=%d/schedule.MonteCarlo", n), func(b *testing.B) {
			for b.Loop() {
				if _, _, _, err := schedule.MonteCarlo(p, r.Order, 1000, 1, r.Makespan, draw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A milestone (a gate's decision point, 0 minutes) holds nobody and fits
// any shift, as the scheduler places it: it does not wait for its person,
// nor for the next shift when it falls at the end of one.
func TestMilestonesDoNotWait(t *testing.T) {
	p := schedule.Problem{
		Resources: []schedule.Resource{{ID: "p", Capacity: 1, Available: []schedule.Interval{{Start: 0, End: 100}, {Start: 1000, End: 2000}}}},
		Activities: []schedule.Activity{
			{ID: "a", Duration: 100, OneOf: [][]int{{0}}},
			{ID: "gate", Duration: 0, OneOf: [][]int{{0}}, Preds: []int{0}},
			{ID: "b", Duration: 60, Preds: []int{1}},
		},
	}
	r, err := schedule.Solve(p, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(p, r)
	if err != nil {
		t.Fatal(err)
	}
	if m := s.NewTimer().Makespan([]int{100, 0, 60}); m != r.Makespan || m != 160 {
		t.Fatalf("re-timed with the schedule's durations: %d; the schedule ends at %d, want 160", m, r.Makespan)
	}
}
