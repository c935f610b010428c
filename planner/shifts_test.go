package planner_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/planner"
)

// shiftPlan has four technicians on two 20 h shifts each (160 h) and
// steps of the window asking for hours of their work: 41 steps of 4 h
// (164 h) do not fit; 39 (156 h) do.
func shiftPlan(steps int, long string) string {
	var b strings.Builder
	b.WriteString(`plan: load
lead: Lea
window: {start: 2026-12-05 06:00, end: 2026-12-07 06:00, timezone: Europe/Paris}
crew:
  - {name: Lea, roles: [lead]}
`)
	for _, n := range []string{"Ana", "Ben", "Chloe", "Dan"} {
		fmt.Fprintf(&b, "  - name: %s\n    roles: [tech]\n    shifts:\n      - {start: 2026-12-05 06:00, end: 2026-12-06 02:00}\n      - {start: 2026-12-06 06:00, end: 2026-12-07 02:00}\n", n)
	}
	b.WriteString("steps:\n")
	for i := range steps {
		fmt.Fprintf(&b, "  - {id: s%d, title: Work %d, phase: move, duration: 4h, role: tech}\n", i, i)
	}
	if long != "" {
		fmt.Fprintf(&b, "  - {id: long, title: Long work, phase: move, duration: %s, role: tech}\n", long)
	}
	return b.String()
}

func analyzeShifts(t *testing.T, plan string) *planner.Analysis {
	t.Helper()
	p, err := planner.Parse("load.yaml", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	rb, err := planner.Expand(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1, Samples: 100})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func findingOf(a *planner.Analysis, id string) *planner.Finding {
	for i := range a.Findings {
		if a.Findings[i].ID == id {
			return &a.Findings[i]
		}
	}
	return nil
}

// Shifts are hard: 164 h of work for 160 h of shifts does not fit, even
// when staying late would end inside the window, and the verdict says how
// much overtime, and whose, would make it fit.
func TestWorkBeyondTheShiftsDoesNotFit(t *testing.T) {
	a := analyzeShifts(t, shiftPlan(41, ""))
	if a.Fits {
		t.Fatalf("164 h of work in 160 h of shifts fits, ending %s", a.End)
	}
	f := findingOf(a, "L014")
	if f == nil || f.Severity != planner.SeverityError || !strings.Contains(f.Message, "does not fit in the crew's shifts: it needs 4h of overtime after the last shifts (") {
		t.Fatalf("L014 = %+v", f)
	}
	if len(a.Overtime) == 0 || a.Overtime[0].Work <= 0 {
		t.Fatalf("overtime %+v", a.Overtime)
	}
	if ok := analyzeShifts(t, shiftPlan(39, "")); !ok.Fits || findingOf(ok, "L014") != nil || len(ok.Overtime) != 0 {
		t.Errorf("156 h of work in 160 h of shifts: fits %v, L014 %v, overtime %v", ok.Fits, findingOf(ok, "L014"), ok.Overtime)
	}
}

// A step longer than every shift of its role is an error of its own.
func TestStepLongerThanAnyShift(t *testing.T) {
	a := analyzeShifts(t, shiftPlan(2, "22h"))
	f := findingOf(a, "L019")
	if f == nil || !strings.Contains(f.Message, "step long takes 22h, longer than any shift of the people with the tech role (the longest is 20h)") {
		t.Fatalf("L019 = %+v", f)
	}
	if findingOf(analyzeShifts(t, shiftPlan(2, "19h")), "L019") != nil {
		t.Error("a 19 h step with 20 h shifts is reported")
	}
}

// servicePlan stops a service at 08:00 and starts it again at 14:00 (6 h
// down), with the given objective, and names a domain with a TTL that no
// step lowers.
func servicePlan(rto string, ttl int) string {
	plan := `plan: svc
lead: Lea
window: {start: 2026-12-05 08:00, end: 2026-12-05 20:00, timezone: Europe/Paris}
crew:
  - {name: Lea, roles: [lead]}
services:
  - {id: web, rto: RTO}
domains:
  - {name: www.example.fr, service: web, ttl: TTL}
steps:
  - {id: stop-web, title: Stop, phase: move, duration: 10m, kind: stop-service, service: web, role: lead}
  - {id: work, title: Move it, phase: move, duration: 5h40m, role: lead, after: [stop-web]}
  - {id: start-web, title: Start, phase: move, duration: 10m, kind: start-service, service: web, role: lead, after: [work]}
`
	return strings.NewReplacer("RTO", rto, "TTL", fmt.Sprint(ttl)).Replace(plan)
}

// The planned downtime is compared with the objective: over it a warning,
// beyond four times it an error.
func TestDowntimeAgainstObjective(t *testing.T) {
	for _, c := range []struct {
		rto  string
		want planner.Severity
	}{{"8h", ""}, {"4h", planner.SeverityWarning}, {"1h", planner.SeverityError}} {
		a := analyzeShifts(t, servicePlan(c.rto, 300))
		f := findingOf(a, "L020")
		switch {
		case c.want == "" && f != nil:
			t.Errorf("rto %s: %+v", c.rto, f)
		case c.want != "" && (f == nil || f.Severity != c.want || !strings.Contains(f.Message, "service web is planned down 6h (stopped Sat 08:00, back Sat 14:00)")):
			t.Errorf("rto %s: L020 = %+v, want a %s", c.rto, f, c.want)
		}
	}
}

// A TTL is lowered at least the old TTL before the window: the built-in
// runbook's lower-ttl step is placed so, and a domain nobody lowers is a
// warning.
func TestTTLLoweredInTime(t *testing.T) {
	p, rb := referenceRunbook(t)
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1, Samples: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range a.Steps {
		if s.ID == "lower-ttl-www-workit-software-com" {
			if due := p.Window.Start.Add(-24 * time.Hour); s.End.After(due) {
				t.Errorf("the day-long TTL is lowered by %s, after %s", s.End, due)
			}
		}
	}
	if f := findingOf(a, "L021"); f != nil {
		t.Errorf("the reference plan: %+v", f)
	}
	a = analyzeShifts(t, servicePlan("8h", 3600))
	if f := findingOf(a, "L021"); f == nil || f.Severity != planner.SeverityWarning || !strings.Contains(f.Message, "domain www.example.fr has a TTL of 1h and no step lowers it") {
		t.Errorf("a domain nobody lowers: %+v", f)
	}
}

// A service kept up is neither stopped nor started: its two hosts move in
// two waves, in trips of their own, the second shut down once the first is
// powered on; with fewer than two moved hosts, keep_up is an error.
func TestKeepUpMovesInTwoWaves(t *testing.T) {
	p, rb := referenceRunbook(t)
	for _, id := range []string{"stop-dns", "start-dns", "stop-web", "start-api"} {
		if _, ok := rb.Step(id); ok {
			t.Errorf("a service kept up has step %s", id)
		}
	}
	shut, _ := rb.Step("shutdown-dns-2")
	if !slices.Contains(shut.After, "power-on-dns-1") {
		t.Errorf("shutdown-dns-2 waits for %v, want power-on-dns-1 among them", shut.After)
	}
	if val, _ := rb.Step("validate-dns"); !slices.Contains(val.After, "power-on-dns-2") {
		t.Errorf("validate-dns waits for %v, want both waves", val.After)
	}
	for _, trip := range rb.Trips {
		if slices.Contains(trip.Assets, "dns-1") && slices.Contains(trip.Assets, "dns-2") {
			t.Errorf("%s carries both waves of dns: %v", trip.ID, trip.Assets)
		}
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1, Samples: 10})
	if err != nil {
		t.Fatal(err)
	}
	if f := findingOf(a, "L020"); f != nil {
		t.Errorf("a service kept up is reported down: %+v", f)
	}

	runInvalid(t, []invalidCase{{name: "keep_up with one host", yaml: fullWith("  - {id: web, depends_on: [db], rto: 2h}", "  - {id: web, depends_on: [db], rto: 2h, keep_up: true}"),
		wantPos: "plan.yaml:37:10", wantMsg: `service "web" is kept up (keep_up: true) but 1 moved asset runs it`}})
}

// referenceRunbook is the reference plan expanded by the built-in runbook
// (read from its file: the planner does not embed runbooks).
func referenceRunbook(t *testing.T) (*planner.Plan, *planner.Runbook) {
	t.Helper()
	p, err := planner.Load("../examples/pa2-pa3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := planner.LoadTemplate("../runbooks/templates/weekend-cutover.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rb, err := planner.Expand(p, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return p, rb
}

// Someone whose shifts all end before the window opens works the whole of
// it as overtime: the plan does not fit (it said "fits", the person's work
// counted nowhere).
func TestCrewOffShiftInTheWindowDoesNotFit(t *testing.T) {
	plan := `plan: off
lead: Lea
window: {start: 2026-12-05 06:00, end: 2026-12-05 20:00, timezone: Europe/Paris}
crew:
  - {name: Lea, roles: [lead]}
  - name: Ana
    roles: [tech]
    shifts:
      - {start: 2026-12-04 07:00, end: 2026-12-04 19:00}
steps:
  - {id: rack, title: Rack the servers, phase: move, duration: 2h, role: tech}
`
	a := analyzeShifts(t, plan)
	if a.Fits || len(a.Overtime) != 1 || a.Overtime[0].Person != "Ana" || a.Overtime[0].Work != 2*time.Hour {
		t.Fatalf("fits %v, overtime %+v; want Ana's 2h as overtime", a.Fits, a.Overtime)
	}
	if f := findingOf(a, "L014"); f == nil || f.Severity != planner.SeverityError {
		t.Fatalf("L014 = %+v", f)
	}
}
