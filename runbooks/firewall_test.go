package runbooks_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

// TestLargeCaptureIsAllOrNothing records a capture of 2,500 rules, more
// than one atomic append holds: it is recorded in several appends and
// counts whole. A capture cut short after its first append (the command
// killed) counts for nothing.
func TestLargeCaptureIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	c, _, _, _ := reference(t)
	fc := runbooks.FirewallCapture{Site: "PA2", Role: events.FirewallRoleSource, Files: []string{"big.txt"}}
	for i := range 2500 {
		fc.Rules = append(fc.Rules, events.FirewallRuleCaptured{Rule: fmt.Sprintf("fw-%012x", i), Meaning: fmt.Sprint("rule ", i), Text: fmt.Sprint("rule ", i), Format: "csv", File: "big.txt", Line: i + 2})
	}
	before := must(t)(c.Tick(ctx, "ref")).Run.LastSeq
	out := must(t)(c.CaptureFirewall(ctx, "ref", "Karim Haddad", fc))
	if got := len(out.Run.Firewall.Rules); got != 2500 {
		t.Fatalf("%d rules after the capture, want 2500", got)
	}
	if n := out.Run.LastSeq - before; n < 2501 {
		t.Fatalf("the capture appended %d events, want at least 2,501 (the rules and the completion)", n)
	}

	// Cut short: the rules of a capture, and no completion.
	cut := fc
	cut.Rules = []events.FirewallRuleCaptured{{Capture: "cut-short", Site: "PA3", Role: events.FirewallRoleDestination, Rule: "fw-ffffffffffff", Meaning: "x", Text: "x", Format: "nft", File: "pa3.txt", Line: 1}}
	out = must(t)(c.Execute(ctx, "ref", func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
		e, err := events.New(now, events.Origin{Run: r.ID, Plan: r.Plan, Actor: "Karim Haddad"}, events.FirewallRuleSubject("fw-ffffffffffff"), cut.Rules[0])
		return []events.Envelope{e}, err
	}))
	if out.Run.Firewall.Destination || out.Run.Firewall.Rules["fw-ffffffffffff"] != nil {
		t.Fatal("a capture cut short counted")
	}
}

// firewallGatePlan has two firewall rules and a gate that requires the firewall
// reconciled before anyone signs go.
const firewallGatePlan = `
plan: gate
lead: Claire
window: {start: 2026-12-05 07:00, end: 2026-12-06 19:00, timezone: Europe/Paris}
crew:
  - {name: Claire, roles: [lead]}
  - {name: Karim, roles: [network]}
firewall_rules:
  - {id: in-https, source: any, destination: 203.0.113.10, ports: "443", protocol: tcp, action: allow}
  - {id: in-ssh, source: 192.0.2.10, destination: 10.10.0.0/16, ports: "22", protocol: tcp, action: allow}
steps:
  - {id: review-https, title: Review in-https, duration: 5m, role: network, kind: review-rule, rule: in-https, phase: before}
  - {id: review-ssh, title: Review in-ssh, duration: 5m, role: network, kind: review-rule, rule: in-ssh, phase: before}
  - {id: verify-https, title: Verify in-https, duration: 5m, role: network, kind: verify-rule, rule: in-https, phase: before, after: [review-https]}
  - {id: verify-ssh, title: Verify in-ssh, duration: 5m, role: network, kind: verify-rule, rule: in-ssh, phase: before, after: [review-ssh]}
  - {id: rules-go, title: Go on the rules, duration: 10m, role: lead, gate: true, require: [firewall], phase: before}
`

// TestGateRequiresFirewallReconciled: a gate that requires the firewall
// refuses go until the destination's export was captured, every captured
// rule reviewed, and no kept rule is missing from the destination.
func TestGateRequiresFirewallReconciled(t *testing.T) {
	ctx := context.Background()
	p, err := planner.Parse("gate.yaml", []byte(firewallGatePlan))
	if err != nil {
		t.Fatal(err)
	}
	c := &runbooks.Cutover{Log: openLog(t), Clock: runbooks.NewManualClock(p.Window.Start.Add(time.Hour))}
	if _, err := c.StartWith(ctx, p, runbooks.StartOptions{Run: "g", Actor: "Claire", Accept: acceptAll(t, p)}); err != nil {
		t.Fatal(err)
	}
	signGo := func(want ...string) {
		t.Helper()
		_, err := c.SignGate(ctx, "g", "rules-go", "Claire", string(events.DecisionGo), "")
		if len(want) == 0 {
			if err != nil {
				t.Fatalf("go refused once the firewall is reconciled: %v", err)
			}
			return
		}
		if !errors.Is(err, runbooks.ErrRefused) {
			t.Fatalf("go: err = %v, want a refusal", err)
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("go refused with %q, want it to say %q", err, w)
			}
		}
	}
	signGo("requires firewall", "the destination's rules were never captured")

	r, err := c.Load(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	must(t)(c.CaptureFirewall(ctx, "g", "Karim", runbooks.PlanExport(r.Firewall.Plan, events.FirewallRoleSource)))
	dest := runbooks.PlanExport(r.Firewall.Plan, events.FirewallRoleDestination)
	dest.Rules = dest.Rules[:1] // in-ssh forgotten at the destination
	must(t)(c.CaptureFirewall(ctx, "g", "Karim", dest))
	signGo("rule in-ssh is kept but missing at the destination")
	must(t)(c.ReviewFirewallRule(ctx, "g", "Karim", "in-ssh", events.FirewallDecisionKeep, "in use"))
	signGo("rule in-ssh is kept but missing at the destination")

	must(t)(c.CaptureFirewall(ctx, "g", "Karim", runbooks.PlanExport(r.Firewall.Plan, events.FirewallRoleDestination)))
	signGo()
}
