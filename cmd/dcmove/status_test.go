package main

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/runbooks"
)

// The status shows the viewer's local time beside the plan's when they
// differ: every test reads it as a viewer in UTC, whatever the machine's
// zone, unless it says otherwise (withViewer).
func init() {
	viewerZone = func() *time.Location { return time.UTC }
}

// withViewer makes the status read as a viewer in zone name until the test
// ends.
func withViewer(t *testing.T, name string) {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	viewerZone = func() *time.Location { return loc }
	t.Cleanup(func() { viewerZone = func() *time.Location { return time.UTC } })
}

// asTerminal makes every output look like a terminal until the test ends.
func asTerminal(t *testing.T) {
	t.Helper()
	was := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = was })
}

// scripted starts the small weekend plan in a new data directory and has
// the team go through its morning up to 10:30: steps done, one late, one
// failed, one blocked, degraded mode on and a service stopped.
func scripted(t *testing.T) (dir string, clock *runbooks.ManualClock) {
	t.Helper()
	dir = t.TempDir()
	clock = runbooks.NewManualClock(paris(t, 5, "06:30"))
	run := func(hhmm string, args ...string) {
		t.Helper()
		clock.Set(paris(t, 5, hhmm))
		mustRun(t, clock, append(args, "--data-dir", dir)...)
	}
	run("06:30", "cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	run("07:00", "step", "start", "capture-fw-rules", "--as", "Karim Haddad")
	run("07:00", "step", "start", "capture-switch-config", "--as", "Sophie Bernard")
	run("07:05", "step", "start", "remind-customers", "--as", "Claire Martin")
	run("07:10", "step", "start", "verify-backups", "--as", "Hugo Leroy")
	run("07:45", "step", "done", "remind-customers", "--as", "Claire Martin")
	run("07:40", "step", "start", "prepare-pa3", "--as", "Julien Petit")
	run("07:45", "step", "done", "capture-switch-config", "--as", "Sophie Bernard")
	run("08:20", "step", "done", "capture-fw-rules", "--as", "Karim Haddad")
	run("08:25", "step", "start", "recreate-fw-rules", "--as", "Karim Haddad")
	run("08:40", "step", "fail", "verify-backups", "--as", "Hugo Leroy", "--reason", "restore stops at 80%: checksum error")
	run("09:40", "step", "done", "prepare-pa3", "--as", "Julien Petit")
	run("09:15", "step", "block", "go-no-go", "--as", "Claire Martin", "--reason", "the PA3 cage keys are not there yet")
	clock.Set(paris(t, 5, "10:30"))
	return dir, clock
}

// The status of a scripted morning, for a viewer in New York, in golden
// form.
func TestStatusGolden(t *testing.T) {
	dir, clock := scripted(t)
	withViewer(t, "America/New_York")
	out := mustRun(t, clock, "status", "--data-dir", dir)
	wantContains(t, "status", out,
		"now Sat 5 Dec 10:30 Europe/Paris (04:30 EST here)\n",
		"progress 4/25 steps done (16%): 1 started, 0 ready, 19 waiting, 1 failed, 0 skipped\n",
		"by phase: before 4/7, move 0/11, after 0/7\n",
		"next gate: go-no-go, planned Sat 5 Dec 10:00, waits for 2 step(s), BLOCKED\n",
		"forecast: the move ends ",
		"chance to end inside the window; phase before running x1.3\n",
		"FAILED:\n  verify-backups",
		"blocked:\n  go-no-go",
		"  Karim Haddad    network        on recreate-fw-rules since Sat 08:25\n",
		"  Hugo Leroy      app            idle since Sat 08:40\n")
	if strings.Contains(out, "\x1b[") {
		t.Errorf("status to a file has escape codes:\n%q", out)
	}
	golden(t, "status-morning", out)

	// A viewer in the plan's zone sees one time.
	withViewer(t, "Europe/Paris")
	wantContains(t, "status", mustRun(t, clock, "status", "--data-dir", dir), "now Sat 5 Dec 10:30 Europe/Paris\n")
}

// On a terminal the status is in colour, unless NO_COLOR is set.
func TestStatusColour(t *testing.T) {
	dir, clock := scripted(t)
	plain := mustRun(t, clock, "status", "--data-dir", dir)

	asTerminal(t)
	t.Setenv("NO_COLOR", "")
	coloured := mustRun(t, clock, "status", "--data-dir", dir)
	wantContains(t, "status on a terminal", coloured,
		"\x1b[31mFAILED:\x1b[0m\n\x1b[31m  verify-backups",
		"\x1b[33m  go-no-go",
		"\x1b[31m1 step(s) LATE")
	if got := stripEscapes(coloured); got != plain {
		t.Errorf("the coloured status says something else than the plain one:\n%s\n---\n%s", got, plain)
	}

	t.Setenv("NO_COLOR", "1")
	if out := mustRun(t, clock, "status", "--data-dir", dir); out != plain {
		t.Errorf("NO_COLOR: the status on a terminal is not the plain one:\n%q", out)
	}
}

func stripEscapes(s string) string {
	for _, code := range []string{"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[0m"} {
		s = strings.ReplaceAll(s, code, "")
	}
	return s
}

// status --output json is one JSON document, on one line, for other tools.
func TestStatusJSON(t *testing.T) {
	dir, clock := scripted(t)
	out := mustRun(t, clock, "status", "--data-dir", dir, "--output", "json")
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got:\n%s", out)
	}
	var doc statusDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	s, f := doc.Status, doc.Forecast
	if doc.Change != "status" || s == nil || s.Run != "pa2-to-pa3" || s.Progress.Done != 4 || s.Progress.Failed != 1 || !s.Now.Equal(paris(t, 5, "10:30")) {
		t.Fatalf("status %+v", s)
	}
	if len(s.Started) != 1 || s.Started[0].ID != "recreate-fw-rules" || s.Started[0].By != "Karim Haddad" {
		t.Errorf("started %+v", s.Started)
	}
	if len(s.Failed) != 1 || s.Failed[0].Reason != "restore stops at 80%: checksum error" {
		t.Errorf("failed %+v", s.Failed)
	}
	if s.NextGate == nil || s.NextGate.ID != "go-no-go" || s.NextGate.Reason == "" {
		t.Errorf("next gate %+v", s.NextGate)
	}
	if f == nil || f.Samples != 1000 || f.Probability < 0 || f.Probability > 1 || f.P90.Before(f.P50) || !f.End.After(s.Now) {
		t.Errorf("forecast %+v", f)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	if st := raw["status"].(map[string]any)["started"].([]any)[0].(map[string]any); st["planned"] != "2h0m0s" {
		t.Errorf("durations are not Go duration text: planned %v", st["planned"])
	}
	mustFail(t, clock, exitBadInput, "status", "--data-dir", dir, "--output", "yaml")
}

// A watch with --output json prints one document per change: the first
// status, each event, each new forecast.
func TestStatusWatchJSON(t *testing.T) {
	dir, clock := scripted(t)
	var watch syncBuffer
	stop := background(t, &watch, clock, "status", "--watch", "--output", "json", "--data-dir", dir)
	waitFor(t, &watch, `"change":"forecast"`)
	clock.Set(paris(t, 5, "10:40"))
	mustRun(t, clock, "step", "done", "recreate-fw-rules", "--data-dir", dir, "--as", "Karim Haddad")
	waitFor(t, &watch, `"type":"dcmove.step.completed"`)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	changes := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(watch.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var doc statusDocument
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatalf("%v:\n%s", err, sc.Text())
		}
		changes[doc.Change]++
		if doc.Change == "event" && doc.Status.Progress.Done != 5 {
			t.Errorf("after recreate-fw-rules is done: %d done", doc.Status.Progress.Done)
		}
	}
	if changes["status"] != 1 || changes["event"] != 1 || changes["forecast"] < 1 {
		t.Errorf("changes %v, want the status, one event and forecasts", changes)
	}
}

// On a terminal the watch redraws the screen in place; the forecast is
// marked with the time it was made for.
func TestStatusWatchTerminal(t *testing.T) {
	dir, clock := scripted(t)
	asTerminal(t)
	t.Setenv("NO_COLOR", "1")
	var watch syncBuffer
	stop := background(t, &watch, clock, "status", "--watch", "--data-dir", dir)
	waitFor(t, &watch, "forecast as of 10:30:00: the move ends")
	clock.Set(paris(t, 5, "10:40"))
	mustRun(t, clock, "step", "done", "recreate-fw-rules", "--data-dir", dir, "--as", "Karim Haddad")
	waitFor(t, &watch, "progress 5/25")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := watch.String()
	if !strings.HasPrefix(out, clearScreen) || strings.Count(out, clearScreen) < 3 {
		t.Errorf("the watch does not redraw the screen (%d redraws):\n%q", strings.Count(out, clearScreen), out)
	}
	if strings.Contains(out, "\n--- ") || strings.Contains(out, "\x1b[3") {
		t.Errorf("a terminal watch prints separators, or colours with NO_COLOR:\n%q", out)
	}
	wantContains(t, "watch", out, "forecast: computing…", "last event Sat 10:40:00")
}
