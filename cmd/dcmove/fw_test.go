package main

import (
	"context"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
)

// fwRun loads the run's model from the data directory.
func fwRun(t testing.TB, dir, run string) *runbooks.Run {
	t.Helper()
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r, err := (&runbooks.Cutover{Log: l, Clock: runbooks.SystemClock{}}).Load(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFirewallFromExports runs the reference plan's firewall work on the
// examples' real exports: a capture step cannot be ticked before the
// source's export is captured; the capture finds the plan's rules and the
// rules the plan forgot, and completes the capture step under way; every
// forgotten rule is reviewed; the destination's export lacks one kept
// rule, which verify lists in the destination's own syntax.
func TestFirewallFromExports(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", reference, "--rehearsal", "--data-dir", dir, "--as", "Claire Martin", "--accept", "L003", "--reason", "the support desk reads the ticket")
	run := "pa2-to-pa3-rehearsal"
	karim := []string{"--data-dir", dir, "--as", "Karim Haddad"}

	mustRun(t, clock, append([]string{"step", "start", "capture-rule-in-https"}, karim...)...)
	refusal := mustFail(t, clock, exitRefused, append([]string{"step", "done", "capture-rule-in-https"}, karim...)...)
	wantContains(t, "a capture ticked", refusal, "done by the facts, not by a tick")

	// Bad exports: nothing recorded, every bad line named.
	before := fwRun(t, dir, run).LastSeq
	bad := mustFail(t, clock, exitBadInput, append([]string{"fw", "capture", "--site", "PA2", "../../firewall/testdata/bad-iptables-save.txt"}, karim...)...)
	wantContains(t, "a bad export", bad, "bad-iptables-save.txt:")
	wantContains(t, "a bad export", bad, "nothing was recorded")
	unknown := mustFail(t, clock, exitBadInput, append([]string{"fw", "capture", "--site", "PA2", "../../firewall/testdata/unknown-format.txt"}, karim...)...)
	wantContains(t, "an unknown format", unknown, "not an iptables-save, nft or dcmove CSV export")
	if after := fwRun(t, dir, run).LastSeq; after != before {
		t.Fatalf("bad exports appended %d events", after-before)
	}

	out := mustRun(t, clock, append([]string{"fw", "capture", "--site", "PA2", "../../examples/pa2-iptables-save.txt"}, karim...)...)
	wantContains(t, "capture", out, "captured 46 rules of PA2 (source)")
	wantContains(t, "capture", out, "21 of the plan's 23 rules found in the export")
	wantContains(t, "capture", out, "captured, not in the plan (13)")
	wantContains(t, "capture", out, `--comment "status page, after DNAT"`)
	r := fwRun(t, dir, run)
	if st := r.Find("capture-rule-in-https"); st.State() != runbooks.Done {
		t.Fatalf("the capture step under way is %v after the capture, want done", st.State())
	}
	// The capture of a rule the export has can now be done by hand too.
	mustRun(t, clock, append([]string{"step", "start", "capture-rule-in-http"}, karim...)...)
	mustRun(t, clock, append([]string{"step", "done", "capture-rule-in-http"}, karim...)...)
	// Not one the plan writes with names instead of addresses.
	mustRun(t, clock, append([]string{"step", "start", "capture-rule-in-probes"}, karim...)...)
	wantContains(t, "an unmatched rule ticked", mustFail(t, clock, exitRefused, append([]string{"step", "done", "capture-rule-in-probes"}, karim...)...), "no export captured so far has rule in-probes")

	// Nothing recorded for a review naming a rule no export had, nor for
	// a filter that would match every rule without the field.
	mustFail(t, clock, exitRefused, append([]string{"fw", "review", "fw-000000000000", "--keep", "--reason", "x"}, karim...)...)
	mustFail(t, clock, exitRefused, append([]string{"fw", "review", "in-https", "fw-000000000000", "--keep", "--reason", "x"}, karim...)...)
	wantContains(t, "an empty match", mustFail(t, clock, exitBadInput, append([]string{"fw", "review", "--match", "to=", "--retire", "--reason", "x"}, karim...)...), "write FIELD=VALUE")
	if got := fwRun(t, dir, run).Firewall.OfPlan("in-https"); len(got) != 1 || got[0].Decision != "" {
		t.Fatalf("a refused review recorded a decision on in-https: %+v", got)
	}
	out = mustRun(t, clock, append([]string{"fw", "review", "--match", "proto=icmp", "--keep", "--reason", "monitoring probes and ping stay"}, karim...)...)
	wantContains(t, "review by match", out, "keep (monitoring probes and ping stay)")
	var ids []string
	for _, rule := range fwRun(t, dir, run).Firewall.Reconcile().ToReview {
		ids = append(ids, rule.ID)
	}
	if len(ids) == 0 || len(ids) >= 13 {
		t.Fatalf("%d rules left to review after --match proto=icmp, want fewer than 13 and some", len(ids))
	}
	out = mustRun(t, clock, append(append([]string{"fw", "review", "--keep", "--reason", "still in use"}, ids...), karim...)...)
	wantContains(t, "reviews", out, "0 to review")

	out = mustRun(t, clock, append([]string{"fw", "verify", "--site", "PA3", "../../examples/pa3-nft.txt"}, karim...)...)
	wantContains(t, "verify", out, "42 verified, 1 missing, 0 unexpected, 0 retired but back")
	wantContains(t, "verify", out, "(in-ssh-noc)  ip saddr 192.0.2.0/27 ip daddr 203.0.113.20 tcp dport 22 accept")
	if !strings.Contains(mustRun(t, clock, "fw", "status", "--data-dir", dir), "1 missing") {
		t.Error("fw status does not show the missing rule")
	}
}
