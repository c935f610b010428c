package projections

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// Board is the status of a run at one moment, section by section: what
// `dcmove status` prints, and what it gives other tools as JSON. Each
// section is filled by a function of its own ([Status.Board] lists them)
// and printed by another ([View.Write]).
type Board struct {
	Run         string    `json:"run"`
	Plan        string    `json:"plan"`
	Title       string    `json:"title,omitempty"`
	Rehearsal   bool      `json:"rehearsal,omitempty"`
	Seq         uint64    `json:"seq"` // the last event applied
	Now         time.Time `json:"now"`
	TimeZone    string    `json:"timezone"`
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	// Progress counts the steps of the work by state, and Phases the steps
	// done per phase, in phase order.
	Progress Tally        `json:"progress"`
	Phases   []PhaseTally `json:"phases,omitempty"`
	// BackingOut is set once the move backs out, since BackoutSince.
	BackingOut    bool      `json:"backing_out,omitempty"`
	BackoutSince  time.Time `json:"backout_since,omitzero"`
	BackoutReason string    `json:"backout_reason,omitempty"`
	// PointOfNoReturn is the planned last moment to back out, while its
	// gate is not signed and the move does not back out; Left is the time
	// left before it (0: passed).
	PointOfNoReturn     time.Time       `json:"point_of_no_return,omitzero"`
	PointOfNoReturnLeft events.Duration `json:"point_of_no_return_left,omitempty"`
	// NextGate is the first go/no-go not done, by planned start.
	NextGate *StepLine `json:"next_gate,omitempty"`
	// Degraded is set while degraded mode is on, since DegradedSince;
	// DegradedFor is how long it lasted in all, Down the services down on
	// purpose.
	Degraded      bool            `json:"degraded,omitempty"`
	DegradedSince time.Time       `json:"degraded_since,omitzero"`
	DegradedFor   events.Duration `json:"degraded_for,omitempty"`
	Down          []string        `json:"down_on_purpose,omitempty"`
	// Accepted are the plan warnings accepted at the start.
	Accepted []string `json:"warnings_accepted,omitempty"`
	// MoveEnded is when the window's last step finished (once they all
	// have), Finished when the whole run did.
	MoveEnded time.Time `json:"move_ended,omitzero"`
	Finished  time.Time `json:"finished,omitzero"`
	// The steps started (late ones with Late set), failed, blocked and
	// ready to start (late ones, not started by their planned start, with
	// Late set), in plan order; Late counts the late ones.
	Started []StepLine `json:"started"`
	Failed  []StepLine `json:"failed"`
	Blocked []StepLine `json:"blocked"`
	Ready   []StepLine `json:"ready"`
	Late    int        `json:"late"`
	// Crew says what each crew member is on.
	Crew []CrewLine `json:"crew"`
	// ServicesDown are the services down now, on purpose or not.
	ServicesDown []ServiceLine `json:"services_down"`
	// Cooling are the assets cooling down.
	Cooling []CoolingLine `json:"cooling"`
	// Skipped counts the events that were not understood.
	Skipped int `json:"skipped_events,omitempty"`
}

// Tally counts the steps of the work by state (cancelled ones are not in
// Total).
type Tally struct {
	Done      int `json:"done"`
	Total     int `json:"total"`
	Percent   int `json:"percent"`
	Started   int `json:"started"`
	Ready     int `json:"ready"`
	Waiting   int `json:"waiting"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
	Cancelled int `json:"cancelled"`
}

// PhaseTally is how many steps of a phase are done.
type PhaseTally struct {
	Phase string `json:"phase"`
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// StepLine is a step as a section of the board shows it.
type StepLine struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Phase string `json:"phase,omitempty"`
	Role  string `json:"role,omitempty"`
	State State  `json:"state"`
	// By is who started the step (who failed it, for a failed one), Since
	// when.
	By           string          `json:"by,omitempty"`
	Since        time.Time       `json:"since,omitzero"`
	Planned      events.Duration `json:"planned"`
	PlannedStart time.Time       `json:"planned_start,omitzero"`
	PlannedEnd   time.Time       `json:"planned_end,omitzero"`
	// Late is how late the step is ([Status.Late]).
	Late events.Duration `json:"late,omitempty"`
	// Reason says why the step failed or is blocked.
	Reason string `json:"reason,omitempty"`
	// Gate marks a go/no-go, with the decisions signed so far by role.
	Gate   bool                       `json:"gate,omitempty"`
	Signed map[string]events.Decision `json:"signed,omitempty"`
	// Waiting counts the dependencies not done yet.
	Waiting int `json:"waiting_for,omitempty"`
}

// CrewLine is what one crew member is on: the steps they started and are
// working on (none: idle), since when.
type CrewLine struct {
	Name  string    `json:"name"`
	Roles []string  `json:"roles,omitempty"`
	On    []string  `json:"on"`
	Since time.Time `json:"since,omitzero"` // on the first step, or idle since they finished their last
}

// ServiceLine is a service that is down, on purpose (degraded mode) or
// not, against its restoration time objective.
type ServiceLine struct {
	ID        string          `json:"id"`
	Title     string          `json:"title,omitempty"`
	Vital     bool            `json:"vital,omitempty"`
	OnPurpose bool            `json:"on_purpose"`
	Since     time.Time       `json:"since"`
	Down      events.Duration `json:"down"` // in all, earlier outages included
	RTO       events.Duration `json:"rto,omitempty"`
	Over      events.Duration `json:"over_rto,omitempty"`
}

// CoolingLine is an asset cooling down.
type CoolingLine struct {
	Asset string          `json:"asset"`
	Until time.Time       `json:"until"`
	Left  events.Duration `json:"left,omitempty"`
}

// Board returns the status at now, section by section.
func (s *Status) Board(now time.Time) *Board {
	// Lists are empty rather than null in JSON.
	b := &Board{Now: now, Started: []StepLine{}, Failed: []StepLine{}, Blocked: []StepLine{}, Ready: []StepLine{},
		Crew: []CrewLine{}, ServicesDown: []ServiceLine{}, Cooling: []CoolingLine{}}
	for _, section := range []func(*Board, *Status){
		boardHeader, boardProgress, boardMilestones, boardDegraded, boardEnded,
		boardStarted, boardFailed, boardBlocked, boardReady, boardLate,
		boardCrew, boardServices, boardCooling,
	} {
		section(b, s)
	}
	return b
}

func boardHeader(b *Board, s *Status) {
	b.Run, b.Plan, b.Title, b.Rehearsal, b.Seq = s.ID, s.Plan, s.Title, s.Rehearsal, s.LastSeq
	b.TimeZone, b.WindowStart, b.WindowEnd = s.TimeZone, s.WindowStart, s.WindowEnd
	b.Skipped = s.Skipped
	for _, a := range s.Accepted {
		if !slices.Contains(b.Accepted, a.Lint) {
			b.Accepted = append(b.Accepted, a.Lint)
		}
	}
}

func boardProgress(b *Board, s *Status) {
	c := s.Counts()
	t := Tally{Done: c[Done], Total: len(s.Work()) - c[Cancelled], Started: c[Started], Ready: c[Ready],
		Waiting: c[Pending], Failed: c[Failed], Skipped: c[Skipped], Cancelled: c[Cancelled]}
	if t.Total > 0 {
		t.Percent = 100 * t.Done / t.Total
	}
	b.Progress = t
	for _, ph := range s.Phases {
		pt := PhaseTally{Phase: ph}
		for _, st := range s.Work() {
			if st.Phase != ph || st.State() == Cancelled {
				continue
			}
			pt.Total++
			if st.State() == Done {
				pt.Done++
			}
		}
		if pt.Total > 0 {
			b.Phases = append(b.Phases, pt)
		}
	}
}

// boardMilestones fills the back-out, the point of no return and the next
// gate.
func boardMilestones(b *Board, s *Status) {
	if s.BackingOut {
		b.BackingOut, b.BackoutSince, b.BackoutReason = true, s.BackoutSince, s.BackoutReason
	} else if !s.PointOfNoReturn.IsZero() {
		if gate, ok := s.Step("point-of-no-return"); !ok || gate.State() != Done {
			b.PointOfNoReturn = s.PointOfNoReturn
			b.PointOfNoReturnLeft = events.Duration(max(s.PointOfNoReturn.Sub(b.Now), 0))
		}
	}
	var next *Step
	for _, st := range s.Work() {
		switch st.State() {
		case Done, Skipped, Cancelled:
			continue
		}
		if st.Gate && (next == nil || plannedBefore(st, next)) {
			next = st
		}
	}
	if next != nil {
		line := s.line(next, b.Now)
		b.NextGate = &line
	}
}

// plannedBefore orders steps by planned start, those without one last.
func plannedBefore(a, b *Step) bool {
	switch {
	case a.PlannedStart.IsZero():
		return false
	case b.PlannedStart.IsZero():
		return true
	}
	return a.PlannedStart.Before(b.PlannedStart)
}

func boardDegraded(b *Board, s *Status) {
	total := s.DegradedTotal
	if s.Degraded {
		b.Degraded, b.DegradedSince, b.Down = true, s.DegradedSince, s.Down
		total += b.Now.Sub(s.DegradedSince)
	}
	b.DegradedFor = events.Duration(total)
}

func boardEnded(b *Board, s *Status) {
	if moved, ok := s.moveEnd(); ok {
		b.MoveEnded = moved
	}
	if s.Finished() {
		b.Finished = s.lastDone()
	}
}

func boardStarted(b *Board, s *Status) {
	for _, st := range s.In(Started) {
		b.Started = append(b.Started, s.line(st, b.Now))
	}
}

func boardFailed(b *Board, s *Status) {
	for _, st := range s.In(Failed) {
		b.Failed = append(b.Failed, s.line(st, b.Now))
	}
}

func boardBlocked(b *Board, s *Status) {
	for _, st := range s.Steps {
		if st.Blocked != "" {
			b.Blocked = append(b.Blocked, s.line(st, b.Now))
		}
	}
}

func boardReady(b *Board, s *Status) {
	for _, st := range s.In(Ready) {
		b.Ready = append(b.Ready, s.line(st, b.Now))
	}
}

func boardLate(b *Board, s *Status) {
	for _, st := range s.Work() {
		if s.Late(st, b.Now) > 0 {
			b.Late++
		}
	}
}

// boardCrew says who is on what: the steps with a role each person started
// and is working on (waits such as the watch, and timers, occupy nobody).
func boardCrew(b *Board, s *Status) {
	for _, m := range s.Crew {
		cl := CrewLine{Name: m.Name, Roles: m.Roles, On: []string{}}
		var idle time.Time
		for _, st := range s.Steps {
			switch {
			case st.Recorded() == Started && st.StartedBy == m.Name && st.Role != "" && !st.IsTimer():
				if len(cl.On) == 0 || st.Started.Before(cl.Since) {
					cl.Since = st.Started
				}
				cl.On = append(cl.On, st.ID)
			case (st.Recorded() == Done || st.Recorded() == Failed) && st.DoneBy == m.Name && st.Done.After(idle):
				idle = st.Done
			}
		}
		if len(cl.On) == 0 {
			cl.Since = idle
		}
		b.Crew = append(b.Crew, cl)
	}
}

func boardServices(b *Board, s *Status) {
	for _, sv := range s.Services {
		if sv.DownSince.IsZero() {
			continue
		}
		d := sv.Downtime(b.Now)
		l := ServiceLine{ID: sv.ID, Title: sv.Title, Vital: sv.Vital, OnPurpose: s.OnPurpose(sv.ID),
			Since: sv.DownSince, Down: events.Duration(d), RTO: events.Duration(sv.RTO)}
		if sv.RTO > 0 && d > sv.RTO {
			l.Over = events.Duration(d - sv.RTO)
		}
		b.ServicesDown = append(b.ServicesDown, l)
	}
}

func boardCooling(b *Board, s *Status) {
	for _, asset := range slices.Sorted(maps.Keys(s.Cooling)) {
		until := s.Cooling[asset]
		b.Cooling = append(b.Cooling, CoolingLine{Asset: asset, Until: until, Left: events.Duration(max(until.Sub(b.Now), 0))})
	}
}

// line is st as the board shows it at now.
func (s *Status) line(st *Step, now time.Time) StepLine {
	l := StepLine{ID: st.ID, Title: st.Title, Phase: st.Phase, Role: st.Role, State: st.State(),
		Planned: events.Duration(st.Planned), PlannedStart: st.PlannedStart, PlannedEnd: st.PlannedEnd,
		Late: events.Duration(s.Late(st, now)), Gate: st.Gate, Signed: maps.Clone(st.Signed), Waiting: s.Waiting(st)}
	switch st.Recorded() {
	case Started:
		l.By, l.Since = st.StartedBy, st.Started
	case Failed:
		l.By, l.Since, l.Reason = st.DoneBy, st.Done, st.Reason
	}
	if st.Blocked != "" {
		l.Reason = st.Blocked
	}
	return l
}

// View says how to print a status: for which moment and viewer, with which
// forecast.
type View struct {
	// Now is the moment to measure running steps, lateness and time left
	// against.
	Now time.Time
	// Local is the viewer's time zone (nil: time.Local). Times are shown in
	// the plan's zone; when the viewer's differs, the header gives the local
	// time too.
	Local *time.Location
	// Forecast, when set, is shown; otherwise ForecastNote, if any, says
	// why there is none (still computing, an error).
	Forecast     *ETA
	ForecastNote string
	// AsOf marks the forecast with the time it was made for: a watch shows
	// the last forecast finished while it computes the next.
	AsOf bool
	// Color paints late, failed and not-on-purpose lines red, blocked and
	// degraded ones yellow, what is done green, with ANSI escapes: only for
	// a terminal.
	Color bool
}

// WriteStatus prints the status at now for a terminal, without forecast
// or colour: the run, progress, milestones and the steps started, failed,
// blocked and ready, the crew and the services down.
func WriteStatus(w io.Writer, s *Status, now time.Time) error {
	return View{Now: now}.Write(w, s)
}

// Write prints the status as v says, one section after the other.
func (v View) Write(w io.Writer, s *Status) error {
	b := s.Board(v.Now)
	p := &statusPrinter{color: v.Color, loc: s.Location()}
	for _, section := range []func(*statusPrinter, *Board, View){
		writeHeader, writeProgress, writeMilestones, writeDegraded, writeForecast,
		writeAccepted, writeEnded, writeStarted, writeFailed, writeBlocked,
		writeCrew, writeServices, writeCooling, writeReady, writeSkipped,
	} {
		section(p, b, v)
	}
	return writeTrimmed(w, p.b.String())
}

func writeHeader(p *statusPrinter, b *Board, v View) {
	title := b.Title
	if title == "" {
		title = b.Plan
	}
	kind := "run"
	if b.Rehearsal {
		kind = "rehearsal"
	}
	p.line(toneNone, "%s %s: %s", kind, b.Run, title)
	p.line(toneNone, "window %s – %s %s", clock(b.WindowStart, p.loc, true), clock(b.WindowEnd, p.loc, true), b.TimeZone)
	if b.Now.IsZero() {
		return
	}
	local := v.Local
	if local == nil {
		local = time.Local
	}
	here := ""
	_, planOffset := b.Now.In(p.loc).Zone()
	if _, offset := b.Now.In(local).Zone(); offset != planOffset {
		at, layout := b.Now.In(local), "15:04 MST"
		if at.Day() != b.Now.In(p.loc).Day() {
			layout = "Mon 2 Jan 15:04 MST"
		}
		here = " (" + at.Format(layout) + " here)"
	}
	zone := b.TimeZone
	if zone == "" {
		zone = p.loc.String()
	}
	p.line(toneNone, "now %s %s%s", clock(b.Now, p.loc, true), zone, here)
}

func writeProgress(p *statusPrinter, b *Board, _ View) {
	t := b.Progress
	line := fmt.Sprintf("progress %d/%d steps done (%d%%): %d started, %d ready, %d waiting",
		t.Done, t.Total, t.Percent, t.Started, t.Ready, t.Waiting)
	if t.Failed+t.Skipped > 0 {
		line += fmt.Sprintf(", %d failed, %d skipped", t.Failed, t.Skipped)
	}
	p.line(toneNone, "%s", line)
	if len(b.Phases) > 0 {
		var parts []string
		for _, ph := range b.Phases {
			part := fmt.Sprintf("%s %d/%d", ph.Phase, ph.Done, ph.Total)
			if ph.Done == ph.Total {
				part = p.paint(toneGreen, part)
			}
			parts = append(parts, part)
		}
		p.line(toneNone, "by phase: %s", strings.Join(parts, ", "))
	}
	if b.Late > 0 {
		p.line(toneRed, "%d step(s) LATE, marked below", b.Late)
	}
}

func writeMilestones(p *statusPrinter, b *Board, _ View) {
	if b.BackingOut {
		p.line(toneRed, "BACKING OUT since %s (%s); %d forward steps cancelled", clock(b.BackoutSince, p.loc, false), b.BackoutReason, b.Progress.Cancelled)
	} else if !b.PointOfNoReturn.IsZero() {
		left := "passed"
		if b.PointOfNoReturnLeft > 0 {
			left = planner.Span(time.Duration(b.PointOfNoReturnLeft)) + " left"
		}
		p.line(toneNone, "point of no return %s (%s); going past it needs a signed go", clock(b.PointOfNoReturn, p.loc, true), left)
	}
	if g := b.NextGate; g != nil {
		line := "next gate: " + g.ID
		if !g.PlannedStart.IsZero() {
			line += ", planned " + clock(g.PlannedStart, p.loc, true)
		}
		switch {
		case g.State == Started:
			line += ", under way since " + clock(g.Since, p.loc, false)
		case g.State == Ready:
			line += ", ready"
		case g.Waiting > 0:
			line += fmt.Sprintf(", waits for %d step(s)", g.Waiting)
		}
		t := toneNone
		if g.Reason != "" {
			line += ", BLOCKED"
			t = toneYellow
		}
		if signed := signatures(g.Signed); signed != "" {
			line += "; signed " + signed
		}
		if g.Late > 0 {
			line += "  LATE by " + planner.Span(time.Duration(g.Late))
			t = toneRed
		}
		p.line(t, "%s", line)
	}
}

func signatures(signed map[string]events.Decision) string {
	var out []string
	for _, role := range slices.Sorted(maps.Keys(signed)) {
		out = append(out, role+" "+string(signed[role]))
	}
	return strings.Join(out, ", ")
}

func writeDegraded(p *statusPrinter, b *Board, _ View) {
	if b.Degraded {
		p.line(toneYellow, "DEGRADED MODE since %s (%s): down on purpose: %s", clock(b.DegradedSince, p.loc, false), planner.Span(time.Duration(b.DegradedFor)), orNone(b.Down))
	} else if b.DegradedFor > 0 {
		p.line(toneNone, "degraded mode lasted %s", planner.Span(time.Duration(b.DegradedFor)))
	}
}

// writeForecast prints the forecast: "forecast: the move ends Sun 6 Dec
// 03:10 (P90 05:40); 87% chance to end inside the window; phase move
// running x1.3".
func writeForecast(p *statusPrinter, b *Board, v View) {
	e := v.Forecast
	label := "forecast"
	if e != nil && v.AsOf {
		label += " as of " + e.At.In(p.loc).Format("15:04:05")
	}
	if e == nil || e.Ended {
		if e == nil && v.ForecastNote != "" && b.MoveEnded.IsZero() {
			p.line(toneNone, "%s: %s", label, v.ForecastNote)
		}
		return
	}
	t := toneNone
	line := label + ": the move ends " + clock(e.End, p.loc, true)
	if e.Samples > 0 {
		line += " (P90 " + clockAfter(e.P90, e.End, p.loc) + ")"
	}
	if !e.WindowEnd.IsZero() && e.End.After(e.WindowEnd) {
		line += ", " + planner.Span(e.End.Sub(e.WindowEnd)) + " after the window closes"
		t = toneRed
	}
	if e.Samples > 0 && !e.WindowEnd.IsZero() {
		line += "; " + chance(e.Probability) + " chance to end inside the window"
	}
	var paces []string
	for _, pc := range e.Paces {
		if pc.Remaining > 0 && math.Abs(pc.Factor-1) >= 0.05 {
			paces = append(paces, fmt.Sprintf("phase %s running x%.1f", pc.Phase, pc.Factor))
		}
	}
	if len(paces) > 0 {
		line += "; " + strings.Join(paces, ", ")
	}
	p.line(t, "%s", line)
}

// chance formats a probability without rounding to a certainty it is not.
func chance(x float64) string {
	n := math.Round(100 * x)
	switch {
	case n >= 100 && x < 1:
		n = 99
	case n <= 0 && x > 0:
		return "<1%"
	}
	return fmt.Sprintf("%.0f%%", n)
}

// clockAfter formats t, with the day only if it is not the day of ref.
func clockAfter(t, ref time.Time, loc *time.Location) string {
	if t.In(loc).YearDay() == ref.In(loc).YearDay() && t.In(loc).Year() == ref.In(loc).Year() {
		return t.In(loc).Format("15:04")
	}
	return clock(t, loc, true)
}

func writeAccepted(p *statusPrinter, b *Board, _ View) {
	if len(b.Accepted) > 0 {
		p.line(toneNone, "warnings accepted at the start: %s (see dcmove audit)", strings.Join(b.Accepted, ", "))
	}
}

func writeEnded(p *statusPrinter, b *Board, _ View) {
	if !b.MoveEnded.IsZero() && !b.WindowEnd.IsZero() {
		if b.MoveEnded.After(b.WindowEnd) {
			p.line(toneRed, "the move ended %s, %s after the window closed", clock(b.MoveEnded, p.loc, true), planner.Span(b.MoveEnded.Sub(b.WindowEnd)))
		} else {
			p.line(toneGreen, "the move ended %s, %s before the window closes", clock(b.MoveEnded, p.loc, true), planner.Span(b.WindowEnd.Sub(b.MoveEnded)))
		}
	}
	if !b.Finished.IsZero() {
		p.line(toneGreen, "finished %s", clock(b.Finished, p.loc, true))
	}
}

func writeStarted(p *statusPrinter, b *Board, _ View) {
	var rows []tableRow
	for _, l := range b.Started {
		t, late := toneNone, ""
		if l.Late > 0 {
			t, late = toneRed, "  LATE by "+planner.Span(time.Duration(l.Late))
		}
		rows = append(rows, tableRow{t, []string{"  " + l.ID, l.Title,
			fmt.Sprintf("%s since %s, planned %s%s", l.By, clock(l.Since, p.loc, false), planner.Span(time.Duration(l.Planned)), late)}})
	}
	p.table(toneNone, "started:", rows)
}

func writeFailed(p *statusPrinter, b *Board, _ View) {
	var rows []tableRow
	for _, l := range b.Failed {
		rows = append(rows, tableRow{toneRed, []string{"  " + l.ID, l.Title, l.By + ": " + l.Reason}})
	}
	p.table(toneRed, "FAILED:", rows)
}

func writeBlocked(p *statusPrinter, b *Board, _ View) {
	var rows []tableRow
	for _, l := range b.Blocked {
		rows = append(rows, tableRow{toneYellow, []string{"  " + l.ID, l.Title, l.Reason + lateToStart(l)}})
	}
	p.table(toneYellow, "blocked:", rows)
}

func lateToStart(l StepLine) string {
	if l.Late == 0 || l.State == Started {
		return ""
	}
	return "  LATE to start by " + planner.Span(time.Duration(l.Late))
}

func writeCrew(p *statusPrinter, b *Board, _ View) {
	if !b.Finished.IsZero() {
		return // everyone is idle
	}
	var rows []tableRow
	for _, c := range b.Crew {
		what := "idle"
		if len(c.On) > 0 {
			what = "on " + strings.Join(c.On, ", ")
		}
		if !c.Since.IsZero() {
			what += " since " + clock(c.Since, p.loc, false)
		}
		rows = append(rows, tableRow{toneNone, []string{"  " + c.Name, strings.Join(c.Roles, ", "), what}})
	}
	p.table(toneNone, "crew:", rows)
}

func writeServices(p *statusPrinter, b *Board, _ View) {
	var rows []tableRow
	for _, sv := range b.ServicesDown {
		t, why := toneYellow, "on purpose (degraded mode)"
		if !sv.OnPurpose {
			t, why = toneRed, "NOT on purpose"
			if sv.Vital {
				why += ", vital"
			}
		}
		rto := "no RTO"
		if sv.RTO > 0 {
			rto = "RTO " + planner.Span(time.Duration(sv.RTO))
			if sv.Over > 0 {
				rto += ", OVER by " + planner.Span(time.Duration(sv.Over))
				t = toneRed
			}
		}
		rows = append(rows, tableRow{t, []string{"  " + sv.ID, why,
			fmt.Sprintf("down %s since %s (%s)", planner.Span(time.Duration(sv.Down)), clock(sv.Since, p.loc, false), rto)}})
	}
	p.table(toneNone, "services down:", rows)
}

func writeCooling(p *statusPrinter, b *Board, _ View) {
	var rows []tableRow
	for _, c := range b.Cooling {
		left := "elapsed"
		if c.Left > 0 {
			left = planner.Span(time.Duration(c.Left)) + " left"
		}
		rows = append(rows, tableRow{toneNone, []string{"  " + c.Asset, "until " + clock(c.Until, p.loc, false), left}})
	}
	p.table(toneNone, "cooling down:", rows)
}

func writeReady(p *statusPrinter, b *Board, _ View) {
	var rows []tableRow
	for _, l := range b.Ready {
		who := l.Role
		if who == "" {
			who = "anyone"
		}
		gate := ""
		if l.Gate {
			gate = "  (go/no-go gate"
			if signed := signatures(l.Signed); signed != "" {
				gate += ": " + signed
			}
			gate += ")"
		}
		t := toneNone
		if l.Late > 0 {
			t = toneRed
		}
		rows = append(rows, tableRow{t, []string{"  " + l.ID, l.Title,
			fmt.Sprintf("%s, planned %s%s%s", who, planner.Span(time.Duration(l.Planned)), gate, lateToStart(l))}})
	}
	p.table(toneNone, "ready to start:", rows)
}

func writeSkipped(p *statusPrinter, b *Board, _ View) {
	if b.Skipped > 0 {
		p.line(toneNone, "\n%d event(s) in the log were not understood and were skipped (see dcmove audit)", b.Skipped)
	}
}

// tone is the colour of a line on a terminal.
type tone int

const (
	toneNone tone = iota
	toneRed
	toneYellow
	toneGreen
)

// statusPrinter builds the text of a status, painting lines when asked to.
type statusPrinter struct {
	b     strings.Builder
	color bool
	loc   *time.Location
}

func (p *statusPrinter) paint(t tone, s string) string {
	if !p.color || t == toneNone || s == "" {
		return s
	}
	return [...]string{"", "\x1b[31m", "\x1b[33m", "\x1b[32m"}[t] + s + "\x1b[0m"
}

// line prints one line (or more: format may hold newlines) in tone t.
func (p *statusPrinter) line(t tone, format string, args ...any) {
	for _, l := range strings.Split(fmt.Sprintf(format, args...), "\n") {
		p.b.WriteString(p.paint(t, strings.TrimRight(l, " ")) + "\n")
	}
}

// tableRow is a line of a table: cells aligned in columns, in a tone.
type tableRow struct {
	tone  tone
	cells []string
}

// table prints a titled table, each column as wide as its widest cell and
// two spaces (the last column is not padded), after an empty line. It
// prints nothing without rows.
func (p *statusPrinter) table(t tone, title string, rows []tableRow) {
	if len(rows) == 0 {
		return
	}
	var widths []int
	for _, r := range rows {
		for i, c := range r.cells[:len(r.cells)-1] {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	p.b.WriteString("\n")
	p.line(t, "%s", title)
	for _, r := range rows {
		var l strings.Builder
		for i, c := range r.cells {
			l.WriteString(c)
			if i < len(r.cells)-1 {
				l.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		p.line(r.tone, "%s", l.String())
	}
}

// moveEnd returns when the last step of the window finished, once every
// step of the window is done, skipped or cancelled.
func (s *Status) moveEnd() (time.Time, bool) {
	var last time.Time
	for _, st := range s.Work() {
		if st.Timing != "" && st.Timing != "window" {
			continue
		}
		switch st.State() {
		case Done, Skipped, Cancelled:
			if st.Done.After(last) {
				last = st.Done
			}
		default:
			return time.Time{}, false
		}
	}
	return last, !last.IsZero()
}

func (s *Status) lastDone() time.Time {
	var last time.Time
	for _, st := range s.Steps {
		if st.Done.After(last) {
			last = st.Done
		}
	}
	return last
}

// WriteTrail prints the audit trail as a table: time, actor, event, step,
// and planned vs actual for finished steps.
func WriteTrail(w io.Writer, t *Trail) error {
	loc := time.UTC
	if l, err := time.LoadLocation(t.TimeZone); err == nil {
		loc = l
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SEQ\tTIME (%s)\tACTOR\tEVENT\tSUBJECT\tPLANNED\tACTUAL\n", loc)
	for _, e := range t.Entries {
		what := e.What
		if e.Skipped != "" {
			what = "SKIPPED: " + e.Skipped
		}
		planned, actual := "", ""
		if e.Planned > 0 || e.Actual > 0 {
			planned, actual = planner.Span(e.Planned), planner.Span(e.Actual)
		}
		at := ""
		if !e.Time.IsZero() {
			at = e.Time.In(loc).Format("Mon 2 Jan 15:04:05")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, at, e.Actor, what, e.Subject, planned, actual)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeTrimmed(w, b.String())
}

// writeTrimmed writes text without the padding tabwriter leaves at the end
// of lines.
func writeTrimmed(w io.Writer, text string) error {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \n")
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	_, err := io.WriteString(w, strings.Join(lines, ""))
	return err
}

// clock formats t in loc, with the day when withDay is set.
func clock(t time.Time, loc *time.Location, withDay bool) string {
	if t.IsZero() {
		return "?"
	}
	if withDay {
		return t.In(loc).Format("Mon 2 Jan 15:04")
	}
	return t.In(loc).Format("Mon 15:04")
}
