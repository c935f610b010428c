package redact

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"nats://ops:s3cret@127.0.0.1:14223", "nats://ops:***@127.0.0.1:14223"},
		{"nats://t0ken@host:4222", "nats://***@host:4222"},
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://a:b1@h1:4222,nats://c:d2@h2:4222", "nats://a:***@h1:4222,nats://c:***@h2:4222"},
		{"tls://ops:p%40ss@host", "tls://ops:***@host"},
		{"nats://ops:s3c%ret@host", "nats://ops:***@host"},
		{"", ""},
	} {
		if got := URL(c.in); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestString(t *testing.T) {
	const seed = "SUAGMJH5XLGZKQQWAWKRZJIGMOU4HPFUYLXJMXOO5NLFEO2OOQJ5LPRDPM"
	const jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJBQkNERUZHSElKIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
	in := fmt.Sprintf(`connect to nats://ops:s3cret@host: parse "nats://x:y%%zz@h": invalid URL escape "%%zz"; seed %s; jwt %s`, seed, jwt)
	got := String(in)
	for _, secret := range []string{"s3cret", "%zz", seed[2:], jwt[3:]} {
		if strings.Contains(got, secret) {
			t.Errorf("String left %q in:\n%s", secret, got)
		}
	}
	for _, kept := range []string{"nats://ops:***@host", "SU***", "eyJ***"} {
		if !strings.Contains(got, kept) {
			t.Errorf("String(...) = %s, want %q in it", got, kept)
		}
	}
	if s := "seq 12 (2026-12-05T08:10:00Z, dcmove.step.completed, step/capture) at nats://127.0.0.1:4222"; String(s) != s {
		t.Errorf("String changed a message without secrets: %s", String(s))
	}
}

func TestSecretsOf(t *testing.T) {
	SecretsOf("nats://ops:we/ird%pw@host,nats://tok-only-123@h2")
	got := String("parse \"nats://ops:we/ird%pw@host\": invalid port; token tok-only-123")
	for _, secret := range []string{"we/ird%pw", "tok-only-123"} {
		if strings.Contains(got, secret) {
			t.Errorf("String left %q in: %s", secret, got)
		}
	}
	Secret("ab") // too short to mask
	if String("about") != "about" {
		t.Errorf("a short secret garbles words")
	}
}

func TestError(t *testing.T) {
	sentinel := errors.New("unavailable")
	err := Error(fmt.Errorf("%w: connect to nats://ops:s3cret@host", sentinel))
	if strings.Contains(err.Error(), "s3cret") || !errors.Is(err, sentinel) {
		t.Errorf("Error = %v (is the sentinel: %v)", err, errors.Is(err, sentinel))
	}
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
	plain := errors.New("nothing secret")
	if Error(plain) != plain {
		t.Error("Error wraps an error with nothing to mask")
	}
}

// A URL without a scheme, which nats.go accepts, is masked too.
func TestStringWithoutScheme(t *testing.T) {
	for in, want := range map[string]string{
		"connect to ops:s3cretJ@127.0.0.1:14299: no servers": "connect to ops:" + Mask + "@127.0.0.1:14299: no servers",
		"ops:s3cret@host":  "ops:" + Mask + "@host",
		"at 12:30 nothing": "at 12:30 nothing",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
