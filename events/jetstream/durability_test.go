package jetstream_test

import (
	"path/filepath"
	"testing"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/nats-io/nats-server/v2/server"
)

// An acknowledged event survives a crash of the machine only if the file
// store syncs every write: JetStream's default syncs every two minutes.
// This fails if the embedded server stops asking for it.
func TestEmbeddedServerSyncsEveryWrite(t *testing.T) {
	token, err := jetstream.StartServer(filepath.Join(t.TempDir(), "js"), "", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { token.Shutdown(); token.WaitForShutdown() }()
	crew, err := jetstream.StartCrewServer(filepath.Join(t.TempDir(), "js"), "", 0, "admin-pw", "crew-pw")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { crew.Shutdown(); crew.WaitForShutdown() }()
	for name, s := range map[string]interface {
		JetStreamConfig() *server.JetStreamConfig
	}{"token": token, "crew": crew} {
		if cfg := s.JetStreamConfig(); cfg == nil || !cfg.SyncAlways {
			t.Errorf("the embedded JetStream config (%s server) %+v does not sync every write", name, cfg)
		}
	}
}
