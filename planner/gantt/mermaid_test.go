package gantt_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/internal/browsertest"
	"github.com/dcmove/dcmove/planner/gantt"
)

// mermaidCharts are charts that try Mermaid's syntax: the sample; titles
// that start with the words Mermaid's lexer reads as keywords (whatever
// their case) or with a date, and that hold its syntax characters; step
// ids that are tag words, that clash once made ids, or empty; a phase of
// syntax characters; a step on the next day; and a chart without phases.
func mermaidCharts(t *testing.T) map[string]gantt.Chart {
	nasty := sample(t)
	nasty.Title = `Move <db> & "cache": #1; 100%`
	nasty.Bars[0].Title = "Call Equinix: confirm the PA3 cage #12; 100% ready"
	nasty.Bars[1].Title = "Section off the old rack"
	nasty.Bars[2].Title = "title deeds to the lead"
	nasty.Bars[3].Title = "2026-12-05 checklist"
	nasty.Bars[4].Title = "Click-and-collect shut; excludes weekend"
	nasty.Bars[4].ID = "done"
	nasty.Bars[5].ID = "Crit"
	nasty.Bars[7].ID = "shutdown.servers"
	nasty.Bars[6].ID = "shutdown_servers"
	nasty.Bars[8].Title, nasty.Bars[8].ID = "", ""
	nasty.Bars[9].Title = "Weekend saturday crew: gantt review"
	nasty.Bars[10].Who = `<Ana & "Bob">`
	nasty.Bars[11].Phase = `<b>&"`
	nasty.Bars[12].End = nasty.Bars[12].End.Add(20 * time.Hour)
	flat := sample(t)
	for i := range flat.Bars {
		flat.Bars[i].Phase = ""
	}
	flat.PointOfNoReturn, flat.WindowEnd = time.Time{}, time.Time{}
	return map[string]gantt.Chart{"sample": sample(t), "nasty": nasty, "flat": flat}
}

// Every line of a Mermaid chart is valid in Mermaid 9, 10 and 11, as
// their gantt lexers read it (packages/mermaid/src/diagrams/gantt/parser/
// gantt.jison), after Mermaid turns entity codes such as "#58;" into
// placeholders (encodeEntities): no vert tag (11.7+) nor tickInterval
// (9.3+); titles and sections without ':', '#', ';' or '%' and not
// starting with a keyword; a task's data: its tags, a unique id that is
// not a tag, a start in the dateFormat and an end in it or a duration.
func TestMermaidSyntax(t *testing.T) {
	entity := regexp.MustCompile(`#\w+;`)
	keyword := regexp.MustCompile(`(?i)^(acctitle|accdescr|href|call|click|gantt|dateformat|inclusiveenddates|topaxis|axisformat|tickinterval|includes|excludes|todaymarker|weekday|weekend|title|section|\d{4}-\d{2}-\d{2})`)
	id := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	tags := []string{"active", "done", "crit", "milestone"}
	for name, c := range mermaidCharts(t) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := gantt.Mermaid(&b, c); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
			if lines[0] != "gantt" {
				t.Fatalf("first line %q", lines[0])
			}
			ids := map[string]bool{}
			tasks := 0
			for _, raw := range lines[1:] {
				l := strings.TrimSpace(entity.ReplaceAllString(raw, "E"))
				bad := func(why string) { t.Errorf("%s: %q", why, raw) }
				switch {
				case l == "", strings.HasPrefix(l, "%% "),
					l == "dateFormat YYYY-MM-DD HH:mm", l == "axisFormat %H:%M", l == "todayMarker off":
					if strings.HasPrefix(l, "%% ") && strings.HasPrefix(l, "%%{") {
						bad("a directive")
					}
				case strings.HasPrefix(l, "title "), strings.HasPrefix(l, "section "):
					if strings.ContainsAny(l, ":#;%") {
						bad("syntax in a title or section")
					}
				default:
					title, data, ok := strings.Cut(l, ":")
					if !ok || strings.ContainsAny(title, "#;%") || strings.TrimSpace(title) == "" {
						bad("not a task")
						continue
					}
					if keyword.MatchString(title) {
						bad("a task title Mermaid reads as a keyword or a date")
					}
					tasks++
					fields := strings.Split(data, ", ")
					for len(fields) > 0 && slices.Contains(tags, fields[0]) {
						fields = fields[1:]
					}
					if len(fields) != 3 || !id.MatchString(fields[0]) || slices.Contains(tags, strings.ToLower(fields[0])) || fields[0] == "vert" {
						bad("task data is not tags, id, start, end")
						continue
					}
					if ids[fields[0]] {
						bad("a task id twice")
					}
					ids[fields[0]] = true
					if _, err := time.Parse("2006-01-02 15:04", fields[1]); err != nil {
						bad("a start not in the dateFormat")
					}
					if _, err := time.Parse("2006-01-02 15:04", fields[2]); err != nil && !regexp.MustCompile(`^\d+m$`).MatchString(fields[2]) {
						bad("an end neither in the dateFormat nor a duration")
					}
				}
			}
			want := len(c.Bars)
			if !c.PointOfNoReturn.IsZero() {
				want++
			}
			if !c.WindowEnd.IsZero() {
				want++
			}
			if tasks != want {
				t.Errorf("%d tasks, want %d:\n%s", tasks, want, b.String())
			}
		})
	}
}

// The limits are milestones of no duration, in a section of their own.
func TestMermaidLimitsAreMilestones(t *testing.T) {
	var b bytes.Buffer
	if err := gantt.Mermaid(&b, sample(t)); err != nil {
		t.Fatal(err)
	}
	want := "\n    section limits\n" +
		"    Point of no return 14#58;30 :crit, milestone, ponr, 2026-12-05 14:30, 0m\n" +
		"    Window end 20#58;00 :milestone, window_end, 2026-12-05 20:00, 0m\n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("the chart does not end with the limits:\n%s", b.String())
	}
	if strings.Contains(b.String(), "vert") || strings.Contains(b.String(), "tickInterval") {
		t.Errorf("syntax older Mermaid versions reject:\n%s", b.String())
	}
}

// The charts rendered by real Mermaid in Chromium, one version after the
// other: DCMOVE_MERMAID_JS lists their mermaid.min.js files (from npm:
// mermaid@9.1.7, @10.9.3, @11.4.1, @latest), separated by ':'. Each must
// draw every task, with no error. Skipped without it.
func TestMermaidInChromium(t *testing.T) {
	scripts := os.Getenv("DCMOVE_MERMAID_JS")
	if scripts == "" {
		t.Skip("DCMOVE_MERMAID_JS names no mermaid.min.js to render the charts with")
	}
	browsertest.Require(t)
	for i, js := range strings.Split(scripts, ":") {
		for name, c := range mermaidCharts(t) {
			t.Run(fmt.Sprintf("%d-%s", i, name), func(t *testing.T) {
				var b bytes.Buffer
				if err := gantt.Mermaid(&b, c); err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				lib, err := os.ReadFile(js)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "mermaid.min.js"), lib, 0o644); err != nil {
					t.Fatal(err)
				}
				text, _ := json.Marshal(b.String())
				page := filepath.Join(dir, "chart.html")
				html := `<!doctype html><html><head><meta charset="utf-8"></head><body><div id="out"></div>
<script>window.onerror = (m) => { out.setAttribute('data-result', 'error'); out.textContent += ' ' + m; };</script>
<script src="mermaid.min.js"></script>
<script>
const out = document.getElementById('out');
const done = (svg) => { out.setAttribute('data-result', 'ok'); out.innerHTML = svg; };
const fail = (e) => { out.setAttribute('data-result', 'error'); out.textContent += ' ' + (e && (e.message || e.str || e)); };
const text = ` + string(text) + `;
try {
  mermaid.initialize({startOnLoad: false});
  // Mermaid 9 calls back (or throws); 10 and later return a promise, and
  // take no callback: render again, their way.
  const r = mermaid.render('g', text, done);
  if (r && r.then) {
    r.catch(() => {});
    mermaid.render('g2', text).then((r) => done(r.svg), fail);
  }
} catch (e) { fail(e); }
</script></body></html>`
				if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
					t.Fatal(err)
				}
				dom := string(browsertest.Run(t, dir, page, "--allow-file-access-from-files", "--virtual-time-budget=30000", "--dump-dom"))
				if !strings.Contains(dom, `data-result="ok"`) || strings.Contains(dom, "Syntax error") {
					t.Fatalf("%s did not render the chart:\n%.3000s", js, dom)
				}
				tasks := len(regexp.MustCompile(`<rect[^>]*class="[^"]*task[^"]*"`).FindAllString(dom, -1))
				want := len(c.Bars)
				if !c.PointOfNoReturn.IsZero() {
					want++
				}
				if !c.WindowEnd.IsZero() {
					want++
				}
				if tasks != want {
					t.Errorf("%s drew %d tasks, want %d", js, tasks, want)
				}
			})
		}
	}
}
