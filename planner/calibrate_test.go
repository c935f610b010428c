package planner_test

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/planner"
)

// calibrateMini calibrates expandPlan, on miniTemplate as a built-in
// runbook, from steps that took the given minutes; read serves the two
// texts from memory.
func calibrateMini(t *testing.T, plan string, took map[string]int) *planner.Calibration {
	t.Helper()
	p, err := planner.Parse("small.yaml", []byte(expandPlan))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := planner.ParseTemplate("runbook mini", []byte(miniTemplate))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := planner.Expand(p, tpl)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	rec := planner.Recording{Run: "r", File: "old.yaml", Hash: "0123456789abcdef0123", Rehearsal: true, Done: map[string]planner.Measurement{}}
	for id, m := range took {
		d := time.Duration(m) * time.Minute
		rec.Done[id] = planner.Measurement{Step: id, Started: start, Completed: start.Add(d), Actual: d}
	}
	read := func(name string) ([]byte, error) {
		switch name {
		case "small.yaml":
			return []byte(plan), nil
		case "runbook mini":
			return []byte(miniTemplate), nil
		}
		return nil, fs.ErrNotExist
	}
	return planner.Calibrate(p, tpl, rb, rec, read)
}

// Calibrate is pure: the groups, proposals, edits and diff come from the
// measurements and the texts read gives it.
func TestCalibrateFromMeasurements(t *testing.T) {
	c := calibrateMini(t, expandPlan, map[string]int{
		"unrack-db-1": 30, "unrack-app-1": 40, // 20m
		"call-remote-hands": 20, // 10m
		"cooldown-db-1":     45, // the item's 30m
		"gone":              5,
	})
	if c.Run != "r" || c.Plan != "small" || !c.Rehearsal || len(c.Warnings) != 1 ||
		!strings.Contains(c.Warnings[0], "small.yaml is not the file run r was recorded from (old.yaml, sha256 0123456789ab)") {
		t.Errorf("run %s, plan %s, rehearsal %v, warnings %q", c.Run, c.Plan, c.Rehearsal, c.Warnings)
	}
	if strings.Join(c.NotInPlan, ",") != "gone" {
		t.Errorf("not in plan: %q", c.NotInPlan)
	}
	got := map[string]planner.Group{}
	for _, g := range c.Measured {
		got[g.ID] = g
	}
	// 35m against 20m: r = 1.75; 20m*r = 35m > 30m; 40m*1.25 = 50m.
	if g := got["unrack-<id>"]; g.Source != planner.InRunbook || len(g.Measured) != 2 || len(g.Steps) != 3 ||
		g.Median != 35*time.Minute || g.Proposed.String() != "30m/35m/50m" || g.Unchanged || g.Measured[0].Ratio != 1.5 && g.Measured[0].Ratio != 2 {
		t.Errorf("unrack-<id>: %s, %d of %d measured, median %s, proposed %s", g.Source, len(g.Measured), len(g.Steps), g.Median, g.Proposed)
	}
	if g := got["call-remote-hands"]; g.Source != planner.InPlan || g.Proposed.String() != "20m/20m/25m" || g.Change != 1 {
		t.Errorf("call-remote-hands: %s %s %+.0f%%", g.Source, g.Proposed, 100*g.Change)
	}
	if g := got["cooldown-db-1"]; g.Source != planner.InItem || g.Unchanged {
		t.Errorf("cooldown-db-1: %s unchanged %v", g.Source, g.Unchanged)
	}
	if c.Measured[0].ID != "call-remote-hands" || c.Measured[1].ID != "unrack-<id>" {
		t.Errorf("largest changes first: %s, %s", c.Measured[0].ID, c.Measured[1].ID)
	}
	// move: 1.5 1.5 2 (the cool-down counts); the plan's own step has no
	// phase: 2.
	if len(c.Phases) != 2 || c.Phases[0] != (planner.PhaseFactor{Phase: "move", Factor: 1.5, Steps: 3}) ||
		c.Phases[1] != (planner.PhaseFactor{Phase: "", Factor: 2, Steps: 1}) {
		t.Errorf("phases %+v", c.Phases)
	}
	// Not measured: 20m scaled by the phase's 1.5, a suggestion only.
	suggested := map[string]string{}
	for _, g := range c.Unmeasured {
		if !g.Unchanged {
			suggested[g.ID] = g.Proposed.String()
		}
	}
	if suggested["rack-<id>"] != "30m" || suggested["cooldown-<id>"] != "" {
		t.Errorf("suggestions %v", suggested)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "cooldown-db-1 takes its duration from a plan item") {
		t.Errorf("notes %q", c.Notes)
	}
	if len(c.Edits) != 2 {
		t.Fatalf("edits %+v", c.Edits)
	}
	for _, e := range c.Edits {
		switch e.Group {
		case "unrack-<id>":
			if e.File != "runbook mini" || !e.BuiltIn || e.New != strings.Replace(e.Old, "duration: 20m", "duration: 30m/35m/50m", 1) {
				t.Errorf("template edit %+v", e)
			}
		case "call-remote-hands":
			if e.File != "small.yaml" || e.BuiltIn || e.New != strings.Replace(e.Old, "duration: 10m", "duration: 20m/20m/25m", 1) {
				t.Errorf("plan edit %+v", e)
			}
		default:
			t.Errorf("edit %+v", e)
		}
	}
	// The built-in template is not in the diff.
	if !strings.HasPrefix(c.Diff, "--- small.yaml\n+++ small.yaml\n@@ ") || strings.Contains(c.Diff, "mini") ||
		!strings.Contains(c.Diff, "\n+  - {id: call-remote-hands, title: Call the remote hands, duration: 20m/20m/25m, role: lead, after: [go]}\n") {
		t.Errorf("diff:\n%s", c.Diff)
	}

	// A plan file that changed since it was parsed is not rewritten.
	c = calibrateMini(t, expandPlan+"# edited\n", map[string]int{"call-remote-hands": 20})
	if c.Diff != "" || len(c.Edits) != 0 || len(c.Notes) != 1 ||
		!strings.Contains(c.Notes[0], "small.yaml changed since it was loaded; run the calibration again") {
		t.Errorf("diff %q, edits %+v, notes %q", c.Diff, c.Edits, c.Notes)
	}
}
