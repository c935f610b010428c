package jetstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/dcmove/dcmove/events"
	"time"

	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// TimersStreamName is the JetStream stream that holds the timers of every
// run: the pending schedules, and a copy of each timer that fired.
//
// The server fires the timers; the event stream sources the fired ones. The
// event stream cannot hold the schedules itself: a stream that allows message
// schedules must allow roll-ups and purges, which would let history be erased.
const TimersStreamName = "DCMOVE_TIMERS"

// TimersSubjectPrefix starts the NATS subject of every timer message:
// dcmove-timers.schedule.<run>.<topic>.<timer> for a pending schedule, and
// dcmove-timers.fired.<run>.<topic> for the envelope it fires, which the
// event stream stores as dcmove.<run>.<topic>.
const TimersSubjectPrefix = "dcmove-timers"

const (
	scheduledPrefix = TimersSubjectPrefix + ".schedule."
	firedPrefix     = TimersSubjectPrefix + ".fired."
)

// timerSource is how the event stream takes in the timers that fired: it
// sources them from the timers stream and moves them onto the run's subjects.
func timerSource() *jsapi.StreamSource {
	return &jsapi.StreamSource{
		Name: TimersStreamName,
		SubjectTransforms: []jsapi.SubjectTransformConfig{{
			Source:      firedPrefix + ">",
			Destination: SubjectPrefix + ".>",
		}},
	}
}

// hasTimerSource reports whether cfg already sources the timers stream.
func hasTimerSource(cfg jsapi.StreamConfig) bool {
	for _, s := range cfg.Sources {
		if s != nil && s.Name == TimersStreamName {
			return true
		}
	}
	return false
}

// ensureTimersStream creates the timers stream if it does not exist yet and
// enables message schedules on it if it lacks them.
func ensureTimersStream(ctx context.Context, js jsapi.JetStream, replicas int) error {
	st, err := js.Stream(ctx, TimersStreamName)
	switch {
	case errors.Is(err, jsapi.ErrStreamNotFound):
		_, err = js.CreateStream(ctx, jsapi.StreamConfig{
			Name:        TimersStreamName,
			Description: "dcmove timers: schedules the server fires into the event log " + StreamName,
			Subjects:    []string{TimersSubjectPrefix + ".>"},
			Storage:     jsapi.FileStorage,
			Replicas:    replicas,
			Retention:   jsapi.LimitsPolicy,
			Duplicates:  duplicateWindow,
			// The server then also allows roll-ups and purges here: it
			// purges each one-shot schedule once it has fired.
			AllowMsgSchedules: true,
			DenyDelete:        true,
			AllowDirect:       true,
		})
		if err != nil {
			return fmt.Errorf("events: create stream %s: %w", TimersStreamName, translate(err))
		}
		return nil
	case err != nil:
		return fmt.Errorf("events: open stream %s: %w", TimersStreamName, translate(err))
	}
	cfg := st.CachedInfo().Config
	if cfg.AllowMsgSchedules {
		return nil
	}
	cfg.AllowMsgSchedules = true
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("events: stream %s must allow message schedules, and updating it failed: %w", TimersStreamName, translate(err))
	}
	return nil
}

// timerToken names a timer within its topic: the envelope id when it can be
// a subject token, else a digest of it. The server keeps one schedule per
// subject (a new one replaces the last), so two timers on one topic need
// subjects of their own, and a timer scheduled again under the same envelope
// id replaces its pending schedule rather than adding a second one.
func timerToken(id string) string {
	if events.ValidID(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h" + hex.EncodeToString(sum[:16])
}

// fireTime is the first whole second at or after at: the server's schedules
// have a resolution of one second, and a timer must never fire early.
func fireTime(at time.Time) time.Time {
	t := at.Truncate(time.Second)
	if t.Before(at) {
		t = t.Add(time.Second)
	}
	return t
}

// Schedule implements [Log].
//
// The envelope goes to the timers stream as a one-shot message schedule on
// dcmove-timers.schedule.<run>.<topic>.<timer> with the envelope id as
// Nats-Msg-Id. At the due time the server publishes it to
// dcmove-timers.fired.<run>.<topic> and purges the schedule; the event stream
// sources that copy onto dcmove.<run>.<topic>. The server strips Nats-Msg-Id
// from the copies it fires, so the copy in the event stream carries none:
// readers must tolerate seeing an envelope id twice (a Schedule retried after
// its first attempt fired and the duplicate window passed).
func (l *Log) Schedule(ctx context.Context, e events.Envelope, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("events: schedule %s: no due time", e.ID)
	}
	e.Time = at.UTC()
	if err := e.Check(); err != nil {
		return err
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("events: encode %s: %w", e.ID, err)
	}
	topic := e.Run + "." + e.Topic()
	m := nats.NewMsg(scheduledPrefix + topic + "." + timerToken(e.ID))
	m.Data = data
	err = l.do(ctx, func(s *session) error {
		_, err := s.js.PublishMsg(ctx, m,
			jsapi.WithMsgID(e.ID),
			jsapi.WithScheduleAt(fireTime(at)),
			jsapi.WithScheduleTarget(firedPrefix+topic),
		)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("schedule %s at %s: %w", e.Type, at.UTC().Format(time.RFC3339), err)
	}
	return nil
}
