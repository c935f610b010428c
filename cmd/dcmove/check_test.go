package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/internal/dnstest"
	"github.com/dcmove/dcmove/runbooks"
)

// checkWorld starts what a service's checks look at, on loopback: a web
// server, a database port, and two DNS resolvers, one seeing the move
// (moved) and one still the old address (stale). It writes a plan whose
// service web has an HTTP, a TCP and a DNS check, to pass from the
// vantage points given, and a validate step; it returns the plan's path.
func checkWorld(t testing.TB, from string) (plan, moved, stale string) {
	t.Helper()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("workit dashboard: ok")) }))
	t.Cleanup(web.Close)
	db, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	go func() {
		for {
			c, err := db.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	moved = dnstest.Resolver(t, "www.workit.fr", "203.0.113.10", 300)
	stale = dnstest.Resolver(t, "www.workit.fr", "198.51.100.7", 300)
	b, err := os.ReadFile(weekend)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "steps:\n", `services:
  - id: web
    title: Dashboard
    rto: 4h
    checks:
      - {id: web-http, kind: http, target: `+web.URL+`/health, expect: "dashboard: ok", from: [`+from+`]}
      - {id: web-db, kind: tcp, target: `+db.Addr().String()+`, from: [`+from+`]}
      - {id: web-dns, kind: dns, target: www.workit.fr, expect: 203.0.113.10, from: [`+from+`]}

steps:
  - id: validate-web
    kind: validate
    service: web
    title: Validate the dashboard from every vantage point
    phase: before
    duration: 10m
    role: app
  - id: check-dns-www
    kind: check
    service: web
    title: Check that www.workit.fr answers with the new address
    phase: before
    duration: 5m
    role: network
`, 1)
	plan = filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(plan, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return plan, moved, stale
}

// TestChecksAsFacts: a plan's service has an HTTP, a TCP and a DNS check,
// to pass from two vantage points. Its validation cannot be ticked; the
// checks run from the first vantage point pass; from the second, whose
// resolver still sees the old address, the DNS check fails and says what
// it saw; once that resolver sees the move, the validation is done.
func TestChecksAsFacts(t *testing.T) {
	path, moved, stale := checkWorld(t, "pa3, outside-uk")
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", path, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	clock.Set(paris(t, 5, "07:00"))
	hugo := []string{"--data-dir", dir, "--as", "Hugo Leroy"}
	karim := []string{"--data-dir", dir, "--as", "Karim Haddad"}
	mustRun(t, clock, append([]string{"step", "start", "check-dns-www"}, karim...)...)
	wantContains(t, "a DNS check ticked", mustFail(t, clock, exitRefused, append([]string{"step", "done", "check-dns-www"}, karim...)...),
		"web-dns from pa3: not run")
	mustRun(t, clock, append([]string{"step", "start", "validate-web"}, hugo...)...)
	wantContains(t, "a validation ticked", mustFail(t, clock, exitRefused, append([]string{"step", "done", "validate-web"}, hugo...)...),
		"done by the facts, not by a tick", "web-http from pa3: not run")

	out := mustRun(t, clock, append([]string{"check", "run", "--from", "pa3", "--resolver", moved}, hugo...)...)
	wantContains(t, "from pa3", out, "ran 3 checks from pa3, recorded: 3 passed, 0 did not", `"dashboard: ok" in the body`, "web: still to pass: web-http from outside-uk: not run")

	out = mustRun(t, clock, append([]string{"check", "run", "--from", "outside-uk", "--resolver", stale, "--retries", "0"}, hugo...)...)
	wantContains(t, "from outside-uk, stale resolver", out, "recorded: 2 passed, 1 did not", "FAILED", "saw 198.51.100.7")
	wantContains(t, "still refused", mustFail(t, clock, exitRefused, append([]string{"step", "done", "validate-web"}, hugo...)...),
		"web-dns from outside-uk: failed: expected www.workit.fr A from "+stale+": 203.0.113.10")

	// The executor finishes the steps whose checks now all passed: nobody
	// ticks them.
	out = mustRun(t, clock, append([]string{"check", "run", "web-dns", "--from", "outside-uk", "--resolver", moved}, hugo...)...)
	wantContains(t, "steps done by the facts", out, "step validate-web (Validate the dashboard from every vantage point) is done: its checks passed",
		"step check-dns-www (Check that www.workit.fr answers with the new address) is done")
	wantContains(t, "a tick after the facts", mustFail(t, clock, exitRefused, append([]string{"step", "done", "validate-web"}, hugo...)...), "step validate-web is done")
	wantContains(t, "check status", mustRun(t, clock, "check", "status", "--data-dir", dir), "web: up: every check passed from every vantage point")

	// Bad input: a vantage point the plan does not name, an unknown check.
	wantContains(t, "unknown vantage point", mustFail(t, clock, exitBadInput, append([]string{"check", "run", "--from", "mars"}, hugo...)...), "their vantage points are: outside-uk, pa3")
	wantContains(t, "unknown check", mustFail(t, clock, exitBadInput, append([]string{"check", "run", "nope", "--from", "pa3"}, hugo...)...), "has no check nope")
}

// TestAgents: two agents, for pa3 and outside-uk, run the checks when
// asked over NATS; outside-uk's resolver still sees the old address. A
// third vantage point has no agent: it is reported, and nothing is
// recorded for it.
func TestAgents(t *testing.T) {
	path, moved, stale := checkWorld(t, "pa3, outside-uk, outside-de")
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	var served syncBuffer
	stopServe := background(t, &served, clock, "serve", "--data-dir", dir)
	defer stopServe()
	waitFor(t, &served, "serving data directory")
	mustRun(t, clock, "cutover", "start", path, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	wantContains(t, "an agent of no vantage point", mustFail(t, clock, exitBadInput, "agent", "--site", "mars", "--data-dir", dir), "the plan's vantage points are")

	// One Main at a time parses its command line (see TestMain).
	var pa3, uk syncBuffer
	defer background(t, &pa3, clock, "agent", "--site", "pa3", "--resolver", moved, "--data-dir", dir)()
	waitFor(t, &pa3, "agent for pa3")
	defer background(t, &uk, clock, "agent", "--site", "outside-uk", "--resolver", stale, "--data-dir", dir)()
	waitFor(t, &uk, "agent for outside-uk")

	out := mustRun(t, clock, "check", "run", "--agents", "--retries", "0", "--data-dir", dir, "--as", "Hugo Leroy")
	wantContains(t, "check run --agents", out,
		"outside-de: nothing recorded: no agent is running for it (dcmove agent --site outside-de)",
		"ran 6 checks from the agents, recorded: 5 passed, 1 did not",
		"web-dns                  from outside-uk",
		"saw 198.51.100.7",
		"web-http from outside-de: not run")
	wantContains(t, "check status", mustRun(t, clock, "check", "status", "--data-dir", dir), "web: not validated", "web-dns from outside-uk: failed")
	wantContains(t, "status", mustRun(t, clock, "status", "--data-dir", dir), "checks (dcmove check status):", "web  not validated: ", "web-dns from outside-uk: failed")
}

// TestDomainChecksOverrideAndGate: a domain declares its own dns check,
// with the resolver, the longest TTL and the timeout in the plan; its
// check-dns step waits for it. The plan says the TTL is 5 minutes, but the
// resolver still serves a day, so
// the check fails and says what it saw; a gate that requires every check
// refuses go; the lead overrides the step with a reason, and status and
// the report show the override as a deviation.
func TestDomainChecksOverrideAndGate(t *testing.T) {
	resolver := dnstest.Resolver(t, "api.workit.fr", "203.0.113.11", 86400)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(web.Close)
	b, err := os.ReadFile(weekend)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "steps:\n", `services:
  - id: api
    title: Public API
    rto: 4h
    checks:
      - {id: api-health, kind: http, target: `+web.URL+`/health, status: 200, body: '"status":"ok"', timeout: 2s, retries: 0, from: [pa3, outside-uk]}
domains:
  - name: api.workit.fr
    service: api
    ttl: 300
    checks:
      - {kind: dns, expect: 203.0.113.11, resolver: "`+resolver+`", max_ttl: 300, timeout: 2s, retries: 0, from: [pa3, outside-uk]}

steps:
  - id: check-dns-api
    kind: check
    domain: api.workit.fr
    service: api
    title: Check that api.workit.fr answers with the new address and a short TTL
    phase: before
    duration: 5m
    role: network
  - id: dns-go
    title: Go/no-go on the names
    phase: before
    duration: 5m
    role: lead
    gate: true
    require: [checks]
    after: [check-dns-api]
`, 1)
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", path, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	clock.Set(paris(t, 5, "07:00"))
	karim := []string{"--data-dir", dir, "--as", "Karim Haddad"}
	claire := []string{"--data-dir", dir, "--as", "Claire Martin"}
	mustRun(t, clock, append([]string{"step", "start", "check-dns-api"}, karim...)...)

	// No --resolver: the plan names it. The domain is named as the plan
	// spells it, in any case.
	out := mustRun(t, clock, append([]string{"check", "run", "API.workit.fr", "--from", "pa3"}, karim...)...)
	wantContains(t, "the domain's check", out, "ran 1 checks from pa3, recorded: 0 passed, 1 did not", "api-workit-fr-dns", "from "+resolver, "TTL 24h0m0s",
		"api.workit.fr: still to pass")
	out = mustRun(t, clock, append([]string{"check", "run", "api", "--from", "pa3"}, karim...)...)
	wantContains(t, "status and body from the plan", out, "recorded: 0 passed, 1 did not", "503")
	wantContains(t, "tick refused", mustFail(t, clock, exitRefused, append([]string{"step", "done", "check-dns-api"}, karim...)...),
		"done by the facts", "api-workit-fr-dns from pa3: failed", "dcmove step done check-dns-api --override WHY")
	wantContains(t, "override by someone else", mustFail(t, clock, exitRefused, append([]string{"step", "done", "check-dns-api", "--override", "fine"}, karim...)...),
		"only the lead (Claire Martin) may override")
	wantContains(t, "override without a reason", mustFail(t, clock, exitRefused, append([]string{"step", "done", "check-dns-api", "--override", " "}, claire...)...), "say why with --override WHY")

	out = mustRun(t, clock, append([]string{"step", "done", "check-dns-api", "--override", "the registrar lowers the TTL tonight; answers are right"}, claire...)...)
	wantContains(t, "override recorded", out, "step done without its facts, by the lead's override", "registrar lowers the TTL")
	wantContains(t, "gate requires checks", mustFail(t, clock, exitRefused, append([]string{"gate", "sign", "dns-go", "--decision", "go"}, claire...)...),
		"gate dns-go requires checks before anyone signs go", "api-health from pa3: failed", "api-workit-fr-dns from pa3: failed")

	status := mustRun(t, clock, "status", "--data-dir", dir)
	wantContains(t, "status shows the override", status, "overridden (deviations):", "check-dns-api", "done without its facts, by Claire Martin's override: the registrar lowers the TTL tonight")
	report := mustRun(t, clock, "audit", "--data-dir", dir, "--output", "markdown")
	wantContains(t, "report shows the override", report, "done without its facts", "check-dns-api", "the registrar lowers the TTL tonight")

	// Bad input: a name that is nothing of the run's, --all with a name.
	wantContains(t, "unknown name", mustFail(t, clock, exitBadInput, append([]string{"check", "run", "www.nowhere.example", "--from", "pa3"}, karim...)...),
		"no service, asset or domain www.nowhere.example with checks")
	mustFail(t, clock, exitBadInput, append([]string{"check", "run", "api", "--all", "--from", "pa3"}, karim...)...)
}

// BenchmarkAgentChecks measures the checks an agent runs per second when
// asked over NATS (64 TCP checks a request, on loopback), beside the same
// checks run in this process with no NATS between (raw).
func BenchmarkAgentChecks(b *testing.B) {
	path, moved, _ := checkWorld(b, "pa3, outside-uk")
	dir := b.TempDir()
	clock := runbooks.NewManualClock(paris(b, 5, "06:30"))
	var served, agent syncBuffer
	defer background(b, &served, clock, "serve", "--data-dir", dir)()
	waitFor(b, &served, "serving data directory")
	mustRun(b, clock, "cutover", "start", path, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	defer background(b, &agent, clock, "agent", "--site", "pa3", "--resolver", moved, "--data-dir", dir)()
	waitFor(b, &agent, "agent for pa3")
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	r := fwRun(b, dir, "pa2-to-pa3")
	db, _ := r.Validation.Check("web-db")
	defs := make([]events.CheckDef, 64)
	for i := range defs {
		defs[i] = db
		defs[i].ID, defs[i].From = fmt.Sprint("db-", i), []string{"pa3"}
	}
	perRequest := func(b *testing.B, run func() ([]events.CheckRan, error)) {
		for b.Loop() {
			results, err := run()
			if err != nil {
				b.Fatal(err)
			}
			for _, res := range results {
				if !res.OK {
					b.Fatalf("check %s: %s %s", res.Check, res.Seen, res.Error)
				}
			}
		}
		b.ReportMetric(float64(b.N*len(defs))/b.Elapsed().Seconds(), "checks/s")
	}
	b.Run("agent", func(b *testing.B) {
		perRequest(b, func() ([]events.CheckRan, error) {
			results, silent := askAgents(context.Background(), l.Conn(), defs, 5*time.Second, 0)
			if len(silent) > 0 || len(results) != len(defs) {
				return nil, fmt.Errorf("agent: %d results, silent: %v", len(results), silent)
			}
			return results, nil
		})
	})
	b.Run("raw", func(b *testing.B) {
		perRequest(b, func() ([]events.CheckRan, error) {
			return runChecks(context.Background(), defs, "pa3", "", 5*time.Second, 0), nil
		})
	})
}
