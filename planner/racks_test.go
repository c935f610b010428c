package planner_test

import (
	"strings"
	"testing"

	"github.com/dcmove/dcmove/planner"
)

// rackBase is a plan whose destination rack takes what moves into it:
// no capacity lint finds anything. Cases edit it with strings.Replace.
const rackBase = `plan: racks
lead: Ana
window:
  start: 2026-12-05 08:00
  end: 2026-12-05 20:00
  timezone: Europe/Paris
sites:
  - {id: PA2}
  - id: PA3
    racks:
      - {id: R01, height: 42, power: 2000, weight: 100, used: [U1-U4, 40], used_power: 500, used_weight: 20}
      - {id: "Rack 2", height: 42}
crew:
  - {name: Ana, roles: [lead, tech]}
assets:
  - id: web-1
    from: {site: PA2, rack: R12, u: 10}
    to: {site: PA3, rack: R01, u: 10}
    height: 2
    power: 600
    weight: 30
    cooldown: 30m
  - id: web-2
    from: {site: PA2, rack: R12, u: 12}
    to: {site: PA3, rack: R01, u: 12}
    power: 600
    weight: 25.5
    cooldown: 30m
  - id: old-1
    from: {site: PA3, rack: R01, u: 20}
    height: 2
    power: 200
    weight: 10
steps:
  - {id: a, title: A, duration: 30m}
`

func rackPlan(t *testing.T, oldNew ...string) string {
	t.Helper()
	s := rackBase
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			t.Fatalf("%q is not in the plan", oldNew[i])
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	return s
}

// rackFindings returns the findings of the capacity lints.
func rackFindings(t *testing.T, src string) []planner.Finding {
	t.Helper()
	var out []planner.Finding
	for _, f := range lintPlan(t, src) {
		switch f.ID {
		case "L022", "L023", "L024":
			out = append(out, f)
		}
	}
	return out
}

func TestRacksDecoded(t *testing.T) {
	p, err := planner.Parse("plan.yaml", []byte(rackBase))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := p.Rack("PA3", "R01")
	if !ok {
		t.Fatal("rack R01 of PA3 not found")
	}
	if r.Height != 42 || r.Power != 2000 || r.Weight != 100 || r.UsedPower != 500 || r.UsedWeight != 20 {
		t.Errorf("rack R01 = %+v", r)
	}
	if len(r.Used) != 2 || r.Used[0].String() != "U1-U4" || r.Used[1].String() != "U40" {
		t.Errorf("used = %v, want [U1-U4 U40]", r.Used)
	}
	if _, ok := p.Rack("PA3", "Rack 2"); !ok {
		t.Error("a rack name with a space is not found")
	}
	if _, ok := p.Rack("PA2", "R01"); ok {
		t.Error("rack R01 found at PA2, which declares none")
	}
	if p.Assets[1].Weight != 25.5 {
		t.Errorf("weight of web-2 = %v, want 25.5", p.Assets[1].Weight)
	}
	if fs := rackFindings(t, rackBase); len(fs) > 0 {
		t.Errorf("capacity lints found %v in the base plan, want nothing", fs)
	}
}

func TestRacksDecodeErrors(t *testing.T) {
	for _, tt := range []struct {
		name, old, new, want string
	}{
		{"rack twice", `{id: "Rack 2", height: 42}`, `{id: R01, height: 42}`, `plan.yaml:12:9: site "PA3" declares rack "R01" twice (first at line 11)`},
		{"used beyond the height", "used: [U1-U4, 40]", "used: [U1-U4, 43-44]", `plan.yaml:11:71: rack "R01" has 42 units, but used says U43-U44`},
		{"used not units", "used: [U1-U4, 40]", "used: [U1-U4, top]", `plan.yaml:11:71: expected rack units in "used" of rack, found "top"`},
		{"used backwards", "used: [U1-U4, 40]", "used: [U4-U1]", `expected rack units in "used" of rack, found "U4-U1"`},
		{"negative weight", "weight: 30\n", "weight: -3\n", `plan.yaml:21:13: expected a number of at least 0 for "weight" in asset, found "-3"`},
		{"weight as text", "weight: 100,", "weight: heavy,", `expected a number of at least 0 for "weight" in rack, found "heavy"`},
		{"unknown rack field", "height: 42}\n", "height: 42, depth: 1200}\n", `unknown field "depth" in rack; valid fields: id, height, power, weight, used, used_power, used_weight`},
		{"no id", `{id: "Rack 2", height: 42}`, `{height: 42}`, `rack is missing "id"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := planner.Parse("plan.yaml", []byte(rackPlan(t, tt.old, tt.new)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseUnits(t *testing.T) {
	for in, want := range map[string]string{"U7": "U7", "7": "U7", "U1-U4": "U1-U4", "1-4": "U1-U4", "u3 - u3": "U3"} {
		u, err := planner.ParseUnits(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseUnits(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, in := range []string{"", "U0", "x", "4-1", "U1-"} {
		if _, err := planner.ParseUnits(in); err == nil {
			t.Errorf("ParseUnits(%q) accepted", in)
		}
	}
}

func TestRackLints(t *testing.T) {
	tests := []struct {
		name    string
		edits   []string
		wantID  string
		wantSev planner.Severity
		wantPos string
		wantMsg []string
	}{
		{
			name:    "L022 beyond the top of the rack",
			edits:   []string{"to: {site: PA3, rack: R01, u: 10}", "to: {site: PA3, rack: R01, u: 42}", "used: [U1-U4, 40]", "used: [U1-U4]"},
			wantID:  "L022",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:18:9",
			wantMsg: []string{"asset web-1 takes U42-U43 of rack R01 at PA3, which has 42 units: it goes beyond the top of the rack", "free: U5-U11, U13-U19, U22-U42"},
		},
		{
			name:    "L022 units used by equipment outside the plan",
			edits:   []string{"to: {site: PA3, rack: R01, u: 10}", "to: {site: PA3, rack: R01, u: 3}"},
			wantID:  "L022",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:18:9",
			wantMsg: []string{"asset web-1 takes U3-U4 of rack R01 at PA3, which overlaps equipment outside the plan (used: U1-U4) at U1-U4", "give it free units"},
		},
		{
			name:    "L022 units of an asset that stays",
			edits:   []string{"to: {site: PA3, rack: R01, u: 12}", "to: {site: PA3, rack: R01, u: 21}"},
			wantID:  "L022",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:25:9",
			wantMsg: []string{"asset web-2 takes U21 of rack R01 at PA3, which overlaps asset old-1, which stays at U20-U21"},
		},
		{
			name:    "L022 units of a decommissioned asset",
			edits:   []string{"to: {site: PA3, rack: R01, u: 12}", "to: {site: PA3, rack: R01, u: 20}", "    weight: 10\n", "    weight: 10\n    decommission: true\n"},
			wantID:  "L022",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:25:9",
			wantMsg: []string{"overlaps asset old-1, decommissioned but still in the rack at U20-U21"},
		},
		{
			name:    "L022 rack not declared at a site that declares racks",
			edits:   []string{"to: {site: PA3, rack: R01, u: 12}", "to: {site: PA3, rack: R99, u: 12}"},
			wantID:  "L022",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:25:9",
			wantMsg: []string{"rack R99 is not among the racks of site PA3, so nothing checks that asset web-2 fits in it", "declare it under sites: PA3 racks:"},
		},
		{
			name:    "L022 no u in a rack of known height",
			edits:   []string{"to: {site: PA3, rack: R01, u: 12}", "to: {site: PA3, rack: R01}"},
			wantID:  "L022",
			wantSev: planner.SeverityWarning,
			wantPos: "plan.yaml:25:9",
			wantMsg: []string{"asset web-2 goes to rack R01 at PA3 with no u", "e.g. u: 5; free: U5-U9, U12-U19, U22-U39, U41-U42"},
		},
		{
			name:    "L023 power over budget",
			edits:   []string{"power: 2000,", "power: 1800,"},
			wantID:  "L023",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:18:9",
			wantMsg: []string{"rack R01 at PA3 may supply 1800 W, but assets web-1 and web-2 draw 1200 W and 700 W of what stays in it: 100 W over its budget", "move some of them to another rack (e.g. web-1)"},
		},
		{
			name:    "L024 weight over the limit",
			edits:   []string{"weight: 100,", "weight: 80,"},
			wantID:  "L024",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:18:9",
			wantMsg: []string{"rack R01 at PA3 may carry 80 kg, but assets web-1 and web-2 weigh 55.5 kg and 30 kg of what stays in it: 5.5 kg over its limit"},
		},
		{
			name:    "L024 counts the known weights and says some are missing",
			edits:   []string{"weight: 100,", "weight: 40,", "    weight: 25.5\n", ""},
			wantID:  "L024",
			wantSev: planner.SeverityError,
			wantPos: "plan.yaml:18:9",
			wantMsg: []string{"weigh 30 kg and 30 kg of what stays in it at least (1 without a weight): 20 kg over its limit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := rackFindings(t, rackPlan(t, tt.edits...))
			if len(fs) != 1 {
				t.Fatalf("found %v, want one %s", fs, tt.wantID)
			}
			f := fs[0]
			if f.ID != tt.wantID || f.Severity != tt.wantSev || f.Pos.String() != tt.wantPos {
				t.Errorf("found %s %s at %s, want %s %s at %s", f.Severity, f.ID, f.Pos, tt.wantSev, tt.wantID, tt.wantPos)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(f.Message+"; "+f.Fix, m) {
					t.Errorf("finding %q does not say %q", f, m)
				}
			}
			if f.Lesson == "" {
				t.Error("finding has no lesson")
			}
		})
	}
}

// Unknown capacities are not checked, and a rack at a site that declares
// no racks is not a finding: plans written before racks existed stay
// clean.
func TestRackLintsUnknown(t *testing.T) {
	src := rackPlan(t,
		"{id: R01, height: 42, power: 2000, weight: 100, used: [U1-U4, 40], used_power: 500, used_weight: 20}", "{id: R01}",
		"to: {site: PA3, rack: R01, u: 10}", "to: {site: PA3, rack: R01, u: 60}")
	if fs := rackFindings(t, src); len(fs) > 0 {
		t.Errorf("found %v in a rack of unknown capacity", fs)
	}
	src = rackPlan(t, "  - id: PA3\n    racks:\n", "  - id: PA3\n    r:\n")
	src = strings.Replace(src, "    r:\n      - {id: R01, height: 42, power: 2000, weight: 100, used: [U1-U4, 40], used_power: 500, used_weight: 20}\n      - {id: \"Rack 2\", height: 42}\n", "", 1)
	if fs := rackFindings(t, src); len(fs) > 0 {
		t.Errorf("found %v at a site that declares no racks", fs)
	}
}

func TestRackLintsListed(t *testing.T) {
	for _, id := range []string{"L022", "L023", "L024"} {
		found := false
		for _, l := range planner.Lints {
			if l.ID == id {
				found = l.Title != "" && l.Lesson != "" && l.Severity == planner.SeverityError
			}
		}
		if !found {
			t.Errorf("%s is not in planner.Lints with a title, a lesson and error severity", id)
		}
	}
}
