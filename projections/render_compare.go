package projections

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

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
