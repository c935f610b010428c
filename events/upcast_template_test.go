package events_test

import (
	"os"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// A run recorded before step.planned v2 reads with the kinds a run of the
// same runbook records today: the upcaster's table of the built-in runbook's
// version 1 ids agrees with the kinds the runbook declares, for every step
// that still exists (a step added later is not in the table, and needs no
// entry: its runs are recorded at version 2).
func TestUpcastTableMatchesBuiltInRunbook(t *testing.T) {
	const path = "../runbooks/templates/weekend-cutover.yaml"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := planner.ParseTemplate(path, b)
	if err != nil {
		t.Fatal(err)
	}
	inTemplate := 0
	for _, s := range tpl.Steps {
		want, ok := events.V1TemplateKinds[s.ID]
		if !ok {
			continue
		}
		inTemplate++
		if s.Kind != want {
			t.Errorf("%s: template step %s declares kind %q; version 1 runs of it read as %q", s.Pos, s.ID, s.Kind, want)
		}
	}
	if inTemplate != len(events.V1TemplateKinds) {
		t.Logf("%d of the %d version 1 template steps are still in the runbook", inTemplate, len(events.V1TemplateKinds))
	}
	if inTemplate == 0 {
		t.Fatal("no step of the built-in runbook is in the version 1 table")
	}
}
