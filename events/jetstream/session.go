package jetstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// session is one connection to the server that holds the event log, and
// what this process releases with it (the embedded server it runs, the data
// directory's lock).
type session struct {
	nc     *nats.Conn
	js     jsapi.JetStream
	stream jsapi.Stream
	// served is the address other processes reach the embedded server at,
	// when this process runs it.
	served string
	// crew says the connection holds the embedded server's crew
	// credential, which may not write checkpoints.
	crew bool

	kvMu sync.Mutex
	kv   jsapi.KeyValue // the checkpoint bucket, once opened
}

func (s *session) close() {
	if s.nc != nil {
		// Every append waits for its acknowledgement, so nothing is in
		// flight to drain.
		s.nc.Close()
	}
}

// current returns the session the log works on now.
func (l *Log) current() *session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

// reopener returns how the log opens its data directory again (nil: it
// does not).
func (l *Log) reopener() func(context.Context, *health) (*Log, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reopen
}

// maxRejoins is how many times one operation follows the holder of an
// embedded data directory from one process to the next.
const maxRejoins = 10

// serverRetry is how long an operation on a --server keeps trying while
// the server answers that it cannot (a cluster electing a stream leader,
// a connection being re-established to another node).
const serverRetry = 20 * time.Second

// do runs op on the current session until it succeeds or [Log.again] says
// to give up. op must be safe to repeat, which appends are by their event
// ids (see [Log.Append]).
func (l *Log) do(ctx context.Context, op func(*session) error) error {
	var t tries
	for {
		s := l.current()
		if s == nil {
			return errClosed
		}
		err := op(s)
		if err == nil {
			return nil
		}
		if err := l.again(ctx, s, err, &t); err != nil {
			return err
		}
	}
}

// tries counts what an operation went through.
type tries struct {
	rejoins int
	waits   int
	first   time.Time
}

// again decides, after op failed with err on session s, whether to try
// again (it returns nil) or give up (it returns the error to report):
//
//   - On an embedded data directory held by another dcmove process, when
//     that process exits (its server goes with it), it opens the data
//     directory again (this process serves it if nobody else does).
//   - On a --server that answers it is unavailable, it waits a little,
//     longer each time, for up to serverRetry: a cluster that lost a node
//     elects new leaders in a few seconds, and nats reconnects to another
//     node by itself.
func (l *Log) again(ctx context.Context, s *session, err error, t *tries) error {
	if ctx.Err() != nil {
		return err
	}
	if l.reopener() != nil {
		if t.rejoins == maxRejoins || !l.lost(ctx, s, err) {
			return err
		}
		t.rejoins++
		return l.rejoin(ctx, s)
	}
	if !errors.Is(err, events.ErrUnavailable) || s.nc.IsClosed() {
		return err
	}
	if t.first.IsZero() {
		t.first = time.Now()
	}
	if time.Since(t.first) > serverRetry {
		return err
	}
	wait := min(50*time.Millisecond<<t.waits, time.Second)
	t.waits++
	select {
	case <-ctx.Done():
		return err
	case <-time.After(wait):
		return nil
	}
}

var errClosed = errors.New("events: the event log is closed")

// lost reports whether err came from losing the holder of the embedded data
// directory: the connection to it closed (a joiner never reconnects to a
// holder's address: the next holder listens elsewhere).
func (l *Log) lost(ctx context.Context, s *session, err error) bool {
	if l.reopener() == nil || ctx.Err() != nil {
		return false
	}
	if s.nc.IsClosed() {
		return true
	}
	if !errors.Is(err, events.ErrUnavailable) {
		return false
	}
	// A holder that exits stops its JetStream before it closes the
	// connections: a request in between finds no one to answer ("no
	// responders"), sometimes for more than a second on a busy machine.
	// Give the connection time to close; a holder that is alive but does
	// not answer (a request timed out) keeps it open, and the error
	// stands.
	wait := 500 * time.Millisecond
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jsapi.ErrNoStreamResponse) {
		wait = 5 * time.Second
	}
	deadline := time.Now().Add(wait)
	for !s.nc.IsClosed() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// rejoin replaces the session old, lost with its holder, by a session on
// whoever holds the data directory now; if another call did already, it
// does nothing.
func (l *Log) rejoin(ctx context.Context, old *session) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s != old {
		return nil
	}
	l.h.attach(nil)
	old.close()
	l.h.lost(errors.New("the dcmove process that served the data directory exited"))
	n, err := l.reopen(ctx, l.h)
	if err != nil {
		// old stays, closed: the next operation tries again.
		l.h.lost(err)
		return fmt.Errorf("%w: the dcmove process that served the data directory exited, and opening it again failed: %v (run dcmove serve --data-dir DIR in a terminal of its own, so that commands do not depend on one another)", events.ErrUnavailable, err)
	}
	// What the new session holds (the server, if this process serves the
	// directory now) is released with the log, and the log reopens as
	// the new session does.
	l.s, n.s = n.s, nil
	l.closers, n.closers = append(l.closers, n.closers...), nil
	l.reopen = n.reopen
	l.h.attach(l.s.nc)
	l.h.found()
	return nil
}

// health is whether a log reaches the server that holds the events: since
// when it has not, and why (a zero time: it does).
type health struct {
	mu    sync.Mutex
	since time.Time
	why   error
	// nc is the connection the log works on: what the handlers of an
	// earlier one report (closed when the log moved on) is not news.
	nc *nats.Conn
	// silence is how long a server goes without answering before nats
	// calls the connection stale (see [keepAliveOptions]).
	silence time.Duration
}

// attach makes nc the connection h follows.
func (h *health) attach(nc *nats.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nc = nc
}

// current reports whether nc is the connection h follows. Before the
// first attach, and while a rejoin replaces the connection (which reports
// the loss itself), no connection's news is h's: a join attempt that
// failed, or the connection left behind, closes later.
func (h *health) current(nc *nats.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.nc != nil && h.nc == nc
}

func (h *health) lost(why error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.since.IsZero() {
		h.since = time.Now()
		if errors.Is(why, nats.ErrStaleConnection) {
			// The server stopped answering when the pings began to go
			// unanswered, not when nats gave up on them.
			h.since = h.since.Add(-h.silence)
		}
	}
	if why != nil {
		h.why = why
	}
}

// explain says why the log is cut off, if it is.
func (h *health) explain(why error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.since.IsZero() {
		h.why = why
	}
}

func (h *health) found() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.since, h.why = time.Time{}, nil
}

// Lost reports since when the log has been cut off from the server that
// holds the events, and why; a zero time when it reaches it. A log that
// follows the holder of an embedded data directory is cut off while it
// opens the directory again; a log on a --server while nats reconnects.
func (l *Log) Lost() (since time.Time, why error) {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	return l.h.since, l.h.why
}

// watchHandlers keep h up to date with the connection's state.
func watchHandlers(h *health) []nats.Option {
	return []nats.Option{
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if !h.current(nc) {
				return
			}
			if err == nil {
				err = errors.New("disconnected from the server")
			}
			h.lost(err)
		}),
		// nats prints asynchronous errors on stderr unless told otherwise:
		// a server refusing the credentials while the log reconnects says
		// why it is cut off.
		nats.ErrorHandler(func(nc *nats.Conn, _ *nats.Subscription, err error) {
			if h.current(nc) {
				h.explain(err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			if h.current(nc) {
				h.found()
			}
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if !h.current(nc) {
				return
			}
			if err := nc.LastError(); err != nil {
				h.lost(err)
			} else {
				h.lost(errors.New("connection closed"))
			}
		}),
	}
}

// keepAliveOptions are the connection options of a log opened with
// [Options.KeepAlive]; they set h.silence. A server that stops answering
// (a holder stopped, a machine frozen) is noticed after two pings
// unanswered: 300 ms apart on the embedded store, which is on this
// machine, and a second apart on a --server, which may be at the end of a
// slow link that must not be taken for a dead one. A --server is
// reconnected to for as long as it takes, even when it first refuses the
// credentials (it may come back with them).
func keepAliveOptions(h *health, remote bool) []nats.Option {
	ping := 300 * time.Millisecond
	if remote {
		ping = time.Second
	}
	const pings = 2
	h.mu.Lock()
	h.silence = pings * ping
	h.mu.Unlock()
	opts := []nats.Option{nats.PingInterval(ping), nats.MaxPingsOutstanding(pings)}
	if remote {
		opts = append(opts, nats.MaxReconnects(-1), nats.ReconnectWait(time.Second), nats.IgnoreAuthErrorAbort())
	}
	return opts
}
