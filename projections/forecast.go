package projections

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/planner/montecarlo"
	"github.com/dcmove/dcmove/planner/schedule"
)

// ETA is a forecast of when the move's work in the window ends, re-computed
// from what the run did so far: the steps done stay where they are, the
// steps started finish what is left of them, and the rest is scheduled
// with the crew at the pace each phase has shown.
type ETA struct {
	// At is the moment the forecast was made for, and Seq the last event
	// of the status it read.
	At  time.Time `json:"at"`
	Seq uint64    `json:"seq"`
	// End is when the last step of the window ends if every step left
	// takes its likely duration at its phase's pace. P50 and P90 are the
	// median and 90th percentile ends over the Monte Carlo samples (End
	// when there are none).
	End time.Time `json:"end,omitzero"`
	P50 time.Time `json:"p50,omitzero"`
	P90 time.Time `json:"p90,omitzero"`
	// Probability is the share of the samples that end by WindowEnd (with
	// no samples, 1 if End does and 0 if not).
	Probability float64   `json:"probability"`
	Samples     int       `json:"samples"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	// Remaining counts the steps left: the window's steps not done, and
	// the steps before the window that they still wait for.
	Remaining int `json:"remaining"`
	// Ended is set once every step of the window is done, skipped or
	// cancelled: End is then when the last one finished.
	Ended bool `json:"ended,omitempty"`
	// Paces are the phases' paces, in phase order.
	Paces []PhasePace `json:"paces,omitempty"`
	// Overtime is set when what is left does not fit the crew's shifts
	// left: the forecast keeps people after their last shift.
	Overtime bool `json:"overtime,omitempty"`
}

// PhasePace is how fast the steps of a phase run against their plan.
type PhasePace struct {
	Phase string `json:"phase"`
	// Factor is the median of actual over likely duration among the
	// phase's finished steps (at least 0.1); 1 when none has finished.
	// The forecast scales the phase's steps not started by it.
	Factor float64 `json:"factor"`
	// Low and High are the 10th and 90th percentiles of those ratios
	// (nearest rank), with at least five steps finished: the spread the
	// samples draw from.
	Low  float64 `json:"low,omitempty"`
	High float64 `json:"high,omitempty"`
	// Finished counts the steps it was measured on, Remaining the phase's
	// steps the forecast scales.
	Finished  int `json:"finished"`
	Remaining int `json:"remaining"`
}

// evidence is a phase's pace with the ratios it was measured on.
type evidence struct {
	PhasePace
	ratios []float64
}

// minEvidence is how many steps of a phase must have finished for the
// samples to draw from their ratios rather than from the plan's ranges.
const minEvidence = 5

// Bounds of the forecast's assumptions.
const (
	// minPace keeps a phase whose steps were closed at once (ticked,
	// not worked) from forecasting the rest as taking no time.
	minPace = 0.1
	// A started step always has at least this share of its likely
	// duration left: one running over its plan is about to end, not over.
	minLeft = 0.05
)

// Forecast re-schedules what is left of the window's work from now, with
// the run's crew (one person per step, among those with its role, during
// the shifts they have left, as the planner does) and its vehicles and
// resources, and draws samples of it to estimate the odds of ending
// inside the window. The same status, now, samples and seed give the same
// forecast. A [Forecaster] does the same again and again, faster.
//
// Steps done, skipped or cancelled are fixed. A started step has
// max(likely − elapsed, 5% of likely) left, so one running over its plan
// pushes its successors; a cool-down ends at its timer. A step not started
// takes its likely duration times its phase's pace ([PhasePace]). Steps of
// the window do not start before the window opens (except in a
// rehearsal); a failed step is done again (unless the move backs out), and
// a blocked one is taken as unblocked now.
//
// Each Monte Carlo sample re-times that schedule (in its order of work,
// each step taken by whoever of its role can start it first; see
// planner/montecarlo) with durations drawn from the evidence: in a phase
// with at least five steps finished, a step takes its likely duration
// times the ratio of actual to likely of one of them, drawn at random, so
// the spread the phase showed is the spread forecast; in a phase with
// fewer, its optimistic/likely/pessimistic range (triangular) scaled so
// that its median is the phase's pace; in a phase with none, its range as
// planned.
func Forecast(s *Status, now time.Time, samples int, seed uint64) (*ETA, error) {
	f := Forecaster{Samples: samples, Seed: seed}
	return f.Forecast(s, now)
}

// Forecaster forecasts a run again and again as it goes (a watch, a
// page): it keeps the order of work of its last schedule and only decodes
// it again with what changed, scheduling from scratch only when a step it
// did not order is left (a retry, a new run). Its forecasts can differ
// from [Forecast]'s by the order of work only. It is not safe for
// concurrent use.
type Forecaster struct {
	// Samples is the number of Monte Carlo samples; 0 forecasts the likely
	// end only.
	Samples int
	Seed    uint64
	// Passes is the scheduler's effort when it schedules what is left
	// from scratch (schedule.Options.Passes; 0: the scheduler's default,
	// 8 lists, as a forecast runs at every event).
	Passes int
	order  []string // the last schedule's order of work, by step id
}

// Forecast forecasts s at now; see [Forecast].
func (fc *Forecaster) Forecast(s *Status, now time.Time) (*ETA, error) {
	samples, seed := fc.Samples, fc.Seed
	eta := &ETA{At: now, Seq: s.LastSeq, WindowEnd: s.WindowEnd, Samples: max(samples, 0)}
	paces := s.paces()
	f := s.remaining(now, paces)
	for _, p := range s.Phases {
		if pc := paces[p]; pc.Finished > 0 || pc.Remaining > 0 {
			eta.Paces = append(eta.Paces, pc.PhasePace)
		}
	}
	eta.Remaining = len(f.steps)
	if len(f.steps) == 0 {
		end, _ := s.moveEnd()
		eta.Ended, eta.End, eta.P50, eta.P90 = true, end, end, end
		eta.Probability = odds(end, s.WindowEnd)
		return eta, nil
	}
	problem := f.problem
	order := fc.reuse(f)
	if order == nil {
		r, err := schedule.Solve(problem, schedule.Options{Seed: seed, Passes: fc.Passes})
		if errors.Is(err, schedule.ErrNeverFits) {
			// What is left does not fit the shifts left: forecast it with
			// people staying after their last shift, and say so.
			eta.Overtime = true
			problem = planner.SoftLastShift(problem)
			r, err = schedule.Solve(problem, schedule.Options{Seed: seed, Passes: fc.Passes})
		}
		if err != nil {
			return nil, fmt.Errorf("forecast: schedule what is left: %w", err)
		}
		order = f.startedFirst(r.Order)
		fc.order = fc.order[:0]
		for _, k := range order {
			fc.order = append(fc.order, f.steps[k].ID)
		}
	}
	likely, err := schedule.Evaluate(problem, order, f.likely)
	if err != nil && !errors.Is(err, schedule.ErrNeverFits) && fc.order != nil {
		// The order kept no longer decodes: forget it, and schedule from
		// scratch next time (this forecast reports the error).
		fc.order = nil
	}
	if errors.Is(err, schedule.ErrNeverFits) && !eta.Overtime {
		eta.Overtime = true
		problem = planner.SoftLastShift(problem)
		likely, err = schedule.Evaluate(problem, order, f.likely)
	}
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	eta.End = now.Add(schedule.Duration(likely.Makespan))
	eta.P50, eta.P90 = eta.End, eta.End
	eta.Probability = odds(eta.End, s.WindowEnd)
	if samples <= 0 {
		return eta, nil
	}
	deadline := math.MaxInt32
	if !s.WindowEnd.IsZero() {
		deadline = int(math.Floor(s.WindowEnd.Sub(now).Minutes()))
	}
	// A sampled overrun keeps people past their last shift rather than
	// making the weekend impossible, as in the plan's odds.
	seq, err := montecarlo.New(problem, likely)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	o, err := seq.Sample(samples, seed, deadline, f.sample)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	eta.Probability, eta.P50, eta.P90 = o.Probability, now.Add(schedule.Duration(o.P50)), now.Add(schedule.Duration(o.P90))
	return eta, nil
}

// startedFirst is order with the started steps first: they are under way
// and take their people from now on, whatever order the scheduler
// preferred.
func (f *leftover) startedFirst(order []int) []int {
	out := make([]int, 0, len(order))
	for k, st := range f.steps {
		if st.Recorded() == Started {
			out = append(out, k)
		}
	}
	for _, k := range order {
		if f.steps[k].Recorded() != Started {
			out = append(out, k)
		}
	}
	return out
}

// reuse is the last order of work, restricted to the steps left, started
// ones first; nil when a step left is not in it.
func (fc *Forecaster) reuse(f *leftover) []int {
	if len(fc.order) == 0 {
		return nil
	}
	index := make(map[string]int, len(f.steps))
	for k, st := range f.steps {
		index[st.ID] = k
	}
	seen := 0
	order := make([]int, 0, len(f.steps))
	for _, id := range fc.order {
		if k, ok := index[id]; ok {
			order = append(order, k)
			seen++
		}
	}
	if seen != len(f.steps) {
		return nil
	}
	return f.startedFirst(order)
}

// odds is 1 if end is inside the window (or there is no window end), 0 if
// not.
func odds(end, windowEnd time.Time) float64 {
	if windowEnd.IsZero() || !end.After(windowEnd) {
		return 1
	}
	return 0
}

// paces measures each phase's pace on its finished steps, and counts the
// steps the forecast will scale by it (set by remaining).
func (s *Status) paces() map[string]*evidence {
	ratios := map[string][]float64{}
	for _, st := range s.Work() {
		if st.Recorded() == Done && !st.Started.IsZero() && st.Planned > 0 && !st.IsTimer() {
			ratios[st.Phase] = append(ratios[st.Phase], float64(st.Done.Sub(st.Started))/float64(st.Planned))
		}
	}
	out := map[string]*evidence{}
	for _, st := range s.Steps {
		if out[st.Phase] != nil {
			continue
		}
		rs := ratios[st.Phase]
		out[st.Phase] = &evidence{PhasePace: PhasePace{Phase: st.Phase, Factor: 1, Finished: len(rs)}}
		if len(rs) > 0 {
			// The evidence, unclamped: a phase measured at 5x is
			// forecast at 5x (Finished says on how many steps).
			pc := out[st.Phase]
			pc.Factor = max(median(rs), minPace)
			for k := range rs {
				rs[k] = max(rs[k], minPace)
			}
			pc.ratios = rs
			if len(rs) >= minEvidence {
				sorted := slices.Sorted(slices.Values(rs))
				rank := func(q int) float64 { return sorted[(q*len(sorted)+99)/100-1] }
				pc.Low, pc.High = rank(10), rank(90)
			}
		}
	}
	return out
}

func median(xs []float64) float64 {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// leftover is the scheduling problem of the work left, with what the
// samples need: activity k is steps[k].
type leftover struct {
	problem schedule.Problem
	steps   []*Step
	likely  []int // minutes, at the phase's pace
	// What to sample from: est is the step's range, scaled so that its
	// median is the phase's pace when the phase has some evidence
	// (norm[k] is that scale, 1 without); ratios, when not nil, are the
	// phase's measured ratios, drawn from instead of the range (planned[k]
	// is then the likely duration they scale). elapsed[k] >= 0 marks a
	// started step, for which the sample is what is left of a draw; fixed
	// marks a timer, which takes likely[k] in every sample.
	est     []planner.Duration
	norm    []float64
	ratios  [][]float64
	planned []float64 // likely duration, minutes, unscaled
	elapsed []float64
	fixed   []bool
}

// triangularMedian is the median of the triangular distribution of d.
func triangularMedian(d planner.Duration) float64 {
	lo, mode, hi := float64(d.Optimistic), float64(d.Likely), float64(d.Pessimistic)
	if hi <= lo || mode < lo || mode > hi {
		return mode
	}
	if (mode-lo)/(hi-lo) >= 0.5 {
		return lo + math.Sqrt((hi-lo)*(mode-lo)/2)
	}
	return hi - math.Sqrt((hi-lo)*(hi-mode)/2)
}

// remaining builds the problem of the work left at now: the window's steps
// not settled and the unsettled steps they wait for, the crew as unit
// resources.
func (s *Status) remaining(now time.Time, paces map[string]*evidence) *leftover {
	settled := func(st *Step) bool {
		switch st.State() {
		case Done, Skipped, Cancelled:
			return true
		case Failed:
			return s.BackingOut // what failed is what the back-out undoes
		}
		return false
	}
	work := s.Work()
	in := map[string]bool{}
	var stack []*Step
	for _, st := range work {
		if inWindow(st) && !settled(st) {
			in[st.ID] = true
			stack = append(stack, st)
		}
	}
	for len(stack) > 0 { // what the window's steps still wait for
		st := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if st.Recorded() == Started {
			continue
		}
		for _, id := range st.After {
			if d := s.Find(id); d != nil && !in[id] && !settled(d) {
				in[id] = true
				stack = append(stack, d)
			}
		}
	}
	f := &leftover{}
	person := map[string]int{}
	byRole := map[string][]int{}
	onShift := map[int]bool{} // people available now
	for _, m := range s.Crew {
		if _, dup := person[m.Name]; dup {
			continue
		}
		person[m.Name] = len(f.problem.Resources)
		res := schedule.Resource{ID: m.Name, Capacity: 1}
		// The shifts left, in minutes from now; a member with shifts and
		// none left is not available (the forecast then keeps people
		// after their last shift, and says so).
		for _, sh := range m.Shifts {
			lo, hi := schedule.Minutes(max(sh.Start.Sub(now), 0)), schedule.Minutes(sh.End.Sub(now))
			if hi > lo {
				res.Available = append(res.Available, schedule.Interval{Start: lo, End: hi})
			}
		}
		if len(m.Shifts) > 0 && len(res.Available) == 0 {
			res.Available = []schedule.Interval{{Start: -1, End: -1}}
		}
		onShift[person[m.Name]] = len(m.Shifts) == 0 || (len(res.Available) > 0 && res.Available[0].Start == 0)
		f.problem.Resources = append(f.problem.Resources, res)
		for _, r := range m.Roles {
			byRole[r] = append(byRole[r], person[m.Name])
		}
	}
	capacity := map[string]int{}
	for _, c := range s.Capacities {
		capacity[c.ID] = len(f.problem.Resources)
		f.problem.Resources = append(f.problem.Resources, schedule.Resource{ID: c.ID, Capacity: max(c.Amount, 1)})
	}
	index := map[string]int{}
	for _, st := range work { // work is in dependency order
		if in[st.ID] {
			index[st.ID] = len(f.steps)
			f.steps = append(f.steps, st)
		}
	}
	release := 0
	if !s.Rehearsal && s.WindowStart.After(now) {
		release = schedule.Minutes(s.WindowStart.Sub(now))
	}
	holding := map[int]bool{} // people already on a started step
	for _, st := range f.steps {
		a := schedule.Activity{ID: st.ID}
		elapsed, fixed := -1.0, st.IsTimer()
		pace := 1.0
		if pc := paces[st.Phase]; pc != nil && !fixed && st.Recorded() != Started {
			pace = pc.Factor
			pc.Remaining++
		}
		var left time.Duration
		switch {
		case st.Recorded() == Started && st.Kind == events.KindCooldown:
			if until, ok := s.Cooling[st.Asset]; ok && until.After(now) {
				left = until.Sub(now)
			}
		case st.Recorded() == Started && fixed:
			left = max(st.Started.Add(st.Planned).Sub(now), 0)
		case st.Recorded() == Started:
			elapsed = now.Sub(st.Started).Minutes()
			left = max(st.Planned-now.Sub(st.Started), time.Duration(minLeft*float64(st.Planned)))
		default:
			left = time.Duration(pace * float64(st.Planned))
		}
		a.Duration = schedule.Minutes(left)
		switch {
		case st.Recorded() == Started:
			// It holds whoever started it (if they are on nothing else
			// the forecast knows of, and on shift: one who stays late to
			// finish it is not sent home by the forecast).
			if p, ok := person[st.StartedBy]; ok && st.Role != "" && !fixed && !holding[p] && onShift[p] {
				holding[p] = true
				a.OneOf = [][]int{{p}}
			}
		default:
			for _, id := range st.After {
				if k, ok := index[id]; ok {
					a.Preds = append(a.Preds, k)
				}
			}
			// The window's steps take a person of their role in their
			// shifts; the preparation they still wait for is placed
			// without the crew, as the plan places it (shifts are the
			// weekend's).
			if people := byRole[st.Role]; st.Role != "" && !fixed && len(people) > 0 && inWindow(st) {
				a.OneOf = [][]int{people}
			}
			if inWindow(st) {
				a.NotBefore = release
			}
			for _, n := range st.Needs {
				if r, ok := capacity[n.ID]; ok {
					a.Demand = append(a.Demand, schedule.Demand{Resource: r, Amount: min(n.Amount, f.problem.Resources[r].Capacity)})
				}
			}
		}
		f.problem.Activities = append(f.problem.Activities, a)
		f.likely = append(f.likely, a.Duration)
		f.elapsed = append(f.elapsed, elapsed)
		f.fixed = append(f.fixed, fixed)
		est := planner.Duration{Optimistic: st.Optimistic, Likely: st.Planned, Pessimistic: st.Pessimistic}
		norm := 1.0
		var ratios []float64
		if pc := paces[st.Phase]; pc != nil && pc.Finished > 0 && !fixed && st.Recorded() != Started {
			// The evidence replaces the plan's skew: the draws' median is
			// the pace, or the draws are the ratios measured.
			if m := triangularMedian(est); m > 0 {
				norm = pace * float64(st.Planned) / m
			}
			if len(pc.ratios) >= minEvidence {
				ratios = pc.ratios
			}
		}
		f.est = append(f.est, est)
		f.norm = append(f.norm, norm)
		f.ratios = append(f.ratios, ratios)
		f.planned = append(f.planned, st.Planned.Minutes())
	}
	return f
}

// sample draws the duration of activity k for one Monte Carlo sample.
func (f *leftover) sample(k int, rng *rand.Rand) int {
	if f.fixed[k] {
		return f.likely[k]
	}
	var d float64
	if rs := f.ratios[k]; rs != nil {
		d = f.planned[k] * rs[rng.IntN(len(rs))]
	} else {
		d = f.norm[k] * f.est[k].Sample(rng).Minutes()
	}
	if e := f.elapsed[k]; e >= 0 {
		d = max(d-e, minLeft*d)
	}
	return int(math.Ceil(d))
}
