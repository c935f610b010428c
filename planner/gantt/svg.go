package gantt

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Geometry of the SVG chart, in pixels.
const (
	svgWidth     = 1320
	svgLabelX    = 24   // left edge of the step titles
	svgPlotX0    = 372  // left edge of the time axis
	svgPlotX1    = 1296 // right edge of the time axis
	svgRowH      = 24   // height of a step's row
	svgGroupH    = 26   // height of a phase's heading row
	svgBarH      = 14   // height of a bar
	svgLabelRune = 50   // longest step title shown before it is cut
	svgCharW     = 6.6  // rough width of a character at 11-12px, to place text
)

// Colours of the SVG chart.
const (
	colCritical    = "#d32f2f"
	colGate        = "#37474f"
	colSlack       = "#90a4ae"
	colWindowStart = "#2e7d32"
	colWindowEnd   = "#b71c1c"
	colPONR        = "#ef6c00"
	colOutside     = "#fdecea"
	colBefore      = "#f1f3f5"
	colGrid        = "#e6e8eb"
	colGridMajor   = "#cfd4da"
	colText        = "#1f2933"
	colMuted       = "#5f6b7a"
)

// phaseColours are the colours of the non-critical bars of each phase, in
// order of first appearance; none is close to the critical red.
var phaseColours = []string{"#3f6fb5", "#2e8b7a", "#7e57c2", "#8d6e3f", "#546e7a", "#5c8a2e"}

// svgFont is the font stack of the chart: what the reader's system has,
// then the fonts of a bare Linux box.
const svgFont = `'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif`

// SVG writes c as one self-contained SVG image: a title with the window,
// makespan and point of no return; a time axis with hour ticks in
// c.Location; one row per bar with the step's title at the left, phases as
// coloured bands with a heading, critical bars in red and the others in
// their phase's colour, gates as diamonds at their end, back-out steps
// hatched, slack as a grey whisker after the bar and who does the step on
// or beside it; vertical lines for the window start and end and the point
// of no return, each labelled; a legend. Each step has a tooltip (an SVG
// title) with its id, times, duration, who and slack.
//
// Each bar is one element of class "bar" with a data-id attribute holding
// the step id, so tests and scripts can find it; the point of no return is
// the line with id "ponr".
func SVG(w io.Writer, c Chart) error {
	f, err := newFrame(c)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, svgChart(f, true))
	return err
}

// svgChart draws f; with heading, the chart starts with its title and
// summary lines, which a page that shows them itself leaves out.
func svgChart(f *frame, heading bool) string {
	s := &svgDoc{f: f}
	s.draw(heading)
	return s.b.String()
}

// svgDoc is an SVG chart being written.
type svgDoc struct {
	f *frame
	b strings.Builder
}

func (s *svgDoc) p(format string, args ...any) {
	fmt.Fprintf(&s.b, format, args...)
	s.b.WriteByte('\n')
}

// x is where t falls on the time axis.
func (s *svgDoc) x(t time.Time) float64 {
	return svgPlotX0 + s.f.frac(t)*(svgPlotX1-svgPlotX0)
}

func (s *svgDoc) colour(b Bar) string {
	if b.Critical {
		return colCritical
	}
	for i, p := range s.f.phases {
		if p == b.Phase {
			return phaseColours[i%len(phaseColours)]
		}
	}
	return phaseColours[0]
}

// marker is a labelled vertical line across the chart.
type marker struct {
	id, class, label, colour, dash string
	t                              time.Time
	width                          float64
}

func (s *svgDoc) markers() []marker {
	f := s.f
	var ms []marker
	if !f.WindowStart.IsZero() {
		ms = append(ms, marker{"window-start", "marker window-start", "window start " + f.when(f.WindowStart), colWindowStart, "3 3", f.WindowStart, 1.5})
	}
	if !f.PointOfNoReturn.IsZero() {
		ms = append(ms, marker{"ponr", "marker ponr", "point of no return " + f.when(f.PointOfNoReturn), colPONR, "7 4", f.PointOfNoReturn, 2})
	}
	if !f.WindowEnd.IsZero() {
		ms = append(ms, marker{"window-end", "marker window-end", "window end " + f.when(f.WindowEnd), colWindowEnd, "", f.WindowEnd, 2})
	}
	return ms
}

func (s *svgDoc) draw(heading bool) {
	f := s.f
	y := 0.0
	if heading {
		y = 62
	}
	laneY := []float64{y + 18, y + 33} // marker labels, two lanes
	dayY, hourY := y+50, y+64
	axisY := y + 72

	// Rows: phase headings and bars, top to bottom.
	type row struct {
		y     float64
		group int
		bar   int // -1 for a phase heading
	}
	var rows []row
	ry := axisY + 6
	named := f.named()
	groupTop := make([]float64, len(f.groups))
	for gi, g := range f.groups {
		groupTop[gi] = ry
		if named {
			rows = append(rows, row{ry, gi, -1})
			ry += svgGroupH
		}
		for _, i := range g.bars {
			rows = append(rows, row{ry, gi, i})
			ry += svgRowH
		}
	}
	bottomY := ry + 4
	legendY := bottomY + 44
	legend := s.legendItems()
	legendRows := s.layoutLegend(legend)
	height := legendY + float64(legendRows)*22 + 12

	s.p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%s" viewBox="0 0 %d %s" font-family="%s" font-size="12" fill="%s" role="img" aria-label="%s">`,
		svgWidth, num(height), svgWidth, num(height), svgFont, colText, esc(chartName(f)))
	s.p(`<title>%s</title>`, esc(chartName(f)))
	s.p(`<defs>`)
	s.p(`<pattern id="gantt-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><rect width="2.5" height="6" fill="%s"/></pattern>`, colMuted)
	s.p(`</defs>`)
	s.p(`<rect width="%d" height="%s" fill="#ffffff"/>`, svgWidth, num(height))

	if heading {
		s.p(`<text x="%d" y="30" font-size="19" font-weight="700">%s</text>`, svgLabelX, esc(chartName(f)))
		s.p(`<text x="%d" y="52" font-size="12.5" fill="%s">%s</text>`, svgLabelX, colMuted, s.summary())
	}

	// Backgrounds: outside the window, phase bands, grid.
	if !f.WindowStart.IsZero() && f.WindowStart.After(f.lo) {
		s.p(`<rect class="outside" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
			num(svgPlotX0), num(axisY), num(s.x(f.WindowStart)-svgPlotX0), num(bottomY-axisY), colBefore)
	}
	if !f.WindowEnd.IsZero() && f.WindowEnd.Before(f.hi) {
		s.p(`<rect class="outside" x="%s" y="%s" width="%s" height="%s" fill="%s"/>`,
			num(s.x(f.WindowEnd)), num(axisY), num(svgPlotX1-s.x(f.WindowEnd)), num(bottomY-axisY), colOutside)
	}
	for gi, g := range f.groups {
		if !named {
			break
		}
		top := groupTop[gi]
		h := svgGroupH + float64(len(g.bars))*svgRowH
		col := phaseColours[indexOf(f.phases, g.phase)%len(phaseColours)]
		first, last := f.groupSpan(g)
		steps := "steps"
		if len(g.bars) == 1 {
			steps = "step"
		}
		s.p(`<g class="phase" data-phase="%s">`, esc(g.phase))
		s.p(`<rect x="8" y="%s" width="%d" height="%s" fill="%s" fill-opacity="0.07"/>`, num(top), svgPlotX1-8, num(h-2), col)
		s.p(`<rect x="8" y="%s" width="4" height="%s" fill="%s"/>`, num(top), num(h-2), col)
		s.p(`<text x="%d" y="%s" font-size="12.5"><tspan font-weight="700" fill="%s" letter-spacing="0.04em">%s</tspan><tspan dx="10" font-size="11" fill="%s">%d %s · %s–%s</tspan></text>`,
			svgLabelX, num(top+17), col, esc(strings.ToUpper(truncate(phaseName(g.phase), 30))),
			colMuted, len(g.bars), steps, esc(f.when(first)), esc(f.when(last)))
		s.p(`</g>`)
	}
	all, labelled := f.ticks(svgPlotX1-svgPlotX0, 58)
	s.p(`<g class="grid">`)
	for _, t := range all {
		col := colGrid
		if t.In(f.Location).Hour() == 0 {
			col = colMuted
		} else if containsTime(labelled, t) {
			col = colGridMajor
		}
		s.p(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1"/>`, num(s.x(t)), num(axisY), num(s.x(t)), num(bottomY), col)
	}
	s.p(`<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s" stroke-width="1"/>`, svgPlotX0, num(axisY), svgPlotX1, num(axisY), colMuted)
	s.p(`<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s" stroke-width="1"/>`, svgPlotX0, num(bottomY), svgPlotX1, num(bottomY), colMuted)
	s.p(`</g>`)

	// Axis labels: the day, then the hours, above and below the rows.
	s.p(`<g class="axis" font-size="11" fill="%s">`, colMuted)
	s.p(`<text x="%d" y="%s" font-weight="700" fill="%s">%s</text>`, svgPlotX0+3, num(dayY), colText, esc(f.lo.In(f.Location).Format(dayLayout)))
	for _, t := range all {
		if t.In(f.Location).Hour() == 0 && s.x(t) > svgPlotX0+80 {
			s.p(`<text x="%s" y="%s" font-weight="700" fill="%s">%s</text>`, num(s.x(t)+3), num(dayY), colText, esc(t.In(f.Location).Format(dayLayout)))
		}
	}
	for _, t := range labelled {
		label := esc(t.In(f.Location).Format(clockLayout))
		s.p(`<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(s.x(t)), num(hourY), label)
		s.p(`<text x="%s" y="%s" text-anchor="middle">%s</text>`, num(s.x(t)), num(bottomY+15), label)
	}
	s.p(`</g>`)

	// Steps.
	for _, r := range rows {
		if r.bar < 0 {
			continue
		}
		s.bar(f.Bars[r.bar], r.y)
	}

	// Markers over everything, labelled above the axis.
	var lanesEnd [2]float64
	for i := range lanesEnd {
		lanesEnd[i] = math.Inf(-1)
	}
	for _, m := range s.markers() {
		x := s.x(m.t)
		w := float64(utf8.RuneCountInString(m.label))*svgCharW + 4
		anchor, left := "middle", x-w/2
		switch {
		case x-w/2 < svgPlotX0-40:
			anchor, left = "start", x-4
		case x+w/2 > svgWidth-8:
			anchor, left = "end", x-w+4
		}
		lane := 0
		if left < lanesEnd[0]+8 {
			lane = 1
		}
		lanesEnd[lane] = left + w
		tx := x
		switch anchor {
		case "start":
			tx = x - 4
		case "end":
			tx = x + 4
		}
		dash := ""
		if m.dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, m.dash)
		}
		s.p(`<g class="%s">`, m.class)
		s.p(`<line id="%s" x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s/>`,
			m.id, num(x), num(laneY[lane]+4), num(x), num(bottomY), m.colour, num(m.width), dash)
		s.p(`<text x="%s" y="%s" text-anchor="%s" font-size="11" font-weight="700" fill="%s">%s</text>`,
			num(tx), num(laneY[lane]), anchor, m.colour, esc(m.label))
		s.p(`</g>`)
	}

	s.legend(legend, legendY)
	s.p(`</svg>`)
}

// bar draws one step's row whose top is at y.
func (s *svgDoc) bar(b Bar, y float64) {
	f := s.f
	mid := y + svgRowH/2
	x0, x1 := s.x(b.Start), s.x(b.End)
	w := max(x1-x0, 2)
	col := s.colour(b)

	tip := []string{oneLine(b.ID) + " — " + oneLine(b.Title),
		fmt.Sprintf("%s – %s (%s)", f.date(b.Start), f.date(b.End), span(b.End.Sub(b.Start)))}
	if b.Who != "" {
		tip = append(tip, "who: "+oneLine(b.Who))
	}
	tip = append(tip, "slack: "+span(b.Slack))
	if n := f.notes(b); len(n) > 0 {
		tip = append(tip, strings.Join(n, ", "))
	}
	class := "step"
	if b.Critical {
		class += " critical"
	}
	s.p(`<g class="%s" data-id="%s">`, class, esc(b.ID))
	s.p(`<title>%s</title>`, esc(strings.Join(tip, "\n")))
	s.p(`<line x1="8" y1="%s" x2="%d" y2="%s" stroke="%s" stroke-width="0.6"/>`, num(y+svgRowH), svgPlotX1, num(y+svgRowH), colGrid)

	weight, fill := "400", colText
	if b.Critical {
		weight = "600"
	}
	if b.Backout {
		fill = colMuted
	}
	title := b.Title
	if strings.TrimSpace(title) == "" {
		title = b.ID
	}
	s.p(`<text x="%d" y="%s" font-weight="%s" fill="%s">%s</text>`, svgLabelX, num(mid+4), weight, fill, esc(truncate(title, svgLabelRune)))

	end := x0 + w
	if b.Slack > 0 {
		sx := min(s.x(b.End.Add(b.Slack)), svgPlotX1)
		if sx > end+1 {
			s.p(`<path class="slack" d="M%s %sH%sM%s %sV%s" stroke="%s" stroke-width="2" fill="none"/>`,
				num(end), num(mid), num(sx), num(sx), num(mid-4), num(mid+4), colSlack)
			end = sx
		}
	}

	id := esc(b.ID)
	switch {
	case b.Gate:
		cx, r := x1, 8.0
		gc := colGate
		if b.Critical {
			gc = colCritical
		}
		s.p(`<path class="bar gate" data-id="%s" d="M%s %sL%s %sL%s %sL%s %sZ" fill="%s" stroke="#ffffff" stroke-width="1.5"/>`,
			id, num(cx), num(mid-r), num(cx+r), num(mid), num(cx), num(mid+r), num(cx-r), num(mid), gc)
		x0, end = min(x0, cx-r), max(end, cx+r)
	case b.Backout:
		s.p(`<rect class="bar backout" data-id="%s" x="%s" y="%s" width="%s" height="%d" rx="3" fill="url(#gantt-hatch)" fill-opacity="0.55" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"/>`,
			id, num(x0), num(mid-svgBarH/2), num(w), svgBarH, col)
	default:
		class := "bar"
		if b.Critical {
			class += " critical"
		}
		s.p(`<rect class="%s" data-id="%s" x="%s" y="%s" width="%s" height="%d" rx="3" fill="%s"/>`,
			class, id, num(x0), num(mid-svgBarH/2), num(w), svgBarH, col)
	}

	// Who: inside a bar wide enough, else after the bar and its slack, else
	// before the bar.
	if who := truncate(b.Who, 24); who != "" {
		tw := float64(utf8.RuneCountInString(who)) * svgCharW
		switch {
		case !b.Gate && !b.Backout && tw+12 <= w:
			s.p(`<text x="%s" y="%s" font-size="11" fill="#ffffff">%s</text>`, num(x0+6), num(mid+4), esc(who))
		case end+6+tw <= svgWidth-4:
			s.p(`<text x="%s" y="%s" font-size="11" fill="%s">%s</text>`, num(end+6), num(mid+4), colMuted, esc(who))
		default:
			s.p(`<text x="%s" y="%s" font-size="11" text-anchor="end" fill="%s">%s</text>`, num(x0-6), num(mid+4), colMuted, esc(who))
		}
	}
	s.p(`</g>`)
}

// summary is the line under the title: window, makespan, point of no
// return and how the move ends against the window, as SVG text content.
func (s *svgDoc) summary() string {
	f := s.f
	var parts []string
	if win := f.window(); win != "" {
		parts = append(parts, "Window "+esc(win))
	}
	parts = append(parts, "makespan "+esc(span(f.makespan())))
	if !f.PointOfNoReturn.IsZero() {
		parts = append(parts, "point of no return "+esc(f.date(f.PointOfNoReturn)))
	}
	if fit, ok := f.fit(); fit != "" {
		col := colWindowStart
		if !ok {
			col = colWindowEnd
		}
		parts = append(parts, fmt.Sprintf(`<tspan font-weight="700" fill="%s">%s</tspan>`, col, esc(fit)))
	}
	return strings.Join(parts, " · ")
}

// legendItem is one entry of the legend: a swatch and what it means.
type legendItem struct {
	swatch func(x, y float64) string // draws the swatch, 24 wide, centred on y
	label  string
}

func (s *svgDoc) legendItems() []legendItem {
	f := s.f
	var crit, gate, backout, slack bool
	for _, b := range f.Bars {
		crit = crit || b.Critical
		gate = gate || b.Gate
		backout = backout || b.Backout
		slack = slack || b.Slack > 0
	}
	barSwatch := func(col string) func(x, y float64) string {
		return func(x, y float64) string {
			return fmt.Sprintf(`<rect x="%s" y="%s" width="24" height="%d" rx="3" fill="%s"/>`, num(x), num(y-svgBarH/2), svgBarH, col)
		}
	}
	lineSwatch := func(col, dash string, width float64) func(x, y float64) string {
		return func(x, y float64) string {
			d := ""
			if dash != "" {
				d = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
			}
			return fmt.Sprintf(`<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="%s"%s/>`, num(x+12), num(y-9), num(x+12), num(y+9), col, num(width), d)
		}
	}
	var items []legendItem
	if crit {
		items = append(items, legendItem{barSwatch(colCritical), "critical path"})
	}
	for i, p := range f.phases {
		label := "step"
		if p != "" || len(f.phases) > 1 {
			label = phaseName(truncate(p, 30)) + " step"
		}
		items = append(items, legendItem{barSwatch(phaseColours[i%len(phaseColours)]), label})
	}
	if gate {
		items = append(items, legendItem{func(x, y float64) string {
			return fmt.Sprintf(`<path d="M%s %sL%s %sL%s %sL%s %sZ" fill="%s"/>`, num(x+12), num(y-8), num(x+20), num(y), num(x+12), num(y+8), num(x+4), num(y), colGate)
		}, "go/no-go gate"})
	}
	if backout {
		items = append(items, legendItem{func(x, y float64) string {
			return fmt.Sprintf(`<rect x="%s" y="%s" width="24" height="%d" rx="3" fill="url(#gantt-hatch)" fill-opacity="0.55" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"/>`, num(x), num(y-svgBarH/2), svgBarH, colMuted)
		}, "back-out step"})
	}
	if slack {
		items = append(items, legendItem{func(x, y float64) string {
			return fmt.Sprintf(`<path d="M%s %sH%sM%s %sV%s" stroke="%s" stroke-width="2" fill="none"/>`, num(x), num(y), num(x+22), num(x+22), num(y-4), num(y+4), colSlack)
		}, "slack"})
	}
	if !f.WindowStart.IsZero() {
		items = append(items, legendItem{lineSwatch(colWindowStart, "3 3", 1.5), "window start"})
	}
	if !f.PointOfNoReturn.IsZero() {
		items = append(items, legendItem{lineSwatch(colPONR, "7 4", 2), "point of no return"})
	}
	if !f.WindowEnd.IsZero() {
		items = append(items, legendItem{lineSwatch(colWindowEnd, "", 2), "window end"})
		items = append(items, legendItem{func(x, y float64) string {
			return fmt.Sprintf(`<rect x="%s" y="%s" width="24" height="16" fill="%s" stroke="%s" stroke-width="0.6"/>`, num(x), num(y-8), colOutside, colGridMajor)
		}, "outside the window"})
	}
	items = append(items, legendItem{nil, "times in " + f.Location.String()})
	return items
}

// legendWidth is the room an item takes in the legend.
func legendWidth(it legendItem) float64 {
	w := float64(utf8.RuneCountInString(it.label))*6.1 + 22
	if it.swatch != nil {
		w += 30
	}
	return w
}

// layoutLegend returns how many lines the legend takes.
func (s *svgDoc) layoutLegend(items []legendItem) int {
	lines, x := 1, float64(svgLabelX+60)
	for _, it := range items {
		if x+legendWidth(it) > svgWidth-16 {
			lines++
			x = svgLabelX + 60
		}
		x += legendWidth(it)
	}
	return lines
}

func (s *svgDoc) legend(items []legendItem, y float64) {
	s.p(`<g class="legend" font-size="11.5">`)
	s.p(`<text x="%d" y="%s" font-weight="700">Legend</text>`, svgLabelX, num(y+4))
	x := float64(svgLabelX + 60)
	for _, it := range items {
		if x+legendWidth(it) > svgWidth-16 {
			y += 22
			x = svgLabelX + 60
		}
		tx := x
		if it.swatch != nil {
			s.p(`%s`, it.swatch(x, y))
			tx += 30
			s.p(`<text x="%s" y="%s">%s</text>`, num(tx), num(y+4), esc(it.label))
		} else {
			s.p(`<text x="%s" y="%s" fill="%s">%s</text>`, num(tx), num(y+4), colMuted, esc(it.label))
		}
		x += legendWidth(it)
	}
	s.p(`</g>`)
}

// chartName is the chart's title, or a plain name when it has none.
func chartName(f *frame) string {
	if t := oneLine(f.Title); t != "" {
		return t
	}
	return "Move schedule"
}

// num formats a coordinate to a tenth of a pixel, without trailing zeros.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// xmlEscaper escapes text for XML and HTML text and attribute values.
var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

// esc escapes s for XML text and attribute values, dropping the control
// characters XML cannot hold.
func esc(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return xmlEscaper.Replace(s)
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return 0
}

func containsTime(list []time.Time, t time.Time) bool {
	for _, v := range list {
		if v.Equal(t) {
			return true
		}
	}
	return false
}
