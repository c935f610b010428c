package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/internal/dnstest"
	"github.com/dcmove/dcmove/runbooks"
)

// checkWorld starts what a service's checks look at, on loopback: a web
// server, a database port, and two DNS resolvers, one seeing the move
// (moved) and one still the old address (stale). It writes a plan whose
// service web has an HTTP, a TCP and a DNS check, to pass from the
// vantage points given, and a validate step; it returns the plan's path.
func checkWorld(t *testing.T, from string) (plan, moved, stale string) {
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

	mustRun(t, clock, append([]string{"check", "run", "web-dns", "--from", "outside-uk", "--resolver", moved}, hugo...)...)
	mustRun(t, clock, append([]string{"step", "done", "validate-web"}, hugo...)...)
	mustRun(t, clock, append([]string{"step", "done", "check-dns-www"}, karim...)...)
	wantContains(t, "check status", mustRun(t, clock, "check", "status", "--data-dir", dir), "web: up: every check passed from every vantage point")

	// Bad input: a vantage point the plan does not name, an unknown check.
	wantContains(t, "unknown vantage point", mustFail(t, clock, exitBadInput, append([]string{"check", "run", "--from", "mars"}, hugo...)...), "the plan's vantage points are: outside-uk, pa3")
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
