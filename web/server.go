// Package web serves the war-room page of a cutover: a live, read-only
// page of where the move stands (the Gantt of planned against actual, the
// forecast, degraded mode, services against their restoration
// objectives, late, blocked and failed steps, firewall reconciliation,
// checks per vantage point, notices and the latest events with who did
// them), and a public page of what a customer may see.
//
// The page and its script are embedded in the binary; the server pushes
// each new view to every page as a server-sent event, from one watch of
// the run's events on JetStream (see [Hub]). Nothing on the page sends a
// command: the server answers GET and HEAD only, apart from what
// [Server.Extra] adds (the notices' acknowledgement links).
package web

import (
	"cmp"
	"compress/gzip"
	"crypto/subtle"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

//go:embed static
var static embed.FS

// Server serves the pages of one hub.
type Server struct {
	Hub *Hub
	// Token, when set, is required to see the war-room page and its
	// events (a bearer token, a cookie set from ?token=, or the header);
	// the public page is open to all. A server reachable from other
	// machines must have one.
	Token string
	// Extra, if set, serves the paths under /ack/ (acknowledgement links,
	// which carry their own unguessable token).
	Extra http.Handler
	// Heartbeat is how often an idle event stream is sent a comment, so
	// that proxies keep it open (15 s if zero).
	Heartbeat time.Duration
	// MaxStreams bounds the event streams open at once (1,000 if zero):
	// each holds a compressor's memory.
	MaxStreams int

	streams atomic.Int64
}

// tokenCookie is the cookie a browser keeps the page's token in.
const tokenCookie = "dcmove_token"

// Handler returns the server's routes.
func (s *Server) Handler() http.Handler {
	files, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, err := fs.ReadFile(files, name)
			if err != nil {
				http.Error(w, "missing page", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", contentType(name))
			w.Header().Set("Cache-Control", "no-cache")
			out, done := compress(w, r)
			defer done()
			out.Write(b)
		}
	}
	mux.Handle("GET /{$}", s.private(page("index.html")))
	mux.Handle("GET /app.js", s.private(page("app.js")))
	mux.Handle("GET /events", s.private(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.stream(w, r, false) })))
	mux.Handle("GET /view.json", s.private(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.snapshot(w, r, false) })))
	mux.HandleFunc("GET /style.css", page("style.css"))
	mux.HandleFunc("GET /common.js", page("common.js"))
	mux.HandleFunc("GET /public", page("public.html"))
	mux.HandleFunc("GET /public.js", page("public.js"))
	mux.HandleFunc("GET /public/events", func(w http.ResponseWriter, r *http.Request) { s.stream(w, r, true) })
	mux.HandleFunc("GET /public/view.json", func(w http.ResponseWriter, r *http.Request) { s.snapshot(w, r, true) })
	if s.Extra != nil {
		mux.Handle("/ack/", s.Extra)
	}
	h := headers(mux)
	if s.Token == "" {
		h = loopbackHost(h)
	}
	return h
}

// loopbackHost answers only requests addressed to this machine by name
// (localhost, 127.0.0.1, [::1]): a server without a token is on loopback,
// and a web page elsewhere must not read it through a DNS name that points
// here (DNS rebinding).
func loopbackHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			http.Error(w, "this page answers on localhost only (it has no token); open it as http://localhost:PORT/ or http://127.0.0.1:PORT/", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// headers adds what every answer carries: no framing, no sniffing, no
// referrer, scripts and styles of the page's own only.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !strings.HasPrefix(r.URL.Path, "/ack/") {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "this page is read-only", http.StatusMethodNotAllowed)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// private requires the server's token, when it has one. A token given in
// the address (?token=) is kept in a cookie, and the address loses it.
func (s *Server) private(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Token == "" {
			next.ServeHTTP(w, r)
			return
		}
		if q := r.URL.Query().Get("token"); q != "" && s.valid(q) {
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			u := *r.URL
			v := u.Query()
			v.Del("token")
			u.RawQuery = v.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		given := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if c, err := r.Cookie(tokenCookie); err == nil && given == "" {
			given = c.Value
		}
		if !s.valid(given) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dcmove"`)
			http.Error(w, "this page needs the token its server was started with: open it as /?token=TOKEN (the public view is at /public)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) valid(given string) bool {
	return given != "" && subtle.ConstantTimeCompare([]byte(given), []byte(s.Token)) == 1
}

// snapshot answers the latest view as one JSON document.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request, public bool) {
	if !s.wait(w, r) {
		return
	}
	view, _, _, _ := s.Hub.current(public, 0)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	out, done := compress(w, r)
	defer done()
	out.Write(view)
}

// wait waits for the hub's first view, and answers 503 if the request
// ends first.
func (s *Server) wait(w http.ResponseWriter, r *http.Request) bool {
	select {
	case <-s.Hub.Ready():
		return true
	case <-r.Context().Done():
		http.Error(w, "the run's view is not ready yet", http.StatusServiceUnavailable)
		return false
	}
}

// stream sends the latest view at once, then each new one, as server-sent
// events ("view", with the run's last seq as the event id). A page that
// reconnects says the last id it saw: it is first sent the events it
// missed ("missed": the trail entries after it), then the view.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, public bool) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	if !s.wait(w, r) {
		return
	}
	limit := int64(cmp.Or(s.MaxStreams, 1000))
	if n := s.streams.Add(1); n > limit {
		s.streams.Add(-1)
		w.Header().Set("Retry-After", "30")
		http.Error(w, fmt.Sprintf("too many pages are open (%d): try again in a while", limit), http.StatusServiceUnavailable)
		return
	}
	defer s.streams.Add(-1)
	last, _ := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	// Each view is sent whole; compressed, the next ones cost little,
	// the stream's dictionary holding the last.
	out, done := compress(w, r)
	defer done()
	flush := func() {
		if f, ok := out.(interface{ Flush() error }); ok {
			f.Flush()
		}
		flusher.Flush()
	}
	ch := s.Hub.subscribe()
	defer s.Hub.unsubscribe(ch)
	beat := s.Heartbeat
	if beat <= 0 {
		beat = 15 * time.Second
	}
	t := time.NewTicker(beat)
	defer t.Stop()
	sent := uint64(0) // the version of the last view sent
	send := func() bool {
		view, seq, version, missed := s.Hub.current(public, last)
		if version == sent {
			return true
		}
		sent = version
		var b strings.Builder
		if !public && len(missed) > 0 {
			fmt.Fprintf(&b, "event: missed\ndata: %s\n\n", entriesJSON(missed))
		}
		fmt.Fprintf(&b, "id: %d\nevent: view\ndata: %s\n\n", seq, view)
		if _, err := io.WriteString(out, b.String()); err != nil {
			return false
		}
		flush()
		last = seq
		return true
	}
	if !send() {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ch:
			if !send() {
				return
			}
		case <-t.C:
			if _, err := io.WriteString(out, ": still here\n\n"); err != nil {
				return
			}
			flush()
		}
	}
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".html"):
		return "text/html; charset=utf-8"
	case strings.HasSuffix(name, ".js"):
		return "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".css"):
		return "text/css; charset=utf-8"
	}
	return "application/octet-stream"
}

// compress returns where to write the answer: gzip when the client takes
// it. done ends the compressed stream.
func compress(w http.ResponseWriter, r *http.Request) (io.Writer, func()) {
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) || r.Method == http.MethodHead {
		return w, func() {}
	}
	w.Header().Set("Content-Encoding", "gzip")
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	return zw, func() { zw.Close() }
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
