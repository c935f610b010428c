package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// The nats CLI's settings of whoever runs the tests (a selected context,
// NATS_URL...) must not point the tests at their server: every test sees
// no context unless it writes one (TestMain does the same for dcmove's own
// variables). A dcmove process of a test keeps what its test gave it.
func init() {
	if os.Getenv(asDcmove) != "" {
		return
	}
	for _, v := range []string{"NATS_URL", "NATS_CONTEXT", "NATS_USER", "NATS_PASSWORD", "NATS_TOKEN", "NATS_CREDS", "NATS_NKEY", "NATS_CERT", "NATS_KEY", "NATS_CA",
		"DCMOVE_NATS_CONTEXT", "DCMOVE_NATS_USER", "DCMOVE_NATS_PASSWORD", "DCMOVE_NATS_TOKEN", "DCMOVE_NATS_CREDS", "DCMOVE_NATS_NKEY", "DCMOVE_NATS_CA", "DCMOVE_NATS_CERT", "DCMOVE_NATS_KEY"} {
		os.Unsetenv(v)
	}
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(os.TempDir(), "dcmove-tests-have-no-nats-contexts"))
	weekendPlan, _ = filepath.Abs(weekend)
}

// weekendPlan is weekend from any working directory.
var weekendPlan string

// startNATS starts a standalone NATS server with JetStream on a random
// loopback port, configured by o, until the test ends.
func startNATS(t *testing.T, o *server.Options) *server.Server {
	t.Helper()
	o.Host, o.Port, o.JetStream, o.StoreDir, o.NoLog, o.NoSigs = "127.0.0.1", -1, true, t.TempDir(), true, true
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s
}

// natsConfig makes a nats CLI configuration directory (XDG_CONFIG_HOME)
// for the test, with the contexts given, and selects selected ("" for
// none).
func natsConfig(t *testing.T, selected string, contexts map[string]map[string]any) string {
	t.Helper()
	cfg := t.TempDir()
	dir := filepath.Join(cfg, "nats", "context")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, fields := range contexts {
		b, _ := json.Marshal(fields)
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if selected != "" {
		os.WriteFile(filepath.Join(cfg, "nats", "context.txt"), []byte(selected+"\n"), 0o600)
	}
	t.Setenv("XDG_CONFIG_HOME", cfg)
	return cfg
}

// startPlan starts the example weekend's run on the log args name, which
// must succeed.
func startPlan(t *testing.T, clock runbooks.Clock, args ...string) {
	t.Helper()
	out := mustRun(t, clock, append([]string{"cutover", "start", weekendPlan, "--as", "Claire Martin", "--accept", "L013", "--reason", "connection test"}, args...)...)
	wantContains(t, "cutover start", out, "started run pa2-to-pa3")
}

// failsWith runs args, which must fail with the exit status code and say
// each of wants on stderr, and never say any of secrets.
func failsWith(t *testing.T, clock runbooks.Clock, code int, args []string, secrets []string, wants ...string) string {
	t.Helper()
	errOut := mustFail(t, clock, code, args...)
	t.Logf("exit %d: %s", code, strings.TrimSpace(errOut))
	wantContains(t, strings.Join(args, " "), errOut, wants...)
	for _, s := range secrets {
		if strings.Contains(errOut, s) {
			t.Errorf("dcmove %s printed the secret %q:\n%s", strings.Join(args, " "), s, errOut)
		}
	}
	return errOut
}

func TestNATSConnUserPassword(t *testing.T) {
	const password, wrong = "s3cret-Ops-7f2a", "wr0ng-Ops-1b9c"
	s := startNATS(t, &server.Options{Username: "ops", Password: password})
	url := s.ClientURL()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	secrets := []string{password, wrong}

	failsWith(t, clock, exitUnavailable, []string{"status", "--server", url}, secrets,
		"the NATS server at "+url+" wants credentials, and none were given", "--creds FILE", "--user and --password")
	failsWith(t, clock, exitUnavailable, []string{"status", "--server", url, "--user", "ops", "--password", wrong}, secrets,
		"refused these credentials: user ops with the password of --password", "Authorization Violation")
	// A user alone is a token, as in the nats CLI, and the message says
	// so.
	failsWith(t, clock, exitUnavailable, []string{"status", "--server", url, "--user", "ops"}, secrets,
		"refused these credentials: the token of --user (a user without a password is a token, as in the nats CLI)")
	failsWith(t, clock, exitBadInput, []string{"status", "--server", url, "--password", password}, secrets, "a password (--password) without a user: give --user too")
	failsWith(t, clock, exitBadInput, []string{"status", "--server", url, "--user", "ops", "--password", password, "--token", "abcdef"}, secrets,
		"--user and --token: give one kind of credentials")

	startPlan(t, clock, "--server", url, "--user", "ops", "--password", password)
	// The password from dcmove's variable, then from the nats CLI's.
	t.Setenv("DCMOVE_NATS_PASSWORD", password)
	wantContains(t, "status, DCMOVE_NATS_PASSWORD", mustRun(t, clock, "status", "--server", url, "--user", "ops"), "run pa2-to-pa3")
	os.Unsetenv("DCMOVE_NATS_PASSWORD")
	t.Setenv("NATS_USER", "ops")
	t.Setenv("NATS_PASSWORD", password)
	wantContains(t, "status, NATS_USER and NATS_PASSWORD", mustRun(t, clock, "status", "--server", url), "run pa2-to-pa3")
	os.Unsetenv("NATS_USER")
	os.Unsetenv("NATS_PASSWORD")

	// A context with the user and password; the flag's password
	// replaces the context's.
	natsConfig(t, "", map[string]map[string]any{
		"ops":   {"url": url, "user": "ops", "password": password},
		"stale": {"url": url, "user": "ops", "password": wrong},
	})
	wantContains(t, "status --context", mustRun(t, clock, "status", "--context", "ops"), "run pa2-to-pa3")
	failsWith(t, clock, exitUnavailable, []string{"status", "--context", "stale"}, secrets,
		`refused these credentials: user ops with its password, from nats context "stale"`)
	wantContains(t, "status --context --password", mustRun(t, clock, "status", "--context", "stale", "--password", password), "run pa2-to-pa3")
	// A context given as a file, as the nats CLI takes it.
	file := filepath.Join(t.TempDir(), "ops.json")
	b, _ := json.Marshal(map[string]string{"url": url, "user": "ops", "password": password})
	os.WriteFile(file, b, 0o600)
	wantContains(t, "status --context FILE.json", mustRun(t, clock, "status", "--context", file), "run pa2-to-pa3")
	failsWith(t, clock, exitBadInput, []string{"status", "--context", "nope"}, secrets, `nats context "nope" (--context) does not exist`, "nats context ls")
	failsWith(t, clock, exitBadInput, []string{"status", "--context", "ops", "--no-context"}, secrets, "give one or the other")
}

func TestNATSConnNKey(t *testing.T) {
	dir := t.TempDir()
	key, pub := nkeyFile(t, dir, "ops")
	other, _ := nkeyFile(t, dir, "other")
	s := startNATS(t, &server.Options{Nkeys: []*server.NkeyUser{{Nkey: pub}}})
	url := s.ClientURL()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	seed, _ := os.ReadFile(key)
	secrets := []string{string(seed)}

	startPlan(t, clock, "--server", url, "--nkey", key)
	failsWith(t, clock, exitUnavailable, []string{"status", "--server", url, "--nkey", other}, secrets,
		"refused these credentials: the NKey seed file "+other+" (--nkey)")
	missing := filepath.Join(dir, "missing.nk")
	failsWith(t, clock, exitBadInput, []string{"status", "--server", url, "--nkey", missing}, secrets, "--nkey: no file "+missing)

	// An NKey context: today's nats CLI contexts, also with a path from
	// the home directory.
	contexts := map[string]map[string]any{
		"nk":      {"url": url, "nkey": key},
		"other":   {"url": url, "nkey": other},
		"missing": {"url": url, "nkey": missing},
	}
	home := ""
	if u, err := user.Current(); err == nil {
		if d, err := os.MkdirTemp(u.HomeDir, ".dcmove-nats-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			os.WriteFile(filepath.Join(d, "ops.nk"), seed, 0o600)
			home = "~/" + filepath.Base(d) + "/ops.nk"
			contexts["home"] = map[string]any{"url": url, "nkey": home}
		}
	}
	natsConfig(t, "", contexts)
	wantContains(t, "status, NKey context", mustRun(t, clock, "status", "--context", "nk"), "run pa2-to-pa3")
	if home != "" {
		wantContains(t, "status, NKey context with ~", mustRun(t, clock, "status", "--context", "home"), "run pa2-to-pa3")
	} else {
		t.Log("no home directory to write in: the ~ path is not tried")
	}
	failsWith(t, clock, exitUnavailable, []string{"status", "--context", "other"}, secrets,
		`refused these credentials: the NKey seed file `+other+`, from nats context "other"`)
	failsWith(t, clock, exitBadInput, []string{"status", "--context", "missing"}, secrets, `nats context "missing" (nkey): no file `+missing)
	// The flag's key replaces the context's.
	wantContains(t, "status, --nkey over the context's", mustRun(t, clock, "status", "--context", "other", "--nkey", key), "run pa2-to-pa3")
	// Through NATS_CONTEXT.
	t.Setenv("NATS_CONTEXT", "nk")
	r := dcmove(t.Context(), clock, "status")
	if r.err != nil {
		t.Fatalf("status with NATS_CONTEXT: %v\n%s", r.err, r.errOut)
	}
	wantContains(t, "note", r.errOut, `dcmove: note: using nats context "nk" (NATS_CONTEXT), server `+url)
}

// jwtServer starts a NATS server in operator mode (an operator, a system
// account and an account with JetStream, from a memory resolver) and
// returns it with the account's key, to sign users with.
func jwtServer(t *testing.T) (*server.Server, nkeys.KeyPair) {
	t.Helper()
	okp, _ := nkeys.CreateOperator()
	opub, _ := okp.PublicKey()
	oc := jwt.NewOperatorClaims(opub)
	ojwt, err := oc.Encode(okp)
	if err != nil {
		t.Fatal(err)
	}
	operator, err := jwt.DecodeOperatorClaims(ojwt)
	if err != nil {
		t.Fatal(err)
	}
	account := func(js bool) (nkeys.KeyPair, string, string) {
		akp, _ := nkeys.CreateAccount()
		apub, _ := akp.PublicKey()
		ac := jwt.NewAccountClaims(apub)
		if js {
			ac.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
		}
		ajwt, err := ac.Encode(okp)
		if err != nil {
			t.Fatal(err)
		}
		return akp, apub, ajwt
	}
	_, syspub, sysjwt := account(false)
	akp, apub, ajwt := account(true)
	resolver := &server.MemAccResolver{}
	resolver.Store(syspub, sysjwt)
	resolver.Store(apub, ajwt)
	s := startNATS(t, &server.Options{TrustedOperators: []*jwt.OperatorClaims{operator}, AccountResolver: resolver, SystemAccount: syspub})
	return s, akp
}

// credsFile writes a creds file of a new user signed by akp.
func credsFile(t *testing.T, dir, name string, akp nkeys.KeyPair) string {
	t.Helper()
	ukp, _ := nkeys.CreateUser()
	upub, _ := ukp.PublicKey()
	uc := jwt.NewUserClaims(upub)
	uc.Name = name
	ujwt, err := uc.Encode(akp)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := ukp.Seed()
	b, err := jwt.FormatUserConfig(ujwt, seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".creds")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNATSConnJWTCreds(t *testing.T) {
	s, akp := jwtServer(t)
	url := s.ClientURL()
	dir := t.TempDir()
	creds := credsFile(t, dir, "ops", akp)
	// A user of an account the server does not know.
	stranger, _ := nkeys.CreateAccount()
	foreign := credsFile(t, dir, "stranger", stranger)
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	b, _ := os.ReadFile(creds)
	seed, _ := nkeys.ParseDecoratedNKey(b)
	seedText, _ := seed.Seed()
	ujwt, _ := nkeys.ParseDecoratedJWT(b)
	secrets := []string{string(seedText), ujwt}

	failsWith(t, clock, exitUnavailable, []string{"status", "--server", url}, secrets, "wants credentials, and none were given")
	startPlan(t, clock, "--server", url, "--creds", creds)
	failsWith(t, clock, exitUnavailable, []string{"status", "--server", url, "--creds", foreign}, secrets,
		"refused these credentials: the creds file "+foreign+" (--creds)")
	missing := filepath.Join(dir, "missing.creds")
	failsWith(t, clock, exitBadInput, []string{"status", "--server", url, "--creds", missing}, secrets, "--creds: no file "+missing)
	failsWith(t, clock, exitBadInput, []string{"status", "--server", url, "--creds", weekend}, secrets, "--creds "+weekend+": not a NATS credentials file")

	natsConfig(t, "", map[string]map[string]any{
		"jwt":     {"url": url, "creds": creds},
		"missing": {"url": url, "creds": missing},
	})
	wantContains(t, "status, creds context", mustRun(t, clock, "status", "--context", "jwt"), "run pa2-to-pa3")
	failsWith(t, clock, exitBadInput, []string{"status", "--context", "missing"}, secrets, `nats context "missing" (creds): no file `+missing)
	// NATS_URL and NATS_CREDS, as the nats CLI reads them.
	t.Setenv("NATS_URL", url)
	t.Setenv("NATS_CREDS", creds)
	r := dcmove(t.Context(), clock, "status")
	if r.err != nil {
		t.Fatalf("status with NATS_URL and NATS_CREDS: %v\n%s", r.err, r.errOut)
	}
	wantContains(t, "note", r.errOut, "dcmove: note: using the NATS server "+url+" (NATS_URL); give --data-dir DIR")
	// An explicit data directory wins over NATS_URL.
	data := filepath.Join(t.TempDir(), "own")
	r = dcmove(t.Context(), clock, "status", "--data-dir", data)
	if r.err == nil || exitCode(r.err) != exitBadInput || !strings.Contains(r.errOut, "data directory "+data) || strings.Contains(r.errOut, "note") {
		t.Fatalf("status --data-dir with NATS_URL: %v\n%s", r.err, r.errOut)
	}
}

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // its certificate, PEM
}

func newTestCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(dir, name+".pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return &testCA{cert, key, file}
}

// issue makes a certificate for 127.0.0.1 (a server's) or a client's,
// and writes it and its key as PEM files.
func (ca *testCA) issue(t *testing.T, dir, name string, client bool) (tls.Certificate, string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certFile, keyFile
}

func TestNATSConnMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, rogue := newTestCA(t, dir, "dcmove-test-ca"), newTestCA(t, dir, "rogue-ca")
	serverCert, _, _ := ca.issue(t, dir, "server", false)
	_, cert, key := ca.issue(t, dir, "ops", true)
	_, rogueCert, rogueKey := rogue.issue(t, dir, "intruder", true)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	s := startNATS(t, &server.Options{TLS: true, TLSVerify: true, TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}})
	url := "tls://" + s.Addr().String()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	withTLS := func(args ...string) []string {
		return append([]string{"status", "--server", url}, args...)
	}

	failsWith(t, clock, exitUnavailable, withTLS(), nil,
		"the NATS server's certificate at "+url+" is not signed by a CA you trust", "give --tlsca FILE")
	failsWith(t, clock, exitUnavailable, withTLS("--tlsca", rogue.file), nil,
		"is not signed by the CA of "+rogue.file+" (--tlsca)")
	failsWith(t, clock, exitUnavailable, withTLS("--tlsca", ca.file), nil,
		"the NATS server at "+url+" wants a client certificate", "give --tlscert and --tlskey")
	failsWith(t, clock, exitUnavailable, withTLS("--tlsca", ca.file, "--tlscert", rogueCert, "--tlskey", rogueKey), nil,
		"the NATS server at "+url+" refused the client certificate "+rogueCert+" (--tlscert)")
	missing := filepath.Join(dir, "missing.pem")
	failsWith(t, clock, exitBadInput, withTLS("--tlsca", missing), nil, "--tlsca: no file "+missing)
	failsWith(t, clock, exitBadInput, withTLS("--tlsca", ca.file, "--tlscert", cert), nil, "without its key: give --tlskey too")
	failsWith(t, clock, exitBadInput, withTLS("--tlsca", weekend), nil, "the TLS files or credentials for "+url)

	startPlan(t, clock, "--server", url, "--tlsca", ca.file, "--tlscert", cert, "--tlskey", key)

	// The same from the selected context, with no flag at all, in a
	// working directory where dcmove used to make ./.dcmove instead.
	natsConfig(t, "mtls", map[string]map[string]any{"mtls": {"url": url, "ca": ca.file, "cert": cert, "key": key}})
	t.Chdir(t.TempDir())
	r := dcmove(t.Context(), clock, "status")
	if r.err != nil {
		t.Fatalf("status with the selected context: %v\n%s", r.err, r.errOut)
	}
	wantContains(t, "status", r.out, "run pa2-to-pa3")
	if n := strings.Count(r.errOut, "dcmove: note:"); n != 1 {
		t.Errorf("%d notes, want 1:\n%s", n, r.errOut)
	}
	wantContains(t, "note", r.errOut, `dcmove: note: using nats context "mtls" (selected with nats context select; --no-context to leave it out), server `+url)
	if _, err := os.Stat(".dcmove"); !os.IsNotExist(err) {
		t.Fatalf("dcmove made ./.dcmove with a context selected (%v)", err)
	}
}

// TestNATSConnSelectedContext: a selected context is the server of a
// command that names none, and says so once; --data-dir and --no-context
// keep the embedded store; a selection naming no context is bad input;
// a server that is not running is out of reach, and the message says
// where it was looked for.
func TestNATSConnSelectedContext(t *testing.T) {
	const password = "s3cret-Sel-3c7d"
	s := startNATS(t, &server.Options{Username: "ops", Password: password})
	url := s.ClientURL()
	down := freeLoopbackURL(t)
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	cfg := natsConfig(t, "team", map[string]map[string]any{
		"team": {"url": url, "user": "ops", "password": password},
		"down": {"url": down},
	})
	work := t.TempDir()
	t.Chdir(work)

	startPlan(t, clock)
	r := dcmove(t.Context(), clock, "status")
	if r.err != nil {
		t.Fatalf("status with the selected context: %v\n%s", r.err, r.errOut)
	}
	wantContains(t, "status", r.out, "run pa2-to-pa3")
	wantContains(t, "note", r.errOut, `using nats context "team" (selected with nats context select`)
	if strings.Contains(r.out+r.errOut, password) {
		t.Fatalf("the password is in the output:\n%s%s", r.out, r.errOut)
	}
	if _, err := os.Stat(".dcmove"); !os.IsNotExist(err) {
		t.Fatalf("dcmove made ./.dcmove with a context selected (%v)", err)
	}
	// The selected context's credentials go with a --server given, as
	// in the nats CLI; the note says whose.
	r = dcmove(t.Context(), clock, "status", "--server", url)
	if r.err != nil {
		t.Fatalf("status --server with the selected context: %v\n%s", r.err, r.errOut)
	}
	wantContains(t, "note", r.errOut, `dcmove: note: using the NATS server `+url+` with nats context "team" (selected`)

	// --data-dir and --no-context keep to the embedded store.
	own := filepath.Join(work, "own")
	errOut := mustFail(t, clock, exitBadInput, "status", "--data-dir", own)
	wantContains(t, "--data-dir", errOut, "data directory "+own)
	mustFail(t, clock, exitBadInput, "status", "--no-context")
	if _, err := os.Stat(".dcmove"); err != nil {
		t.Fatalf("--no-context did not use ./.dcmove: %v", err)
	}

	// No server at the context's URL: out of reach, and where it was.
	t.Setenv("NATS_CONTEXT", "down")
	failsWith(t, clock, exitUnavailable, []string{"status"}, nil, "no NATS server answers at "+down, "is the server running at "+down+"?", `check the url of nats context "down"`)
	os.Unsetenv("NATS_CONTEXT")
	failsWith(t, clock, exitUnavailable, []string{"status", "--server", down}, nil, "is the server running at "+down+"? (check --server)")

	// A selection naming a context that is not there.
	os.WriteFile(filepath.Join(cfg, "nats", "context.txt"), []byte("gone\n"), 0o600)
	failsWith(t, clock, exitBadInput, []string{"status"}, nil, `the selected nats context "gone" does not exist`, "--data-dir DIR")
}

// TestNATSConnTLSFirst: --tlsfirst (or tls_first in a context) does the
// TLS handshake first, for a server configured with handshake_first.
func TestNATSConnTLSFirst(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "dcmove-test-ca")
	serverCert, _, _ := ca.issue(t, dir, "server", false)
	s := startNATS(t, &server.Options{TLS: true, TLSHandshakeFirst: true,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12}})
	url := "tls://" + s.Addr().String()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))

	failsWith(t, clock, exitUnavailable, []string{"status", "--server", url, "--tlsca", ca.file}, nil, "closed the connection before its greeting", "give --tlsfirst")
	startPlan(t, clock, "--server", url, "--tlsca", ca.file, "--tlsfirst")
	natsConfig(t, "", map[string]map[string]any{"first": {"url": url, "ca": ca.file, "tls_first": true}})
	wantContains(t, "status, tls_first context", mustRun(t, clock, "status", "--context", "first"), "run pa2-to-pa3")
}
