package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dcmove/dcmove/events"
	"iter"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// StreamName is the JetStream stream that holds every run's events.
const StreamName = "DCMOVE"

// SubjectPrefix starts the NATS subject of every event: dcmove.<run>.<topic>.
const SubjectPrefix = "dcmove"

// duplicateWindow is how long JetStream remembers event ids to drop retries.
const duplicateWindow = 15 * time.Minute

// JetStream API error codes that dcmove translates.
const (
	codeWrongLastSeq           = 10071 // wrong last sequence
	codeWrongLastSeqReplicated = 10164 // the same, on a replicated stream
	codeBatchDuplicateID       = 10201 // atomic batch holds an id already stored
	codeClusterNotAvailable    = 10008 // JetStream system temporarily unavailable
	codeStreamOffline          = 10118 // stream is offline
)

// Log is the [Log] on a NATS JetStream stream.
type Log struct {
	mu sync.Mutex
	s  *session
	// reopen, on a log of an embedded data directory, opens the directory
	// again: when the process that held it exits, the log goes on with
	// whoever holds it next, or serves it (see [Log.do]).
	reopen func(context.Context, *health) (*Log, error)
	// closers run on Close, last first: the embedded server this process
	// runs, its lock, its server file, a read-only copy's directory.
	closers []func() error
	// readOnlyCopy, when set, says why the log is a copy of a data
	// directory that cannot be written (see [Options.ReadOnly]).
	readOnlyCopy string
	// h says whether the log reaches its server (see [Log.Lost]).
	h *health
}

var _ events.Log = (*Log)(nil)

// NewLog returns a log on the connection, creating the event and
// timer streams if they do not exist yet (with replicas copies) and enabling
// the features dcmove relies on if existing streams lack them.
func NewLog(ctx context.Context, nc *nats.Conn, replicas int) (*Log, error) {
	js, err := jsapi.New(nc)
	if err != nil {
		return nil, fmt.Errorf("events: jetstream: %w", err)
	}
	st, err := ensureStream(ctx, js, replicas)
	if err != nil {
		return nil, err
	}
	return &Log{s: &session{nc: nc, js: js, stream: st}, h: &health{}}, nil
}

func ensureStream(ctx context.Context, js jsapi.JetStream, replicas int) (jsapi.Stream, error) {
	if replicas < 1 {
		replicas = 1
	}
	st, err := js.Stream(ctx, StreamName)
	exists := err == nil
	if err != nil && !errors.Is(err, jsapi.ErrStreamNotFound) {
		return nil, fmt.Errorf("events: open stream %s: %w", StreamName, translate(err))
	}
	if exists {
		// The timers keep as many copies as the events they become.
		replicas = st.CachedInfo().Config.Replicas
	}
	// The timers stream comes first: the event stream sources it.
	if err := ensureTimersStream(ctx, js, replicas); err != nil {
		return nil, err
	}
	if !exists {
		st, err = js.CreateStream(ctx, jsapi.StreamConfig{
			Name:               StreamName,
			Description:        "dcmove event log: every step of every datacenter move",
			Subjects:           []string{SubjectPrefix + ".>"},
			Storage:            jsapi.FileStorage,
			Replicas:           replicas,
			Retention:          jsapi.LimitsPolicy,
			Duplicates:         duplicateWindow,
			AllowAtomicPublish: true,
			// No AllowMsgSchedules here: the server then forces AllowRollup
			// on and DenyPurge off, and a roll-up erases history. Timers
			// live in a stream of their own, whose fired copies this one
			// sources.
			DenyDelete:  true,
			DenyPurge:   true,
			AllowDirect: true,
			Sources:     []*jsapi.StreamSource{timerSource()},
		})
		if err != nil {
			return nil, fmt.Errorf("events: create stream %s: %w", StreamName, translate(err))
		}
		return st, nil
	}
	cfg := st.CachedInfo().Config
	if cfg.AllowAtomicPublish && cfg.DenyDelete && cfg.DenyPurge && !cfg.AllowRollup && hasTimerSource(cfg) {
		return st, nil
	}
	// A stream made by an older dcmove: enable what is missing, keep the
	// rest of its settings.
	cfg.AllowAtomicPublish, cfg.DenyDelete, cfg.DenyPurge, cfg.AllowRollup = true, true, true, false
	if !hasTimerSource(cfg) {
		cfg.Sources = append(cfg.Sources, timerSource())
	}
	st, err = js.UpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("events: stream %s must allow atomic publish, deny delete, purge and roll-up, and take in the timers of %s, and updating it failed: %w", StreamName, TimersStreamName, translate(err))
	}
	return st, nil
}

func runFilter(run string) string { return SubjectPrefix + "." + run + ".>" }

func natsSubject(e events.Envelope) string { return SubjectPrefix + "." + e.Run + "." + e.Topic() }

// Append implements [Log].
func (l *Log) Append(ctx context.Context, run string, after uint64, evs ...events.Envelope) (uint64, error) {
	if len(evs) == 0 {
		return 0, errors.New("events: append: nothing to append")
	}
	if len(evs) > events.MaxBatch {
		return 0, fmt.Errorf("events: append: %d events in one atomic append, at most %d", len(evs), events.MaxBatch)
	}
	msgs := make([]*nats.Msg, len(evs))
	for i, e := range evs {
		if err := e.Check(); err != nil {
			return 0, err
		}
		if e.Run != run {
			return 0, fmt.Errorf("events: append to run %q: envelope %s belongs to run %q", run, e.ID, e.Run)
		}
		data, err := json.Marshal(e)
		if err != nil {
			return 0, fmt.Errorf("events: encode %s: %w", e.ID, err)
		}
		m := nats.NewMsg(natsSubject(e))
		m.Data = data
		m.Header.Set(jsapi.MsgIDHeader, e.ID)
		msgs[i] = m
	}
	if after != events.AnySequence {
		msgs[0].Header.Set(jsapi.ExpectedLastSubjSeqSubjHeader, runFilter(run))
		msgs[0].Header.Set(jsapi.ExpectedLastSubjSeqHeader, fmt.Sprint(after))
	}
	var last uint64
	err := l.do(ctx, func(s *session) error {
		var err error
		if len(msgs) == 1 {
			var ack *jsapi.PubAck
			if ack, err = s.js.PublishMsg(ctx, msgs[0]); err == nil {
				last = ack.Sequence
			}
		} else {
			var ack *jetstreamext.BatchAck
			if ack, err = jetstreamext.PublishMsgBatch(ctx, s.js, msgs); err == nil {
				last = ack.Sequence
			}
		}
		return translate(err)
	})
	if err == nil {
		return last, nil
	}
	if errors.Is(err, events.ErrConflict) || errors.Is(err, events.ErrDuplicate) {
		// The server checks the expected sequence before it drops
		// duplicates, and rejects a whole batch that repeats an id. Either
		// way, if these very events are already stored this is a retry of
		// an append that landed (or an append repeated on the next holder
		// of the data directory): report it as done.
		if seq, found := l.stored(ctx, run, after, evs); found {
			return seq, nil
		}
	}
	if errors.Is(err, events.ErrUnavailable) {
		// The holder of an embedded store knows when its disk is full.
		if h, herr := l.StoreHealth(ctx); herr == nil && h.Failing() {
			return 0, fmt.Errorf("append %s: %w: the event store cannot write since %s (%s); nothing was recorded: free space on the disk of the data directory, and dcmove serve takes writes again by itself",
				describe(evs), events.ErrUnavailable, h.FailingSince.Format(time.RFC3339), h.Error)
		}
	}
	return 0, fmt.Errorf("append %s: %w", describe(evs), err)
}

func describe(evs []events.Envelope) string {
	if len(evs) == 1 {
		return evs[0].Type
	}
	return fmt.Sprintf("%d events", len(evs))
}

// stored reports whether the envelopes are already in the run, stored after
// sequence after, and the sequence of the last of them.
func (l *Log) stored(ctx context.Context, run string, after uint64, evs []events.Envelope) (uint64, bool) {
	from := after + 1
	if after == events.AnySequence {
		from = 0
	}
	want := make(map[string]bool, len(evs))
	for _, e := range evs {
		want[e.ID] = true
	}
	var last uint64
	for r, err := range l.Read(ctx, run, from) {
		if err != nil {
			return 0, false
		}
		if want[r.ID] {
			delete(want, r.ID)
			last = r.Seq
			if len(want) == 0 {
				return last, true
			}
		}
	}
	return 0, false
}

// translate maps NATS errors onto the package's sentinels, keeping the
// original text.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var apiErr *jsapi.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case codeWrongLastSeq, codeWrongLastSeqReplicated:
			return fmt.Errorf("%w (%s)", events.ErrConflict, apiErr.Description)
		case codeBatchDuplicateID:
			return fmt.Errorf("%w (%s)", events.ErrDuplicate, apiErr.Description)
		case codeClusterNotAvailable, codeStreamOffline:
			// A cluster without a leader for the stream, for now.
			return fmt.Errorf("%w: %s", events.ErrUnavailable, apiErr.Description)
		}
		return err
	}
	switch {
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, nats.ErrDisconnected), errors.Is(err, jsapi.ErrNoStreamResponse):
		return fmt.Errorf("%w: %v", events.ErrUnavailable, err)
	}
	return err
}

// Read implements [Log].
func (l *Log) Read(ctx context.Context, run string, from uint64) iter.Seq2[events.Record, error] {
	return func(yield func(events.Record, error) bool) {
		last, err := l.lastSeq(ctx, runFilter(run))
		if err != nil {
			yield(events.Record{}, err)
			return
		}
		if last == 0 || last < from {
			return
		}
		l.follow(ctx, run, from, last, yield)
	}
}

// Follow implements [Log].
func (l *Log) Follow(ctx context.Context, run string, from uint64) iter.Seq2[events.Record, error] {
	return func(yield func(events.Record, error) bool) {
		l.follow(ctx, run, from, 0, yield)
	}
}

// follow yields the run's records from sequence from on, up to sequence
// until (0: until the caller stops or ctx ends). When the holder of an
// embedded data directory exits, it goes on from the next record with
// whoever holds the directory next.
func (l *Log) follow(ctx context.Context, run string, from, until uint64, yield func(events.Record, error) bool) {
	next := from
	var t tries
	for {
		s := l.current()
		if s == nil {
			yield(events.Record{}, errClosed)
			return
		}
		var failed error
		for r, err := range s.consume(ctx, run, next) {
			if err != nil {
				failed = err
				break
			}
			next = r.Seq + 1
			if !yield(r, nil) || (until != 0 && r.Seq >= until) {
				return
			}
		}
		if failed == nil {
			return
		}
		if err := l.again(ctx, s, failed, &t); err != nil {
			yield(events.Record{}, err)
			return
		}
	}
}

// lastSeq returns the sequence of the last message on subject, 0 if none.
func (l *Log) lastSeq(ctx context.Context, subject string) (uint64, error) {
	var last uint64
	err := l.do(ctx, func(s *session) error {
		m, err := s.stream.GetLastMsgForSubject(ctx, subject)
		switch {
		case errors.Is(err, jsapi.ErrMsgNotFound):
			last = 0
		case err != nil:
			return fmt.Errorf("events: last sequence of %s: %w", subject, translate(err))
		default:
			last = m.Sequence
		}
		return nil
	})
	return last, err
}

// consume yields the run's records from sequence from on, with an ordered
// consumer (no server-side state to clean up), until the caller stops, ctx
// ends or the connection fails.
func (l *session) consume(ctx context.Context, run string, from uint64) iter.Seq2[events.Record, error] {
	return func(yield func(events.Record, error) bool) {
		// The server keeps an ordered consumer for 5 minutes after its
		// client stops, and a stream holds at most 1,000: every command
		// reads, so the consumer is deleted when the read ends (and would
		// expire after 30 s if this process died first).
		//
		// Its reset (a new consumer after a gap or a lost connection) is
		// tried three times (1, 2 and 4 s apart), not forever: when the
		// holder of a data directory exits, the read fails and follow
		// goes on with the next holder (a command hung for minutes).
		cfg := jsapi.OrderedConsumerConfig{FilterSubjects: []string{runFilter(run)}, InactiveThreshold: 30 * time.Second, MaxResetAttempts: 3}
		if from > 1 {
			cfg.DeliverPolicy = jsapi.DeliverByStartSequencePolicy
			cfg.OptStartSeq = from
		}
		cons, err := l.stream.OrderedConsumer(ctx, cfg)
		if err != nil {
			yield(events.Record{}, fmt.Errorf("events: read run %s: %w", run, translate(err)))
			return
		}
		it, err := cons.Messages()
		if err != nil {
			yield(events.Record{}, fmt.Errorf("events: read run %s: %w", run, translate(err)))
			return
		}
		defer l.deleteConsumer(cons)
		defer it.Stop()
		stop := context.AfterFunc(ctx, it.Stop)
		defer stop()
		for {
			m, err := it.Next()
			if err != nil {
				switch {
				case ctx.Err() != nil:
					err = ctx.Err()
				case errors.Is(err, jsapi.ErrMsgIteratorClosed) || l.nc.IsClosed():
					err = fmt.Errorf("%w: the connection to the event store closed", events.ErrUnavailable)
				default:
					err = translate(err)
				}
				yield(events.Record{}, fmt.Errorf("events: read run %s: %w", run, err))
				return
			}
			if !yield(decodeMsg(m), nil) {
				return
			}
		}
	}
}

// deleteConsumer removes a read's consumer from the server.
func (l *session) deleteConsumer(cons jsapi.Consumer) {
	info := cons.CachedInfo()
	if info == nil || l.nc.IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l.js.DeleteConsumer(ctx, StreamName, info.Name)
}

func decodeMsg(m jsapi.Msg) events.Record {
	var r events.Record
	if md, err := m.Metadata(); err == nil {
		r.Seq, r.Stored = md.Sequence.Stream, md.Timestamp.UTC()
	}
	if err := json.Unmarshal(m.Data(), &r.Envelope); err != nil {
		r.Malformed = fmt.Errorf("events: message %d on %s is not a dcmove event: %w", r.Seq, m.Subject(), err)
	} else if err := r.Envelope.Check(); err != nil {
		r.Malformed = fmt.Errorf("events: message %d on %s: %w", r.Seq, m.Subject(), err)
	}
	return r
}

// LastRun implements [Log].
func (l *Log) LastRun(ctx context.Context) (string, error) {
	var m *jsapi.RawStreamMsg
	err := l.do(ctx, func(s *session) error {
		var err error
		m, err = s.stream.GetLastMsgForSubject(ctx, SubjectPrefix+".*."+startedTopic)
		if err != nil && !errors.Is(err, jsapi.ErrMsgNotFound) {
			return fmt.Errorf("events: find last run: %w", translate(err))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if m == nil {
		return "", events.ErrNoRun
	}
	var e events.Envelope
	if err := json.Unmarshal(m.Data, &e); err != nil || !events.ValidID(e.Run) {
		return "", fmt.Errorf("events: message %d on %s is not a dcmove event", m.Sequence, m.Subject)
	}
	return e.Run, nil
}

// startedTopic is the topic of [CutoverStarted], the first event of a run.
var startedTopic = events.Envelope{Type: events.TypeCutoverStarted}.Topic()

// Served returns the address of the embedded server when this process runs
// it, or "" when the log is a client of another process or server.
func (l *Log) Served() string {
	if s := l.current(); s != nil {
		return s.served
	}
	return ""
}

// Conn returns the NATS connection under the log (the current one: on an
// embedded data directory it changes when the holder does).
func (l *Log) Conn() *nats.Conn {
	if s := l.current(); s != nil {
		return s.nc
	}
	return nil
}

// Close implements [Log].
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s != nil {
		l.s.close()
		l.s = nil
	}
	var errs []error
	for i := len(l.closers) - 1; i >= 0; i-- {
		if err := l.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	l.closers = nil
	return errors.Join(errs...)
}

// ReadOnlyCopy says, when the log is a copy of a data directory that
// cannot be written (see [Options.ReadOnly]), why; "" otherwise.
func (l *Log) ReadOnlyCopy() string { return l.readOnlyCopy }
