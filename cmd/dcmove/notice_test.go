package main

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/dcmove/dcmove/runbooks"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server on loopback: STARTTLS with a self-signed
// certificate, AUTH PLAIN with one user, and one address it refuses.
type mailbox struct {
	addr, caFile string
	mu           sync.Mutex
	messages     []mailMessage
	refuse       string
	user, pass   string
}

type mailMessage struct {
	from string
	to   []string
	data string
}

func newMailbox(t *testing.T, refuse string) *mailbox {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil) // only for its self-signed certificate for 127.0.0.1
	ts.StartTLS()
	cert := ts.TLS.Certificates[0]
	ts.Close()
	mb := &mailbox{refuse: refuse, user: "notices", pass: "smtp-s3cret-passw0rd"}
	mb.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(mb.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }))
	s.Domain = "127.0.0.1"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return mb
}

func (mb *mailbox) all() []mailMessage {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]mailMessage(nil), mb.messages...)
}

type mailSession struct {
	mb     *mailbox
	authed bool
	msg    mailMessage
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.mb.user || pass != s.mb.pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.msg.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.EqualFold(to, s.mb.refuse) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	}
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.data = string(b)
	s.mb.mu.Lock()
	s.mb.messages = append(s.mb.messages, s.msg)
	s.mb.mu.Unlock()
	s.msg = mailMessage{}
	return nil
}
func (s *mailSession) Reset()        { s.msg = mailMessage{} }
func (s *mailSession) Logout() error { return nil }

// linkIn finds the acknowledgement link in a message (quoted-printable
// may fold it: soft line breaks are undone first).
func linkIn(t *testing.T, data string) string {
	t.Helper()
	data = strings.ReplaceAll(strings.ReplaceAll(data, "=\r\n", ""), "=3D", "=")
	m := regexp.MustCompile(`http://127\.0\.0\.1:\d+/ack/[A-Za-z0-9_-]{32}`).FindString(data)
	if m == "" {
		t.Fatalf("no acknowledgement link in:\n%s", data)
	}
	return m
}

// TestNoticesByMail: the reference plan's customers are sent the notice
// through a real SMTP server (STARTTLS, AUTH), one address is refused
// (bounced); four follow their links with a real HTTP client (GET shows a
// button, POST records); the one left is reminded, and the bounced one is
// acknowledged by phone; the ack step is then done by the facts. The
// password and the tokens never reach the log or the output.
func TestNoticesByMail(t *testing.T) {
	mb := newMailbox(t, "ops@bricodeal.example")
	dir, base, clock := warRoom(t)
	password := filepath.Join(t.TempDir(), "smtp-password")
	os.WriteFile(password, []byte(mb.pass+"\n"), 0o600)
	claire := []string{"--data-dir", dir, "--as", "Claire Martin"}
	mailFlags := []string{"--smtp", mb.addr, "--smtp-ca", mb.caFile, "--smtp-user", mb.user, "--smtp-password-file", password,
		"--from", "Workit operations <ops@workit.fr>", "--ack-url", strings.TrimSuffix(base, "/")}

	draft := mustRun(t, clock, "notice", "draft", "customers", "--data-dir", dir)
	wantContains(t, "draft", draft, "Subject: Planned maintenance: Workit weekend move, Equinix PA2 to PA3, Sat 5 Dec 07:00 to Sun 6 Dec 20:00 (Europe/Paris)",
		"Hello Jeanne Petit,", "PostgreSQL primary: unavailable from Sat 5 Dec", "our restoration objective for it is 26h", "Stay available throughout: Authoritative DNS for workit.fr (secondary at the registrar), Public API, Customer dashboard.",
		"Your single point of contact during the move: Claire Martin, migration lead: +33 1 84 88 00 00, move@workit.fr", "Please confirm you have read this notice, by")

	mustRun(t, clock, append([]string{"step", "start", "notify-customers"}, claire...)...)
	out := mustRun(t, clock, append(append([]string{"notice", "send", "customers"}, claire...), mailFlags...)...)
	wantContains(t, "send", out, "notice to customers: 5 sent, 1 bounced, 0 not sent", "bounced: ops@bricodeal.example: ", "550")
	if st := fwRun(t, dir, "pa2-to-pa3-rehearsal").Find("notify-customers"); st.State() != runbooks.Done {
		t.Fatalf("notify-customers is %s once the notice is sent, want done", st.State())
	}
	mustRun(t, clock, append([]string{"step", "start", "ack-customers"}, claire...)...)
	msgs := mb.all()
	if len(msgs) != 5 {
		t.Fatalf("the mail server got %d messages, want 5 (one per recipient, one refused)", len(msgs))
	}
	links := map[string]string{}
	for _, msg := range msgs {
		if len(msg.to) != 1 {
			t.Fatalf("a message to %v: one recipient per message", msg.to)
		}
		links[msg.to[0]] = linkIn(t, msg.data)
	}
	if len(links) != 5 {
		t.Fatalf("links: %v", links)
	}
	wantContains(t, "a tick", mustFail(t, clock, exitRefused, append([]string{"step", "done", "ack-customers"}, claire...)...), "customers has not acknowledged the notice")

	// Four follow their link: a GET shows a button and records nothing;
	// the POST records.
	for _, to := range []string{"it@prixmalin.example", "tech@vinsdirects.example", "admin@sportiva.example", "dsi@maisonplus.example"} {
		resp, err := http.Get(links[to])
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "I have read the notice") {
			t.Fatalf("GET %s: %s\n%s", to, resp.Status, page)
		}
		resp, err = http.PostForm(links[to], url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "your acknowledgement is recorded") {
			t.Fatalf("POST %s: %s\n%s", to, resp.Status, page)
		}
	}
	resp, err := http.Get(strings.TrimSuffix(base, "/") + "/ack/" + strings.Repeat("x", 32))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a made-up link: %s, want 404", resp.Status)
	}

	status := mustRun(t, clock, "notice", "status", "customers", "--data-dir", dir)
	wantContains(t, "status", status, "customers: 5 sent, 1 bounced, 4 acknowledged; 2 not acknowledged, due",
		"support@autoparts24.example (not acknowledged)", "ops@bricodeal.example (bounced: ")

	out = mustRun(t, clock, append(append([]string{"notice", "remind", "customers"}, claire...), mailFlags...)...)
	wantContains(t, "remind", out, "reminder to customers: 1 sent, 0 bounced")
	msgs = mb.all()
	if len(msgs) != 6 || msgs[5].to[0] != "support@autoparts24.example" || !strings.Contains(msgs[5].data, "Reminder: Planned maintenance") {
		t.Fatalf("the reminder: %d messages, last to %v", len(msgs), msgs[len(msgs)-1].to)
	}
	mustRun(t, clock, append([]string{"notice", "ack", "customers", "--recipient", "ops@bricodeal.example", "--via", "phone", "--note", "mailbox moved; new address to come"}, claire...)...)
	resp, err = http.PostForm(linkIn(t, msgs[5].data), url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if st := fwRun(t, dir, "pa2-to-pa3-rehearsal").Find("ack-customers"); st.State() != runbooks.Done {
		t.Fatalf("ack-customers is %s once everyone acknowledged, want done", st.State())
	}
	wantContains(t, "status after", mustRun(t, clock, "notice", "status", "customers", "--data-dir", dir), "customers: 5 sent, 1 bounced, 6 acknowledged; every recipient acknowledged")

	// The lead waives; others cannot.
	wantContains(t, "waive by a member", mustFail(t, clock, exitRefused, "notice", "waive", "equinix", "--reason", "portal", "--data-dir", dir, "--as", "Karim Haddad"), "only the lead")
	mustRun(t, clock, append([]string{"notice", "waive", "equinix", "--reason", "Equinix confirms through its portal only"}, claire...)...)

	// No secret in the log: not the password, not a token.
	trail := mustRun(t, clock, "audit", "--data-dir", dir, "--output", "jsonl")
	for _, secret := range []string{mb.pass, strings.TrimPrefix(links["it@prixmalin.example"], strings.TrimSuffix(base, "/")+"/ack/")} {
		if strings.Contains(trail, secret) {
			t.Fatalf("the log holds a secret %q", secret)
		}
	}
	wantContains(t, "the log", trail, `"token_sha256":"`, "dcmove.notice.acknowledged", `"via":"link"`)
}

// TestNoticeSendFailsCleanly: a mail server that is not there, a wrong
// password, a plain connection off loopback: clear errors, nothing
// recorded.
func TestNoticeSendFailsCleanly(t *testing.T) {
	mb := newMailbox(t, "")
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", reference, "--rehearsal", "--data-dir", dir, "--as", "Claire Martin", "--accept", "L003", "--reason", "desk briefed")
	before := fwRun(t, dir, "pa2-to-pa3-rehearsal").LastSeq
	wrong := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(wrong, []byte("not-the-password\n"), 0o600)
	send := func(extra ...string) []string {
		return append([]string{"notice", "send", "customers", "--data-dir", dir, "--as", "Claire Martin", "--from", "ops@workit.fr", "--ack-url", "https://move.workit.fr"}, extra...)
	}
	wantContains(t, "no server", mustFail(t, clock, exitUnavailable, send("--smtp", freeAddr(t), "--timeout", "2s")...), "the mail server", "nothing was sent or recorded")
	out := mustFail(t, clock, exitUnavailable, send("--smtp", mb.addr, "--smtp-ca", mb.caFile, "--smtp-user", mb.user, "--smtp-password-file", wrong)...)
	wantContains(t, "wrong password", out, "nothing was sent or recorded")
	if strings.Contains(out, "not-the-password") {
		t.Fatalf("the password is in the output: %s", out)
	}
	wantContains(t, "plain off loopback", mustFail(t, clock, exitBadInput, send("--smtp", "smtp.workit.fr:25", "--tls", "none")...), "only to a relay on this machine")
	wantContains(t, "unknown stakeholder", mustFail(t, clock, exitBadInput, "notice", "send", "custmers", "--data-dir", dir, "--as", "Claire Martin"), "did you mean \"customers\"")
	if after := fwRun(t, dir, "pa2-to-pa3-rehearsal").LastSeq; after != before {
		t.Fatalf("failed sends recorded %d events", after-before)
	}
}
