package web

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// nextEvent reads the stream up to the next "view" event and returns its
// data.
func nextEvent(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	name := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			name = line[7:]
		case strings.HasPrefix(line, "data: ") && name == "view":
			return line[6:]
		}
	}
	t.Fatalf("the stream ended: %v", sc.Err())
	return ""
}

// A view that changes without a new event (a forecast finished, the
// connection to the store lost) reaches the open pages too.
func TestStreamSendsEveryNewView(t *testing.T) {
	h := NewHub()
	h.publish([]byte(`{"seq":7,"forecast":null}`), []byte(`{}`), 7)
	ts := httptest.NewServer((&Server{Hub: h}).Handler())
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	if got := nextEvent(t, sc); got != `{"seq":7,"forecast":null}` {
		t.Fatalf("first view %s", got)
	}
	h.publish([]byte(`{"seq":7,"forecast":"Sun 15:10"}`), []byte(`{}`), 7)
	if got := nextEvent(t, sc); got != `{"seq":7,"forecast":"Sun 15:10"}` {
		t.Fatalf("second view %s", got)
	}
}

// Without a token the server is for this machine: a request for another
// host name (DNS rebinding) is refused; too many streams are refused.
func TestLoopbackHostAndStreamLimit(t *testing.T) {
	h := NewHub()
	h.publish([]byte(`{}`), []byte(`{}`), 1)
	ts := httptest.NewServer((&Server{Hub: h, MaxStreams: 1}).Handler())
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/view.json", nil)
	req.Host = "attacker.example:80"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("Host attacker.example: %s, want 421", resp.Status)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/events", nil)
	r1, err := http.DefaultClient.Do(first)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Body.Close()
	r2, err := http.Get(ts.URL + "/public/events")
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a second stream with MaxStreams 1: %s, want 503", r2.Status)
	}
}
