package jetstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// crewFile is what a process other than the holder reads in server.json.
type crewFile struct {
	URL      string `json:"url"`
	User     string `json:"user"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

func readServerFile(t *testing.T, dir string) crewFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, jetstream.ServerFileName))
	if err != nil {
		t.Fatal(err)
	}
	var f crewFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// violations collects the permission violations the server reports to a
// connection.
type violations struct {
	mu   sync.Mutex
	errs []string
}

func (v *violations) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	if errors.Is(err, nats.ErrPermissionViolation) {
		v.mu.Lock()
		v.errs = append(v.errs, err.Error())
		v.mu.Unlock()
	}
}

// sawFor reports whether the server refused a publish to subject.
func (v *violations) sawFor(subject string) bool {
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		v.mu.Lock()
		for _, e := range v.errs {
			if strings.Contains(e, `"`+subject+`"`) {
				v.mu.Unlock()
				return true
			}
		}
		v.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// crewConn connects as an attacker who read server.json would: with the
// crew credential it gives.
func crewConn(t *testing.T, dir string) (*nats.Conn, *violations) {
	t.Helper()
	f := readServerFile(t, dir)
	if f.User != jetstream.CrewUser || f.Password == "" || f.Token != "" {
		t.Fatalf("server.json gives user %q (password set %v, token set %v); want the crew user and its password only", f.User, f.Password != "", f.Token != "")
	}
	v := &violations{}
	nc, err := nats.Connect(f.URL, nats.UserInfo(f.User, f.Password), nats.ErrorHandler(v.handler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, v
}

// refused sends a JetStream API request as the crew and fails the test
// unless the server refused it: a permission violation, and no answer.
func refused(t *testing.T, nc *nats.Conn, v *violations, subject, body string) {
	t.Helper()
	m, err := nc.Request(subject, []byte(body), 250*time.Millisecond)
	if err == nil {
		t.Errorf("%s as crew: answered %s, want refused", subject, m.Data)
		return
	}
	if !v.sawFor(subject) {
		t.Errorf("%s as crew: %v, and no permission violation reported", subject, err)
	}
}

// heldDir starts a holder on a fresh data directory with one run of three
// events, a checkpoint and a pending timer, and returns it.
func heldDir(t *testing.T) (string, *jetstream.Log) {
	t.Helper()
	dir := t.TempDir()
	holder, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Close() })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := holder.Append(ctx, "r1", events.AnySequence, started(t, "r1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := holder.Schedule(ctx, cooldown(t, "r1", "web-1"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	store, err := holder.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, events.CheckpointKey("status", "r1"), events.Checkpoint{Version: "1", Seq: 3, ID: "x", State: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	return dir, holder
}

// TestCrewCannotEraseTheLog: with the credential server.json gives, deleting,
// purging or reconfiguring the event stream, the timers stream or the
// checkpoint bucket, deleting a message or purging the account is refused,
// and the log is intact afterwards.
func TestCrewCannotEraseTheLog(t *testing.T) {
	dir, holder := heldDir(t)
	nc, v := crewConn(t, dir)
	js, err := jsapi.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfgs := map[string]string{}
	for _, name := range []string{jetstream.StreamName, jetstream.TimersStreamName, "KV_" + jetstream.CheckpointBucket} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("crew cannot read stream %s: %v", name, err)
		}
		cfg := st.CachedInfo().Config
		b, _ := json.Marshal(cfg)
		cfgs[name] = string(b)
		cfg.DenyDelete, cfg.DenyPurge, cfg.MaxMsgs = false, false, 1
		upd, _ := json.Marshal(cfg)
		refused(t, nc, v, "$JS.API.STREAM.DELETE."+name, "")
		refused(t, nc, v, "$JS.API.STREAM.PURGE."+name, "")
		refused(t, nc, v, "$JS.API.STREAM.UPDATE."+name, string(upd))
		refused(t, nc, v, "$JS.API.STREAM.MSG.DELETE."+name, `{"seq":1,"no_erase":true}`)
	}
	refused(t, nc, v, "$JS.API.STREAM.CREATE.DCMOVE2", `{"name":"DCMOVE2","subjects":["x.>"]}`)
	refused(t, nc, v, "$JS.API.ACCOUNT.PURGE.$G", "")
	refused(t, nc, v, "$JS.API.STREAM.RESTORE."+jetstream.StreamName, "{}")

	// Nothing changed: the same streams, configurations and events.
	for name, want := range cfgs {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s after the attempts: %v", name, err)
		}
		b, _ := json.Marshal(st.CachedInfo().Config)
		if string(b) != want {
			t.Errorf("stream %s changed:\n%s\nwant\n%s", name, b, want)
		}
	}
	if n := count(t, holder, "r1"); n != 3 {
		t.Fatalf("run r1 holds %d events after the crew's attempts, want 3", n)
	}
}

// TestCrewCannotWriteCheckpoints: a checkpoint put with the crew credential
// is refused by the server; the holder's checkpoint stays.
func TestCrewCannotWriteCheckpoints(t *testing.T) {
	dir, holder := heldDir(t)
	nc, v := crewConn(t, dir)
	js, err := jsapi.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, jetstream.CheckpointBucket)
	if err != nil {
		t.Fatalf("crew cannot open the checkpoint bucket to read it: %v", err)
	}
	if _, err := kv.Get(ctx, "status.r1"); err != nil {
		t.Fatalf("crew cannot read a checkpoint: %v", err)
	}
	forged := `{"version":"1","seq":3,"id":"x"}` + "\n" + `{"grace":"elapsed"}`
	if _, err := kv.Put(ctx, "status.r1", []byte(forged)); err == nil {
		t.Fatal("crew wrote a checkpoint")
	}
	if !v.sawFor("$KV." + jetstream.CheckpointBucket + ".status.r1") {
		t.Error("the checkpoint put was not refused by a permission")
	}
	if err := kv.Delete(ctx, "status.r1"); err == nil {
		t.Error("crew deleted a checkpoint")
	}
	store, err := holder.Checkpoints(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cp, err := store.Load(context.Background(), "status.r1")
	if err != nil || string(cp.State) != "{}" {
		t.Fatalf("the holder's checkpoint after the crew's attempts: %q, %v", cp.State, err)
	}
}

// TestCrewCommandsWork: a process joining the holder (the crew credential)
// appends, reads, follows, schedules timers and reads checkpoints; its
// checkpoint saves write nothing and do not fail.
func TestCrewCommandsWork(t *testing.T) {
	dir, holder := heldDir(t)
	ctx := context.Background()
	joiner, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer joiner.Close()
	if joiner.Served() != "" || joiner.CheckpointsWritable() {
		t.Fatalf("the joiner serves %q, writes checkpoints %v; want a crew client", joiner.Served(), joiner.CheckpointsWritable())
	}
	if !holder.CheckpointsWritable() {
		t.Fatal("the holder cannot write checkpoints")
	}
	e := started(t, "r2")
	seq, err := joiner.Append(ctx, "r2", 0, e, started(t, "r2"))
	if err != nil {
		t.Fatalf("crew atomic append: %v", err)
	}
	if _, err := joiner.Append(ctx, "r2", seq, started(t, "r2")); err != nil {
		t.Fatalf("crew append: %v", err)
	}
	if n := count(t, joiner, "r2"); n != 3 {
		t.Fatalf("crew reads %d events, want 3", n)
	}
	if run, err := joiner.LastRun(ctx); err != nil || run != "r2" {
		t.Fatalf("crew last run: %q, %v", run, err)
	}
	tm := cooldown(t, "r2", "web-2")
	if err := joiner.Schedule(ctx, tm, time.Now().Add(time.Second)); err != nil {
		t.Fatalf("crew schedules a timer: %v", err)
	}
	await(t, joiner, "r2", tm.ID)
	store, err := joiner.Checkpoints(ctx)
	if err != nil {
		t.Fatalf("crew checkpoint store: %v", err)
	}
	if cp, err := store.Load(ctx, "status.r1"); err != nil || cp.Seq != 3 {
		t.Fatalf("crew reads the holder's checkpoint: %+v, %v", cp, err)
	}
	start := time.Now()
	if err := store.Save(ctx, "status.r2", events.Checkpoint{Version: "1", Seq: 3, ID: e.ID, State: []byte("{}")}); err != nil {
		t.Fatalf("crew checkpoint save failed instead of writing nothing: %v", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("crew checkpoint save took %v: it should not try the server", d)
	}
	if _, err := store.Load(ctx, "status.r2"); !errors.Is(err, events.ErrNoCheckpoint) {
		t.Fatalf("crew save wrote a checkpoint: %v", err)
	}
	if n := count(t, holder, "r2"); n != 4 {
		t.Fatalf("holder sees %d events of r2, want 4 (3 and the timer)", n)
	}
}
