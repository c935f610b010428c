package main

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nats-server/v2/server"
)

// freePort returns a loopback port nobody listens on now, for a server that
// must come back on the same address.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestWatchSaysWhenTheServerIsLost watches a run on a --server that stops,
// comes back with another token (the watch cannot log in: it says so, and
// goes on retrying), then comes back as it was: the watch shows the loss
// on its first line, with the time, and then the team's next event, without
// a raw error line and without ending.
func TestWatchSaysWhenTheServerIsLost(t *testing.T) {
	store, port := t.TempDir(), freePort(t)
	start := func(token string) *server.Server {
		t.Helper()
		s, err := jetstream.StartServer(store, "127.0.0.1", port, token)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	stop := func(s *server.Server) { s.Shutdown(); s.WaitForShutdown() }
	s := start("right")
	defer func() { stop(s) }()
	url := "nats://right@127.0.0.1:" + strconv.Itoa(port)
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", weekend, "--server", url, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")

	var watch syncBuffer
	stopWatch := background(t, &watch, clock, "status", "--watch", "--server", url)
	waitFor(t, &watch, "progress 0/25 steps done")

	stop(s)
	lostAt := time.Now()
	waitFor(t, &watch, "connection to the event store lost")
	t.Logf("the watch said the server was lost %v after it stopped", time.Since(lostAt).Round(10*time.Millisecond))

	s = start("another")
	waitFor(t, &watch, "authorization violation")
	stop(s)

	s = start("right")
	waitFor(t, &watch, "connection to the event store back")
	clock.Set(paris(t, 5, "07:00"))
	mustRun(t, clock, "step", "start", "capture-fw-rules", "--server", url, "--as", "Karim Haddad")
	waitFor(t, &watch, "1 started, 4 ready")
	if err := stopWatch(); err != nil {
		t.Fatalf("status --watch ended with %v; output:\n%s", err, watch.String())
	}
	for _, line := range strings.Split(watch.String(), "\n") {
		if strings.HasPrefix(line, "nats:") || strings.HasPrefix(line, "dcmove:") {
			t.Errorf("a raw error line in the watch: %q", line)
		}
		if strings.Contains(line, "right") {
			t.Errorf("the token shows in the watch: %q", line)
		}
	}
}
