package jetstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/internal/redact"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Options says where the event log lives.
type Options struct {
	// ServerURL connects to an existing NATS server (or cluster) instead of
	// an embedded one. Empty means embedded, on DataDir.
	ServerURL string
	// NATSOptions are added to the connection to ServerURL (credentials,
	// TLS, ...).
	NATSOptions []nats.Option
	// ConnectError, when set, makes the error Open returns when the
	// connection to ServerURL fails, from nats' own error (the caller
	// knows which credentials and files it gave); nil keeps Open's.
	ConnectError func(error) error
	// Replicas is the stream's replica count when dcmove creates it on
	// ServerURL; zero means 3 on a cluster and 1 on a lone server. The
	// embedded server always uses 1.
	Replicas int
	// DataDir holds the embedded server's file store and the file through
	// which dcmove processes sharing it find each other.
	DataDir string
	// Listen is the loopback address the embedded server accepts other
	// dcmove processes on; empty means a random port on 127.0.0.1.
	Listen string
	// Wait is how long to wait for another dcmove process that is starting
	// the embedded server on DataDir; zero means 10 s.
	Wait time.Duration
	// ReadOnly says the log will only be read (status, audit): when the
	// data directory cannot be written (a read-only file system, an
	// archive, a full disk) and nobody serves it, Open serves a copy of
	// its store from a temporary directory instead (see
	// [Log.ReadOnlyCopy]), and writes nothing in the data directory.
	ReadOnly bool
	// KeepAlive is for a log that stays open, such as a watch's: it
	// notices a server that stops answering (see [keepAliveOptions] and
	// [Log.Lost]), and reconnects to a ServerURL for as long as it takes.
	KeepAlive bool
}

// ServerFileName is the file in the data directory that names the address of
// the embedded server while a dcmove process holds it.
const ServerFileName = "server.json"

// serverFile is the content of [ServerFileName]: where the holder's server
// listens and the crew credential (user [CrewUser]) other processes connect
// with. The admin credential is never written anywhere.
type serverFile struct {
	URL      string `json:"url"`
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	// Token is what a dcmove from before the two credentials wrote.
	Token   string    `json:"token,omitempty"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// Open returns the event log described by o. With no ServerURL it uses the
// embedded server on o.DataDir: if another dcmove process already holds it,
// Open connects to that process; otherwise it starts the server in this
// process, listening on loopback so that other processes can join, until
// Close.
func Open(ctx context.Context, o Options) (*Log, error) {
	if o.ServerURL != "" {
		return openRemote(ctx, o)
	}
	if o.DataDir == "" {
		return nil, errors.New("events: no data directory and no server URL: give --data-dir or --server")
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("events: create data directory: %w", err)
	}
	return openEmbedded(ctx, o, &health{})
}

// openEmbedded serves the data directory o.DataDir in this process, or
// joins the process that does; h follows the connection to the process
// joined.
func openEmbedded(ctx context.Context, o Options, h *health) (*Log, error) {
	wait := o.Wait
	if wait == 0 {
		wait = 10 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		unlock, err := tryLock(filepath.Join(o.DataDir, "server.lock"))
		if err != nil {
			err = fmt.Errorf("events: lock data directory %s: %w", o.DataDir, err)
			if o.ReadOnly && notWritable(err) {
				return openReadOnlyCopy(ctx, o, err)
			}
			return nil, err
		}
		if unlock != nil {
			// Nobody holds the data directory: any server file left is
			// stale (its process died), and this process serves.
			l, err := startEmbedded(ctx, o, unlock, h)
			if err != nil {
				unlock()
				if o.ReadOnly && notWritable(err) {
					return openReadOnlyCopy(ctx, o, err)
				}
				return nil, err
			}
			l.h = h
			h.attach(l.s.nc)
			return l, nil
		}
		l, err := joinEmbedded(ctx, o, h)
		if err == nil {
			l.h = h
			h.attach(l.s.nc)
			// When the process this one joined exits, the log opens the
			// data directory again (see [Log.do]).
			// Opened again to work on, never as a read-only copy: a copy
			// would not follow the directory's next holder.
			again := o
			again.ReadOnly = false
			l.reopen = func(ctx context.Context, h *health) (*Log, error) { return openEmbedded(ctx, again, h) }
			return l, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: another dcmove process holds data directory %s but does not answer (%v); if it hangs, stop it and run again", events.ErrUnavailable, o.DataDir, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func openRemote(ctx context.Context, o Options) (*Log, error) {
	h := &health{}
	opts := append([]nats.Option{nats.Name("dcmove"), nats.Timeout(5 * time.Second)}, watchHandlers(h)...)
	if o.KeepAlive {
		opts = append(opts, keepAliveOptions(h, true)...)
	}
	opts = append(opts, o.NATSOptions...)
	nc, err := nats.Connect(o.ServerURL, opts...)
	if err != nil && o.ConnectError != nil {
		if e := o.ConnectError(err); e != nil {
			return nil, e
		}
	}
	if err != nil {
		// The URL and nats' own error (net/url quotes the URL it cannot
		// read) may hold a password or a token.
		return nil, fmt.Errorf("%w: connect to %s: %v (is the server running? check --server / DCMOVE_SERVER)", events.ErrUnavailable, redact.URL(o.ServerURL), redact.String(err.Error()))
	}
	replicas := o.Replicas
	if replicas == 0 {
		// A cluster keeps three copies of every event; a lone server one.
		replicas = 1
		if nc.ConnectedClusterName() != "" {
			replicas = 3
		}
	}
	l, err := NewLog(ctx, nc, replicas)
	if err != nil {
		nc.Close()
		return nil, err
	}
	l.h = h
	h.attach(nc)
	// A crew member's user on a shared server may not write checkpoints
	// (deploy/nats-server.conf): its commands read them and write none,
	// rather than wait for a write the server drops.
	l.s.crew = !mayPublish(nc, checkpointSubject)
	return l, nil
}

// joinEmbedded connects to the embedded server another process holds.
func joinEmbedded(ctx context.Context, o Options, h *health) (*Log, error) {
	b, err := os.ReadFile(filepath.Join(o.DataDir, ServerFileName))
	if err != nil {
		return nil, err
	}
	var f serverFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", ServerFileName, err)
	}
	// No reconnect: when the holder exits its server is gone for good (the
	// next holder listens elsewhere), and callers should reopen rather than
	// wait on a dead address.
	auth := nats.UserInfo(f.User, f.Password)
	if f.User == "" {
		auth = nats.Token(f.Token)
	}
	opts := append([]nats.Option{auth, nats.Name("dcmove"), nats.Timeout(2 * time.Second), nats.NoReconnect()}, watchHandlers(h)...)
	if o.KeepAlive {
		opts = append(opts, keepAliveOptions(h, false)...)
	}
	nc, err := nats.Connect(f.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to the server of pid %d at %s: %w", f.PID, f.URL, err)
	}
	l, err := NewLog(ctx, nc, 1)
	if err != nil {
		nc.Close()
		return nil, err
	}
	// The crew credential cannot write checkpoints: the holder does.
	l.s.crew = true
	return l, nil
}

// ParseListen reads a listen address, host:port, for the embedded server.
// An empty address, an empty host or port, and port 0 mean a free port on
// 127.0.0.1 (port [server.RANDOM_PORT]: nats-server itself reads 0 as its
// default port, 4222). A port outside 0-65535 or that is not a number is
// refused here, before any server starts; a host the machine cannot listen
// on is refused by the server (see [StartServer]).
func ParseListen(addr string) (host string, port int, err error) {
	host, port = "127.0.0.1", server.RANDOM_PORT
	if addr == "" {
		return host, port, nil
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("events: listen address %q: %v (write host:port, e.g. 127.0.0.1:4222, or 127.0.0.1:0 for a free port)", addr, err)
	}
	if h != "" {
		host = h
	}
	if p == "" {
		return host, port, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("events: listen address %q: port %s is not a number from 0 to 65535 (0 picks a free port)", addr, p)
	}
	if n != 0 {
		port = n
	}
	return host, port, nil
}

// StartServer starts a NATS server with JetStream whose file store syncs
// every acknowledged write to disk (so an acknowledged event survives a crash
// of the machine), listening on host:port (port -1: random; host "": no
// listener, in-process connections only). A non-empty token is required from
// clients.
func StartServer(storeDir, host string, port int, token string) (*server.Server, error) {
	opts := serverOptions(storeDir, host, port)
	opts.Authorization = token
	return startServer(opts, storeDir, port, newStartLog())
}

// StartCrewServer is [StartServer] with two users instead of a token:
// [AdminUser], who may do anything, and [CrewUser], who may do what dcmove's
// commands do but not delete, purge or reconfigure a stream, delete a
// message or write a checkpoint (see [CrewPublishAllow] and
// [CrewPublishDeny]).
func StartCrewServer(storeDir, host string, port int, adminPassword, crewPassword string) (*server.Server, error) {
	return startCrewServer(storeDir, host, port, adminPassword, crewPassword, newStartLog())
}

func startCrewServer(storeDir, host string, port int, adminPassword, crewPassword string, log *startLog) (*server.Server, error) {
	if adminPassword == "" || crewPassword == "" || adminPassword == crewPassword {
		return nil, errors.New("events: embedded server: the admin and crew passwords must be set and differ")
	}
	opts := serverOptions(storeDir, host, port)
	opts.Users = []*server.User{
		{Username: AdminUser, Password: adminPassword},
		{Username: CrewUser, Password: crewPassword, Permissions: crewPermissions()},
	}
	return startServer(opts, storeDir, port, log)
}

func serverOptions(storeDir, host string, port int) *server.Options {
	opts := &server.Options{
		ServerName: "dcmove",
		JetStream:  true,
		StoreDir:   storeDir,
		SyncAlways: true,
		NoSigs:     true,
		Host:       host,
		Port:       port,
		MaxPayload: 8 << 20,
	}
	if host == "" {
		opts.DontListen = true
	}
	return opts
}

// startTimeout is how long the embedded server may take to start when it
// reports no error.
const startTimeout = 15 * time.Second

func startServer(opts *server.Options, storeDir string, port int, log *startLog) (*server.Server, error) {
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("events: embedded server: %w", err)
	}
	// nats-server's Start reports why it fails (a port in use, an address
	// the machine does not have, a store it cannot write) only in its log,
	// then leaves ReadyForConnections waiting: keep the log's errors and
	// stop at the first fatal one.
	s.SetLogger(log, false, false)
	go s.Start()
	ready := make(chan bool, 1)
	go func() { ready <- s.ReadyForConnections(startTimeout) }()
	where := storeDir
	if !opts.DontListen {
		p := strconv.Itoa(port)
		if port == server.RANDOM_PORT {
			p = "0"
		}
		where = fmt.Sprintf("%s, listening on %s", storeDir, net.JoinHostPort(opts.Host, p))
	}
	select {
	case ok := <-ready:
		if ok {
			return s, nil
		}
		s.Shutdown()
		if last := log.lastError(); last != "" {
			return nil, fmt.Errorf("events: embedded server on %s did not start in %s: %s", where, startTimeout, last)
		}
		return nil, fmt.Errorf("events: embedded server on %s did not start in %s (is the directory writable, the address free?)", where, startTimeout)
	case <-log.fatal:
		s.Shutdown()
		return nil, fmt.Errorf("events: embedded server on %s did not start: %s", where, log.lastError())
	}
}

// startLog is the embedded server's logger: it keeps the last error line
// and signals the first fatal one, tells onError of every error, and drops
// the rest.
type startLog struct {
	mu      sync.Mutex
	last    string
	fatal   chan struct{}
	once    sync.Once
	onError func(string)
}

func newStartLog() *startLog { return &startLog{fatal: make(chan struct{})} }

func (l *startLog) lastError() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

func (l *startLog) keep(format string, v ...any) {
	l.mu.Lock()
	l.last = fmt.Sprintf(format, v...)
	l.mu.Unlock()
}

func (l *startLog) Fatalf(format string, v ...any) {
	l.keep(format, v...)
	l.once.Do(func() { close(l.fatal) })
}

func (l *startLog) Errorf(format string, v ...any) {
	l.keep(format, v...)
	if l.onError != nil {
		l.onError(fmt.Sprintf(format, v...))
	}
}
func (l *startLog) Noticef(string, ...any) {}
func (l *startLog) Warnf(string, ...any)   {}
func (l *startLog) Debugf(string, ...any)  {}
func (l *startLog) Tracef(string, ...any)  {}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("events: token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func writeFileAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		os.Remove(tmp) // a full disk leaves an empty file
		return fmt.Errorf("events: write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("events: write %s: %w", path, err)
	}
	return nil
}

// removeIfOurs removes the server file if it still names this process.
func removeIfOurs(path string, f serverFile) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var cur serverFile
	if json.Unmarshal(b, &cur) == nil && cur.PID == f.PID && cur.Password == f.Password {
		return os.Remove(path)
	}
	return nil
}
