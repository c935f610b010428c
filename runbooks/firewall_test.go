package runbooks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
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
