package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/planner/gantt"
	"github.com/dcmove/dcmove/planner/sheet"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

func (m *Main) planCommand() *cli.Command {
	analysisFlags := func(extra ...cli.Flag) []cli.Flag {
		return append([]cli.Flag{
			samplesFlag("Monte Carlo samples of the step durations for the probability of fitting the window (0: none)"),
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the scheduler and the Monte Carlo samples"},
			intFlag("effort", 0, 0, 100000, "how many activity lists the scheduler tries (more: a shorter schedule, or the same, never a longer one; the time grows with it); 0: about half a second's worth, 100,000 / the window's steps, between 8 and 1,000"),
		}, extra...)
	}
	output := func(formats ...string) cli.Flag {
		return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: formats[0], Usage: "output format: " + strings.Join(formats, ", ")}
	}
	return &cli.Command{
		Name:  "plan",
		Usage: "work on a plan file before the move",
		Subcommands: []*cli.Command{
			{
				Name:      "check",
				Usage:     "check a plan file: errors (file:line:col), the schedule's verdict on the window, and the risks found",
				ArgsUsage: "FILE",
				Flags:     analysisFlags(output("text", "json")),
				Action:    m.planCheck,
			},
			{
				Name:      "schedule",
				Usage:     "schedule the plan: every step with its start, end, slack and who does it",
				ArgsUsage: "FILE",
				Flags:     analysisFlags(output("text", "json", "csv")),
				Action:    m.planSchedule,
			},
			{
				Name:      "gantt",
				Usage:     "draw the schedule: critical path, window, point of no return and go/no-go gates marked",
				ArgsUsage: "FILE",
				Flags: analysisFlags(
					&cli.StringFlag{Name: "format", Value: "text", Usage: "text, mermaid, svg or html (svg and html are one self-contained file)"},
					&cli.StringFlag{Name: "out", Usage: "write to this file instead of standard output"},
					intFlag("width", 100, minWidth, maxWidth, "columns of the text chart"),
					&cli.BoolFlag{Name: "all", Usage: "also draw the steps before and after the window"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text (the chart, in --format), or json: the chart's bars, for other tools"}),
				Action: m.planGantt,
			},
			m.planImportCommand(output("yaml", "json")),
			m.calibrateCommand(),
			m.exampleCommand(),
			{
				Name:   "lints",
				Usage:  "list the risks dcmove checks plans for, and the real failures behind them",
				Flags:  []cli.Flag{output("text", "json")},
				Action: m.planLints,
			},
		},
	}
}

// loadPlan loads the plan file named by the command's only argument.
func loadPlan(c *cli.Context) (*planner.Plan, error) {
	if c.NArg() != 1 {
		return nil, usagef("give one plan file, e.g. %s examples/pa2-pa3.yaml", c.Command.HelpName)
	}
	p, err := planner.Load(c.Args().First())
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return nil, usageError{err} // a file named on the command line: bad input (exit 2)
	}
	return p, err
}

// analyze loads, expands and schedules the plan named on the command line.
func analyze(c *cli.Context) (*planner.Analysis, error) {
	p, err := loadPlan(c)
	if err != nil {
		return nil, err
	}
	rb, err := runbooks.Expand(p)
	if err != nil {
		return nil, err
	}
	samples := c.Int("samples")
	if samples == 0 {
		samples = -1
	}
	return planner.Analyze(p, rb, planner.Options{Seed: c.Uint64("seed"), Samples: samples, Passes: c.Int("effort")})
}

func checkOutput(c *cli.Context, formats ...string) error {
	for _, f := range formats {
		if c.String("output") == f {
			return nil
		}
	}
	return usagef("--output %q: write one of %s", c.String("output"), strings.Join(formats, ", "))
}

// overtime is the work a plan's schedule puts after a person's last shift.
type overtime struct {
	Person      string    `json:"person"`
	LastShift   time.Time `json:"last_shift_end"`
	WorkMinutes int       `json:"work_minutes"`
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// lintErrors is returned when the plan has error findings: the plan is
// wrong even though it parses.
type lintErrors struct{ n int }

func (e lintErrors) Error() string {
	return fmt.Sprintf("the plan has %d error(s) in its risks; fix them and run dcmove plan check again", e.n)
}

func errorsIn(a *planner.Analysis) error {
	n := 0
	for _, f := range a.Findings {
		if f.Severity == planner.SeverityError {
			n++
		}
	}
	if n > 0 {
		return lintErrors{n}
	}
	return nil
}

func (m *Main) planCheck(c *cli.Context) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	a, err := analyze(c)
	if err != nil {
		return err
	}
	if jsonOutput(c) {
		if err := writeDoc(m.Stdout, "plan-check", verdictJSON(a)); err != nil {
			return err
		}
		return errorsIn(a)
	}
	w := m.Stdout
	p := a.Plan
	loc := p.Window.Location
	fmt.Fprintln(w, "ok:", p.Summary())
	fmt.Fprintf(w, "runbook: %s, %d steps (%d before the window, %d in it, %d after), %d trips\n",
		cmp.Or(a.Runbook.Name, "the plan's own steps"), runbooks.StepCount(a), count(a, "before"), count(a, "window")+runbooks.StepCount(a)-len(a.Steps), count(a, "after"), len(a.Runbook.Trips))
	if a.HasPointOfNoReturn {
		fmt.Fprintf(w, "(the window's steps include the point-of-no-return gate; %d back-out steps are recorded too, to run only if the move backs out)\n", runbooks.BackoutCount(a.Runbook))
	}
	verdict := "fits the window"
	switch {
	case len(a.Overtime) > 0:
		var total time.Duration
		for _, o := range a.Overtime {
			total += o.Work
		}
		verdict = fmt.Sprintf("DOES NOT FIT the crew's shifts (it needs %s of overtime, see L014)", planner.Span(total))
	case !a.Fits:
		verdict = "DOES NOT FIT the window"
	}
	fmt.Fprintf(w, "schedule: the move ends %s, %s (makespan %s; critical path %s; no schedule can beat %s)\n",
		a.End.In(loc).Format("Mon 2 Jan 15:04"), verdict, planner.Span(a.Makespan), planner.Span(a.CriticalPath), planner.Span(a.LowerBound))
	if a.Samples > 0 {
		fmt.Fprintf(w, "odds: %.0f%% of %d simulated weekends end inside the window (median %s, 90th percentile %s; a weekend whose steps overrun keeps people past their last shift)\n",
			a.Probability*100, a.Samples, planner.Span(a.P50), planner.Span(a.P90))
	}
	if a.HasPointOfNoReturn {
		fmt.Fprintf(w, "point of no return: %s (after it, backing out no longer ends inside the window)\n", a.PointOfNoReturn.In(loc).Format("Mon 2 Jan 15:04"))
	}
	if len(a.Findings) == 0 {
		fmt.Fprintln(w, "risks: none found")
		return nil
	}
	fmt.Fprintf(w, "risks (%d):\n", len(a.Findings))
	for _, f := range a.Findings {
		fmt.Fprintf(w, "  %s\n", f)
		fmt.Fprintf(w, "      why: %s\n", f.Lesson)
	}
	return errorsIn(a)
}

func count(a *planner.Analysis, timing string) int {
	n := 0
	for _, s := range a.Steps {
		if s.Timing == timing {
			n++
		}
	}
	return n
}

// verdictJSON is the JSON form of plan check.
func verdictJSON(a *planner.Analysis) any {
	type finding struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Position string `json:"position,omitempty"`
		Message  string `json:"message"`
		Lesson   string `json:"lesson"`
		Fix      string `json:"fix,omitempty"`
	}
	out := struct {
		Plan                string     `json:"plan"`
		Summary             string     `json:"summary"`
		Runbook             string     `json:"runbook,omitempty"`
		Steps               int        `json:"steps"`
		BackoutSteps        int        `json:"backout_steps"`
		Trips               int        `json:"trips"`
		WindowStart         time.Time  `json:"window_start"`
		WindowEnd           time.Time  `json:"window_end"`
		End                 time.Time  `json:"end"`
		Fits                bool       `json:"fits"`
		MakespanMinutes     int        `json:"makespan_minutes"`
		LowerBoundMinutes   int        `json:"lower_bound_minutes"`
		CriticalPathMinutes int        `json:"critical_path_minutes"`
		Probability         float64    `json:"probability"`
		Samples             int        `json:"samples"`
		P50Minutes          int        `json:"p50_minutes,omitempty"`
		P90Minutes          int        `json:"p90_minutes,omitempty"`
		PointOfNoReturn     *time.Time `json:"point_of_no_return,omitempty"`
		Overtime            []overtime `json:"overtime,omitempty"`
		Findings            []finding  `json:"findings"`
	}{
		Plan: a.Plan.Name, Summary: a.Plan.Summary(), Runbook: a.Runbook.Name,
		Steps: runbooks.StepCount(a), BackoutSteps: runbooks.BackoutCount(a.Runbook), Trips: len(a.Runbook.Trips),
		WindowStart: a.Plan.Window.Start, WindowEnd: a.Plan.Window.End, End: a.End, Fits: a.Fits,
		MakespanMinutes: int(a.Makespan.Minutes()), LowerBoundMinutes: int(a.LowerBound.Minutes()), CriticalPathMinutes: int(a.CriticalPath.Minutes()),
		Probability: a.Probability, Samples: a.Samples, Findings: []finding{},
		P50Minutes: int(a.P50.Minutes()), P90Minutes: int(a.P90.Minutes()),
	}
	for _, o := range a.Overtime {
		out.Overtime = append(out.Overtime, overtime{o.Person, o.LastShift, int(o.Work.Minutes())})
	}
	if a.HasPointOfNoReturn {
		out.PointOfNoReturn = &a.PointOfNoReturn
	}
	for _, f := range a.Findings {
		pos := ""
		if f.Pos.Line > 0 {
			pos = f.Pos.String()
		}
		out.Findings = append(out.Findings, finding{f.ID, string(f.Severity), pos, f.Message, f.Lesson, f.Fix})
	}
	return out
}

func (m *Main) planSchedule(c *cli.Context) error {
	if err := checkOutput(c, "text", "json", "csv"); err != nil {
		return err
	}
	a, err := analyze(c)
	if err != nil {
		return err
	}
	loc := a.Plan.Window.Location
	switch c.String("output") {
	case "csv":
		return sheet.WriteCSV(m.Stdout, rows(a), loc)
	case "json":
		type step struct {
			ID           string    `json:"id"`
			Title        string    `json:"title"`
			Phase        string    `json:"phase"`
			Timing       string    `json:"timing"`
			Start        time.Time `json:"start"`
			End          time.Time `json:"end"`
			SlackMinutes int       `json:"slack_minutes"`
			Critical     bool      `json:"critical"`
			Gate         bool      `json:"gate"`
			Who          []string  `json:"who"`
			After        []string  `json:"after"`
		}
		out := []step{}
		for _, s := range a.Steps {
			out = append(out, step{s.ID, s.Title, s.Phase, s.Timing, s.Start, s.End, int(s.Slack.Minutes()), s.Critical, s.Gate, orEmpty(s.Who), orEmpty(s.After)})
		}
		return writeDoc(m.Stdout, "plan-schedule", map[string]any{"plan": a.Plan.Name, "steps": out})
	}
	fmt.Fprintln(m.Stdout, "steps before the window show their deadline (latest start, marked <=); steps after it their earliest start")
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "STEP\tPHASE\tSTART (%s)\tEND\tSLACK\tWHO / WHAT\tTITLE\n", loc)
	for _, s := range sortedByStart(a) {
		slack := planner.Span(s.Slack)
		start := s.Start.In(loc).Format("Mon 2 Jan 15:04")
		switch {
		case s.Timing == "before":
			slack, start = "-", "<= "+start
		case s.Timing == "after":
			slack, start = "-", ">= "+start
		case s.Critical:
			slack = "critical"
		}
		mark := ""
		if s.Gate {
			mark = " [go/no-go]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s%s\n", s.ID, s.Phase, start, s.End.In(loc).Format("Mon 15:04"),
			slack, strings.Join(s.Who, ", "), s.Title, mark)
	}
	return tw.Flush()
}

func sortedByStart(a *planner.Analysis) []planner.Scheduled {
	out := slices.Clone(a.Steps)
	slices.SortStableFunc(out, func(x, y planner.Scheduled) int { return x.Start.Compare(y.Start) })
	return out
}

func rows(a *planner.Analysis) []sheet.Row {
	var out []sheet.Row
	for _, s := range sortedByStart(a) {
		out = append(out, sheet.Row{ID: s.ID, Title: s.Title, Phase: s.Phase, Role: s.Role, Who: strings.Join(s.Who, " "),
			Start: s.Start, End: s.End, Slack: s.Slack, Critical: s.Critical, Gate: s.Gate, After: s.After, Duration: s.Duration})
	}
	return out
}

func (m *Main) planGantt(c *cli.Context) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	if jsonOutput(c) && (c.IsSet("format") || c.IsSet("width") || c.IsSet("out")) {
		return usagef("--output json prints the chart's bars; --format, --width and --out are for the drawing (--output text)")
	}
	a, err := analyze(c)
	if err != nil {
		return err
	}
	chart := gantt.Chart{
		Title:       fmt.Sprintf("%s: %s", a.Plan.Name, cmp.Or(a.Plan.Title, a.Plan.Name)),
		Location:    a.Plan.Window.Location,
		WindowStart: a.Plan.Window.Start, WindowEnd: a.Plan.Window.End,
	}
	if a.HasPointOfNoReturn {
		chart.PointOfNoReturn = a.PointOfNoReturn
	}
	for _, s := range sortedByStart(a) {
		if s.Timing != "window" && !c.Bool("all") {
			continue
		}
		chart.Bars = append(chart.Bars, gantt.Bar{ID: s.ID, Title: s.Title, Phase: s.Phase, Who: strings.Join(s.Who, ", "),
			Start: s.Start, End: s.End, Slack: s.Slack, Critical: s.Critical && s.Timing == "window", Gate: s.Gate})
	}
	if jsonOutput(c) {
		type bar struct {
			ID           string    `json:"id"`
			Title        string    `json:"title"`
			Phase        string    `json:"phase"`
			Who          string    `json:"who,omitempty"`
			Start        time.Time `json:"start"`
			End          time.Time `json:"end"`
			SlackMinutes int       `json:"slack_minutes"`
			Critical     bool      `json:"critical"`
			Gate         bool      `json:"gate"`
		}
		bars := []bar{}
		for _, b := range chart.Bars {
			bars = append(bars, bar{b.ID, b.Title, b.Phase, b.Who, b.Start, b.End, int(b.Slack.Minutes()), b.Critical, b.Gate})
		}
		var ponr *time.Time
		if a.HasPointOfNoReturn {
			ponr = &a.PointOfNoReturn
		}
		return writeDoc(m.Stdout, "plan-gantt", struct {
			Title           string     `json:"title"`
			WindowStart     time.Time  `json:"window_start"`
			WindowEnd       time.Time  `json:"window_end"`
			PointOfNoReturn *time.Time `json:"point_of_no_return,omitempty"`
			Bars            []bar      `json:"bars"`
		}{chart.Title, chart.WindowStart, chart.WindowEnd, ponr, bars})
	}
	w := m.Stdout
	if path := c.String("out"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	switch c.String("format") {
	case "text":
		err = gantt.Text(w, chart, c.Int("width"))
	case "mermaid":
		err = gantt.Mermaid(w, chart)
	case "svg":
		err = gantt.SVG(w, chart)
	case "html":
		err = gantt.HTML(w, chart)
	default:
		return usagef("--format %q: write text, mermaid, svg or html", c.String("format"))
	}
	if err == nil && c.String("out") != "" {
		fmt.Fprintf(m.Stdout, "wrote %s\n", c.String("out"))
	}
	return err
}

func (m *Main) planImport(c *cli.Context) error {
	if err := checkOutput(c, "yaml", "json"); err != nil {
		return err
	}
	path := c.String("from-csv")
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w; check the path of the CSV file", err)
	}
	defer f.Close()
	steps, err := sheet.ImportCSV(path, f)
	if err != nil {
		return err
	}
	if jsonOutput(c) {
		type step struct {
			ID       string   `json:"id"`
			Title    string   `json:"title"`
			Phase    string   `json:"phase,omitempty"`
			Kind     string   `json:"kind,omitempty"`
			Role     string   `json:"role,omitempty"`
			After    []string `json:"after"`
			Gate     bool     `json:"gate"`
			Duration string   `json:"duration"`
			Position string   `json:"position,omitempty"`
		}
		out := []step{}
		for _, st := range steps {
			out = append(out, step{st.ID, st.Title, st.Phase, string(st.Kind), st.Role, orEmpty(st.After), st.Gate, st.Duration.String(), st.Pos.String()})
		}
		return writeDoc(m.Stdout, "plan-steps", map[string]any{"file": path, "steps": out})
	}
	return sheet.WriteSteps(m.Stdout, steps)
}

func (m *Main) planLints(c *cli.Context) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	if jsonOutput(c) {
		type lint struct {
			ID       string `json:"id"`
			Severity string `json:"severity"`
			Title    string `json:"title"`
			Lesson   string `json:"lesson"`
		}
		out := []lint{}
		for _, l := range planner.Lints {
			out = append(out, lint{l.ID, string(l.Severity), l.Title, l.Lesson})
		}
		return writeDoc(m.Stdout, "plan-lints", map[string]any{"lints": out})
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tCHECKS\tLESSON")
	for _, l := range planner.Lints {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.ID, l.Severity, l.Title, l.Lesson)
	}
	return tw.Flush()
}
