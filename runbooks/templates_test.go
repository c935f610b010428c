package runbooks_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

func TestBuiltInTemplatesParse(t *testing.T) {
	names := runbooks.BuiltIn()
	if len(names) == 0 {
		t.Fatal("no built-in runbook templates")
	}
	for _, name := range names {
		data, err := runbooks.Templates.ReadFile("templates/" + name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := planner.ParseTemplate(name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tpl.Name != name {
			t.Errorf("template file %s.yaml names itself %q", name, tpl.Name)
		}
	}
}

func TestPlanNamesItsOwnTemplate(t *testing.T) {
	dir := t.TempDir()
	tpl := `runbook: tiny
phases: [{id: move, timing: window}]
steps:
  - {id: shutdown-<id>, for: assets, where: moved, title: Shut down <title>, phase: move, duration: 10m, role: tech}
`
	plan := `plan: own
runbook: tiny.yaml
lead: Claire
window: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: Europe/Paris}
sites: [{id: a}, {id: b}]
crew:
  - {name: Claire, roles: [lead, tech]}
assets:
  - {id: web-1, from: {site: a, rack: R1, u: 1}, to: {site: b, rack: R2, u: 1}}
`
	if err := os.WriteFile(filepath.Join(dir, "tiny.yaml"), []byte(tpl), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(path, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := planner.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := runbooks.Expand(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Steps) != 1 || rb.Steps[0].ID != "shutdown-web-1" || rb.Name != "tiny" {
		t.Fatalf("runbook %s: %+v", rb.Name, rb.Steps)
	}
	p.Runbook = "weekend-cutvoer"
	if _, err := runbooks.Expand(p); err == nil || !strings.Contains(err.Error(), "neither built in (weekend-cutover)") {
		t.Fatalf("unknown runbook: %v", err)
	}
}
