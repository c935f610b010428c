package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/user"
	"strings"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/internal/redact"
	"github.com/nats-io/jsm.go/natscontext"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"github.com/urfave/cli/v2"
)

// natsFlags are the usual ways to reach a NATS server that needs
// credentials or TLS, as the nats CLI spells them. Besides dcmove's own
// variables (DCMOVE_*), the nats CLI's are read when dcmove talks to a
// NATS server (see [resolveNATS]): NATS_URL, NATS_CONTEXT, NATS_USER,
// NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY, NATS_CERT, NATS_KEY
// and NATS_CA.
func natsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "context", EnvVars: []string{"DCMOVE_NATS_CONTEXT"},
			Usage: "a nats CLI context: a name (~/.config/nats/context/NAME.json) or a .json file; its URL, credentials and TLS files. " +
				"Without --context, NATS_CONTEXT or else the context selected with nats context select is used, unless --data-dir is given"},
		&cli.BoolFlag{Name: "no-context", Usage: "use no nats CLI context: neither NATS_CONTEXT nor the selected one"},
		&cli.StringFlag{Name: "user", EnvVars: []string{"DCMOVE_NATS_USER"}, Usage: "user to log in to the NATS server as, with --password (alone, as in the nats CLI, it is a token)"},
		&cli.StringFlag{Name: "password", EnvVars: []string{"DCMOVE_NATS_PASSWORD"},
			Usage: "password of --user; prefer NATS_PASSWORD or DCMOVE_NATS_PASSWORD, a creds file or a context: ps and shell history show flags"},
		&cli.StringFlag{Name: "token", EnvVars: []string{"DCMOVE_NATS_TOKEN"},
			Usage: "token to log in to the NATS server with; prefer NATS_TOKEN or DCMOVE_NATS_TOKEN: ps and shell history show flags"},
		&cli.StringFlag{Name: "creds", EnvVars: []string{"DCMOVE_NATS_CREDS"}, TakesFile: true, Usage: "NATS user credentials file (JWT and seed)"},
		&cli.StringFlag{Name: "nkey", EnvVars: []string{"DCMOVE_NATS_NKEY"}, TakesFile: true,
			Usage: "NKey seed file to log in to the NATS server with (e.g. the one dcmove keys new made; see deploy/nats-server.conf)"},
		&cli.StringFlag{Name: "tlsca", EnvVars: []string{"DCMOVE_NATS_CA"}, TakesFile: true, Usage: "CA certificate to verify the NATS server with"},
		&cli.StringFlag{Name: "tlscert", EnvVars: []string{"DCMOVE_NATS_CERT"}, TakesFile: true, Usage: "client certificate for TLS"},
		&cli.StringFlag{Name: "tlskey", EnvVars: []string{"DCMOVE_NATS_KEY"}, TakesFile: true, Usage: "client key for TLS"},
		&cli.BoolFlag{Name: "tlsfirst", Usage: "do the TLS handshake before the server's greeting (a server with handshake_first)"},
		intFlag("replicas", 0, 0, maxReplicas, "copies of each event when dcmove creates its streams on --server (0, the default: 3 on a cluster, 1 on a lone server)"),
	}
}

// logOptions turns the command's flags into where and how to reach the
// event log (see [resolveNATS]).
func logOptions(c *cli.Context) (jetstream.Options, error) {
	o := jetstream.Options{ServerURL: c.String("server"), DataDir: c.String("data-dir"), Replicas: c.Int("replicas")}
	// The URL's password or token, and the context's, are masked
	// wherever a message would carry them.
	defer func() { redact.SecretsOf(o.ServerURL) }()
	n, err := resolveNATS(c)
	if n == nil || err != nil {
		return o, err
	}
	o.ServerURL, o.NATSOptions, o.ConnectError = n.url, n.opts, n.explain
	n.note(c)
	if c.String("server") == "" {
		// What the commands' messages name as the event log
		// (where): the server, not the data directory left unused.
		_ = c.Set("server", n.url)
	}
	return o, nil
}

// natsConn is how to reach a NATS server: its URL, the connection's
// options, and where each came from, for the messages.
type natsConn struct {
	url, urlFrom     string // urlFrom: "--server", "NATS_URL", "" (the context)
	ctxName, ctxFrom string // ctxFrom: "--context", "NATS_CONTEXT", "selected"
	ctxPath          string
	auth             string // the credentials used, in words, never their secret
	cert, ca         string // client certificate and CA files, with where each came from
	tlsFirst         bool
	opts             []nats.Option
}

// resolveNATS says which NATS server the command uses, if any (nil:
// the embedded one on --data-dir), as the nats CLI would, with
// github.com/nats-io/jsm.go/natscontext, the nats CLI's own reader of
// its contexts:
//
//  1. --server or --context (or DCMOVE_SERVER, DCMOVE_NATS_CONTEXT): that
//     server;
//  2. else --data-dir (or DCMOVE_DATA_DIR): the embedded server, and no
//     NATS_* variable or context is read;
//  3. else NATS_URL, NATS_CONTEXT or the context selected with nats
//     context select (none with --no-context): that server;
//  4. else the embedded server on ./.dcmove.
//
// With a server, the context is --context's, else NATS_CONTEXT's, else
// the selected one (as the nats CLI, also with --server: its credentials
// and TLS files go with the URL given). The URL is --server's, else
// NATS_URL, else the context's (nats://127.0.0.1:4222 if it has none).
// Credentials given by flags (or DCMOVE_NATS_*, or else NATS_USER,
// NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY) replace the
// context's; each TLS file given (--tlscert, --tlskey, --tlsca, or
// NATS_CERT, NATS_KEY, NATS_CA) replaces the context's.
//
// Every file named is checked before connecting: one that is missing or
// unreadable is bad input (exit status 2), named with where it came from.
func resolveNATS(c *cli.Context) (*natsConn, error) {
	server, ctxName, noCtx := c.String("server"), c.String("context"), c.Bool("no-context")
	if noCtx && ctxName != "" {
		return nil, usagef("--context %s and --no-context: give one or the other", ctxName)
	}
	if server == "" && ctxName == "" && c.IsSet("data-dir") {
		return nil, embeddedOnly(c)
	}
	n := &natsConn{url: server, urlFrom: "--server"}
	if server == "" {
		n.url, n.urlFrom = os.Getenv("NATS_URL"), "NATS_URL"
		if n.url == "" {
			n.urlFrom = ""
		}
	}
	switch {
	case ctxName != "":
		n.ctxFrom = "--context"
	case noCtx:
	case os.Getenv("NATS_CONTEXT") != "":
		ctxName, n.ctxFrom = os.Getenv("NATS_CONTEXT"), "NATS_CONTEXT"
	default:
		if sel := natscontext.SelectedContext(); sel != "" {
			ctxName, n.ctxFrom = sel, "selected"
		}
	}
	if n.url == "" && ctxName == "" {
		return nil, embeddedOnly(c)
	}

	// The TLS files given on the command line (or in the environment)
	// go into the context, where they replace its own.
	cert, certFrom := flagOrEnv(c, "tlscert", "NATS_CERT")
	key, keyFrom := flagOrEnv(c, "tlskey", "NATS_KEY")
	ca, caFrom := flagOrEnv(c, "tlsca", "NATS_CA")
	copts := []natscontext.Option{natscontext.WithServerURL(n.url),
		natscontext.WithCertificate(cert), natscontext.WithKey(key), natscontext.WithCA(ca)}
	if c.Bool("tlsfirst") {
		copts = append(copts, natscontext.WithTLSHandshakeFirst())
	}
	var nctx *natscontext.Context
	if ctxName != "" {
		var err error
		if nctx, err = n.loadContext(ctxName, copts); err != nil {
			return nil, err
		}
	} else {
		nctx, _ = natscontext.New("", false, copts...)
	}
	n.url, n.tlsFirst = nctx.ServerURL(), nctx.TLSHandshakeFirst()
	redact.SecretsOf(n.url)
	redact.Secret(nctx.Password())
	redact.Secret(nctx.Token())
	for _, u := range strings.Split(n.url, ",") {
		if u = strings.TrimSpace(u); !strings.Contains(u, "://") {
			u = "nats://" + u // as nats.go reads it
		}
		if _, err := url.Parse(u); err != nil {
			return nil, usagef("%s: cannot read the server URL %s (%s)", n.urlSource(), redact.URL(n.url), redact.String(err.Error()))
		}
	}

	fromCtx := func(field string) string { return fmt.Sprintf("nats context %q (%s)", n.ctxName, field) }
	if certFrom == "" {
		certFrom = fromCtx("cert")
	}
	if keyFrom == "" {
		keyFrom = fromCtx("key")
	}
	if caFrom == "" {
		caFrom = fromCtx("ca")
	}
	switch cert, key := nctx.Certificate(), nctx.Key(); {
	case cert != "" && key == "":
		return nil, usagef("a client certificate (%s) without its key: give --tlskey too", certFrom)
	case key != "" && cert == "":
		return nil, usagef("a client key (%s) without its certificate: give --tlscert too", keyFrom)
	}
	for _, f := range []struct{ path, from string }{{nctx.Certificate(), certFrom}, {nctx.Key(), keyFrom}, {nctx.CA(), caFrom}} {
		if err := checkFile(f.path, f.from); err != nil {
			return nil, err
		}
	}
	if p := nctx.Certificate(); p != "" {
		n.cert = fmt.Sprintf("client certificate %s (%s)", localPath(p), certFrom)
	}
	if p := nctx.CA(); p != "" {
		n.ca = fmt.Sprintf("%s (%s)", localPath(p), caFrom)
	}

	flagAuth, err := n.flagCredentials(c, nctx)
	if err != nil {
		return nil, err
	}
	if flagAuth == nil {
		if err := n.contextCredentials(nctx); err != nil {
			return nil, err
		}
	}
	opts, err := nctx.NATSOptions()
	if err != nil {
		if n.ctxName != "" {
			return nil, usagef("nats context %q (%s): %v", n.ctxName, n.ctxPath, err)
		}
		return nil, usagef("%v", err)
	}
	if flagAuth != nil {
		opts = append(opts, clearCredentials, flagAuth)
	}
	// The options read their files now (CA, certificate and key, NKey
	// seed): a file that is there but not what it should be is bad
	// input too, not a server out of reach.
	probe := nats.GetDefaultOptions()
	for _, opt := range opts {
		if err := opt(&probe); err != nil {
			return nil, usagef("the TLS files or credentials for %s: %v", redact.URL(n.url), err)
		}
	}
	if n.auth == "" {
		n.auth = urlCredentials(n.url)
	}
	n.opts = opts
	return n, nil
}

// loadContext reads the nats context name: a context's name, or (as the
// nats CLI takes it) a .json file.
func (n *natsConn) loadContext(name string, opts []natscontext.Option) (*natscontext.Context, error) {
	n.ctxName = name
	var nctx *natscontext.Context
	var err error
	if st, serr := os.Stat(name); serr == nil && !st.IsDir() && strings.HasSuffix(name, ".json") {
		nctx, err = natscontext.NewFromFile(name, opts...)
	} else {
		path, perr := natscontext.ContextPath(name)
		switch {
		case perr != nil:
			return nil, usagef("nats context %q (%s): not a context name, nor a .json file", name, n.ctxFrom)
		case !natscontext.IsKnown(name) && n.ctxFrom == "selected":
			return nil, usagef("the selected nats context %q does not exist (no %s): select another with nats context select, or give --no-context, --context NAME or --data-dir DIR", name, path)
		case !natscontext.IsKnown(name):
			return nil, usagef("nats context %q (%s) does not exist: no %s (list them with: nats context ls)", name, n.ctxFrom, path)
		}
		nctx, err = natscontext.New(name, true, opts...)
	}
	if err != nil {
		return nil, usagef("nats context %q (%s): %v", name, n.ctxFrom, err)
	}
	n.ctxPath = nctx.Path()
	return nctx, nil
}

// flagOrEnv is the value of the flag (or its DCMOVE_ variable), else of
// the nats CLI's variable env, and which of them gave it ("" for none).
func flagOrEnv(c *cli.Context, flag, env string) (string, string) {
	if v := c.String(flag); v != "" {
		return v, "--" + flag
	}
	if v := os.Getenv(env); v != "" {
		return v, env
	}
	return "", ""
}

// flagCredentials returns the credentials the flags give (or their
// variables; else the nats CLI's), as an option replacing the context's,
// or nil when they give none.
func (n *natsConn) flagCredentials(c *cli.Context, nctx *natscontext.Context) (nats.Option, error) {
	type given struct{ val, from string }
	var user, password, token, creds, nkey given
	fields := []struct {
		g         *given
		flag, env string
	}{{&user, "user", "NATS_USER"}, {&password, "password", "NATS_PASSWORD"}, {&token, "token", "NATS_TOKEN"}, {&creds, "creds", "NATS_CREDS"}, {&nkey, "nkey", "NATS_NKEY"}}
	flags := false
	for _, f := range fields {
		if v := c.String(f.flag); v != "" {
			*f.g, flags = given{v, "--" + f.flag}, true
		}
	}
	if !flags {
		// The nats CLI's variables, as a whole: never mixed with
		// dcmove's flags.
		for _, f := range fields {
			if v := os.Getenv(f.env); v != "" {
				*f.g = given{v, f.env}
			}
		}
	}
	redact.Secret(password.val)
	redact.Secret(token.val)
	if password.val != "" && user.val == "" {
		if user = (given{nctx.User(), fmt.Sprintf("nats context %q", n.ctxName)}); user.val == "" {
			return nil, usagef("a password (%s) without a user: give --user too", password.from)
		}
	}
	if user.val != "" && password.val == "" {
		// The nats CLI reads a user without a password as a token.
		if token.val != "" {
			return nil, usagef("%s without a password is a token (as in the nats CLI), and %s gives another: give --password, or one token", user.from, token.from)
		}
		token, user = given{user.val, user.from + " (a user without a password is a token, as in the nats CLI)"}, given{}
		redact.Secret(token.val)
	}
	var kinds []string
	for _, g := range []given{user, token, creds, nkey} {
		if g.val != "" {
			kinds = append(kinds, g.from)
		}
	}
	switch {
	case len(kinds) == 0:
		return nil, nil
	case len(kinds) > 1:
		return nil, usagef("%s: give one kind of credentials (--user and --password, --token, --creds or --nkey)", strings.Join(kinds, " and "))
	case user.val != "":
		n.auth = fmt.Sprintf("user %s with the password of %s", user.val, password.from)
		return nats.UserInfo(user.val, password.val), nil
	case token.val != "":
		n.auth = "the token of " + token.from
		return nats.Token(token.val), nil
	case creds.val != "":
		if err := checkCreds(creds.val, creds.from); err != nil {
			return nil, err
		}
		n.auth = fmt.Sprintf("the creds file %s (%s)", creds.val, creds.from)
		return nats.UserCredentials(localPath(creds.val)), nil
	}
	if err := checkFile(nkey.val, nkey.from); err != nil {
		return nil, err
	}
	opt, err := nats.NkeyOptionFromSeed(localPath(nkey.val))
	if err != nil {
		return nil, usagef("%s %s: not an NKey seed file (%v); make one with: dcmove keys new NAME --out FILE", nkey.from, nkey.val, err)
	}
	n.auth = fmt.Sprintf("the NKey seed file %s (%s)", nkey.val, nkey.from)
	return opt, nil
}

// contextCredentials checks the files of the context's credentials, and
// says which they are.
func (n *natsConn) contextCredentials(nctx *natscontext.Context) error {
	if n.ctxName == "" {
		return nil
	}
	of := fmt.Sprintf("nats context %q", n.ctxName)
	var kinds []string
	switch {
	case nctx.User() != "":
		kinds = append(kinds, fmt.Sprintf("user %s with its password", nctx.User()))
	case nctx.Creds() != "":
		if p := localPath(nctx.Creds()); p != "" {
			if err := checkCreds(p, of+" (creds)"); err != nil {
				return err
			}
		}
		kinds = append(kinds, "the creds file "+nctx.Creds())
	case nctx.NKey() != "":
		if p := localPath(nctx.NKey()); p != "" {
			if err := checkFile(p, of+" (nkey)"); err != nil {
				return err
			}
		}
		kinds = append(kinds, "the NKey seed file "+nctx.NKey())
	case nctx.UserJWT() != "":
		kinds = append(kinds, "a user JWT")
	}
	if nctx.Token() != "" {
		kinds = append(kinds, "a token")
	}
	if len(kinds) > 0 {
		n.auth = strings.Join(kinds, " and ") + ", from " + of
	}
	return nil
}

// clearCredentials drops the credentials options before it set (the
// context's), for the flags' that follow.
func clearCredentials(o *nats.Options) error {
	o.User, o.Password, o.Token, o.Nkey = "", "", "", ""
	o.UserInfo, o.TokenHandler, o.UserJWT, o.SignatureCB = nil, nil, nil, nil
	return nil
}

// urlCredentials says which credentials the server URL holds.
func urlCredentials(s string) string {
	for _, p := range strings.Split(s, ",") {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			continue
		}
		if _, ok := u.User.Password(); ok {
			return fmt.Sprintf("user %s and the password in the URL", u.User.Username())
		}
		return "the token in the URL"
	}
	return ""
}

// localPath is the file a reference names, with ~ and $VARIABLES
// expanded as natscontext expands the paths of a context, or "" for a
// reference that is not a file (an op:// secret of 1Password).
func localPath(ref string) string {
	if strings.HasPrefix(ref, "op://") {
		return ""
	}
	p := os.ExpandEnv(ref)
	if strings.HasPrefix(p, "~") {
		if u, err := user.Current(); err == nil {
			p = strings.Replace(p, "~", u.HomeDir, 1)
		}
	}
	return p
}

// checkFile reports a file (from says who named it) that cannot be read,
// as bad input.
func checkFile(ref, from string) error {
	path := localPath(ref)
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err == nil {
		st, serr := f.Stat()
		f.Close()
		if serr == nil && st.IsDir() {
			return usagef("%s: %s is a directory, not a file", from, path)
		}
		return nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return usagef("%s: no file %s", from, path)
	}
	return usagef("%s: %v", from, err)
}

// checkCreds reports a creds file that cannot be read or holds no user
// JWT and seed, as bad input.
func checkCreds(path, from string) error {
	if err := checkFile(path, from); err != nil {
		return err
	}
	b, err := os.ReadFile(localPath(path))
	if err != nil {
		return usagef("%s: %v", from, err)
	}
	if _, err := nkeys.ParseDecoratedNKey(b); err != nil {
		return usagef("%s %s: not a NATS credentials file (%v); nsc generate creds makes one", from, path, err)
	}
	return nil
}

// embeddedOnly is for the embedded server: the flags for a NATS server's
// credentials and TLS are mistakes there.
func embeddedOnly(c *cli.Context) error {
	for _, f := range []string{"creds", "nkey", "user", "password", "token", "tlsca", "tlscert", "tlskey", "tlsfirst"} {
		if c.IsSet(f) {
			return usagef("--%s is for a NATS server: give --server URL or --context NAME (the embedded server on --data-dir takes none)", f)
		}
	}
	return nil
}

// note says once on stderr which server and context the command uses
// when neither was named on its command line (or in dcmove's variables):
// they came from the nats CLI's environment or selection. Never the
// credentials.
func (n *natsConn) note(c *cli.Context) {
	if n.urlFrom != "NATS_URL" && n.ctxFrom != "NATS_CONTEXT" && n.ctxFrom != "selected" {
		return
	}
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]any{}
	}
	if c.App.Metadata["nats-note"] != nil {
		return
	}
	c.App.Metadata["nats-note"] = true
	var parts []string
	switch n.urlFrom {
	case "NATS_URL":
		parts = append(parts, "the NATS server "+redact.URL(n.url)+" (NATS_URL)")
	case "--server":
		parts = append(parts, "the NATS server "+redact.URL(n.url))
	}
	switch n.ctxFrom {
	case "selected":
		parts = append(parts, fmt.Sprintf("nats context %q (selected with nats context select; --no-context to leave it out)", n.ctxName))
	case "NATS_CONTEXT":
		parts = append(parts, fmt.Sprintf("nats context %q (NATS_CONTEXT)", n.ctxName))
	case "--context":
		parts = append(parts, fmt.Sprintf("nats context %q", n.ctxName))
	}
	if n.urlFrom == "" {
		parts[len(parts)-1] += ", server " + redact.URL(n.url)
	}
	hint := ""
	if n.urlFrom != "--server" && n.ctxFrom != "--context" {
		hint = "; give --data-dir DIR for an event store of your own"
	}
	fmt.Fprintf(c.App.ErrWriter, "dcmove: note: using %s%s\n", strings.Join(parts, " with "), hint)
}

// explain turns a failed connection into what is wrong, in words: the
// server refused the credentials, the TLS certificates do not match, or
// no server answers. Each is the server out of reach (exit status 5);
// files dcmove could check itself were checked before (exit status 2).
func (n *natsConn) explain(err error) error {
	at := redact.URL(n.url)
	why := redact.String(err.Error())
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	var netErr net.Error
	msg := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked), errors.Is(err, nats.ErrAccountAuthExpired):
		if n.auth == "" {
			return fmt.Errorf("%w: the NATS server at %s wants credentials, and none were given (%s): give --creds FILE, --nkey FILE, --user and --password (or NATS_PASSWORD), --token, or --context NAME", events.ErrUnavailable, at, why)
		}
		return fmt.Errorf("%w: the NATS server at %s refused these credentials: %s (%s); check them, or ask the server's admin what this user may do", events.ErrUnavailable, at, n.auth, why)
	case errors.As(err, &unknownCA):
		if n.ca != "" {
			return fmt.Errorf("%w: the NATS server's certificate at %s is not signed by the CA of %s (%s): give the CA that signed it", events.ErrUnavailable, at, n.ca, why)
		}
		return fmt.Errorf("%w: the NATS server's certificate at %s is not signed by a CA you trust (%s): give --tlsca FILE, the CA's certificate", events.ErrUnavailable, at, why)
	case errors.As(err, &hostname):
		return fmt.Errorf("%w: the NATS server's certificate is not for the name in %s (%s): use a name the certificate holds", events.ErrUnavailable, at, why)
	case errors.As(err, &verify):
		return fmt.Errorf("%w: the NATS server's certificate at %s could not be verified (%s)", events.ErrUnavailable, at, why)
	case strings.Contains(msg, "certificate required"), strings.Contains(msg, "remote error: tls:") && strings.Contains(msg, "certificate"),
		errors.Is(err, nats.ErrTLS) && strings.Contains(msg, "closed by remote after tls handshake"):
		// The server's alert (a client certificate required, bad,
		// from a CA it does not trust, expired...), or with TLS 1.3
		// the connection it closed right after the handshake.
		if n.cert == "" {
			return fmt.Errorf("%w: the NATS server at %s wants a client certificate (%s): give --tlscert and --tlskey", events.ErrUnavailable, at, why)
		}
		return fmt.Errorf("%w: the NATS server at %s refused the %s (%s): give one signed by a CA the server trusts", events.ErrUnavailable, at, n.cert, why)
	case errors.Is(err, nats.ErrSecureConnWanted):
		return fmt.Errorf("%w: the NATS server at %s does not speak TLS, and TLS was asked for (a tls:// URL, --tlsca, --tlscert or the context's) (%s)", events.ErrUnavailable, at, why)
	case errors.Is(err, nats.ErrSecureConnRequired):
		return fmt.Errorf("%w: the NATS server at %s speaks only TLS (%s): use a tls:// URL, and --tlsca if its certificate is from your own CA", events.ErrUnavailable, at, why)
	case errors.Is(err, io.EOF) && !n.tlsFirst:
		return fmt.Errorf("%w: the NATS server at %s closed the connection before its greeting (%s): if it does the TLS handshake first (handshake_first), give --tlsfirst", events.ErrUnavailable, at, why)
	case errors.Is(err, nats.ErrNoServers), errors.Is(err, nats.ErrTimeout), errors.As(err, &netErr):
		return fmt.Errorf("%w: no NATS server answers at %s (%s): is the server running at %s? (check %s)", events.ErrUnavailable, at, why, at, n.urlSource())
	}
	return nil
}

// urlSource says where the server URL came from.
func (n *natsConn) urlSource() string {
	if n.urlFrom == "" {
		return fmt.Sprintf("the url of nats context %q", n.ctxName)
	}
	return n.urlFrom
}
