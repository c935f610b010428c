package schedule

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func long() bool { return os.Getenv("DCMOVE_LONG") == "1" }

// TestOptimumSmall compares Solve with the exact optimum on small random
// instances.
func TestOptimumSmall(t *testing.T) {
	count := 300
	if long() {
		count = 3000
	}
	rng := rand.New(rand.NewPCG(1, 2))
	hits, single := 0, 0
	gap, gapSingle := 0.0, 0.0
	for k := range count {
		g := genConfig{
			n:       3 + rng.IntN(8),
			preds:   []float64{0.5, 1, 2}[rng.IntN(3)],
			tight:   []float64{0.3, 0.6, 1}[rng.IntN(3)],
			release: []float64{0, 0.2}[rng.IntN(2)],
		}
		p := genProblem(rng, g)
		opt := exactMakespan(p)
		r, err := Solve(p, Options{Seed: uint64(k)})
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		if err := checkFeasible(p, r); err != nil {
			t.Fatalf("instance %d: infeasible: %v", k, err)
		}
		if r.Makespan < opt {
			t.Fatalf("instance %d: makespan %d below the optimum %d", k, r.Makespan, opt)
		}
		if r.LowerBound > opt {
			t.Fatalf("instance %d: lower bound %d above the optimum %d", k, r.LowerBound, opt)
		}
		checkResult(t, p, r)
		if r.Makespan == opt {
			hits++
		}
		if opt > 0 {
			gap += float64(r.Makespan-opt) / float64(opt)
		}
		r1, err := Solve(p, Options{Passes: 1})
		if err != nil {
			t.Fatal(err)
		}
		if r1.Makespan == opt {
			single++
		}
		if opt > 0 {
			gapSingle += float64(r1.Makespan-opt) / float64(opt)
		}
	}
	rate := float64(hits) / float64(count)
	t.Logf("optimum hit rate %.1f%% (%d/%d), mean gap above optimum %.2f%%; with Passes 1: %.1f%%, gap %.2f%%",
		100*rate, hits, count, 100*gap/float64(count), 100*float64(single)/float64(count), 100*gapSingle/float64(count))
	if rate < 0.9 {
		t.Errorf("optimum hit rate %.1f%% < 90%%", 100*rate)
	}
}

// checkResult checks what every Result of a feasible solve must satisfy:
// bounds, slack (the right-justified schedule is feasible within the
// makespan), and that Evaluate reproduces the schedule from Order.
func checkResult(t *testing.T, p Problem, r Result) {
	t.Helper()
	if r.Makespan < r.LowerBound || r.LowerBound < r.CriticalPath {
		t.Fatalf("makespan %d, lower bound %d, critical path %d", r.Makespan, r.LowerBound, r.CriticalPath)
	}
	right := make([]int, len(r.Start))
	for i, s := range r.Slack {
		if s < 0 {
			t.Fatalf("negative slack %d for %s", s, p.Activities[i].ID)
		}
		right[i] = r.Start[i] + s
	}
	rightSpan := 0
	for i, s := range right {
		rightSpan = max(rightSpan, s+p.Activities[i].Duration)
	}
	if rightSpan > r.Makespan {
		t.Fatalf("right-justified schedule ends at %d after the makespan %d", rightSpan, r.Makespan)
	}
	if err := checkStarts(p, right, r.Assigned, rightSpan); err != nil {
		t.Fatalf("right-justified schedule (Start+Slack) infeasible: %v", err)
	}
	if !slices.Contains(r.Slack, 0) && len(r.Slack) > 0 {
		t.Fatalf("no activity without slack: %v", r.Slack)
	}
	dur := make([]int, len(p.Activities))
	for i, a := range p.Activities {
		dur[i] = a.Duration
	}
	e, err := Evaluate(p, r.Order, dur)
	if err != nil {
		t.Fatalf("Evaluate(Order): %v", err)
	}
	if !reflect.DeepEqual(e.Start, r.Start) || !reflect.DeepEqual(e.Assigned, r.Assigned) {
		t.Fatalf("Evaluate(Order) gives starts %v, Solve %v", e.Start, r.Start)
	}
	if !reflect.DeepEqual(e, r) {
		t.Fatalf("Evaluate(Order) = %+v, Solve = %+v", e, r)
	}
	hasCrew := false
	for _, a := range p.Activities {
		hasCrew = hasCrew || len(a.OneOf) > 0
	}
	for _, res := range p.Resources {
		hasCrew = hasCrew || res.Available != nil
	}
	if !hasCrew && len(p.Activities) <= 200 {
		if got := naiveDecode(p, r.Order); !reflect.DeepEqual(got, r.Start) {
			t.Fatalf("minute-by-minute decode of Order gives %v, Solve %v", got, r.Start)
		}
	}
}

// TestGapToLowerBound logs how far Solve lands above the lower bound on
// mid-sized instances; only feasibility is asserted.
func TestGapToLowerBound(t *testing.T) {
	per := 50
	if testing.Short() {
		per = 10
	}
	if long() {
		per = 200
	}
	for _, n := range []int{30, 60, 120} {
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		gap, gap1, optimal := 0.0, 0.0, 0
		for k := range per {
			p := genProblem(rng, genConfig{n: n, preds: 2, tight: []float64{0.3, 0.6, 1}[k%3], release: 0.1})
			r, err := Solve(p, Options{Seed: uint64(k)})
			if err != nil {
				t.Fatal(err)
			}
			if err := checkFeasible(p, r); err != nil {
				t.Fatalf("n=%d instance %d: %v", n, k, err)
			}
			checkResult(t, p, r)
			r1, err := Solve(p, Options{Passes: 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := checkFeasible(p, r1); err != nil {
				t.Fatalf("n=%d instance %d, one pass: %v", n, k, err)
			}
			if r1.Makespan < r.Makespan {
				t.Errorf("n=%d instance %d: one pass %d beats default passes %d", n, k, r1.Makespan, r.Makespan)
			}
			gap += float64(r.Makespan-r.LowerBound) / float64(r.LowerBound)
			gap1 += float64(r1.Makespan-r1.LowerBound) / float64(r1.LowerBound)
			if r.Makespan == r.LowerBound {
				optimal++
			}
		}
		t.Logf("n=%3d: mean gap above lower bound %.2f%% (Passes 1: %.2f%%); proved optimal %d/%d",
			n, 100*gap/float64(per), 100*gap1/float64(per), optimal, per)
	}
}

// TestCrewFeasible solves random instances with crew shifts and OneOf sets
// and checks every schedule.
func TestCrewFeasible(t *testing.T) {
	per := 40
	if long() {
		per = 400
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for k := range per {
		n := []int{8, 30, 80}[k%3]
		p := genProblem(rng, genConfig{n: n, preds: 1.5, tight: 0.6, release: 0.1, crew: 2 + rng.IntN(4), crewSets: 0.6})
		r, err := Solve(p, Options{Seed: uint64(k)})
		if errors.Is(err, ErrNeverFits) {
			continue // a random shift pattern may leave no room
		}
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		if err := checkFeasible(p, r); err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		checkResult(t, p, r)
	}
}

// TestWide covers resources demanded in more distinct amounts than a
// profile tracks and more resources than one profile holds: schedules must
// stay feasible, and the decode must agree with the minute-by-minute one.
func TestWide(t *testing.T) {
	per := 30
	if long() {
		per = 300
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for k := range per {
		p := genProblem(rng, genConfig{n: 10 + rng.IntN(60), preds: 1.5, res: 3 + rng.IntN(12), capMax: 40, tight: 0.8, release: 0.1})
		r, err := Solve(p, Options{Seed: uint64(k), Passes: 3})
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		if err := checkFeasible(p, r); err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		checkResult(t, p, r)
	}
}

// TestWindows gives renewable resources availability windows as well.
func TestWindows(t *testing.T) {
	per := 40
	if long() {
		per = 400
	}
	rng := rand.New(rand.NewPCG(10, 10))
	solved := 0
	for k := range per {
		p := genProblem(rng, genConfig{n: 5 + rng.IntN(60), preds: 1.5, tight: 0.6, release: 0.1, windows: true, crew: rng.IntN(3), crewSets: 0.4})
		r, err := Solve(p, Options{Seed: uint64(k)})
		if errors.Is(err, ErrNeverFits) {
			continue
		}
		if err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		solved++
		if err := checkFeasible(p, r); err != nil {
			t.Fatalf("instance %d: %v", k, err)
		}
		checkResult(t, p, r)
	}
	t.Logf("%d of %d instances could be scheduled", solved, per)
	if solved < per/2 {
		t.Fatalf("only %d of %d instances could be scheduled", solved, per)
	}
}

func TestDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := genProblem(rng, genConfig{n: 60, preds: 1.5, tight: 0.6, release: 0.1, crew: 4, crewSets: 0.5})
	a, err := Solve(p, Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Solve(p, Options{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different results")
	}
	for seed := range uint64(5) {
		c, err := Solve(p, Options{Seed: seed, Passes: 20})
		if err != nil {
			t.Fatal(err)
		}
		if err := checkFeasible(p, c); err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: makespan %d (lower bound %d)", seed, c.Makespan, c.LowerBound)
	}
}

func TestErrors(t *testing.T) {
	res := []Resource{
		{ID: "dock", Capacity: 2},
		{ID: "ana", Capacity: 1, Available: []Interval{{0, 60}, {120, 180}}},
		{ID: "bo", Capacity: 1, Available: []Interval{{0, 30}}},
	}
	tests := []struct {
		name    string
		acts    []Activity
		wantErr error
	}{
		{"cycle", []Activity{{ID: "a", Duration: 1, Preds: []int{2}}, {ID: "b", Duration: 1, Preds: []int{0}}, {ID: "c", Duration: 1, Preds: []int{1}}}, ErrCycle},
		{"self loop", []Activity{{ID: "a", Duration: 1, Preds: []int{0}}}, ErrCycle},
		{"pred out of range", []Activity{{ID: "a", Duration: 1, Preds: []int{3}}}, ErrPred},
		{"negative pred", []Activity{{ID: "a", Duration: 1, Preds: []int{-1}}}, ErrPred},
		{"demand resource out of range", []Activity{{ID: "a", Duration: 1, Demand: []Demand{{7, 1}}}}, ErrResource},
		{"oneof resource out of range", []Activity{{ID: "a", Duration: 1, OneOf: [][]int{{1, 9}}}}, ErrResource},
		{"demand above capacity", []Activity{{ID: "a", Duration: 1, Demand: []Demand{{0, 3}}}}, ErrDemand},
		{"demand above capacity in two entries", []Activity{{ID: "a", Duration: 1, Demand: []Demand{{0, 2}, {0, 1}}}}, ErrDemand},
		{"negative demand", []Activity{{ID: "a", Duration: 1, Demand: []Demand{{0, -1}}}}, ErrDemand},
		{"longer than every shift", []Activity{{ID: "a", Duration: 61, Demand: []Demand{{1, 1}}}}, ErrNeverFits},
		{"longer than every crew shift", []Activity{{ID: "a", Duration: 61, OneOf: [][]int{{1, 2}}}}, ErrNeverFits},
		{"empty oneof", []Activity{{ID: "a", Duration: 1, OneOf: [][]int{{}}}}, ErrNeverFits},
		{"two sets one person", []Activity{{ID: "a", Duration: 1, OneOf: [][]int{{1}, {1}}}}, ErrNeverFits},
		{"shifts never overlap long enough", []Activity{{ID: "a", Duration: 40, Demand: []Demand{{1, 1}}, OneOf: [][]int{{2}}}}, ErrNeverFits},
		{"negative duration", []Activity{{ID: "a", Duration: -5}}, ErrDuration},
		{"ok", []Activity{{ID: "a", Duration: 5, Demand: []Demand{{0, 2}}, OneOf: [][]int{{1, 2}}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Solve(Problem{Activities: tt.acts, Resources: res}, Options{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if want := tt.acts[0].ID; !strings.Contains(err.Error(), `"`+want+`"`) && tt.wantErr != ErrCycle {
					t.Errorf("error %q does not name activity %q", err, want)
				}
				t.Log(err)
			}
		})
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || len(s) >= len(sub) && (s[:len(sub)] == sub || contains(s[1:], sub))
}

func TestEvaluateErrors(t *testing.T) {
	p := Problem{Activities: []Activity{{ID: "a", Duration: 1}, {ID: "b", Duration: 1, Preds: []int{0}}}}
	tests := []struct {
		name    string
		order   []int
		dur     []int
		wantErr error
	}{
		{"ok", []int{0, 1}, []int{1, 1}, nil},
		{"successor first", []int{1, 0}, []int{1, 1}, ErrOrder},
		{"short list", []int{0}, []int{1, 1}, ErrOrder},
		{"repeated", []int{0, 0}, []int{1, 1}, ErrOrder},
		{"out of range", []int{0, 2}, []int{1, 1}, ErrOrder},
		{"durations length", []int{0, 1}, []int{1}, ErrArgument},
		{"negative duration", []int{0, 1}, []int{1, -1}, ErrDuration},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Evaluate(p, tt.order, tt.dur)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	one := func(int, *rand.Rand) int { return 1 }
	if _, _, _, err := MonteCarlo(p, []int{0, 1}, 0, 1, 10, one); !errors.Is(err, ErrArgument) {
		t.Errorf("0 samples: err = %v", err)
	}
	if _, _, _, err := MonteCarlo(p, []int{0, 1}, 5, 1, 10, nil); !errors.Is(err, ErrArgument) {
		t.Errorf("nil sampler: err = %v", err)
	}
	neg := func(int, *rand.Rand) int { return -1 }
	if _, _, _, err := MonteCarlo(p, []int{0, 1}, 5, 1, 10, neg); !errors.Is(err, ErrDuration) {
		t.Errorf("negative sample: err = %v", err)
	}
}

// TestCrewShift: the only person who can do a 90-minute job is on shift
// from 120; the other's shift is too short.
func TestCrewShift(t *testing.T) {
	p := Problem{
		Resources: []Resource{
			{ID: "alice", Capacity: 1, Available: []Interval{{0, 60}}},
			{ID: "bob", Capacity: 1, Available: []Interval{{120, 480}}},
			{ID: "carol", Capacity: 1, Available: []Interval{{0, 100}, {100, 400}}}, // touching: one shift
		},
		Activities: []Activity{
			{ID: "recable", Duration: 90, OneOf: [][]int{{0, 1}}},
			{ID: "check", Duration: 30, OneOf: [][]int{{0, 1}}},
			{ID: "pair", Duration: 150, OneOf: [][]int{{1, 2}, {1, 2}}},
			{ID: "late", Duration: 10, OneOf: [][]int{{2}}, NotBefore: 195},
		},
	}
	r, err := Solve(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkFeasible(p, r); err != nil {
		t.Fatal(err)
	}
	checkResult(t, p, r)
	if r.Start[0] < 120 || r.Assigned[0][0] != 1 {
		t.Errorf("recable at %d by %d, want bob from 120 on", r.Start[0], r.Assigned[0][0])
	}
	if r.Start[1] != 0 || r.Assigned[1][0] != 0 {
		t.Errorf("check at %d by %d, want alice at 0", r.Start[1], r.Assigned[1][0])
	}
	if a := r.Assigned[2]; a[0] == a[1] {
		t.Errorf("pair got the same person twice: %v", a)
	}
	if r.Start[2] < 120 {
		t.Errorf("pair starts at %d, before bob's shift", r.Start[2])
	}
	if r.Makespan != 360 {
		t.Errorf("makespan %d, want 360 (bob does recable and pair back to back from 120)", r.Makespan)
	}
}

func TestMilestones(t *testing.T) {
	p := Problem{
		Resources: []Resource{{ID: "team", Capacity: 1}},
		Activities: []Activity{
			{ID: "start", Duration: 0},
			{ID: "power-down", Duration: 30, Preds: []int{0}, Demand: []Demand{{0, 1}}},
			{ID: "unrack", Duration: 45, Preds: []int{1}, Demand: []Demand{{0, 1}}},
			{ID: "point-of-no-return", Duration: 0, Preds: []int{2}, Demand: []Demand{{0, 1}}},
			{ID: "truck-leaves", Duration: 0, NotBefore: 120, Preds: []int{3}},
			{ID: "label", Duration: 20, Demand: []Demand{{0, 1}}},
		},
	}
	r, err := Solve(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkFeasible(p, r); err != nil {
		t.Fatal(err)
	}
	checkResult(t, p, r)
	want := 120
	if r.Makespan != want || r.Start[4] != want || r.Finish[4] != want {
		t.Errorf("makespan %d, truck-leaves at %d, want %d", r.Makespan, r.Start[4], want)
	}
	if r.Finish[3] != r.Start[3] || r.Start[3] != r.Finish[2] {
		t.Errorf("point-of-no-return at %d-%d, unrack finishes %d", r.Start[3], r.Finish[3], r.Finish[2])
	}
	if r.CriticalPath != 75 || r.LowerBound != 120 {
		t.Errorf("critical path %d, lower bound %d; want 75, 120", r.CriticalPath, r.LowerBound)
	}
	if r.Slack[4] != 0 || r.Slack[5] == 0 {
		t.Errorf("slack %v", r.Slack)
	}
}

func TestEmpty(t *testing.T) {
	r, err := Solve(Problem{}, Options{})
	if err != nil || r.Makespan != 0 || len(r.Start) != 0 {
		t.Fatalf("%+v, %v", r, err)
	}
}

func TestMonteCarlo(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	p := genProblem(rng, genConfig{n: 40, preds: 1.5, res: 2, tight: 0.6})
	r, err := Solve(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Durations never shrink, so no sample beats the lower bound.
	grow := func(i int, rng *rand.Rand) int {
		return p.Activities[i].Duration + rng.IntN(1+p.Activities[i].Duration/2)
	}
	prob, p50, p90, err := MonteCarlo(p, r.Order, 200, 1, 1<<30, grow)
	if err != nil || prob != 1 || p50 > p90 || p50 < r.LowerBound {
		t.Fatalf("far deadline: prob %v, p50 %d, p90 %d, err %v", prob, p50, p90, err)
	}
	if prob, _, _, _ := MonteCarlo(p, r.Order, 200, 1, r.LowerBound-1, grow); prob != 0 {
		t.Fatalf("deadline below the lower bound: prob %v", prob)
	}
	last := -1.0
	for dl := r.LowerBound; dl <= p90; dl++ {
		prob, _, _, err := MonteCarlo(p, r.Order, 200, 1, dl, grow)
		if err != nil {
			t.Fatal(err)
		}
		if prob < last {
			t.Fatalf("probability falls from %v to %v at deadline %d", last, prob, dl)
		}
		last = prob
	}
	if last < 0.9 {
		t.Fatalf("deadline p90: prob %v < 0.9", last)
	}
	a1, b1, c1, _ := MonteCarlo(p, r.Order, 50, 3, p50, grow)
	a2, b2, c2, _ := MonteCarlo(p, r.Order, 50, 3, p50, grow)
	if a1 != a2 || b1 != b2 || c1 != c2 {
		t.Fatal("same seed, different Monte Carlo results")
	}
	// With the nominal durations every sample is the schedule itself.
	nominal := func(i int, _ *rand.Rand) int { return p.Activities[i].Duration }
	prob, p50, p90, _ = MonteCarlo(p, r.Order, 3, 1, r.Makespan, nominal)
	if prob != 1 || p50 != r.Makespan || p90 != r.Makespan {
		t.Fatalf("nominal: %v %d %d, makespan %d", prob, p50, p90, r.Makespan)
	}
}

// More effort (passes) never gives a longer schedule, for the same seed,
// and on 30-activity instances it closes part of the gap to the lower
// bound; the gaps are logged (go test -run TestEffort -v).
func TestEffortNeverWorsens(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	count := 40
	if long() {
		count = 400
	}
	efforts := []int{1, DefaultPasses, 64, 512}
	gaps := make([]float64, len(efforts))
	for k := range count {
		p := genProblem(rng, genConfig{n: 30, preds: 1, tight: 0.6})
		prev := math.MaxInt
		for i, e := range efforts {
			r, err := Solve(p, Options{Seed: uint64(k), Passes: e})
			if err != nil {
				t.Fatal(err)
			}
			if r.Makespan > prev {
				t.Fatalf("instance %d: %d passes give makespan %d, more than %d with fewer passes", k, e, r.Makespan, prev)
			}
			prev = r.Makespan
			if r.LowerBound > 0 {
				gaps[i] += float64(r.Makespan-r.LowerBound) / float64(r.LowerBound)
			}
		}
	}
	for i, e := range efforts {
		t.Logf("30 activities, %4d passes: mean gap above the lower bound %.2f%%", e, 100*gaps[i]/float64(count))
	}
}
