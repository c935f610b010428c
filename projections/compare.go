package projections

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrDifferentPlans means two runs that were to be compared are not runs of
// the same plan.
var ErrDifferentPlans = errors.New("projections: the runs are of different plans")

// Comparison is how two runs of one plan differ, step by step: typically a
// dress rehearsal (A) and the live run (B).
type Comparison struct {
	Plan string
	A, B RunRef
	// SamePlanFile is set when both runs started from the same plan file
	// (the same sha256); a plan calibrated between them is not.
	SamePlanFile bool
	// Steps are the steps of either run, those done in both first, the
	// largest difference first, then the others in plan order.
	Steps []StepDelta
	// Phases sum the durations of the steps done in both runs, per phase
	// in plan order; Total over the whole run.
	Phases []PhaseDelta
	Total  PhaseDelta
}

// RunRef names a run.
type RunRef struct {
	Run       string
	Rehearsal bool
}

func (r RunRef) String() string {
	if r.Rehearsal {
		return r.Run + " (rehearsal)"
	}
	return r.Run
}

// Outcome is how a step ended in one run.
type Outcome struct {
	// State is the step's state at the end of the run; empty when the
	// step is not in that run.
	State State
	// Took is from its start to its end, for a step done or failed.
	Took time.Duration
}

// Timed reports whether the outcome has a duration.
func (o Outcome) Timed() bool { return o.State == Done || o.State == Failed && o.Took > 0 }

func (o Outcome) String() string {
	if o.State == "" {
		return "not in run"
	}
	return string(o.State)
}

// StepDelta is one step in both runs.
type StepDelta struct {
	ID, Title, Phase string
	A, B             Outcome
	// Both is set when the step was done in both runs; Delta is then B's
	// duration minus A's.
	Both  bool
	Delta time.Duration
}

// PhaseDelta sums the durations of a phase's steps done in both runs.
type PhaseDelta struct {
	Phase string
	Steps int
	A, B  time.Duration
}

// Delta returns B's sum minus A's.
func (p PhaseDelta) Delta() time.Duration { return p.B - p.A }

// Ratio returns B's sum over A's (0 when A's is 0).
func (p PhaseDelta) Ratio() float64 {
	if p.A <= 0 {
		return 0
	}
	return float64(p.B) / float64(p.A)
}

func outcome(st *Step) Outcome {
	o := Outcome{State: st.State()}
	if (o.State == Done || o.State == Failed) && !st.Started.IsZero() && !st.Done.IsZero() {
		o.Took = st.Done.Sub(st.Started)
	}
	return o
}

// Compare returns how run b differs from run a, step by step. It refuses
// runs of different plans (or that share no step) with [ErrDifferentPlans].
func Compare(a, b *Report) (*Comparison, error) {
	sa, sb := a.Status, b.Status
	if sa.Plan != sb.Plan {
		return nil, fmt.Errorf("%w: run %s is of plan %s and run %s of plan %s; compare two runs of one plan, such as its rehearsal and its live run", ErrDifferentPlans, sa.ID, sa.Plan, sb.ID, sb.Plan)
	}
	c := &Comparison{Plan: sa.Plan, A: RunRef{sa.ID, sa.Rehearsal}, B: RunRef{sb.ID, sb.Rehearsal},
		SamePlanFile: sa.Hash != "" && sa.Hash == sb.Hash, Total: PhaseDelta{Phase: "total"}}
	inA := map[string]bool{}
	for _, st := range sa.Work() {
		inA[st.ID] = true
	}
	common := 0
	add := func(st *Step, other *Status, first bool) {
		d := StepDelta{ID: st.ID, Title: st.Title, Phase: st.Phase}
		mine, theirs := outcome(st), Outcome{}
		if o, ok := other.Step(st.ID); ok && (!o.BackoutOnly || slices.Contains(other.Work(), o)) {
			theirs = outcome(o)
			common++
		}
		if first {
			d.A, d.B = mine, theirs
		} else {
			d.A, d.B = theirs, mine
		}
		if d.A.State == Done && d.B.State == Done {
			d.Both, d.Delta = true, d.B.Took-d.A.Took
		}
		c.Steps = append(c.Steps, d)
	}
	for _, st := range sa.Work() {
		add(st, sb, true)
	}
	for _, st := range sb.Work() {
		if !inA[st.ID] {
			add(st, sa, false)
		}
	}
	if common == 0 {
		return nil, fmt.Errorf("%w: runs %s and %s are both of plan %s but share no step; compare two runs of the same plan file", ErrDifferentPlans, sa.ID, sb.ID, sa.Plan)
	}
	index := map[string]int{}
	for _, d := range c.Steps {
		i, ok := index[d.Phase]
		if !ok {
			i = len(c.Phases)
			index[d.Phase] = i
			c.Phases = append(c.Phases, PhaseDelta{Phase: d.Phase})
		}
		if d.Both {
			for _, p := range []*PhaseDelta{&c.Phases[i], &c.Total} {
				p.Steps++
				p.A += d.A.Took
				p.B += d.B.Took
			}
		}
	}
	slices.SortStableFunc(c.Steps, func(x, y StepDelta) int {
		if x.Both != y.Both {
			if x.Both {
				return -1
			}
			return 1
		}
		return cmp.Compare(abs(y.Delta), abs(x.Delta))
	})
	return c, nil
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
