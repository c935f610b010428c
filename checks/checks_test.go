package checks_test

import (
	"context"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/checks"
	"github.com/dcmove/dcmove/internal/dnstest"
)

// TestDNSFromTwoVantagePoints asks two resolvers for the moved name: one
// already sees the new address, the other still the old one. The check
// passes from the first and fails from the second, saying what it saw.
func TestDNSFromTwoVantagePoints(t *testing.T) {
	paris := dnstest.Resolver(t, "www.workit.fr", "203.0.113.10", 300)
	london := dnstest.Resolver(t, "www.workit.fr", "198.51.100.7", 3600)
	c := checks.Check{ID: "dns-www", Kind: checks.DNS, Target: "www.workit.fr", Type: "A", Answers: []string{"203.0.113.10"}, Retries: 1, Timeout: 2 * time.Second}
	var rn checks.Runner
	c.Resolver = paris
	if r := rn.Run(context.Background(), c); !r.OK || !strings.Contains(r.Seen, "203.0.113.10") {
		t.Errorf("from the resolver that sees the move: %+v", r)
	}
	c.Resolver = london
	r := rn.Run(context.Background(), c)
	if r.OK || !strings.Contains(r.Seen, "198.51.100.7") || r.Attempts != 2 {
		t.Errorf("from the resolver that still sees the old address: %+v; want a failure after 2 attempts, seeing 198.51.100.7", r)
	}
	// A TTL not lowered before the move fails a check that wants it low.
	c.Resolver, c.MaxTTL = london, time.Hour
	c.Answers = []string{"198.51.100.7"}
	if r := rn.Run(context.Background(), c); !r.OK {
		t.Errorf("TTL 1h against at most 1h: %+v", r)
	}
	c.MaxTTL = 5 * time.Minute
	if r := rn.Run(context.Background(), c); r.OK || !strings.Contains(r.Seen, "TTL 1h0m0s") {
		t.Errorf("TTL 1h against at most 5m: %+v", r)
	}
	// A name the resolver does not know.
	c.Target, c.MaxTTL = "ftp.workit.fr", 0
	if r := rn.Run(context.Background(), c); r.OK || r.Seen != "NXDOMAIN" {
		t.Errorf("unknown name: %+v", r)
	}
}

// A resolver that does not answer is an error, not a wrong answer.
func TestDNSResolverUnreachable(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close() // bound, never answers
	c := checks.Check{ID: "d", Kind: checks.DNS, Target: "www.workit.fr", Resolver: pc.LocalAddr().String(), Answers: []string{"203.0.113.10"}, Timeout: 300 * time.Millisecond, Retries: 1}
	r := checks.Runner{}.Run(context.Background(), c)
	if r.OK || !strings.Contains(r.Error, "did not answer") {
		t.Errorf("%+v", r)
	}
}

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	var rn checks.Runner
	if r := rn.Run(context.Background(), checks.Check{ID: "t", Kind: checks.TCP, Target: addr}); !r.OK {
		t.Errorf("open port: %+v", r)
	}
	ln.Close()
	if r := rn.Run(context.Background(), checks.Check{ID: "t", Kind: checks.TCP, Target: addr, Timeout: time.Second, Retries: 1}); r.OK || !strings.Contains(r.Error, "refused") {
		t.Errorf("closed port: %+v", r)
	}
}

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			w.Write([]byte(`{"status":"ok","db":"up"}`))
		case "/old":
			http.Redirect(w, r, "/health", http.StatusMovedPermanently)
		default:
			http.Error(w, "no", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	var rn checks.Runner
	tests := []struct {
		c    checks.Check
		ok   bool
		seen string
	}{
		{checks.Check{Target: srv.URL + "/health", Body: `"db":"up"`}, true, `status 200, "\"db\":\"up\"" in the body`},
		{checks.Check{Target: srv.URL + "/health", Body: "maintenance"}, false, `no "maintenance"`},
		{checks.Check{Target: srv.URL + "/down"}, false, "status 503"},
		{checks.Check{Target: srv.URL + "/old"}, false, "status 301 to /health"},
		{checks.Check{Target: srv.URL + "/old", Status: 301}, true, "status 301"},
	}
	for _, tt := range tests {
		tt.c.ID, tt.c.Kind = "h", checks.HTTP
		r := rn.Run(context.Background(), tt.c)
		if r.OK != tt.ok || !strings.Contains(r.Seen, tt.seen) {
			t.Errorf("%s (body %q, status %d): %+v; want ok %v, seeing %q", tt.c.Target, tt.c.Body, tt.c.Status, r, tt.ok, tt.seen)
		}
	}
}

// TestTLS checks the certificate a test HTTPS server presents (self-signed,
// trusted through the runner's roots), then the same server seen from a
// clock where it expires in days, and from one where it has expired.
func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	addr := srv.Listener.Addr().String()
	notAfter := srv.Certificate().NotAfter
	c := checks.Check{ID: "tls", Kind: checks.TLS, Target: addr, ServerName: "example.com", MinDays: 30}
	if r := (checks.Runner{RootCAs: roots}).Run(context.Background(), c); !r.OK || !strings.Contains(r.Seen, "a valid certificate for example.com") {
		t.Errorf("valid certificate: %+v", r)
	}
	soon := checks.Runner{RootCAs: roots, Now: func() time.Time { return notAfter.Add(-10 * 24 * time.Hour) }}
	if r := soon.Run(context.Background(), c); r.OK || !strings.Contains(r.Seen, "(10 days left)") {
		t.Errorf("certificate expiring in 10 days, 30 wanted: %+v", r)
	}
	late := checks.Runner{RootCAs: roots, Now: func() time.Time { return notAfter.Add(time.Hour) }}
	if r := late.Run(context.Background(), c); r.OK || !strings.Contains(r.Seen, "does not verify") {
		t.Errorf("expired certificate: %+v", r)
	}
	// Without the test's roots, the self-signed chain does not verify.
	if r := (checks.Runner{}).Run(context.Background(), c); r.OK || !strings.Contains(r.Seen, "does not verify") {
		t.Errorf("untrusted certificate: %+v", r)
	}
	// HTTPS through the same roots.
	h := checks.Check{ID: "https", Kind: checks.HTTP, Target: srv.URL, Body: "ok"}
	if r := (checks.Runner{RootCAs: roots}).Run(context.Background(), h); !r.OK {
		t.Errorf("https: %+v", r)
	}
}

func TestValidate(t *testing.T) {
	bad := []checks.Check{
		{ID: "a", Kind: "ping", Target: "x"},
		{ID: "b", Kind: checks.DNS, Target: "www.example.com", Answers: []string{"1.2.3.4"}},
		{ID: "c", Kind: checks.DNS, Target: "www.example.com", Resolver: "9.9.9.9"},
		{ID: "d", Kind: checks.DNS, Target: "www.example.com", Resolver: "9.9.9.9", Answers: []string{"x"}, Type: "BOGUS"},
		{ID: "e", Kind: checks.TCP, Target: "www.example.com"},
		{ID: "f", Kind: checks.HTTP, Target: "www.example.com/health"},
		{ID: "g", Kind: checks.TLS, Target: "https://www.example.com"},
		{ID: "h", Kind: checks.TCP, Target: "a:1", Retries: -1},
	}
	for _, c := range bad {
		if err := checks.Validate(c); err == nil || !strings.Contains(err.Error(), "check "+c.ID) {
			t.Errorf("%+v: %v", c, err)
		}
		if r := (checks.Runner{}).Run(context.Background(), c); r.OK || r.Error == "" {
			t.Errorf("%+v ran: %+v", c, r)
		}
	}
}

// BenchmarkTCPCheck runs a TCP check against a loopback listener, next to
// a raw net.Dial of the same address: what a check adds to the work.
func BenchmarkTCPCheck(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	addr := ln.Addr().String()
	b.Run("check", func(b *testing.B) {
		c := checks.Check{ID: "t", Kind: checks.TCP, Target: addr}
		for b.Loop() {
			if r := (checks.Runner{}).Run(context.Background(), c); !r.OK {
				b.Fatal(r)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
	})
	b.Run("raw-dial", func(b *testing.B) {
		for b.Loop() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
	})
}

// BenchmarkHTTPCheck is the same for an HTTP check (status and body), next
// to a raw GET on a fresh connection each time, as a check makes.
func BenchmarkHTTPCheck(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	b.Run("check", func(b *testing.B) {
		c := checks.Check{ID: "h", Kind: checks.HTTP, Target: srv.URL, Body: "ok"}
		for b.Loop() {
			if r := (checks.Runner{}).Run(context.Background(), c); !r.OK {
				b.Fatal(r)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
	})
	b.Run("raw-get", func(b *testing.B) {
		for b.Loop() {
			// A fresh connection each time, as a check makes.
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := client.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
	})
}
