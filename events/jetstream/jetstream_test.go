package jetstream_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/events/logtest"
	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// openEmbedded opens a log on a fresh embedded server in a temp directory.
func openEmbedded(t *testing.T) events.Log {
	t.Helper()
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// openTCP opens a log through a NATS URL, as `--server` does, on a server
// listening on a random loopback port.
func openTCP(t *testing.T) events.Log {
	t.Helper()
	s, err := jetstream.StartServer(t.TempDir(), "127.0.0.1", -1, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	l, err := jetstream.Open(context.Background(), jetstream.Options{ServerURL: s.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestJetStreamLogEmbedded(t *testing.T) { logtest.Run(t, openEmbedded) }

func TestJetStreamLogTCP(t *testing.T) { logtest.Run(t, openTCP) }

func started(t *testing.T, run string) events.Envelope {
	t.Helper()
	e, err := events.New(time.Now(), events.Origin{Run: run, Actor: "alice"}, "", events.CutoverStarted{Plan: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func count(t *testing.T, l events.Log, run string) int {
	t.Helper()
	n := 0
	for _, err := range l.Read(context.Background(), run, 0) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

func TestReopenKeepsEvents(t *testing.T) {
	dir := t.TempDir()
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), "r1", 0, started(t, "r1")); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, jetstream.ServerFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server file left after close: %v", err)
	}
	l, err = jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if n := count(t, l, "r1"); n != 1 {
		t.Fatalf("after reopen the run holds %d events, want 1", n)
	}
}

func TestSecondProcessJoinsTheHolder(t *testing.T) {
	dir := t.TempDir()
	holder, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	// A second Open on the same directory cannot take the lock (flock is per
	// open file, so this works within one process too) and joins over TCP.
	joiner, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if joiner.Conn().ConnectedUrl() == "" {
		t.Fatal("joiner is not connected over the network")
	}
	if _, err := joiner.Append(context.Background(), "r1", 0, started(t, "r1")); err != nil {
		t.Fatal(err)
	}
	joiner.Close()
	if n := count(t, holder, "r1"); n != 1 {
		t.Fatalf("holder sees %d events written by the joiner, want 1", n)
	}
}

func TestStaleServerFileIgnored(t *testing.T) {
	dir := t.TempDir()
	stale := `{"url":"nats://127.0.0.1:1","token":"x","pid":999999,"started":"2026-01-01T00:00:00Z"}`
	if err := os.WriteFile(filepath.Join(dir, jetstream.ServerFileName), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("stale server file not ignored: %v", err)
	}
	defer l.Close()
	b, _ := os.ReadFile(filepath.Join(dir, jetstream.ServerFileName))
	if string(b) == stale {
		t.Fatal("stale server file not replaced")
	}
}

func TestServerGoneIsUnavailable(t *testing.T) {
	s, err := jetstream.StartServer(t.TempDir(), "127.0.0.1", -1, "")
	if err != nil {
		t.Fatal(err)
	}
	l, err := jetstream.Open(context.Background(), jetstream.Options{ServerURL: s.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s.Shutdown()
	s.WaitForShutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = l.Append(ctx, "r1", 0, started(t, "r1"))
	if !errors.Is(err, events.ErrUnavailable) {
		t.Fatalf("append to a stopped server: err = %v, want ErrUnavailable", err)
	}
	if _, err := jetstream.Open(context.Background(), jetstream.Options{ServerURL: s.ClientURL()}); !errors.Is(err, events.ErrUnavailable) {
		t.Fatalf("open of a stopped server: err = %v, want ErrUnavailable", err)
	}
}

func TestForeignMessagesAreMarkedNotFatal(t *testing.T) {
	l := openEmbedded(t).(*jetstream.Log)
	defer l.Close()
	if _, err := l.Append(context.Background(), "r1", 0, started(t, "r1")); err != nil {
		t.Fatal(err)
	}
	// Someone publishes junk onto the run's subjects with another tool.
	nc := l.Conn()
	if _, err := nc.Request("dcmove.r1.step.x", []byte("not json"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	m := nats.NewMsg("dcmove.r1.step.y")
	m.Data = []byte(`{"specversion":"1.0","id":"u1","type":"dcmove.step.teleported","run":"r1","subject":"step/y","time":"2026-12-05T08:00:00Z","dataversion":3}`)
	if _, err := nc.RequestMsg(m, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	var recs []events.Record
	for r, err := range l.Read(context.Background(), "r1", 0) {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 {
		t.Fatalf("read %d records, want 3", len(recs))
	}
	if recs[1].Malformed == nil {
		t.Error("junk message not marked malformed")
	}
	if recs[2].Malformed != nil {
		t.Fatalf("well-formed envelope of an unknown type marked malformed: %v", recs[2].Malformed)
	}
	if _, err := recs[2].Decode(); !errors.Is(err, events.ErrUnknownType) {
		t.Errorf("decode of unknown type: err = %v, want ErrUnknownType", err)
	}
}

// Every command reads the run; the server allows 1,000 consumers per stream
// and keeps an ordered consumer 5 minutes after its client stops. Reads
// must clean up after themselves.
func TestManyReadsLeaveNoConsumers(t *testing.T) {
	l := openEmbedded(t).(*jetstream.Log)
	defer l.Close()
	if _, err := l.Append(context.Background(), "r1", 0, started(t, "r1")); err != nil {
		t.Fatal(err)
	}
	for i := range 1200 {
		if n := count(t, l, "r1"); n != 1 {
			t.Fatalf("read %d: %d events", i, n)
		}
	}
	js, _ := jsapi.New(l.Conn())
	st, err := js.Stream(context.Background(), jetstream.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers > 5 {
		t.Fatalf("%d consumers left on the stream after 1,200 reads", info.State.Consumers)
	}
}
