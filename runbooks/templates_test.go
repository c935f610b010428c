package runbooks_test

import (
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
