package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nats-server/v2/server"
)

// tlsServer starts a NATS server with JetStream that only speaks TLS, with
// a certificate from a throwaway CA, and returns its URL and the CA file.
func tlsServer(t *testing.T) (url, caFile string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dcmove test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: filepath.Join(dir, "js"), NoSigs: true, NoLog: true,
		TLS: true, TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("TLS server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return "tls://" + s.Addr().String(), caFile
}

func TestServerWithTLS(t *testing.T) {
	url, ca := tlsServer(t)
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	// Without the CA the server's certificate is not trusted.
	r := dcmove(t.Context(), clock, "cutover", "start", weekend, "--server", url, "--as", "Claire Martin", "--accept", "L013", "--reason", "test")
	if r.err == nil || exitCode(r.err) != exitUnavailable {
		t.Fatalf("an untrusted TLS server: err %v", r.err)
	}
	out := mustRun(t, clock, "cutover", "start", weekend, "--server", url, "--tlsca", ca, "--as", "Claire Martin", "--accept", "L013", "--reason", "test")
	wantContains(t, "cutover start over TLS", out, "started run pa2-to-pa3")

	// The same through a nats CLI context.
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	os.MkdirAll(filepath.Join(cfg, "nats", "context"), 0o700)
	os.WriteFile(filepath.Join(cfg, "nats", "context", "move.json"), []byte(`{"url":"`+url+`","ca":"`+ca+`"}`), 0o600)
	wantContains(t, "status through a nats context", mustRun(t, clock, "status", "--context", "move"), "run pa2-to-pa3")
}

func TestNATSFlagErrors(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, args := range [][]string{
		{"status", "--server", "nats://127.0.0.1:4222", "--tlscert", "c.pem"},
		{"status", "--creds", "user.creds"},
		{"status", "--context", "nope"},
	} {
		mustFail(t, nil, exitBadInput, args...)
	}
}
