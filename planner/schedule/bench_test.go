package schedule

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchProblem is a random instance of n activities on 5 resources of
// capacity 10: durations 1-20 minutes, up to 3 predecessors drawn from the
// 100 activities before, and each resource demanded with probability 0.4,
// 1 to 4 units.
func benchProblem(n int) Problem {
	rng := rand.New(rand.NewPCG(uint64(n), 99))
	p := Problem{Activities: make([]Activity, n)}
	for r := range 5 {
		p.Resources = append(p.Resources, Resource{ID: fmt.Sprintf("r%d", r), Capacity: 10})
	}
	for i := range p.Activities {
		a := Activity{ID: fmt.Sprintf("a%d", i), Duration: 1 + rng.IntN(20)}
		if i > 0 {
			for range rng.IntN(4) {
				a.Preds = append(a.Preds, max(0, i-1-rng.IntN(100)))
			}
		}
		for r := range 5 {
			if rng.Float64() < 0.4 {
				a.Demand = append(a.Demand, Demand{r, 1 + rng.IntN(4)})
			}
		}
		p.Activities[i] = a
	}
	return p
}

func BenchmarkSolve(b *testing.B) {
	for _, bc := range []struct {
		n, passes int
	}{
		{1_000, 1}, {1_000, 0}, {10_000, 1}, {10_000, 0}, {100_000, 1},
	} {
		name := fmt.Sprintf("n=%d/passes=%d", bc.n, bc.passes)
		if bc.passes == 0 {
			name = fmt.Sprintf("n=%d/passes=default", bc.n)
		}
		p := benchProblem(bc.n)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var r Result
			for b.Loop() {
				var err error
				if r, err = Solve(p, Options{Seed: 1, Passes: bc.passes}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.Makespan)/float64(r.LowerBound), "makespan/LB")
		})
	}
}

// BenchmarkEvaluate is one decode of a list, the unit of Monte Carlo work.
func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		p := benchProblem(n)
		r, err := Solve(p, Options{Passes: 1})
		if err != nil {
			b.Fatal(err)
		}
		dur := make([]int, n)
		for i, a := range p.Activities {
			dur[i] = a.Duration
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Evaluate(p, r.Order, dur); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
