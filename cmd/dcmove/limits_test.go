package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

// Every numeric flag is range-checked the same way in every command, and
// names and ids given on the command line are bounded: a usage error (exit
// status 2) with the range, never a crash.
func TestFlagLimits(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	long := strings.Repeat("r", 5000)
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"plan", "check", weekend, "--samples", "-5"}, "--samples -5: give a number from 0 to 1000000"},
		{[]string{"status", "--data-dir", dir, "--samples", "-5"}, "--samples -5: give a number from 0 to 1000000"},
		{[]string{"plan", "check", weekend, "--samples", "99999999999"}, "--samples 99999999999: give a number from 0 to 1000000"},
		{[]string{"status", "--data-dir", dir, "--samples", "99999999999"}, "--samples 99999999999: give a number from 0 to 1000000"},
		{[]string{"plan", "schedule", weekend, "--samples", "1000001"}, "--samples 1000001: give a number from 0 to 1000000"},
		{[]string{"plan", "check", weekend, "--samples", "99999999999999999999999"}, "invalid value \"99999999999999999999999\" for flag -samples"},
		{[]string{"plan", "gantt", weekend, "--width", "0"}, "--width 0: give a number from 24 to 1000"},
		{[]string{"plan", "gantt", weekend, "--width", "100000"}, "--width 100000: give a number from 24 to 1000"},
		{[]string{"status", "--data-dir", dir, "--replicas", "7"}, "--replicas 7: give a number from 0 to 5"},
		{[]string{"status", "--data-dir", dir, "--run", long}, `--run "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr..." is 5000 characters long; run names are at most 128`},
		{[]string{"cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--run", long}, "is 5000 characters long; run names are at most 128"},
		{[]string{"cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--run", "a.b"}, `--run "a.b" is not a run name`},
		{[]string{"step", "start", "x", "--data-dir", dir, "--as", long}, "--as: name \"rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr...\" is 5000 characters long; names are at most 200"},
		{[]string{"step", "start", strings.Repeat("s", 100_000), "--data-dir", dir, "--as", "Hugo Leroy"}, "step id \"ssssssssssssssssssssssssssssssssssssssss...\" is 100000 characters long; ids are at most 128"},
		{[]string{"audit", "compare", long, "b", "--data-dir", dir}, "run names are at most 128"},
		{[]string{"plan", "calibrate", weekend, "--from", long, "--data-dir", dir}, "run names are at most 128"},
	}
	for _, tt := range tests {
		r := execute(t, clock, false, tt.args...)
		if r.code != exitBadInput || !strings.Contains(r.errOut, tt.says) || len(r.errOut) > 1000 {
			t.Errorf("%.80s: exit %d, stderr %.300q; want exit %d saying %q", strings.Join(tt.args, " "), r.code, r.errOut, exitBadInput, tt.says)
		}
	}
	// At the limits, the flags work.
	if r := execute(t, clock, false, "plan", "check", timerPlan, "--samples", "1"); r.code != 0 {
		t.Errorf("plan check --samples 1: exit %d: %s", r.code, r.errOut)
	}
}

// A plan file too large, or /dev/zero, is refused with the file's name and
// the limit, as bad input.
func TestPlanFileLimits(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, make([]byte, planner.MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{big, "/dev/zero"} {
		r := execute(t, nil, false, "plan", "check", path)
		if want := fmt.Sprintf("dcmove: plan %s is larger than 16 MiB", path); r.code != exitBadInput || !strings.Contains(r.errOut, want) {
			t.Errorf("plan check %s: exit %d, stderr %q; want exit %d saying %q", path, r.code, r.errOut, exitBadInput, want)
		}
	}
	r := execute(t, nil, false, "plan", "import", "--from-csv", "/dev/zero")
	if want := "dcmove: CSV file /dev/zero is larger than 16 MiB"; r.code != exitBadInput || !strings.Contains(r.errOut, want) {
		t.Errorf("plan import --from-csv /dev/zero: exit %d, stderr %q; want %q", r.code, r.errOut, want)
	}
}

// manyStepsPlan writes a plan of n steps, one crew member, and returns its
// path.
func manyStepsPlan(t testing.TB, n int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("plan: many\nlead: Ana\nwindow:\n  start: 2026-12-05 08:00\n  end: 2026-12-12 20:00\n  timezone: Europe/Paris\n" +
		"crew:\n  - {name: Ana, roles: [lead, tech]}\nsteps:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: s%d, title: Step %d, duration: 1m}\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "many.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A plan larger than one atomic append starts all the same: its steps are
// staged, then committed by the start (see runbooks'
// TestLargeStartIsAllOrNothing for a start killed half-way).
func TestCutoverStartOfManySteps(t *testing.T) {
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	dir := t.TempDir()
	r := execute(t, clock, false, "cutover", "start", manyStepsPlan(t, 1000), "--data-dir", dir, "--as", "Ana", "--accept", "L013", "--reason", "test")
	if r.code != 0 || !strings.Contains(r.out, "recorded 1000 steps staged in appends of 900, then made the run's by 2 events in one atomic append") {
		t.Fatalf("cutover start of 1,000 steps: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	wantContains(t, "status", mustRun(t, clock, "status", "--data-dir", dir), "progress 0/1000 steps done")
}
