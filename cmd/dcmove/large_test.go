package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/runbooks"
)

// A generated move goes through the commands a team runs: plan example,
// plan check, cutover start (staged: more steps than one atomic append),
// status, a step started and done, audit verify. 150 assets (about 1,000
// steps) by default; DCMOVE_LARGE_ASSETS=2800 tries the 20,000-step move
// (the times of each command are logged: go test -run LargeMove -v).
func TestLargeMoveThroughTheCommands(t *testing.T) {
	assets := 150
	if v := os.Getenv("DCMOVE_LARGE_ASSETS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("DCMOVE_LARGE_ASSETS=%q: %v", v, err)
		}
		assets = n
	}
	clock := runbooks.NewManualClock(time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	plan, data := filepath.Join(dir, "large.yaml"), filepath.Join(dir, "data")
	timed := func(what string, args ...string) string {
		t.Helper()
		start := time.Now()
		out := mustRun(t, clock, args...)
		t.Logf("%-14s %6.2f s", what, time.Since(start).Seconds())
		return out
	}
	timed("plan example", "plan", "example", "--assets", strconv.Itoa(assets), "--out", plan)
	args, steps := startArgs(t, clock, plan)
	start := append(args, "--data-dir", data)
	out := timed("cutover start", start...)
	wantContains(t, "cutover start", out, "staged in appends of")
	out = timed("status", "status", "--data-dir", data, "--samples", "100")
	// One count of steps: plan check's is the status's.
	wantContains(t, "status", out, fmt.Sprintf("progress 0/%d steps", steps))
	timed("step start", "step", "start", "notify-customers", "--data-dir", data, "--as", "Lead 1")
	clock.Advance(30 * time.Minute)
	out = timed("step done", "step", "done", "notify-customers", "--data-dir", data, "--as", "Lead 1")
	wantContains(t, "step done", out, "ack-customers")
	out = timed("audit verify", "audit", "verify", "--data-dir", data)
	wantContains(t, "audit verify", out, "intact")
}

// startArgs checks plan and returns the cutover start that accepts its
// warnings, as a lead would after reading them; errors fail the check
// (exit 2), and so the test.
func startArgs(t testing.TB, clock runbooks.Clock, plan string) ([]string, int) {
	t.Helper()
	check := dcmove(t.Context(), clock, "plan", "check", plan)
	if check.err != nil && !strings.Contains(check.out, "  warning") {
		t.Fatalf("plan check: %v\n%s%s", check.err, check.out, check.errOut)
	}
	steps := regexp.MustCompile(`runbook: weekend-cutover, (\d+) steps`).FindStringSubmatch(check.out)
	if steps == nil {
		t.Fatalf("plan check says no step count:\n%s", check.out)
	}
	n, _ := strconv.Atoi(steps[1])
	t.Logf("plan check: %d steps", n)
	start := []string{"cutover", "start", plan, "--as", "Lead 1"}
	for _, m := range regexp.MustCompile(`(?m)^  warning (L\d+):`).FindAllStringSubmatch(check.out, -1) {
		start = append(start, "--accept", m[1], "--reason", "accepted by the test")
	}
	return start, n
}
