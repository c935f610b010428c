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
	// closers run on close, last first.
	closers []func() error
	// served is the address other processes reach the embedded server at,
	// when this process runs it.
	served string
	// crew says the connection holds the embedded server's crew
	// credential, which may not write checkpoints.
	crew bool

	kvMu sync.Mutex
	kv   jsapi.KeyValue // the checkpoint bucket, once opened
}

func (s *session) close() error {
	var errs []error
	if s.nc != nil {
		// Every append waits for its acknowledgement, so nothing is in
		// flight to drain.
		s.nc.Close()
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	s.closers = nil
	return errors.Join(errs...)
}

// current returns the session the log works on now.
func (l *Log) current() *session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

// maxRejoins is how many times one operation follows the holder of an
// embedded data directory from one process to the next.
const maxRejoins = 10

// do runs op on the current session. On an embedded data directory held by
// another dcmove process, when that process exits (its server goes with it)
// do opens the data directory again (this process serves it if nobody else
// does) and runs op once more: op must be safe to repeat, which appends are
// by their event ids (see [Log.Append]).
func (l *Log) do(ctx context.Context, op func(*session) error) error {
	for rejoins := 0; ; rejoins++ {
		s := l.current()
		if s == nil {
			return errClosed
		}
		err := op(s)
		if err == nil || rejoins == maxRejoins || !l.lost(ctx, s, err) {
			return err
		}
		if rerr := l.rejoin(ctx, s); rerr != nil {
			return rerr
		}
	}
}

var errClosed = errors.New("events: the event log is closed")

// lost reports whether err came from losing the holder of the embedded data
// directory: the connection to it closed (a joiner never reconnects to a
// holder's address: the next holder listens elsewhere).
func (l *Log) lost(ctx context.Context, s *session, err error) bool {
	if l.reopen == nil || ctx.Err() != nil {
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
	// not answer keeps it open, and the error stands.
	deadline := time.Now().Add(5 * time.Second)
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
	old.close()
	n, err := l.reopen(ctx)
	if err != nil {
		// old stays, closed: the next operation tries again.
		return fmt.Errorf("%w: the dcmove process that served the data directory exited, and opening it again failed: %v (run dcmove serve --data-dir DIR in a terminal of its own, so that commands do not depend on one another)", events.ErrUnavailable, err)
	}
	l.s, n.s = n.s, nil
	return nil
}
