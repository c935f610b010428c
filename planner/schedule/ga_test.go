package schedule

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// gaRun is the outcome of solving the instances of a benchmark set with
// one budget.
type gaRun struct {
	passes int
	ga     bool // false: priority rules and sampling only, as before the GA
	spans  []int
	lb, cp []int
	lists  int
	decs   int
	elapse time.Duration
}

func (r *gaRun) name() string {
	if r.ga {
		return fmt.Sprintf("passes=%d", r.passes)
	}
	return fmt.Sprintf("passes=%d-sampling-only", r.passes)
}

// solveSet solves every instance with the run's budget (seed k for
// instance k), checks each schedule, and records makespans, bounds, work
// and the time taken.
func solveSet(t *testing.T, ps []Problem, run *gaRun) {
	t.Helper()
	start := time.Now()
	for k, p := range ps {
		r, st, err := solve(p, Options{Seed: uint64(k), Passes: run.passes}, run.ga)
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		if err := checkFeasible(p, r); err != nil {
			t.Fatalf("instance %d, %s: infeasible: %v", k, run.name(), err)
		}
		if r.Makespan < r.LowerBound {
			t.Fatalf("instance %d, %s: makespan %d below the lower bound %d", k, run.name(), r.Makespan, r.LowerBound)
		}
		if st.lists > run.passes {
			t.Fatalf("instance %d, %s: %d lists tried", k, run.name(), st.lists)
		}
		run.spans = append(run.spans, r.Makespan)
		run.lb = append(run.lb, r.LowerBound)
		run.cp = append(run.cp, r.CriticalPath)
		run.lists += st.lists
		run.decs += st.decodes
	}
	run.elapse = time.Since(start)
}

// progenSet is count instances of n activities: instance k is drawn from
// its own generator with parameter combination progenCombo(n, k*step), so
// that a step coprime with the number of combinations spreads a few
// instances over them.
func progenSet(t *testing.T, n, count, step int) []Problem {
	t.Helper()
	ps := make([]Problem, count)
	for k := range ps {
		g := progenCombo(n, k*step)
		ps[k] = progen(rand.New(rand.NewPCG(uint64(n), uint64(k*step))), g)
		if err := progenCheck(ps[k], g); err != nil {
			t.Fatalf("instance %d (%v): %v", k, g, err)
		}
	}
	return ps
}

// TestGAJ30 measures Solve on 30-activity instances in the style of the
// PSPLIB set J30 against the optima proved by branch and bound, at several
// budgets, and against the priority rules and sampling alone at 1,000
// passes (go test -run TestGAJ30 -v). By default it takes 8 of the 48
// parameter combinations (every third: each RF and each RS twice) and
// lets the branch and bound explore 20,000 nodes per instance;
// DCMOVE_LONG=1 takes all 48 combinations, 5,000 passes too, and
// 2,000,000 nodes; -short skips sampling alone. It asserts
// feasibility, that no makespan beats the optimum or the lower bound, that
// more passes never give a longer schedule, and a quality floor that the
// lists of the priority rules and sampling alone do not reach.
func TestGAJ30(t *testing.T) {
	count, step, budgets, limit := 8, 3, []int{DefaultPasses, 1000}, 20_000
	if long() {
		count, step, budgets, limit = 48, 1, []int{DefaultPasses, 1000, 5000}, 2_000_000
	}
	ps := progenSet(t, 30, count, step)
	var runs []*gaRun
	for _, b := range budgets {
		runs = append(runs, &gaRun{passes: b, ga: true})
	}
	if !testing.Short() {
		runs = append(runs, &gaRun{passes: 1000})
	}
	for _, run := range runs {
		t.Run(run.name(), func(t *testing.T) { solveSet(t, ps, run) })
	}
	if t.Failed() {
		return
	}
	for k := range ps {
		for i := 1; i < len(budgets); i++ {
			if a, b := runs[i-1].spans[k], runs[i].spans[k]; b > a {
				t.Errorf("instance %d: %d passes give %d, %d passes %d", k, budgets[i], b, budgets[i-1], a)
			}
		}
	}

	// The optimum, from the best makespan found down.
	opt := make([]int, count)
	proved, nodes := 0, 0
	t.Run("exact", func(t *testing.T) {
		for k, p := range ps {
			ub := runs[0].spans[k]
			for _, run := range runs {
				ub = min(ub, run.spans[k])
			}
			o, ok, nd := exactBnB(p, ub, limit)
			nodes += nd
			if ok {
				opt[k] = o
				proved++
			}
		}
	})
	t.Logf("%d of %d instances solved to optimality by branch and bound (%d nodes in all, at most %d each)", proved, count, nodes, limit)

	gap := make([]float64, len(runs))
	gapLB := make([]float64, len(runs))
	total := make([]int, len(runs))
	for i, run := range runs {
		hits := 0
		var missed []int
		for k := range ps {
			total[i] += run.spans[k]
			gapLB[i] += float64(run.spans[k]-run.lb[k]) / float64(run.lb[k])
			if opt[k] == 0 {
				continue
			}
			if run.spans[k] < opt[k] {
				t.Errorf("instance %d, %s: makespan %d below the optimum %d", k, run.name(), run.spans[k], opt[k])
			}
			gap[i] += float64(run.spans[k]-opt[k]) / float64(opt[k])
			if run.spans[k] == opt[k] {
				hits++
			} else {
				missed = append(missed, k)
			}
		}
		gap[i] /= float64(max(1, proved))
		gapLB[i] /= float64(count)
		t.Logf("J30 %-28s mean %.3f%% above the optimum, optimal %d/%d, %.2f%% above the lower bound; %6.1f ms per instance, %.0f lists and %.0f decodes per instance; not optimal: %v",
			run.name()+":", 100*gap[i], hits, proved, 100*gapLB[i],
			float64(run.elapse.Microseconds())/1000/float64(count),
			float64(run.lists)/float64(count), float64(run.decs)/float64(count), missed)
	}
	// The quality floor at 1,000 passes (runs[1]). Measured: on the 8
	// instances, 7 proved within 20,000 nodes, 0% above the optimum on
	// those (as with 8 passes), 4.58% above the lower bound (8 passes
	// 5.83%, sampling alone 4.94%); on the 48, all proved, 0.05% above the
	// optimum (8 passes 1.3%, sampling alone at 1,000 passes 0.24%).
	if proved < count*3/4 {
		t.Fatalf("only %d of %d instances proved optimal", proved, count)
	}
	if gap[1] > gap[0] || gapLB[1] >= gapLB[0] {
		t.Errorf("1,000 passes: mean gaps %.3f%% above the optimum and %.2f%% above the lower bound, not below the %.3f%% and %.2f%% of %d passes",
			100*gap[1], 100*gapLB[1], 100*gap[0], 100*gapLB[0], DefaultPasses)
	}
	if long() && gap[1] >= gap[0] {
		t.Errorf("1,000 passes: mean gap %.3f%%, not below the %.3f%% of %d passes", 100*gap[1], 100*gap[0], DefaultPasses)
	}
	if !testing.Short() && total[1] >= total[len(runs)-1] {
		t.Errorf("1,000 passes: the makespans sum to %d, not below the %d of sampling alone", total[1], total[len(runs)-1])
	}
	if gap[1] > 0.0015 {
		t.Errorf("1,000 passes: mean gap above the optimum %.3f%% > 0.15%%", 100*gap[1])
	}
}

// TestGAJ120 measures Solve on 120-activity instances in the style of the
// PSPLIB set J120 (RS 0.1 to 0.5) against the critical path and the lower
// bound, the usual yardstick where optima are unknown (go test -run
// TestGAJ120 -v; DCMOVE_LONG=1 for all 60 combinations and 5,000 passes).
func TestGAJ120(t *testing.T) {
	count, budgets := 4, []int{DefaultPasses, 500}
	if testing.Short() {
		count = 2
	}
	if long() {
		count, budgets = 60, []int{DefaultPasses, 1000, 5000}
	}
	step := 13
	if long() {
		step = 1
	}
	ps := progenSet(t, 120, count, step)
	var runs []*gaRun
	for _, b := range budgets {
		runs = append(runs, &gaRun{passes: b, ga: true})
	}
	if long() {
		runs = append(runs, &gaRun{passes: 1000})
	}
	for _, run := range runs {
		t.Run(run.name(), func(t *testing.T) { solveSet(t, ps, run) })
	}
	if t.Failed() {
		return
	}
	gaps := make([]float64, len(runs))
	for i, run := range runs {
		gapCP, gapLB, atLB := 0.0, 0.0, 0
		for k := range ps {
			if i > 0 && i < len(budgets) && run.spans[k] > runs[i-1].spans[k] {
				t.Errorf("instance %d: %d passes give %d, %d passes %d", k, run.passes, run.spans[k], runs[i-1].passes, runs[i-1].spans[k])
			}
			gapCP += float64(run.spans[k]-run.cp[k]) / float64(run.cp[k])
			gapLB += float64(run.spans[k]-run.lb[k]) / float64(run.lb[k])
			if run.spans[k] == run.lb[k] {
				atLB++
			}
		}
		gaps[i] = gapCP / float64(count)
		t.Logf("J120 %-28s mean %.2f%% above the critical path, %.2f%% above the lower bound, at the bound %d/%d; %7.1f ms per instance, %.0f lists and %.0f decodes per instance",
			run.name()+":", 100*gaps[i], 100*gapLB/float64(count), atLB, count,
			float64(run.elapse.Microseconds())/1000/float64(count),
			float64(run.lists)/float64(count), float64(run.decs)/float64(count))
	}
	if gaps[1] >= gaps[0] {
		t.Errorf("%d passes: mean gap to the critical path %.2f%%, not below the %.2f%% of %d passes", budgets[1], 100*gaps[1], 100*gaps[0], budgets[0])
	}
}

// TestGAFeasible runs the genetic algorithm on instances with crew shifts,
// OneOf sets, availability windows and release times: every schedule is
// feasible and consistent (checkResult), no longer than with the default
// passes, and the same for the same seed.
func TestGAFeasible(t *testing.T) {
	per, passes := 9, 100
	if long() {
		per = 120
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for k := range per {
		g := genConfig{n: []int{12, 40, 90}[k%3], preds: 1.5, tight: 0.6, release: 0.1, crew: 2 + rng.IntN(4), crewSets: 0.6, windows: k%2 == 1}
		p := genProblem(rng, g)
		r8, err := Solve(p, Options{Seed: uint64(k)})
		if errors.Is(err, ErrNeverFits) {
			continue
		}
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		r, st, err := solve(p, Options{Seed: uint64(k), Passes: passes}, true)
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		if err := checkFeasible(p, r); err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		checkResult(t, p, r)
		if r.Makespan > r8.Makespan {
			t.Fatalf("instance %d: %d passes give %d, %d passes %d", k, passes, r.Makespan, DefaultPasses, r8.Makespan)
		}
		if st.lists > passes || (r.Makespan > r.LowerBound && st.gens == 0) {
			t.Fatalf("instance %d: %d lists, %d generations", k, st.lists, st.gens)
		}
		if k%3 == 0 {
			again, err := Solve(p, Options{Seed: uint64(k), Passes: passes})
			if err != nil || !reflect.DeepEqual(r, again) {
				t.Fatalf("instance %d: same seed, different results (%v)", k, err)
			}
		}
	}
}

// TestGALarge: on 5,000 activities the genetic algorithm (population
// popSize) stays within the passes asked for.
func TestGALarge(t *testing.T) {
	n := 5_000
	p := benchProblem(n)
	passes := popSize(n) + 1
	r, st, err := solve(p, Options{Seed: 1, Passes: passes}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkFeasible(p, r); err != nil {
		t.Fatal(err)
	}
	if st.lists != passes {
		t.Fatalf("%d passes asked: %d lists", passes, st.lists)
	}
	t.Logf("%d activities, %d passes: makespan %d, lower bound %d; %d decodes",
		n, passes, r.Makespan, r.LowerBound, st.decodes)
}

// planProblem is a random instance shaped like a move plan: n steps of 5
// to 60 minutes, each after up to 3 of the 40 steps before it; res shared
// resources (docks, lifts, carts) of capacity 1 to 4, each step needing
// one or two of them with probability 0.5; crew people with a shift of
// 10 to 14 hours a day for 20 days; and 80% of the steps needing one of 2
// to 4 of them (a role), 10% of those two.
func planProblem(n, res, crew int, seed uint64) Problem {
	rng := rand.New(rand.NewPCG(seed, 300))
	var p Problem
	for r := range res {
		p.Resources = append(p.Resources, Resource{ID: fmt.Sprintf("r%d", r), Capacity: 1 + rng.IntN(4)})
	}
	for k := range crew {
		var shifts []Interval
		for s := rng.IntN(240); s < 20*24*60; s += 24 * 60 {
			shifts = append(shifts, Interval{s, s + 600 + rng.IntN(240)})
		}
		p.Resources = append(p.Resources, Resource{ID: fmt.Sprintf("crew%d", k), Capacity: 1, Available: shifts})
	}
	p.Activities = make([]Activity, n)
	for i := range p.Activities {
		a := Activity{ID: fmt.Sprintf("s%d", i), Duration: 5 + rng.IntN(56)}
		if i > 0 {
			for range rng.IntN(4) {
				a.Preds = append(a.Preds, max(0, i-1-rng.IntN(40)))
			}
		}
		if rng.IntN(2) == 0 {
			for _, r := range rng.Perm(res)[:1+rng.IntN(2)] {
				a.Demand = append(a.Demand, Demand{r, 1 + rng.IntN(p.Resources[r].Capacity)})
			}
		}
		if rng.Float64() < 0.8 {
			set := rng.Perm(crew)[:2+rng.IntN(3)]
			for k := range set {
				set[k] += res
			}
			a.OneOf = append(a.OneOf, set)
			if rng.Float64() < 0.125 {
				a.OneOf = append(a.OneOf, set)
			}
		}
		p.Activities[i] = a
	}
	return p
}

// BenchmarkGA measures the time per pass (one activity list decoded and
// justified) of the genetic algorithm: on J30- and J120-style instances,
// and on 300-step plan-like instances with 4 and 8 resources and OneOf
// sets of 2 to 4 crew, the size of a large move.
func BenchmarkGA(b *testing.B) {
	type bc struct {
		name   string
		p      Problem
		passes int
	}
	cases := []bc{
		{"j30", progen(rand.New(rand.NewPCG(30, 12)), progenCombo(30, 12)), 1000},
		{"j120", progen(rand.New(rand.NewPCG(120, 0)), progenCombo(120, 0)), 1000},
		{"plan300-res4", planProblem(300, 4, 12, 1), 200},
		{"plan300-res8", planProblem(300, 8, 16, 2), 200},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s/passes=%d", c.name, c.passes), func(b *testing.B) {
			lists, decs := 0, 0
			var r Result
			for b.Loop() {
				var st searchStats
				var err error
				if r, st, err = solve(c.p, Options{Seed: 1, Passes: c.passes}, true); err != nil {
					b.Fatal(err)
				}
				lists += st.lists
				decs += st.decodes
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(lists), "ns/pass")
			b.ReportMetric(float64(decs)/float64(lists), "decodes/pass")
			b.ReportMetric(float64(r.Makespan)/float64(r.LowerBound), "makespan/LB")
		})
	}
}
