package examples_test

import (
	"io/fs"
	"testing"

	"github.com/dcmove/dcmove/examples"
	"github.com/dcmove/dcmove/planner"
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
			data, err := fs.ReadFile(examples.FS, name)
			if err != nil {
				t.Fatal(err)
			}
			p, err := planner.Parse(name, data)
			if err != nil {
				t.Fatalf("example plan is not valid:\n%v", err)
			}
			t.Log(p.Summary())
		})
	}
}

func TestDemoIsEmbedded(t *testing.T) {
	if _, err := fs.Stat(examples.FS, examples.Demo); err != nil {
		t.Fatalf("Demo %q: %v", examples.Demo, err)
	}
}
