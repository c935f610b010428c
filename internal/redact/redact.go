// Package redact keeps credentials out of what dcmove prints: passwords and
// tokens in server URLs, NKey seeds, the JWTs of a creds file, and any
// secret registered with [Secret].
//
// Redact at the boundary, where a URL or an error from a connection is put
// into a message ([URL], [Error]); [String] is the last resort applied to
// every message dcmove prints.
package redact

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Mask replaces a secret.
const Mask = "***"

// URL returns the server URL (or comma-separated URLs) s with its
// credentials masked: "nats://ops:s3cret@host" becomes
// "nats://ops:***@host", and "nats://t0ken@host" (NATS reads a user without
// a password as a token) "nats://***@host".
func URL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = oneURL(p)
	}
	return strings.Join(parts, ",")
}

func oneURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.User == nil {
		// Not a URL net/url reads (a '%' in a password): mask what
		// looks like credentials.
		return String(s)
	}
	lead := s[:len(s)-len(strings.TrimLeft(s, " "))]
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "MASKED")
		return lead + strings.Replace(u.String(), ":MASKED@", ":"+Mask+"@", 1)
	}
	u.User = url.User("MASKED")
	return lead + strings.Replace(u.String(), "MASKED@", Mask+"@", 1)
}

var (
	// scheme://user:password@ and scheme://token@
	userPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^\s/@:,"']*):([^\s/@,"']*)@`)
	userOnly     = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^\s/@:,"']+)@`)
	// user:password@host with no scheme (nats.go takes that form too).
	bareUserPassword = regexp.MustCompile(`(^|[\s"',(=])([^\s/@:,"'=]+):([^\s/@,"']+)@([A-Za-z0-9.\[\]-]+)`)
	// An NKey seed: 'S', the key's type, then base32 (58 characters in all).
	seed = regexp.MustCompile(`\bS[UAOCNXP][A-Z2-7]{56}\b`)
	// A JWT, as a creds file holds one.
	jwt = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)
	// net/url quotes the bad escape or port of a URL it cannot read, which may be
	// part of a password.
	badEscape = regexp.MustCompile(`(invalid URL escape|invalid port) "[^"]*"`)
)

var (
	mu      sync.RWMutex
	secrets []string // longest first
)

// Secret registers s (a token, a password) to be masked by [String] from
// now on, wherever it appears. Strings shorter than 4 characters are not
// registered: masking them would garble ordinary words.
func Secret(s string) {
	if len(s) < 4 {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if slices.Contains(secrets, s) {
		return
	}
	secrets = append(secrets, s)
	slices.SortFunc(secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
}

// SecretsOf registers the credentials of the server URL (or
// comma-separated URLs) s with [Secret]: the password, or the token, of
// each. It reads the URLs loosely, as written, so that a password net/url
// cannot parse (with a '/' or a '%') is registered too.
func SecretsOf(s string) {
	for _, p := range strings.Split(s, ",") {
		_, rest, ok := strings.Cut(p, "://")
		if !ok {
			continue
		}
		at := strings.LastIndex(rest, "@")
		if at < 0 {
			continue
		}
		userinfo := rest[:at]
		if _, pass, ok := strings.Cut(userinfo, ":"); ok {
			Secret(pass)
			if u, err := url.PathUnescape(pass); err == nil {
				Secret(u)
			}
		} else {
			Secret(userinfo)
		}
	}
}

// String masks in s the credentials of URLs, NKey seeds, JWTs and the
// secrets registered with [Secret].
func String(s string) string {
	s = userPassword.ReplaceAllString(s, "${1}${2}:"+Mask+"@")
	s = userOnly.ReplaceAllString(s, "${1}"+Mask+"@")
	s = bareUserPassword.ReplaceAllString(s, "${1}${2}:"+Mask+"@${4}")
	s = seed.ReplaceAllStringFunc(s, func(m string) string { return m[:2] + Mask })
	s = jwt.ReplaceAllString(s, "eyJ"+Mask)
	s = badEscape.ReplaceAllString(s, `${1} "`+Mask+`"`)
	mu.RLock()
	defer mu.RUnlock()
	for _, k := range secrets {
		s = strings.ReplaceAll(s, k, Mask)
	}
	return s
}

// Error returns err with its message masked by [String]; errors.Is and
// errors.As still see through it. It returns nil for nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := String(msg); red != msg {
		return &masked{msg: red, err: err}
	}
	return err
}

type masked struct {
	msg string
	err error
}

func (m *masked) Error() string { return m.msg }
func (m *masked) Unwrap() error { return m.err }
