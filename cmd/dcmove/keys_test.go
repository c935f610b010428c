package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nkeys"
)

var publicKeyLine = regexp.MustCompile(`(?m)^public key: (U[A-Z0-9]{55})$`)

// newKey runs dcmove keys new and returns the public key it printed.
func newKey(t *testing.T, clock runbooks.Clock, name, out string) string {
	t.Helper()
	printed := mustRun(t, clock, "keys", "new", name, "--out", out, "--role", "lead")
	m := publicKeyLine.FindStringSubmatch(printed)
	if m == nil {
		t.Fatalf("keys new printed no public key:\n%s", printed)
	}
	seed, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(printed, strings.TrimSpace(string(seed))) {
		t.Fatalf("keys new printed the seed:\n%s", printed)
	}
	wantContains(t, "keys new", printed, "- {name: "+yamlName(name)+", roles: [lead], key: "+m[1]+"}")
	return m[1]
}

func TestKeysNewRoundTrip(t *testing.T) {
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	path := filepath.Join(t.TempDir(), "claire.nk")
	pub := newKey(t, clock, "Claire Martin", path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	kp, err := readKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := kp.PublicKey(); got != pub {
		t.Errorf("key file holds %s, keys new printed %s", got, pub)
	}
	// Never overwritten.
	before, _ := os.ReadFile(path)
	stderr := mustFail(t, clock, exitBadInput, "keys", "new", "Claire Martin", "--out", path)
	wantContains(t, "keys new over a key", stderr, "key file "+path+" already exists")
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("keys new overwrote a key file")
	}
	mustFail(t, clock, exitBadInput, "keys", "new", "--out", filepath.Join(t.TempDir(), "x.nk"))
}

func TestBadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts", "--data-dir", dir)
	user, _ := nkeys.CreateUser()
	userPub, _ := user.PublicKey()
	account, _ := nkeys.CreateAccount()
	accountSeed, _ := account.Seed()
	write := func(name, content string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, path string
		want       []string
	}{
		{"missing", filepath.Join(dir, "nope.nk"), []string{"nope.nk does not exist", "dcmove keys new NAME --out FILE"}},
		{"garbage", write("garbage.nk", "hello\n"), []string{"garbage.nk does not hold an NKey seed", "dcmove keys new"}},
		{"public key", write("pub.nk", userPub+"\n"), []string{"pub.nk holds a public key, not a seed"}},
		{"account seed", write("account.nk", string(accountSeed)), []string{"account.nk holds an NKey seed that is not a user's"}},
		{"too large", write("big.nk", strings.Repeat("x", 5000)), []string{"big.nk is larger than 4096 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stderr := mustFail(t, clock, exitBadInput, "step", "start", "capture-fw-rules", "--as", "Karim Haddad", "--key", tc.path, "--data-dir", dir)
			wantContains(t, "stderr", stderr, tc.want...)
			if strings.Contains(stderr, string(accountSeed)) {
				t.Errorf("the error shows the seed: %s", stderr)
			}
		})
	}
	// Nothing was appended.
	out := mustRun(t, clock, "audit", "verify", "--data-dir", dir)
	wantContains(t, "audit verify", out, "ok: 31 events")
	out = mustRun(t, clock, "status", "--data-dir", dir)
	wantContains(t, "status of a run without keys", out, "actions unsigned: the plan lists no crew keys")
}

// The keys workflow through the CLI: a key per member, the plan lists
// them, every command signs with --key (or DCMOVE_KEY), and audit verify
// checks the signatures.
func TestKeysWorkflow(t *testing.T) {
	dir := t.TempDir()
	keys := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	plan, err := os.ReadFile(weekend)
	if err != nil {
		t.Fatal(err)
	}
	text := string(plan)
	key := map[string]string{}
	for _, who := range []string{"Claire Martin", "Karim Haddad", "Julien Petit", "Sophie Bernard", "Hugo Leroy"} {
		key[who] = filepath.Join(keys, strings.ReplaceAll(strings.ToLower(who), " ", "-")+".nk")
		pub := newKey(t, clock, who, key[who])
		line := "  - name: " + who + "\n"
		if !strings.Contains(text, line) {
			t.Fatalf("the weekend plan lists no %q", line)
		}
		text = strings.Replace(text, line, line+"    key: "+pub+"\n", 1)
	}
	path := filepath.Join(t.TempDir(), "weekend.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, clock, "plan", "check", path)
	run := func(args ...string) string { return mustRun(t, clock, append(args, "--data-dir", dir)...) }
	fail := func(code int, args ...string) string {
		return mustFail(t, clock, code, append(args, "--data-dir", dir)...)
	}

	stderr := fail(exitRefused, "cutover", "start", path, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	wantContains(t, "start without a key", stderr, "requires signed actions: give --key FILE", "dcmove keys new NAME --out FILE")
	stderr = fail(exitRefused, "cutover", "start", path, "--as", "Claire Martin", "--key", key["Karim Haddad"], "--accept", "L013", "--reason", "demo crew without shifts")
	wantContains(t, "start with another's key", stderr, "--as Claire Martin: the key given is Karim Haddad's")
	out := run("cutover", "start", path, "--key", key["Claire Martin"], "--accept", "L013", "--reason", "demo crew without shifts")
	wantContains(t, "cutover start", out, "recorded 31 events")

	clock.Set(paris(t, 5, "07:00"))
	stderr = fail(exitRefused, "step", "start", "capture-fw-rules", "--as", "Karim Haddad")
	wantContains(t, "step without a key", stderr, "run pa2-to-pa3 requires signed actions: give --key FILE")
	stderr = fail(exitRefused, "step", "start", "capture-fw-rules", "--as", "Karim Haddad", "--key", key["Sophie Bernard"])
	wantContains(t, "step as someone else", stderr, "--as Karim Haddad: the key given is Sophie Bernard's")
	out = run("step", "start", "capture-fw-rules", "--key", key["Karim Haddad"])
	wantContains(t, "step start", out, "step started: capture-fw-rules", "by Karim Haddad")
	t.Setenv("DCMOVE_KEY", key["Sophie Bernard"])
	out = run("step", "start", "capture-switch-config")
	wantContains(t, "step start with DCMOVE_KEY", out, "by Sophie Bernard")

	out = run("audit", "verify")
	wantContains(t, "audit verify", out, "ok: 33 events", "signatures: every event signed by its actor's key")
	if out = run("status"); strings.Contains(out, "actions unsigned") {
		t.Errorf("the status of a signed run says its actions are unsigned:\n%s", out)
	}
	out = run("audit", "--output", "markdown")
	wantContains(t, "report", out, "| **Signatures** | every action signed — each by its actor's key in the plan's crew |")
}
