package planner_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/planner"
)

// lintBase is a plan no lint finds anything in; cases edit it with
// lintWith. The line numbers in the cases are those of lintBase.
const lintBase = `plan: lint
lead: Ana
window:
  start: 2026-12-05 08:00
  end: 2026-12-05 20:00
  timezone: Europe/Paris
sites:
  - {id: PA2}
  - {id: PA3}
crew:
  - {name: Ana, roles: [lead, tech]}
assets:
  - id: db-1
    from: {site: PA2, rack: R1, u: 10}
    to: {site: PA3, rack: R2, u: 10}
    power: 300
    cooldown: 30m
    services: [db]
  - id: nas-1
    from: {site: PA2, rack: R1, u: 20}
services:
  - id: db
    rto: 2h
    checks:
      - {kind: tcp, target: db-1:5432, from: [paris, frankfurt]}
backups:
  - {id: db-nightly, of: db-1, stored_on: nas-1, verified: true}
stakeholders:
  - {id: customers, notice: 21d, ack: true}
steps:
  - {id: a, title: A, duration: 30m}
`

// lintWith returns lintBase with each old text replaced by the new text
// that follows it, and fails the test if an old text is not there.
func lintWith(t *testing.T, oldNew ...string) string {
	t.Helper()
	s := lintBase
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			t.Fatalf("%q is not in the plan", oldNew[i])
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	return s
}

func lintPlan(t *testing.T, src string) []planner.Finding {
	t.Helper()
	p, err := planner.Parse("plan.yaml", []byte(src))
	if err != nil {
		t.Fatalf("plan is not valid:\n%v", err)
	}
	return planner.Lint(p)
}

func TestLintBaseIsClean(t *testing.T) {
	if fs := lintPlan(t, lintBase); len(fs) > 0 {
		t.Errorf("Lint found %v in the base plan, want nothing", fs)
	}
}

func TestLint(t *testing.T) {
	const (
		movedNAS    = "    from: {site: PA2, rack: R1, u: 20}\n"
		offsiteCopy = "  - {id: db-offsite, of: db-1, stored_on: \"offsite:s3-paris\", verified: true}\n"
	)
	tests := []struct {
		name      string
		bad, good []string // edits of lintBase: old, new, old, new...
		wantID    string
		wantSev   planner.Severity
		wantPos   string // "" for a finding about no place in particular
		wantMsg   string
	}{
		{
			name:    "L001 backup on a moved asset",
			bad:     []string{movedNAS, movedNAS + "    to: {site: PA3, rack: R2, u: 20}\n"},
			good:    []string{movedNAS, movedNAS + "    to: {site: PA3, rack: R2, u: 20}\n", "stakeholders:\n", offsiteCopy + "stakeholders:\n"},
			wantID:  "L001",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:28:5",
			wantMsg: "backup db-nightly of db-1 is stored on nas-1, which is moved too, and db-1 has no verified copy anywhere else",
		},
		{
			name:    "L001 backup on a decommissioned asset",
			bad:     []string{movedNAS, movedNAS + "    decommission: true\n"},
			good:    []string{movedNAS, movedNAS + "    decommission: true\n", "stakeholders:\n", offsiteCopy + "stakeholders:\n"},
			wantID:  "L001",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:28:5",
			wantMsg: "stored on nas-1, which is decommissioned",
		},
		{
			name:    "L001 backup on the asset it backs up",
			bad:     []string{"stored_on: nas-1", "stored_on: db-1"},
			good:    []string{"stored_on: nas-1", `stored_on: "offsite:s3-paris"`},
			wantID:  "L001",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:27:5",
			wantMsg: "backup db-nightly of db-1 is stored on db-1 itself",
		},
		{
			name:    "L001 an unverified copy elsewhere does not count",
			bad:     []string{"stored_on: nas-1", "stored_on: db-1", "stakeholders:\n", strings.Replace(offsiteCopy, "true", "false", 1) + "stakeholders:\n"},
			good:    []string{"stored_on: nas-1", "stored_on: db-1", "stakeholders:\n", offsiteCopy + "stakeholders:\n"},
			wantID:  "L001",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:27:5",
			wantMsg: "no verified copy anywhere else",
		},
		{
			name:    "L002 short notice",
			bad:     []string{"notice: 21d", "notice: 5d"},
			good:    []string{"notice: 21d", "notice: 14d"},
			wantID:  "L002",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:29:5",
			wantMsg: "stakeholder customers is told 5d before the window, less than 14d",
		},
		{
			name:    "L002 no notice",
			bad:     []string{"notice: 21d, ", ""},
			good:    []string{"notice: 21d, ", "notice: 30d, "},
			wantID:  "L002",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:29:5",
			wantMsg: "stakeholder customers has no notice period",
		},
		{
			name:    "L003 no acknowledgement",
			bad:     []string{"ack: true", "ack: false"},
			good:    nil,
			wantID:  "L003",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:29:5",
			wantMsg: "stakeholder customers is not asked to acknowledge the notice",
		},
		{
			name:    "L004 window overlaps a blackout",
			bad:     []string{"  timezone: Europe/Paris\n", "  timezone: Europe/Paris\n  blackouts:\n    - {name: Black Friday freeze, start: 2026-11-27 00:00, end: 2026-12-07 00:00}\n"},
			good:    []string{"  timezone: Europe/Paris\n", "  timezone: Europe/Paris\n  blackouts:\n    - {name: Black Friday freeze, start: 2026-11-27 00:00, end: 2026-11-30 00:00}\n"},
			wantID:  "L004",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:8:7",
			wantMsg: `the window (Sat 5 Dec 2026 08:00 – Sat 5 Dec 2026 20:00) overlaps blackout "Black Friday freeze" (Fri 27 Nov 2026 00:00 – Mon 7 Dec 2026 00:00)`,
		},
		{
			name:    "L004 summer holidays",
			bad:     []string{"2026-12-05 08:00", "2026-07-31 08:00", "2026-12-05 20:00", "2026-07-31 20:00"},
			good:    []string{"2026-12-05 08:00", "2026-06-26 08:00", "2026-12-05 20:00", "2026-06-26 20:00"},
			wantID:  "L004",
			wantSev: planner.SeverityWarning,
			wantMsg: "falls in the summer holidays (July and August), and the plan declares no blackout",
		},
		{
			name:    "L004 year-end holidays, across the new year",
			bad:     []string{"2026-12-05 08:00", "2027-01-05 08:00", "2026-12-05 20:00", "2027-01-05 20:00"},
			good:    []string{"2026-12-05 08:00", "2027-01-06 08:00", "2026-12-05 20:00", "2027-01-06 20:00"},
			wantID:  "L004",
			wantSev: planner.SeverityWarning,
			wantMsg: "falls in the year-end holidays",
		},
		{
			name:    "L004 holidays checked: a blackout is declared",
			bad:     []string{"2026-12-05 08:00", "2026-12-21 08:00", "2026-12-05 20:00", "2026-12-21 20:00"},
			good:    []string{"2026-12-05 08:00", "2026-12-21 08:00", "2026-12-05 20:00", "2026-12-21 20:00", "  timezone: Europe/Paris\n", "  timezone: Europe/Paris\n  blackouts:\n    - {name: Christmas Eve, start: 2026-12-24 00:00, end: 2026-12-26 00:00}\n"},
			wantID:  "L004",
			wantSev: planner.SeverityWarning,
			wantMsg: "falls in the year-end holidays",
		},
		{
			name:    "L006 non-standard asset without its own check",
			bad:     []string{"    services: [db]\n", "    services: [db]\n    standard: false\n"},
			good:    []string{"    services: [db]\n", "    services: [db]\n    standard: false\n    checks: [{kind: tcp, target: db-1:5433, from: [paris, frankfurt]}]\n"},
			wantID:  "L006",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:13:5",
			wantMsg: "asset db-1 is non-standard (standard: false) but has no check of its own",
		},
		{
			name:    "L007 service without checks",
			bad:     []string{"    checks:\n      - {kind: tcp, target: db-1:5432, from: [paris, frankfurt]}\n", ""},
			wantID:  "L007",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:22:5",
			wantMsg: "service db has no checks",
		},
		{
			name:    "L008 service without rto",
			bad:     []string{"    rto: 2h\n", ""},
			good:    []string{"    rto: 2h\n", "    rto: 1d\n"},
			wantID:  "L008",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:22:5",
			wantMsg: "service db has no restoration time objective",
		},
		{
			name:    "L009 check from one vantage point",
			bad:     []string{"from: [paris, frankfurt]", "from: [paris]"},
			wantID:  "L009",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:25:9",
			wantMsg: "check db-tcp of service db (tcp db-1:5432) runs from one vantage point (paris)",
		},
		{
			name:    "L011 powered asset moved without cool-down",
			bad:     []string{"    cooldown: 30m\n", ""},
			good:    []string{"    cooldown: 30m\n", "    cooldown: 1h\n"},
			wantID:  "L011",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:13:5",
			wantMsg: "asset db-1 draws 300 W and moves, but has no cool-down",
		},
		{
			name:    "L013 shift longer than 12 hours",
			bad:     []string{"roles: [lead, tech]}", "roles: [lead, tech], shifts: [{start: 2026-12-05 06:00, end: 2026-12-05 20:00}]}"},
			good:    []string{"roles: [lead, tech]}", "roles: [lead, tech], shifts: [{start: 2026-12-05 08:00, end: 2026-12-05 20:00}]}"},
			wantID:  "L013",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:11:47",
			wantMsg: "Ana works a 14h shift, longer than 12h",
		},
		{
			name:    "L013 no shifts in a long window",
			bad:     []string{"end: 2026-12-05 20:00", "end: 2026-12-06 20:00"},
			good:    []string{"end: 2026-12-05 20:00", "end: 2026-12-06 20:00", "roles: [lead, tech]}", "roles: [lead, tech], shifts: [{start: 2026-12-05 08:00, end: 2026-12-05 20:00}, {start: 2026-12-06 08:00, end: 2026-12-06 20:00}]}"},
			wantID:  "L013",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:11:5",
			wantMsg: "Ana has no shifts, so is counted on for the whole 36h window",
		},
		{
			name:    "L017 no lead",
			bad:     []string{"lead: Ana\n", ""},
			wantID:  "L017",
			wantSev: planner.SeverityError,
			wantMsg: "the plan names no lead",
		},
		{
			name:    "L017 lead without the lead role",
			bad:     []string{"roles: [lead, tech]", "roles: [tech]"},
			wantID:  "L017",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:11:5",
			wantMsg: "lead Ana does not have the lead role",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := lintPlan(t, lintWith(t, tt.bad...))
			if len(fs) != 1 {
				t.Fatalf("Lint found %d problems, want 1:\n%s", len(fs), lines(fs))
			}
			f := fs[0]
			if f.ID != tt.wantID || f.Severity != tt.wantSev {
				t.Errorf("finding is %s %s, want %s %s", f.Severity, f.ID, tt.wantSev, tt.wantID)
			}
			if got := pos(f.Pos); got != tt.wantPos {
				t.Errorf("position = %q, want %q", got, tt.wantPos)
			}
			if !strings.Contains(f.Message, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", f.Message, tt.wantMsg)
			}
			if f.Lesson == "" || f.Fix == "" {
				t.Errorf("finding %v has no lesson or no fix", f)
			}
			if tt.good == nil {
				return
			}
			if fs := lintPlan(t, lintWith(t, tt.good...)); len(fs) > 0 {
				t.Errorf("Lint found problems in the fixed plan, want none:\n%s", lines(fs))
			}
		})
	}
}

// TestLints checks that the registry documents every lint once, in order,
// and every lint Lint reports.
func TestLints(t *testing.T) {
	var ids []string
	for _, l := range planner.Lints {
		if l.Title == "" || l.Lesson == "" || (l.Severity != planner.SeverityError && l.Severity != planner.SeverityWarning) {
			t.Errorf("lint %s is not documented: %+v", l.ID, l)
		}
		ids = append(ids, l.ID)
	}
	var want []string
	for i := 1; i <= 24; i++ {
		want = append(want, fmt.Sprintf("L%03d", i))
	}
	if !slices.Equal(ids, want) {
		t.Errorf("Lints = %v, want %v", ids, want)
	}
	for _, f := range planner.Lint(&planner.Plan{Stakeholders: []planner.Stakeholder{{ID: "x"}}}) {
		i := slices.IndexFunc(planner.Lints, func(l planner.LintInfo) bool { return l.ID == f.ID })
		if i < 0 || planner.Lints[i].Lesson != f.Lesson {
			t.Errorf("finding %s has a lesson the registry does not: %q", f.ID, f.Lesson)
		}
	}
	if planner.Lint(nil) != nil {
		t.Error("Lint(nil) found something")
	}
}

func pos(p planner.Pos) string {
	if p.Line == 0 {
		return ""
	}
	return p.String()
}

func lines(fs []planner.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintln(&b, f)
	}
	return b.String()
}

// L018: a grace period under a week is a warning, under a day an error,
// at the grace_period line; the default 10 days and an explicit week pass.
func TestLintGracePeriod(t *testing.T) {
	for _, tt := range []struct {
		grace string
		want  planner.Severity // "" for no finding
	}{
		{"", ""}, {"grace_period: 7d\n", ""}, {"grace_period: 3d\n", planner.SeverityWarning},
		{"grace_period: 23h\n", planner.SeverityError}, {"grace_period: 1h\n", planner.SeverityError},
	} {
		fs := findingsOf(&planner.Analysis{Findings: lintPlan(t, lintWith(t, "lead: Ana\n", "lead: Ana\n"+tt.grace))}, "L018")
		switch {
		case tt.want == "" && len(fs) != 0:
			t.Errorf("%q: L018 %v, want none", tt.grace, fs)
		case tt.want != "" && (len(fs) != 1 || fs[0].Severity != tt.want || fs[0].Pos.String() != "plan.yaml:3:15" || !strings.Contains(fs[0].Lesson, "Online 2017")):
			t.Errorf("%q: L018 %+v, want one %s at plan.yaml:3:15 with the Online 2017 lesson", tt.grace, fs, tt.want)
		}
	}
}
