package planner_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/planner"
)

// header is the start of a valid plan; cases append their steps to it.
// It is 10 lines long, so the first step written after it is on line 11.
const header = `plan: mini
lead: Ana
window:
  start: 2026-12-05 08:00
  end: 2026-12-05 20:00
  timezone: Europe/Paris
crew:
  - {name: Ana, roles: [lead, tech]}
assets:
  - {id: web-1, kind: server}
`

// invalidCase is a plan file that Parse must reject.
type invalidCase struct {
	name    string
	yaml    string
	wantPos string // file:line:col of the first problem
	wantMsg string // a phrase of its message
	wantN   int    // how many problems; 0 means 1
}

func TestParseInvalid(t *testing.T) {
	tests := []invalidCase{
		{
			name:    "syntax error",
			yaml:    "plan: mini\nsteps:\n  - id: a\n   title: x: y\n",
			wantPos: "plan.yaml:4:1",
			wantMsg: "not valid YAML",
		},
		{
			name:    "syntax error, bad indentation",
			yaml:    "plan: mini\nwindow:\n  start: x\n end: y\n",
			wantPos: "plan.yaml:4:1",
			wantMsg: "not valid YAML",
		},
		{
			name:    "empty file",
			yaml:    "",
			wantPos: "plan.yaml:1:1",
			wantMsg: "plan file is empty",
		},
		{
			name:    "only comments",
			yaml:    "# nothing yet\n",
			wantPos: "plan.yaml:1:1",
			wantMsg: "plan file is empty",
		},
		{
			name:    "top level is a list",
			yaml:    "- plan: mini\n",
			wantPos: "plan.yaml:1:1",
			wantMsg: "expected a mapping for plan file (plan, title, lead, runbook, grace_period, window, sites, crew, transport, resources, assets, services, firewall_rules, domains, backups, stakeholders, notices, steps), found a list",
		},
		{
			name:    "unknown field in step",
			yaml:    header + "steps:\n  - id: a\n    title: A\n    duraton: 30m\n",
			wantPos: "plan.yaml:14:5",
			wantMsg: `unknown field "duraton" in step; valid fields: id, title, phase, duration, after, asset, role, gate, needs, backout`,
		},
		{
			name:    "unknown field at top level",
			yaml:    header + "stpes:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:11:1",
			wantMsg: `unknown field "stpes" in plan file; valid fields: plan, title, lead, runbook, grace_period, window, sites, crew, transport, resources, assets, services, firewall_rules, domains, backups, stakeholders, notices, steps`,
		},
		{
			name:    "unknown field in window",
			yaml:    strings.Replace(header, "  timezone:", "  tz: UTC\n  timezone:", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:6:3",
			wantMsg: `unknown field "tz" in window; valid fields: start, end, timezone, blackouts`,
		},
		{
			name:    "unknown field in crew",
			yaml:    strings.Replace(header, "roles:", "role:", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:8:17",
			wantMsg: `unknown field "role" in crew member; valid fields: name, roles, shifts`,
		},
		{
			name:    "unknown field in asset",
			yaml:    strings.Replace(header, "kind:", "knd:", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:10:17",
			wantMsg: `unknown field "knd" in asset; valid fields: id, kind, title, from, to, height, power, cooldown, services, standard, checks, decommission`,
		},
		{
			name:    "mapping where text is expected",
			yaml:    header + "steps:\n  - id: a\n    title: {en: A}\n    duration: 30m\n",
			wantPos: "plan.yaml:13:12",
			wantMsg: `expected text for "title" in step, found a mapping`,
		},
		{
			name:    "text where a mapping is expected",
			yaml:    strings.Replace(header, "window:\n  start: 2026-12-05 08:00\n  end: 2026-12-05 20:00\n  timezone: Europe/Paris", "window: saturday", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:3:9",
			wantMsg: `expected a mapping for window (start, end, timezone, blackouts), found "saturday"`,
		},
		{
			name:    "text where a step is expected",
			yaml:    header + "steps:\n  - unrack web-1\n",
			wantPos: "plan.yaml:12:5",
			wantMsg: `expected a mapping for step (id, title, phase, duration, after, asset, role, gate, needs, backout, backout_only, timer, kind, service, rule, domain, require), found "unrack web-1"`,
		},
		{
			name:    "text where a list of steps is expected",
			yaml:    header + "steps: a\n",
			wantPos: "plan.yaml:11:8",
			wantMsg: `expected a list of steps for "steps", found "a"`,
		},
		{
			name:    "mapping in after",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30m}\n  - {id: b, title: B, duration: 30m, after: {a: 1}}\n",
			wantPos: "plan.yaml:13:45",
			wantMsg: `expected a list (or a single value) for "after" in step, found a mapping`,
		},
		{
			name:    "gate not a boolean",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30m, gate: yes}\n",
			wantPos: "plan.yaml:12:44",
			wantMsg: `expected true or false for "gate" in step, found "yes"`,
		},
		{
			name:    "missing duration",
			yaml:    header + "steps:\n  - id: a\n    title: A\n",
			wantPos: "plan.yaml:12:5",
			wantMsg: `step is missing "duration" (write e.g. duration: 30m or duration: 20m/30m/1h)`,
		},
		{
			name:    "missing title and empty id",
			yaml:    header + "steps:\n  - id:\n    duration: 30m\n",
			wantPos: "plan.yaml:12:5",
			wantMsg: `step has an empty "id"`,
			wantN:   2,
		},
		{
			name:    "missing window",
			yaml:    "plan: mini\nsteps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:1:1",
			wantMsg: `plan file is missing "window"`,
		},
		{
			name:    "missing timezone",
			yaml:    strings.Replace(header, "  timezone: Europe/Paris\n", "", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:4:3",
			wantMsg: `window is missing "timezone" (write e.g. timezone: Europe/Paris)`,
		},
		{
			name:    "duration without unit",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30}\n",
			wantPos: "plan.yaml:12:33",
			wantMsg: `invalid duration "30": write e.g. 30m, 1h30m or 20m/30m/1h`,
		},
		{
			name:    "duration range out of order",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 1h/30m/2h}\n",
			wantPos: "plan.yaml:12:33",
			wantMsg: "must have optimistic <= likely <= pessimistic",
		},
		{
			name:    "duration range with two parts",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 20m/30m}\n",
			wantPos: "plan.yaml:12:33",
			wantMsg: "needs one value or three (optimistic/likely/pessimistic)",
		},
		{
			name:    "duration zero",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 0s}\n",
			wantPos: "plan.yaml:12:33",
			wantMsg: "must be greater than zero",
		},
		{
			name:    "duration mapping out of order",
			yaml:    header + "steps:\n  - id: a\n    title: A\n    duration:\n      optimistic: 1h\n      likely: 30m\n",
			wantPos: "plan.yaml:15:7",
			wantMsg: "duration 1h/30m/30m must have optimistic <= likely <= pessimistic",
		},
		{
			name:    "duration mapping unknown field",
			yaml:    header + "steps:\n  - id: a\n    title: A\n    duration: {likely: 30m, worst: 1h}\n",
			wantPos: "plan.yaml:14:29",
			wantMsg: `unknown field "worst" in duration; valid fields: optimistic, likely, pessimistic`,
		},
		{
			name:    "duration mapping without likely",
			yaml:    header + "steps:\n  - id: a\n    title: A\n    duration: {optimistic: 30m}\n",
			wantPos: "plan.yaml:14:15",
			wantMsg: `duration is missing "likely"`,
		},
		{
			name:    "bad time",
			yaml:    strings.Replace(header, "2026-12-05 08:00", "5/12/2026 8h", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:4:10",
			wantMsg: `invalid start time "5/12/2026 8h" in window; write e.g. 2026-12-05 08:00`,
		},
		{
			name:    "unknown time zone",
			yaml:    strings.Replace(header, "Europe/Paris", "Europe/Pariss", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:6:13",
			wantMsg: `unknown time zone "Europe/Pariss"; use an IANA name such as Europe/Paris`,
		},
		{
			name:    "end before start",
			yaml:    strings.Replace(header, "2026-12-05 20:00", "2026-12-05T07:00:00+01:00", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:5:8",
			wantMsg: "window end 2026-12-05 07:00 CET is not after its start 2026-12-05 08:00 CET",
		},
		{
			name:    "bad plan name",
			yaml:    strings.Replace(header, "plan: mini", "plan: pa2.to.pa3", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:1:7",
			wantMsg: `invalid plan name "pa2.to.pa3": use only letters, digits, '-' and '_'`,
		},
		{
			name:    "bad step id",
			yaml:    header + "steps:\n  - {id: unrack web1, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:12:10",
			wantMsg: `invalid step id "unrack web1"`,
		},
		{
			name:    "bad asset id",
			yaml:    strings.Replace(header, "id: web-1", "id: web.1", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:10:10",
			wantMsg: `invalid asset id "web.1"`,
		},
		{
			name:    "duplicate step id",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30m}\n  - {id: a, title: A again, duration: 30m}\n",
			wantPos: "plan.yaml:13:10",
			wantMsg: `duplicate step id "a" (first defined at line 12)`,
		},
		{
			name:    "duplicate asset id",
			yaml:    header + "  - {id: web-1, kind: server}\nsteps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:11:5",
			wantMsg: `duplicate asset id "web-1" (first defined at line 10)`,
		},
		{
			name:    "crew section twice",
			yaml:    header + "crew:\n  - {name: Ana}\nsteps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:11:1",
			wantMsg: `field "crew" appears twice in plan file (first at line 7)`,
		},
		{
			name:    "crew member listed twice",
			yaml:    strings.Replace(header, "assets:", "  - {name: Ana, roles: app}\nassets:", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:9:5",
			wantMsg: `crew member "Ana" is listed twice (first at line 8)`,
		},
		{
			name:    "after lists a step twice",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30m}\n  - {id: b, title: B, duration: 30m, after: [a, a]}\n",
			wantPos: "plan.yaml:13:49",
			wantMsg: `step "b" lists "a" twice in after`,
		},
		{
			name:    "duplicate field",
			yaml:    header + "steps:\n  - id: a\n    title: A\n    title: B\n    duration: 30m\n",
			wantPos: "plan.yaml:14:5",
			wantMsg: `field "title" appears twice in step (first at line 13)`,
		},
		{
			name:    "after unknown step, close",
			yaml:    header + "steps:\n  - {id: unrack-web1, title: A, duration: 30m}\n  - id: b\n    title: B\n    duration: 30m\n    after: [unrack-web]\n",
			wantPos: "plan.yaml:16:13",
			wantMsg: `step "b" is after unknown step "unrack-web"; did you mean "unrack-web1"?`,
		},
		{
			name:    "after unknown step, far",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30m}\n  - {id: b, title: B, duration: 30m, after: lunch}\n",
			wantPos: "plan.yaml:13:45",
			wantMsg: `step "b" is after unknown step "lunch"; steps in the plan: a, b`,
		},
		{
			name:    "unknown asset",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30m, asset: web1}\n",
			wantPos: "plan.yaml:12:45",
			wantMsg: `step "a" uses unknown asset "web1"; did you mean "web-1"?`,
		},
		{
			name:    "unknown role",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30m, role: network}\n",
			wantPos: "plan.yaml:12:44",
			wantMsg: `step "a" needs role "network" but nobody in crew has it; roles in crew: lead, tech`,
		},
		{
			name:    "lead not in crew",
			yaml:    strings.Replace(header, "lead: Ana", "lead: Anna", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:2:7",
			wantMsg: `lead "Anna" is not in crew; did you mean "Ana"?`,
		},
		{
			name:    "step after itself",
			yaml:    header + "steps:\n  - {id: a, title: A, duration: 30m, after: [a]}\n",
			wantPos: "plan.yaml:12:46",
			wantMsg: `step "a" lists itself in after`,
		},
		{
			name: "cycle",
			yaml: header + "steps:\n" +
				"  - {id: start, title: S, duration: 30m}\n" +
				"  - {id: a, title: A, duration: 30m, after: [start, c]}\n" +
				"  - {id: b, title: B, duration: 30m, after: a}\n" +
				"  - {id: c, title: C, duration: 30m, after: b}\n",
			wantPos: "plan.yaml:13:5",
			wantMsg: "steps form a cycle: a -> b -> c -> a",
		},
		{
			name:    "no steps",
			yaml:    header + "steps: []\n",
			wantPos: "plan.yaml:11:1",
			wantMsg: "plan has no steps",
		},
		{
			name:    "steps with nothing",
			yaml:    header + "steps:\n",
			wantPos: "plan.yaml:11:1",
			wantMsg: "plan has no steps",
		},
		{
			name: "every problem is reported",
			yaml: header + "steps:\n" +
				"  - {id: a, title: A, duration: 30m, asset: web-2}\n" +
				"  - {id: b, title: B, duration: 3O}\n",
			wantPos: "plan.yaml:12:45",
			wantMsg: `unknown asset "web-2"`,
			wantN:   2,
		},
	}
	runInvalid(t, tests)
}

// runInvalid checks that each case is rejected with every problem found,
// the first at the position and with the phrase wanted.
func runInvalid(t *testing.T, tests []invalidCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.Parse("plan.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; plan: %s", p.Summary())
			}
			if !errors.Is(err, planner.ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
			}
			var errs planner.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want planner.Errors: %v", err, err)
			}
			wantN := max(tt.wantN, 1)
			if len(errs) != wantN {
				t.Errorf("got %d problems, want %d:\n%v", len(errs), wantN, err)
			}
			first := errs[0]
			if got := first.Pos.String(); got != tt.wantPos {
				t.Errorf("position = %s, want %s (%v)", got, tt.wantPos, first.Msg)
			}
			if !strings.Contains(first.Msg, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", first.Msg, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), tt.wantPos+": ") {
				t.Errorf("Error() = %q, want it to start with %q", err.Error(), tt.wantPos+": ")
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	const src = `plan: mini_1
title: Mini move
lead: Ana
window:
  start: 2026-12-05T07:00:00Z
  end: 2026-12-06 20:00
  timezone: Europe/Paris
crew:
  - name: Ana
    roles: lead
  - name: Bo
    roles: [tech, network]
assets:
  - {id: web-1, kind: server, title: Web 1}
steps:
  - id: a
    title: Prepare
    phase: before
    duration: 1h
  - id: b
    title: Unrack
    duration: 20m/30m/1h
    after: a
    asset: web-1
    role: tech
  - id: c
    title: Go
    duration: {likely: 10m, pessimistic: 1h}
    after: [a, b]
    gate: true
`
	p, err := planner.Parse("mini.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", p.Name, "mini_1"},
		{"title", p.Title, "Mini move"},
		{"lead", p.Lead, "Ana"},
		{"file", p.File, "mini.yaml"},
		{"hash length", len(p.Hash), 64},
		{"time zone", p.Window.TimeZone, "Europe/Paris"},
		{"location", p.Window.Location.String(), "Europe/Paris"},
		{"start (RFC 3339, shown in the zone)", p.Window.Start.Format("2006-01-02 15:04 MST"), "2026-12-05 08:00 CET"},
		{"end (local)", p.Window.End.Equal(time.Date(2026, 12, 6, 20, 0, 0, 0, paris)), true},
		{"single role", strings.Join(p.Crew[0].Roles, ","), "lead"},
		{"roles", strings.Join(p.Crew[1].Roles, ","), "tech,network"},
		{"crew position", p.Crew[1].Pos.String(), "mini.yaml:11:5"},
		{"asset id", p.Assets[0].ID, "web-1"},
		{"asset kind", p.Assets[0].Kind, "server"},
		{"asset title", p.Assets[0].Title, "Web 1"},
		{"asset position", p.Assets[0].Pos.String(), "mini.yaml:14:5"},
		{"phase", p.Steps[0].Phase, "before"},
		{"single duration", p.Steps[0].Duration, planner.Duration{time.Hour, time.Hour, time.Hour}},
		{"range", p.Steps[1].Duration, planner.Duration{20 * time.Minute, 30 * time.Minute, time.Hour}},
		{"mapping, optimistic defaults to likely", p.Steps[2].Duration, planner.Duration{10 * time.Minute, 10 * time.Minute, time.Hour}},
		{"single after", strings.Join(p.Steps[1].After, ","), "a"},
		{"after list", strings.Join(p.Steps[2].After, ","), "a,b"},
		{"asset ref", p.Steps[1].Asset, "web-1"},
		{"role", p.Steps[1].Role, "tech"},
		{"gate", p.Steps[2].Gate, true},
		{"no gate", p.Steps[1].Gate, false},
		{"step position", p.Steps[1].Pos.String(), "mini.yaml:20:5"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s, ok := p.Step("b"); !ok || s.Title != "Unrack" {
		t.Errorf("Step(b) = %v, %v; want the Unrack step", s, ok)
	}
	if _, ok := p.Step("zz"); ok {
		t.Error("Step(zz) found a step that does not exist")
	}
}

// graphPlan returns a plan whose file order is not an execution order:
//
//	a 1h ──> b 2h ──> d 1h
//	  └───> c 30m ──┘
//	e 3h
func graphPlan() *planner.Plan {
	h := func(d time.Duration) planner.Duration { return planner.Duration{d, d, d} }
	return &planner.Plan{Steps: []planner.Step{
		{ID: "d", Duration: h(time.Hour), After: []string{"b", "c"}},
		{ID: "b", Duration: h(2 * time.Hour), After: []string{"a"}},
		{ID: "a", Duration: h(time.Hour)},
		{ID: "c", Duration: h(30 * time.Minute), After: []string{"a"}},
		{ID: "e", Duration: h(3 * time.Hour)},
	}}
}

func TestOrder(t *testing.T) {
	p := graphPlan()
	got := strings.Join(p.Order(), " ")
	if want := "a b c d e"; got != want {
		t.Errorf("Order() = %s, want %s", got, want)
	}
}

func TestCriticalPath(t *testing.T) {
	tests := []struct {
		name     string
		plan     *planner.Plan
		wantLen  time.Duration
		wantPath string
	}{
		{"empty", &planner.Plan{}, 0, ""},
		{"diamond and a loner", graphPlan(), 4 * time.Hour, "a b d"},
		{
			name: "likely durations count, not pessimistic",
			plan: &planner.Plan{Steps: []planner.Step{
				{ID: "x", Duration: planner.Duration{time.Minute, time.Hour, 9 * time.Hour}},
				{ID: "y", Duration: planner.Duration{2 * time.Hour, 2 * time.Hour, 2 * time.Hour}},
			}},
			wantLen:  2 * time.Hour,
			wantPath: "y",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, path := tt.plan.CriticalPath()
			if d != tt.wantLen || strings.Join(path, " ") != tt.wantPath {
				t.Errorf("CriticalPath() = %v, %v; want %v, [%s]", d, path, tt.wantLen, tt.wantPath)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    planner.Duration
		want string
	}{
		{planner.Duration{30 * time.Minute, 30 * time.Minute, 30 * time.Minute}, "30m"},
		{planner.Duration{20 * time.Minute, 30 * time.Minute, time.Hour}, "20m/30m/1h"},
		{planner.Duration{90 * time.Minute, 90 * time.Minute, 90 * time.Minute}, "1h30m"},
		{planner.Duration{90 * time.Second, 90 * time.Second, 90 * time.Second}, "1m30s"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		wantErr error
	}{
		{"weekend example", filepath.Join("..", "examples", "weekend.yaml"), nil},
		{"missing file", filepath.Join(t.TempDir(), "nope.yaml"), fs.ErrNotExist},
		{"bad plan", filepath.Join("testdata", "typo.yaml"), planner.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.Load(tt.path)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Load(%s) error = %v, want %v", tt.path, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if !strings.Contains(err.Error(), tt.path) {
					t.Errorf("error %q does not name the path %s", err, tt.path)
				}
				if errors.Is(err, fs.ErrNotExist) && errors.Is(err, planner.ErrInvalid) {
					t.Errorf("a missing file must not be reported as an invalid plan")
				}
				return
			}
			if p.File != tt.path {
				t.Errorf("File = %s, want %s", p.File, tt.path)
			}
		})
	}
}

// TestWeekendExample checks that the demo plan is a realistic weekend: it
// fits its window and every step comes after the steps it depends on.
func TestWeekendExample(t *testing.T) {
	p, err := planner.Load(filepath.Join("..", "examples", "weekend.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Steps); n < 18 || n > 25 {
		t.Errorf("%d steps, want 18 to 25", n)
	}
	order := p.Order()
	if len(order) != len(p.Steps) {
		t.Fatalf("Order() has %d steps, want %d", len(order), len(p.Steps))
	}
	for _, s := range p.Steps {
		for _, a := range s.After {
			if slices.Index(order, a) > slices.Index(order, s.ID) {
				t.Errorf("step %s comes before %s, which it is after", s.ID, a)
			}
		}
	}
	d, path := p.CriticalPath()
	if window := p.Window.End.Sub(p.Window.Start); d > window {
		t.Errorf("critical path %v (%v) does not fit the %v window", d, path, window)
	}
	gates := slices.IndexFunc(p.Steps, func(s planner.Step) bool { return s.Gate })
	if gates < 0 {
		t.Error("no go/no-go gate")
	}
}

func TestSpan(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{60361136 * time.Microsecond / 1000, "0s"},
		{42*time.Second + 400*time.Millisecond, "42s"},
		{time.Minute + 29*time.Second, "1m"},
		{time.Hour, "1h"},
		{14*time.Hour + 29*time.Minute + 31*time.Second, "14h30m"},
		{-90 * time.Minute, "-1h30m"},
	}
	for _, tt := range tests {
		if got := planner.Span(tt.d); got != tt.want {
			t.Errorf("Span(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "30m", want: "30m"},
		{in: "20m/30m/1h", want: "20m/30m/1h"},
		{in: " 1h / 2h / 4h ", want: "1h/2h/4h"},
		{in: "2d", want: "48h"},
		{in: "1h/30m/2h", wantErr: "optimistic <= likely <= pessimistic"},
		{in: "0m", wantErr: "greater than zero"},
		{in: "30m/1h", wantErr: "one value or three"},
		{in: "half an hour", wantErr: "write e.g. 30m"},
	}
	for _, tt := range tests {
		d, err := planner.ParseDuration(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDuration(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || d.String() != tt.want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", tt.in, d, err, tt.want)
		}
	}
}

// full is a valid plan that uses every section of the model. Cases edit it
// with fullWith; the line numbers in the comments are those of full.
const full = `plan: full
lead: Ana
runbook: weekend-cutover
window:
  start: 2026-12-05 08:00
  end: 2026-12-05 20:00
  timezone: Europe/Paris
  blackouts:
    - {name: Freeze, start: 2026-12-18 00:00, end: 2027-01-04 00:00}
sites:
  - id: PA2
    access:
      - {id: exit, when: exit, duration: 1h/1h30m/2h, role: lead}
  - id: PA3
crew:
  - name: Ana
    roles: [lead, tech]
    shifts:
      - {start: 2026-12-05 08:00, end: 2026-12-05 20:00}
transport:
  - {id: van, count: 2, capacity_u: 20, trip: 20m}
resources:
  - {id: dock, capacity: 1}
assets:
  - id: web-1
    from: {site: PA2, rack: R1, u: 10}
    to: {site: PA3, rack: R2, u: 10}
    power: 200
    cooldown: 30m
    services: [web]
  - id: db-1
    from: {site: PA2, rack: R1, u: 20}
    height: 2
    to: {site: PA3, rack: R2, u: 20}
    services: [db]
services:
  - {id: web, depends_on: [db], rto: 2h}
  - id: db
    checks:
      - {kind: tcp, target: db-1:5432, from: [a, b]}
firewall_rules:
  - {id: r1, action: allow}
domains:
  - {name: www.example.fr, service: web, ttl: 300}
backups:
  - {id: b1, of: db-1, stored_on: "offsite:s3"}
stakeholders:
  - {id: customers, notice: 21d, ack: true}
steps:
  - {id: a, title: A, duration: 30m, needs: {dock: 1}}
  - {id: b, title: B, duration: 30m, needs: [van], backout: [a]}
`

// fullWith returns full with each old text replaced by the new text that
// follows it; it panics if an old text is not in full, so that a case
// cannot silently test the unedited plan.
func fullWith(oldNew ...string) string {
	s := full
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			panic("fullWith: " + strconv.Quote(oldNew[i]) + " is not in the plan")
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	return s
}

func TestParseInvalidModel(t *testing.T) {
	runInvalid(t, []invalidCase{
		{
			name:    "unknown field in site",
			yaml:    fullWith("    access:", "    acces:"),
			wantPos: "plan.yaml:12:5",
			wantMsg: `unknown field "acces" in site; valid fields: id, title, access`,
		},
		{
			name:    "unknown field in place",
			yaml:    fullWith("rack: R1, u: 10}", "rack: R1, unit: 10}"),
			wantPos: "plan.yaml:26:33",
			wantMsg: `unknown field "unit" in from place; valid fields: site, rack, u`,
		},
		{
			name:    "unknown field in stakeholder",
			yaml:    fullWith("notice: 21d", "notise: 21d"),
			wantPos: "plan.yaml:48:21",
			wantMsg: `unknown field "notise" in stakeholder; valid fields: id, title, contact, notice, ack`,
		},
		{
			name:    "asset runs an unknown service",
			yaml:    fullWith("services: [web]", "services: [wbe]"),
			wantPos: "plan.yaml:30:16",
			wantMsg: `asset "web-1" runs unknown service "wbe"; did you mean "web"?`,
		},
		{
			name:    "asset from an unknown site",
			yaml:    fullWith("from: {site: PA2, rack: R1, u: 10}", "from: {site: PA9, rack: R1, u: 10}"),
			wantPos: "plan.yaml:26:18",
			wantMsg: `asset "web-1" is from unknown site "PA9"; did you mean "PA2"?`,
		},
		{
			name:    "asset to an unknown site",
			yaml:    fullWith("to: {site: PA3, rack: R2, u: 20}", "to: {site: Paris-3, rack: R2, u: 20}"),
			wantPos: "plan.yaml:34:16",
			wantMsg: `asset "db-1" goes to unknown site "Paris-3"; sites in the plan: PA2, PA3`,
		},
		{
			name:    "asset with to but no from",
			yaml:    fullWith("    from: {site: PA2, rack: R1, u: 20}\n", "    title: DB\n"),
			wantPos: "plan.yaml:34:5",
			wantMsg: `asset "db-1" has a to but no from`,
		},
		{
			name:    "rack unit below 1",
			yaml:    fullWith("rack: R2, u: 10}", "rack: R2, u: 0}"),
			wantPos: "plan.yaml:27:34",
			wantMsg: `"u" in to place must be at least 1, found 0; rack units are numbered from 1`,
		},
		{
			name:    "assets overlap in a rack",
			yaml:    fullWith("rack: R2, u: 20}", "rack: R2, u: 9}"),
			wantPos: "plan.yaml:34:9",
			wantMsg: `asset "db-1" takes U9-U10 of rack R2 at PA3, which overlaps asset "web-1" (U10, line 27)`,
		},
		{
			name:    "decommissioned asset with a to",
			yaml:    fullWith("    services: [db]\n", "    services: [db]\n    decommission: true\n"),
			wantPos: "plan.yaml:36:5",
			wantMsg: `asset "db-1" is decommissioned but has a to`,
		},
		{
			name:    "cooldown without unit",
			yaml:    fullWith("cooldown: 30m", "cooldown: 30"),
			wantPos: "plan.yaml:29:15",
			wantMsg: `invalid cooldown "30" in asset: write one duration greater than zero, e.g. cooldown: 30m`,
		},
		{
			name:    "rto as a range",
			yaml:    fullWith("rto: 2h", "rto: 1h/2h/4h"),
			wantPos: "plan.yaml:37:38",
			wantMsg: `invalid rto "1h/2h/4h" in service: write one duration`,
		},
		{
			name:    "backup of an unknown asset",
			yaml:    fullWith("of: db-1", "of: db1"),
			wantPos: "plan.yaml:46:18",
			wantMsg: `backup "b1" is of unknown asset "db1"; did you mean "db-1"?`,
		},
		{
			name:    "backup stored on an unknown asset",
			yaml:    fullWith(`stored_on: "offsite:s3"`, "stored_on: nas-1"),
			wantPos: "plan.yaml:46:35",
			wantMsg: `backup "b1" is stored on unknown asset "nas-1"; assets in the plan: web-1, db-1, or name a place outside the plan with a colon, e.g. stored_on: offsite:s3-paris`,
		},
		{
			name:    "domain of an unknown service",
			yaml:    fullWith("service: web, ttl", "service: www, ttl"),
			wantPos: "plan.yaml:44:37",
			wantMsg: `domain "www.example.fr" points at unknown service "www"; services in the plan: web, db`,
		},
		{
			name:    "domain that is a URL",
			yaml:    fullWith("name: www.example.fr", "name: https://www.example.fr"),
			wantPos: "plan.yaml:44:12",
			wantMsg: `domain "https://www.example.fr" is not a DNS name`,
		},
		{
			name:    "service depends on an unknown service",
			yaml:    fullWith("depends_on: [db]", "depends_on: [database]"),
			wantPos: "plan.yaml:37:28",
			wantMsg: `service "web" depends on unknown service "database"; services in the plan: web, db`,
		},
		{
			name:    "service depends on itself",
			yaml:    fullWith("depends_on: [db]", "depends_on: [db, web]"),
			wantPos: "plan.yaml:37:32",
			wantMsg: `service "web" depends on itself`,
		},
		{
			name:    "services depend on each other",
			yaml:    fullWith("  - id: db\n", "  - id: db\n    depends_on: web\n"),
			wantPos: "plan.yaml:37:5",
			wantMsg: "services depend on each other in a cycle: web -> db -> web (each depends on the next)",
		},
		{
			name:    "step needs an unknown resource",
			yaml:    fullWith("needs: {dock: 1}", "needs: {dok: 1}"),
			wantPos: "plan.yaml:50:46",
			wantMsg: `step "a" needs unknown resource or vehicle "dok"; did you mean "dock"?`,
		},
		{
			name:    "step needs an unknown vehicle",
			yaml:    fullWith("needs: [van]", "needs: [truck]"),
			wantPos: "plan.yaml:51:46",
			wantMsg: `step "b" needs unknown resource or vehicle "truck"; resources and vehicles in the plan: dock, van`,
		},
		{
			name:    "step needs more than there is",
			yaml:    fullWith("needs: {dock: 1}", "needs: {dock: 2}"),
			wantPos: "plan.yaml:50:46",
			wantMsg: `step "a" needs 2 of "dock" but there are only 1`,
		},
		{
			name:    "step needs none",
			yaml:    fullWith("needs: {dock: 1}", "needs: {dock: 0}"),
			wantPos: "plan.yaml:50:52",
			wantMsg: `"dock" in needs of step must be at least 1, found 0`,
		},
		{
			name:    "step backed out by an unknown step, without runbook",
			yaml:    fullWith("runbook: weekend-cutover", "title: Full", "backout: [a]", "backout: [undo-b]"),
			wantPos: "plan.yaml:51:62",
			wantMsg: `step "b" is backed out by unknown step "undo-b"; steps in the plan: a, b`,
		},
		{
			name:    "step backs itself out",
			yaml:    fullWith("backout: [a]", "backout: [b]"),
			wantPos: "plan.yaml:51:62",
			wantMsg: `step "b" lists itself in backout`,
		},
		{
			name:    "access procedure role nobody has",
			yaml:    fullWith("role: lead}", "role: security}"),
			wantPos: "plan.yaml:13:61",
			wantMsg: `access procedure "exit" of site "PA2" needs role "security" but nobody in crew has it; roles in crew: lead, tech`,
		},
		{
			name:    "access procedure when",
			yaml:    fullWith("when: exit", "when: leave"),
			wantPos: "plan.yaml:13:26",
			wantMsg: `invalid when "leave" in access procedure; write one of enter, exit`,
		},
		{
			name:    "check kind",
			yaml:    fullWith("kind: tcp", "kind: ping"),
			wantPos: "plan.yaml:40:16",
			wantMsg: `invalid kind "ping" in check; write one of dns, tcp, http`,
		},
		{
			name:    "tcp check without port",
			yaml:    fullWith("target: db-1:5432", "target: db-1"),
			wantPos: "plan.yaml:40:29",
			wantMsg: `tcp check target "db-1" needs host:port`,
		},
		{
			name:    "firewall rule action",
			yaml:    fullWith("action: allow", "action: accept"),
			wantPos: "plan.yaml:42:22",
			wantMsg: `invalid action "accept" in firewall rule; write one of allow, deny`,
		},
		{
			name:    "zero capacity",
			yaml:    fullWith("capacity: 1", "capacity: 0"),
			wantPos: "plan.yaml:23:26",
			wantMsg: `"capacity" in resource must be at least 1, found 0`,
		},
		{
			name:    "negative vehicle count",
			yaml:    fullWith("count: 2", "count: -1"),
			wantPos: "plan.yaml:21:22",
			wantMsg: `"count" in vehicle must be at least 1, found -1`,
		},
		{
			name:    "zero vehicle capacity",
			yaml:    fullWith("capacity_u: 20", "capacity_u: 0"),
			wantPos: "plan.yaml:21:37",
			wantMsg: `"capacity_u" in vehicle must be at least 1, found 0; leave capacity_u out for no limit`,
		},
		{
			name:    "capacity not a number",
			yaml:    fullWith("capacity: 1", "capacity: two"),
			wantPos: "plan.yaml:23:26",
			wantMsg: `expected a whole number for "capacity" in resource, found "two"`,
		},
		{
			name:    "shift ends before it starts",
			yaml:    fullWith("end: 2026-12-05 20:00}", "end: 2026-12-05 07:00}"),
			wantPos: "plan.yaml:19:40",
			wantMsg: "shift end 2026-12-05 07:00 CET is not after its start 2026-12-05 08:00 CET",
		},
		{
			name:    "bad shift time",
			yaml:    fullWith("{start: 2026-12-05 08:00, end", "{start: saturday, end"),
			wantPos: "plan.yaml:19:17",
			wantMsg: `invalid start time "saturday" in shift`,
		},
		{
			name:    "blackout ends before it starts",
			yaml:    fullWith("end: 2027-01-04 00:00", "end: 2026-12-01 00:00"),
			wantPos: "plan.yaml:9:52",
			wantMsg: "blackout end 2026-12-01 00:00 CET is not after its start 2026-12-18 00:00 CET",
		},
		{
			name:    "duplicate site id",
			yaml:    fullWith("  - id: PA3\n", "  - id: PA3\n  - id: PA2\n"),
			wantPos: "plan.yaml:15:9",
			wantMsg: `duplicate site id "PA2" (first defined at line 11)`,
		},
		{
			name:    "duplicate service id",
			yaml:    fullWith("firewall_rules:\n", "  - {id: db}\nfirewall_rules:\n"),
			wantPos: "plan.yaml:41:10",
			wantMsg: `duplicate service id "db" (first defined at line 38)`,
		},
		{
			name:    "duplicate check id",
			yaml:    fullWith("      - {kind: tcp", "      - {id: db-tcp, kind: dns, target: db.example.fr, from: [a, b]}\n      - {kind: tcp"),
			wantPos: "plan.yaml:41:9",
			wantMsg: `duplicate check id "db-tcp" (first defined at line 40)`,
		},
		{
			name:    "duplicate backup id",
			yaml:    fullWith("backups:\n", "backups:\n  - {id: b1, of: web-1, stored_on: \"offsite:s3\"}\n"),
			wantPos: "plan.yaml:47:10",
			wantMsg: `duplicate backup id "b1" (first defined at line 46)`,
		},
		{
			name:    "duplicate domain",
			yaml:    fullWith("domains:\n", "domains:\n  - {name: WWW.example.fr}\n"),
			wantPos: "plan.yaml:45:12",
			wantMsg: `domain "www.example.fr" is listed twice (first at line 44)`,
		},
		{
			name:    "resource named like a vehicle",
			yaml:    fullWith("{id: dock, capacity: 1}", "{id: van, capacity: 1}", "needs: {dock: 1}", "needs: {van: 1}"),
			wantPos: "plan.yaml:23:10",
			wantMsg: `resource id "van" is also a vehicle id (line 21)`,
		},
		{
			name:    "no steps and no runbook",
			yaml:    strings.Split(fullWith("runbook: weekend-cutover\n", ""), "steps:")[0],
			wantPos: "plan.yaml:1:1",
			wantMsg: `plan file is missing "steps"`,
		},
	})
}

// TestParseFull checks that every section of the model is read, with its
// defaults.
func TestParseFull(t *testing.T) {
	p, err := planner.Parse("full.yaml", []byte(full))
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	web1, db1 := p.Assets[0], p.Assets[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"runbook", p.Runbook, "weekend-cutover"},
		{"grace period defaults to 10 days", p.GracePeriod, 10 * day},
		{"blackout", p.Window.Blackouts[0].Name, "Freeze"},
		{"blackout end", p.Window.Blackouts[0].End.Format("2006-01-02 15:04 MST"), "2027-01-04 00:00 CET"},
		{"blackout position", p.Window.Blackouts[0].Pos.String(), "full.yaml:9:7"},
		{"sites", len(p.Sites), 2},
		{"procedure", p.Sites[0].Access[0].ID + " " + p.Sites[0].Access[0].When + " " + p.Sites[0].Access[0].Role, "exit exit lead"},
		{"procedure duration", p.Sites[0].Access[0].Duration.String(), "1h/1h30m/2h"},
		{"shift", p.Crew[0].Shifts[0].End.Sub(p.Crew[0].Shifts[0].Start), 12 * time.Hour},
		{"shift in the window's zone", p.Crew[0].Shifts[0].Start.Format("15:04 MST"), "08:00 CET"},
		{"vehicle", p.Transport[0].ID, "van"},
		{"vehicle count", p.Transport[0].Count, 2},
		{"vehicle capacity", p.Transport[0].CapacityU, 20},
		{"vehicle items: no limit", p.Transport[0].CapacityItems, 0},
		{"trip", p.Transport[0].Trip.String(), "20m"},
		{"resource capacity", p.Resources[0].Capacity, 1},
		{"from", web1.From.Site + " " + web1.From.Rack + " " + strconv.Itoa(web1.From.U), "PA2 R1 10"},
		{"to", web1.To.Site + " " + web1.To.Rack + " " + strconv.Itoa(web1.To.U), "PA3 R2 10"},
		{"to position", web1.To.Pos.String(), "full.yaml:27:9"},
		{"height defaults to 1 with from", web1.Height, 1},
		{"height", db1.Height, 2},
		{"power", web1.Power, 200},
		{"cooldown", web1.Cooldown, 30 * time.Minute},
		{"asset services", strings.Join(web1.Services, ","), "web"},
		{"standard by default", web1.Standard, true},
		{"moved", web1.Moved(), true},
		{"service", p.Services[0].ID + " " + strings.Join(p.Services[0].DependsOn, ","), "web db"},
		{"rto", p.Services[0].RTO, 2 * time.Hour},
		{"check id from its owner and kind", p.Services[1].Checks[0].ID, "db-tcp"},
		{"check", p.Services[1].Checks[0].Kind + " " + p.Services[1].Checks[0].Target + " " + strings.Join(p.Services[1].Checks[0].From, ","), "tcp db-1:5432 a,b"},
		{"rule", p.FirewallRules[0].ID + " " + p.FirewallRules[0].Action, "r1 allow"},
		{"domain ttl in seconds", p.Domains[0].TTL, 5 * time.Minute},
		{"backup", p.Backups[0].Of + " " + p.Backups[0].StoredOn, "db-1 offsite:s3"},
		{"backup off-site", p.Backups[0].OffSite(p), true},
		{"backup not verified", p.Backups[0].Verified, false},
		{"notice in days", p.Stakeholders[0].Notice, 21 * day},
		{"ack", p.Stakeholders[0].Ack, true},
		{"needs mapping", p.Steps[0].Needs, []planner.Need{{Resource: "dock", Amount: 1}}},
		{"needs list", p.Steps[1].Needs, []planner.Need{{Resource: "van", Amount: 1}}},
		{"backout", strings.Join(p.Steps[1].Backout, ","), "a"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestParseModelForms checks the other ways a plan may write things.
func TestParseModelForms(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(*planner.Plan) error
	}{
		{
			name: "grace period and ttl in other units",
			yaml: fullWith("runbook: weekend-cutover", "grace_period: 14d", "ttl: 300", "ttl: 1h"),
			check: func(p *planner.Plan) error {
				if p.GracePeriod != 14*24*time.Hour || p.Domains[0].TTL != time.Hour {
					return fmt.Errorf("grace period %v, ttl %v; want 336h, 1h", p.GracePeriod, p.Domains[0].TTL)
				}
				return nil
			},
		},
		{
			name: "a runbook template and no steps",
			yaml: strings.Split(full, "steps:")[0],
			check: func(p *planner.Plan) error {
				if len(p.Steps) != 0 {
					return fmt.Errorf("%d steps, want none", len(p.Steps))
				}
				return nil
			},
		},
		{
			name: "a runbook template and an empty steps list",
			yaml: strings.Split(full, "steps:")[0] + "steps: []\n",
		},
		{
			name: "with a runbook template, steps may come after template steps",
			yaml: fullWith("backout: [a]", "backout: [a], after: [go-no-go]"),
			check: func(p *planner.Plan) error {
				if got := strings.Join(p.Steps[1].After, ","); got != "go-no-go" {
					return fmt.Errorf("after = %s, want go-no-go", got)
				}
				return nil
			},
		},
		{
			name: "non-standard asset, decommissioned asset, default check ids",
			yaml: fullWith(
				"    services: [web]\n", "    services: [web]\n    standard: false\n    checks:\n      - {kind: http, target: https://web-1.example.fr/}\n      - {kind: http, target: http://web-1.example.fr/}\n",
				"    services: [db]\n", "  - {id: old-1, from: {site: PA2, rack: R1, u: 1}, decommission: true}\n"),
			check: func(p *planner.Plan) error {
				web1, old := p.Assets[0], p.Assets[2]
				ids := web1.Checks[0].ID + "," + web1.Checks[1].ID
				if web1.Standard || ids != "web-1-http,web-1-http-2" || !old.Decommission || old.Moved() {
					return fmt.Errorf("standard %v, check ids %s, old-1 decommission %v moved %v", web1.Standard, ids, old.Decommission, old.Moved())
				}
				return nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.Parse("plan.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				if err := tt.check(p); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestDurationSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := planner.Duration{Optimistic: 20 * time.Minute, Likely: 30 * time.Minute, Pessimistic: time.Hour}
	var below, above int
	for range 10000 {
		x := d.Sample(rng)
		if x < d.Optimistic || x > d.Pessimistic {
			t.Fatalf("sample %s outside %s", x, d)
		}
		if x < d.Likely {
			below++
		} else {
			above++
		}
	}
	// Triangular: P(x < likely) = (likely-lo)/(hi-lo) = 10/40.
	if share := float64(below) / 10000; share < 0.22 || share > 0.28 {
		t.Errorf("%.3f of samples below the likely duration, want about 0.25", share)
	}
	for _, flat := range []planner.Duration{{Likely: time.Hour}, {Optimistic: time.Hour, Likely: 30 * time.Minute, Pessimistic: 2 * time.Hour}} {
		if got := flat.Sample(rng); got != flat.Likely {
			t.Errorf("%+v sampled %s, want its likely %s", flat, got, flat.Likely)
		}
	}
}
