package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nats-server/v2/server"
)

// passwordServer starts a NATS server with JetStream that admits user
// "ops" with password, and returns its host:port.
func passwordServer(t *testing.T, password string) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
		Username: "ops", Password: password,
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.Addr().String()
}

// TestNoSecretsInOutput runs a scripted move with credentials in every
// place the CLI takes them (a URL's password and token, DCMOVE_SERVER, a
// nats context's token and password, a creds file's seed and JWT, the
// embedded server's token) through Main.Execute, and greps everything each
// command printed for every secret: none may appear.
func TestNoSecretsInOutput(t *testing.T) {
	const (
		password  = "s3cret-Pw-41f7"
		wrong     = "wr0ng-Pw-9c2e"
		token     = "t0ken-5b8d1e"
		odd       = "p%zz/Q-77"
		ctxToken  = "ctx-t0ken-3a9f"
		ctxPass   = "ctx-Passw0rd-c1d2"
		seed      = "SUAGMJH5XLGZKQQWAWKRZJIGMOU4HPFUYLXJMXOO5NLFEO2OOQJ5LPRDPM"
		credsJWT  = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJTRUNSRVRKV1QifQ.c2lnbmF0dXJlc2VjcmV0"
		seedInner = "LGZKQQWAWKRZJIGMOU4HPFUYLX"
	)
	addr := passwordServer(t, password)
	url := "nats://ops:" + password + "@" + addr
	down := strings.TrimPrefix(freeLoopbackURL(t), "nats://")
	clock := runbooks.NewManualClock(paris(t, 5, "07:00"))

	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	os.MkdirAll(filepath.Join(cfg, "nats", "context"), 0o700)
	ctxFile, _ := json.Marshal(map[string]string{"url": "nats://" + down, "token": ctxToken, "user": "ops", "password": ctxPass})
	os.WriteFile(filepath.Join(cfg, "nats", "context", "ops.json"), ctxFile, 0o600)
	creds := filepath.Join(t.TempDir(), "ops.creds")
	os.WriteFile(creds, []byte("-----BEGIN NATS USER JWT-----\n"+credsJWT+"\n------END NATS USER JWT------\n\n"+
		"-----BEGIN USER NKEY SEED-----\n"+seed+"\n------END USER NKEY SEED------\n"), 0o600)

	dir := t.TempDir()
	var served syncBuffer
	stopServe := background(t, &served, clock, "serve", "--data-dir", dir)
	waitFor(t, &served, "serving data directory")
	b, err := os.ReadFile(filepath.Join(dir, jetstream.ServerFileName))
	if err != nil {
		t.Fatal(err)
	}
	// The credential other processes join it with: a token, or a
	// password.
	var sf struct{ Token, Password string }
	if err := json.Unmarshal(b, &sf); err != nil || sf.Token+sf.Password == "" {
		t.Fatalf("server.json: %v, no credential in %s", err, b)
	}

	secrets := []string{password, wrong, token, odd, ctxToken, ctxPass, seed, seedInner, credsJWT}
	for _, s := range []string{sf.Token, sf.Password} {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	steps := []struct {
		name string
		env  map[string]string
		args []string
		fail bool // or succeed; "any" for either
		any  bool
	}{
		{"start on a server with a password", nil, []string{"cutover", "start", weekend, "--server", url, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts"}, false, false},
		{"status", nil, []string{"status", "--server", url, "--samples", "0"}, false, false},
		{"step through DCMOVE_SERVER", map[string]string{"DCMOVE_SERVER": url}, []string{"step", "start", "capture-fw-rules", "--as", "Karim Haddad"}, false, false},
		{"status json", map[string]string{"DCMOVE_SERVER": url}, []string{"status", "--output", "json", "--samples", "0"}, false, false},
		{"audit", nil, []string{"audit", "--server", url}, false, false},
		{"audit jsonl", nil, []string{"audit", "--server", url, "--output", "jsonl"}, false, false},
		{"audit markdown", nil, []string{"audit", "--server", url, "--output", "markdown"}, false, false},
		{"audit html", nil, []string{"audit", "--server", url, "--output", "html"}, false, false},
		{"audit verify", nil, []string{"audit", "verify", "--server", url}, false, false},
		{"a run that does not exist", nil, []string{"status", "--server", url, "--run", "nope"}, true, false},
		{"wrong password", nil, []string{"status", "--server", "nats://ops:" + wrong + "@" + addr}, true, false},
		{"password, server down", nil, []string{"status", "--server", "nats://ops:" + password + "@" + down}, true, false},
		{"token, server down", nil, []string{"status", "--server", "nats://" + token + "@" + down}, true, false},
		{"password net/url cannot read", nil, []string{"status", "--server", "nats://ops:" + odd + "@" + down}, true, false},
		{"DCMOVE_SERVER, server down", map[string]string{"DCMOVE_SERVER": "nats://ops:" + password + "@" + down}, []string{"audit", "verify"}, true, false},
		{"nats context with token and password", nil, []string{"status", "--context", "ops"}, true, false},
		{"creds file with seed and JWT", map[string]string{"DCMOVE_NATS_CREDS": creds}, []string{"status", "--server", url}, true, true},
		{"creds flag, server down", nil, []string{"status", "--server", "nats://ops:" + password + "@" + down, "--creds", creds}, true, false},
		{"embedded server joined with its token", nil, []string{"cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts"}, false, false},
		{"embedded status", nil, []string{"status", "--data-dir", dir, "--samples", "0"}, false, false},
		{"embedded jsonl", nil, []string{"audit", "--data-dir", dir, "--output", "jsonl"}, false, false},
	}
	for _, s := range steps {
		for k, v := range s.env {
			t.Setenv(k, v)
		}
		r := execute(t, clock, false, s.args...)
		for k := range s.env {
			os.Unsetenv(k)
		}
		if (r.code != 0) != s.fail && !s.any {
			t.Errorf("%s: exit status %d:\n%s", s.name, r.code, r.errOut)
		}
		all := r.out + r.errOut
		for _, secret := range secrets {
			if strings.Contains(all, secret) {
				t.Errorf("%s: the output holds the secret %q:\n%s", s.name, secret, all)
			}
		}
		if r.code != 0 {
			t.Logf("%s: %s", s.name, strings.TrimSpace(r.errOut))
		}
	}
	if err := stopServe(); err != nil {
		t.Fatal(err)
	}
	for _, secret := range secrets {
		if strings.Contains(served.String(), secret) {
			t.Errorf("serve printed the secret %q:\n%s", secret, served.String())
		}
	}
}
