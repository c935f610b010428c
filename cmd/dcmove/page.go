package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/web"
	"github.com/urfave/cli/v2"
)

// pageFlags are serve's flags for the war-room page.
func pageFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "http", Usage: "also serve the run's live war-room page at host:port (loopback only, unless --http-expose), e.g. --http 127.0.0.1:8080"},
		&cli.BoolFlag{Name: "http-expose", Usage: "allow --http on an address other machines reach (the office network): the page then requires a token (--http-token-file)"},
		&cli.StringFlag{Name: "http-token-file", EnvVars: []string{"DCMOVE_HTTP_TOKEN_FILE"}, Usage: "file holding the token the page requires (open it as /?token=TOKEN); the public view /public needs none"},
		runFlag(),
		&cli.StringFlag{Name: "key", EnvVars: []string{"DCMOVE_KEY"}, TakesFile: true,
			Usage: "a crew member's key file: on a run whose plan lists keys, the acknowledgements recipients make through their links are signed with it"},
	}
}

// pageConfig is what serve --http was asked for, checked.
type pageConfig struct {
	addr, token, run string
}

// maxTokenFile bounds what is read of a token file.
const maxTokenFile = 4 << 10

// pageOptions checks serve's page flags: a non-loopback address needs
// --http-expose and a token. It returns nil without --http.
func pageOptions(c *cli.Context) (*pageConfig, error) {
	addr := c.String("http")
	if addr == "" {
		if c.IsSet("http-expose") || c.IsSet("http-token-file") {
			return nil, usagef("--http-expose and --http-token-file go with --http ADDR")
		}
		return nil, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, usagef("--http %q: write host:port, e.g. 127.0.0.1:8080 (%v)", addr, err)
	}
	loopback := host == "localhost"
	if ip := net.ParseIP(host); ip != nil {
		loopback = ip.IsLoopback()
	}
	pc := &pageConfig{addr: net.JoinHostPort(host, port), run: c.String("run")}
	if f := c.String("http-token-file"); f != "" {
		if pc.token, err = readToken(f); err != nil {
			return nil, err
		}
	}
	switch {
	case !loopback && !c.Bool("http-expose"):
		return nil, usagef("--http %s is reachable from other machines: say so with --http-expose, and give a token with --http-token-file (the page shows the run to whoever opens it)", addr)
	case !loopback && pc.token == "":
		return nil, usagef("--http %s with --http-expose needs --http-token-file FILE: a page on the office network shows nothing to strangers (make one with: head -c 24 /dev/urandom | base64 > FILE)", addr)
	}
	return pc, nil
}

// readToken reads the page's token from a file: one line, at least 16
// characters, bounded in size.
func readToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", usagef("--http-token-file: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", usagef("--http-token-file %s: %v", path, err)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case len(b) > maxTokenFile:
		return "", usagef("--http-token-file %s is larger than %d bytes: write the token alone on one line", path, maxTokenFile)
	case strings.ContainsAny(tok, " \t\r\n"):
		return "", usagef("--http-token-file %s: write the token alone on one line, without spaces", path)
	case len(tok) < 16:
		return "", usagef("--http-token-file %s: the token is %d characters; use at least 16 (e.g. head -c 24 /dev/urandom | base64)", path, len(tok))
	}
	return tok, nil
}

// servePage serves the war-room page of the run on pc.addr until ctx is
// done, following the run through logs opened with o (the holder of an
// embedded data directory may change). ready, if set, is told the page's
// address once it listens.
//
// The page's server also serves the notices' acknowledgement links
// (/ack/TOKEN), recording what recipients acknowledge as dcmove's own
// events; on a run whose crew lists keys they are signed with key (serve
// --key), and without one the links say they cannot record.
func (m *Main) servePage(ctx context.Context, o jetstream.Options, pc *pageConfig, key events.Signer) error {
	ln, err := net.Listen("tcp", pc.addr)
	if err != nil {
		return usagef("--http %s: %v", pc.addr, err)
	}
	defer ln.Close()
	l, err := jetstream.Open(ctx, o)
	if err != nil {
		return err
	}
	run := pc.run
	for run == "" {
		run, err = l.LastRun(ctx)
		if errors.Is(err, events.ErrNoRun) {
			fmt.Fprintln(m.Stdout, "war-room page: waiting for a cutover to start (dcmove cutover start PLAN.yaml)")
			select {
			case <-ctx.Done():
				l.Close()
				return nil
			case <-time.After(2 * time.Second):
			}
			continue
		}
		if err != nil {
			l.Close()
			return err
		}
	}
	acksLog, err := jetstream.Open(ctx, o)
	if err != nil {
		l.Close()
		return err
	}
	defer acksLog.Close()
	cut := m.cutover(ctx, acksLog)
	cut.Key = key
	hub := web.NewHub()
	hub.Acks = noticeRows
	acks := newAckHandler(cut, run, func(format string, args ...any) { fmt.Fprintf(m.Stderr, "dcmove: "+format+"\n", args...) })
	if key == nil {
		if r, err := cut.Load(ctx, run); err == nil && r.Signed {
			fmt.Fprintf(m.Stderr, "dcmove: warning: run %s requires every event signed, and serve has no --key: acknowledgement links will say they cannot be recorded; give a crew member's key with --key\n", run)
		}
	}
	srv := &web.Server{Hub: hub, Token: pc.token, Extra: acks}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog: nil}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	url := "http://" + ln.Addr().String() + "/"
	how := ""
	if pc.token != "" {
		how = " (open it as " + url + "?token=TOKEN, with the token of --http-token-file)"
	}
	fmt.Fprintf(m.Stdout, "war-room page of run %s at %s%s; public view at %spublic\n", run, url, how, url)
	reopen := o
	wo := projections.WatchOptions{Now: m.Clock.Now, Samples: 200, Seed: forecastSeed, Tick: 30 * time.Second,
		Reopen: func(ctx context.Context) (events.Log, error) { return jetstream.Open(ctx, reopen) }}
	err = hub.Follow(ctx, l, run, wo)
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hs.Shutdown(shut)
	hs.Close()
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// noticeRows is where each stakeholder's notice stands, for the page.
func noticeRows(s *projections.Status, _ time.Time) []web.NoticeRow {
	var out []web.NoticeRow
	for _, l := range noticeLines(s.Run, "") {
		if l.Ack {
			out = append(out, web.NoticeRow{Stakeholder: l.Stakeholder, Title: l.Title, Recipients: len(s.Notices.Of(l.Stakeholder)), Sent: l.Sent,
				Bounced: l.Bounced, Acknowledged: l.Acknowledged, Waived: l.Waived, Deadline: l.Deadline})
		}
	}
	return out
}
