package projections_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
)

const smallPlan = `
plan: small
lead: Claire
window: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: Europe/Paris}
crew:
  - {name: Claire, roles: [lead]}
  - {name: Karim, roles: [network]}
  - {name: Julien, roles: [tech]}
steps:
  - {id: capture, title: Capture rules, duration: 1h, role: network}
  - {id: shutdown, title: Shut down, duration: 30m, role: tech}
  - {id: move, title: Move, duration: 2h, after: [capture, shutdown], role: tech}
  - {id: validate, title: Validate, duration: 1h, after: [move]}
`

// calT0 is when the calibration tests' runs start.
var calT0 = time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)

// calibrationSetup returns a cutover on a fresh embedded log with the small
// plan started as run "r".
func calibrationSetup(t *testing.T) (*runbooks.Cutover, *runbooks.ManualClock, events.Log) {
	t.Helper()
	l := openLog(t)
	p, err := planner.Parse("small.yaml", []byte(smallPlan))
	if err != nil {
		t.Fatal(err)
	}
	clk := runbooks.NewManualClock(calT0)
	c := &runbooks.Cutover{Log: l, Clock: clk}
	out, err := c.Start(context.Background(), p, "r", "claire")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Appended) != 5 {
		t.Fatalf("start appended %d events, want 5", len(out.Appended))
	}
	return c, clk, l
}

// rehearse starts p as a dress rehearsal run on l (its warnings
// accepted) and does the scripted steps one at a time, in plan order, each
// taking exactly its scripted time on a manual clock: a go/no-go gate from
// its start to the last go signed. Steps outside the script are left undone.
func rehearse(t *testing.T, l events.Log, p *planner.Plan, run string, script map[string]time.Duration) {
	t.Helper()
	ctx := context.Background()
	clk := runbooks.NewManualClock(calT0)
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
	if _, err := c.StartWith(ctx, p, runbooks.StartOptions{Run: run, Actor: p.Crew[0].Name, Rehearsal: true, Accept: accept}); err != nil {
		t.Fatal(err)
	}
	// No exports in a rehearsal: the firewall facts are the plan's.
	if err := c.FirewallAsPlanned(ctx, run, p.Crew[0].Name); err != nil {
		t.Fatal(err)
	}
	holder := func(role string) string {
		for _, m := range p.Crew {
			if slices.Contains(m.Roles, role) {
				return m.Name
			}
		}
		return p.Crew[0].Name
	}
	done := 0
	for _, id := range (&planner.Plan{Steps: rb.Steps}).Order() {
		took, ok := script[id]
		if !ok {
			continue
		}
		s, _ := rb.Step(id)
		who := holder(s.Role)
		if _, err := c.StartStep(ctx, run, id, who); err != nil {
			t.Fatal(err)
		}
		clk.Advance(took)
		if s.Gate {
			// One go per role of the crew; the last completes the gate.
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
		clk.Advance(time.Minute) // a pause between steps is not measured
		done++
	}
	if done != len(script) {
		t.Fatalf("the script names %d steps, %d are in the plan", len(script), done)
	}
}

// copyFile copies the file at src into dir and returns the copy's path.
func copyFile(t *testing.T, src, dir string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

func mustLoad(t *testing.T, path string) *planner.Plan {
	t.Helper()
	p, err := planner.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// weekendScript is a dress rehearsal of examples/weekend.yaml: the
// "before" phase and the first steps of the move.
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

func TestCalibrateWeekend(t *testing.T) {
	dir := t.TempDir()
	path := copyFile(t, "../examples/weekend.yaml", dir)
	p := mustLoad(t, path)
	l := openLog(t)
	rehearse(t, l, p, "rehearsal", weekendScript)

	c, err := projections.Calibrate(context.Background(), l, "rehearsal", p)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 || len(c.NotInPlan) != 0 {
		t.Errorf("warnings %q, not in plan %q", c.Warnings, c.NotInPlan)
	}
	// Expectations worked out by hand from the rule in Calibrate's doc.
	want := []struct {
		id, proposed string
		change       int // percent
		unchanged    bool
	}{
		// 2h against 45m: r = 8/3; 30m*r = 80m < 2h; 1h30m*r = 4h > 2h30m.
		{"shutdown-servers", "1h20m/2h/4h", 167, false},
		// 3h30m against 2h: r = 1.75; 1h*r = 1h45m; 4h*r = 7h > 4h22m30s.
		{"recreate-fw-rules", "1h45m/3h30m/7h", 75, false},
		// 30m against 20m: r = 1.5; 15m*r = 22m30s, down to the minute;
		// 45m*r = 1h7m30s, up to 5 minutes.
		{"enter-degraded-mode", "22m/30m/1h10m", 50, false},
		{"pa2-exit-procedure", "1h/2h/4h", 33, false},
		{"prepare-pa3", "1h20m/2h/4h", 33, false},
		// 20m against 30m: r = 2/3; 30m*r = 20m < 20m*1.25 = 25m.
		{"remind-customers", "20m/20m/25m", -33, false},
		{"verify-backups", "40m/1h/2h", 33, false},
		// 1h20m against 1h30m: r = 8/9; 1h*r = 53m20s down to 50m;
		// 2h30m*r = 2h13m20s up to 2h15m.
		{"unrack-servers", "50m/1h20m/2h15m", -11, false},
		// 1h05m against 1h: +8%, inside 45m..2h: kept.
		{"capture-fw-rules", "45m/1h/2h", 8, true},
		{"capture-switch-config", "30m/45m/1h30m", 0, true},
		{"cool-down", "30m", 0, true},
		{"go-no-go", "15m", 0, true},
	}
	if len(c.Measured) != len(want) {
		t.Fatalf("%d groups measured, want %d", len(c.Measured), len(want))
	}
	for i, w := range want {
		g := c.Measured[i]
		if g.ID != w.id || g.Proposed.String() != w.proposed || int(roundPercent(g.Change)) != w.change || g.Unchanged != w.unchanged {
			t.Errorf("group %d: %s %s %+.0f%% unchanged=%v, want %s %s %+d%% unchanged=%v",
				i, g.ID, g.Proposed, 100*g.Change, g.Unchanged, w.id, w.proposed, w.change, w.unchanged)
		}
		if g.Source != planner.InPlan || len(g.Measured) != 1 {
			t.Errorf("group %s: source %s, %d measurements", g.ID, g.Source, len(g.Measured))
		}
	}
	if g := c.Measured[0]; g.Median != 2*time.Hour || g.Min != 2*time.Hour || g.Max != 2*time.Hour {
		t.Errorf("shutdown-servers measured median %s min %s max %s", g.Median, g.Min, g.Max)
	}

	// before: .67 1 1 1.08 1.33 1.33 1.75; move: .89 1 1.33 1.5 2.67.
	phases := fmt.Sprint(c.Phases)
	if wantPh := "[{before 1.0833333333333333 7} {move 1.3333333333333333 5}]"; phases != wantPh {
		t.Errorf("phase factors %s, want %s", phases, wantPh)
	}
	suggested := map[string]string{}
	for _, g := range c.Unmeasured {
		if !g.Unchanged {
			suggested[g.ID] = g.Proposed.String()
		}
	}
	wantSuggested := map[string]string{
		"unrack-network": "40m/1h/2h", "carry-to-pa3": "1h/1h20m/2h40m", "rack-network": "1h20m/2h/4h",
		"rack-servers": "2h/3h20m/5h30m", "load-fw-rules": "1h/1h20m/4h", "power-on": "40m/1h/2h",
	}
	if fmt.Sprint(suggested) != fmt.Sprint(wantSuggested) {
		t.Errorf("suggestions for the unmeasured steps:\n got %v\nwant %v", suggested, wantSuggested)
	}
	if len(c.Unmeasured) != 13 {
		t.Errorf("%d unmeasured groups, want 13 (6 move, 7 after)", len(c.Unmeasured))
	}

	// The diff rewrites exactly the duration lines of the 8 changed steps,
	// and the plan it gives is valid and carries the new estimates.
	if len(c.Edits) != 8 || len(c.Notes) != 0 {
		t.Fatalf("%d edits, notes %q; want 8 edits", len(c.Edits), c.Notes)
	}
	for _, e := range c.Edits {
		if !strings.HasPrefix(strings.TrimSpace(e.Old), "duration: ") || e.File != path || e.BuiltIn {
			t.Errorf("edit %+v", e)
		}
	}
	patched := applyDiff(t, dir, c.Diff)
	if len(patched) != 1 {
		t.Fatalf("the diff changes %d files, want the plan only:\n%s", len(patched), c.Diff)
	}
	writeFiles(t, patched)
	q := mustLoad(t, path)
	for _, w := range want {
		s, ok := q.Step(w.id)
		if !ok || s.Duration.String() != w.proposed {
			t.Errorf("patched plan: %s takes %v, want %s", w.id, s.Duration, w.proposed)
		}
	}
	if s, _ := q.Step("unrack-network"); s.Duration.String() != "30m/45m/1h30m" {
		t.Errorf("a suggestion for an unmeasured step went into the diff: unrack-network %s", s.Duration)
	}
	checkPatchTool(t, c.Diff, "../examples/weekend.yaml", path)

	// A plan file changed since the run is only a warning.
	if err := os.WriteFile(path, append(mustRead(t, path), "# edited after the rehearsal\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = projections.Calibrate(context.Background(), l, "rehearsal", mustLoad(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "is not the file run rehearsal was recorded from") {
		t.Errorf("warnings %q", c.Warnings)
	}
	// Its estimates are now the calibrated ones: the rehearsal agrees.
	for _, g := range c.Measured {
		if !g.Unchanged {
			t.Errorf("after calibration %s still changes by %+.0f%% to %s", g.ID, 100*g.Change, g.Proposed)
		}
	}
	if c.Diff != "" {
		t.Errorf("after calibration the diff is not empty:\n%s", c.Diff)
	}
}

func roundPercent(f float64) float64 {
	v, _ := strconv.ParseFloat(fmt.Sprintf("%.0f", 100*f), 64)
	return v
}

// A template step's expansions share one estimate: the group is the
// template step, and the built-in template is reported, not diffed; a
// template file next to the plan is diffed.
func TestCalibrateTemplate(t *testing.T) {
	dir := t.TempDir()
	path := copyFile(t, "../examples/pa2-pa3.yaml", dir)
	p := mustLoad(t, path)
	rb, err := runbooks.Expand(p)
	if err != nil {
		t.Fatal(err)
	}
	script := map[string]time.Duration{
		"book-smart-hands":         45 * time.Minute, // 15m/30m/1h
		"review-rule-in-https":     10 * time.Minute, // 5m/10m/30m
		"review-rule-default-deny": 12 * time.Minute,
	}
	// capture-rule-<id>, 5m/10m/20m: the rules take 12 to 16 minutes, i
	// mod 5 more than 12: five each of 12, 13 and 14, four of 15 and 16.
	var captures []string
	for _, s := range rb.Steps {
		if s.Template == "capture-rule-<id>" {
			script[s.ID] = time.Duration(12+len(captures)%5) * time.Minute
			captures = append(captures, s.ID)
		}
	}
	if len(captures) != 23 {
		t.Fatalf("%d capture-rule steps, want 23", len(captures))
	}
	l := openLog(t)
	rehearse(t, l, p, "r1", script)

	c, err := projections.Calibrate(context.Background(), l, "r1", p)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]planner.Group{}
	for _, g := range c.Measured {
		got[g.ID] = g
	}
	g := got["capture-rule-<id>"]
	// median 14m: r = 1.4; 5m*r = 7m < 12m; 20m*r = 28m > 16m*1.25 = 20m.
	if g.Source != planner.InRunbook || len(g.Measured) != 23 || len(g.Steps) != 23 || g.Median != 14*time.Minute ||
		g.Min != 12*time.Minute || g.Max != 16*time.Minute || g.Proposed.String() != "7m/14m/28m" || g.Unchanged {
		t.Errorf("capture-rule-<id>: %s, %d measured of %d, median %s min %s max %s, proposed %s",
			g.Source, len(g.Measured), len(g.Steps), g.Median, g.Min, g.Max, g.Proposed)
	}
	// Two of 23 review steps measured, inside 5m/10m/30m: kept.
	if g := got["review-rule-<id>"]; len(g.Measured) != 2 || g.Median != 11*time.Minute || !g.Unchanged {
		t.Errorf("review-rule-<id>: %d measured, median %s, unchanged %v", len(g.Measured), g.Median, g.Unchanged)
	}
	if g := got["book-smart-hands"]; g.Source != planner.InPlan || g.Proposed.String() != "22m/45m/1h30m" {
		t.Errorf("book-smart-hands: %s %s", g.Source, g.Proposed)
	}
	if c.Measured[0].ID != "book-smart-hands" || c.Measured[1].ID != "capture-rule-<id>" {
		t.Errorf("largest changes first: %s, %s", c.Measured[0].ID, c.Measured[1].ID)
	}
	// The built-in template's line is named, with the text to write.
	var builtIn []planner.Edit
	for _, e := range c.Edits {
		if e.BuiltIn {
			builtIn = append(builtIn, e)
		}
	}
	tpl := mustRead(t, "../runbooks/templates/weekend-cutover.yaml")
	if len(builtIn) != 1 || builtIn[0].File != "runbook weekend-cutover" || builtIn[0].Group != "capture-rule-<id>" ||
		strings.Split(string(tpl), "\n")[builtIn[0].Line-1] != builtIn[0].Old ||
		strings.TrimSpace(builtIn[0].New) != "duration: 7m/14m/28m" {
		t.Fatalf("built-in template edits: %+v", builtIn)
	}
	if strings.Contains(c.Diff, "weekend-cutover") || !strings.Contains(c.Diff, "+    duration: 22m/45m/1h30m\n") {
		t.Errorf("diff:\n%s", c.Diff)
	}

	// The same plan naming a copy of the template: both files are diffed,
	// and the plan expands into the new estimates.
	if err := os.WriteFile(filepath.Join(dir, "cutover.yaml"), tpl, 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(mustRead(t, path)), "\nrunbook: weekend-cutover\n", "\nrunbook: cutover.yaml\n", 1)
	if src == string(mustRead(t, path)) {
		t.Fatal("the plan names no runbook: weekend-cutover to replace")
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = projections.Calibrate(context.Background(), l, "r1", mustLoad(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 {
		t.Errorf("warnings %q, want one: the plan file changed", c.Warnings)
	}
	patched := applyDiff(t, dir, c.Diff)
	if len(patched) != 2 {
		t.Fatalf("the diff changes %d files, want the plan and the template:\n%s\nnotes: %q\nedits: %+v", len(patched), c.Diff, c.Notes, c.Edits)
	}
	writeFiles(t, patched)
	rb, err = runbooks.Expand(mustLoad(t, path))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rb.Steps {
		want := map[string]string{"capture-rule-<id>": "7m/14m/28m", "review-rule-<id>": "5m/10m/30m"}[s.Template]
		if s.ID == "book-smart-hands" {
			want = "22m/45m/1h30m"
		}
		if want != "" && s.Duration.String() != want {
			t.Errorf("after the diff, %s takes %s, want %s", s.ID, s.Duration, want)
		}
	}
}

// A step that failed and was retried is measured from its last start.
func TestCalibrateRetriedStep(t *testing.T) {
	ctx := context.Background()
	_, _, l := calibrationSetup(t)
	o := events.Origin{Run: "r", Plan: "small", Actor: "Karim"}
	var evs []events.Envelope
	for _, e := range []struct {
		at   time.Duration
		step string
		ev   events.Event
	}{
		{0, "capture", events.StepStarted{Step: "capture"}},
		{30 * time.Minute, "capture", events.StepFailed{Step: "capture", Reason: "export truncated"}},
		{40 * time.Minute, "capture", events.StepRetried{Step: "capture"}},
		{time.Hour, "capture", events.StepStarted{Step: "capture"}},
		{time.Hour + 50*time.Minute, "capture", events.StepCompleted{Step: "capture"}},
		{2 * time.Hour, "shutdown", events.StepStarted{Step: "shutdown"}}, // never completed
	} {
		env, err := events.New(calT0.Add(e.at), o, "step/"+e.step, e.ev)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, env)
	}
	if _, err := l.Append(ctx, "r", events.AnySequence, evs...); err != nil {
		t.Fatal(err)
	}
	p, err := planner.Parse("small.yaml", []byte(smallPlan))
	if err != nil {
		t.Fatal(err)
	}
	c, err := projections.Calibrate(ctx, l, "r", p)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Measured) != 1 || c.Measured[0].ID != "capture" || c.Measured[0].Median != 50*time.Minute {
		t.Fatalf("measured %+v, want capture in 50m", c.Measured)
	}
	// 50m against 1h: -17%; 1h*5/6 = 50m, 50m*1.25 = 1h2m30s up to 1h5m.
	if g := c.Measured[0]; g.Proposed.String() != "50m/50m/1h5m" || g.Unchanged {
		t.Errorf("capture: proposed %s (unchanged %v)", g.Proposed, g.Unchanged)
	}
	// The plan was parsed from memory: no file to diff, and a note says so.
	if c.Diff != "" || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "write duration: 50m/50m/1h5m by hand") {
		t.Errorf("diff %q, notes %q", c.Diff, c.Notes)
	}
}

func TestCalibrateRefused(t *testing.T) {
	ctx := context.Background()
	weekend := mustLoad(t, "../examples/weekend.yaml")
	small, err := planner.Parse("small.yaml", []byte(smallPlan))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		run     string
		plan    *planner.Plan
		prepare func(c *runbooks.Cutover, clk *runbooks.ManualClock)
		wantErr []error
		notErr  []error
		want    string
	}{
		{name: "no such run", run: "nope", plan: small,
			wantErr: []error{events.ErrNoRun}, notErr: []error{runbooks.ErrRefused}, want: "run nope is not in this event log"},
		{name: "run of another plan", run: "r", plan: weekend,
			prepare: func(c *runbooks.Cutover, clk *runbooks.ManualClock) {
				c.StartStep(ctx, "r", "capture", "Karim")
				clk.Advance(time.Hour)
				c.CompleteStep(ctx, "r", "capture", "Karim")
			},
			wantErr: []error{runbooks.ErrRefused}, want: "run r was recorded from plan small (small.yaml), not from plan pa2-to-pa3 (../examples/weekend.yaml)"},
		{name: "nothing completed", run: "r", plan: small,
			prepare: func(c *runbooks.Cutover, clk *runbooks.ManualClock) { c.StartStep(ctx, "r", "capture", "Karim") },
			wantErr: []error{runbooks.ErrRefused}, want: "run r has no completed step yet"},
		{name: "completed", run: "r", plan: small,
			prepare: func(c *runbooks.Cutover, clk *runbooks.ManualClock) {
				c.StartStep(ctx, "r", "capture", "Karim")
				clk.Advance(time.Hour)
				c.CompleteStep(ctx, "r", "capture", "Karim")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clk, l := calibrationSetup(t)
			if tt.prepare != nil {
				tt.prepare(c, clk)
			}
			_, err := projections.Calibrate(ctx, l, tt.run, tt.plan)
			if (err == nil) != (len(tt.wantErr) == 0) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want it to match %v", err, w)
				}
			}
			for _, w := range tt.notErr {
				if errors.Is(err, w) {
					t.Errorf("err = %v matches %v; it must not", err, w)
				}
			}
			if err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("refusal %q does not say %q", err, tt.want)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFiles(t *testing.T, files map[string]string) {
	t.Helper()
	for path, data := range files {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// applyDiff applies a unified diff strictly (every context and removed line
// must match, at the line the hunk says) to the files it names, relative to
// dir, and returns their new contents by path.
func applyDiff(t *testing.T, dir, diff string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.SplitAfter(diff, "\n")
	var old []string // the file being patched, by line
	var res []string // the result so far
	var name string
	at := 0 // lines of old consumed
	flush := func() {
		if name != "" {
			out[name] = strings.Join(append(res, old[at:]...), "")
		}
	}
	for i := 0; i < len(lines) && lines[i] != ""; i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "--- "):
			flush()
			name = strings.TrimSpace(strings.TrimPrefix(l, "--- "))
			if i+1 >= len(lines) || lines[i+1] != "+++ "+name+"\n" {
				t.Fatalf("diff line %d: %q is not followed by +++ of the same file", i+1, l)
			}
			if !filepath.IsLocal(name) {
				t.Fatalf("diff line %d: %q is not a local name: patch would refuse it", i+1, l)
			}
			i++
			name = filepath.Join(dir, filepath.FromSlash(name))
			old = strings.SplitAfter(string(mustRead(t, name)), "\n")
			if old[len(old)-1] == "" {
				old = old[:len(old)-1]
			}
			res, at = nil, 0
		case strings.HasPrefix(l, "@@ "):
			var a, b, c, d int
			if _, err := fmt.Sscanf(l, "@@ -%d,%d +%d,%d @@", &a, &b, &c, &d); err != nil {
				t.Fatalf("diff line %d: hunk header %q: %v", i+1, l, err)
			}
			if a-1 < at || c != a+len(res)-at {
				t.Fatalf("diff line %d: hunk %q out of order", i+1, l)
			}
			res = append(res, old[at:a-1]...)
			at = a - 1
			var removed, added int
			for i+1 < len(lines) && len(lines[i+1]) > 0 && strings.ContainsRune(" -+", rune(lines[i+1][0])) &&
				!strings.HasPrefix(lines[i+1], "--- ") {
				i++
				h := lines[i]
				switch h[0] {
				case ' ', '-':
					if at >= len(old) || old[at] != h[1:] {
						t.Fatalf("diff line %d: %q does not match %s line %d", i+1, h, name, at+1)
					}
					if h[0] == ' ' {
						res = append(res, h[1:])
						added++
					}
					at++
					removed++
				case '+':
					res = append(res, h[1:])
					added++
				}
			}
			if removed != b || added != d {
				t.Fatalf("hunk %q has %d old and %d new lines", l, removed, added)
			}
		default:
			t.Fatalf("diff line %d: unexpected %q", i+1, l)
		}
	}
	flush()
	return out
}

// checkPatchTool applies the diff with patch -p0 (when the machine has
// patch) to a fresh copy of the original file, and compares the result with
// the patched file.
func checkPatchTool(t *testing.T, diff, original, patched string) {
	t.Helper()
	if _, err := exec.LookPath("patch"); err != nil {
		t.Log("no patch(1) on this machine: the diff was applied by the test only")
		return
	}
	dir := t.TempDir()
	cp := copyFile(t, original, dir)
	cmd := exec.Command("patch", "-p0", "--batch", "--silent", "-d", dir)
	cmd.Stdin = strings.NewReader(diff)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("patch -p0: %v\n%s", err, out)
	}
	if string(mustRead(t, cp)) != string(mustRead(t, patched)) {
		t.Errorf("patch(1) and the test's applier disagree")
	}
}

// Measured reads the run's one model: a retried step from its last start, a
// gate to its last signature; failed, skipped, running and back-out steps
// are not measured, nor a cool-down, which ends by its timer.
func TestMeasured(t *testing.T) {
	r := runbooks.NewRun("")
	for _, rec := range liveRun(t) {
		r.Apply(rec)
	}
	got := map[string]string{}
	for id, m := range projections.Measured(r) {
		if m.Step != id || m.Actual != m.Completed.Sub(m.Started) {
			t.Errorf("%s: %+v", id, m)
		}
		got[id] = m.Started.UTC().Format("15:04") + " " + planner.Span(m.Actual) // UTC: Paris less an hour
	}
	want := map[string]string{
		"capture": "06:45 1h10m", "backup": "06:30 30m", "go-no-go": "08:00 12m", "shutdown-db": "08:15 35m",
		"unrack-db": "09:05 1h30m", "rack-db": "10:40 2h", "validate": "12:45 45m", "announce": "13:40 15m",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("measured:\n got %v\nwant %v", got, want)
	}
}
