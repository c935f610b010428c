package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nkeys"
)

// headSigTest runs command lines against one data directory and keeps
// everything they print, to check that no seed ever appears in it.
type headSigTest struct {
	t       *testing.T
	clock   *runbooks.ManualClock
	dir     string
	printed []string
}

func (h *headSigTest) run(args ...string) string {
	h.t.Helper()
	args = append(args, "--data-dir", h.dir)
	r := dcmove(h.t.Context(), h.clock, args...)
	h.printed = append(h.printed, r.out, r.errOut)
	if r.err != nil {
		h.t.Fatalf("dcmove %s: %v\nstderr:\n%s", strings.Join(args, " "), r.err, r.errOut)
	}
	return r.out
}

func (h *headSigTest) fail(code int, args ...string) string {
	h.t.Helper()
	args = append(args, "--data-dir", h.dir)
	r := dcmove(h.t.Context(), h.clock, args...)
	h.printed = append(h.printed, r.out, r.errOut)
	if got := exitCode(r.err); r.err == nil || got != code {
		h.t.Fatalf("dcmove %s: exit status %d (%v), want %d; stdout:\n%s", strings.Join(args, " "), got, r.err, code, r.out)
	}
	return r.errOut
}

// noSeeds checks that none of the seeds in the key files appears in
// anything printed.
func (h *headSigTest) noSeeds(files ...string) {
	h.t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			h.t.Fatal(err)
		}
		seed := strings.TrimSpace(string(b))
		for _, out := range h.printed {
			if strings.Contains(out, seed) || strings.Contains(out, seed[10:40]) {
				h.t.Fatalf("the seed of %s was printed:\n%s", f, out)
			}
		}
	}
}

var (
	reportHead = regexp.MustCompile("head: seq (\\d+) sha256 `([0-9a-f]{64})`")
	reportSig  = regexp.MustCompile("[Ss]tatement `(dcmove head [^`]+)`, ed25519 signature \\(base64url\\) `([A-Za-z0-9_-]+)`")
)

// signedReport returns the head (SEQ:HASH), the statement and the signature
// in the footer of a signed Markdown report.
func signedReport(t *testing.T, report string) (pair, stmt, sig string) {
	t.Helper()
	h, s := reportHead.FindStringSubmatch(report), reportSig.FindStringSubmatch(report)
	if h == nil || s == nil {
		t.Fatalf("no signed head in the report's footer:\n%s", report)
	}
	return h[1] + ":" + h[2], s[1], s[2]
}

// signWith signs text with the seed in a key file, as someone with the
// file could outside dcmove.
func signWith(t *testing.T, file, text string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(b))))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := kp.Sign([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(sig)
}

func TestReportHeadSignedByLead(t *testing.T) {
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	h := &headSigTest{t: t, clock: clock, dir: t.TempDir()}
	keys := t.TempDir()
	plan, err := os.ReadFile(weekend)
	if err != nil {
		t.Fatal(err)
	}
	text := string(plan)
	key, pub := map[string]string{}, map[string]string{}
	for _, who := range []string{"Claire Martin", "Karim Haddad", "Julien Petit", "Sophie Bernard", "Hugo Leroy"} {
		key[who] = filepath.Join(keys, strings.ReplaceAll(strings.ToLower(who), " ", "-")+".nk")
		pub[who] = newKey(t, clock, who, key[who])
		line := "  - name: " + who + "\n"
		text = strings.Replace(text, line, line+"    key: "+pub[who]+"\n", 1)
	}
	stranger := filepath.Join(keys, "stranger.nk")
	newKey(t, clock, "Eve Stranger", stranger)
	path := filepath.Join(t.TempDir(), "weekend.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	h.run("cutover", "start", path, "--key", key["Claire Martin"], "--accept", "L013", "--reason", "demo crew without shifts")
	clock.Set(paris(t, 5, "07:00"))
	h.run("step", "start", "capture-fw-rules", "--key", key["Karim Haddad"])

	// Without a key, the report is as before: unsigned.
	if out := h.run("audit", "--output", "markdown"); strings.Contains(out, "head signed") {
		t.Errorf("a report made without a key says its head is signed:\n%s", out)
	}

	// The lead signs the report's head.
	report := h.run("audit", "--output", "markdown", "--key", key["Claire Martin"])
	pair, stmt, sig := signedReport(t, report)
	seq, hash, _ := strings.Cut(pair, ":")
	if want := "dcmove head pa2-to-pa3 " + seq + " " + hash; stmt != want {
		t.Fatalf("statement %q, want %q", stmt, want)
	}
	wantContains(t, "signed report", report,
		"head signed by Claire Martin, the lead (key `"+events.ShortKey(pub["Claire Martin"])+"`)",
		"`dcmove audit verify --run pa2-to-pa3 --head "+pair+" --head-signature "+sig+"`")
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	lead, err := nkeys.FromPublicKey(pub["Claire Martin"])
	if err != nil {
		t.Fatal(err)
	}
	if err := lead.Verify([]byte(stmt), raw); err != nil {
		t.Fatalf("the signature in the report does not verify with the lead's key over the exact statement: %v", err)
	}
	t.Setenv("DCMOVE_KEY", key["Claire Martin"])
	html := h.run("audit", "--output", "html")
	wantContains(t, "signed HTML report", html, "head signed by Claire Martin, the lead", stmt, sig)

	// Anyone else's key is refused: the lead signs the report.
	stderr := h.fail(exitRefused, "audit", "--output", "markdown", "--key", key["Karim Haddad"])
	wantContains(t, "report signed by a member", stderr, "the lead (Claire Martin) signs the report of run pa2-to-pa3", "the key given is Karim Haddad's")
	wantContains(t, "report signed by a member", stderr, "or leave --key out for an unsigned report")
	// A member's DCMOVE_KEY, exported to act, does not sign the report
	// (nor stop it): the report is made unsigned, and says so on stderr.
	t.Setenv("DCMOVE_KEY", key["Sophie Bernard"])
	r := dcmove(t.Context(), clock, "audit", "--output", "html", "--data-dir", h.dir)
	h.printed = append(h.printed, r.out, r.errOut)
	if r.err != nil || strings.Contains(r.out, "head signed") {
		t.Fatalf("report with a member's DCMOVE_KEY: %v, signed: %t", r.err, strings.Contains(r.out, "head signed"))
	}
	wantContains(t, "report with a member's DCMOVE_KEY", r.errOut, "the report's head is not signed: the lead (Claire Martin) signs the report", "the key given is Sophie Bernard's")
	stderr = h.fail(exitRefused, "audit", "--output", "markdown", "--key", stranger)
	wantContains(t, "report signed by a stranger", stderr, "is not in the run's crew")
	// DCMOVE_KEY set to act does not get in the way of the trail; --key
	// given for it is a mistake.
	wantContains(t, "trail with DCMOVE_KEY", h.run("audit"), "capture-fw-rules")
	os.Unsetenv("DCMOVE_KEY")
	h.fail(exitBadInput, "audit", "--key", key["Claire Martin"])

	// verify checks the signature against the lead's key in the run's crew.
	out := h.run("audit", "verify", "--head", pair, "--head-signature", sig)
	wantContains(t, "verify the lead's signature", out, "kept head found: ", "head signature: signed by Claire Martin, the lead")

	// A signature of that head by another member's key.
	stderr = h.fail(exitTampered, "audit", "verify", "--head", pair, "--head-signature", signWith(t, key["Karim Haddad"], stmt))
	wantContains(t, "signature by a member", stderr, "the head signature is by Karim Haddad's key", "not the lead's (Claire Martin)")
	stderr = h.fail(exitTampered, "audit", "verify", "--head", pair, "--head-signature", signWith(t, stranger, stmt))
	wantContains(t, "signature by a stranger", stderr, "the head signature is not the lead's (Claire Martin) over \""+stmt+"\"")

	// The run goes on; the lead signs the new head. Each signature is
	// for its own head only.
	h.run("step", "start", "capture-switch-config", "--key", key["Sophie Bernard"])
	pair2, stmt2, sig2 := signedReport(t, h.run("audit", "--output", "markdown", "--key", key["Claire Martin"]))
	if pair2 == pair || sig2 == sig {
		t.Fatalf("the head did not move: %s", pair2)
	}
	wantContains(t, "verify the new head", h.run("audit", "verify", "--head", pair2, "--head-signature", sig2), "head signature: signed by Claire Martin")
	wantContains(t, "verify the old head", h.run("audit", "verify", "--head", pair, "--head-signature", sig), "head signature: signed by Claire Martin")
	stderr = h.fail(exitTampered, "audit", "verify", "--head", pair, "--head-signature", sig2)
	wantContains(t, "signature of another head", stderr, "the head signature is not the lead's (Claire Martin) over \""+stmt+"\"", "over another head")
	stderr = h.fail(exitTampered, "audit", "verify", "--head", pair2, "--head-signature", sig)
	wantContains(t, "signature of an older head", stderr, "over \""+stmt2+"\"")
	// Bad input: no head, or not base64url.
	h.fail(exitBadInput, "audit", "verify", "--head-signature", sig)
	h.fail(exitBadInput, "audit", "verify", "--head", pair, "--head-signature", "not a signature!")
	h.fail(exitBadInput, "audit", "verify", "--head", pair, "--head-signature", sig[:40])

	h.noSeeds(key["Claire Martin"], key["Karim Haddad"], key["Sophie Bernard"], stranger)
}

func TestReportHeadSignedWithoutKeys(t *testing.T) {
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	h := &headSigTest{t: t, clock: clock, dir: t.TempDir()}
	file := filepath.Join(t.TempDir(), "claire.nk")
	pub := newKey(t, clock, "Claire Martin", file)
	h.run("cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")

	// A key signs, but the plan recorded none: the footer says so.
	report := h.run("audit", "--output", "markdown", "--key", file)
	pair, stmt, sig := signedReport(t, report)
	wantContains(t, "report of a run without keys", report, "head signed with key `"+pub+"`", "a key the plan did not record")
	if strings.Contains(report, "head signed by") || strings.Contains(report, "--head-signature") {
		t.Errorf("the report of a run without keys names a signer or a check:\n%s", report)
	}
	if sig != signWith(t, file, stmt) { // ed25519 is deterministic
		t.Errorf("the signature in the report is not the key's over %q", stmt)
	}
	wantContains(t, "HTML report of a run without keys", h.run("audit", "--output", "html", "--key", file), "a key the plan did not record", sig)

	// verify cannot tell whose it is.
	stderr := h.fail(exitBadInput, "audit", "verify", "--head", pair, "--head-signature", sig)
	wantContains(t, "verify without keys", stderr, "cannot be checked against the plan: run pa2-to-pa3 lists no crew keys")
	h.noSeeds(file)
}
