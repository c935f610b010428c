package jetstream_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// timerWait is how long a test waits for a timer: generous, since the
// server's schedules have one-second resolution.
const timerWait = 10 * time.Second

func cooldown(t *testing.T, run, asset string) events.Envelope {
	t.Helper()
	now := time.Now()
	e, err := events.New(now, events.Origin{Run: run, Actor: "dcmove"}, "asset/"+asset,
		events.CooldownElapsed{Asset: asset, Due: now.Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// await follows run until a record with id arrives, and fails the test if
// none does within timerWait.
func await(t *testing.T, l events.Log, run, id string) events.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timerWait)
	defer cancel()
	for r, err := range l.Follow(ctx, run, 0) {
		if err != nil {
			t.Fatalf("event %s did not arrive in run %s: %v", id, run, err)
		}
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("follow of %s ended", run)
	return events.Record{}
}

func streamConfig(t *testing.T, js jsapi.JetStream, name string) jsapi.StreamConfig {
	t.Helper()
	st, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return st.CachedInfo().Config
}

func checkEventStream(t *testing.T, cfg jsapi.StreamConfig) {
	t.Helper()
	if cfg.AllowMsgSchedules || cfg.AllowRollup || !cfg.DenyPurge || !cfg.DenyDelete || !cfg.AllowAtomicPublish {
		t.Errorf("%s: schedules %v, roll-up %v, deny purge %v, deny delete %v, atomic %v; want false false true true true",
			cfg.Name, cfg.AllowMsgSchedules, cfg.AllowRollup, cfg.DenyPurge, cfg.DenyDelete, cfg.AllowAtomicPublish)
	}
	n := 0
	for _, s := range cfg.Sources {
		if s.Name == jetstream.TimersStreamName {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%s sources %s %d times, want once: %+v", cfg.Name, jetstream.TimersStreamName, n, cfg.Sources)
	}
}

// TestTimerEngineFacts pins down the JetStream behaviour the timers rely on,
// so that a server upgrade that changes it fails here first.
func TestTimerEngineFacts(t *testing.T) {
	ctx := context.Background()
	l := openEmbedded(t).(*jetstream.Log)
	defer l.Close()
	js, err := jsapi.New(l.Conn())
	if err != nil {
		t.Fatal(err)
	}

	// Schedules force roll-up on and purge protection off, which is why
	// the event stream does not hold them.
	probe, err := js.CreateStream(ctx, jsapi.StreamConfig{Name: "PROBE", Subjects: []string{"probe.>"},
		AllowMsgSchedules: true, DenyPurge: true, DenyDelete: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := probe.CachedInfo().Config; !c.AllowRollup || c.DenyPurge {
		t.Errorf("a stream with schedules: roll-up %v, deny purge %v; the event stream design assumes true, false", c.AllowRollup, c.DenyPurge)
	}
	checkEventStream(t, streamConfig(t, js, jetstream.StreamName))
	if c := streamConfig(t, js, jetstream.TimersStreamName); !c.AllowMsgSchedules {
		t.Errorf("%s does not allow message schedules", jetstream.TimersStreamName)
	}

	e := cooldown(t, "r1", "web1")
	if err := l.Schedule(ctx, e, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	r := await(t, l, "r1", e.ID)

	// The copy in the event stream was sourced and carries no
	// de-duplication id: the scheduler strips it.
	evs, err := js.Stream(ctx, jetstream.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	m, err := evs.GetMsg(ctx, r.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "dcmove.r1.asset.web1" {
		t.Errorf("fired event on %s, want dcmove.r1.asset.web1", m.Subject)
	}
	if id := m.Header.Get(jsapi.MsgIDHeader); id != "" {
		t.Errorf("the fired copy carries Nats-Msg-Id %q: the server now keeps it; Schedule's doc says readers must tolerate duplicates", id)
	}
	if m.Header.Get("Nats-Stream-Source") == "" {
		t.Error("fired event has no Nats-Stream-Source header: not sourced?")
	}

	// A one-shot schedule does not stay: the server purges it when it
	// fires, and the fired copy in the timers stream is the record.
	tms, err := js.Stream(ctx, jetstream.TimersStreamName)
	if err != nil {
		t.Fatal(err)
	}
	fired, err := tms.GetLastMsgForSubject(ctx, "dcmove-timers.fired.r1.asset.web1")
	if err != nil {
		t.Fatalf("no fired copy in %s: %v", jetstream.TimersStreamName, err)
	}
	sched := fired.Header.Get("Nats-Scheduler")
	if sched != "dcmove-timers.schedule.r1.asset.web1."+e.ID {
		t.Errorf("fired copy names schedule %q", sched)
	}
	if _, err := tms.GetLastMsgForSubject(ctx, sched); !errors.Is(err, jsapi.ErrMsgNotFound) {
		t.Errorf("schedule message after it fired: err = %v, want it purged", err)
	}
}

// TestTimerDueWhileServerDownFiresOnReopen checks that a timer due while no
// process holds the data directory (the embedded server is down) fires when
// the next one opens it.
func TestTimerDueWhileServerDownFiresOnReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	seq, err := l.Append(ctx, "r1", 0, started(t, "r1"))
	if err != nil {
		t.Fatal(err)
	}
	e := cooldown(t, "r1", "web1")
	if err := l.Schedule(ctx, e, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // past due, no server running
	l, err = jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := await(t, l, "r1", e.ID)
	if r.Seq <= seq || r.Type != events.TypeCooldownElapsed {
		t.Fatalf("fired %s at seq %d, after %d", r.Type, r.Seq, seq)
	}
	if n := count(t, l, "r1"); n != 2 {
		t.Fatalf("run holds %d events, want 2", n)
	}
}

// oldEventStream is the event stream as dcmove created it before timers.
var oldEventStream = jsapi.StreamConfig{
	Name:               jetstream.StreamName,
	Description:        "dcmove event log: every step of every datacenter move",
	Subjects:           []string{jetstream.SubjectPrefix + ".>"},
	Storage:            jsapi.FileStorage,
	Replicas:           1,
	Retention:          jsapi.LimitsPolicy,
	Duplicates:         15 * time.Minute,
	AllowAtomicPublish: true,
	DenyDelete:         true,
	DenyPurge:          true,
	AllowDirect:        true,
	MaxMsgSize:         1 << 20, // a setting of the operator's, to keep
}

func TestOldEventStreamGetsTimerSource(t *testing.T) {
	ctx := context.Background()
	nc, js := inProcessServer(t)
	if _, err := js.CreateStream(ctx, oldEventStream); err != nil {
		t.Fatal(err)
	}
	old, err := jetstream.NewLog(ctx, nc, 1)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := old.Append(ctx, "r1", 0, started(t, "r1"))
	if err != nil {
		t.Fatal(err)
	}
	// Opened again (as every dcmove command does), nothing changes.
	l, err := jetstream.NewLog(ctx, nc, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := streamConfig(t, js, jetstream.StreamName)
	checkEventStream(t, cfg)
	if cfg.MaxMsgSize != oldEventStream.MaxMsgSize || cfg.Duplicates != oldEventStream.Duplicates {
		t.Errorf("settings lost: max msg size %d, duplicates %s", cfg.MaxMsgSize, cfg.Duplicates)
	}
	e := cooldown(t, "r1", "web1")
	if err := l.Schedule(ctx, e, time.Now()); err != nil {
		t.Fatal(err)
	}
	if r := await(t, l, "r1", e.ID); r.Seq <= seq {
		t.Fatalf("fired at seq %d, not after %d", r.Seq, seq)
	}
	if n := count(t, l, "r1"); n != 2 {
		t.Fatalf("run holds %d events, want the old one and the timer", n)
	}
}

func TestTimersStreamGetsSchedules(t *testing.T) {
	ctx := context.Background()
	nc, js := inProcessServer(t)
	// Made by hand, without schedules.
	if _, err := js.CreateStream(ctx, jsapi.StreamConfig{Name: jetstream.TimersStreamName, Subjects: []string{jetstream.TimersSubjectPrefix + ".>"}}); err != nil {
		t.Fatal(err)
	}
	l, err := jetstream.NewLog(ctx, nc, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !streamConfig(t, js, jetstream.TimersStreamName).AllowMsgSchedules {
		t.Fatal("schedules not enabled")
	}
	e := cooldown(t, "r1", "web1")
	if err := l.Schedule(ctx, e, time.Now()); err != nil {
		t.Fatal(err)
	}
	await(t, l, "r1", e.ID)
}

// inProcessServer starts an embedded server with no log opened on it yet,
// and returns a connection to it and its JetStream API.
func inProcessServer(t *testing.T) (*nats.Conn, jsapi.JetStream) {
	t.Helper()
	s, err := jetstream.StartServer(t.TempDir(), "", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jsapi.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
