package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/projections"
	"github.com/urfave/cli/v2"
)

// calibrateCommand is "plan calibrate FILE --from RUN".
func (m *Main) calibrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "calibrate",
		Usage:     "propose new duration estimates from what a run (a dress rehearsal) measured, as a diff of the plan file",
		ArgsUsage: "FILE",
		Flags: append(logFlags(),
			&cli.StringFlag{Name: "from", Usage: "the run whose measured durations calibrate the plan (required)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text",
				Usage: "output format: text, json, or diff (the diff alone, for patch -p0 -d PLAN-DIR)"}),
		Action: m.planCalibrate,
	}
}

func (m *Main) planCalibrate(c *cli.Context) error {
	if err := checkOutput(c, "text", "json", "diff"); err != nil {
		return err
	}
	run := c.String("from")
	if run == "" {
		return usagef("give the run to calibrate from: --from RUN (the run's name, as given to dcmove cutover start --run)")
	}
	if err := checkRunName("--from", run); err != nil {
		return err
	}
	p, err := loadPlan(c)
	if err != nil {
		return err
	}
	l, err := openReadLog(c)
	if err != nil {
		return err
	}
	defer l.Close()
	cal, err := projections.Calibrate(c.Context, l, run, p)
	if err != nil {
		return fmt.Errorf("calibrate %s from run %s: %w", p.File, run, err)
	}
	switch c.String("output") {
	case "json":
		return writeDoc(m.Stdout, "plan-calibration", calibrationJSON(cal))
	case "diff":
		_, err := io.WriteString(m.Stdout, cal.Diff)
		return err
	}
	return writeCalibration(m.Stdout, cal, p)
}

// writeCalibration prints the calibration for the lead: the measured
// groups, the phase factors and suggestions, then what to change.
func writeCalibration(w io.Writer, cal *planner.Calibration, p *planner.Plan) error {
	var b strings.Builder
	measured := 0
	for _, g := range cal.Measured {
		measured += len(g.Measured)
	}
	kind := ""
	if cal.Rehearsal {
		kind = " (a dress rehearsal)"
	}
	fmt.Fprintf(&b, "calibration of plan %s from run %s%s: %s measured\n", cal.Plan, cal.Run, kind, countOf(measured, "step"))
	for _, s := range cal.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", s)
	}
	if len(cal.NotInPlan) > 0 {
		fmt.Fprintf(&b, "warning: completed in the run but no longer in the plan, not used: %s\n", strings.Join(cal.NotInPlan, ", "))
	}

	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tN\tPLANNED\tMEDIAN\tMIN\tMAX\tPROPOSED\tCHANGE")
	for _, g := range cal.Measured {
		n := fmt.Sprint(len(g.Measured))
		if len(g.Steps) > len(g.Measured) {
			n += fmt.Sprintf("/%d", len(g.Steps))
		}
		proposed := g.Proposed.String()
		if g.Unchanged {
			proposed = "unchanged"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", groupLabel(g), n, g.Planned,
			planner.Span(g.Median), planner.Span(g.Min), planner.Span(g.Max), proposed, changePercent(g.Change))
	}
	tw.Flush()
	if slices.ContainsFunc(cal.Measured, func(g planner.Group) bool { return g.Source != planner.InPlan }) {
		b.WriteString("(runbook): one estimate of the runbook template, shared by the steps expanded from it; (item): the duration of a plan item\n")
	}

	if len(cal.Phases) > 0 {
		b.WriteString("\nphase factors (median of actual/likely over the phase's measured steps):\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, f := range cal.Phases {
			fmt.Fprintf(tw, "  %s\tx%.2f\t%s\n", phaseName(f.Phase), f.Factor, countOf(f.Steps, "step"))
		}
		tw.Flush()
	}
	var suggested []planner.Group
	var kept []string
	for _, g := range cal.Unmeasured {
		switch {
		case !g.Unchanged:
			suggested = append(suggested, g)
		case g.Ratio == 0 && !slices.Contains(kept, phaseName(g.Phase)):
			kept = append(kept, phaseName(g.Phase))
		}
	}
	if len(suggested) > 0 {
		b.WriteString("\nnot measured: their phase's factor suggests (not in the diff):\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP\tPHASE\tPLANNED\tSUGGESTED\tCHANGE")
		for _, g := range suggested {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", groupLabel(g), phaseName(g.Phase), g.Planned, g.Proposed, changePercent(g.Change))
		}
		tw.Flush()
	}
	if n := len(cal.Unmeasured) - len(suggested); n > 0 {
		fmt.Fprintf(&b, "%d more not measured, kept as planned", n)
		if len(kept) > 0 {
			fmt.Fprintf(&b, " (no step measured in phase %s)", strings.Join(kept, ", "))
		}
		b.WriteString("\n")
	}

	var builtIn []planner.Edit
	for _, e := range cal.Edits {
		if e.BuiltIn {
			builtIn = append(builtIn, e)
		}
	}
	if len(builtIn) > 0 {
		fmt.Fprintf(&b, "\nrunbook %s is built into dcmove, so no diff can change it. To plan with these estimates, copy its file\n", p.Runbook)
		fmt.Fprintf(&b, "(runbooks/templates/%s.yaml in dcmove's source) next to the plan, write runbook: ./%s.yaml in the plan,\n", p.Runbook, p.Runbook)
		b.WriteString("and change these lines of the copy:\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, e := range builtIn {
			fmt.Fprintf(tw, "  line %d\t%s\t%s\t-> %s\n", e.Line, e.Group, strings.TrimSpace(e.Old), strings.TrimSpace(e.New))
		}
		tw.Flush()
	}
	for _, n := range cal.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if cal.Diff == "" {
		fmt.Fprintf(&b, "\nno duration line of %s changes\n", p.File)
	} else {
		patch := "patch -p0"
		if dir := filepath.Dir(p.File); dir != "." {
			patch += " -d " + dir
		}
		fmt.Fprintf(&b, "\nthe diff (apply it with: dcmove plan calibrate %s --from %s --output diff | %s):\n", p.File, cal.Run, patch)
		b.WriteString(cal.Diff)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// groupLabel names a group in the tables, with where its estimate lives.
func groupLabel(g planner.Group) string {
	switch g.Source {
	case planner.InRunbook:
		return g.ID + " (runbook)"
	case planner.InItem:
		return g.ID + " (item)"
	}
	return g.ID
}

func phaseName(ph string) string {
	if ph == "" {
		return "(no phase)"
	}
	return ph
}

func changePercent(f float64) string {
	p := math.Round(100 * f)
	if p == 0 {
		return "0%"
	}
	return fmt.Sprintf("%+.0f%%", p)
}

func countOf(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// calibrationJSON is the JSON form of plan calibrate: durations as the plan
// file writes them.
func calibrationJSON(cal *planner.Calibration) any {
	type measurement struct {
		Step      string    `json:"step"`
		Actual    string    `json:"actual"`
		Started   time.Time `json:"started"`
		Completed time.Time `json:"completed"`
		Ratio     float64   `json:"ratio"`
	}
	type group struct {
		ID            string        `json:"id"`
		Source        string        `json:"source"`
		Phase         string        `json:"phase"`
		Steps         []string      `json:"steps"`
		Measured      []measurement `json:"measured,omitempty"`
		Planned       string        `json:"planned"`
		Median        string        `json:"median,omitempty"`
		Min           string        `json:"min,omitempty"`
		Max           string        `json:"max,omitempty"`
		Ratio         float64       `json:"ratio"`
		Proposed      string        `json:"proposed"`
		ChangePercent float64       `json:"change_percent"`
		Unchanged     bool          `json:"unchanged"`
		Position      string        `json:"position"`
	}
	type phase struct {
		Phase  string  `json:"phase"`
		Factor float64 `json:"factor"`
		Steps  int     `json:"steps"`
	}
	type edit struct {
		Group   string `json:"group"`
		File    string `json:"file"`
		Line    int    `json:"line"`
		Old     string `json:"old"`
		New     string `json:"new"`
		BuiltIn bool   `json:"built_in"`
	}
	groups := func(gs []planner.Group) []group {
		out := []group{}
		for _, g := range gs {
			j := group{ID: g.ID, Source: string(g.Source), Phase: g.Phase, Steps: g.Steps, Planned: g.Planned.String(),
				Ratio: ratio3(g.Ratio), Proposed: g.Proposed.String(), ChangePercent: math.Round(1000*g.Change) / 10,
				Unchanged: g.Unchanged, Position: g.Pos.String()}
			if len(g.Measured) > 0 {
				j.Median, j.Min, j.Max = planner.Span(g.Median), planner.Span(g.Min), planner.Span(g.Max)
			}
			for _, m := range g.Measured {
				j.Measured = append(j.Measured, measurement{m.Step, planner.Span(m.Actual), m.Started, m.Completed, ratio3(m.Ratio)})
			}
			out = append(out, j)
		}
		return out
	}
	out := struct {
		Plan       string   `json:"plan"`
		Run        string   `json:"run"`
		Rehearsal  bool     `json:"rehearsal"`
		Warnings   []string `json:"warnings"`
		NotInPlan  []string `json:"not_in_plan"`
		Measured   []group  `json:"measured"`
		Phases     []phase  `json:"phases"`
		Unmeasured []group  `json:"unmeasured"`
		Edits      []edit   `json:"edits"`
		Diff       string   `json:"diff"`
		Notes      []string `json:"notes"`
	}{
		Plan: cal.Plan, Run: cal.Run, Rehearsal: cal.Rehearsal,
		Warnings: jsonList(cal.Warnings), NotInPlan: jsonList(cal.NotInPlan),
		Measured: groups(cal.Measured), Phases: []phase{}, Unmeasured: groups(cal.Unmeasured),
		Edits: []edit{}, Diff: cal.Diff, Notes: jsonList(cal.Notes),
	}
	for _, f := range cal.Phases {
		out.Phases = append(out.Phases, phase{f.Phase, ratio3(f.Factor), f.Steps})
	}
	for _, e := range cal.Edits {
		out.Edits = append(out.Edits, edit{e.Group, e.File, e.Line, e.Old, e.New, e.BuiltIn})
	}
	return out
}

func ratio3(f float64) float64 { return math.Round(1000*f) / 1000 }

func jsonList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
