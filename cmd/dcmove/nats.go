package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/internal/redact"
	"github.com/nats-io/nats.go"
	"github.com/urfave/cli/v2"
)

// natsFlags are the usual ways to reach a NATS server that needs
// credentials or TLS, as the nats CLI spells them.
func natsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "context", EnvVars: []string{"DCMOVE_NATS_CONTEXT"},
			Usage: "a nats CLI context (~/.config/nats/context/NAME.json): its URL, credentials and TLS files"},
		&cli.StringFlag{Name: "creds", EnvVars: []string{"DCMOVE_NATS_CREDS"}, Usage: "NATS user credentials file (JWT and seed)"},
		&cli.StringFlag{Name: "nkey", EnvVars: []string{"DCMOVE_NATS_NKEY"}, TakesFile: true,
			Usage: "NKey seed file to log in to the NATS server with (e.g. the one dcmove keys new made; see deploy/nats-server.conf)"},
		&cli.StringFlag{Name: "tlsca", EnvVars: []string{"DCMOVE_NATS_CA"}, Usage: "CA certificate to verify the NATS server with"},
		&cli.StringFlag{Name: "tlscert", EnvVars: []string{"DCMOVE_NATS_CERT"}, Usage: "client certificate for TLS"},
		&cli.StringFlag{Name: "tlskey", EnvVars: []string{"DCMOVE_NATS_KEY"}, Usage: "client key for TLS"},
		intFlag("replicas", 0, 0, maxReplicas, "copies of each event when dcmove creates its streams on --server (0, the default: 3 on a cluster, 1 on a lone server)"),
	}
}

// natsContext is the part of a nats CLI context file dcmove uses.
type natsContext struct {
	URL      string `json:"url"`
	Token    string `json:"token"`
	User     string `json:"user"`
	Password string `json:"password"`
	Creds    string `json:"creds"`
	NKey     string `json:"nkey"`
	Cert     string `json:"cert"`
	Key      string `json:"key"`
	CA       string `json:"ca"`
}

// logOptions turns the command's flags into where and how to reach the
// event log. Flags given on the command line win over the context's.
func logOptions(c *cli.Context) (jetstream.Options, error) {
	o := jetstream.Options{ServerURL: c.String("server"), DataDir: c.String("data-dir"), Replicas: c.Int("replicas")}
	// The URL's password or token, and the context's, are masked
	// wherever a message would carry them.
	defer func() { redact.SecretsOf(o.ServerURL) }()
	var ctx natsContext
	if name := c.String("context"); name != "" {
		path, err := contextPath(name)
		if err != nil {
			return o, err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return o, usagef("nats context %q: %v (list them with: nats context ls)", name, err)
		}
		if err := json.Unmarshal(b, &ctx); err != nil {
			return o, usagef("nats context %s is not valid JSON: %v", path, err)
		}
		if o.ServerURL == "" {
			o.ServerURL = ctx.URL
		}
		if o.ServerURL == "" {
			return o, usagef("nats context %q has no url; give --server", name)
		}
	}
	pick := func(flag, fromContext string) string {
		if v := c.String(flag); v != "" {
			return v
		}
		return fromContext
	}
	if v := pick("creds", ctx.Creds); v != "" {
		o.NATSOptions = append(o.NATSOptions, nats.UserCredentials(v))
	}
	if v := pick("nkey", ctx.NKey); v != "" {
		opt, err := nats.NkeyOptionFromSeed(v)
		if err != nil {
			return o, usagef("--nkey %s: not an NKey seed file (%v); make one with: dcmove keys new NAME --out FILE", v, err)
		}
		o.NATSOptions = append(o.NATSOptions, opt)
	}
	if v := pick("tlsca", ctx.CA); v != "" {
		o.NATSOptions = append(o.NATSOptions, nats.RootCAs(v))
	}
	cert, key := pick("tlscert", ctx.Cert), pick("tlskey", ctx.Key)
	switch {
	case cert != "" && key != "":
		o.NATSOptions = append(o.NATSOptions, nats.ClientCert(cert, key))
	case cert != "" || key != "":
		return o, usagef("give both --tlscert and --tlskey")
	}
	redact.Secret(ctx.Token)
	redact.Secret(ctx.Password)
	if ctx.Token != "" {
		o.NATSOptions = append(o.NATSOptions, nats.Token(ctx.Token))
	}
	if ctx.User != "" {
		o.NATSOptions = append(o.NATSOptions, nats.UserInfo(ctx.User, ctx.Password))
	}
	if o.ServerURL == "" && len(o.NATSOptions) > 0 {
		return o, usagef("--creds and --tls* are for a NATS server: give --server (or --context)")
	}
	return o, nil
}

// contextPath is where the nats CLI keeps a context.
func contextPath(name string) (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the nats contexts: %w", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "nats", "context", name+".json"), nil
}
