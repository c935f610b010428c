package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/dcmove/dcmove/internal/browsertest"
	"github.com/dcmove/dcmove/runbooks"
)

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// warRoom starts the reference plan's rehearsal and serve --http on its
// data directory; it returns the data directory, the page's base URL and
// the clock.
func warRoom(t testing.TB, extra ...string) (dir, base string, clock *runbooks.ManualClock) {
	t.Helper()
	dir = t.TempDir()
	clock = runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", reference, "--rehearsal", "--data-dir", dir, "--as", "Claire Martin", "--accept", "L003", "--reason", "the support desk reads the ticket")
	addr := freeAddr(t)
	var out syncBuffer
	background(t, &out, clock, append([]string{"serve", "--data-dir", dir, "--http", addr}, extra...)...)
	waitFor(t, &out, "war-room page of run pa2-to-pa3-rehearsal at http://"+addr+"/")
	return dir, "http://" + addr + "/", clock
}

// sseEvent is one server-sent event.
type sseEvent struct {
	id, name, data string
}

// readEvents reads server-sent events from r into ch until r ends.
func readEvents(r io.Reader, ch chan<- sseEvent) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var e sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if e.name != "" {
				ch <- e
			}
			e = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.data = line[6:]
		}
	}
	close(ch)
}

// viewer opens the page's event stream, after lastID if not empty.
func viewer(t testing.TB, ctx context.Context, url, lastID string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 64)
	go func() { defer resp.Body.Close(); readEvents(resp.Body, ch) }()
	return ch
}

// nextView waits for the next "view" event (collecting "missed" ones) and
// returns its seq and document.
func nextView(t testing.TB, ch <-chan sseEvent, missed *[]map[string]any) (uint64, map[string]any) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatal("the event stream ended")
			}
			if e.name == "missed" && missed != nil {
				var m []map[string]any
				if err := json.Unmarshal([]byte(e.data), &m); err != nil {
					t.Fatal(err)
				}
				*missed = append(*missed, m...)
				continue
			}
			if e.name != "view" {
				continue
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(e.data), &v); err != nil {
				t.Fatalf("a view that is not JSON: %v", err)
			}
			seq, _ := strconv.ParseUint(e.id, 10, 64)
			return seq, v
		case <-timeout:
			t.Fatal("no view within 30 s")
		}
	}
}

// TestWarRoomStreams: 50 viewers at once each get the view when an event
// is appended; a viewer that reconnects with the last id it saw is sent
// the events it missed, then the current view; the page answers nothing
// but GET; the public view says nothing of people or steps.
func TestWarRoomStreams(t *testing.T) {
	dir, base, clock := warRoom(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const viewers = 50
	streams := make([]<-chan sseEvent, viewers)
	var first uint64
	for i := range streams {
		streams[i] = viewer(t, ctx, base+"events", "")
		seq, v := nextView(t, streams[i], nil)
		if first == 0 {
			first = seq
			if v["board"].(map[string]any)["run"] != "pa2-to-pa3-rehearsal" || len(v["gantt"].([]any)) < 290 {
				t.Fatalf("first view: run %v, %d gantt rows", v["board"].(map[string]any)["run"], len(v["gantt"].([]any)))
			}
		}
	}
	karim := []string{"--data-dir", dir, "--as", "Karim Haddad"}
	mustRun(t, clock, append([]string{"step", "start", "capture-rule-in-https"}, karim...)...)
	// Each viewer reads its stream in a goroutine of its own; they report
	// here, and only the test's goroutine fails the test.
	var wg sync.WaitGroup
	got := make([]uint64, viewers)
	for i, ch := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			timeout := time.After(30 * time.Second)
			for got[i] <= first {
				select {
				case e, ok := <-ch:
					if !ok {
						return
					}
					if e.name == "view" {
						got[i], _ = strconv.ParseUint(e.id, 10, 64)
					}
				case <-timeout:
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, seq := range got {
		if seq != first+1 {
			t.Fatalf("viewer %d saw seq %d after the append, want %d", i, seq, first+1)
		}
	}

	// A viewer that lost its connection at seq first+1 comes back after
	// three more events.
	mustRun(t, clock, append([]string{"fw", "capture", "--site", "PA2", "../../examples/pa2-iptables-save.txt"}, karim...)...)
	mustRun(t, clock, append([]string{"step", "start", "capture-rule-in-http"}, karim...)...)
	// The page's server may not have read the last events yet when the
	// viewer comes back: it then gets them with the views that follow.
	last := mustSeq(t, dir)
	var missed []map[string]any
	back := viewer(t, ctx, base+"events", strconv.FormatUint(first+1, 10))
	seq, v := nextView(t, back, &missed)
	for seq < last {
		seq, v = nextView(t, back, &missed)
	}
	seqs := func() (out []uint64) {
		for _, m := range missed {
			out = append(out, uint64(m["seq"].(float64)))
		}
		return out
	}()
	recent := v["recent"].([]any)
	newest := uint64(recent[len(recent)-1].(map[string]any)["seq"].(float64))
	if len(seqs) == 0 || seqs[0] != first+2 || newest != last {
		t.Fatalf("a viewer back after seq %d was sent missed events %v, and a view whose latest event is %d; want them from %d, and the view up to %d", first+1, seqs, newest, first+2, last)
	}
	for _, e := range recent {
		missed = append(missed, e.(map[string]any))
	}
	texts := fmt.Sprint(missed)
	for _, want := range []string{"Karim Haddad", "capture-rule-in-http"} {
		if !strings.Contains(texts, want) {
			t.Errorf("the missed events do not say %q: %s", want, texts)
		}
	}
	if fw := v["firewall"].(map[string]any); fw["captured_at_source"].(float64) != 46 {
		t.Errorf("firewall box after the capture: %v", fw)
	}

	// Read-only.
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req, _ := http.NewRequest(method, base+"events", strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /events: %s, want 405", method, resp.Status)
		}
	}
	// The public view: the window, no names.
	resp, err := http.Get(base + "public/view.json")
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, secret := range []string{"Karim", "Claire", "capture-rule", "fw-1", "203.0.113"} {
		if strings.Contains(string(pub), secret) {
			t.Errorf("the public view shows %q: %s", secret, pub)
		}
	}
	if !strings.Contains(string(pub), `"window_end":"2026-12-06T20:00:00+01:00"`) {
		t.Errorf("the public view has no window: %s", pub)
	}
}

// TestWarRoomNeedsATokenOffLoopback: --http on an address other machines
// reach is refused without --http-expose and a token; with them, the page
// answers 401 without the token and 200 with it, and the public view needs
// none.
func TestWarRoomNeedsATokenOffLoopback(t *testing.T) {
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	dir := t.TempDir()
	wantContains(t, "no --http-expose", mustFail(t, clock, exitBadInput, "serve", "--data-dir", dir, "--http", "0.0.0.0:0"), "say so with --http-expose")
	wantContains(t, "no token", mustFail(t, clock, exitBadInput, "serve", "--data-dir", dir, "--http", "0.0.0.0:0", "--http-expose"), "needs --http-token-file")
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	wantContains(t, "short token", mustFail(t, clock, exitBadInput, "serve", "--data-dir", dir, "--http", "127.0.0.1:0", "--http-token-file", short), "use at least 16")

	tokenFile := filepath.Join(t.TempDir(), "token")
	const token = "s3cret-war-room-token-0123"
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)
	_, base, _ := warRoom(t, "--http-token-file", tokenFile)
	get := func(path string, header string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if header != "" {
			req.Header.Set("Authorization", "Bearer "+header)
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, path := range []string{"", "events", "view.json", "app.js"} {
		if resp := get(path, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/%s without the token: %s, want 401", path, resp.Status)
		}
		if resp := get(path, "wrong-token-of-the-same-size"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/%s with a wrong token: %s, want 401", path, resp.Status)
		}
	}
	if resp := get("view.json", token); resp.StatusCode != http.StatusOK {
		t.Errorf("/view.json with the token: %s", resp.Status)
	}
	resp := get("?token="+token, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || !slices.ContainsFunc(resp.Cookies(), func(c *http.Cookie) bool { return c.Value == token && c.HttpOnly }) {
		t.Errorf("/?token=: %s, Location %q, cookies %v", resp.Status, resp.Header.Get("Location"), resp.Cookies())
	}
	for _, path := range []string{"public", "public/view.json", "style.css"} {
		if resp := get(path, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("/%s without the token: %s, want 200", path, resp.Status)
		}
	}
}

// TestWarRoomInABrowser opens the page in headless Chromium, appends
// events, and measures how long each takes to reach the page's DOM (the
// page records when it showed each seq); it saves a screenshot, and the
// public view's. The figures are logged, not asserted: a wall-clock
// bound would fail on a loaded machine, not on a slow page. A page that
// never shows an event fails.
func TestWarRoomInABrowser(t *testing.T) {
	browsertest.Require(t)
	dir, base, clock := warRoom(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browsertest.Chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")), chromedp.WindowSize(1280, 1600))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()

	if err := chromedp.Do(ctx, chromedp.Navigate(base), chromedp.WaitVisible("#facts div")); err != nil {
		t.Fatal(err)
	}
	t.Logf("first load: %d bytes over the wire (page, script, style and the first view, gzip)", firstLoad(t, base))

	karim := []string{"--data-dir", dir, "--as", "Karim Haddad"}
	steps := []string{"capture-rule-in-https", "capture-rule-in-http", "capture-rule-in-api", "capture-rule-in-dns-udp", "capture-rule-in-dns-tcp"}
	var latencies, withCommand []time.Duration
	for round := range 4 {
		for _, st := range steps {
			cmd := []string{"step", "start", st}
			if round%2 == 1 {
				cmd = []string{"step", "block", st, "--reason", "waiting for the export"}
			}
			if round == 2 {
				cmd = []string{"step", "unblock", st}
			}
			if round == 3 {
				cmd = []string{"step", "fail", st, "--reason", "no export yet"}
			}
			sent := time.Now()
			mustRun(t, clock, append(cmd, karim...)...)
			returned := time.Now()
			want := fmt.Sprint(mustSeq(t, dir))
			shownAt, err := chromedp.Run(ctx, chromedp.Poll[float64](fmt.Sprintf(`(window.dcmoveUpdates.find(u => u.seq >= %s) || {}).at`, want),
				chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(5*time.Millisecond)))
			if err != nil {
				t.Fatalf("the page never showed seq %s: %v", want, err)
			}
			shown := time.UnixMilli(int64(shownAt))
			latencies = append(latencies, shown.Sub(returned))
			withCommand = append(withCommand, shown.Sub(sent))
		}
	}
	pct := func(d []time.Duration) string {
		slices.Sort(d)
		return fmt.Sprintf("p50 %s, p99 %s, max %s", d[len(d)/2].Round(time.Millisecond), d[len(d)*99/100].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
	}
	t.Logf("append to DOM, %d events: from the command's return (its append acknowledged) %s; from the command's start (opening the log, deciding, appending) %s",
		len(latencies), pct(latencies), pct(withCommand))

	// Degraded mode and a firewall capture, as a screenshot would show
	// them mid-weekend.
	mustRun(t, clock, append([]string{"fw", "capture", "--site", "PA2", "../../examples/pa2-iptables-save.txt"}, karim...)...)
	mustRun(t, clock, "degraded", "on", "--reason", "the move starts: only vital services stay up", "--data-dir", dir, "--as", "Claire Martin")
	want := fmt.Sprint(mustSeq(t, dir))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.seq === "`+want+`"`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("the page never showed seq %s: %v", want, err)
	}
	banner, err := chromedp.Run(ctx, chromedp.Text("#banners"))
	if err != nil || !strings.Contains(banner, "DEGRADED MODE") && !strings.Contains(banner, "Degraded mode") {
		t.Errorf("no degraded-mode banner (%v): %q", err, banner)
	}
	text, err := chromedp.Run(ctx, chromedp.Text("#attention"))
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"failed", "capture-rule-in-https", "Karim Haddad: no export yet"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page's late, blocked and failed steps do not say %q:\n%s", want, text)
		}
	}
	shot := filepath.Join(os.TempDir(), "dcmove-war-room.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	// The page is keyboard navigable: the first Tab reaches the skip
	// link, and the checkbox of the Gantt can be reached and toggled.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(focused, "Skip to the status") {
		t.Errorf("the first Tab focuses %q, want the skip link", focused)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"public"), chromedp.WaitVisible("#down li, #down p")); err != nil {
		t.Fatal(err)
	}
	public, err := chromedp.Run(ctx, chromedp.Text("main"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(public, "Maintenance window: Sat 5 Dec") || strings.Contains(public, "Karim") {
		t.Errorf("public view:\n%s", public)
	}
}

// mustSeq is the last seq of the reference rehearsal in dir.
func mustSeq(t testing.TB, dir string) uint64 {
	t.Helper()
	return fwRun(t, dir, "pa2-to-pa3-rehearsal").LastSeq
}

// firstLoad counts the bytes a browser receives on a first load of the
// page: the page, its script and style, and the event stream's first view,
// asked for with gzip as browsers do.
func firstLoad(t testing.TB, base string) int {
	t.Helper()
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	total := 0
	for _, path := range []string{"", "common.js", "app.js", "style.css"} {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		total += len(b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"events", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	counted := &countingReader{r: resp.Body}
	zr, err := gzip.NewReader(counted)
	if err != nil {
		t.Fatalf("the event stream is not gzip: %v", err)
	}
	ch := make(chan sseEvent, 4)
	go readEvents(zr, ch)
	nextView(t, ch, nil)
	return total + int(counted.n.Load())
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestDemoServe: demo --serve runs the weekend with its page open, at the
// pace asked for, and keeps the page up once the weekend is over.
func TestDemoServe(t *testing.T) {
	addr := freeAddr(t)
	var out syncBuffer
	stop := background(t, &out, runbooks.NewManualClock(time.Time{}), "demo", "--serve", addr, "--speed", "100000")
	waitFor(t, &out, "war-room page of run pa2-to-pa3 at http://"+addr+"/")
	for deadline := time.Now().Add(3 * time.Minute); !strings.Contains(out.String(), "its war-room page stays up"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not end within 3 minutes:\n%s", out.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/view.json")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var v struct {
		Board struct {
			Progress struct{ Done, Total int }
			Now      time.Time
		}
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.Board.Progress.Done < 290 || v.Board.Now.Before(time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the page after the demo: %d of %d done, now %s (want the weekend's end, on the demo's clock)", v.Board.Progress.Done, v.Board.Progress.Total, v.Board.Now)
	}
	wantContains(t, "demo --serve", out.String(), "SURPRISE", "audit verify: ok")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	wantContains(t, "bad --serve", mustFail(t, runbooks.NewManualClock(time.Time{}), exitBadInput, "demo", "--serve", "0.0.0.0:8080"), "loopback only")
}
