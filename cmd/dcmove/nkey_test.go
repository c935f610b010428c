package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// nkeyFile makes a user NKey, writes its seed to a file and returns the
// file and the public key.
func nkeyFile(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	pub, _ := kp.PublicKey()
	path := filepath.Join(dir, name+".nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, pub
}

// TestServerNKey: on a server whose users log in with NKeys (as
// deploy/nats-server.conf), --nkey logs in; the admin creates the streams,
// a member with the crew's permissions runs commands; without a key the
// server is unavailable.
func TestServerNKey(t *testing.T) {
	dir := t.TempDir()
	adminKey, adminPub := nkeyFile(t, dir, "admin")
	memberKey, memberPub := nkeyFile(t, dir, "hugo")
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
		Nkeys: []*server.NkeyUser{
			{Nkey: adminPub},
			{Nkey: memberPub, Permissions: &server.Permissions{Publish: &server.SubjectPermission{
				Allow: jetstream.CrewPublishAllow(), Deny: jetstream.CrewPublishDeny()}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	url := s.ClientURL()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))

	mustFail(t, clock, exitUnavailable, "status", "--server", url)
	mustRun(t, clock, "cutover", "start", weekend, "--server", url, "--nkey", adminKey, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	clock.Set(paris(t, 5, "07:00"))
	mustRun(t, clock, "step", "start", "verify-backups", "--server", url, "--nkey", memberKey, "--as", "Hugo Leroy")
	wantContains(t, "member status", mustRun(t, clock, "status", "--server", url, "--nkey", memberKey), "verify-backups")
	mustFail(t, clock, exitBadInput, "status", "--server", url, "--nkey", weekend)
}
