package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// statusLines reads a status printed by dcmove from testdata.
func statusLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// colour paints lines as the status does on a terminal (the late and
// failed ones red, blocked yellow, a phase done green inside its line).
func colour(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		switch {
		case strings.Contains(l, "LATE"), strings.HasPrefix(l, "FAILED"), strings.Contains(l, "NOT on purpose"):
			l = "\x1b[31m" + l + "\x1b[0m"
		case strings.HasPrefix(l, "DEGRADED"), strings.HasPrefix(l, "blocked"):
			l = "\x1b[33m" + l + "\x1b[0m"
		case strings.HasPrefix(l, "by phase: before "):
			l = strings.Replace(l, "before ", "\x1b[32mbefore ", 1)
			l = strings.Replace(l, ", move", "\x1b[0m, move", 1)
		}
		out[i] = l
	}
	return out
}

// The header lines that say where the move stands, which a fitted status
// keeps whatever the terminal's size (when it has room for them).
var essential = regexp.MustCompile(`^(run |window |progress |\d+ step\(s\) LATE|point of no return|next gate|DEGRADED MODE|forecast)`)

// A status fitted to a terminal: no line wider than the terminal (in
// columns: runes, not bytes; escapes take none), no more lines than it
// has, the header lines that say where the move stands all there and at
// the top, the lists cut short with "… N more (dcmove status)", and the
// lines kept unchanged where they fit.
func TestTermFitScreen(t *testing.T) {
	inputs := map[string][]string{
		// The reference move (298 steps) at 10:00 on Saturday, as
		// dcmove audit --as-of prints it: 55 lines, up to 148 columns.
		"reference": statusLines(t, "status-reference-1000.txt"),
		// The small weekend's morning, with its forecast.
		"morning": statusLines(t, "status-morning.golden"),
	}
	inputs["reference coloured"] = colour(inputs["reference"])
	inputs["morning coloured"] = colour(inputs["morning"])
	sizes := [][2]int{{100, 30}, {80, 24}, {60, 16}, {132, 43}, {40, 12}, {200, 80}}
	for name, in := range inputs {
		var header []string
		for _, l := range in {
			if l == "" {
				break
			}
			if essential.MatchString(withoutEscapes(l)) {
				header = append(header, l)
			}
		}
		if len(header) < 5 {
			t.Fatalf("%s: %d header lines found in the input", name, len(header))
		}
		for _, size := range sizes {
			cols, rows := size[0], size[1]
			t.Run(fmt.Sprintf("%s %dx%d", name, cols, rows), func(t *testing.T) {
				out := fitScreen(in, cols, rows)
				screen := strings.Join(out, "\n")
				if len(out) > rows {
					t.Errorf("%d lines on a terminal of %d:\n%s", len(out), rows, screen)
				}
				for _, l := range out {
					if w := displayWidth(l); w > cols {
						t.Errorf("a line of %d columns on a terminal of %d: %q", w, cols, l)
					}
					if i := strings.LastIndex(l, "\x1b["); i >= 0 && !strings.HasPrefix(l[i:], "\x1b[0m") {
						t.Errorf("a coloured line that leaves its colour on: %q", l)
					}
				}
				// The header lines, in order, at the top (before the
				// first empty line).
				top := len(out)
				for i, l := range out {
					if l == "" {
						top = i
						break
					}
				}
				k := 0
				for _, h := range header {
					for k < top && out[k] != truncate(h, cols) {
						k++
					}
					if k == top {
						t.Errorf("header line %q is not kept at the top:\n%s", h, screen)
						break
					}
				}
				// Every row of every list is shown or counted in "… N
				// more", and a list left out is named.
				_, blocks := splitStatus(in)
				for _, b := range blocks {
					at := slices.Index(out, truncate(b.title, cols))
					if at < 0 {
						name := strings.TrimSuffix(withoutEscapes(b.title), ":")
						i := strings.Index(screen, "… not shown: ")
						named := i >= 0 && (strings.Contains(screen[i:], name) || strings.HasSuffix(screen, "…")) // cut at the width
						if !named {
							t.Errorf("list %q left out without saying so:\n%s", name, screen)
						}
						continue
					}
					shown := 0
					for _, l := range out[at+1:] {
						l = withoutEscapes(l)
						var more int
						if _, err := fmt.Sscanf(l, "  … %d more (dcmove status)", &more); err == nil {
							shown += more
							break
						}
						if !strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "kept up") {
							break
						}
						shown++
					}
					if shown != len(b.rows) {
						t.Errorf("list %q: %d rows shown or counted, want %d:\n%s", withoutEscapes(b.title), shown, len(b.rows), screen)
					}
				}
				// A line that fits is the input's line, unchanged.
				for _, l := range out {
					if !strings.Contains(l, "…") && !contains(in, l) {
						t.Errorf("line %q is not a line of the status", l)
					}
				}
			})
		}
	}
}

func contains(lines []string, s string) bool { return slices.Contains(lines, s) }

// The reference move on a 100×30 terminal: the header less its notes,
// each list with its title and the rows that fit, shared between the
// lists, without empty lines between them; a late step still says so.
func TestTermFitScreenReference(t *testing.T) {
	out := fitScreen(statusLines(t, "status-reference-1000.txt"), 100, 30)
	screen := strings.Join(out, "\n")
	if len(out) != 30 {
		t.Errorf("%d lines, want the terminal's 30:\n%s", len(out), screen)
	}
	wantContains(t, "the fitted status", screen,
		"run pa2-to-pa3: Workit weekend move, Equinix PA2 to PA3\n"+
			"window Sat 5 Dec 07:00 – Sun 6 Dec 20:00 Europe/Paris\n"+
			"now Sat 5 Dec 10:00 Europe/Paris (09:00 UTC here)\n"+
			"progress 114/298 steps done (38%): 8 started, 11 ready, 161 waiting, 0 failed, 4 skipped\n"+
			"by phase: before 92/96, move 22/190, after 0/12\n"+
			"3 step(s) LATE, marked below\n"+
			"point of no return Sun 6 Dec 12:10 (26h10m left); going past it needs a signed go\n"+
			"next gate: point-of-no-return, planned Sun 6 Dec 12:10, ready\n"+
			"DEGRADED MODE since Sat 09:05 (55m): down on purpose: db-replica, backoffice, search, crawler, mail…\n"+
			"started:\n  stop-search ",
		"  … 5 more (dcmove status)\ncrew:\n",
		"  … 3 more (dcmove status)\nservices down:\n",
		"\ncooling down:\n  api-1  until Sat 10:29  29m left\n  dns-1  until Sat 10:15  15m left\n  web-1  until Sat 10:20  20m left\nready to start:\n",
		"  stop-mail-relay     Stop Outbound mail relay cleanly                       …  LATE to start by 55m\n",
		"  … 9 more (dcmove status)",
	)
	for _, gone := range []string{"head seq", "actions unsigned", "warnings accepted"} {
		if strings.Contains(screen, gone) {
			t.Errorf("the note %q is kept while lists are cut short:\n%s", gone, screen)
		}
	}
}

// A terminal too short for the whole header keeps the lines that say
// where the move stands, and drops those that only help.
func TestTermFitScreenShortTerminal(t *testing.T) {
	out := fitScreen(statusLines(t, "status-reference-1000.txt"), 80, 9)
	screen := strings.Join(out, "\n")
	for _, gone := range []string{"head seq", "actions unsigned", "warnings accepted"} {
		if strings.Contains(screen, gone) {
			t.Errorf("%q kept on a terminal of 9 lines:\n%s", gone, screen)
		}
	}
	wantContains(t, "a 9-line terminal", screen, "window ", "progress ", "point of no return", "next gate", "DEGRADED MODE")
	if len(out) > 9 {
		t.Errorf("%d lines:\n%s", len(out), screen)
	}
}

// The lists that do not fit at all are named on one line.
func TestTermFitScreenNamesWhatItLeavesOut(t *testing.T) {
	in := statusLines(t, "status-reference-1000.txt")
	out := fitScreen(in, 100, 17)
	screen := strings.Join(out, "\n")
	if len(out) > 17 {
		t.Fatalf("%d lines:\n%s", len(out), screen)
	}
	wantContains(t, "a 17-line terminal", screen, "… not shown: ", "ready to start (11)", "(dcmove status)")
}

func TestTermTruncate(t *testing.T) {
	tests := []struct {
		in   string
		cols int
		want string
	}{
		{"progress 4/25", 20, "progress 4/25"},
		{"progress 4/25", 8, "progres…"},
		{"\x1b[31m1 step(s) LATE\x1b[0m", 6, "\x1b[31m1 ste…\x1b[0m"},
		{"\x1b[31m1 step(s) LATE\x1b[0m", 15, "\x1b[31m1 step(s) LATE\x1b[0m"},
		{"by phase: \x1b[32mbefore 7/7\x1b[0m, move 0/11", 16, "by phase: \x1b[32mbefor…\x1b[0m"},
		{"run 東京-大阪: 移設", 10, "run 東京-…"}, // wide characters take two columns
		{"crew: Zoë Müller", 10, "crew: Zoë…"},
		{"café", 4, "café"}, // a combining accent takes none
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		got := truncate(tt.in, tt.cols)
		if got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.cols, got, tt.want)
		}
		if w := displayWidth(got); w > tt.cols {
			t.Errorf("truncate(%q, %d) is %d columns wide", tt.in, tt.cols, w)
		}
	}
	if w := displayWidth("東京"); w != 4 {
		t.Errorf("東京 is %d columns, want 4", w)
	}
}

// Only a terminal is one: a file, a pipe and a buffer are not (x/term
// asks the terminal driver).
func TestTermNotATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, out := range map[string]io.Writer{"file": f, "pipe": w, "buffer": new(strings.Builder)} {
		if writerIsTerminal(out) {
			t.Errorf("a %s is taken for a terminal", name)
		}
		if _, _, ok := terminalSize(out); ok {
			t.Errorf("a %s has a terminal size", name)
		}
	}
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		defer null.Close()
		if writerIsTerminal(null) {
			t.Errorf("%s (a character device) is taken for a terminal", os.DevNull)
		}
	}
}

// pretendSize makes every output a terminal of the size size holds until
// the test ends (see terminalSize).
func pretendSize(t *testing.T, size *atomic.Pointer[[2]int]) {
	t.Helper()
	was := terminalSize
	terminalSize = func(io.Writer) (int, int, bool) {
		s := size.Load()
		return s[0], s[1], true
	}
	t.Cleanup(func() { terminalSize = was })
}

// On a terminal, status --watch draws on the alternate screen, left when
// the watch is interrupted; each status is fitted to the terminal's size,
// and drawn again when the size changes.
func TestWatchFitsTheTerminal(t *testing.T) {
	dir, clock := scripted(t)
	asTerminal(t)
	t.Setenv("NO_COLOR", "1")
	var size atomic.Pointer[[2]int]
	size.Store(&[2]int{60, 14})
	pretendSize(t, &size)
	var watch syncBuffer
	stop := background(t, &watch, clock, "status", "--watch", "--data-dir", dir)
	waitFor(t, &watch, "forecast as of 10:30:00: the move ends")
	size.Store(&[2]int{90, 24})
	const whole = "\nprogress 4/25 steps done (16%): 1 started, 0 ready, 19 waiting, 1 failed, 0 skipped\n"
	waitFor(t, &watch, whole) // drawn again at the new width
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := watch.String()
	if !strings.HasPrefix(out, enterAltScreen+clearScreen) || !strings.HasSuffix(out, leaveAltScreen) {
		t.Errorf("the watch does not draw on the alternate screen, or does not leave it:\n%q", out)
	}
	frames := strings.Split(strings.TrimSuffix(strings.TrimPrefix(out, enterAltScreen), leaveAltScreen), clearScreen)[1:]
	if len(frames) < 3 {
		t.Fatalf("%d statuses drawn, want at least 3", len(frames))
	}
	for i, f := range frames {
		cols, rows := 60, 14
		if strings.Contains(f, whole[1:]) {
			cols, rows = 90, 24
		}
		lines := strings.Split(f, "\n")
		if len(lines) > rows {
			t.Errorf("status %d: %d lines on a terminal of %d:\n%s", i, len(lines), rows, f)
		}
		for _, l := range lines {
			if displayWidth(l) > cols {
				t.Errorf("status %d: %q is wider than %d columns", i, l, cols)
			}
		}
		wantContains(t, fmt.Sprintf("status %d", i), f, "window Sat 5 Dec", "progress 4/25 steps", "next gate: go-no-go", "forecast")
	}
	if last := frames[len(frames)-1]; !strings.Contains(last, "last event Sat 09:40:00 (seq") {
		t.Errorf("a terminal of 24 lines does not show the last event:\n%s", last)
	}
}
