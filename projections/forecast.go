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
	// phase's finished steps, held within [0.5, 3]; 1 when none has
	// finished. The forecast scales the phase's steps not started by it.
	Factor float64 `json:"factor"`
	// Finished counts the steps it was measured on, Remaining the phase's
	// steps the forecast scales.
	Finished  int `json:"finished"`
	Remaining int `json:"remaining"`
}

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
// resources, and draws samples of it from the steps' ranges to
// estimate the odds of ending inside the window. The same status, now,
// samples and seed give the same forecast.
//
// Steps done, skipped or cancelled are fixed. A started step has
// max(likely − elapsed, 5% of likely) left, so one running over its plan
// pushes its successors; a cool-down ends at its timer. A step not started
// takes its likely duration times its phase's pace ([PhasePace]), and the
// Monte Carlo samples draw it from its optimistic/likely/pessimistic range
// (triangular) times the same pace. Steps of the window do not start
// before the window opens (except in a rehearsal); a failed step is done
// again (unless the move backs out), and a blocked one is taken as
// unblocked now.
func Forecast(s *Status, now time.Time, samples int, seed uint64) (*ETA, error) {
	eta := &ETA{At: now, Seq: s.LastSeq, WindowEnd: s.WindowEnd, Samples: max(samples, 0)}
	paces := s.paces()
	f := s.remaining(now, paces)
	for _, p := range s.Phases {
		if pc := paces[p]; pc.Finished > 0 || pc.Remaining > 0 {
			eta.Paces = append(eta.Paces, *pc)
		}
	}
	eta.Remaining = len(f.steps)
	if len(f.steps) == 0 {
		end, _ := s.moveEnd()
		eta.Ended, eta.End, eta.P50, eta.P90 = true, end, end, end
		eta.Probability = odds(end, s.WindowEnd)
		return eta, nil
	}
	r, err := schedule.Solve(f.problem, schedule.Options{Seed: seed})
	if errors.Is(err, schedule.ErrNeverFits) {
		// What is left does not fit the shifts left: forecast it with
		// people staying after their last shift, and say so.
		eta.Overtime = true
		f.problem = planner.SoftLastShift(f.problem)
		r, err = schedule.Solve(f.problem, schedule.Options{Seed: seed})
	}
	if err != nil {
		return nil, fmt.Errorf("forecast: schedule what is left: %w", err)
	}
	// Started steps are under way: they take their people from now on,
	// whatever order the scheduler preferred.
	order := make([]int, 0, len(r.Order))
	for k, st := range f.steps {
		if st.Recorded() == Started {
			order = append(order, k)
		}
	}
	for _, k := range r.Order {
		if f.steps[k].Recorded() != Started {
			order = append(order, k)
		}
	}
	likely, err := schedule.Evaluate(f.problem, order, f.likely)
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
	prob, p50, p90, err := schedule.MonteCarlo(planner.SoftLastShift(f.problem), order, samples, seed, deadline, f.sample)
	if err != nil {
		return nil, fmt.Errorf("forecast: %w", err)
	}
	eta.Probability, eta.P50, eta.P90 = prob, now.Add(schedule.Duration(p50)), now.Add(schedule.Duration(p90))
	return eta, nil
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
func (s *Status) paces() map[string]*PhasePace {
	ratios := map[string][]float64{}
	for _, st := range s.Work() {
		if st.Recorded() == Done && !st.Started.IsZero() && st.Planned > 0 && !st.IsTimer() {
			ratios[st.Phase] = append(ratios[st.Phase], float64(st.Done.Sub(st.Started))/float64(st.Planned))
		}
	}
	out := map[string]*PhasePace{}
	for _, st := range s.Steps {
		if out[st.Phase] != nil {
			continue
		}
		rs := ratios[st.Phase]
		out[st.Phase] = &PhasePace{Phase: st.Phase, Factor: 1, Finished: len(rs)}
		if len(rs) > 0 {
			// The evidence, unclamped: a phase measured at 5x is
			// forecast at 5x (Finished says on how many steps).
			out[st.Phase].Factor = max(median(rs), minPace)
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
	// Ranges to sample from, in minutes, already scaled; elapsed[k] >= 0
	// marks a started step, for which the sample is what is left of a
	// draw; fixed marks a timer, which takes likely[k] in every sample.
	est     []planner.Duration // remaining estimate, scaled by the phase pace
	elapsed []float64
	fixed   []bool
}

// remaining builds the problem of the work left at now: the window's steps
// not settled and the unsettled steps they wait for, the crew as unit
// resources.
func (s *Status) remaining(now time.Time, paces map[string]*PhasePace) *leftover {
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
		f.est = append(f.est, planner.Duration{
			Optimistic:  time.Duration(pace * float64(st.Optimistic)),
			Likely:      time.Duration(pace * float64(st.Planned)),
			Pessimistic: time.Duration(pace * float64(st.Pessimistic)),
		})
	}
	return f
}

// sample draws the duration of activity k for one Monte Carlo sample.
func (f *leftover) sample(k int, rng *rand.Rand) int {
	if f.fixed[k] {
		return f.likely[k]
	}
	d := f.est[k].Sample(rng).Minutes()
	if e := f.elapsed[k]; e >= 0 {
		d = max(d-e, minLeft*d)
	}
	return int(math.Ceil(d))
}
