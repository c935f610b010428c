package jetstream_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
)

// deployConf is the configuration the repository ships for a real server.
const deployConf = "../../deploy/nats-server.conf"

// person is a user of the deployed configuration, with a key made for the
// test in place of the file's placeholder.
type person struct {
	kp  nkeys.KeyPair
	pub string
}

func (p person) option() nats.Option { return nats.Nkey(p.pub, p.kp.Sign) }

// startDeployed starts nats-server in-process from deploy/nats-server.conf,
// on a random loopback port and a temp store, with new keys for its users
// (the admin, the lead, then the members, in the file's order).
func startDeployed(t *testing.T) (*server.Server, []person) {
	t.Helper()
	opts, err := server.ProcessConfigFile(deployConf)
	if err != nil {
		t.Fatalf("%s: %v", deployConf, err)
	}
	if !opts.JetStream || !opts.SyncAlways {
		t.Fatalf("%s: JetStream %v, sync always %v; want both", deployConf, opts.JetStream, opts.SyncAlways)
	}
	opts.Host, opts.Port, opts.StoreDir = "127.0.0.1", -1, t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	var people []person
	for _, u := range opts.Nkeys {
		if !nkeys.IsValidPublicUserKey(u.Nkey) {
			t.Fatalf("%s: %q is not a user public key", deployConf, u.Nkey)
		}
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := kp.PublicKey()
		u.Nkey = pub
		people = append(people, person{kp, pub})
	}
	if len(people) < 3 {
		t.Fatalf("%s has %d users, want an admin, a lead and members", deployConf, len(people))
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s, people
}

// TestDeployConfigMatchesTheEmbeddedCrew: the shipped file gives the lead
// exactly the embedded server's crew permissions, and members those and no
// run start.
func TestDeployConfigMatchesTheEmbeddedCrew(t *testing.T) {
	opts, err := server.ProcessConfigFile(deployConf)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Nkeys[0].Permissions != nil {
		t.Fatal("the first user is the admin: no limits")
	}
	lead := opts.Nkeys[1].Permissions.Publish
	if !slices.Equal(lead.Allow, jetstream.CrewPublishAllow()) || !slices.Equal(lead.Deny, jetstream.CrewPublishDeny()) {
		t.Errorf("lead's permissions %v / %v differ from the embedded crew's %v / %v", lead.Allow, lead.Deny, jetstream.CrewPublishAllow(), jetstream.CrewPublishDeny())
	}
	for _, u := range opts.Nkeys[2:] {
		p := u.Permissions.Publish
		if !slices.Equal(p.Allow, lead.Allow) || !slices.Equal(p.Deny[:len(lead.Deny)], lead.Deny) {
			t.Errorf("member %s: %v / %v", u.Nkey, p.Allow, p.Deny)
		}
	}
}

// TestDeployConfig: on a server started from deploy/nats-server.conf, the
// admin creates the streams; a member appends and reads with their NKey but
// cannot delete, purge or update a stream, write a checkpoint or start a
// run; the lead can start one.
func TestDeployConfig(t *testing.T) {
	s, people := startDeployed(t)
	admin, lead, member := people[0], people[1], people[2]
	ctx := context.Background()
	open := func(p person) *jetstream.Log {
		t.Helper()
		l, err := jetstream.Open(ctx, jetstream.Options{ServerURL: s.ClientURL(), NATSOptions: []nats.Option{p.option()}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	a := open(admin)
	if _, err := a.Checkpoints(ctx); err != nil {
		t.Fatalf("admin creates the checkpoint bucket: %v", err)
	}
	if !a.CheckpointsWritable() {
		t.Fatal("the admin may not write checkpoints")
	}

	// The lead starts a run; a member appends to it and reads it.
	ld := open(lead)
	seq, err := ld.Append(ctx, "r1", 0, started(t, "r1"))
	if err != nil {
		t.Fatalf("lead starts a run: %v", err)
	}
	m := open(member)
	if m.CheckpointsWritable() {
		t.Error("a member's log says it may write checkpoints")
	}
	if _, err := m.Append(ctx, "r1", seq, cooldown(t, "r1", "web-1"), cooldown(t, "r1", "web-2")); err != nil {
		t.Fatalf("member appends: %v", err)
	}
	if n := count(t, m, "r1"); n != 3 {
		t.Fatalf("member reads %d events, want 3", n)
	}
	store, err := m.Checkpoints(ctx)
	if err != nil {
		t.Fatalf("member opens the checkpoints: %v", err)
	}
	if err := store.Save(ctx, "status.r1", events.Checkpoint{Version: "1", Seq: 1, ID: "x", State: []byte("{}")}); err != nil {
		t.Fatalf("a member's checkpoint save fails instead of writing nothing: %v", err)
	}

	// Raw, as an attacker holding the member's seed would.
	v := &violations{}
	nc, err := nats.Connect(s.ClientURL(), member.option(), nats.ErrorHandler(v.handler))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, name := range []string{jetstream.StreamName, jetstream.TimersStreamName, "KV_" + jetstream.CheckpointBucket} {
		refused(t, nc, v, "$JS.API.STREAM.DELETE."+name, "")
		refused(t, nc, v, "$JS.API.STREAM.PURGE."+name, "")
		refused(t, nc, v, "$JS.API.STREAM.UPDATE."+name, `{"name":"`+name+`"}`)
		refused(t, nc, v, "$JS.API.STREAM.MSG.DELETE."+name, `{"seq":1}`)
	}
	js, _ := jsapi.New(nc)
	publish := func(subject string) error {
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err := js.Publish(cctx, subject, []byte("{}"))
		return err
	}
	if err := publish("$KV." + jetstream.CheckpointBucket + ".status.r1"); err == nil || !v.sawFor("$KV."+jetstream.CheckpointBucket+".status.r1") {
		t.Errorf("a member wrote a checkpoint: %v", err)
	}
	if err := publish("dcmove.r2.cutover.started"); err == nil || !v.sawFor("dcmove.r2.cutover.started") {
		t.Errorf("a member started a run: %v", err)
	}
	if n := count(t, ld, "r1"); n != 3 {
		t.Fatalf("run r1 holds %d events after the member's attempts, want 3", n)
	}
}
