package planner_test

import (
	"os"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

func findingsOf(a *planner.Analysis, id string) []planner.Finding {
	var out []planner.Finding
	for _, f := range a.Findings {
		if f.ID == id {
			out = append(out, f)
		}
	}
	return out
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// decommissionTemplate is a runbook whose decommission waits for nothing
// but the go/no-go.
const decommissionTemplate = `
runbook: mini
phases:
  - {id: move, timing: window}
  - {id: after, timing: after}
steps:
  - {id: go-no-go, kind: gate, title: Go/no-go, phase: move, duration: 15m, role: lead}
  - {id: decommission-<id>, kind: decommission, for: assets, where: decommission, title: Decommission <title>, phase: after, duration: 1h, role: lead, gate: true, after: [go-no-go]}
`

// A hand-written step that declares kind: decommission gets the L005 the
// runbook's decommission gets, whatever its id.
func TestKindDecommissionHandWrittenGetsL005(t *testing.T) {
	plan := readTestdata(t, "wipe-old-range.yaml")
	hand := findingsOf(analyze(t, plan, "", planner.Options{Seed: 1}), "L005")
	if len(hand) != 1 {
		t.Fatalf("hand-written plan: L005 findings %+v, want one", hand)
	}
	// plan.yaml is the name analyze parses the plan under.
	if got := hand[0].Pos.String(); got != "plan.yaml:32:5" {
		t.Errorf("L005 at %s, want the step wipe-old-range (plan.yaml:32:5)", got)
	}

	// The same plan with the runbook's decommission instead.
	i := strings.Index(plan, "  - id: wipe-old-range")
	templated := strings.Replace(plan[:i], "plan: wipe\n", "plan: wipe\nrunbook: mini\n", 1)
	tpl := findingsOf(analyze(t, templated, decommissionTemplate, planner.Options{Seed: 1}), "L005")
	if len(tpl) != 1 {
		t.Fatalf("templated plan: L005 findings %+v, want one", tpl)
	}
	want := tpl[0]
	want.Message = strings.Replace(want.Message, "decommission-old-nas", "wipe-old-range", 1)
	got := hand[0]
	if got.Severity != planner.SeverityError || got.Severity != want.Severity || got.Message != want.Message || got.Fix != want.Fix || got.Lesson != want.Lesson {
		t.Errorf("hand-written L005 %+v\ndiffers from the runbook's %+v", got, tpl[0])
	}
	if !strings.Contains(got.Message, "step wipe-old-range decommissions equipment without a validation and a grace period of ") {
		t.Errorf("L005 message: %s", got.Message)
	}
}

// With a validation and a long enough grace period before it, the
// hand-written decommission is fine; a grace period shorter than the
// plan's is not.
func TestKindDecommissionAfterValidateAndGrace(t *testing.T) {
	plan := readTestdata(t, "wipe-old-range.yaml")
	plan = strings.Replace(plan, "    after: [move-web-1]\n    service: web\n", "    after: [move-web-1]\n    service: web\n    kind: validate\n", 1)
	plan = strings.Replace(plan, "  - id: wipe-old-range\n", "  - {id: wait, title: Keep the old NAS, kind: grace, duration: 10d, after: [check-web]}\n  - id: wipe-old-range\n", 1)
	plan = strings.Replace(plan, "    after: [check-web]\n    asset: old-nas", "    after: [wait]\n    asset: old-nas", 1)
	if f := findingsOf(analyze(t, plan, "", planner.Options{Seed: 1}), "L005"); len(f) != 0 {
		t.Errorf("validated and graced decommission: %+v", f)
	}
	// timer: grace is the older spelling of kind: grace.
	older := strings.Replace(plan, "kind: grace,", "timer: grace,", 1)
	if f := findingsOf(analyze(t, older, "", planner.Options{Seed: 1}), "L005"); len(f) != 0 {
		t.Errorf("timer: grace: %+v", f)
	}
	short := strings.Replace(plan, "kind: grace, duration: 10d", "kind: grace, duration: 2d", 1)
	f := findingsOf(analyze(t, short, "", planner.Options{Seed: 1}), "L005")
	if len(f) != 1 || strings.Contains(f[0].Message, "a validation") || !strings.Contains(f[0].Message, "without a grace period of") {
		t.Errorf("short grace period: %+v", f)
	}
}

// Ids mean nothing: a step named like the runbook's decommission, with no
// kind, is plain work, and a step named validate-* validates nothing.
func TestKindIDsMeanNothing(t *testing.T) {
	plan := strings.Replace(readTestdata(t, "wipe-old-range.yaml"), "    kind: decommission\n", "", 1)
	plan = strings.ReplaceAll(plan, "wipe-old-range", "decommission-old-nas")
	a := analyze(t, plan, "", planner.Options{Seed: 1})
	if f := findingsOf(a, "L005"); len(f) != 0 {
		t.Errorf("a step without a kind got L005: %+v", f)
	}
	if s, _ := a.Runbook.Step("decommission-old-nas"); s.Kind != events.KindWork {
		t.Errorf("kind %q guessed from the id", s.Kind)
	}
}

const rulePlan = `
plan: rules
lead: Claire
window: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: Europe/Paris}
crew:
  - {name: Claire, roles: [lead, network]}
firewall_rules:
  - {id: r1, source: any, destination: 10.0.0.1, ports: "443", protocol: tcp, action: allow}
steps:
  - {id: look-at-r1, kind: review-rule, rule: r1, title: Look at r1, duration: 10m, role: network}
  - {id: try-r1, kind: verify-rule, rule: r1, title: Try r1 from outside, duration: 10m, role: network, after: [look-at-r1]}
`

// L010 counts the steps of kind review-rule and verify-rule of a rule,
// hand-written ones included.
func TestKindRuleStepsLint(t *testing.T) {
	if f := findingsOf(analyze(t, rulePlan, "", planner.Options{Seed: 1}), "L010"); len(f) != 0 {
		t.Errorf("rule reviewed and verified by hand: %+v", f)
	}
	unverified := strings.Replace(rulePlan, "kind: verify-rule, ", "", 1)
	f := findingsOf(analyze(t, unverified, "", planner.Options{Seed: 1}), "L010")
	if len(f) != 1 || f[0].Message != "firewall rule r1 has no step for a verification at the destination" || !strings.Contains(f[0].Fix, "kind: verify-rule") {
		t.Errorf("unverified rule: %+v", f)
	}
	// A verify-* id without the kind verifies nothing.
	named := strings.Replace(unverified, "id: try-r1", "id: verify-r1", 1)
	if f := findingsOf(analyze(t, named, "", planner.Options{Seed: 1}), "L010"); len(f) != 1 {
		t.Errorf("verify- prefix counted as a verification: %+v", f)
	}
}

func TestKindDecode(t *testing.T) {
	const head = "plan: k\nwindow: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: UTC}\nsteps:\n"
	for _, tt := range []struct {
		name, step string
		kind       events.StepKind
		timer      string
		gate       bool
	}{
		{"work", "{id: a, title: A, duration: 1h}", events.KindWork, "", false},
		{"declared", "{id: a, title: A, duration: 1h, kind: stop-service}", events.KindStopService, "", false},
		{"timer cooldown", "{id: a, title: A, duration: 1h, timer: cooldown}", events.KindCooldown, "cooldown", false},
		{"kind cooldown", "{id: a, title: A, duration: 1h, kind: cooldown}", events.KindCooldown, "cooldown", false},
		{"timer and the same kind", "{id: a, title: A, duration: 1h, kind: grace, timer: grace}", events.KindGrace, "grace", false},
		{"gate without a kind", "{id: a, title: A, duration: 1h, gate: true}", events.KindGate, "", true},
		{"kind gate", "{id: a, title: A, duration: 1h, kind: gate}", events.KindGate, "", true},
		{"gated decommission", "{id: a, title: A, duration: 1h, kind: decommission, gate: true}", events.KindDecommission, "", true},
	} {
		p, err := planner.Parse("plan.yaml", []byte(head+"  - "+tt.step+"\n"))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if s := p.Steps[0]; s.Kind != tt.kind || s.Timer != tt.timer || s.Gate != tt.gate {
			t.Errorf("%s: kind %q, timer %q, gate %v; want %q, %q, %v", tt.name, s.Kind, s.Timer, s.Gate, tt.kind, tt.timer, tt.gate)
		}
	}
}

// An unknown kind, or a timer and a kind that disagree, is a plan error
// at its position, with the valid choices.
func TestKindDecodeErrors(t *testing.T) {
	const head = "plan: k\nwindow: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: UTC}\nsteps:\n"
	for _, tt := range []struct {
		name, steps string
		want        []string
	}{
		{"typo", "  - id: wipe\n    title: Wipe\n    duration: 1h\n    kind: decomission\n",
			[]string{`plan.yaml:7:11: unknown step kind "decomission"; did you mean "decommission"? write one of notice, ack, lower-ttl, `, "stop-service, ", ", decommission, or leave kind out for plain work"}},
		{"no such kind", "  - {id: wipe, title: Wipe, duration: 1h, kind: destroy}\n",
			[]string{`plan.yaml:4:49: unknown step kind "destroy"; write one of notice, `, "validate, "}},
		{"timer against kind", "  - {id: cool, title: Cool, duration: 1h, kind: shutdown, timer: cooldown}\n",
			[]string{"plan.yaml:4:66: timer: cooldown makes the step kind cooldown, but it says kind: shutdown; keep one of them"}},
		{"unknown timer", "  - {id: cool, title: Cool, duration: 1h, timer: alarm}\n",
			[]string{`plan.yaml:4:50: timer "alarm" is not one of cooldown, grace`}},
		{"gate false", "  - {id: go, title: Go, duration: 1h, kind: gate, gate: false}\n",
			[]string{"plan.yaml:4:57: a step of kind gate is a go/no-go gate; remove gate: false"}},
		{"unknown rule", "  - {id: r, title: R, duration: 1h, kind: review-rule, rule: r9}\n",
			[]string{`plan.yaml:4:62: step "r" is about unknown firewall rule "r9"; there are no firewall rules in the plan`}},
		{"unknown service", "  - {id: s, title: S, duration: 1h, kind: stop-service, service: dbb}\n",
			[]string{`plan.yaml:4:66: step "s" is about unknown service "dbb"; there are no services in the plan`}},
	} {
		_, err := planner.Parse("plan.yaml", []byte(head+tt.steps))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q, want it to contain %q", tt.name, err, w)
			}
		}
	}
}

func TestKindTemplate(t *testing.T) {
	src := strings.Replace(miniTemplate, "{id: cooldown-<id>, for: assets,", "{id: cooldown-<id>, kind: cooldown, for: assets,", 1)
	src = strings.Replace(src, "  - id: stop-<id>\n", "  - id: stop-<id>\n    kind: stop-service\n", 1)
	rb, err := expand(t, expandPlan, src)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]events.StepKind{
		"go": events.KindGate, "stop-db": events.KindStopService, "stop-web": events.KindStopService,
		"cooldown-db-1": events.KindCooldown, "unrack-db-1": events.KindWork, "call-remote-hands": events.KindWork,
	} {
		s, ok := rb.Step(id)
		if !ok || s.Kind != want {
			t.Errorf("expanded step %s: kind %q, want %q", id, s.Kind, want)
		}
	}
	if s, _ := rb.Step("cooldown-db-1"); s.Timer != "cooldown" {
		t.Errorf("cooldown-db-1: timer %q", s.Timer)
	}

	bad := strings.Replace(src, "kind: stop-service", "kind: stop-servise", 1)
	_, err = planner.ParseTemplate("mini.yaml", []byte(bad))
	if err == nil || !strings.Contains(err.Error(), `mini.yaml:9:11: unknown step kind "stop-servise"; did you mean "stop-service"? write one of`) {
		t.Errorf("unknown kind in a template: %v", err)
	}
	notAsset := strings.Replace(src, "{id: done, title: All racked,", "{id: done, kind: cooldown, title: All racked,", 1)
	if _, err := planner.ParseTemplate("mini.yaml", []byte(notAsset)); err == nil || !strings.Contains(err.Error(), "a cooldown timer waits for an asset") {
		t.Errorf("kind: cooldown not on assets: %v", err)
	}
}

// Every step of the built-in runbook declares what it is.
func TestKindBuiltInTemplate(t *testing.T) {
	const path = "../runbooks/templates/weekend-cutover.yaml"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := planner.ParseTemplate(path, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tpl.Steps {
		if s.Kind == events.KindWork {
			t.Errorf("%s: template step %s declares no kind", s.Pos, s.ID)
		}
	}
}

// Every role signs go on a decommission, as on a gate, however the step is
// written: kind: decommission makes it a gate, and gate: false is an error.
func TestKindDecommissionIsSigned(t *testing.T) {
	plan := readTestdata(t, "wipe-old-range.yaml")
	p, err := planner.Parse("plan.yaml", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	st, ok := p.Step("wipe-old-range")
	if !ok || st.Kind != events.KindDecommission || !st.Gate {
		t.Fatalf("wipe-old-range: kind %q, gate %v; want a decommission signed as a gate", st.Kind, st.Gate)
	}
	i := strings.Index(plan, "  - id: wipe-old-range\n")
	bad := plan[:i] + "  - id: wipe-old-range\n    gate: false\n" + plan[i+len("  - id: wipe-old-range\n"):]
	_, err = planner.Parse("plan.yaml", []byte(bad))
	if err == nil || !strings.Contains(err.Error(), "every role signs go on it, as on a gate; remove gate: false") {
		t.Fatalf("gate: false on a decommission: err = %v", err)
	}
}
