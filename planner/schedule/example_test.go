package schedule_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/dcmove/dcmove/planner/schedule"
)

// Two technicians with different shifts unrack two servers, one at a
// time with the only lift, after the power-down; the truck cannot leave
// before minute 120.
func ExampleSolve() {
	p := schedule.Problem{
		Resources: []schedule.Resource{
			{ID: "lift", Capacity: 1},
			{ID: "ana", Capacity: 1, Available: []schedule.Interval{{Start: 0, End: 240}}},
			{ID: "bo", Capacity: 1, Available: []schedule.Interval{{Start: 60, End: 480}}},
		},
		Activities: []schedule.Activity{
			{ID: "power-down", Duration: 15},
			{ID: "unrack-web1", Duration: 45, Preds: []int{0},
				Demand: []schedule.Demand{{Resource: 0, Amount: 1}}, OneOf: [][]int{{1, 2}}},
			{ID: "unrack-db1", Duration: 45, Preds: []int{0},
				Demand: []schedule.Demand{{Resource: 0, Amount: 1}}, OneOf: [][]int{{1, 2}}},
			{ID: "label-cables", Duration: 30, OneOf: [][]int{{2}}},
			{ID: "truck-leaves", Duration: 0, Preds: []int{1, 2}, NotBefore: 120},
		},
	}
	r, err := schedule.Solve(p, schedule.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, a := range p.Activities {
		who := ""
		for _, m := range r.Assigned[i] {
			who += " " + p.Resources[m].ID
		}
		fmt.Printf("%-13s %3d-%3d slack %3d%s\n", a.ID, r.Start[i], r.Finish[i], r.Slack[i], who)
	}
	fmt.Println("makespan", r.Makespan, "lower bound", r.LowerBound)
	// Output:
	// power-down      0- 15 slack  15
	// unrack-web1    15- 60 slack  15 ana
	// unrack-db1     60-105 slack  15 ana
	// label-cables   60- 90 slack  30 bo
	// truck-leaves  120-120 slack   0
	// makespan 120 lower bound 120
}

// Re-schedule the best activity list with durations that vary, to see how
// likely a deadline is.
func ExampleMonteCarlo() {
	p := schedule.Problem{
		Resources: []schedule.Resource{{ID: "team", Capacity: 2}},
		Activities: []schedule.Activity{
			{ID: "backup", Duration: 60, Demand: []schedule.Demand{{Resource: 0, Amount: 1}}},
			{ID: "unrack", Duration: 30, Preds: []int{0}, Demand: []schedule.Demand{{Resource: 0, Amount: 2}}},
			{ID: "carry", Duration: 45, Preds: []int{1}, Demand: []schedule.Demand{{Resource: 0, Amount: 1}}},
			{ID: "docs", Duration: 40, Demand: []schedule.Demand{{Resource: 0, Amount: 1}}},
		},
	}
	r, err := schedule.Solve(p, schedule.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Each duration between 90% and 150% of its estimate.
	sample := func(i int, rng *rand.Rand) int {
		d := p.Activities[i].Duration
		return d*9/10 + rng.IntN(d*6/10+1)
	}
	prob, p50, p90, err := schedule.MonteCarlo(p, r.Order, 1000, 7, 180, sample)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("planned %d min; P(done by 180) = %.2f; p50 %d, p90 %d\n", r.Makespan, prob, p50, p90)
	// Output:
	// planned 135 min; P(done by 180) = 0.89; p50 161, p90 181
}
