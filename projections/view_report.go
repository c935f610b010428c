package projections

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
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
	// HeadSeq and Head are the run's last event, its sequence and hash:
	// what `dcmove audit verify --head` checks later.
	HeadSeq uint64
	Head    string
	// HeadSig is the signature of the head made with the report (nil: the
	// report is unsigned).
	HeadSig *headSigView
}

// HeadSignature is a signature of the run's head made when the report is
// made (see [events.HeadStatement]).
type HeadSignature struct {
	// Statement is the text signed: "dcmove head RUN SEQ SHA256", for the
	// report's head.
	Statement string
	// Key is the signer's public NKey; Signature the ed25519 signature
	// over Statement, base64url without padding.
	Key, Signature string
	// By is whose key it is in the run's crew: the lead. It is empty when
	// the run's plan recorded no keys: then the key is not one the plan
	// recorded, and says nothing of who signed.
	By string
}

type headSigView struct {
	Statement, By, Key, ShortKey, Signature string
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
	v := &reportView{Title: s.Title, Run: s.ID, Plan: s.Plan, File: s.File, Lead: s.Lead, Zone: s.TimeZone, Records: rp.Records}
	if s.LastSeq > 0 {
		v.HeadSeq, v.Head = s.LastSeq, s.Head().Hash
	}
	if hs := rp.HeadSignature; hs != nil {
		v.HeadSig = &headSigView{Statement: hs.Statement, By: hs.By, Key: hs.Key, ShortKey: events.ShortKey(hs.Key), Signature: hs.Signature}
	}
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
	switch {
	case !s.Signed:
		add("Signatures", "none", "actions unsigned: the plan lists no crew keys, so anyone could record as anyone", true)
	case s.Unsigned > 0:
		add("Signatures", "every action signed", fmt.Sprintf("%d event(s) not signed by their actor ignored (dcmove audit verify names them)", s.Unsigned), true)
	default:
		add("Signatures", "every action signed", "each by its actor's key in the plan's crew", false)
	}

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
			gv.Signatures = append(gv.Signatures, signatureView{at(sg.At), sg.Role, sg.By, string(sg.Decision), sg.Reason})
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

// Moment is one key event of the run's timeline.
type Moment struct {
	At time.Time
	// Kind is start, gate, no-go, degraded, backout, end or finished.
	Kind, What string
}

// Timeline returns the key events of the run in time order: its start,
// each gate's decision and who signed it, degraded mode on and off, the
// back-out, the end of the move (its window's steps) and of the whole run.
func (rp *Report) Timeline() []Moment {
	s := rp.Status
	var out []Moment
	if !s.CutoverStarted.IsZero() {
		kind := "live run"
		if s.Rehearsal {
			kind = "rehearsal"
		}
		by := ""
		if s.Lead != "" {
			by = ", led by " + s.Lead
		}
		out = append(out, Moment{s.CutoverStarted, "start", fmt.Sprintf("%s %s started: %d steps%s", kind, s.ID, len(s.Work()), by)})
	}
	for _, g := range rp.Gates() {
		kind := "gate"
		if g.Outcome == GateNoGo {
			kind = "no-go"
		}
		out = append(out, Moment{g.At, kind, fmt.Sprintf("gate %s: %s; %s", g.ID, strings.ToUpper(g.Outcome), g.signers())})
	}
	for _, sp := range rp.Spells {
		out = append(out, Moment{sp.From, "degraded", fmt.Sprintf("degraded mode on, by %s: %s down on purpose%s", sp.By, orNone(sp.Down), because(sp.Reason))})
		if !sp.To.IsZero() {
			out = append(out, Moment{sp.To, "degraded", fmt.Sprintf("degraded mode off, by %s, after %s%s", sp.EndedBy, span(sp.To.Sub(sp.From)), because(sp.EndReason))})
		}
	}
	if b := rp.Backout; b != nil {
		trigger := ""
		if b.Trigger != "" && !strings.Contains(b.Reason, b.Trigger) {
			trigger = " on the no-go of " + b.Trigger
		}
		out = append(out, Moment{b.At, "backout", fmt.Sprintf("BACK-OUT started by %s%s (%s): %d back-out steps, %d steps cancelled", b.By, trigger, b.Reason, b.Steps, b.Cancelled)})
	}
	if end, ok := rp.MoveEnd(); ok {
		what := "the move ended"
		if pe := rp.PlannedEnd(); !pe.IsZero() {
			what += fmt.Sprintf(" (%s the schedule)", versus(end.Sub(pe)))
		}
		if !s.WindowEnd.IsZero() {
			if end.After(s.WindowEnd) {
				what += fmt.Sprintf(", %s AFTER the window closed", span(end.Sub(s.WindowEnd)))
			} else {
				what += fmt.Sprintf(", %s before the window closes", span(s.WindowEnd.Sub(end)))
			}
		}
		out = append(out, Moment{end, "end", what})
	}
	if s.Finished() {
		if last := lastEnd(s); !last.IsZero() {
			out = append(out, Moment{last, "finished", "the run finished: nothing left to do"})
		}
	}
	slices.SortStableFunc(out, func(a, b Moment) int { return a.At.Compare(b.At) })
	return out
}

// versus says how a duration compares: "45m later than", "on time with".
func versus(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return span(d) + " later than"
	case d <= -time.Minute:
		return span(-d) + " earlier than"
	}
	return "on time with"
}

// signers says who signed a gate and how, for the timeline.
func (g GateDecision) signers() string {
	// One part per signer and decision: "Karim Haddad go as network and tech".
	var parts []string
	var last Signature
	for _, sg := range g.Signatures {
		if len(parts) > 0 && sg.By == last.By && sg.Decision == last.Decision && (sg.Reason == last.Reason || sg.Decision == events.DecisionGo) {
			parts[len(parts)-1] = strings.Replace(parts[len(parts)-1], " as "+last.Role, " as "+last.Role+" and "+sg.Role, 1)
			last.Role = last.Role + " and " + sg.Role
			continue
		}
		p := fmt.Sprintf("%s %s as %s", sg.By, sg.Decision, sg.Role)
		if sg.Decision != events.DecisionGo && sg.Reason != "" {
			p += " (" + sg.Reason + ")"
		}
		parts = append(parts, p)
		last = sg
	}
	if len(parts) == 0 {
		return "no signature"
	}
	return "signed by " + strings.Join(parts, ", ")
}

// SummaryLine is one line of the report's summary: what it is about, its
// value, a detail, and whether it needs attention.
type SummaryLine struct {
	Label, Value, Detail string
	Alert                bool
}

// Summary returns the report's summary cards, as its first section shows
// them.
func (rp *Report) Summary() []SummaryLine {
	var out []SummaryLine
	for _, f := range rp.view().Facts {
		out = append(out, SummaryLine{f.Label, f.Value, f.Detail, f.Alert})
	}
	return out
}
