package examples_test

import (
	"fmt"
	"io/fs"
	"testing"

	"github.com/dcmove/dcmove/examples"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

// TestPlansParse checks that every shipped plan is valid, so that a user
// who copies one starts from a plan that works.
func TestPlansParse(t *testing.T) {
	names, err := fs.Glob(examples.FS, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no plans embedded")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p := parse(t, name)
			t.Log(p.Summary())
		})
	}
}

func TestDemoIsEmbedded(t *testing.T) {
	if _, err := fs.Stat(examples.FS, examples.Demo); err != nil {
		t.Fatalf("Demo %q: %v", examples.Demo, err)
	}
}

// TestReferenceScenario checks that pa2-pa3.yaml is the Workit move the
// spec describes, and that the plan people copy carries no lint error.
func TestReferenceScenario(t *testing.T) {
	p := parse(t, "pa2-pa3.yaml")
	count := func(n int, ok func(i int) bool) int {
		c := 0
		for i := range n {
			if ok(i) {
				c++
			}
		}
		return c
	}
	servers := count(len(p.Assets), func(i int) bool { return p.Assets[i].Kind == "server" && p.Assets[i].Moved() })
	network := count(len(p.Assets), func(i int) bool { a := p.Assets[i]; return a.Kind == "firewall" || a.Kind == "switch" })
	vital := count(len(p.Services), func(i int) bool { return p.Services[i].Vital })
	obsolete := count(len(p.FirewallRules), func(i int) bool { return p.FirewallRules[i].Obsolete })
	nonStandard := count(len(p.Assets), func(i int) bool { return !p.Assets[i].Standard })
	exits := 0
	for _, s := range p.Sites {
		exits += count(len(s.Access), func(i int) bool { return s.Access[i].When == "exit" })
	}
	tests := []struct {
		name     string
		got      int
		min, max int
	}{
		{"moved servers", servers, 14, 16},
		{"firewalls and switches", network, 4, 4},
		{"services", len(p.Services), 8, 12},
		{"vital services", vital, 1, len(p.Services) - 1},
		{"firewall rules", len(p.FirewallRules), 18, 25},
		{"obsolete firewall rules", obsolete, 2, 5},
		{"domains", len(p.Domains), 4, 12},
		{"crew", len(p.Crew), 5, 5},
		{"stakeholders", len(p.Stakeholders), 3, 6},
		{"non-standard assets", nonStandard, 1, 1},
		{"exit procedures", exits, 1, 2},
		{"vehicles", len(p.Transport), 1, 2},
	}
	for _, tt := range tests {
		if tt.got < tt.min || tt.got > tt.max {
			t.Errorf("%s: %d, want %d to %d", tt.name, tt.got, tt.min, tt.max)
		}
	}
	if p.Runbook != "weekend-cutover" {
		t.Errorf("runbook = %q, want weekend-cutover", p.Runbook)
	}
	for _, f := range planner.Lint(p) {
		if f.Severity == planner.SeverityError {
			t.Errorf("lint error: %v", f)
		} else {
			t.Logf("accepted: %v", f)
		}
	}
}

func parse(t *testing.T, name string) *planner.Plan {
	t.Helper()
	data, err := fs.ReadFile(examples.FS, name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Parse(name, data)
	if err != nil {
		t.Fatalf("example plan is not valid:\n%v", err)
	}
	return p
}

// Generated moves of any size are valid plans that fit their window in
// the crew's shifts, as dcmove plan check says of them. (At 100 assets the
// scheduler falls back to open last shifts and finds a schedule that needs
// no overtime: the verdict said "DOES NOT FIT the window" of a move that
// ends inside it.)
func TestGeneratedPlansCheck(t *testing.T) {
	for _, n := range []int{1, 2, 11, 100} {
		t.Run(fmt.Sprint(n, "-assets"), func(t *testing.T) {
			data, err := examples.Large(n)
			if err != nil {
				t.Fatal(err)
			}
			p, err := planner.Parse("large.yaml", data)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := runbooks.Expand(p)
			if err != nil {
				t.Fatal(err)
			}
			a, err := planner.Analyze(p, rb, planner.Options{Seed: 1, Samples: -1})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range a.Findings {
				if f.Severity == planner.SeverityError {
					t.Errorf("%s", f)
				}
			}
			if !a.Fits || len(a.Overtime) > 0 || a.End.After(p.Window.End) {
				t.Errorf("%d steps end %s (window end %s), fits %v, overtime %v", len(a.Steps), a.End, p.Window.End, a.Fits, a.Overtime)
			}
			if n == 100 && len(a.Steps) < 700 {
				t.Errorf("100 assets make %d steps; the figures in the README assume about 7 per asset", len(a.Steps))
			}
		})
	}
	if _, err := examples.Large(0); err == nil {
		t.Error("0 assets: no error")
	}
	if _, err := examples.Large(examples.MaxLargeAssets + 1); err == nil {
		t.Error("too many assets: no error")
	}
}
