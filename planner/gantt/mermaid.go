package gantt

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// mermaidLayout is how times are written in a Mermaid chart; it matches
// the chart's "dateFormat YYYY-MM-DD HH:mm".
const mermaidLayout = "2006-01-02 15:04"

// Mermaid writes c as a Mermaid gantt diagram, to paste into Markdown: one
// section per phase, critical steps tagged crit, gates as milestones, and
// the point of no return and the window end as milestones of a last
// section, "limits". Times are written in c.Location; each step's title
// ends with who does it, and back-out steps are marked "(back-out)".
//
// Every line is valid in Mermaid 9.0 and later (GitHub, GitLab and the
// editors render one of 9, 10 or 11): no vert tag (Mermaid 11.7 and
// later, which older versions reject with the whole chart) and no
// tickInterval (9.3 and later; Mermaid picks the ticks). Characters that
// Mermaid reads as syntax in titles (':', '#', ';', '%', '<', '>', '&',
// '"') are written as Mermaid entity codes such as "#58;", which Mermaid
// shows as the character; so is the first letter of a task title that
// Mermaid would read as a keyword ("Call Equinix…", "Section off…",
// "Title deeds…", a date). Task ids are letters, digits, '-' and '_',
// unique, and never one of Mermaid's tags (crit, done…).
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
	p("    todayMarker off")
	if win := f.window(); win != "" {
		p("    %%%% window %s", win)
	}
	p("    %%%% times in %s", f.Location)

	ids := mermaidIDs{}
	named := f.named()
	for _, g := range f.groups {
		p("")
		if named {
			p("    section %s", mermaidText(phaseName(g.phase)))
		}
		for _, i := range g.bars {
			b := f.Bars[i]
			id := ids.of(b.ID, i)
			title := oneLine(b.Title)
			if title == "" {
				title = oneLine(b.ID)
			}
			if title == "" {
				title = id
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
			tags = append(tags, id, tm(b.Start), tm(b.End))
			p("    %s :%s", mermaidTask(title), strings.Join(tags, ", "))
		}
	}

	// The limits: milestones of no duration, drawn at their time.
	var marks []string
	if !f.PointOfNoReturn.IsZero() {
		marks = append(marks, fmt.Sprintf("    Point of no return %s :crit, milestone, %s, %s, 0m",
			mermaidText(f.when(f.PointOfNoReturn)), ids.of("ponr", -1), tm(f.PointOfNoReturn)))
	}
	if !f.WindowEnd.IsZero() {
		marks = append(marks, fmt.Sprintf("    Window end %s :milestone, %s, %s, 0m",
			mermaidText(f.when(f.WindowEnd)), ids.of("window_end", -1), tm(f.WindowEnd)))
	}
	if len(marks) > 0 {
		p("")
		p("    section limits")
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

// mermaidKeywords are the words Mermaid's gantt lexer reads at the start
// of a line, whatever their case, before a task's title (Mermaid 9 to 11).
var mermaidKeywords = []string{
	"acctitle", "accdescr", "href", "call", "click", "gantt", "dateformat", "inclusiveenddates",
	"topaxis", "axisformat", "tickinterval", "includes", "excludes", "todaymarker", "weekday",
	"weekend", "title", "section",
}

// mermaidDate is what Mermaid's lexer reads as a date at the start of a
// line.
var mermaidDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)

// mermaidTask makes s safe as a task's title: mermaidText, and its first
// character as an entity code when Mermaid would read the line as a
// keyword or a date.
func mermaidTask(s string) string {
	s = mermaidText(s)
	lower := strings.ToLower(s)
	keyword := mermaidDate.MatchString(s)
	for _, k := range mermaidKeywords {
		keyword = keyword || strings.HasPrefix(lower, k)
	}
	if !keyword {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return fmt.Sprintf("#%d;", r) + s[size:]
}

// mermaidTags are the words Mermaid reads as a task's tags when they come
// first in its data: a task id must not be one.
var mermaidTags = []string{"active", "done", "crit", "milestone", "vert"}

// mermaidIDs gives the tasks of a chart their ids, each once.
type mermaidIDs map[string]bool

// of makes a task id of a step id: letters, digits, '_' and '-' only; a
// step with no id gets one from its position (i), an id that is a tag
// word or already given gets a suffix.
func (ids mermaidIDs) of(id string, i int) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := b.String()
	if out == "" {
		out = fmt.Sprintf("step%d", i+1)
	}
	if slices.Contains(mermaidTags, strings.ToLower(out)) {
		out = "step-" + out
	}
	for base, n := out, 2; ids[out]; n++ {
		out = fmt.Sprintf("%s-%d", base, n)
	}
	ids[out] = true
	return out
}
