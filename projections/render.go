package projections

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dcmove/dcmove/planner"
)

// WriteStatus prints the status for a terminal: the run, progress, and the
// steps started and ready. now is the time to measure running steps against.
func WriteStatus(w io.Writer, s *Status, now time.Time) error {
	loc := s.Location()
	c := s.Counts()
	total := len(s.Work()) - c[Cancelled]
	pct := 0
	if total > 0 {
		pct = 100 * c[Done] / total
	}
	title := s.Title
	if title == "" {
		title = s.Plan
	}
	var b strings.Builder
	kind := "run"
	if s.Rehearsal {
		kind = "rehearsal"
	}
	fmt.Fprintf(&b, "%s %s: %s\n", kind, s.Run, title)
	fmt.Fprintf(&b, "window %s – %s %s\n", clock(s.WindowStart, loc, true), clock(s.WindowEnd, loc, true), s.TimeZone)
	fmt.Fprintf(&b, "progress %d/%d steps done (%d%%): %d started, %d ready, %d waiting",
		c[Done], total, pct, c[Started], c[Ready], c[Pending])
	if c[Failed]+c[Skipped] > 0 {
		fmt.Fprintf(&b, ", %d failed, %d skipped", c[Failed], c[Skipped])
	}
	b.WriteString("\n")
	if s.BackingOut {
		fmt.Fprintf(&b, "BACKING OUT since %s (%s); %d forward steps cancelled\n", clock(s.BackoutSince, loc, false), s.BackoutReason, c[Cancelled])
	} else if !s.PointOfNoReturn.IsZero() {
		if gate, ok := s.Step("point-of-no-return"); !ok || gate.State() != Done {
			left := "passed"
			if s.PointOfNoReturn.After(now) {
				left = planner.Span(s.PointOfNoReturn.Sub(now)) + " left"
			}
			fmt.Fprintf(&b, "point of no return %s (%s); going past it needs a signed go\n", clock(s.PointOfNoReturn, loc, true), left)
		}
	}
	if s.Degraded {
		fmt.Fprintf(&b, "DEGRADED MODE since %s (%s): down on purpose: %s\n", clock(s.DegradedSince, loc, false), planner.Span(now.Sub(s.DegradedSince)+s.DegradedTotal), orNone(s.Down))
	} else if s.DegradedTotal > 0 {
		fmt.Fprintf(&b, "degraded mode lasted %s\n", planner.Span(s.DegradedTotal))
	}
	if len(s.Accepted) > 0 {
		var ids []string
		for _, a := range s.Accepted {
			if !slices.Contains(ids, a.Lint) {
				ids = append(ids, a.Lint)
			}
		}
		fmt.Fprintf(&b, "warnings accepted at the start: %s (see dcmove audit)\n", strings.Join(ids, ", "))
	}
	if moved, ok := s.moveEnd(); ok && !s.WindowEnd.IsZero() {
		if moved.After(s.WindowEnd) {
			fmt.Fprintf(&b, "the move ended %s, %s after the window closed\n", clock(moved, loc, true), planner.Span(moved.Sub(s.WindowEnd)))
		} else {
			fmt.Fprintf(&b, "the move ended %s, %s before the window closes\n", clock(moved, loc, true), planner.Span(s.WindowEnd.Sub(moved)))
		}
	}
	if s.Finished() {
		fmt.Fprintf(&b, "finished %s\n", clock(s.lastDone(), loc, true))
	}
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if started := s.In(Started); len(started) > 0 {
		fmt.Fprintln(tw, "\nstarted:")
		for _, st := range started {
			late := ""
			if run := now.Sub(st.Started); st.Planned > 0 && run > st.Planned {
				late = fmt.Sprintf("  LATE by %s", planner.Span(run-st.Planned))
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s since %s, planned %s%s\n", st.ID, st.Title, st.StartedBy, clock(st.Started, loc, false), planner.Span(st.Planned), late)
		}
	}
	if failed := s.In(Failed); len(failed) > 0 {
		fmt.Fprintln(tw, "\nFAILED:")
		for _, st := range failed {
			fmt.Fprintf(tw, "  %s\t%s\t%s: %s\n", st.ID, st.Title, st.DoneBy, st.Reason)
		}
	}
	var blocked []*Step
	for _, st := range s.Steps {
		if st.Blocked != "" {
			blocked = append(blocked, st)
		}
	}
	if len(blocked) > 0 {
		fmt.Fprintln(tw, "\nblocked:")
		for _, st := range blocked {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", st.ID, st.Title, st.Blocked)
		}
	}
	var down []*Service
	for _, sv := range s.Services {
		if !sv.DownSince.IsZero() {
			down = append(down, sv)
		}
	}
	if len(down) > 0 {
		fmt.Fprintln(tw, "\nservices down:")
		for _, sv := range down {
			why := "on purpose (degraded mode)"
			if !s.OnPurpose(sv.ID) {
				why = "NOT on purpose"
				if sv.Vital {
					why += ", vital"
				}
			}
			d := sv.Downtime(now)
			rto := "no RTO"
			if sv.RTO > 0 {
				rto = "RTO " + planner.Span(sv.RTO)
				if d > sv.RTO {
					rto += fmt.Sprintf(", OVER by %s", planner.Span(d-sv.RTO))
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\tdown %s since %s (%s)\n", sv.ID, why, planner.Span(d), clock(sv.DownSince, loc, false), rto)
		}
	}
	if len(s.Cooling) > 0 {
		fmt.Fprintln(tw, "\ncooling down:")
		for _, asset := range sortedKeys(s.Cooling) {
			until := s.Cooling[asset]
			left := "elapsed"
			if until.After(now) {
				left = planner.Span(until.Sub(now)) + " left"
			}
			fmt.Fprintf(tw, "  %s\tuntil %s\t%s\n", asset, clock(until, loc, false), left)
		}
	}
	if ready := s.In(Ready); len(ready) > 0 {
		fmt.Fprintln(tw, "\nready to start:")
		for _, st := range ready {
			who := st.Role
			if who == "" {
				who = "anyone"
			}
			gate := ""
			if st.Gate {
				gate = "  (go/no-go gate"
				var signed []string
				for _, role := range sortedKeys(st.Signed) {
					signed = append(signed, role+" "+st.Signed[role])
				}
				if len(signed) > 0 {
					gate += ": " + strings.Join(signed, ", ")
				}
				gate += ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s, planned %s%s\n", st.ID, st.Title, who, planner.Span(st.Planned), gate)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "\n%d event(s) in the log were not understood and were skipped (see dcmove audit)\n", s.Skipped)
	}
	return writeTrimmed(w, b.String())
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
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
