// Package checks runs the validation checks of a move against the real
// world: a DNS answer from a chosen resolver, a TCP connection, an HTTP(S)
// answer and the TLS certificate a service presents. Each check has a
// timeout and retries, and its [Result] says what was expected and what
// was seen, so that a check that passed is a fact, not a tick.
//
// The package runs checks; it records nothing. Which checks a plan
// declares, from which vantage points they must pass, and recording their
// results as events are the callers' (see the README for what is built).
package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Kind is what a check tests.
type Kind string

const (
	// DNS asks a resolver for a name's records of a type and expects some
	// answers (all of them, in any order).
	DNS Kind = "dns"
	// TCP connects to host:port.
	TCP Kind = "tcp"
	// HTTP fetches a URL (http or https) and expects a status and,
	// optionally, a substring of the body.
	HTTP Kind = "http"
	// TLS connects to host:port, verifies the certificate chain for the
	// server name, and expects it to be valid for some more days.
	TLS Kind = "tls"
)

// Check is one validation check.
type Check struct {
	ID     string
	Kind   Kind
	Target string // dns: a name; tcp and tls: host:port; http: a URL
	// DNS: the record type (A, AAAA, CNAME, MX, NS, TXT; A by default),
	// the resolver (host:port; port 53 if left out) and the answers
	// expected. MaxTTL, if set, is the longest TTL accepted (a TTL
	// lowered before the move).
	Type     string
	Resolver string
	Answers  []string
	MaxTTL   time.Duration
	// HTTP: the status expected (200 by default) and a substring of the
	// body, if any.
	Status int
	Body   string
	// TLS: the name the certificate must be valid for (the target's host
	// by default) and the fewest days it must still be valid (14 by
	// default).
	ServerName string
	MinDays    int
	// Timeout is for each attempt (5 s by default); Retries are the
	// attempts after the first, a second apart.
	Timeout time.Duration
	Retries int
}

// Result is what a check found.
type Result struct {
	OK bool
	// Latency is the last attempt's.
	Latency  time.Duration
	Attempts int
	// Expected and Seen say, in words, what the check wanted and what it
	// got; Error why it could not tell (a timeout, a refused connection).
	Expected, Seen, Error string
}

// Runner runs checks. The zero Runner uses the system's roots for TLS.
type Runner struct {
	// RootCAs, if set, replaces the system's roots for HTTPS and TLS.
	RootCAs *x509.CertPool
	// Now is the clock certificates are checked against (time.Now if nil).
	Now func() time.Time
}

// Validate checks that c is complete, and says what to write otherwise.
func Validate(c Check) error {
	switch c.Kind {
	case DNS:
		if c.Target == "" || strings.ContainsAny(c.Target, " /:") {
			return fmt.Errorf("check %s: a dns check needs a name to ask for, e.g. target: www.example.com", c.ID)
		}
		if _, ok := dns.StringToType[strings.ToUpper(orDefault(c.Type, "A"))]; !ok {
			return fmt.Errorf("check %s: record type %q is not one dns knows (A, AAAA, CNAME, MX, NS, TXT...)", c.ID, c.Type)
		}
		if c.Resolver == "" {
			return fmt.Errorf("check %s: a dns check needs the resolver to ask, e.g. resolver: 9.9.9.9 (the answer depends on it)", c.ID)
		}
		if len(c.Answers) == 0 {
			return fmt.Errorf("check %s: a dns check needs the answers expected, e.g. answers: [203.0.113.10]", c.ID)
		}
	case TCP, TLS:
		host, port, err := net.SplitHostPort(c.Target)
		if n, perr := strconv.Atoi(port); err == nil && (perr != nil || n < 1 || n > 65535 || host == "" || strings.Contains(host, "/")) {
			err = errors.New("not a host and a port from 1 to 65535")
		}
		if err != nil {
			return fmt.Errorf("check %s: a %s check needs host:port, e.g. target: www.example.com:443 (%v)", c.ID, c.Kind, err)
		}
	case HTTP:
		if !strings.HasPrefix(c.Target, "http://") && !strings.HasPrefix(c.Target, "https://") {
			return fmt.Errorf("check %s: an http check needs a URL, e.g. target: https://www.example.com/health", c.ID)
		}
	default:
		return fmt.Errorf("check %s: kind %q: write one of dns, tcp, http, tls", c.ID, c.Kind)
	}
	if c.Timeout < 0 || c.Retries < 0 || c.MinDays < 0 {
		return fmt.Errorf("check %s: timeout, retries and min_days cannot be negative", c.ID)
	}
	return nil
}

// Run runs c, with its retries, until it passes or ctx ends.
func (rn Runner) Run(ctx context.Context, c Check) Result {
	if err := Validate(c); err != nil {
		return Result{Error: err.Error()}
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	retries := c.Retries
	var res Result
	for attempt := 1; attempt <= retries+1; attempt++ {
		actx, cancel := context.WithTimeout(ctx, timeout)
		start := time.Now()
		res = rn.once(actx, c)
		res.Latency, res.Attempts = time.Since(start), attempt
		cancel()
		if res.OK || attempt > retries {
			break
		}
		select {
		case <-ctx.Done():
			return res
		case <-time.After(time.Second):
		}
	}
	return res
}

func (rn Runner) once(ctx context.Context, c Check) Result {
	switch c.Kind {
	case DNS:
		return rn.dns(ctx, c)
	case TCP:
		return rn.tcp(ctx, c)
	case HTTP:
		return rn.http(ctx, c)
	default:
		return rn.tls(ctx, c)
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (rn Runner) dns(ctx context.Context, c Check) Result {
	qtype := strings.ToUpper(orDefault(c.Type, "A"))
	want := slices.Clone(c.Answers)
	for i := range want {
		want[i] = normalAnswer(want[i])
	}
	slices.Sort(want)
	r := Result{Expected: fmt.Sprintf("%s %s from %s: %s", c.Target, qtype, c.Resolver, strings.Join(want, ", "))}
	if c.MaxTTL > 0 {
		r.Expected += fmt.Sprintf(" (TTL at most %s)", c.MaxTTL)
	}
	resolver := c.Resolver
	if _, _, err := net.SplitHostPort(resolver); err != nil {
		resolver = net.JoinHostPort(resolver, "53")
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(c.Target), dns.StringToType[qtype])
	m.RecursionDesired = true
	client := &dns.Client{}
	in, _, err := client.ExchangeContext(ctx, m, resolver)
	if err == nil && in.Truncated {
		client.Net = "tcp"
		in, _, err = client.ExchangeContext(ctx, m, resolver)
	}
	if err != nil {
		r.Error = fmt.Sprintf("resolver %s did not answer: %v", resolver, err)
		return r
	}
	if in.Rcode != dns.RcodeSuccess {
		r.Seen = dns.RcodeToString[in.Rcode]
		return r
	}
	var got []string
	ttl := time.Duration(0)
	for _, rr := range in.Answer {
		if rr.Header().Rrtype != dns.StringToType[qtype] {
			continue
		}
		got = append(got, normalAnswer(answerText(rr)))
		ttl = max(ttl, time.Duration(rr.Header().Ttl)*time.Second)
	}
	slices.Sort(got)
	got = slices.Compact(got)
	r.Seen = strings.Join(got, ", ")
	if len(got) == 0 {
		r.Seen = "no " + qtype + " record"
	} else {
		r.Seen += fmt.Sprintf(" (TTL %s)", ttl)
	}
	r.OK = len(got) > 0
	for _, w := range want {
		if !slices.Contains(got, w) {
			r.OK = false
		}
	}
	if c.MaxTTL > 0 && ttl > c.MaxTTL {
		r.OK = false
	}
	return r
}

// answerText is a record's data as a zone file writes it.
func answerText(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		return v.A.String()
	case *dns.AAAA:
		return v.AAAA.String()
	case *dns.CNAME:
		return v.Target
	case *dns.NS:
		return v.Ns
	case *dns.MX:
		return strconv.Itoa(int(v.Preference)) + " " + v.Mx
	case *dns.TXT:
		return strings.Join(v.Txt, "")
	}
	s := rr.String()
	return strings.TrimPrefix(s, rr.Header().String())
}

// normalAnswer compares names without the final dot and case, and
// addresses in their canonical form.
func normalAnswer(s string) string {
	s = strings.TrimSpace(s)
	if ip := net.ParseIP(s); ip != nil {
		return ip.String()
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

func (rn Runner) tcp(ctx context.Context, c Check) Result {
	r := Result{Expected: "a connection to " + c.Target}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Target)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Seen = "connected to " + conn.RemoteAddr().String()
	conn.Close()
	r.OK = true
	return r
}

func (rn Runner) http(ctx context.Context, c Check) Result {
	status := c.Status
	if status == 0 {
		status = http.StatusOK
	}
	r := Result{Expected: fmt.Sprintf("status %d", status)}
	if c.Body != "" {
		r.Expected += fmt.Sprintf(" and %q in the body", c.Body)
	}
	// A fresh connection for each check, closed after it: an agent runs
	// checks for a whole weekend.
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: rn.RootCAs}, Proxy: http.ProxyFromEnvironment, DisableKeepAlives: true},
		// A redirect is an answer of its own: the check says which.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Target, nil)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	req.Header.Set("User-Agent", "dcmove-check")
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer resp.Body.Close()
	// Bounded: a check reads the start of the body only.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		r.Error = fmt.Sprintf("status %d, then the body could not be read: %v", resp.StatusCode, err)
		return r
	}
	r.Seen = fmt.Sprintf("status %d", resp.StatusCode)
	if loc := resp.Header.Get("Location"); loc != "" {
		r.Seen += " to " + loc
	}
	r.OK = resp.StatusCode == status
	if c.Body != "" {
		if strings.Contains(string(body), c.Body) {
			r.Seen += fmt.Sprintf(", %q in the body", c.Body)
		} else {
			r.Seen += fmt.Sprintf(", no %q in the first %d bytes of the body", c.Body, len(body))
			r.OK = false
		}
	}
	return r
}

func (rn Runner) tls(ctx context.Context, c Check) Result {
	host, _, _ := net.SplitHostPort(c.Target)
	name := orDefault(c.ServerName, host)
	minDays := c.MinDays
	if minDays == 0 {
		minDays = 14
	}
	now := time.Now
	if rn.Now != nil {
		now = rn.Now
	}
	r := Result{Expected: fmt.Sprintf("a certificate valid for %s for at least %d more days", name, minDays)}
	d := tls.Dialer{Config: &tls.Config{ServerName: name, RootCAs: rn.RootCAs, Time: now}}
	conn, err := d.DialContext(ctx, "tcp", c.Target)
	if err != nil {
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) && len(cert.UnverifiedCertificates) > 0 {
			leaf := cert.UnverifiedCertificates[0]
			r.Seen = fmt.Sprintf("a certificate for %s, until %s, that does not verify: %v", strings.Join(leaf.DNSNames, ", "), leaf.NotAfter.UTC().Format("2006-01-02"), cert.Err)
			return r
		}
		r.Error = err.Error()
		return r
	}
	defer conn.Close()
	leaf := conn.(*tls.Conn).ConnectionState().PeerCertificates[0]
	days := int(leaf.NotAfter.Sub(now()).Hours() / 24)
	r.Seen = fmt.Sprintf("a valid certificate for %s until %s (%d days left)", name, leaf.NotAfter.UTC().Format("2006-01-02"), days)
	r.OK = days >= minDays
	return r
}
