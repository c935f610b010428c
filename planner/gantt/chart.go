package gantt

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dcmove/dcmove/planner"
)

// ErrNoBars is returned by every rendering for a chart with no bars: there
// is nothing to draw.
var ErrNoBars = errors.New("gantt: chart has no bars")

// ErrInvalid is matched by errors.Is for a chart that cannot be drawn, such
// as a bar that ends before it starts.
var ErrInvalid = errors.New("gantt: invalid chart")

// Chart is a schedule to draw: the window the move must fit in, its point
// of no return, and one [Bar] per step.
type Chart struct {
	// Title names the move, e.g. "Workit weekend move, PA2 to PA3".
	Title string
	// Location is the time zone times are shown in, usually the site's;
	// nil means UTC.
	Location *time.Location
	// WindowStart and WindowEnd bound the window the move must fit in;
	// a zero time is not drawn.
	WindowStart, WindowEnd time.Time
	// PointOfNoReturn is the last moment a back-out can still finish inside
	// the window; zero means there is none to draw.
	PointOfNoReturn time.Time
	// Bars are the steps, in the order they are drawn, top to bottom.
	Bars []Bar
}

// Bar is one scheduled step of a [Chart].
type Bar struct {
	// ID is the step's id in the plan; Title says what the team does.
	ID, Title string
	// Phase groups the bars, e.g. before, move, after. Consecutive bars of
	// the same phase are drawn as one group.
	Phase string
	// Who is the crew member or vehicle the step is assigned to.
	Who string
	// Start and End are when the step is scheduled.
	Start, End time.Time
	// Slack is how late the step may finish without delaying the move.
	Slack time.Duration
	// Critical marks a step on the critical path.
	Critical bool
	// Gate marks a go/no-go decision, drawn as a milestone.
	Gate bool
	// Backout marks a step that runs only if the move backs out.
	Backout bool
}

// frame is a checked chart with what every rendering needs: the time zone,
// the time span of the axis and the bars grouped by phase.
type frame struct {
	Chart
	// lo and hi bound the axis, on whole hours in Location.
	lo, hi time.Time
	// first and last are the earliest start and the latest end of the
	// steps of the move: back-out steps only run if the move backs out,
	// so they count only in a chart of nothing else.
	first, last time.Time
	groups      []group
	phases      []string // distinct phases, in order of first appearance
}

// group is a run of consecutive bars of the same phase.
type group struct {
	phase string
	bars  []int
}

// newFrame checks c and lays out its time span and groups.
func newFrame(c Chart) (*frame, error) {
	if len(c.Bars) == 0 {
		return nil, fmt.Errorf("%w: add one bar per scheduled step", ErrNoBars)
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	f := &frame{Chart: c}
	allBackout := !slices.ContainsFunc(c.Bars, func(b Bar) bool { return !b.Backout })
	var lo, hi time.Time // the span of every bar, back-out steps included
	for i, b := range c.Bars {
		if b.Start.IsZero() || b.End.IsZero() {
			return nil, fmt.Errorf("%w: bar %d (%q) has no start or no end time", ErrInvalid, i+1, b.ID)
		}
		if b.End.Before(b.Start) {
			return nil, fmt.Errorf("%w: bar %d (%q) ends at %s, before it starts at %s", ErrInvalid, i+1, b.ID,
				b.End.In(c.Location).Format(time.DateTime), b.Start.In(c.Location).Format(time.DateTime))
		}
		if i == 0 || b.Start.Before(lo) {
			lo = b.Start
		}
		if i == 0 || b.End.After(hi) {
			hi = b.End
		}
		if !b.Backout || allBackout {
			if f.first.IsZero() || b.Start.Before(f.first) {
				f.first = b.Start
			}
			if f.last.IsZero() || b.End.After(f.last) {
				f.last = b.End
			}
		}
		if len(f.groups) == 0 || f.groups[len(f.groups)-1].phase != b.Phase {
			f.groups = append(f.groups, group{phase: b.Phase})
		}
		g := &f.groups[len(f.groups)-1]
		g.bars = append(g.bars, i)
		if !slices.Contains(f.phases, b.Phase) {
			f.phases = append(f.phases, b.Phase)
		}
	}
	for _, t := range []time.Time{c.WindowStart, c.WindowEnd, c.PointOfNoReturn} {
		if t.IsZero() {
			continue
		}
		if t.Before(lo) {
			lo = t
		}
		if t.After(hi) {
			hi = t
		}
	}
	f.lo = floorHour(lo, c.Location)
	f.hi = floorHour(hi, c.Location)
	if f.hi.Before(hi) || !f.hi.After(f.lo) {
		f.hi = f.hi.Add(time.Hour)
	}
	return f, nil
}

// frac is where t falls on the axis, 0 at its start and 1 at its end.
func (f *frame) frac(t time.Time) float64 {
	return float64(t.Sub(f.lo)) / float64(f.hi.Sub(f.lo))
}

// makespan is how long the move takes, first start to last end.
func (f *frame) makespan() time.Duration { return f.last.Sub(f.first) }

// multiDay reports whether the axis crosses midnight, so that times need
// their day to be read.
func (f *frame) multiDay() bool {
	a, b := f.lo.In(f.Location), f.hi.Add(-time.Nanosecond).In(f.Location)
	return a.YearDay() != b.YearDay() || a.Year() != b.Year()
}

// fit says how the last step ends against the window end, or "" with no
// window end.
func (f *frame) fit() (string, bool) {
	if f.WindowEnd.IsZero() {
		return "", true
	}
	switch d := f.last.Sub(f.WindowEnd); {
	case d > 0:
		return "ends " + span(d) + " after the window end", false
	case d == 0:
		return "ends exactly at the window end", true
	default:
		return "ends " + span(-d) + " before the window end", true
	}
}

// ticks returns every hour of the axis, and the hours to label: every
// tickStep hours.
func (f *frame) ticks(size, minGap float64) (all, labelled []time.Time) {
	step := f.tickStep(size, minGap)
	for t := f.lo; !t.After(f.hi); t = t.Add(time.Hour) {
		all = append(all, t)
		if t.In(f.Location).Hour()%step == 0 {
			labelled = append(labelled, t)
		}
	}
	return all, labelled
}

// tickStep is how many hours apart the axis is labelled: the smallest of
// 1, 2, 3, 4, 6, 12 or 24 hours that leaves at least minGap units between
// labels on an axis size units long.
func (f *frame) tickStep(size, minGap float64) int {
	hours := f.hi.Sub(f.lo).Hours()
	for _, s := range []int{1, 2, 3, 4, 6, 12} {
		if size/hours*float64(s) >= minGap {
			return s
		}
	}
	return 24
}

// floorHour returns t truncated to the hour on the wall clock of loc.
func floorHour(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc)
}

// span formats a duration for people: "45m", "1h30m", "0m".
func span(d time.Duration) string {
	if d == 0 {
		return "0m"
	}
	return planner.Span(d)
}

// Layouts of times shown to people.
const (
	clockLayout    = "15:04"
	dayClockLayout = "Mon 15:04"
	dateLayout     = "Mon 2 Jan 15:04"
	dayLayout      = "Mon 2 Jan"
)

// when formats t in the chart's zone, with its weekday when the chart spans
// more than one day.
func (f *frame) when(t time.Time) string {
	if f.multiDay() {
		return t.In(f.Location).Format(dayClockLayout)
	}
	return t.In(f.Location).Format(clockLayout)
}

// date formats t in the chart's zone with its date.
func (f *frame) date(t time.Time) string {
	return t.In(f.Location).Format(dateLayout)
}

// window describes the window, e.g. "Sat 5 Dec 07:00 – Sat 5 Dec 20:00
// (13h, Europe/Paris)", or "" with no window.
func (f *frame) window() string {
	s, e := f.WindowStart, f.WindowEnd
	switch {
	case !s.IsZero() && !e.IsZero():
		return fmt.Sprintf("%s – %s (%s, %s)", f.date(s), f.date(e), span(e.Sub(s)), f.Location)
	case !s.IsZero():
		return fmt.Sprintf("from %s (%s)", f.date(s), f.Location)
	case !e.IsZero():
		return fmt.Sprintf("until %s (%s)", f.date(e), f.Location)
	}
	return ""
}

// notes lists what is special about a bar, for tooltips and tables.
func (f *frame) notes(b Bar) []string {
	var out []string
	if b.Critical {
		out = append(out, "critical path")
	}
	if b.Gate {
		out = append(out, "go/no-go gate")
	}
	if b.Backout {
		out = append(out, "back-out step")
	}
	if !f.WindowEnd.IsZero() && b.End.After(f.WindowEnd) {
		out = append(out, "ends after the window")
	}
	return out
}

// phaseName is how a phase is shown; bars with no phase are grouped as
// "other steps".
func phaseName(p string) string {
	if strings.TrimSpace(p) == "" {
		return "other steps"
	}
	return p
}

// oneLine replaces the line breaks and tabs of s with spaces.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to at most n characters, ending it with "…" when
// something was cut.
func truncate(s string, n int) string {
	s = oneLine(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// named reports whether the bars have phases to show: more than one, or
// one with a name.
func (f *frame) named() bool {
	return len(f.phases) > 1 || f.phases[0] != ""
}

// groupSpan returns when the steps of g start and end, leaving out its
// back-out steps unless it has nothing else.
func (f *frame) groupSpan(g group) (first, last time.Time) {
	all := !slices.ContainsFunc(g.bars, func(i int) bool { return !f.Bars[i].Backout })
	for _, i := range g.bars {
		b := f.Bars[i]
		if b.Backout && !all {
			continue
		}
		if first.IsZero() || b.Start.Before(first) {
			first = b.Start
		}
		if last.IsZero() || b.End.After(last) {
			last = b.End
		}
	}
	return first, last
}
