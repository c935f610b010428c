package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/runbooks"
)

// Two `serve`s on different data directories run side by side: the default
// listen address is a free loopback port, never nats-server's 4222, and so
// is an explicit port 0.
func TestServeTwoDataDirectories(t *testing.T) {
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	served := regexp.MustCompile(`serving data directory .* at nats://127\.0\.0\.1:(\d+)`)
	var ports []string
	for _, listen := range [][]string{nil, {"--listen", "127.0.0.1:0"}, {"--listen", "127.0.0.1:0"}} {
		var out syncBuffer
		background(t, &out, clock, append([]string{"serve", "--data-dir", t.TempDir()}, listen...)...)
		waitFor(t, &out, "Ctrl-C to stop")
		m := served.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("serve %v:\n%s", listen, out.String())
		}
		if m[1] == "4222" {
			t.Errorf("serve %v listens on 4222, nats-server's default port", listen)
		}
		ports = append(ports, m[1])
	}
	if ports[0] == ports[1] || ports[1] == ports[2] || ports[0] == ports[2] {
		t.Errorf("the servers share a port: %v", ports)
	}
}

// A listen address that cannot work is refused at once with the reason.
func TestServeBadListen(t *testing.T) {
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	tests := []struct {
		listen string
		code   int
		says   string
	}{
		{"127.0.0.1:99999", exitBadInput, "port 99999 is not a number from 0 to 65535"},
		{"127.0.0.1:-3", exitBadInput, "port -3 is not a number from 0 to 65535"},
		{"garbage", exitBadInput, `listen address "garbage": address garbage: missing port in address`},
		{"192.0.2.1:4222", exitError, `bind: cannot assign requested address`},
	}
	for _, tt := range tests {
		r := execute(t, clock, false, "serve", "--data-dir", t.TempDir(), "--listen", tt.listen)
		if r.code != tt.code || !strings.Contains(r.errOut, tt.says) {
			t.Errorf("serve --listen %s: exit %d, stderr %q; want exit %d saying %q", tt.listen, r.code, r.errOut, tt.code, tt.says)
		}
	}
}
