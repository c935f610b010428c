package gantt

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// htmlStyle is the page's whole style sheet: screen and print (A4
// landscape, colours kept).
const htmlStyle = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 24px auto; max-width: 1360px; padding: 0 20px; font-family: 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif; font-size: 14px; color: #1f2933; background: #ffffff; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 24px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.facts { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 18px; padding: 0; }
.facts div { border: 1px solid #dde1e6; border-radius: 6px; padding: 8px 14px; min-width: 150px; background: #f8f9fb; }
.facts dt { font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em; color: #5f6b7a; }
.facts dd { margin: 2px 0 0; font-size: 15px; font-weight: 600; }
.facts .late { border-color: #e57373; background: #fdecea; }
.facts .late dd { color: #b71c1c; }
.facts .ok dd { color: #2e7d32; }
figure { margin: 0; overflow-x: auto; border: 1px solid #dde1e6; border-radius: 6px; }
figure svg { display: block; width: 100%; height: auto; min-width: 900px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #e6e8eb; vertical-align: top; }
th { font-size: 11px; text-transform: uppercase; letter-spacing: 0.05em; color: #5f6b7a; border-bottom: 2px solid #cfd4da; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id { font-family: 'DejaVu Sans Mono', Consolas, Menlo, monospace; font-size: 12px; white-space: nowrap; }
tr.phase td { background: #f1f3f5; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; font-size: 12px; }
tr.critical td:first-child { box-shadow: inset 4px 0 0 #d32f2f; }
tr.critical td.id { font-weight: 700; }
tr.backout td { color: #5f6b7a; font-style: italic; }
.tag { display: inline-block; border-radius: 3px; padding: 0 5px; margin: 0 4px 2px 0; font-size: 11px; font-weight: 600; white-space: nowrap; }
.tag.critical { background: #fdecea; color: #b71c1c; }
.tag.gate { background: #eceff1; color: #37474f; }
.tag.backout { background: #f1f3f5; color: #5f6b7a; }
.tag.late { background: #b71c1c; color: #ffffff; }
footer { margin-top: 18px; color: #5f6b7a; font-size: 12px; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { margin: 0; padding: 0; max-width: none; font-size: 12px; }
  figure { border: none; overflow: visible; break-inside: avoid; }
  figure svg { min-width: 0; }
  h2 { break-before: page; }
  tr { break-inside: avoid; }
}
`

// HTML writes c as a self-contained HTML page to open in a browser or
// print (A4 landscape): the title; the window, makespan, point of no
// return and how the move ends against the window; the [SVG] chart; and a
// table of the steps by phase with their start, end, duration, slack, who
// and notes (critical path, gate, back-out, ends after the window). The
// page loads nothing from elsewhere and runs no script. It is also
// well-formed XML, so that tools can read it back.
func HTML(w io.Writer, c Chart) error {
	f, err := newFrame(c)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format+"\n", args...) }
	name := esc(chartName(f))

	p(`<!DOCTYPE html>`)
	p(`<html lang="en">`)
	p(`<head>`)
	p(`<meta charset="utf-8"/>`)
	p(`<meta name="viewport" content="width=device-width, initial-scale=1"/>`)
	p(`<meta name="generator" content="dcmove"/>`)
	p(`<title>%s — schedule</title>`, name)
	p(`<style>%s</style>`, htmlStyle)
	p(`</head>`)
	p(`<body>`)
	p(`<header>`)
	p(`<h1>%s</h1>`, name)
	p(`<dl class="facts">`)
	fact := func(class, term, value string) {
		if class != "" {
			class = fmt.Sprintf(` class="%s"`, class)
		}
		p(`<div%s><dt>%s</dt><dd>%s</dd></div>`, class, term, value)
	}
	if win := f.window(); win != "" {
		fact("", "Window", esc(win))
	}
	fact("", "Makespan", esc(fmt.Sprintf("%s (%s – %s)", span(f.makespan()), f.when(f.first), f.when(f.last))))
	if !f.PointOfNoReturn.IsZero() {
		fact("", "Point of no return", esc(f.date(f.PointOfNoReturn)))
	}
	if fit, ok := f.fit(); fit != "" {
		class := "ok"
		if !ok {
			class = "late"
		}
		fact(class, "Fit", esc(fit))
	}
	var crit, gates int
	for _, b := range f.Bars {
		if b.Critical {
			crit++
		}
		if b.Gate {
			gates++
		}
	}
	fact("", "Steps", esc(fmt.Sprintf("%d, %d on the critical path, %s", len(f.Bars), crit, plural(gates, "gate"))))
	p(`</dl>`)
	p(`</header>`)

	p(`<figure>`)
	bw.WriteString(svgChart(f, false))
	p(`</figure>`)

	p(`<h2>Steps</h2>`)
	p(`<table>`)
	p(`<thead><tr><th>Step</th><th>What</th><th class="num">Start</th><th class="num">End</th><th class="num">Duration</th><th class="num">Slack</th><th>Who</th><th>Notes</th></tr></thead>`)
	p(`<tbody>`)
	named := f.named()
	for _, g := range f.groups {
		if named {
			p(`<tr class="phase"><td colspan="8">%s</td></tr>`, esc(phaseName(oneLine(g.phase))))
		}
		for _, i := range g.bars {
			b := f.Bars[i]
			var classes, tags []string
			if b.Critical {
				classes = append(classes, "critical")
				tags = append(tags, `<span class="tag critical">critical</span>`)
			}
			if b.Gate {
				tags = append(tags, `<span class="tag gate">◆ go/no-go gate</span>`)
			}
			if b.Backout {
				classes = append(classes, "backout")
				tags = append(tags, `<span class="tag backout">back-out</span>`)
			}
			if !f.WindowEnd.IsZero() && b.End.After(f.WindowEnd) {
				tags = append(tags, `<span class="tag late">ends after the window</span>`)
			}
			class := ""
			if len(classes) > 0 {
				class = fmt.Sprintf(` class="%s"`, strings.Join(classes, " "))
			}
			p(`<tr%s><td class="id">%s</td><td>%s</td><td class="num">%s</td><td class="num">%s</td><td class="num">%s</td><td class="num">%s</td><td>%s</td><td>%s</td></tr>`,
				class, esc(oneLine(b.ID)), esc(oneLine(b.Title)), esc(f.when(b.Start)), esc(f.when(b.End)),
				esc(span(b.End.Sub(b.Start))), esc(span(b.Slack)), esc(oneLine(b.Who)), strings.Join(tags, ""))
		}
	}
	p(`</tbody>`)
	p(`</table>`)
	p(`<footer>Times in %s. Slack is how late a step may finish without delaying the move; the point of no return is the last moment a back-out can still finish inside the window.</footer>`, esc(f.Location.String()))
	p(`</body>`)
	p(`</html>`)
	return bw.Flush()
}

// plural returns "1 gate", "2 gates", "no gates".
func plural(n int, noun string) string {
	switch n {
	case 0:
		return "no " + noun + "s"
	case 1:
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
