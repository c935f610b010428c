package netbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dcmove/dcmove/internal/redact"
	"github.com/dcmove/dcmove/planner"
)

// The bounds of a read, unless a Client says otherwise.
const (
	DefaultPageSize = 250              // objects asked for per page (NetBox caps it at its MAX_PAGE_SIZE, 1000 by default)
	DefaultMaxPages = 400              // pages of one list
	DefaultMaxItems = 50_000           // objects of one list
	DefaultMaxBody  = 16 << 20         // bytes of one page
	DefaultTimeout  = 30 * time.Second // one request, headers and body
)

// Client reads NetBox's REST API.
type Client struct {
	// BaseURL is NetBox's root, e.g. https://netbox.example.com (with its
	// path when NetBox is served under one): the API is BaseURL/api/.
	BaseURL string
	// Token is the API token: a v2 token (nbt_…, NetBox 4.5 and later) is
	// sent as "Bearer", any other as "Token" (v1). Empty: no
	// authorization, for a NetBox that lets anyone read.
	Token string
	// HTTP does the requests; nil is a client with DefaultTimeout.
	HTTP *http.Client
	// PageSize, MaxPages, MaxItems and MaxBody bound each list read; zero
	// is the default.
	PageSize, MaxPages, MaxItems int
	MaxBody                      int64
}

// Options says what to read.
type Options struct {
	// Site is the source site, by slug or name; ToSite the destination,
	// "" for none.
	Site, ToSite string
	// Tag keeps only the source devices with this tag (its slug), ""
	// for all.
	Tag string
}

// Error is a failed request to NetBox: what was read, the HTTP status
// (0 when there was no answer) and what to do.
type Error struct {
	What   string // "devices of site pa2"
	Status int
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	if e.Status > 0 {
		return fmt.Sprintf("reading %s from NetBox: HTTP %d: %s", e.What, e.Status, e.Msg)
	}
	return fmt.Sprintf("reading %s from NetBox: %s", e.What, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTooMany is matched by errors.Is when a list is longer than the
// client's bounds.
var ErrTooMany = errors.New("netbox: too many objects")

// ErrNotFound is matched by errors.Is when a site does not exist.
var ErrNotFound = errors.New("netbox: no such object")

// kindError is an error whose message is its own, and that errors.Is
// matches with kind too.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

func errorOf(kind error, format string, args ...any) error {
	return &kindError{kind, fmt.Sprintf(format, args...)}
}

// Read reads the source site's devices (with the tag) and what stands at
// the destination: its racks, their power feeds and its devices.
func (c *Client) Read(ctx context.Context, opt Options) (*Inventory, error) {
	base, err := c.base()
	if err != nil {
		return nil, err
	}
	redact.Secret(c.Token)
	inv := &Inventory{Source: "NetBox at " + redact.URL(base.String()), Tag: opt.Tag}
	if inv.From, err = c.site(ctx, opt.Site); err != nil {
		return nil, err
	}
	q := url.Values{"site_id": {strconv.Itoa(inv.From.ID)}}
	what := "the devices of site " + inv.From.Slug
	if opt.Tag != "" {
		q.Set("tag", opt.Tag)
		what += " tagged " + opt.Tag
	}
	devs, err := c.devices(ctx, q, what)
	if err != nil {
		return nil, err
	}
	var present []apiDevice
	var racks []apiRack
	var feeds []apiFeed
	if opt.ToSite != "" {
		if inv.To, err = c.site(ctx, opt.ToSite); err != nil {
			return nil, err
		}
		at := url.Values{"site_id": {strconv.Itoa(inv.To.ID)}}
		if present, err = c.devices(ctx, at, "the devices of site "+inv.To.Slug); err != nil {
			return nil, err
		}
		if err := list(ctx, c, "/api/dcim/racks/", at, "the racks of site "+inv.To.Slug, &racks); err != nil {
			return nil, err
		}
		if err := list(ctx, c, "/api/dcim/power-feeds/", at, "the power feeds of site "+inv.To.Slug, &feeds); err != nil {
			return nil, err
		}
	}
	all := slices.Concat(devs, present)
	types, err := c.deviceTypes(ctx, all)
	if err != nil {
		return nil, err
	}
	draws, err := c.draws(ctx, inv, opt.Tag != "", devs, present)
	if err != nil {
		return nil, err
	}
	for _, d := range devs {
		inv.Devices = append(inv.Devices, d.device(types, draws))
	}
	for _, d := range present {
		inv.Present = append(inv.Present, d.device(types, draws))
	}
	for _, r := range racks {
		inv.Racks = append(inv.Racks, r.rack())
	}
	fs := make([]Feed, 0, len(feeds))
	for _, f := range feeds {
		fs = append(fs, f.feed())
	}
	budget(inv.Racks, fs)
	return inv, nil
}

// base parses BaseURL: http or https, with a host, without the /api/
// that the client adds.
func (c *Client) base() (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(c.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("NetBox URL %q: give NetBox's root address, e.g. --from-netbox https://netbox.example.com", redact.URL(c.BaseURL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("NetBox URL %s holds a user name or password: NetBox takes a token, give it with NETBOX_TOKEN or --token-file", redact.URL(c.BaseURL))
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// site finds a site by slug, else by name or slug in any case, and says
// which sites exist when none matches.
func (c *Client) site(ctx context.Context, name string) (*Site, error) {
	var sites []apiSite
	if err := list(ctx, c, "/api/dcim/sites/", url.Values{"slug": {name}}, "site "+name, &sites); err != nil {
		return nil, err
	}
	if len(sites) == 0 {
		var all []apiSite
		if err := list(ctx, c, "/api/dcim/sites/", url.Values{"brief": {"1"}}, "the list of sites", &all); err != nil {
			return nil, err
		}
		var names []string
		for _, s := range all {
			if strings.EqualFold(s.Slug, name) || strings.EqualFold(s.Name, name) {
				var one []apiSite
				if err := list(ctx, c, "/api/dcim/sites/", url.Values{"slug": {s.Slug}}, "site "+s.Slug, &one); err != nil {
					return nil, err
				}
				if len(one) > 0 {
					s = one[0]
				}
				return &Site{ID: s.ID, Slug: s.Slug, Name: s.Name, TimeZone: s.TimeZone}, nil
			}
			names = append(names, s.Slug)
		}
		hint := "NetBox has no site at all: check the URL and that the token may read sites"
		if len(names) > 0 {
			hint = planner.Hint(name, "site slugs", names)
		}
		return nil, errorOf(ErrNotFound, "NetBox has no site %q; %s", name, hint)
	}
	s := sites[0]
	return &Site{ID: s.ID, Slug: s.Slug, Name: s.Name, TimeZone: s.TimeZone}, nil
}

func (c *Client) devices(ctx context.Context, q url.Values, what string) ([]apiDevice, error) {
	var out []apiDevice
	err := list(ctx, c, "/api/dcim/devices/", q, what, &out)
	return out, err
}

// deviceTypes reads the device types of the devices, by id, a hundred at
// a time.
func (c *Client) deviceTypes(ctx context.Context, devs []apiDevice) (map[int]apiDeviceType, error) {
	var ids []string
	seen := map[int]bool{}
	for _, d := range devs {
		if d.DeviceType != nil && !seen[d.DeviceType.ID] {
			seen[d.DeviceType.ID] = true
			ids = append(ids, strconv.Itoa(d.DeviceType.ID))
		}
	}
	out := map[int]apiDeviceType{}
	for len(ids) > 0 {
		n := min(len(ids), 100)
		var types []apiDeviceType
		if err := list(ctx, c, "/api/dcim/device-types/", url.Values{"id": ids[:n]}, "device types", &types); err != nil {
			return nil, err
		}
		for _, t := range types {
			out[t.ID] = t
		}
		ids = ids[n:]
	}
	return out, nil
}

// draw is what a device's power ports say it draws.
type draw struct {
	allocated, maximum int
	hasAllocated       bool
}

// draws reads the power ports of the devices: of the whole source site,
// or only of the tagged devices when there is a tag, and of the whole
// destination site.
func (c *Client) draws(ctx context.Context, inv *Inventory, tagged bool, devs, present []apiDevice) (map[int]*draw, error) {
	var ports []apiPowerPort
	if tagged {
		var ids []string
		for _, d := range devs {
			ids = append(ids, strconv.Itoa(d.ID))
		}
		for len(ids) > 0 {
			n := min(len(ids), 100)
			var some []apiPowerPort
			if err := list(ctx, c, "/api/dcim/power-ports/", url.Values{"device_id": ids[:n]}, "the power ports of the devices", &some); err != nil {
				return nil, err
			}
			ports = append(ports, some...)
			ids = ids[n:]
		}
	} else if len(devs) > 0 {
		if err := list(ctx, c, "/api/dcim/power-ports/", url.Values{"site_id": {strconv.Itoa(inv.From.ID)}}, "the power ports of site "+inv.From.Slug, &ports); err != nil {
			return nil, err
		}
	}
	if inv.To != nil && len(present) > 0 && inv.To.ID != inv.From.ID {
		var some []apiPowerPort
		if err := list(ctx, c, "/api/dcim/power-ports/", url.Values{"site_id": {strconv.Itoa(inv.To.ID)}}, "the power ports of site "+inv.To.Slug, &some); err != nil {
			return nil, err
		}
		ports = append(ports, some...)
	}
	out := map[int]*draw{}
	seen := map[int]bool{}
	for _, p := range ports {
		if p.Device == nil || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		d := out[p.Device.ID]
		if d == nil {
			d = &draw{}
			out[p.Device.ID] = d
		}
		if p.AllocatedDraw != nil && *p.AllocatedDraw > 0 {
			d.allocated += *p.AllocatedDraw
			d.hasAllocated = true
		}
		if p.MaximumDraw != nil && *p.MaximumDraw > d.maximum {
			d.maximum = *p.MaximumDraw
		}
	}
	return out, nil
}

// page is one page of a NetBox list.
type page struct {
	Count   int               `json:"count"`
	Next    *string           `json:"next"`
	Results []json.RawMessage `json:"results"`
}

// list reads every page of the list at path (under BaseURL) with the
// query q into out, following next, within the client's bounds.
func list[T any](ctx context.Context, c *Client, path string, q url.Values, what string, out *[]T) error {
	base, err := c.base()
	if err != nil {
		return err
	}
	maxPages, maxItems := cmpOr(c.MaxPages, DefaultMaxPages), cmpOr(c.MaxItems, DefaultMaxItems)
	q = cloneValues(q)
	q.Set("limit", strconv.Itoa(cmpOr(c.PageSize, DefaultPageSize)))
	u := *base
	u.Path = base.Path + path
	u.RawQuery = q.Encode()
	next := u.String()
	visited := map[string]bool{}
	for n := 1; next != ""; n++ {
		if n > maxPages {
			return &Error{What: what, Msg: fmt.Sprintf("more than %d pages; narrow the import (--tag) or raise --page-size", maxPages), Err: ErrTooMany}
		}
		if visited[next] {
			return &Error{What: what, Msg: fmt.Sprintf("page %d links back to a page already read (%s): NetBox's pagination loops", n, path)}
		}
		visited[next] = true
		p, err := c.get(ctx, next, what, n)
		if err != nil {
			return err
		}
		if len(*out)+len(p.Results) > maxItems {
			return &Error{What: what, Msg: fmt.Sprintf("more than %d objects (NetBox counts %d); narrow the import (--tag), or raise --max-objects", maxItems, p.Count), Err: ErrTooMany}
		}
		for i, raw := range p.Results {
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return &Error{What: what, Msg: fmt.Sprintf("object %d of page %d is not what NetBox's API sends (%v); is this NetBox 3.x or 4.x?", i+1, n, err), Err: err}
			}
			*out = append(*out, v)
		}
		next = ""
		if p.Next != nil && *p.Next != "" {
			if next, err = follow(base, *p.Next); err != nil {
				return &Error{What: what, Msg: err.Error()}
			}
		}
	}
	return nil
}

// follow returns the URL of the next page: the path and query NetBox
// gave, on the scheme and host of BaseURL. A NetBox behind a proxy often
// writes its own address wrong (http for https, an inner host name), and
// the token must only ever go to the address the user gave.
func follow(base *url.URL, next string) (string, error) {
	n, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("the next page's address %q is not a URL", planner.Clip(next))
	}
	if n.Path == "" || !strings.HasPrefix(n.Path, base.Path+"/api/") {
		return "", fmt.Errorf("the next page's address %q is not under %s/api/", planner.Clip(next), base.String())
	}
	u := *base
	u.Path, u.RawPath, u.RawQuery = n.Path, n.RawPath, n.RawQuery
	return u.String(), nil
}

// get reads one page.
func (c *Client) get(ctx context.Context, addr, what string, n int) (*page, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return nil, &Error{What: what, Msg: err.Error(), Err: err}
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case strings.HasPrefix(c.Token, "nbt_"):
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.Token != "":
		req.Header.Set("Authorization", "Token "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{What: what, Msg: "stopped: " + ctx.Err().Error(), Err: ctx.Err()}
		}
		return nil, &Error{What: what, Msg: fmt.Sprintf("page %d: %v; check that NetBox is up and reachable, then import again", n, redact.Error(err)), Err: err}
	}
	defer resp.Body.Close()
	limit := c.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &Error{What: what, Status: resp.StatusCode, Msg: fmt.Sprintf("page %d broke off: %v; check that NetBox is up, then import again", n, redact.Error(err)), Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{What: what, Status: resp.StatusCode, Msg: c.explain(resp.StatusCode, body)}
	}
	if int64(len(body)) > limit {
		return nil, &Error{What: what, Status: resp.StatusCode, Msg: fmt.Sprintf("page %d is larger than %d MiB; ask for smaller pages (--page-size)", n, limit>>20), Err: ErrTooMany}
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "text/html" {
		return nil, &Error{What: what, Status: resp.StatusCode, Msg: "the answer is a web page, not the API's JSON: is the URL NetBox's root (e.g. https://netbox.example.com)?"}
	}
	var p page
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil || p.Results == nil {
		why := "it has no results"
		if err != nil {
			why = err.Error()
		}
		return nil, &Error{What: what, Status: resp.StatusCode, Msg: fmt.Sprintf("page %d is not the JSON list NetBox sends (%s): is the URL NetBox's root?", n, why), Err: err}
	}
	return &p, nil
}

// explain says what an HTTP error from NetBox means, and what to do.
func (c *Client) explain(status int, body []byte) string {
	detail := ""
	var v struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &v) == nil && v.Detail != "" {
		detail = " (NetBox says: " + planner.Clip(oneLine(v.Detail)) + ")"
	}
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		if c.Token == "" {
			return "NetBox wants a token" + detail + ": give one with NETBOX_TOKEN or --token-file"
		}
		return "NetBox refused the token" + detail + ": check that it is right, not expired, and allowed to read DCIM (sites, racks, devices, device types, power ports and feeds)"
	case http.StatusNotFound:
		return "no such page: is the URL NetBox's root (e.g. https://netbox.example.com, not …/api/dcim/devices/)?"
	case http.StatusBadRequest:
		msg := oneLine(string(body))
		var fields map[string]any
		if json.Unmarshal(body, &fields) == nil {
			var parts []string
			for k, f := range fields {
				parts = append(parts, fmt.Sprintf("%s: %v", k, f))
			}
			slices.Sort(parts)
			msg = strings.Join(parts, "; ")
		}
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return "NetBox refused the query: " + msg + "; check --site, --to-site and --tag (a tag is given by its slug)"
	}
	if status >= 500 {
		return "NetBox failed" + detail + "; try again, or ask its administrators"
	}
	return http.StatusText(status) + detail
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

// The shapes of NetBox's API answers (3.x and 4.x), as far as the plan
// needs them. Every field may be null.

type nested struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Slug    string `json:"slug"`
	Display string `json:"display"`
}

type choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// UnmarshalJSON reads {value, label}, a bare string (older versions and
// some fields) or null.
func (c *choice) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &c.Value)
	}
	type plain choice
	return json.Unmarshal(b, (*plain)(c))
}

// decimal is a number NetBox may send as a number or a string ("10.0").
type decimal struct {
	V     float64
	Valid bool
}

func (d *decimal) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*d = decimal{}
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s is not a number", planner.Clip(string(b)))
	}
	*d = decimal{v, true}
	return nil
}

type apiSite struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	TimeZone string `json:"time_zone"`
}

type apiDevice struct {
	ID         int     `json:"id"`
	Name       string  `json:"name"`
	DeviceType *nested `json:"device_type"`
	Role       *nested `json:"role"`
	DeviceRole *nested `json:"device_role"` // NetBox 3.x
	Rack       *nested `json:"rack"`
	Position   decimal `json:"position"`
	Face       *choice `json:"face"`
	Status     *choice `json:"status"`
	Parent     *struct {
		nested
		DeviceBay *nested `json:"device_bay"`
	} `json:"parent_device"`
	Tags     []nested `json:"tags"`
	Serial   string   `json:"serial"`
	AssetTag string   `json:"asset_tag"`
}

type apiDeviceType struct {
	ID           int     `json:"id"`
	Model        string  `json:"model"`
	Manufacturer *nested `json:"manufacturer"`
	UHeight      decimal `json:"u_height"`
	Weight       decimal `json:"weight"`
	WeightUnit   *choice `json:"weight_unit"`
}

type apiRack struct {
	ID           int     `json:"id"`
	Name         string  `json:"name"`
	Status       *choice `json:"status"`
	UHeight      int     `json:"u_height"`
	StartingUnit int     `json:"starting_unit"`
	MaxWeight    decimal `json:"max_weight"`
	WeightUnit   *choice `json:"weight_unit"`
}

type apiPowerPort struct {
	ID            int     `json:"id"`
	Device        *nested `json:"device"`
	MaximumDraw   *int    `json:"maximum_draw"`
	AllocatedDraw *int    `json:"allocated_draw"`
}

type apiFeed struct {
	ID             int     `json:"id"`
	Name           string  `json:"name"`
	Rack           *nested `json:"rack"`
	Status         *choice `json:"status"`
	Type           *choice `json:"type"`
	Phase          *choice `json:"phase"`
	Voltage        *int    `json:"voltage"`
	Amperage       *int    `json:"amperage"`
	MaxUtilization *int    `json:"max_utilization"`
}

func value(c *choice) string {
	if c == nil {
		return ""
	}
	return c.Value
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func (d apiDevice) device(types map[int]apiDeviceType, draws map[int]*draw) Device {
	out := Device{ID: d.ID, Name: d.Name, Face: value(d.Face), Status: value(d.Status), Serial: d.Serial, AssetTag: d.AssetTag}
	if d.Position.Valid {
		out.Position = d.Position.V
	}
	if d.Rack != nil {
		out.Rack = d.Rack.Name
	}
	role := d.Role
	if role == nil {
		role = d.DeviceRole
	}
	if role != nil {
		out.Role = role.Slug
	}
	if d.Parent != nil {
		out.Parent = d.Parent.Name
		if d.Parent.DeviceBay != nil {
			out.Bay = d.Parent.DeviceBay.Name
		}
	}
	for _, t := range d.Tags {
		out.Tags = append(out.Tags, t.Slug)
	}
	if d.DeviceType != nil {
		out.Type = d.DeviceType.Name
		if t, ok := types[d.DeviceType.ID]; ok {
			out.Type = t.Model
			if t.Manufacturer != nil {
				out.Manufacturer = t.Manufacturer.Name
			}
			if t.UHeight.Valid {
				out.Height, out.HeightKnown = t.UHeight.V, true
			}
			if t.Weight.Valid {
				out.Weight, _ = kilograms(t.Weight.V, value(t.WeightUnit))
			}
		}
	}
	if dr := draws[d.ID]; dr != nil {
		switch {
		case dr.hasAllocated:
			out.Draw, out.DrawFrom = dr.allocated, "allocated"
		case dr.maximum > 0:
			out.Draw, out.DrawFrom = dr.maximum, "maximum"
		}
	}
	return out
}

func (r apiRack) rack() Rack {
	out := Rack{Name: r.Name, Height: r.UHeight, StartingUnit: max(r.StartingUnit, 1), Status: value(r.Status)}
	if r.MaxWeight.Valid {
		out.MaxWeight, _ = kilograms(r.MaxWeight.V, value(r.WeightUnit))
	}
	return out
}

func (f apiFeed) feed() Feed {
	out := Feed{Name: f.Name, Status: value(f.Status), Type: value(f.Type), Phase: value(f.Phase),
		Voltage: deref(f.Voltage), Amperage: deref(f.Amperage), MaxUtilization: deref(f.MaxUtilization)}
	if f.Rack != nil {
		out.Rack = f.Rack.Name
	}
	return out
}
