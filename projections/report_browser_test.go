package projections_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/internal/browsertest"
	"github.com/dcmove/dcmove/projections"
)

// TestReportHTMLInChromium opens the post-migration report in a real
// browser: the DOM must hold every section and their rows, a screenshot
// must show the summary, the bars and the late steps in red, and the page
// must print.
func TestReportHTMLInChromium(t *testing.T) {
	browsertest.Require(t)
	rp := reportOf(liveRun(t))
	c, err := projections.Compare(reportOf(rehearsalRun(t, "sha-1")), rp)
	if err != nil {
		t.Fatal(err)
	}
	rp.Rehearsal = c
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := projections.WriteReportHTML(&b, rp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("dom", func(t *testing.T) {
		dom := string(browsertest.Run(t, dir, page, "--dump-dom"))
		sections := regexp.MustCompile(`<section id="([a-z]+)">`).FindAllStringSubmatch(dom, -1)
		var ids []string
		for _, m := range sections {
			ids = append(ids, m[1])
		}
		if got := strings.Join(ids, " "); got != "summary timeline phases late gates deviations degraded rehearsal" {
			t.Fatalf("sections %q", got)
		}
		section := func(id string) string {
			i := strings.Index(dom, `<section id="`+id+`">`)
			j := strings.Index(dom[i:], "</section>")
			return dom[i : i+j]
		}
		for _, tt := range []struct {
			section, what string
			want          int
		}{
			{"summary", "<dt>", 11}, // with the signatures card
			{"timeline", "<li ", 6},
			{"phases", "<tr>", 1 + 3},    // the header, one row per phase
			{"phases", `class="bar `, 6}, // planned and actual per phase
			{"late", "<tr>", 1 + 4},
			{"gates", "<tr>", 1 + 2},
			{"deviations", "<tr ", 7},
			{"degraded", "<tr>", 1 + 1},
			{"rehearsal", "<tr>", 1 + 3 + 1 + 10},
		} {
			if n := strings.Count(section(tt.section), tt.what); n != tt.want {
				t.Errorf("section %s has %d %q, want %d", tt.section, n, tt.what, tt.want)
			}
		}
		for _, want := range []string{"rack-db", "+1h", "Hugo Leroy", "backup restored off-site", "disks spun down, the crew is waiting", "5h20m"} {
			if !strings.Contains(dom, want) {
				t.Errorf("the DOM does not show %q", want)
			}
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		browsertest.Run(t, dir, page, "--screenshot="+shot, "--window-size=1200,1800", "--hide-scrollbars")
		data, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if keep := os.Getenv("REPORT_SCREENSHOT"); keep != "" {
			os.WriteFile(keep, data, 0o644)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if size := img.Bounds().Size(); size != image.Pt(1200, 1800) {
			t.Errorf("screenshot is %v, want 1200x1800", size)
		}
		colours, red, grey := map[color.RGBA]bool{}, 0, 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				px := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				colours[px] = true
				switch px {
				case color.RGBA{0xc5, 0x30, 0x30, 0xff}: // late
					red++
				case color.RGBA{0x9f, 0xb3, 0xc8, 0xff}: // planned
					grey++
				}
			}
		}
		t.Logf("screenshot: %d bytes, %d colours, %d late-red and %d planned-grey pixels", len(data), len(colours), red, grey)
		if len(data) < 60<<10 || len(colours) < 100 {
			t.Errorf("screenshot is %d bytes with %d colours, want a drawn report", len(data), len(colours))
		}
		if red < 3000 || grey < 1500 {
			t.Errorf("screenshot has %d late-red and %d planned-grey pixels, want the bars drawn", red, grey)
		}
	})

	t.Run("print", func(t *testing.T) {
		pdf := filepath.Join(dir, "report.pdf")
		browsertest.Run(t, dir, page, "--print-to-pdf="+pdf, "--no-pdf-header-footer")
		data, err := os.ReadFile(pdf)
		if err != nil {
			t.Fatal(err)
		}
		pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(data, -1))
		t.Logf("PDF: %d bytes, %d pages", len(data), pages)
		if !bytes.HasPrefix(data, []byte("%PDF")) || pages < 2 || pages > 4 {
			t.Errorf("the printed report is %d bytes in %d pages, want 2 to 4 A4 pages", len(data), pages)
		}
	})
}
