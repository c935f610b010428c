package projections

import (
	"fmt"
	"strings"
	"time"
)

// The report lists at most this many late steps, and this many steps of
// the rehearsal comparison, the largest first; the rest are counted.
const (
	reportLate      = 25
	reportRehearsal = 15
)

// reportView is a report with every value formatted, shared by the Markdown
// and the HTML renderings so that they say the same.
type reportView struct {
	Title, Run, Kind, Plan, File, Lead, Zone string
	Facts                                    []fact
	Timeline                                 []momentView
	Phases                                   []phaseView
	Total                                    phaseView
	Late                                     []lateView
	LateCount                                int
	LateMore                                 int
	LateOver                                 string
	Gates                                    []gateView
	Deviations                               []deviationView
	Spells                                   []spellView
	DegradedTotal                            string
	Rehearsal                                *rehearsalView
	Records                                  int
}

type fact struct {
	Label, Value, Detail string
	Alert                bool
}

type momentView struct{ At, Kind, What string }

type phaseView struct {
	Phase                  string
	Steps, Done            int
	Planned, Actual, Ratio string
	Over                   bool
	PlannedPct, ActualPct  float64
}

type lateView struct {
	ID, Title, Phase, Planned, Actual, Over, By string
	Pct                                         float64
}

type gateView struct {
	ID, Title, Outcome, At string
	Signatures             []signatureView
}

type deviationView struct{ At, Kind, Class, About, By, Reason, Note string }

type signatureView struct{ At, Role, By, Decision, Reason string }

type spellView struct{ From, To, Lasted, Down, By, Reason, EndedBy, EndReason string }

type rehearsalView struct {
	Run, This    string
	Live         bool // the run compared with was not recorded as a rehearsal
	SamePlanFile bool
	Phases       []deltaView
	Total        deltaView
	Steps        []stepDeltaView
	More, Differ int
}

type deltaView struct {
	Phase              string
	Steps              int
	A, B, Delta, Ratio string
	Over               bool
	APct, BPct         float64
}

type stepDeltaView struct {
	ID, Title, Phase, A, AOutcome, B, BOutcome, Delta string
	Over                                              bool
}

func pct(d, of time.Duration) float64 {
	if of <= 0 || d <= 0 {
		return 0
	}
	return float64(int(1000*float64(d)/float64(of))) / 10
}

// view formats the report.
func (rp *Report) view() *reportView {
	s := rp.Status
	loc := s.Location()
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("Mon 2 Jan 15:04")
	}
	v := &reportView{Title: s.Title, Run: s.ID, Plan: s.Plan, File: s.File, Lead: rp.Lead, Zone: s.TimeZone, Records: rp.Records}
	if v.Title == "" {
		v.Title = s.Plan
	}
	v.Kind = "live run"
	if s.Rehearsal {
		v.Kind = "rehearsal"
	}

	c := s.Counts()
	total := len(s.Work()) - c[Cancelled]
	add := func(label, value, detail string, alert bool) {
		v.Facts = append(v.Facts, fact{label, value, detail, alert})
	}
	add("Window", at(s.WindowStart)+" – "+at(s.WindowEnd), span(s.WindowEnd.Sub(s.WindowStart))+" long", false)
	add("Started", at(s.CutoverStarted), "", false)
	if end, ok := rp.MoveEnd(); ok {
		var detail []string
		late := end.After(s.WindowEnd) && !s.WindowEnd.IsZero()
		if !s.WindowEnd.IsZero() {
			if late {
				detail = append(detail, span(end.Sub(s.WindowEnd))+" AFTER the window closed")
			} else {
				detail = append(detail, span(s.WindowEnd.Sub(end))+" before the window closes")
			}
		}
		if pe := rp.PlannedEnd(); !pe.IsZero() {
			detail = append(detail, fmt.Sprintf("scheduled %s (%s)", at(pe), strings.TrimSuffix(strings.TrimSuffix(versus(end.Sub(pe)), " than"), " with")))
		}
		add("Move ended", at(end), strings.Join(detail, "; "), late)
	} else if s.Finished() {
		add("Move ended", "never", "the move backed out", true)
	} else {
		add("Move ended", "not yet", "as of the last event, "+at(s.LastEvent), false)
	}
	if s.Finished() {
		add("Run finished", at(lastEnd(s)), "", false)
	}
	detail := fmt.Sprintf("%d failed, %d skipped, %d cancelled", c[Failed], c[Skipped], c[Cancelled])
	if n := c[Started] + c[Ready] + c[Pending]; n > 0 {
		detail = fmt.Sprintf("%d not done yet; ", n) + detail
	}
	add("Steps", fmt.Sprintf("%d of %d done", c[Done], total), detail, c[Failed] > 0)
	if s.BackingOut {
		add("Back-out", "since "+at(s.BackoutSince), s.BackoutReason, true)
	}
	phases, tot := rp.Phases()
	add("Planned vs actual", fmt.Sprintf("%s for %s planned (%s)", span(tot.Actual), span(tot.Planned), ratio(tot.Ratio())),
		fmt.Sprintf("the work of the %d steps done", tot.Done), tot.Actual > tot.Planned)
	late := rp.Late()
	add("Late steps", fmt.Sprintf("%d of %d", len(late), tot.Done), "took longer than their likely duration", false)
	if len(rp.Spells) > 0 {
		v.DegradedTotal = span(rp.DegradedTotal())
		add("Degraded mode", v.DegradedTotal, fmt.Sprintf("in %d spell(s)", len(rp.Spells)), false)
	}
	add("Deviations", fmt.Sprint(len(rp.Deviations)), "warnings accepted, failures, skips, blocks, cool-downs cut short", false)
	detail = "all understood"
	if s.Skipped > 0 {
		detail = fmt.Sprintf("%d not understood or contradicting the run's history (see dcmove audit)", s.Skipped)
	}
	add("Events", fmt.Sprintf("%d recorded", rp.Records), detail, s.Skipped > 0)

	for _, m := range rp.Timeline() {
		v.Timeline = append(v.Timeline, momentView{at(m.At), m.Kind, m.What})
	}

	var most time.Duration
	for _, p := range phases {
		most = max(most, p.Planned, p.Actual)
	}
	phaseRow := func(p PhaseTotal) phaseView {
		return phaseView{Phase: phaseLabel(p.Phase), Steps: p.Steps, Done: p.Done, Planned: span(p.Planned), Actual: span(p.Actual),
			Ratio: ratio(p.Ratio()), Over: p.Actual > p.Planned, PlannedPct: pct(p.Planned, most), ActualPct: pct(p.Actual, most)}
	}
	for _, p := range phases {
		v.Phases = append(v.Phases, phaseRow(p))
	}
	v.Total = phaseRow(tot)

	v.LateCount = len(late)
	var over time.Duration
	for _, l := range late {
		over += l.Over()
	}
	v.LateOver = span(over)
	for i, l := range late {
		if i == reportLate {
			v.LateMore = len(late) - i
			break
		}
		v.Late = append(v.Late, lateView{l.ID, l.Title, phaseLabel(l.Phase), span(l.Planned), span(l.Actual), "+" + span(l.Over()), l.By, pct(l.Over(), late[0].Over())})
	}

	for _, g := range rp.Gates() {
		gv := gateView{ID: g.ID, Title: g.Title, Outcome: g.Outcome, At: at(g.At)}
		for _, sg := range g.Signatures {
			gv.Signatures = append(gv.Signatures, signatureView{at(sg.At), sg.Role, sg.By, sg.Decision, sg.Reason})
		}
		v.Gates = append(v.Gates, gv)
	}
	for _, d := range rp.Deviations {
		v.Deviations = append(v.Deviations, deviationView{at(d.At), d.Kind, "dev-" + strings.ReplaceAll(d.Kind, " ", "-"), d.about(), d.By, d.Reason, d.Note})
	}

	for _, sp := range rp.Spells {
		to := at(sp.To)
		if sp.To.IsZero() {
			to = "still on"
		}
		v.Spells = append(v.Spells, spellView{at(sp.From), to, span(rp.spellEnd(sp).Sub(sp.From)), orNone(sp.Down), sp.By, sp.Reason, sp.EndedBy, sp.EndReason})
	}

	if c := rp.Rehearsal; c != nil {
		rv := &rehearsalView{Run: c.A.Run, This: c.B.Run, Live: !c.A.Rehearsal, SamePlanFile: c.SamePlanFile}
		var most time.Duration
		for _, p := range c.Phases {
			most = max(most, p.A, p.B)
		}
		row := func(p PhaseDelta) deltaView {
			return deltaView{phaseLabel(p.Phase), p.Steps, span(p.A), span(p.B), signed(p.Delta()), ratio(p.Ratio()), p.B > p.A, pct(p.A, most), pct(p.B, most)}
		}
		for _, p := range c.Phases {
			rv.Phases = append(rv.Phases, row(p))
		}
		rv.Total = row(c.Total)
		for _, d := range c.Steps {
			if d.Both && d.Delta == 0 || !d.Both && d.A.State == d.B.State {
				continue // the same in both runs
			}
			rv.Differ++
			if len(rv.Steps) == reportRehearsal {
				rv.More++
				continue
			}
			sd := stepDeltaView{ID: d.ID, Title: d.Title, Phase: phaseLabel(d.Phase), A: took(d.A), AOutcome: d.A.String(), B: took(d.B), BOutcome: d.B.String(), Over: d.Delta > 0}
			if d.Both {
				sd.Delta = signed(d.Delta)
			}
			rv.Steps = append(rv.Steps, sd)
		}
		v.Rehearsal = rv
	}
	return v
}

// about names what a deviation is about: the step or asset and its title.
func (d Deviation) about() string {
	switch {
	case d.Subject == "":
		return ""
	case d.Title == "":
		return d.Subject
	}
	return d.Subject + ": " + d.Title
}
