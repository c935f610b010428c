package runbooks

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/dcmove/dcmove/planner"
)

// Templates holds the built-in runbook templates, one YAML file each.
//
//go:embed templates/*.yaml
var Templates embed.FS

// BuiltIn lists the names of the built-in runbook templates.
func BuiltIn() []string {
	entries, _ := fs.ReadDir(Templates, "templates")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return names
}

// LoadTemplate returns the runbook template a plan names: a built-in name,
// or a file path (relative to the plan file's directory).
func LoadTemplate(p *planner.Plan) (*planner.Template, error) {
	name := p.Runbook
	if data, err := Templates.ReadFile("templates/" + name + ".yaml"); err == nil {
		return planner.ParseTemplate("runbook "+name, data)
	}
	path := name
	if !filepath.IsAbs(path) && p.File != "" {
		path = filepath.Join(filepath.Dir(p.File), path)
	}
	t, err := planner.LoadTemplate(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("runbook %q is neither built in (%s) nor a file at %s", name, strings.Join(BuiltIn(), ", "), path)
	}
	if err != nil && !errors.Is(err, planner.ErrInvalid) {
		return nil, fmt.Errorf("read runbook: %w", err)
	}
	return t, err
}

// Expand returns the plan's runbook: its template expanded, plus its own
// steps; a plan without runbook is its steps.
func Expand(p *planner.Plan) (*planner.Runbook, error) {
	if p.Runbook == "" {
		return planner.Expand(p, nil)
	}
	t, err := LoadTemplate(p)
	if err != nil {
		return nil, err
	}
	return planner.Expand(p, t)
}
