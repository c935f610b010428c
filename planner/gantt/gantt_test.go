package gantt_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dcmove/dcmove/planner/gantt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// renderers are the four renderings, by the extension of their golden file.
var renderers = []struct {
	ext    string
	render func(io.Writer, gantt.Chart) error
}{
	{"txt", func(w io.Writer, c gantt.Chart) error { return gantt.Text(w, c, 0) }},
	{"mmd", gantt.Mermaid},
	{"svg", gantt.SVG},
	{"html", gantt.HTML},
}

func render(t *testing.T, ext string, c gantt.Chart) string {
	t.Helper()
	for _, r := range renderers {
		if r.ext == ext {
			var b bytes.Buffer
			if err := r.render(&b, c); err != nil {
				t.Fatalf("%s: %v", ext, err)
			}
			return b.String()
		}
	}
	t.Fatalf("no renderer %q", ext)
	return ""
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./planner/gantt -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("%s differs from the output at line %d (run go test ./planner/gantt -update and review the diff):\ngot:  %s\nwant: %s", path, i+1, g, w)
				return
			}
		}
	}
}

func TestGolden(t *testing.T) {
	for _, r := range renderers {
		t.Run(r.ext, func(t *testing.T) {
			golden(t, "sample."+r.ext, []byte(render(t, r.ext, sample(t))))
		})
	}
}

// decodeXML reads a whole document with encoding/xml and returns its
// elements in document order.
func decodeXML(t *testing.T, doc string) []xml.StartElement {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	var els []xml.StartElement
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			els = append(els, tok.Copy())
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatalf("%d elements left open", depth)
	}
	return els
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// bars returns the data-id of every element of class "bar".
func bars(els []xml.StartElement) []string {
	var ids []string
	for _, el := range els {
		if class := attr(el, "class"); class == "bar" || strings.HasPrefix(class, "bar ") {
			ids = append(ids, attr(el, "data-id"))
		}
	}
	return ids
}

func TestSVGAndHTMLAreWellFormed(t *testing.T) {
	c := sample(t)
	for _, ext := range []string{"svg", "html"} {
		t.Run(ext, func(t *testing.T) {
			els := decodeXML(t, render(t, ext, c))
			ids := bars(els)
			if len(ids) != len(c.Bars) {
				t.Fatalf("%d bar elements, want one per bar (%d)", len(ids), len(c.Bars))
			}
			for i, b := range c.Bars {
				if ids[i] != b.ID {
					t.Errorf("bar %d has data-id %q, want %q", i, ids[i], b.ID)
				}
			}
			var svg, ponr, gate, backout bool
			for _, el := range els {
				svg = svg || el.Name.Local == "svg"
				ponr = ponr || attr(el, "id") == "ponr"
				gate = gate || attr(el, "class") == "bar gate" && el.Name.Local == "path"
				backout = backout || attr(el, "class") == "bar backout"
			}
			if !svg || !ponr || !gate || !backout {
				t.Errorf("svg element %v, point of no return %v, gate diamond %v, back-out bar %v; want all", svg, ponr, gate, backout)
			}
		})
	}
}

func TestNoBars(t *testing.T) {
	c := sample(t)
	c.Bars = nil
	for _, r := range renderers {
		t.Run(r.ext, func(t *testing.T) {
			var b bytes.Buffer
			err := r.render(&b, c)
			if !errors.Is(err, gantt.ErrNoBars) {
				t.Fatalf("err = %v, want ErrNoBars", err)
			}
			if !strings.Contains(err.Error(), "no bars") || b.Len() != 0 {
				t.Errorf("err = %q and %d bytes written; want a clear error and nothing written", err, b.Len())
			}
		})
	}
}

func TestInvalidBars(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*gantt.Bar)
		wantMsg string
	}{
		{"ends before it starts", func(b *gantt.Bar) { b.End = b.Start.Add(-time.Minute) }, `bar 2 ("capture-fw-rules") ends at 2026-12-05 06:59:00, before it starts`},
		{"no start", func(b *gantt.Bar) { b.Start = time.Time{} }, `bar 2 ("capture-fw-rules") has no start or no end time`},
		{"no end", func(b *gantt.Bar) { b.End = time.Time{} }, `has no start or no end time`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range renderers {
				c := sample(t)
				tt.change(&c.Bars[1])
				err := r.render(io.Discard, c)
				if !errors.Is(err, gantt.ErrInvalid) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("%s: err = %v, want ErrInvalid with %q", r.ext, err, tt.wantMsg)
				}
			}
		})
	}
}

func TestZeroPointOfNoReturnIsNotDrawn(t *testing.T) {
	c := sample(t)
	c.PointOfNoReturn = time.Time{}
	tests := []struct {
		ext, absent string
	}{
		{"txt", "point of no return"},
		{"txt", "PONR"},
		{"mmd", "Point of no return"},
		{"svg", `id="ponr"`},
		{"svg", "point of no return"},
		{"html", `id="ponr"`},
		{"html", "Point of no return"},
	}
	for _, tt := range tests {
		if got := render(t, tt.ext, c); strings.Contains(got, tt.absent) {
			t.Errorf("%s with no point of no return contains %q", tt.ext, tt.absent)
		}
	}
	// Still drawn when set.
	for _, tt := range tests {
		if got := render(t, tt.ext, sample(t)); !strings.Contains(got, tt.absent) {
			t.Errorf("%s with a point of no return lacks %q", tt.ext, tt.absent)
		}
	}
}

func TestTitlesAreEscaped(t *testing.T) {
	const nasty = `Move <db> & "cache": #1; 100%`
	c := sample(t)
	c.Title = nasty
	c.Bars[0].Title = nasty
	c.Bars[0].Who = `<Ana & "Bob">`
	c.Bars[0].ID = `a<&">`
	c.Bars[3].Phase = `<b>&"`
	for _, ext := range []string{"svg", "html"} {
		t.Run(ext, func(t *testing.T) {
			doc := render(t, ext, c)
			decodeXML(t, doc) // fails on anything left unescaped
			if strings.Contains(doc, "<db>") || strings.Contains(doc, "<Ana") {
				t.Errorf("raw markup from a title is in the %s", ext)
			}
			// The title comes back as written once the XML is read.
			var texts []string
			d := xml.NewDecoder(strings.NewReader(doc))
			for {
				tok, err := d.Token()
				if err != nil {
					break
				}
				if cd, ok := tok.(xml.CharData); ok {
					texts = append(texts, string(cd))
				}
			}
			if all := strings.Join(texts, "|"); !strings.Contains(all, nasty) || !strings.Contains(all, `<Ana & "Bob">`) {
				t.Errorf("title or who not found verbatim in the decoded %s text", ext)
			}
		})
	}
	t.Run("mmd", func(t *testing.T) {
		mmd := render(t, "mmd", c)
		for _, line := range strings.Split(mmd, "\n") {
			if !strings.Contains(line, "Move ") {
				continue
			}
			title, _, _ := strings.Cut(line, " :") // the task's data starts at the first ':'
			if strings.ContainsAny(title, `:#;%<>&"`) && !strings.Contains(title, "#58;") {
				t.Errorf("unescaped Mermaid syntax in %q", line)
			}
			if strings.Contains(title, ":") && !strings.HasPrefix(strings.TrimSpace(line), "title") {
				t.Errorf("a ':' of the title is left in %q", line)
			}
		}
		if !strings.Contains(mmd, "title Move #60;db#62; #38; #34;cache#34;#58; #35;1#59; 100#37;") {
			t.Errorf("chart title not escaped as Mermaid entity codes:\n%s", mmd)
		}
	})
}

func TestLongTitlesAreTruncated(t *testing.T) {
	long := strings.Repeat("Unrack every server of the old web rack ", 10)
	c := sample(t)
	c.Bars[0].Title = long
	c.Bars[0].ID = strings.Repeat("very-long-step-id-", 4)

	txt := render(t, "txt", c)
	line := lineWith(txt, "very-long-step-id")
	if line == "" || strings.Contains(line, long[:80]) || !strings.Contains(line, "…") {
		t.Errorf("long title or id not cut short in the text line %q", line)
	}
	if n := utf8.RuneCountInString(line); n > 200 {
		t.Errorf("text line is %d characters long", n)
	}

	svg := render(t, "svg", c)
	decodeXML(t, svg)
	if label := string([]rune(long)[:49]) + "…<"; !strings.Contains(svg, ">"+label) {
		t.Errorf("long title not cut short in the SVG label")
	}
	if !strings.Contains(svg, "<title>"+c.Bars[0].ID+" — "+strings.TrimSpace(long)) {
		t.Errorf("the tooltip lost the full title")
	}
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func TestTextWidth(t *testing.T) {
	tests := []struct {
		name      string
		width     int
		wantRuler int // columns of the ruler
	}{
		{"default", 0, 70},    // 14 hours at 12 minutes a column
		{"negative", -5, 70},  // the default too
		{"wide", 200, 168},    // 5 minutes a column
		{"narrow", 40, 28},    // 30 minutes a column
		{"too narrow", 3, 14}, // taken as 24: one hour a column
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := gantt.Text(&b, sample(t), tt.width); err != nil {
				t.Fatal(err)
			}
			var ruler string
			for _, l := range strings.Split(b.String(), "\n") {
				if f := strings.TrimSpace(l); strings.HasPrefix(f, "+") && strings.Trim(f, "+-") == "" {
					ruler = f
				}
			}
			if got := len(ruler); got != tt.wantRuler {
				t.Errorf("ruler is %d columns, want %d: %q", got, tt.wantRuler, ruler)
			}
		})
	}
}

func TestNoPhases(t *testing.T) {
	c := sample(t)
	for i := range c.Bars {
		c.Bars[i].Phase = ""
	}
	c.WindowStart, c.WindowEnd, c.Location = time.Time{}, time.Time{}, nil
	for _, r := range renderers {
		var b bytes.Buffer
		if err := r.render(&b, c); err != nil {
			t.Fatalf("%s: %v", r.ext, err)
		}
		if strings.Contains(b.String(), "other steps") || strings.Contains(b.String(), "window end") {
			t.Errorf("%s draws a phase or a window the chart does not have", r.ext)
		}
	}
	decodeXML(t, render(t, "svg", c))
}

// A back-out step runs only if the move backs out: it is drawn, but the
// makespan and the fit against the window are those of the move.
func TestBackoutIsNotInTheMakespan(t *testing.T) {
	c := sample(t)
	c.Bars[12].End = c.WindowEnd.Add(3 * time.Hour) // past every other step
	txt := render(t, "txt", c)
	if !strings.Contains(txt, "Makespan 13h30m, Sat 5 Dec 07:00 – Sat 5 Dec 20:30; ends 30m after the window end") {
		t.Errorf("makespan counts the back-out step:\n%s", txt)
	}
	if html := render(t, "html", c); !strings.Contains(html, "<dd>13h30m (07:00 – 20:30)</dd>") {
		t.Errorf("HTML makespan counts the back-out step")
	}
	if !strings.Contains(txt, "23:00") && !strings.Contains(render(t, "svg", c), ">23:00<") {
		t.Errorf("the axis does not reach the end of the back-out step")
	}
}
