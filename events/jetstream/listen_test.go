package jetstream_test

import (
	"net"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/nats-io/nats-server/v2/server"
)

func TestParseListen(t *testing.T) {
	tests := []struct {
		addr string
		host string
		port int
		err  string
	}{
		{"", "127.0.0.1", server.RANDOM_PORT, ""},
		{"127.0.0.1:0", "127.0.0.1", server.RANDOM_PORT, ""}, // not 4222
		{"127.0.0.1:", "127.0.0.1", server.RANDOM_PORT, ""},
		{":5222", "127.0.0.1", 5222, ""},
		{"[::1]:65535", "::1", 65535, ""},
		{"127.0.0.1:99999", "", 0, "port 99999 is not a number from 0 to 65535"},
		{"127.0.0.1:-1", "", 0, "port -1 is not a number from 0 to 65535"},
		{"127.0.0.1:http", "", 0, "port http is not a number"},
		{"127.0.0.1", "", 0, "missing port in address"},
		{"garbage", "", 0, "missing port in address"},
	}
	for _, tt := range tests {
		host, port, err := jetstream.ParseListen(tt.addr)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseListen(%q) = %v, want an error with %q", tt.addr, err, tt.err)
			}
			continue
		}
		if err != nil || host != tt.host || port != tt.port {
			t.Errorf("ParseListen(%q) = %q, %d, %v; want %q, %d", tt.addr, host, port, err, tt.host, tt.port)
		}
	}
}

// A server that cannot listen says why, from its own log, at once (not
// after the 15 s it may take to start).
func TestStartServerReportsListenError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name, host string
		port       int
		says       string
	}{
		{"port in use", "127.0.0.1", port, "address already in use"},
		{"address the machine does not have", "192.0.2.1", 4222, "192.0.2.1:4222"},
		{"host that does not resolve", "nosuch.invalid", 4222, "nosuch.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := jetstream.StartServer(t.TempDir(), tt.host, tt.port, "")
			if err == nil {
				s.Shutdown()
				t.Fatalf("StartServer on %s:%d started", tt.host, tt.port)
			}
			for _, want := range []string{"did not start: Error listening on port", tt.says} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "in 15s") {
				t.Errorf("error %q: the server's failure was not seen at once", err)
			}
		})
	}
}
