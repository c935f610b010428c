package gantt

import (
	"bufio"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultWidth is the number of bar columns [Text] draws when asked for
// zero or fewer.
const DefaultWidth = 72

// minWidth is the fewest bar columns [Text] draws; below it hours cannot
// be told apart.
const minWidth = 24

// Longest ids, names and titles [Text] shows before cutting them short.
const (
	textIDWidth    = 24
	textWhoWidth   = 16
	textTitleWidth = 40
)

// The characters [Text] draws with.
const (
	textWork    = '█'
	textSlack   = '░'
	textBackout = '▒'
	textGate    = '◆'
	textMarker  = '|'
)

// Text writes c for a terminal: a header with the window, makespan and
// point of no return; a ruler with the hours in c.Location; one line per
// bar with its id, a bar of '█' scaled to width columns followed by its
// slack in '░', its times, who does it and its title; and a legend.
// Critical steps are marked with '*', gates with '◆', back-out steps are
// drawn in '▒', and the point of no return and the window end are '|'
// columns, labelled P and E under the ruler.
//
// The bars take at most width columns, fewer when that puts the hours on
// whole columns: a column is 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30
// minutes, or whole hours. A width of zero or less means [DefaultWidth],
// and a width under 24 columns is taken as 24.
func Text(w io.Writer, c Chart, width int) error {
	f, err := newFrame(c)
	if err != nil {
		return err
	}
	if width <= 0 {
		width = DefaultWidth
	}
	width = max(width, minWidth)
	// A whole number of minutes per column that divides the hour (or a
	// whole number of hours), so that hours fall on columns.
	total := f.hi.Sub(f.lo)
	perCol := 24 * time.Hour
	for _, m := range []int{1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440} {
		if d := time.Duration(m) * time.Minute; int(total/d) <= width {
			perCol = d
			break
		}
	}
	width = max(int((total+perCol-1)/perCol), 1)

	idW, whoW, whenW := 4, 0, 0
	for _, b := range f.Bars {
		idW = max(idW, utf8.RuneCountInString(oneLine(b.ID)))
		whoW = max(whoW, utf8.RuneCountInString(oneLine(b.Who)))
		whenW = max(whenW, utf8.RuneCountInString(f.when(b.Start)+"–"+f.when(b.End)))
	}
	idW, whoW = min(idW, textIDWidth), min(whoW, textWhoWidth)
	indent := strings.Repeat(" ", 2+idW+2)

	col := func(t time.Time) int {
		return min(max(int(math.Round(float64(t.Sub(f.lo))/float64(perCol))), 0), width)
	}
	var lines []string
	add := func(parts ...string) {
		lines = append(lines, strings.TrimRight(strings.Join(parts, ""), " "))
	}

	// Header.
	if f.Title != "" {
		add(oneLine(f.Title))
	}
	if win := f.window(); win != "" {
		add("Window   ", win)
	}
	makespan := span(f.makespan()) + ", " + f.date(f.first) + " – " + f.date(f.last)
	if fit, _ := f.fit(); fit != "" {
		makespan += "; " + fit
	}
	add("Makespan ", makespan)
	if !f.PointOfNoReturn.IsZero() {
		add("PONR     ", f.date(f.PointOfNoReturn), " (point of no return)")
	}
	add()

	// Ruler: hour labels, ticks, then the marker letters.
	all, labelled := f.ticks(float64(width), 6)
	labels := []rune(strings.Repeat(" ", width))
	next := 0
	for _, t := range labelled {
		c, s := col(t), []rune(t.In(f.Location).Format(clockLayout))
		if c < next || c+len(s) > width {
			continue
		}
		copy(labels[c:], s)
		next = c + len(s) + 1
	}
	ruler := []rune(strings.Repeat("-", width))
	for _, t := range all {
		if t.Sub(f.lo)%perCol == 0 {
			ruler[min(col(t), width-1)] = '+'
		}
	}
	add(indent, string(labels))
	add(indent, string(ruler))
	markers := []rune(strings.Repeat(" ", width))
	var marks []int
	for _, m := range []struct {
		t      time.Time
		letter rune
	}{{f.PointOfNoReturn, 'P'}, {f.WindowEnd, 'E'}} {
		if m.t.IsZero() {
			continue
		}
		c := min(col(m.t), width-1)
		markers[c] = m.letter
		marks = append(marks, c)
	}
	if len(marks) > 0 {
		add(indent, string(markers))
	}

	// One line per bar, under a line per phase.
	named := f.named()
	for _, g := range f.groups {
		if named {
			add(phaseName(oneLine(g.phase)))
		}
		for _, i := range g.bars {
			b := f.Bars[i]
			cells := []rune(strings.Repeat(" ", width))
			for _, c := range marks {
				cells[c] = textMarker
			}
			c0 := min(col(b.Start), width-1)
			c1 := max(col(b.End), c0+1)
			fill := textWork
			if b.Backout {
				fill = textBackout
			}
			for c := c0; c < c1; c++ {
				cells[c] = fill
			}
			if b.Gate {
				cells[c1-1] = textGate
			}
			if b.Slack > 0 {
				for c := c1; c < min(col(b.End.Add(b.Slack)), width); c++ {
					if cells[c] == ' ' {
						cells[c] = textSlack
					}
				}
			}
			mark := "  "
			if b.Critical {
				mark = "* "
			}
			add(mark, pad(truncate(b.ID, idW), idW), "  ", string(cells), "  ",
				pad(f.when(b.Start)+"–"+f.when(b.End), whenW), "  ",
				pad(truncate(b.Who, whoW), whoW), "  ", truncate(b.Title, textTitleWidth))
		}
	}

	// Legend.
	add()
	add("Legend   * critical path  █ step  ░ slack  ▒ back-out step  ◆ go/no-go gate")
	var key []string
	if !f.PointOfNoReturn.IsZero() {
		key = append(key, "P | point of no return "+f.when(f.PointOfNoReturn))
	}
	if !f.WindowEnd.IsZero() {
		key = append(key, "E | window end "+f.when(f.WindowEnd))
	}
	if len(key) > 0 {
		add("         ", strings.Join(key, "  "))
	}
	add("         ", "times in ", f.Location.String())

	bw := bufio.NewWriter(w)
	for _, l := range lines {
		bw.WriteString(l)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// pad fills s with spaces to n characters.
func pad(s string, n int) string {
	if k := n - utf8.RuneCountInString(s); k > 0 {
		return s + strings.Repeat(" ", k)
	}
	return s
}
