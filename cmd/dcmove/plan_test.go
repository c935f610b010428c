package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const reference = "../../examples/pa2-pa3.yaml"

func TestPlanCheckReference(t *testing.T) {
	out := mustRun(t, nil, "plan", "check", reference)
	wantContains(t, "plan check", out,
		"runbook: weekend-cutover,",
		"fits the window",
		"simulated weekends end inside the window",
		"point of no return: ",
		"warning L003: stakeholder support-desk")
	// The same verdict for scripts.
	js := mustRun(t, nil, "plan", "check", reference, "--output", "json")
	var v struct {
		Kind            string
		Version         int
		Plan            string
		Fits            bool
		Steps, Trips    int
		Probability     float64
		PointOfNoReturn *string `json:"point_of_no_return"`
		Findings        []struct{ ID, Severity string }
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatalf("plan check --output json: %v\n%s", err, js)
	}
	if v.Kind != "plan-check" || v.Version != 1 || v.Plan != "pa2-to-pa3" || !v.Fits || v.Steps < 200 || v.Trips == 0 || v.Probability <= 0 || v.PointOfNoReturn == nil || len(v.Findings) == 0 {
		t.Errorf("json verdict %+v", v)
	}
	for _, f := range v.Findings {
		if f.Severity == "error" {
			t.Errorf("the reference plan has an error finding: %+v", f)
		}
	}
}

// A plan whose backups live on a machine that moves is refused: exit 2,
// and the finding names the line.
func TestPlanCheckLintErrors(t *testing.T) {
	src, err := os.ReadFile(reference)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), `stored_on: "offsite:ovh-s3-gra"`, "stored_on: backup-1", 1)
	if bad == string(src) {
		t.Fatal("no off-site backup to move onto backup-1 in the reference plan")
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	r := dcmove(t.Context(), nil, "plan", "check", path, "--samples", "0")
	if r.err == nil || exitCode(r.err) != exitBadInput {
		t.Fatalf("plan check of a plan with an L001 error: err %v", r.err)
	}
	wantContains(t, "plan check", r.out, "error L001", "bad.yaml:")
}

func TestPlanScheduleAndImportRoundTrip(t *testing.T) {
	out := mustRun(t, nil, "plan", "schedule", weekend, "--samples", "0")
	wantContains(t, "plan schedule", out, "STEP", "capture-fw-rules", "critical", "Karim Haddad")
	csv := mustRun(t, nil, "plan", "schedule", weekend, "--samples", "0", "--output", "csv")
	path := filepath.Join(t.TempDir(), "sheet.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := mustRun(t, nil, "plan", "import", "--from-csv", path)
	wantContains(t, "plan import", yaml, "steps:", "id: capture-fw-rules", "after: [capture-fw-rules, capture-switch-config]")
	if n := strings.Count(yaml, "- id: "); n != 25 {
		t.Errorf("re-imported %d steps, want 25:\n%s", n, yaml)
	}
	// A bad sheet: every error with its row and column.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("id,title,duration,predecessors\na,First,30m,\nb,Second,soon,a\nc,Third,1h,zz\n"), 0o644)
	r := dcmove(t.Context(), nil, "plan", "import", "--from-csv", bad)
	if r.err == nil || exitCode(r.err) != exitBadInput {
		t.Fatalf("import of a bad sheet: %v", r.err)
	}
	wantContains(t, "report", r.errOut, "bad.csv:3:3:", "bad.csv:4:4:")
}

func TestPlanGanttFormats(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"text", "mermaid", "svg", "html"} {
		path := filepath.Join(dir, "gantt."+f)
		out := mustRun(t, nil, "plan", "gantt", reference, "--samples", "0", "--format", f, "--out", path)
		wantContains(t, "plan gantt", out, "wrote "+path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		switch f {
		case "text":
			wantContains(t, f, s, "go-no-go", "PONR")
		case "mermaid":
			wantContains(t, f, s, "gantt", "section move", "milestone")
		case "svg":
			if err := xml.Unmarshal(b, new(struct{})); err != nil {
				t.Errorf("svg is not XML: %v", err)
			}
			wantContains(t, f, s, `id="ponr"`, "go-no-go")
		case "html":
			wantContains(t, f, s, "<svg", "go-no-go", "</html>")
		}
	}
	mustFail(t, nil, exitBadInput, "plan", "gantt", reference, "--samples", "0", "--format", "pdf")
}

func TestPlanLints(t *testing.T) {
	out := mustRun(t, nil, "plan", "lints")
	for _, id := range []string{"L001", "L005", "L010", "L014", "L016", "L017"} {
		wantContains(t, "plan lints", out, id)
	}
	wantContains(t, "plan lints", out, "Online 2017")
}
