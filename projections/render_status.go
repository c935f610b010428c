package projections

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

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
	// Lost, when not zero, is since when the event store has been out of
	// reach (LostWhy says why): the status is as of then, and the first
	// line says so.
	Lost    time.Time
	LostWhy string
	// Store, when set, is a line on the event store's health (writes
	// failing, or failed and recovered); StoreFailing paints it red.
	Store        string
	StoreFailing bool
}

// WriteStatus prints the status at now for a terminal, without forecast
// or colour: the run, progress, milestones and the steps started, failed,
// blocked and ready, the crew and the services down.
func WriteStatus(w io.Writer, s *Status, now time.Time) error {
	return View{Now: now}.Write(w, s)
}

// Write prints the status as v says: its [Board] at v.Now.
func (v View) Write(w io.Writer, s *Status) error {
	return v.WriteBoard(w, s.Board(v.Now))
}

// WriteBoard prints a board as v says, one section after the other, with
// its times in the plan's zone. v.Now is not read: the board was made for
// its own moment (b.Now).
func (v View) WriteBoard(w io.Writer, b *Board) error {
	p := &statusPrinter{color: v.Color, loc: b.Location()}
	for _, section := range []func(*statusPrinter, *Board, View){
		writeHeader, writeProgress, writeMilestones, writeDegraded, writeForecast,
		writeAccepted, writeEnded, writeStarted, writeFailed, writeBlocked,
		writeCrew, writeServices, writeValidation, writeCooling, writeReady, writeSkipped,
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
	if !v.Lost.IsZero() {
		p.line(toneRed, "CONNECTION LOST since %s (%s); retrying; what follows is as of then", v.Lost.In(p.loc).Format("15:04:05"), v.LostWhy)
	}
	if v.Store != "" {
		t := toneNone
		if v.StoreFailing {
			t = toneRed
		}
		p.line(t, "%s", v.Store)
	}
	p.line(toneNone, "%s %s: %s", kind, b.Run, title)
	p.line(toneNone, "window %s – %s %s", clock(b.WindowStart, p.loc, true), clock(b.WindowEnd, p.loc, true), b.TimeZone)
	if !b.Signed && b.Run != "" {
		p.line(toneNone, "actions unsigned: the plan lists no crew keys, so anyone can record as anyone (see dcmove keys new)")
	}
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
	if b.Head != "" {
		p.line(toneNone, "head seq %d sha256 %s (dcmove audit verify prints it whole)", b.Seq, shortHash(b.Head))
	}
}

// shortHash is the first 12 hex digits of a hash, as the status shows it.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
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
			pace := fmt.Sprintf("phase %s running x%.1f", pc.Phase, pc.Factor)
			if pc.High > 0 {
				pace += fmt.Sprintf(" (x%.1f–x%.1f over %d steps)", pc.Low, pc.High, pc.Finished)
			}
			paces = append(paces, pace)
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
	if len(b.KeptUp) > 0 {
		p.line(toneGreen, "kept up on purpose while their machines move in two waves: %s", strings.Join(b.KeptUp, ", "))
	}
}

// writeValidation shows the services and assets whose checks ran: up, or
// what is still to pass. Before any check ran, it says nothing.
func writeValidation(p *statusPrinter, b *Board, _ View) {
	ran := false
	for _, v := range b.Validation {
		if v.Results > 0 {
			ran = true
		}
	}
	var rows []tableRow
	for _, l := range b.Overridden {
		rows = append(rows, tableRow{toneYellow, []string{"  " + l.ID, "done without its facts, by " + l.By + "'s override: " + l.Reason}})
	}
	if len(rows) > 0 {
		p.table(toneNone, "overridden (deviations):", rows)
		rows = nil
	}
	if !ran {
		return
	}
	for _, v := range b.Validation {
		if v.Up {
			rows = append(rows, tableRow{toneGreen, []string{"  " + v.Of, "up: every check passed from every vantage point"}})
			continue
		}
		rows = append(rows, tableRow{toneYellow, []string{"  " + v.Of, "not validated: " + strings.Join(v.Pending, "; ")}})
	}
	p.table(toneNone, "checks (dcmove check status):", rows)
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
	if b.Unsigned > 0 {
		p.line(toneRed, "\n%d event(s) not signed by their actor were ignored (forged or altered: dcmove audit verify names them)", b.Unsigned)
	}
	if n := b.Skipped - b.Unsigned; n > 0 {
		p.line(toneNone, "\n%d event(s) in the log were not understood and were skipped (see dcmove audit)", n)
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
