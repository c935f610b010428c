package projections

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
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
		SamePlanFile: a.Hash != "" && a.Hash == b.Hash, Total: PhaseDelta{Phase: "total"}}
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

// signed formats a difference with its sign: +15m, -1h5m, 0m.
func signed(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return "+" + span(d)
	case d <= -time.Minute:
		return span(d)
	}
	return "0m"
}

func took(o Outcome) string {
	if !o.Timed() {
		return ""
	}
	return span(o.Took)
}

func phaseLabel(ph string) string {
	if ph == "" {
		return "(no phase)"
	}
	return ph
}

func ratio(f float64) string {
	if f == 0 {
		return ""
	}
	return fmt.Sprintf("x%.2f", f)
}

// WriteComparison prints a comparison for a terminal: the steps, the
// largest difference first, then the totals per phase.
func WriteComparison(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "plan %s: A is run %s, B is run %s\n", c.Plan, c.A, c.B)
	if !c.SamePlanFile {
		b.WriteString("the plan file changed between the runs (calibrated?): steps only in one run say \"not in run\"\n")
	}
	fmt.Fprintf(&b, "%d steps, %d done in both: B took %s in all against %s for A (%s, %s)\n",
		len(c.Steps), c.Total.Steps, span(c.Total.B), span(c.Total.A), signed(c.Total.Delta()), ratio(c.Total.Ratio()))
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tPHASE\tA\tA OUTCOME\tB\tB OUTCOME\tDELTA")
	for _, d := range c.Steps {
		delta := ""
		if d.Both {
			delta = signed(d.Delta)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, phaseLabel(d.Phase), took(d.A), d.A, took(d.B), d.B, delta)
	}
	fmt.Fprintln(tw, "\nPHASE\tSTEPS\tA\tB\tDELTA\tB/A")
	for _, p := range append(slices.Clone(c.Phases), c.Total) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", phaseLabel(p.Phase), p.Steps, span(p.A), span(p.B), signed(p.Delta()), ratio(p.Ratio()))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("(durations: start to end of each step; phase sums over the steps done in both runs)\n")
	return writeTrimmed(w, b.String())
}

// WriteComparisonCSV writes the steps of a comparison as CSV: step, phase,
// A's outcome and duration, B's, and the difference (durations as a plan
// file writes them: 1h30m, -15m).
func WriteComparisonCSV(w io.Writer, c *Comparison) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"step", "phase", "a_outcome", "a_duration", "b_outcome", "b_duration", "delta"})
	for _, d := range c.Steps {
		delta := ""
		if d.Both {
			delta = signed(d.Delta)
		}
		cw.Write([]string{d.ID, d.Phase, d.A.String(), took(d.A), d.B.String(), took(d.B), delta})
	}
	cw.Flush()
	return cw.Error()
}

// WriteComparisonJSON writes a comparison as one JSON document, with
// durations as a plan file writes them.
func WriteComparisonJSON(w io.Writer, c *Comparison) error {
	type outcome struct {
		Outcome  string `json:"outcome"`
		Duration string `json:"duration,omitempty"`
	}
	type step struct {
		Step  string  `json:"step"`
		Title string  `json:"title"`
		Phase string  `json:"phase,omitempty"`
		A     outcome `json:"a"`
		B     outcome `json:"b"`
		Delta string  `json:"delta,omitempty"`
	}
	type phase struct {
		Phase string  `json:"phase"`
		Steps int     `json:"steps"`
		A     string  `json:"a"`
		B     string  `json:"b"`
		Delta string  `json:"delta"`
		Ratio float64 `json:"ratio,omitempty"`
	}
	type run struct {
		Run       string `json:"run"`
		Rehearsal bool   `json:"rehearsal,omitempty"`
	}
	doc := struct {
		Plan         string  `json:"plan"`
		A            run     `json:"a"`
		B            run     `json:"b"`
		SamePlanFile bool    `json:"same_plan_file"`
		Steps        []step  `json:"steps"`
		Phases       []phase `json:"phases"`
		Total        phase   `json:"total"`
	}{Plan: c.Plan, A: run{c.A.Run, c.A.Rehearsal}, B: run{c.B.Run, c.B.Rehearsal}, SamePlanFile: c.SamePlanFile, Steps: []step{}}
	for _, d := range c.Steps {
		s := step{Step: d.ID, Title: d.Title, Phase: d.Phase, A: outcome{d.A.String(), took(d.A)}, B: outcome{d.B.String(), took(d.B)}}
		if d.Both {
			s.Delta = signed(d.Delta)
		}
		doc.Steps = append(doc.Steps, s)
	}
	conv := func(p PhaseDelta) phase {
		return phase{Phase: p.Phase, Steps: p.Steps, A: span(p.A), B: span(p.B), Delta: signed(p.Delta()), Ratio: float64(int(p.Ratio()*1000+0.5)) / 1000}
	}
	for _, p := range c.Phases {
		doc.Phases = append(doc.Phases, conv(p))
	}
	doc.Total = conv(c.Total)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
