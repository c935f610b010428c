package gantt_test

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
	"github.com/dcmove/dcmove/planner/gantt"
)

// TestHTMLInChromium opens the HTML page in a real browser: the DOM it
// builds must hold the chart, one bar per step and the point of no
// return, and a screenshot must show a chart rather than a blank page.
func TestHTMLInChromium(t *testing.T) {
	browsertest.Require(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "schedule.html")
	c := sample(t)
	var b bytes.Buffer
	if err := gantt.HTML(&b, c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("dom", func(t *testing.T) {
		dom := string(browsertest.Run(t, dir, page, "--dump-dom"))
		if n := strings.Count(dom, "<svg"); n != 1 {
			t.Fatalf("the DOM has %d svg elements, want 1:\n%.2000s", n, dom)
		}
		bar := regexp.MustCompile(`<(rect|path) class="bar[^"]*" data-id="([^"]*)"`)
		found := bar.FindAllStringSubmatch(dom, -1)
		if len(found) != len(c.Bars) {
			t.Fatalf("the DOM has %d bars, want one per step (%d)", len(found), len(c.Bars))
		}
		for i, m := range found {
			if m[2] != c.Bars[i].ID {
				t.Errorf("bar %d is %q, want %q", i, m[2], c.Bars[i].ID)
			}
		}
		if !strings.Contains(dom, `id="ponr"`) || !strings.Contains(dom, "point of no return 14:30") {
			t.Errorf("the DOM has no point of no return marker")
		}
		if n := strings.Count(dom, "<tr"); n < len(c.Bars)+1 {
			t.Errorf("the summary table has %d rows, want at least %d", n, len(c.Bars)+1)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "schedule.png")
		browsertest.Run(t, dir, page, "--screenshot="+shot, "--window-size=1400,900", "--hide-scrollbars")
		data, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if keep := os.Getenv("GANTT_SCREENSHOT"); keep != "" {
			os.WriteFile(keep, data, 0o644)
		}
		if len(data) < 40<<10 {
			t.Errorf("screenshot is %d bytes, want a chart (over 40 KB)", len(data))
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if size := img.Bounds().Size(); size != image.Pt(1400, 900) {
			t.Errorf("screenshot is %v, want 1400x900", size)
		}
		colours, critical := map[color.RGBA]bool{}, 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				px := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				colours[px] = true
				if px == (color.RGBA{0xd3, 0x2f, 0x2f, 0xff}) { // the critical path's red
					critical++
				}
			}
		}
		t.Logf("screenshot: %d bytes, %d colours, %d critical-red pixels", len(data), len(colours), critical)
		if len(colours) < 50 {
			t.Errorf("screenshot has %d colours, want a drawn chart", len(colours))
		}
		if critical < 2000 {
			t.Errorf("screenshot has %d pixels of the critical path's red, want the critical bars drawn", critical)
		}
	})
}
