package netbox_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/inventory/netbox"
	"github.com/dcmove/dcmove/inventory/netbox/netboxtest"
	"github.com/dcmove/dcmove/planner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// now dates the plans of the tests.
var now = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func client(s *netboxtest.Server) *netbox.Client {
	return &netbox.Client{BaseURL: s.URL, Token: s.Token, HTTP: &http.Client{Timeout: 5 * time.Second}}
}

// wave is the move of the fixtures: PA2's devices tagged move-wave-1, to PA3.
var wave = netbox.Options{Site: "pa2", ToSite: "pa3", Tag: "move-wave-1"}

func device(t *testing.T, devs []netbox.Device, name string) netbox.Device {
	t.Helper()
	for _, d := range devs {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no device %q", name)
	return netbox.Device{}
}

// TestReadAPI reads the fixtures' move through the API: every request
// carries the token, lists come in several pages, nested objects and
// nulls are read, draws, heights, weights and feeds are what NetBox says.
func TestReadAPI(t *testing.T) {
	s := netboxtest.NewServer(t)
	inv, err := client(s).Read(t.Context(), wave)
	if err != nil {
		t.Fatal(err)
	}
	devicePages := 0
	for _, r := range s.Requests() {
		if r.Authorization != "Token "+netboxtest.Token {
			t.Errorf("request %s?%s has Authorization %q", r.Path, r.Query, r.Authorization)
		}
		if r.Path == "/api/dcim/devices/" && strings.Contains(r.Query, "site_id=1") {
			devicePages++
		}
	}
	if devicePages < 3 {
		t.Errorf("the devices of pa2 came in %d pages, want 3 or more (the server's pages hold 3)", devicePages)
	}
	if inv.From.Slug != "pa2" || inv.From.TimeZone != "Europe/Paris" || inv.To.Name != "Paris 3" {
		t.Errorf("sites %+v %+v", inv.From, inv.To)
	}
	if len(inv.Devices) != 14 {
		t.Errorf("%d devices tagged move-wave-1 at pa2, want 14 (web-03 is not tagged)", len(inv.Devices))
	}
	if len(inv.Present) != 3 {
		t.Errorf("%d devices at pa3, want 3", len(inv.Present))
	}
	for _, tt := range []struct {
		name             string
		height, position float64
		draw             int
		from             string
		weight           float64
	}{
		{"web-01", 1, 10, 400, "allocated", 21.5},       // two ports, 200 W allocated each
		{"web-02", 1, 11, 750, "maximum", 21.5},         // no allocated draw: the largest maximum
		{"db01.pa2", 2, 20, 450, "allocated", 28.57626}, // 63 lb
		{"sw-core-1", 1, 42, 715, "maximum", 0},         // the device type has no weight (null)
		{"edge-rtr", 0.5, 20.5, 15, "maximum", 0.3},
		{"pdu-a", 0, 0, 0, "", 5.9}, // 0U, position null, face null
	} {
		d := device(t, inv.Devices, tt.name)
		if d.Height != tt.height || !d.HeightKnown || d.Position != tt.position || d.Draw != tt.draw || d.DrawFrom != tt.from || fmt.Sprintf("%.3f", d.Weight) != fmt.Sprintf("%.3f", tt.weight) {
			t.Errorf("%s = %+v", tt.name, d)
		}
	}
	if d := device(t, inv.Devices, "blade-1"); d.Parent != "chassis-1" || d.Bay != "Bay 1" {
		t.Errorf("blade-1's parent = %q, bay %q", d.Parent, d.Bay)
	}
	if d := device(t, inv.Devices, "fw-1"); d.Status != "planned" || d.Role != "firewall" || d.Manufacturer != "Fortinet" || d.Face != "front" {
		t.Errorf("fw-1 = %+v", d)
	}
	if d := device(t, inv.Devices, "spare-1"); d.Rack != "" || d.Position != 0 {
		t.Errorf("spare-1 (no rack) = %+v", d)
	}
	power := map[string]int{}
	for _, r := range inv.Racks {
		power[r.Name] = r.Power
	}
	// R12: 230 V × 32 A × 80%, its redundant feed not counted; R14: three-phase.
	if power["R12"] != 5888 || power["R13"] != 2944 || power["R14"] != 8868 {
		t.Errorf("rack power = %v, want R12 5888, R13 2944, R14 8868", power)
	}
}

// A v2 token (NetBox 4.5) goes as Bearer.
func TestReadAPIv2Token(t *testing.T) {
	s := netboxtest.NewServer(t)
	s.Token = "nbt_k3y1d.s3cr3tpart0fth3t0k3n"
	if _, err := client(s).Read(t.Context(), netbox.Options{Site: "pa3"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Requests() {
		if r.Authorization != "Bearer "+s.Token {
			t.Fatalf("Authorization %q, want Bearer", r.Authorization)
		}
	}
}

// The next links NetBox writes behind a proxy name another host: the
// pages are read from the address given, and the token goes nowhere else.
func TestReadAPINextOnAnotherHost(t *testing.T) {
	s := netboxtest.NewServer(t)
	s.NextHost = "netbox.internal:8000"
	inv, err := client(s).Read(t.Context(), wave)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Devices) != 14 {
		t.Errorf("%d devices, want 14", len(inv.Devices))
	}
}

// A site given by name, or in another case, is found; an unknown one is
// refused with the sites that exist.
func TestReadAPISite(t *testing.T) {
	s := netboxtest.NewServer(t)
	inv, err := client(s).Read(t.Context(), netbox.Options{Site: "Paris 2"})
	if err != nil || inv.From.Slug != "pa2" || inv.From.TimeZone != "Europe/Paris" {
		t.Fatalf("site by name: %v, %+v", err, inv)
	}
	_, err = client(s).Read(t.Context(), netbox.Options{Site: "pa4"})
	if !errors.Is(err, netbox.ErrNotFound) || !strings.Contains(err.Error(), `NetBox has no site "pa4"`) || !strings.Contains(err.Error(), "pa2") {
		t.Errorf("unknown site: %v", err)
	}
}

// TestReadAPIErrors: every failure says what to do, and never shows the
// token.
func TestReadAPIErrors(t *testing.T) {
	devicesPage := func(offset bool) func(r *http.Request) bool {
		return func(r *http.Request) bool {
			return r.URL.Path == "/api/dcim/devices/" && strings.Contains(r.URL.RawQuery, "offset=") == offset
		}
	}
	for _, tt := range []struct {
		name  string
		fault func(w http.ResponseWriter, r *http.Request) bool
		setup func(s *netboxtest.Server, c *netbox.Client, opt *netbox.Options)
		want  []string
		is    error
	}{
		{name: "401", fault: func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"detail": "Authentication credentials were not provided."}`)
			return true
		}, want: []string{"HTTP 401", "NetBox refused the token", "check that it is right, not expired, and allowed to read DCIM"}},
		{name: "wrong token", setup: func(s *netboxtest.Server, c *netbox.Client, _ *netbox.Options) {
			c.Token = "ffffffffffffffffffffffffffffffffffffffff"
		},
			want: []string{"HTTP 403", "NetBox refused the token (NetBox says: Invalid token)"}},
		{name: "no token", setup: func(s *netboxtest.Server, c *netbox.Client, _ *netbox.Options) { c.Token = "" },
			want: []string{"HTTP 403", "NetBox wants a token", "NETBOX_TOKEN or --token-file"}},
		{name: "not the root", setup: func(s *netboxtest.Server, c *netbox.Client, _ *netbox.Options) { c.BaseURL = s.URL + "/netbox" },
			want: []string{"HTTP 404", "is the URL NetBox's root"}},
		{name: "unknown tag", setup: func(s *netboxtest.Server, c *netbox.Client, opt *netbox.Options) { opt.Tag = "wave-9" },
			want: []string{"HTTP 400", "tag: [Select a valid choice. wave-9 is not one of the available choices.]", "a tag is given by its slug"}},
		{name: "page too large", setup: func(s *netboxtest.Server, c *netbox.Client, _ *netbox.Options) { c.MaxBody = 4 << 10 },
			want: []string{"page 1 is larger than", "--page-size"}, is: netbox.ErrTooMany},
		{name: "too many objects", setup: func(s *netboxtest.Server, c *netbox.Client, _ *netbox.Options) { c.MaxItems = 5 },
			want: []string{"the devices of site pa2 tagged move-wave-1", "more than 5 objects (NetBox counts 14)", "--tag"}, is: netbox.ErrTooMany},
		{name: "too many pages", setup: func(s *netboxtest.Server, c *netbox.Client, _ *netbox.Options) { c.MaxPages = 2 },
			want: []string{"more than 2 pages"}, is: netbox.ErrTooMany},
		{name: "malformed JSON", fault: func(w http.ResponseWriter, r *http.Request) bool {
			if !devicesPage(true)(r) {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"count": 14, "next": null, "results": [{"id": 4, "name": `)
			return true
		}, want: []string{"page 2 is not the JSON list NetBox sends"}},
		{name: "a field of the wrong type", fault: func(w http.ResponseWriter, r *http.Request) bool {
			if !devicesPage(false)(r) {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"count": 1, "next": null, "results": [{"id": 4, "name": "x", "position": "top"}]}`)
			return true
		}, want: []string{"object 1 of page 1 is not what NetBox's API sends"}},
		{name: "a login page", fault: func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><form>login</form></html>")
			return true
		}, want: []string{"the answer is a web page, not the API's JSON"}},
		{name: "server gone mid-pagination", fault: func(w http.ResponseWriter, r *http.Request) bool {
			if !devicesPage(true)(r) {
				return false
			}
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return true
		}, want: []string{"reading the devices of site pa2 tagged move-wave-1 from NetBox: page 2:", "check that NetBox is up"}},
		{name: "a next page elsewhere", fault: func(w http.ResponseWriter, r *http.Request) bool {
			if !devicesPage(false)(r) {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"count": 9, "next": "http://evil.example/steal/?offset=3", "previous": null, "results": []}`)
			return true
		}, want: []string{`the next page's address "http://evil.example/steal/?offset=3" is not under`}},
		{name: "a loop", fault: func(w http.ResponseWriter, r *http.Request) bool {
			if !devicesPage(false)(r) {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"count": 9, "next": "http://%s%s?%s", "previous": null, "results": []}`, r.Host, r.URL.Path, r.URL.RawQuery)
			return true
		}, want: []string{"links back to a page already read"}},
		{name: "server error", fault: func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"detail": "boom"}`)
			return true
		}, want: []string{"HTTP 500", "NetBox failed (NetBox says: boom)"}},
		{name: "not a URL", setup: func(s *netboxtest.Server, c *netbox.Client, _ *netbox.Options) { c.BaseURL = "netbox.example.com" },
			want: []string{"give NetBox's root address"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := netboxtest.NewServer(t)
			s.Fault = tt.fault
			c := client(s)
			opt := wave
			if tt.setup != nil {
				tt.setup(s, c, &opt)
			}
			_, err := c.Read(t.Context(), opt)
			if err == nil {
				t.Fatal("read succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if strings.Contains(err.Error(), netboxtest.Token) || strings.Contains(err.Error(), c.Token) && c.Token != "" {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

// A cancelled context stops the read.
func TestReadAPICancelled(t *testing.T) {
	s := netboxtest.NewServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	s.Fault = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/dcim/devices/" {
			cancel()
			<-r.Context().Done()
			return true
		}
		return false
	}
	_, err := client(s).Read(ctx, wave)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("cancelled read: %v", err)
	}
}

// TestWritePlan writes the fixtures' move as a plan (testdata/pa2-to-pa3.yaml,
// rewritten with -update): it reads back, lists what needs a decision,
// and dcmove's capacity lints find the destination's problems.
func TestWritePlan(t *testing.T) {
	s := netboxtest.NewServer(t)
	inv, err := client(s).Read(t.Context(), wave)
	if err != nil {
		t.Fatal(err)
	}
	res, err := netbox.WritePlan(inv, netbox.PlanOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got := bytes.ReplaceAll(res.YAML, []byte(s.URL), []byte("http://127.0.0.1:PORT"))
	golden(t, "pa2-to-pa3.yaml", got)
	if bytes.Contains(res.YAML, []byte(netboxtest.Token)) {
		t.Error("the plan holds the token")
	}
	p, err := planner.Parse("plan.yaml", res.YAML)
	if err != nil {
		t.Fatalf("the plan does not read back:\n%v", err)
	}
	if res.Assets != 10 || len(p.Assets) != 10 {
		t.Errorf("%d assets (%d in the plan), want 10", res.Assets, len(p.Assets))
	}
	var decisions []string
	for _, d := range res.Decisions {
		decisions = append(decisions, d.String())
	}
	all := strings.Join(decisions, "\n")
	for _, want := range []string{
		"pdu-a (NetBox device 6): it is a 0U device of rack R12",
		"patch-rear (NetBox device 14): shares U41 of rack R13 with patch-front",
		"old-nas (NetBox device 8): its status in NetBox is offline",
		"blade-1 (NetBox device 7): it sits in device bay Bay 1 of chassis-1",
		"spare-1 (NetBox device 11): it is in no rack in NetBox",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("decisions do not say %q:\n%s", want, all)
		}
	}
	if len(res.Decisions) != 5 {
		t.Errorf("%d decisions, want 5:\n%s", len(res.Decisions), all)
	}
	found := map[string]string{}
	for _, f := range planner.Lint(p) {
		found[f.ID] += f.String() + "\n"
	}
	for id, want := range map[string]string{
		"L022": "asset web-01 takes U10 of rack R12 at pa3, which overlaps equipment outside the plan (used: U10-U11)",
		"L023": "rack R13 at pa3 may supply 2944 W",
		"L024": "rack R12 at pa3 may carry 100 kg",
	} {
		if !strings.Contains(found[id], want) {
			t.Errorf("%s: %q, want %q", id, found[id], want)
		}
	}
}

// With --rack-map the assets of a rack go to another; without a
// destination nothing moves, and the plan still reads back.
func TestWritePlanRackMapAndNoDestination(t *testing.T) {
	s := netboxtest.NewServer(t)
	inv, err := client(s).Read(t.Context(), wave)
	if err != nil {
		t.Fatal(err)
	}
	res, err := netbox.WritePlan(inv, netbox.PlanOptions{Now: now, RackMap: map[string]string{"R13": "R14", "R12": "R99"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Parse("plan.yaml", res.YAML)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range p.Assets {
		if a.From.Rack == "R13" && a.To.Rack != "R14" || a.From.Rack == "R12" && a.To.Rack != "R99" {
			t.Errorf("asset %s goes from %s to %s", a.ID, a.From.Rack, a.To.Rack)
		}
	}
	if r, ok := p.Rack("pa3", "R14"); !ok || r.Height != 48 || r.Power != 8868 || r.Weight != 1200 {
		t.Errorf("rack R14 = %+v, %v", r, ok)
	}
	if notes := strings.Join(res.Notes, "\n"); !strings.Contains(notes, "rack R99 does not exist at pa3 in NetBox") {
		t.Errorf("notes do not say R99 is missing:\n%s", notes)
	}

	inv, err = client(s).Read(t.Context(), netbox.Options{Site: "pa2"})
	if err != nil {
		t.Fatal(err)
	}
	res, err = netbox.WritePlan(inv, netbox.PlanOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	p, err = planner.Parse("plan.yaml", res.YAML)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.YAML)
	}
	if p.Name != "pa2-move" || len(p.Assets) != 11 || p.Assets[0].Moved() {
		t.Errorf("plan %s with %d assets, the first moved: %v", p.Name, len(p.Assets), p.Assets[0].Moved())
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was written (run go test -update and review the diff):\n%s", path, got)
	}
}
