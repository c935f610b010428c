package gantt

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"
)

// mermaidLayout is how times are written in a Mermaid chart; it matches
// the chart's "dateFormat YYYY-MM-DD HH:mm".
const mermaidLayout = "2006-01-02 15:04"

// Mermaid writes c as a Mermaid gantt diagram, to paste into Markdown: one
// section per phase, critical steps tagged crit, gates as milestones, and
// the window end and point of no return as vertical markers (the vert tag
// of Mermaid 11.7 and later). Times are written in c.Location; each
// step's title ends with who does it, and back-out steps are marked
// "(back-out)".
//
// Characters that Mermaid reads as syntax in titles (':', '#', ';', '%',
// '<', '>', '&', '"') are written as Mermaid entity codes such as "#58;",
// which Mermaid shows as the character.
func Mermaid(w io.Writer, c Chart) error {
	f, err := newFrame(c)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format+"\n", args...) }
	tm := func(t time.Time) string { return t.In(f.Location).Format(mermaidLayout) }

	p("gantt")
	if f.Title != "" {
		p("    title %s", mermaidText(f.Title))
	}
	p("    dateFormat YYYY-MM-DD HH:mm")
	p("    axisFormat %%H:%%M")
	p("    tickInterval %dhour", f.tickStep(1000, 70)) // Mermaid draws about 1000px wide
	p("    todayMarker off")
	if win := f.window(); win != "" {
		p("    %%%% window %s", win)
	}
	p("    %%%% times in %s", f.Location)

	named := f.named()
	for _, g := range f.groups {
		p("")
		if named {
			p("    section %s", mermaidText(phaseName(g.phase)))
		}
		for _, i := range g.bars {
			b := f.Bars[i]
			title := oneLine(b.Title)
			if title == "" {
				title = b.ID
			}
			if b.Backout {
				title += " (back-out)"
			}
			if who := oneLine(b.Who); who != "" {
				title += " — " + who
			}
			var tags []string
			if b.Critical {
				tags = append(tags, "crit")
			}
			if b.Gate {
				tags = append(tags, "milestone")
			}
			tags = append(tags, mermaidID(b.ID, i), tm(b.Start), tm(b.End))
			p("    %s :%s", mermaidText(title), strings.Join(tags, ", "))
		}
	}

	var marks []string
	if !f.PointOfNoReturn.IsZero() {
		marks = append(marks, fmt.Sprintf("    Point of no return %s :vert, ponr, %s, 0m",
			mermaidText(f.when(f.PointOfNoReturn)), tm(f.PointOfNoReturn)))
	}
	if !f.WindowEnd.IsZero() {
		marks = append(marks, fmt.Sprintf("    Window end %s :vert, window_end, %s, 0m",
			mermaidText(f.when(f.WindowEnd)), tm(f.WindowEnd)))
	}
	if len(marks) > 0 {
		p("")
		for _, m := range marks {
			p("%s", m)
		}
	}
	return bw.Flush()
}

// mermaidEntities are the characters that would end or break a title in
// Mermaid, and the entity codes Mermaid shows as them.
var mermaidEntities = strings.NewReplacer(
	":", "#58;",
	"#", "#35;",
	";", "#59;",
	"%", "#37;",
	"<", "#60;",
	">", "#62;",
	"&", "#38;",
	`"`, "#34;",
)

// mermaidText makes s safe as a Mermaid title, section or task name.
func mermaidText(s string) string {
	return mermaidEntities.Replace(oneLine(s))
}

// mermaidID makes a task id of a step id: letters, digits, '_' and '-'
// only; a step with no id gets one from its position.
func mermaidID(id string, i int) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return fmt.Sprintf("step%d", i+1)
	}
	return b.String()
}
