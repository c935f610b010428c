package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// HealthSubject is where the process holding an embedded data directory
// answers with the [StoreHealth] of its store.
const HealthSubject = "dcmove-health.store"

// StoreHealth is what the process holding an embedded data directory knows
// of its store's writes.
type StoreHealth struct {
	// FailingSince is when writes began to fail (zero: they work), Error
	// why: the store refuses every write until the holder restarts it,
	// which it does by itself once the disk has room again.
	FailingSince time.Time `json:"failing_since,omitzero"`
	Error        string    `json:"error,omitempty"`
	// LastFailure is when writes last failed, LastError why, and
	// RecoveredAt when they worked again.
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	RecoveredAt time.Time `json:"recovered_at,omitzero"`
}

// Failing reports whether the store refuses writes now.
func (h StoreHealth) Failing() bool { return !h.FailingSince.IsZero() }

// holder is the embedded server this process runs for a data directory.
// When the store's disk fills up, JetStream refuses every write to the
// stream that hit it for as long as the server runs, even once there is
// room again: the holder notices the write error in the server's log,
// waits for room, and restarts the server on the same address with the
// same credentials, so that server.json stays true and nothing is written
// to the data directory but the store itself.
type holder struct {
	storeDir    string
	host        string
	port        int // the port bound at the first start, kept on restarts
	admin, crew string

	mu sync.Mutex     // guards s, ready, replier; held across a restart
	s  *server.Server // nil while restarting
	// healthMu guards health alone: the server's logger reports write
	// errors while a shutdown under mu waits for the server.
	healthMu sync.Mutex
	health   StoreHealth
	// ready is closed when s is set again after a restart.
	ready chan struct{}
	// replier answers HealthSubject on s.
	replier *nats.Conn

	stop chan struct{}
	done chan struct{}
}

// recoverEvery is how often a holder whose store refuses writes checks
// whether the disk has room again.
const recoverEvery = time.Second

// restartWait is how long a log waits for its holder's server to restart.
const restartWait = 10 * time.Second

// probeSize is how much room a holder needs on the store's disk before it
// restarts the store: a few blocks of events and their index.
const probeSize = 1 << 20

// startHolder starts the embedded server on storeDir.
func startHolder(storeDir, host string, port int) (*holder, error) {
	admin, err := randomToken()
	if err != nil {
		return nil, err
	}
	crew, err := randomToken()
	if err != nil {
		return nil, err
	}
	h := &holder{storeDir: storeDir, host: host, port: port, admin: admin, crew: crew,
		ready: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	if err := h.start(); err != nil {
		return nil, err
	}
	if addr, ok := h.s.Addr().(*net.TCPAddr); ok {
		h.port = addr.Port // a restart listens where the first start did
	}
	go h.watch()
	return h, nil
}

// start starts the server and its health replier; h.mu is held or h is
// not shared yet.
func (h *holder) start() error {
	log := newStartLog()
	log.onError = h.noteError
	s, err := startCrewServer(h.storeDir, h.host, h.port, h.admin, h.crew, log)
	if err != nil {
		return err
	}
	nc, err := nats.Connect("", nats.InProcessServer(s), nats.UserInfo(AdminUser, h.admin), nats.Name("dcmove-health"))
	if err == nil {
		_, err = nc.Subscribe(HealthSubject, func(m *nats.Msg) {
			h.healthMu.Lock()
			b, _ := json.Marshal(h.health)
			h.healthMu.Unlock()
			m.Respond(b)
		})
	}
	if err == nil {
		err = nc.Flush() // the server knows the replier before anyone asks
	}
	if err != nil {
		s.Shutdown()
		return fmt.Errorf("events: embedded server: health replier: %w", err)
	}
	h.s, h.replier = s, nc
	close(h.ready)
	return nil
}

// writeFailure reports whether a line of the server's log says the store
// failed to write.
func writeFailure(line string) bool {
	line = strings.ToLower(line)
	for _, s := range []string{"no space left", "critical write error", "failed to store a msg", "disk quota exceeded", "read-only file system"} {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// noteError is told every error the server logs.
func (h *holder) noteError(line string) {
	if !writeFailure(line) {
		return
	}
	h.healthMu.Lock()
	defer h.healthMu.Unlock()
	now := time.Now().UTC()
	if h.health.FailingSince.IsZero() {
		h.health.FailingSince = now
	}
	h.health.Error = line
	h.health.LastFailure, h.health.LastError = now, line
}

// watch restarts the server when its store failed to write and the disk
// has room again, until close.
func (h *holder) watch() {
	defer close(h.done)
	t := time.NewTicker(recoverEvery)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.healthMu.Lock()
		failing := h.health.Failing()
		h.healthMu.Unlock()
		if failing && h.roomOnDisk() == nil {
			h.restart()
		}
	}
}

// roomOnDisk writes, syncs and removes probeSize bytes in the store's
// directory: nil when the disk takes them.
func (h *holder) roomOnDisk() error {
	path := filepath.Join(h.storeDir, ".dcmove-room-probe")
	defer os.Remove(path)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, probeSize))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// restart stops the server and starts it again on the same store, address
// and credentials. Connections to it close; dcmove's logs open again on
// their own (see [Log.do]).
func (h *holder) restart() {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, replier := h.s, h.replier
	h.s, h.replier, h.ready = nil, nil, make(chan struct{})
	if replier != nil {
		replier.Close()
	}
	if old != nil {
		old.Shutdown()
		old.WaitForShutdown()
	}
	h.healthMu.Lock()
	failing := h.health
	h.health.FailingSince, h.health.Error = time.Time{}, ""
	h.healthMu.Unlock()
	if err := h.start(); err != nil {
		// Still no good: the next tick tries again.
		h.healthMu.Lock()
		h.health = failing
		h.health.Error = err.Error()
		h.healthMu.Unlock()
		h.s, h.replier = nil, nil
		return
	}
	h.healthMu.Lock()
	h.health.RecoveredAt = time.Now().UTC()
	h.healthMu.Unlock()
}

// server returns the running server, waiting for a restart under way (at
// most restartWait: the log's lock is held meanwhile, see [Log.rejoin]).
func (h *holder) server(ctx context.Context) (*server.Server, error) {
	deadline := time.Now().Add(restartWait)
	for {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: the embedded server is restarting after a disk full, and is not back after %s", events.ErrUnavailable, restartWait)
		}
		h.mu.Lock()
		s, ready := h.s, h.ready
		h.mu.Unlock()
		if s != nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-h.stop:
			return nil, errClosed
		case <-ready:
		case <-time.After(recoverEvery):
		}
	}
}

// close stops the watch and the server.
func (h *holder) close() error {
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.replier != nil {
		h.replier.Close()
	}
	if h.s != nil {
		h.s.Shutdown()
		h.s.WaitForShutdown()
	}
	return nil
}

// connect opens a log on the holder's server, in-process, as its admin.
func (h *holder) connect(ctx context.Context, hl *health) (*Log, error) {
	s, err := h.server(ctx)
	if err != nil {
		return nil, err
	}
	// No reconnect: a restarted server is a new one, connected to anew.
	opts := append([]nats.Option{nats.InProcessServer(s), nats.UserInfo(AdminUser, h.admin), nats.Name("dcmove"), nats.NoReconnect()}, watchHandlers(hl)...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("events: connect to embedded server: %w", err)
	}
	l, err := NewLog(ctx, nc, 1)
	if err != nil {
		nc.Close()
		return nil, err
	}
	l.s.served = s.ClientURL()
	l.h = hl
	hl.attach(nc)
	// The server restarts when its disk filled up: the log connects again.
	l.reopen = h.connect
	return l, nil
}

// startEmbedded starts the server on o.DataDir in this process; unlock
// releases the data directory's lock, which the caller holds.
func startEmbedded(ctx context.Context, o Options, unlock func(), hl *health) (*Log, error) {
	host, port, err := ParseListen(o.Listen)
	if err != nil {
		return nil, err
	}
	h, err := startHolder(filepath.Join(o.DataDir, "jetstream"), host, port)
	if err != nil {
		return nil, err
	}
	l, err := h.connect(ctx, hl)
	if err == nil {
		// The crew cannot create the checkpoint bucket: the holder does,
		// before anyone joins.
		_, err = l.Checkpoints(ctx)
	}
	if err != nil {
		if l != nil {
			l.Close()
		}
		h.close()
		return nil, err
	}
	path := filepath.Join(o.DataDir, ServerFileName)
	f := serverFile{URL: l.s.served, User: CrewUser, Password: h.crew, PID: os.Getpid(), Started: time.Now().UTC()}
	if err := writeFileAtomic(path, f); err != nil {
		l.Close()
		h.close()
		return nil, err
	}
	l.closers = append(l.closers,
		func() error { unlock(); return nil },
		h.close,
		func() error { return removeIfOurs(path, f) },
	)
	return l, nil
}

// StoreHealth asks the process holding the embedded data directory how its
// store's writes go. A log on a --server, or a holder from before this
// question, answers the zero StoreHealth.
func (l *Log) StoreHealth(ctx context.Context) (StoreHealth, error) {
	s := l.current()
	if s == nil {
		return StoreHealth{}, errClosed
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	m, err := s.nc.RequestWithContext(ctx, HealthSubject, nil)
	if errors.Is(err, nats.ErrNoResponders) && l.reopener() != nil {
		// A holder that has just restarted its server may not answer
		// yet: ask once more.
		time.Sleep(300 * time.Millisecond)
		m, err = s.nc.RequestWithContext(ctx, HealthSubject, nil)
	}
	if errors.Is(err, nats.ErrNoResponders) {
		return StoreHealth{}, nil
	}
	if err != nil {
		return StoreHealth{}, fmt.Errorf("events: store health: %w", translate(err))
	}
	var h StoreHealth
	if err := json.Unmarshal(m.Data, &h); err != nil {
		return StoreHealth{}, fmt.Errorf("events: store health: %w", err)
	}
	return h, nil
}

// notWritable reports whether err comes from a data directory that cannot
// be written: a read-only file system, a full disk, no permission.
func notWritable(err error) bool {
	if errors.Is(err, fs.ErrPermission) {
		return true
	}
	s := err.Error()
	for _, why := range []string{"read-only file system", "no space left", "disk quota exceeded", "permission denied"} {
		if strings.Contains(s, why) {
			return true
		}
	}
	return false
}

// openReadOnlyCopy serves a copy of o.DataDir's store, made in a temporary
// directory, in this process only (no listener, no server file): for a
// command that only reads a data directory it cannot write (cause). The
// copy is removed on Close; nothing is written to o.DataDir.
func openReadOnlyCopy(ctx context.Context, o Options, cause error) (*Log, error) {
	src := filepath.Join(o.DataDir, "jetstream")
	var dir string
	var err error
	// The system's temporary directory, or memory (/dev/shm) when that
	// is on the full disk too.
	for _, base := range []string{"", "/dev/shm"} {
		if dir, err = os.MkdirTemp(base, "dcmove-readonly-"); err != nil {
			continue
		}
		if err = copyTree(src, filepath.Join(dir, "jetstream")); err == nil {
			break
		}
		os.RemoveAll(dir)
		dir = ""
	}
	if dir == "" {
		return nil, fmt.Errorf("events: data directory %s cannot be written (%v), and copying it to read it failed: %w", o.DataDir, cause, err)
	}
	s, err := StartServer(filepath.Join(dir, "jetstream"), "", 0, "")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	nc, err := nats.Connect("", nats.InProcessServer(s), nats.Name("dcmove"))
	var l *Log
	if err == nil {
		l, err = NewLog(ctx, nc, 1)
	}
	if err != nil {
		if nc != nil {
			nc.Close()
		}
		s.Shutdown()
		os.RemoveAll(dir)
		return nil, err
	}
	l.h = &health{}
	l.readOnlyCopy = fmt.Sprintf("data directory %s cannot be written (%v): reading a copy of it", o.DataDir, cause)
	l.closers = append(l.closers,
		func() error { os.RemoveAll(dir); return nil },
		func() error { s.Shutdown(); s.WaitForShutdown(); return nil },
	)
	return l, nil
}

// copyTree copies the regular files and directories under src to dst. A
// src that does not exist copies nothing (an empty data directory).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path == src {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o700)
		case !d.Type().IsRegular():
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
