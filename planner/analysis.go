package planner

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner/montecarlo"
	"github.com/dcmove/dcmove/planner/schedule"
)

// Analysis is what the planner says of a plan before the move: when each
// step happens, whether the move fits the window and how likely, where the
// point of no return falls, and the risks found.
type Analysis struct {
	Plan    *Plan
	Runbook *Runbook
	// Steps are the runbook's steps that happen (back-out steps excluded),
	// in runbook order, with their times.
	Steps []Scheduled
	// Makespan is the time from the window start to the end of the last
	// step in the window; LowerBound is a bound no schedule can beat, and
	// CriticalPath the longest chain of dependencies ignoring the crew.
	Makespan, LowerBound, CriticalPath time.Duration
	// End is when the window's work ends in this schedule.
	End time.Time
	// Fits reports whether End is inside the window and the work inside
	// the crew's shifts.
	Fits bool
	// Overtime is the work the schedule puts after each person's last
	// shift, when the window's work does not fit the shifts (a schedule
	// is then made with the crew staying late, to say how much later).
	Overtime []Overtime
	// Probability is the share of Monte Carlo samples of the durations
	// that end inside the window; P50 and P90 are makespan percentiles.
	Probability float64
	P50, P90    time.Duration
	Samples     int
	// PointOfNoReturn is the last moment a back-out can still end inside
	// the window; HasPointOfNoReturn is false when the runbook names no
	// back-out steps.
	PointOfNoReturn    time.Time
	HasPointOfNoReturn bool
	// Backout says, for moments steps start in the window, how long a
	// back-out decided then would take: the moments probed to find the
	// point of no return, and the last one.
	Backout []BackoutAt
	// Findings are the lints of the plan and of this schedule.
	Findings []Finding
}

// Scheduled is a step with its place in the schedule.
type Scheduled struct {
	*Step
	// Timing is the step's phase timing: before, window or after.
	Timing     string
	Start, End time.Time
	// Slack is how long the step can slip without moving the end of the
	// window's work; Critical is zero slack.
	Slack    time.Duration
	Critical bool
	// Who is the crew member and resources assigned.
	Who []string
}

// BackoutAt is how long a back-out decided at a moment would take.
type BackoutAt struct {
	At       time.Time
	Duration time.Duration
}

// Options tune the analysis. The zero value is a sensible default.
type Options struct {
	Seed    uint64
	Samples int // Monte Carlo samples; default 1000, negative: none
	// Passes is the scheduler's effort: how many activity lists it tries
	// (see schedule.Options); 0 is DefaultEffort's for the window's size.
	Passes int
}

// Analyze schedules the plan's runbook and lints the result. The window's
// steps are scheduled under the crew (their roles and shifts), vehicles and
// declared resources; steps before the window are placed as late as their
// successors allow (a notice goes out its notice period before the window)
// and steps after it as early as their predecessors allow.
func Analyze(p *Plan, rb *Runbook, o Options) (*Analysis, error) {
	if o.Samples == 0 {
		o.Samples = 1000
	}
	a := &Analysis{Plan: p, Runbook: rb}
	for i := range rb.Steps {
		s := &rb.Steps[i]
		if !s.BackoutOnly {
			a.Steps = append(a.Steps, Scheduled{Step: s, Timing: rb.Timing(s.Phase)})
		}
	}
	w, err := a.windowProblem(a.Steps)
	if err != nil {
		return nil, err
	}
	if o.Passes <= 0 {
		o.Passes = DefaultEffort(len(w.problem.Activities))
	}
	res, err := schedule.Solve(w.problem, schedule.Options{Seed: o.Seed, Passes: o.Passes})
	overtime := false
	if errors.Is(err, schedule.ErrNeverFits) {
		// The work does not fit in the crew's shifts: schedule it with the
		// crew staying late after their last shift, and say so.
		overtime = true
		res, err = schedule.Solve(softLastShift(w.problem), schedule.Options{Seed: o.Seed, Passes: o.Passes})
	}
	if err != nil {
		return nil, fmt.Errorf("schedule the window: %w", err)
	}
	start := p.Window.Start
	for k, i := range w.index {
		sc := &a.Steps[i]
		sc.Start = start.Add(schedule.Duration(res.Start[k]))
		sc.End = start.Add(schedule.Duration(res.Finish[k]))
		sc.Slack = schedule.Duration(res.Slack[k])
		sc.Critical = res.Slack[k] == 0
		for j, set := range w.problem.Activities[k].OneOf {
			_ = set
			sc.Who = append(sc.Who, w.problem.Resources[res.Assigned[k][j]].ID)
		}
		for _, d := range w.problem.Activities[k].Demand {
			sc.Who = append(sc.Who, w.problem.Resources[d.Resource].ID)
		}
	}
	a.Makespan = schedule.Duration(res.Makespan)
	a.LowerBound = schedule.Duration(res.LowerBound)
	a.CriticalPath = schedule.Duration(res.CriticalPath)
	a.End = start.Add(a.Makespan)
	a.Fits = !a.End.After(p.Window.End)
	if overtime {
		// Shifts are hard: work past someone's last shift does not fit,
		// however early the window's work ends. (The scheduler gives up
		// on shifts as soon as one order of work overruns them; with the
		// last shift open, another order may need no overtime at all.)
		a.Overtime = overtimeOf(w, &res, start)
		a.Fits = a.Fits && len(a.Overtime) == 0
	}
	a.placeOutside()
	if o.Samples > 0 && len(w.index) > 0 {
		deadline := int(p.Window.End.Sub(start) / time.Minute)
		// Each sample follows the schedule's order of work on each person
		// and resource; a sampled overrun keeps people past their last
		// shift rather than making the weekend impossible.
		seq, err := montecarlo.New(w.problem, res)
		if err != nil {
			return nil, fmt.Errorf("monte carlo: %w", err)
		}
		odds, err := seq.Sample(o.Samples, o.Seed, deadline, func(k int, rng *rand.Rand) int {
			return int(math.Round(a.Steps[w.index[k]].Duration.Sample(rng).Minutes()))
		})
		if err != nil {
			return nil, fmt.Errorf("monte carlo: %w", err)
		}
		a.Probability, a.P50, a.P90, a.Samples = odds.Probability, schedule.Duration(odds.P50), schedule.Duration(odds.P90), o.Samples
	}
	if err := a.pointOfNoReturn(o); err != nil {
		return nil, err
	}
	a.Findings = append(Lint(p), a.lint()...)
	sort.SliceStable(a.Findings, func(i, j int) bool {
		fi, fj := a.Findings[i], a.Findings[j]
		if fi.Severity != fj.Severity {
			return fi.Severity == SeverityError
		}
		return fi.ID < fj.ID
	})
	return a, nil
}

// DefaultEffort is the scheduler's effort for a window of n steps when
// none is given: about half a second of search, the time a person waits
// comfortably for plan check, and no less than the scheduler's own
// default. A pass costs about 5 µs per step (1.5 ms on 300 steps with a
// crew, BenchmarkGA), so 100,000 / n passes, between 8 and 1,000: 526 for
// the reference plan's 190 window steps, 8 from 12,500 steps on.
// It depends on the size alone, not on a clock, so a plan always gets the
// same schedule.
func DefaultEffort(n int) int {
	if n <= 0 {
		return schedule.DefaultPasses
	}
	return min(max(100_000/n, schedule.DefaultPasses), 1000)
}

// Overtime is the work a schedule puts after a person's last shift.
type Overtime struct {
	Person    string
	LastShift time.Time // the end of their last shift
	Work      time.Duration
}

// overtimeOf sums, per person, the work res puts after the end of their
// last shift in w (res solved with softLastShift).
func overtimeOf(w *windowProblem, res *schedule.Result, origin time.Time) []Overtime {
	var out []Overtime
	at := map[string]int{}
	for k, sets := range res.Assigned {
		for _, r := range sets {
			av := w.problem.Resources[r].Available
			if len(av) == 0 {
				continue // always available
			}
			// Someone whose shifts all end before the window works the
			// whole of it as overtime.
			last := max(av[len(av)-1].End, 0)
			from := max(res.Start[k], last)
			if res.Finish[k] <= from {
				continue
			}
			name := w.problem.Resources[r].ID
			i, ok := at[name]
			if !ok {
				i, at[name] = len(out), len(out)
				out = append(out, Overtime{Person: name, LastShift: origin.Add(schedule.Duration(last))})
			}
			out[i].Work += schedule.Duration(res.Finish[k] - from)
		}
	}
	slices.SortFunc(out, func(a, b Overtime) int { return cmp.Compare(b.Work, a.Work) })
	return out
}

// SoftLastShift returns a copy of the problem in which every resource's
// last availability interval never ends: the crew stays late rather than
// leaving work undone.
func SoftLastShift(p schedule.Problem) schedule.Problem { return softLastShift(p) }

func softLastShift(p schedule.Problem) schedule.Problem {
	q := p
	q.Resources = slices.Clone(p.Resources)
	for i, r := range q.Resources {
		if n := len(r.Available); n > 0 {
			av := slices.Clone(r.Available)
			av[n-1].End = math.MaxInt32
			q.Resources[i].Available = av
		}
	}
	return q
}

// windowProblem is the scheduling problem of some steps: index[k] is the
// position in steps of activity k.
type windowProblem struct {
	problem schedule.Problem
	index   []int
}

// windowProblem builds the scheduling problem of the window's steps among
// steps: the crew as unit resources available during their shifts, the
// vehicles and declared resources with their capacities.
func (a *Analysis) windowProblem(steps []Scheduled) (*windowProblem, error) {
	return buildProblem(a.Plan, steps, func(s Scheduled) bool { return s.Timing == "window" }, a.Plan.Window.Start)
}

func buildProblem(p *Plan, steps []Scheduled, in func(Scheduled) bool, origin time.Time) (*windowProblem, error) {
	w := &windowProblem{}
	resIndex := map[string]int{}
	for _, m := range p.Crew {
		r := schedule.Resource{ID: m.Name, Capacity: 1}
		for _, sh := range m.Shifts {
			lo, hi := schedule.Minutes(sh.Start.Sub(origin)), int(sh.End.Sub(origin)/time.Minute)
			if hi > lo {
				r.Available = append(r.Available, schedule.Interval{Start: lo, End: hi})
			}
		}
		if len(m.Shifts) > 0 && len(r.Available) == 0 {
			r.Available = []schedule.Interval{{Start: -1, End: -1}}
		}
		resIndex["person:"+m.Name] = len(w.problem.Resources)
		w.problem.Resources = append(w.problem.Resources, r)
	}
	for _, v := range p.Transport {
		resIndex[v.ID] = len(w.problem.Resources)
		w.problem.Resources = append(w.problem.Resources, schedule.Resource{ID: v.ID, Capacity: max(v.Count, 1)})
	}
	for _, r := range p.Resources {
		resIndex[r.ID] = len(w.problem.Resources)
		w.problem.Resources = append(w.problem.Resources, schedule.Resource{ID: r.ID, Capacity: r.Capacity})
	}
	byRole := map[string][]int{}
	for _, m := range p.Crew {
		for _, role := range m.Roles {
			byRole[role] = append(byRole[role], resIndex["person:"+m.Name])
		}
	}
	act := map[string]int{}
	for i, s := range steps {
		if in(s) {
			act[s.ID] = len(w.index)
			w.index = append(w.index, i)
		}
	}
	for _, i := range w.index {
		s := steps[i]
		ac := schedule.Activity{ID: s.ID, Duration: schedule.Minutes(s.Duration.Likely)}
		for _, dep := range s.After {
			if k, ok := act[dep]; ok {
				ac.Preds = append(ac.Preds, k)
			}
		}
		if s.Role != "" {
			people := byRole[s.Role]
			if len(people) == 0 {
				return nil, &Error{Pos: s.Pos, Msg: fmt.Sprintf("step %s needs the %s role and nobody in the crew has it; add it to someone's roles", s.ID, s.Role)}
			}
			ac.OneOf = [][]int{people}
		}
		for _, n := range s.Needs {
			r, ok := resIndex[n.Resource]
			if !ok {
				return nil, &Error{Pos: s.Pos, Msg: fmt.Sprintf("step %s needs %q, which is neither a vehicle in transport nor a resource; declare it", s.ID, n.Resource)}
			}
			ac.Demand = append(ac.Demand, schedule.Demand{Resource: r, Amount: n.Amount})
		}
		w.problem.Activities = append(w.problem.Activities, ac)
	}
	return w, nil
}

// placeOutside places the steps before the window as late as their
// successors allow, and those after it as early as their predecessors
// allow, ignoring the crew: they span days, not hours.
func (a *Analysis) placeOutside() {
	idx := map[string]int{}
	for i, s := range a.Steps {
		idx[s.ID] = i
	}
	order := topoOrder(a.Steps)
	stakeholders := map[string]Stakeholder{}
	for _, s := range a.Plan.Stakeholders {
		stakeholders[s.ID] = s
	}
	domainTTL := map[string]time.Duration{}
	for _, d := range a.Plan.Domains {
		domainTTL[d.Name] = d.TTL
	}
	// Before: latest finish, walking successors first.
	successors := map[int][]int{}
	for i, s := range a.Steps {
		for _, d := range s.After {
			if j, ok := idx[d]; ok {
				successors[j] = append(successors[j], i)
			}
		}
	}
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		s := &a.Steps[i]
		if s.Timing != "before" {
			continue
		}
		end := a.Plan.Window.Start
		for _, j := range successors[i] {
			if t := a.Steps[j]; t.Timing == "before" && t.Start.Before(end) {
				end = t.Start
			}
		}
		if st, ok := stakeholders[s.Stakeholder]; ok && len(s.After) == 0 && st.Notice > 0 {
			if due := a.Plan.Window.Start.Add(-st.Notice); due.Before(end) {
				end = due
			}
		}
		// A TTL is lowered at least the old TTL before anything moves:
		// resolvers keep the old answer that long.
		if ttl := domainTTL[s.Domain]; s.Kind == events.KindLowerTTL && ttl > 0 {
			if due := a.Plan.Window.Start.Add(-ttl); due.Before(end) {
				end = due
			}
		}
		s.End, s.Start = end, end.Add(-s.Duration.Likely)
	}
	// After: earliest start.
	for _, i := range order {
		s := &a.Steps[i]
		if s.Timing != "after" {
			continue
		}
		begin := a.End
		for _, d := range s.After {
			if j, ok := idx[d]; ok && a.Steps[j].End.After(begin) {
				begin = a.Steps[j].End
			}
		}
		s.Start, s.End = begin, begin.Add(s.Duration.Likely)
	}
}

// topoOrder returns indices of steps with every step after its
// dependencies (steps are acyclic: Expand checked).
func topoOrder(steps []Scheduled) []int {
	idx := map[string]int{}
	for i, s := range steps {
		idx[s.ID] = i
	}
	indeg := make([]int, len(steps))
	next := make([][]int, len(steps))
	for i, s := range steps {
		for _, d := range s.After {
			if j, ok := idx[d]; ok {
				indeg[i]++
				next[j] = append(next[j], i)
			}
		}
	}
	var queue, out []int
	for i := range steps {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		out = append(out, i)
		for _, j := range next[i] {
			if indeg[j]--; indeg[j] == 0 {
				queue = append(queue, j)
			}
		}
	}
	return out
}

// pointOfNoReturn computes, at each moment a window step starts, how long
// backing out would take: the back-out steps of every step started by then,
// scheduled with the same crew. The point of no return is the last moment
// at which the back-out still ends by the window's end.
func (a *Analysis) pointOfNoReturn(o Options) error {
	backout := map[string]bool{}
	for _, s := range a.Runbook.Steps {
		for _, b := range s.Backout {
			backout[b] = true
		}
	}
	if len(backout) == 0 {
		return nil
	}
	a.HasPointOfNoReturn = true
	var window []Scheduled
	for _, s := range a.Steps {
		if s.Timing == "window" {
			window = append(window, s)
		}
	}
	sort.SliceStable(window, func(i, j int) bool { return window[i].Start.Before(window[j].Start) })
	all := map[string]Scheduled{}
	for i := range a.Runbook.Steps {
		s := &a.Runbook.Steps[i]
		all[s.ID] = Scheduled{Step: s, Timing: "window"}
	}
	end := a.Plan.Window.End
	// The moments steps start, each with the back-out steps needed from
	// then on: those of every step started so far, so the set only grows
	// (the first needs[k] of added).
	var at []time.Time
	var needs []int
	var added []string
	needed := map[string]bool{}
	for k := 0; k < len(window); {
		t := window[k].Start
		for ; k < len(window) && !window[k].Start.After(t); k++ {
			for _, b := range window[k].Backout {
				if !needed[b] {
					needed[b] = true
					added = append(added, b)
				}
			}
		}
		at, needs = append(at, t), append(needs, len(added))
	}
	took := map[int]time.Duration{} // by moment
	backoutAt := func(k int) (time.Duration, error) {
		n := needs[k]
		if d, ok := took[k]; ok || n == 0 {
			return d, nil
		}
		steps := make([]Scheduled, n)
		for j, id := range added[:n] {
			steps[j] = all[id]
		}
		sort.Slice(steps, func(i, j int) bool { return steps[i].ID < steps[j].ID })
		bp, err := buildProblem(a.Plan, steps, func(Scheduled) bool { return true }, at[k])
		if err != nil {
			return 0, err
		}
		res, err := schedule.Solve(softLastShift(bp.problem), schedule.Options{Seed: o.Seed, Passes: 1})
		if err != nil {
			return 0, fmt.Errorf("schedule the back-out from %s: %w", at[k].Format(time.RFC3339), err)
		}
		took[k] = schedule.Duration(res.Makespan)
		a.Backout = append(a.Backout, BackoutAt{At: at[k], Duration: took[k]})
		return took[k], nil
	}
	// A back-out decided later undoes as much or more from a later start,
	// so it ends later: whether it still ends inside the window changes
	// once, from yes to no. The last moment it does is found by bisection,
	// scheduling a dozen back-outs instead of one per moment (quadratic on
	// a move of thousands of steps).
	fits := func(k int) (bool, error) {
		d, err := backoutAt(k)
		return !at[k].Add(d).After(end), err
	}
	last, hi := -1, len(at)-1
	if len(at) > 0 {
		if _, err := backoutAt(hi); err != nil { // the whole back-out, always known
			return err
		}
	}
	for lo := 0; lo <= hi; {
		mid := (lo + hi) / 2
		ok, err := fits(mid)
		if err != nil {
			return err
		}
		if ok {
			last, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	sort.Slice(a.Backout, func(i, j int) bool { return a.Backout[i].At.Before(a.Backout[j].At) })
	// On [at[last], at[last+1]) the back-out takes what it takes at
	// at[last]: the latest moment in it from which it still ends by the
	// window's end.
	pnr := time.Time{}
	if last >= 0 {
		d, _ := backoutAt(last)
		pnr = end.Add(-d)
		if last+1 < len(at) && pnr.After(at[last+1]) {
			pnr = at[last+1]
		}
	}
	if len(a.Backout) > 0 && pnr.IsZero() && a.Plan.Window.Start.Before(a.Backout[0].At) {
		pnr = a.Backout[0].At
	}
	a.PointOfNoReturn = pnr
	return nil
}

// lint finds the risks that need the runbook and the schedule.
func (a *Analysis) lint() []Finding {
	p := a.Plan
	var out []Finding
	loc := p.Window.Location
	switch {
	case len(a.Overtime) > 0:
		var total time.Duration
		var who []string
		for _, o := range a.Overtime {
			total += o.Work
			who = append(who, fmt.Sprintf("%s %s after %s", o.Person, Span(o.Work), o.LastShift.In(loc).Format("Mon 15:04")))
		}
		ends := ""
		if a.End.After(p.Window.End) {
			ends = fmt.Sprintf("; even so the move ends %s, %s after the window closes", a.End.In(loc).Format("Mon 2 Jan 15:04"), Span(a.End.Sub(p.Window.End)))
		}
		out = append(out, finding("L014", SeverityError, Pos{},
			fmt.Sprintf("the window's work does not fit in the crew's shifts: it needs %s of overtime after the last shifts (%s)%s", Span(total), strings.Join(who, ", "), ends),
			"add people with the busiest roles, lengthen their shifts (or write the overtime as shifts, if they agree to it), or split the move over two windows"))
	case !a.Fits:
		out = append(out, finding("L014", SeverityError, Pos{},
			fmt.Sprintf("the move ends %s, %s after the window closes (%s)", a.End.In(loc).Format("Mon 2 Jan 15:04"), Span(a.End.Sub(p.Window.End)), p.Window.End.In(loc).Format("Mon 2 Jan 15:04")),
			"add crew, split the move over two windows, or lengthen the window"))
	}
	out = append(out, a.lintLongSteps()...)
	out = append(out, a.lintDowntime()...)
	out = append(out, a.lintTTL()...)
	if a.Samples > 0 && a.Probability < 0.8 {
		out = append(out, finding("L015", SeverityWarning, Pos{},
			fmt.Sprintf("only %.0f%% of %d simulated weekends end inside the window (P90 makespan %s for a %s window)", a.Probability*100, a.Samples, Span(a.P90), Span(p.Window.End.Sub(p.Window.Start))),
			"shorten the critical path, add crew to the busiest role, or widen the window"))
	}
	if a.HasPointOfNoReturn {
		for _, s := range a.Steps {
			if s.Gate && s.Timing == "window" && s.End.After(a.PointOfNoReturn) {
				out = append(out, finding("L016", SeverityError, s.Pos,
					fmt.Sprintf("go/no-go %s is decided at %s, after the point of no return (%s): a no-go could not be backed out inside the window", s.ID, s.End.In(loc).Format("Mon 15:04"), a.PointOfNoReturn.In(loc).Format("Mon 15:04")),
					"move the gate earlier (fewer dependencies), or shorten the back-out steps of what comes before it"))
			}
		}
	}
	out = append(out, a.lintCrewLoad()...)
	out = append(out, a.lintRules()...)
	out = append(out, a.lintDecommission()...)
	return out
}

// rtoErrorFactor is how many times its restoration objective a service
// may be planned down before L020 is an error rather than a warning.
const rtoErrorFactor = 4

// lintDowntime (L020) compares each service's planned downtime, from the
// first of its stop steps to the last of its start steps in the schedule,
// with its restoration objective: over it is a warning (the notice will
// say so), over rtoErrorFactor times it an error.
func (a *Analysis) lintDowntime() []Finding {
	var out []Finding
	loc := a.Plan.Window.Location
	for _, sv := range a.Plan.Services {
		if sv.RTO <= 0 {
			continue
		}
		var stop, start time.Time
		for _, s := range a.Steps {
			if s.Service != sv.ID || s.Start.IsZero() {
				continue
			}
			if s.Kind == events.KindStopService && (stop.IsZero() || s.Start.Before(stop)) {
				stop = s.Start
			}
			if s.Kind == events.KindStartService && s.End.After(start) {
				start = s.End
			}
		}
		down := start.Sub(stop)
		if stop.IsZero() || start.IsZero() || down <= sv.RTO {
			continue
		}
		sev := SeverityWarning
		if down > rtoErrorFactor*sv.RTO {
			sev = SeverityError
		}
		out = append(out, finding("L020", sev, sv.Pos,
			fmt.Sprintf("service %s is planned down %s (stopped %s, back %s), %s beyond its restoration objective of %s", sv.ID, Span(down), stop.In(loc).Format("Mon 15:04"), start.In(loc).Format("Mon 15:04"), Span(down-sv.RTO), Span(sv.RTO)),
			"keep it up during the move (stop it later and start it sooner: fewer steps between), or promise the downtime the plan needs: rto is what customers are told"))
	}
	return out
}

// lintTTL (L021) finds domains whose TTL is not lowered in time: with no
// lower-ttl step (a warning: resolvers keep the old address up to the TTL
// after the move), or with one that ends later than the old TTL before the
// window (an error: the lowering itself is still cached when things move).
func (a *Analysis) lintTTL() []Finding {
	var out []Finding
	loc := a.Plan.Window.Location
	for _, d := range a.Plan.Domains {
		if d.TTL <= 5*time.Minute {
			continue
		}
		var lower *Scheduled
		for i := range a.Steps {
			if s := &a.Steps[i]; s.Kind == events.KindLowerTTL && s.Domain == d.Name {
				lower = s
			}
		}
		due := a.Plan.Window.Start.Add(-d.TTL)
		switch {
		case lower == nil:
			out = append(out, finding("L021", SeverityWarning, d.Pos,
				fmt.Sprintf("domain %s has a TTL of %s and no step lowers it: resolvers keep its old address up to %s after it changes", d.Name, Span(d.TTL), Span(d.TTL)),
				fmt.Sprintf("add a step of kind lower-ttl with domain: %s, done by %s (the TTL before the window)", d.Name, due.In(loc).Format("Mon 2 Jan 15:04"))))
		case lower.End.After(due):
			out = append(out, finding("L021", SeverityError, lower.Pos,
				fmt.Sprintf("the TTL of %s (%s) is lowered by %s, later than %s: resolvers still hold the old TTL when the window opens", d.Name, Span(d.TTL), lower.End.In(loc).Format("Mon 2 Jan 15:04"), due.In(loc).Format("Mon 2 Jan 15:04")),
				"lower it earlier: remove what the step waits for, or start the preparation sooner"))
		}
	}
	return out
}

// lintLongSteps (L019) finds a step of the window longer than every shift
// of everyone with its role: nobody can do it inside a shift.
func (a *Analysis) lintLongSteps() []Finding {
	var out []Finding
	for _, s := range a.Steps {
		if s.Timing != "window" || s.Role == "" {
			continue
		}
		longest, withShifts := time.Duration(0), false
		for _, m := range a.Plan.Crew {
			if !slices.Contains(m.Roles, s.Role) {
				continue
			}
			if len(m.Shifts) == 0 {
				withShifts = false
				longest = 0
				break
			}
			withShifts = true
			for _, sh := range m.Shifts {
				longest = max(longest, sh.End.Sub(sh.Start))
			}
		}
		if withShifts && s.Duration.Likely > longest {
			out = append(out, finding("L019", SeverityError, s.Pos,
				fmt.Sprintf("step %s takes %s, longer than any shift of the people with the %s role (the longest is %s): nobody can do it inside a shift", s.ID, Span(s.Duration.Likely), s.Role, Span(longest)),
				"split the step into parts that fit a shift, or give someone with the role a longer shift"))
		}
	}
	return out
}

// lintCrewLoad compares, per role, the work the window's steps ask of the
// role with the time its people are available in the window.
func (a *Analysis) lintCrewLoad() []Finding {
	p := a.Plan
	work := map[string]time.Duration{}
	for _, s := range a.Steps {
		if s.Timing == "window" && s.Role != "" {
			work[s.Role] += s.Duration.Likely
		}
	}
	var out []Finding
	for _, role := range slices.Sorted(maps.Keys(work)) {
		var avail time.Duration
		var people []string
		for _, m := range p.Crew {
			if !slices.Contains(m.Roles, role) {
				continue
			}
			people = append(people, m.Name)
			if len(m.Shifts) == 0 {
				avail += p.Window.End.Sub(p.Window.Start)
				continue
			}
			for _, sh := range m.Shifts {
				lo, hi := maxTime(sh.Start, p.Window.Start), minTime(sh.End, p.Window.End)
				if hi.After(lo) {
					avail += hi.Sub(lo)
				}
			}
		}
		if avail == 0 || float64(work[role]) > 0.85*float64(avail) {
			load := math.Inf(1)
			if avail > 0 {
				load = float64(work[role]) / float64(avail)
			}
			out = append(out, finding("L012", SeverityWarning, Pos{},
				fmt.Sprintf("role %s has %s of work in the window for %s of shifts (%s): %.0f%% loaded", role, Span(work[role]), Span(avail), strings.Join(people, ", "), load*100),
				"add people with the "+role+" role or lengthen their shifts"))
		}
	}
	return out
}

// lintRules checks that every firewall rule is reviewed and, unless
// obsolete, verified at the destination.
func (a *Analysis) lintRules() []Finding {
	reviewed, verified := map[string]bool{}, map[string]bool{}
	for _, s := range a.Runbook.Steps {
		if s.Rule == "" {
			continue
		}
		switch s.Kind {
		case events.KindReviewRule:
			reviewed[s.Rule] = true
		case events.KindVerifyRule:
			verified[s.Rule] = true
		}
	}
	var out []Finding
	for _, r := range a.Plan.FirewallRules {
		var missing []string
		if !reviewed[r.ID] {
			missing = append(missing, "a review")
		}
		if !r.Obsolete && !verified[r.ID] {
			missing = append(missing, "a verification at the destination")
		}
		if len(missing) > 0 {
			out = append(out, finding("L010", SeverityError, r.Pos,
				fmt.Sprintf("firewall rule %s has no step for %s", r.ID, strings.Join(missing, " and ")),
				"use runbook: weekend-cutover, or add steps with kind: review-rule and kind: verify-rule and rule: "+r.ID))
		}
	}
	return out
}

// lintDecommission checks that every step of kind decommission comes after
// a step of kind validate and a grace period (kind grace) at least as long
// as the plan's.
func (a *Analysis) lintDecommission() []Finding {
	idx := map[string]*Step{}
	for i := range a.Runbook.Steps {
		idx[a.Runbook.Steps[i].ID] = &a.Runbook.Steps[i]
	}
	before := func(s *Step) map[string]bool {
		seen := map[string]bool{}
		stack := slices.Clone(s.After)
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[id] {
				continue
			}
			seen[id] = true
			if d := idx[id]; d != nil {
				stack = append(stack, d.After...)
			}
		}
		return seen
	}
	var out []Finding
	for i := range a.Runbook.Steps {
		s := &a.Runbook.Steps[i]
		if s.Kind != events.KindDecommission {
			continue
		}
		var validated, graced bool
		for id := range before(s) {
			d := idx[id]
			if d == nil {
				continue
			}
			validated = validated || d.Kind == events.KindValidate
			graced = graced || (d.Kind == events.KindGrace && d.Duration.Likely >= a.Plan.GraceDuration().Likely)
		}
		if !validated || !graced {
			var missing []string
			if !validated {
				missing = append(missing, "a validation")
			}
			if !graced {
				missing = append(missing, fmt.Sprintf("a grace period of %s", Span(a.Plan.GraceDuration().Likely)))
			}
			out = append(out, finding("L005", SeverityError, s.Pos,
				fmt.Sprintf("step %s decommissions equipment without %s before it", s.ID, strings.Join(missing, " and ")),
				"make it come after a validation step (kind: validate) and a grace period (kind: grace): after: [...]"))
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
