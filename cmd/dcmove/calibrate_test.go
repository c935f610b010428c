package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

// calibrateCLI runs "dcmove plan calibrate ARGS" as Main.Run does, on an
// app that holds only that command, and reports errors as main does.
func calibrateCLI(t testing.TB, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, Clock: runbooks.SystemClock{}}
	plan := &cli.Command{Name: "plan", Subcommands: []*cli.Command{m.calibrateCommand()}}
	setUsageError(plan)
	app := &cli.App{
		Name: "dcmove", Writer: &out, ErrWriter: &errOut,
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   func(_ *cli.Context, err error, _ bool) error { return usageError{err} },
		Commands:       []*cli.Command{plan},
	}
	err := app.RunContext(t.Context(), flagsFirst(app.Commands, append([]string{"dcmove", "plan", "calibrate"}, args...)))
	if err != nil {
		m.Report(err)
	}
	return result{out.String(), errOut.String(), err}
}

// weekendScript is a dress rehearsal of the example weekend: the "before"
// phase and the first steps of the move.
var weekendScript = map[string]time.Duration{
	"remind-customers":      20 * time.Minute,             // 30m
	"capture-fw-rules":      time.Hour + 5*time.Minute,    // 45m/1h/2h
	"capture-switch-config": 45 * time.Minute,             // 30m/45m/1h30m
	"verify-backups":        time.Hour,                    // 30m/45m/1h30m
	"prepare-pa3":           2 * time.Hour,                // 1h/1h30m/3h
	"recreate-fw-rules":     3*time.Hour + 30*time.Minute, // 1h/2h/4h
	"go-no-go":              15 * time.Minute,             // 15m
	"enter-degraded-mode":   30 * time.Minute,             // 15m/20m/45m
	"shutdown-servers":      2 * time.Hour,                // 30m/45m/1h30m
	"cool-down":             30 * time.Minute,             // 30m
	"pa2-exit-procedure":    2 * time.Hour,                // 45m/1h30m/3h
	"unrack-servers":        time.Hour + 20*time.Minute,   // 1h/1h30m/2h30m
}

// rehearse records a dress rehearsal of the plan file as run in the data
// directory dir (its warnings accepted): the scripted steps one at a time,
// in plan order, each taking exactly its scripted time on a manual clock
// (a gate from its start to the last go signed).
func rehearse(t *testing.T, dir, file, run string, script map[string]time.Duration) {
	t.Helper()
	ctx := context.Background()
	p, err := planner.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	clk := runbooks.NewManualClock(time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC))
	c := &runbooks.Cutover{Log: l, Clock: clk}
	rb, err := runbooks.Expand(p)
	if err != nil {
		t.Fatal(err)
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1, Samples: -1})
	if err != nil {
		t.Fatal(err)
	}
	accept := map[string]string{}
	for _, f := range a.Findings {
		accept[f.ID] = "a dress rehearsal"
	}
	if _, err := c.StartWith(ctx, p, runbooks.StartOptions{Run: run, Actor: p.Lead, Rehearsal: true, Accept: accept}); err != nil {
		t.Fatal(err)
	}
	// No exports in a rehearsal: the firewall facts are the plan's.
	if err := c.FirewallAsPlanned(ctx, run, p.Lead); err != nil {
		t.Fatal(err)
	}
	done := 0
	for _, id := range (&planner.Plan{Steps: rb.Steps}).Order() {
		took, ok := script[id]
		if !ok {
			continue
		}
		s, _ := rb.Step(id)
		who := p.Lead
		for _, m := range p.Crew {
			if slices.Contains(m.Roles, s.Role) {
				who = m.Name
				break
			}
		}
		if _, err := c.StartStep(ctx, run, id, who); err != nil {
			t.Fatal(err)
		}
		clk.Advance(took)
		if s.Gate {
			signed := map[string]bool{}
			for _, m := range p.Crew {
				if !slices.ContainsFunc(m.Roles, func(r string) bool { return !signed[r] }) {
					continue
				}
				if _, err := c.SignGate(ctx, run, id, m.Name, "go", ""); err != nil {
					t.Fatal(err)
				}
				for _, r := range m.Roles {
					signed[r] = true
				}
			}
		} else if _, err := c.CompleteStep(ctx, run, id, who); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		done++
	}
	if done != len(script) {
		t.Fatalf("the script names %d steps, %d are in the plan", len(script), done)
	}
}

func TestPlanCalibrate(t *testing.T) {
	dir := t.TempDir()
	rehearse(t, dir, weekend, "rehearsal", weekendScript)

	r := calibrateCLI(t, weekend, "--from", "rehearsal", "--data-dir", dir)
	if r.err != nil {
		t.Fatalf("plan calibrate: %v\n%s", r.err, r.errOut)
	}
	golden(t, "calibrate", r.out)

	r = calibrateCLI(t, weekend, "--from", "rehearsal", "--data-dir", dir, "--output", "json")
	if r.err != nil {
		t.Fatalf("plan calibrate --output json: %v\n%s", r.err, r.errOut)
	}
	var v struct {
		Plan      string
		Rehearsal bool
		Measured  []struct {
			ID, Planned, Median, Proposed string
			ChangePercent                 float64 `json:"change_percent"`
			Unchanged                     bool
			Measured                      []struct{ Step, Actual string }
		}
		Phases []struct {
			Phase  string
			Factor float64
		}
		Diff string
	}
	if err := json.Unmarshal([]byte(r.out), &v); err != nil {
		t.Fatalf("plan calibrate --output json: %v\n%s", err, r.out)
	}
	if len(v.Measured) != 12 || v.Plan != "pa2-to-pa3" || !v.Rehearsal || len(v.Phases) != 2 {
		t.Fatalf("json: plan %s, rehearsal %v, %d groups, %d phases", v.Plan, v.Rehearsal, len(v.Measured), len(v.Phases))
	}
	if g := v.Measured[0]; g.ID != "shutdown-servers" || g.Median != "2h" || g.Proposed != "1h20m/2h/4h" || g.ChangePercent != 166.7 ||
		len(g.Measured) != 1 || g.Measured[0].Actual != "2h" {
		t.Errorf("json: first group %+v", g)
	}

	// --output diff is the diff alone, as the text shows it.
	r = calibrateCLI(t, weekend, "--from", "rehearsal", "--data-dir", dir, "-o", "diff")
	if r.err != nil || r.out != v.Diff || !strings.HasPrefix(r.out, "--- weekend.yaml\n+++ weekend.yaml\n@@ ") {
		t.Errorf("plan calibrate --output diff (%v):\n%s", r.err, r.out)
	}
}

func TestPlanCalibrateRefused(t *testing.T) {
	dir := t.TempDir()
	rehearse(t, dir, weekend, "rehearsal", weekendScript)
	other := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(other, []byte("plan: other\nwindow: {start: 2026-12-05 07:00, end: 2026-12-06 20:00, timezone: Europe/Paris}\nsteps: [{id: a, title: A, duration: 1h}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no --from", []string{weekend, "--data-dir", dir}, exitBadInput, "give the run to calibrate from: --from RUN"},
		{"bad run name", []string{weekend, "--from", "a.b", "--data-dir", dir}, exitBadInput, `--from "a.b" is not a run name`},
		{"no plan file", []string{"--from", "rehearsal", "--data-dir", dir}, exitBadInput, "give one plan file"},
		{"bad output", []string{weekend, "--from", "rehearsal", "--data-dir", dir, "-o", "csv"}, exitBadInput, `--output "csv"`},
		{"no such run", []string{weekend, "--from", "dress", "--data-dir", dir}, exitBadInput, "run dress is not in this event log"},
		{"run of another plan", []string{other, "--from", "rehearsal", "--data-dir", dir}, exitRefused,
			"run rehearsal was recorded from plan pa2-to-pa3 (../../examples/weekend.yaml), not from plan other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := calibrateCLI(t, tt.args...)
			if r.err == nil {
				t.Fatalf("succeeded, want exit status %d:\n%s", tt.code, r.out)
			}
			if got := exitCode(r.err); got != tt.code {
				t.Errorf("exit status %d, want %d: %v", got, tt.code, r.err)
			}
			if !strings.Contains(r.errOut, tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, r.errOut)
			}
		})
	}
}

// A plan on the built-in runbook: the template step's estimate is shared by
// its expansions, and the lines to change in a copy of the template are
// named, since no diff can change the built-in one.
func TestPlanCalibrateRunbook(t *testing.T) {
	dir := t.TempDir()
	p, err := planner.Load(reference)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Expand(p)
	if err != nil {
		t.Fatal(err)
	}
	script := map[string]time.Duration{"book-smart-hands": 45 * time.Minute} // 15m/30m/1h
	n := 0
	for _, s := range rb.Steps {
		if s.Template == "capture-rule-<id>" { // 5m/10m/20m: 12 to 16 minutes
			script[s.ID] = time.Duration(12+n%5) * time.Minute
			n++
		}
	}
	rehearse(t, dir, reference, "dress", script)
	r := calibrateCLI(t, reference, "--from", "dress", "--data-dir", dir)
	if r.err != nil {
		t.Fatalf("plan calibrate: %v\n%s", r.err, r.errOut)
	}
	golden(t, "calibrate-runbook", r.out)
	wantContains(t, "plan calibrate", r.out,
		"capture-rule-<id> (runbook)  23",
		fmt.Sprintf("line %d  capture-rule-<id>  duration: 5m/10m/20m  -> duration: 7m/14m/28m", templateLine(t, "capture-rule-<id>", "duration:")),
		"+    duration: 22m/45m/1h30m\n")
}

// templateLine is the line of the built-in runbook where the first line
// holding field follows the step with id.
func templateLine(t *testing.T, id, field string) int {
	t.Helper()
	b, err := os.ReadFile("../../runbooks/templates/weekend-cutover.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for i, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "- id: "+id {
			in = true
		}
		if in && strings.Contains(line, field) {
			return i + 1
		}
	}
	t.Fatalf("no step %s with %s in the built-in runbook", id, field)
	return 0
}
