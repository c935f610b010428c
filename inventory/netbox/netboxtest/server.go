// Package netboxtest serves a small NetBox REST API on loopback for tests:
// two Paris sites and a Frankfurt one, the devices of a move from PA2 to
// PA3 tagged move-wave-1 (with the cases an import must not guess: a
// device in a bay, a 0U PDU, an offline NAS, a device in no rack, an
// unnamed one, a 0.5U router at U20.5, two half-depth patch panels at one
// unit), the racks, power ports and power feeds of both sites. The objects
// are written after NetBox 4.x's API documentation (nested objects,
// {value, label} choices, nulls), and served as NetBox serves them: in
// pages of {count, next, previous, results}, filtered by the query
// parameters the importer uses, behind a token.
package netboxtest

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

//go:embed fixtures/*.json
var fixtures embed.FS

// Token is the v1 token the server accepts unless told otherwise.
const Token = "0123456789abcdef0123456789abcdef01234567"

// Server is a fake NetBox.
type Server struct {
	*httptest.Server
	// Token is the token the server accepts; a v2 token (nbt_…) must come
	// as Bearer, any other as Token.
	Token string
	// MaxPageSize caps the limit a request asks for, as NetBox's
	// MAX_PAGE_SIZE does (3 here, so that lists take several pages).
	MaxPageSize int
	// NextHost, when set, is the host written in the next links, as a
	// NetBox behind a badly configured proxy writes its inner name.
	NextHost string
	// Fault, when set, may answer a request itself (it returns true).
	Fault func(w http.ResponseWriter, r *http.Request) bool

	mu       sync.Mutex
	requests []Request
	objects  map[string][]map[string]any
}

// Request is a request the server got.
type Request struct {
	Path, Query, Authorization string
}

// NewServer starts a fake NetBox on 127.0.0.1, stopped when the test ends.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{Token: Token, MaxPageSize: 3, objects: map[string][]map[string]any{}}
	for _, name := range []string{"sites", "devices", "device-types", "racks", "power-ports", "power-feeds"} {
		b, err := fixtures.ReadFile("fixtures/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var objs []map[string]any
		if err := json.Unmarshal(b, &objs); err != nil {
			t.Fatalf("fixture %s: %v", name, err)
		}
		s.objects["/api/dcim/"+name+"/"] = objs
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization")})
	s.mu.Unlock()
	if s.Fault != nil && s.Fault(w, r) {
		return
	}
	want := "Token " + s.Token
	if strings.HasPrefix(s.Token, "nbt_") {
		want = "Bearer " + s.Token
	}
	if r.Header.Get("Authorization") != want {
		writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Invalid token"})
		return
	}
	objs, ok := s.objects[r.URL.Path]
	if !ok {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html><body><h1>Page Not Found</h1></body></html>")
		return
	}
	q := r.URL.Query()
	if tag := q.Get("tag"); tag != "" && !s.tagExists(tag) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"tag": []string{fmt.Sprintf("Select a valid choice. %s is not one of the available choices.", tag)}})
		return
	}
	var out []map[string]any
	for _, o := range objs {
		if s.matches(r.URL.Path, o, q) {
			out = append(out, o)
		}
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > s.MaxPageSize {
		limit = s.MaxPageSize
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	page := out[min(offset, len(out)):min(offset+limit, len(out))]
	link := func(off int) any {
		if off < 0 || off >= len(out) {
			return nil
		}
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		if s.NextHost != "" {
			u.Host = s.NextHost
		}
		v := r.URL.Query()
		v.Set("limit", strconv.Itoa(limit))
		v.Set("offset", strconv.Itoa(off))
		u.RawQuery = v.Encode()
		return u.String()
	}
	prev := any(nil)
	if offset > 0 {
		prev = link(max(offset-limit, 0))
	}
	if q.Get("brief") != "" {
		var brief []map[string]any
		for _, o := range page {
			brief = append(brief, map[string]any{"id": o["id"], "url": o["url"], "display": o["display"], "name": o["name"], "slug": o["slug"], "description": o["description"]})
		}
		page = brief
	}
	if page == nil {
		page = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(out), "next": link(offset + limit), "previous": prev, "results": page})
}

// matches applies the filters NetBox's filter sets apply for the query
// parameters the importer sends.
func (s *Server) matches(path string, o map[string]any, q url.Values) bool {
	id := func(v any) string {
		if m, ok := v.(map[string]any); ok {
			return fmt.Sprint(m["id"])
		}
		return ""
	}
	for k, vs := range q {
		switch k {
		case "limit", "offset", "brief":
		case "slug":
			if !slices.Contains(vs, fmt.Sprint(o["slug"])) {
				return false
			}
		case "id":
			if !slices.Contains(vs, fmt.Sprint(o["id"])) {
				return false
			}
		case "device_id":
			if !slices.Contains(vs, id(o["device"])) {
				return false
			}
		case "tag":
			tags, _ := o["tags"].([]any)
			if !slices.ContainsFunc(tags, func(t any) bool { return slices.Contains(vs, fmt.Sprint(t.(map[string]any)["slug"])) }) {
				return false
			}
		case "site_id":
			if !slices.Contains(vs, s.siteOf(path, o)) {
				return false
			}
		default:
			return false // a filter this fake does not know: nothing matches
		}
	}
	return true
}

// siteOf is the id of the site an object is at: its own site, its
// device's, or its power panel's (the one panel is at PA3).
func (s *Server) siteOf(path string, o map[string]any) string {
	switch path {
	case "/api/dcim/power-ports/":
		dev := fmt.Sprint(o["device"].(map[string]any)["id"])
		for _, d := range s.objects["/api/dcim/devices/"] {
			if fmt.Sprint(d["id"]) == dev {
				return fmt.Sprint(d["site"].(map[string]any)["id"])
			}
		}
	case "/api/dcim/power-feeds/":
		return "2"
	default:
		if site, ok := o["site"].(map[string]any); ok {
			return fmt.Sprint(site["id"])
		}
	}
	return ""
}

func (s *Server) tagExists(tag string) bool {
	for _, d := range s.objects["/api/dcim/devices/"] {
		tags, _ := d["tags"].([]any)
		for _, t := range tags {
			if t.(map[string]any)["slug"] == tag {
				return true
			}
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("API-Version", "4.3")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
