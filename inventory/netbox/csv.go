package netbox

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/dcmove/dcmove/planner"
)

// The bounds of a CSV export.
const (
	MaxCSVBytes = 64 << 20 // one file
	MaxCSVRows  = DefaultMaxItems
)

// The files of a NetBox CSV export that ReadCSV reads, by the name of the
// list view they come from. NetBox names its exports netbox_devices.csv,
// netbox_racks.csv and so on; devices.csv, racks.csv, power-feeds.csv are
// read too.
var csvKinds = map[string]string{
	"devices": "devices", "device": "devices",
	"devicetypes": "types", "devicetype": "types",
	"racks": "racks", "rack": "racks",
	"powerfeeds": "feeds", "powerfeed": "feeds", "feeds": "feeds",
	"powerports": "ports", "powerport": "ports",
	"sites": "sites", "site": "sites",
}

// The columns read from each file, by their header as NetBox writes it in
// any case, with spaces, parentheses and underscores left out: "Position
// (U)", "position" and "POSITION" are one column.
var csvColumns = map[string]map[string][]string{
	"devices": {
		"id": {"id"}, "name": {"name", "device"}, "status": {"status"}, "site": {"site"}, "rack": {"rack"},
		"position": {"position", "positionu"}, "face": {"face", "rackface"}, "role": {"role", "devicerole"},
		"type": {"type", "devicetype", "model"}, "manufacturer": {"manufacturer"},
		"height": {"uheight", "heightu", "height"}, "tags": {"tags"}, "parent": {"parentdevice", "parent"},
		"bay": {"devicebay", "positiondevicebay", "bay"}, "serial": {"serialnumber", "serial"}, "assettag": {"assettag"},
		"weight": {"weight"}, "weightunit": {"weightunit"},
	},
	"types": {
		"manufacturer": {"manufacturer"}, "model": {"model", "devicetype", "type", "name"},
		"height": {"uheight", "heightu", "height"}, "weight": {"weight"}, "weightunit": {"weightunit"},
	},
	"racks": {
		"name": {"name", "rack"}, "site": {"site"}, "status": {"status"}, "height": {"height", "uheight", "heightu"},
		"startingunit": {"startingunit"}, "maxweight": {"maxweight", "maximumweight"}, "weightunit": {"weightunit"},
	},
	"feeds": {
		"name": {"name"}, "site": {"site"}, "rack": {"rack"}, "status": {"status"}, "type": {"type"}, "phase": {"phase"},
		"voltage": {"voltage"}, "amperage": {"amperage"}, "maxutilization": {"maxutilization", "maxutilisation"},
		"available": {"availablepowerva", "availablepower"},
	},
	"ports": {
		"device": {"device"}, "site": {"site"}, "maximum": {"maximumdraw", "maximumdraww", "maxdraw"},
		"allocated": {"allocateddraw", "allocateddraww"},
	},
	"sites": {"name": {"name"}, "slug": {"slug"}, "timezone": {"timezone"}},
}

// csvFile is one file of the export, its rows keyed by column.
type csvFile struct {
	name string
	cols map[string]int // column → index
	rows []csvRow
}

type csvRow struct {
	line   int
	fields []string
}

// ReadCSV reads a NetBox CSV export: the files in dir exported from the
// list views of devices (required), and if there, of device types, racks,
// power feeds, power ports and sites. Every bad value is reported with
// its file:line:column, all at once (a [planner.Errors]).
func ReadCSV(dir string, opt Options) (*Inventory, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w; give the folder holding NetBox's CSV exports (netbox_devices.csv, netbox_racks.csv…)", err)
	}
	files := map[string]*csvFile{}
	var errs planner.Errors
	for _, e := range entries {
		n := strings.ToLower(e.Name())
		if e.IsDir() || !strings.HasSuffix(n, ".csv") {
			continue
		}
		kind := csvKinds[normal(strings.TrimPrefix(strings.TrimSuffix(n, ".csv"), "netbox_"))]
		if kind == "" {
			continue
		}
		if first, dup := files[kind]; dup {
			return nil, fmt.Errorf("%s and %s are both a %s export: keep one in %s", first.name, e.Name(), kind, dir)
		}
		f, err := readCSV(filepath.Join(dir, e.Name()), csvColumns[kind], &errs)
		if err != nil {
			return nil, err
		}
		files[kind] = f
	}
	devs := files["devices"]
	if devs == nil {
		return nil, fmt.Errorf("no devices export in %s: export NetBox's device list (Devices, Export, All data or Current view) as netbox_devices.csv there", dir)
	}
	for _, need := range []string{"name", "site", "rack", "position"} {
		if _, ok := devs.cols[need]; !ok {
			return nil, fmt.Errorf("%s has no %s column: export the device list with the columns Name, Status, Site, Rack, Position, Face, Role, Type (and U Height)", devs.name, strings.ToUpper(need[:1])+need[1:])
		}
	}
	inv := &Inventory{Source: "NetBox CSV export in " + dir, Tag: opt.Tag}
	sites := files["sites"]
	inv.From = csvSite(sites, devs, opt.Site)
	if opt.ToSite != "" {
		inv.To = csvSite(sites, devs, opt.ToSite)
	}
	types := files["types"]
	fromSeen, toSeen := false, false
	var siteNames []string
	for _, r := range devs.rows {
		site := devs.get(r, "site")
		if !slices.Contains(siteNames, site) {
			siteNames = append(siteNames, site)
		}
		from, to := inv.From.is(site), inv.To != nil && inv.To.is(site)
		if !from && !to {
			continue
		}
		d := csvDevice(devs, types, r, &errs)
		if from {
			fromSeen = true
			if opt.Tag == "" || hasTag(devs.get(r, "tags"), opt.Tag) {
				inv.Devices = append(inv.Devices, d)
			}
		}
		if to {
			toSeen = true
			inv.Present = append(inv.Present, d)
		}
		if len(inv.Devices)+len(inv.Present) > MaxCSVRows {
			return nil, errorOf(ErrTooMany, "more than %d devices in %s: export fewer (filter the list by site and tag)", MaxCSVRows, devs.name)
		}
	}
	if !fromSeen {
		return nil, errorOf(ErrNotFound, "no device of %s is at site %q; %s (give the site's name as the export writes it, or add NetBox's sites export, netbox_sites.csv, to name it by slug)", devs.name, opt.Site, planner.Hint(opt.Site, "sites in "+devs.name, siteNames))
	}
	if inv.To != nil && !toSeen && files["racks"] == nil {
		return nil, errorOf(ErrNotFound, "no device of %s is at site %q, and there is no racks export; %s", devs.name, opt.ToSite, planner.Hint(opt.ToSite, "sites in "+devs.name, siteNames))
	}
	if inv.To != nil {
		inv.Racks = csvRacks(files["racks"], inv.To, &errs)
		budget(inv.Racks, csvFeeds(files["feeds"], inv.To, inv.Racks, &errs))
	}
	csvDraws(files["ports"], inv, &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	return inv, nil
}

// readCSV reads one file of the export: its header, then its rows.
func readCSV(path string, columns map[string][]string, errs *planner.Errors) (*csvFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil && st.Size() > MaxCSVBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB: export fewer devices (filter the list by site and tag before exporting)", path, MaxCSVBytes>>20)
	}
	name := filepath.Base(path)
	r := csv.NewReader(io.LimitReader(fh, MaxCSVBytes))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s is empty: export it again from NetBox", name)
		}
		return nil, fmt.Errorf("%s:1: %v", name, err)
	}
	f := &csvFile{name: name, cols: map[string]int{}}
	for i, h := range header {
		n := normal(strings.TrimPrefix(h, "\ufeff"))
		for col, aliases := range columns {
			if _, done := f.cols[col]; !done && slices.Contains(aliases, n) {
				f.cols[col] = i
			}
		}
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				*errs = append(*errs, &planner.Error{Pos: planner.Pos{File: name, Line: pe.Line, Col: pe.Column}, Msg: pe.Err.Error() + "; export the file again from NetBox"})
				return f, nil
			}
			return nil, err
		}
		if len(f.rows) >= MaxCSVRows {
			return nil, errorOf(ErrTooMany, "%s has more than %d rows: export fewer (filter the list by site and tag)", name, MaxCSVRows)
		}
		f.rows = append(f.rows, csvRow{line, rec})
	}
	return f, nil
}

// get returns the text of column col in row r, "" when absent.
func (f *csvFile) get(r csvRow, col string) string {
	if f == nil {
		return ""
	}
	i, ok := f.cols[col]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// pos is where column col of row r is, for errors.
func (f *csvFile) pos(r csvRow, col string) planner.Pos {
	return planner.Pos{File: f.name, Line: r.line, Col: f.cols[col] + 1}
}

// number reads column col of row r as a number: "42", "42U", "10.5",
// "80%", "1,000"; ok is false when empty. A bad value is reported.
func (f *csvFile) number(r csvRow, col, header string, errs *planner.Errors) (float64, bool) {
	s := f.get(r, col)
	if s == "" || s == "—" || s == "-" {
		return 0, false
	}
	t := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(s), "Uu%W"))
	t = strings.ReplaceAll(t, ",", "")
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v > 1e9 {
		*errs = append(*errs, &planner.Error{Pos: f.pos(r, col), Msg: fmt.Sprintf("%s %q is not a number; correct it in NetBox and export again", header, planner.Clip(s))})
		return 0, false
	}
	return v, true
}

// weight reads a weight column: "18.5", "18.5 kg", "40 lb", with the unit
// in the text or in the weight unit column; kilograms, ok false when
// empty.
func (f *csvFile) weight(r csvRow, col, unitCol string, errs *planner.Errors) (float64, bool) {
	s := f.get(r, col)
	if s == "" || s == "—" {
		return 0, false
	}
	m := weightText.FindStringSubmatch(s)
	unit := f.get(r, unitCol)
	if m != nil && m[2] != "" {
		unit = m[2]
	}
	var v float64
	var err error
	if m != nil {
		v, err = strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
	}
	kg, known := kilograms(v, unit)
	if m == nil || err != nil || !known {
		*errs = append(*errs, &planner.Error{Pos: f.pos(r, col), Msg: fmt.Sprintf("weight %q is not a weight (write e.g. 18.5 kg, 40 lb); correct it in NetBox and export again", planner.Clip(s))})
		return 0, false
	}
	return kg, true
}

var weightText = regexp.MustCompile(`^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$`)

// csvSite is the site named by slug or name, as the sites export (if
// any) and the devices' Site column know it.
func csvSite(sites, devs *csvFile, name string) *Site {
	s := &Site{Slug: name, Name: name}
	if sites != nil {
		for _, r := range sites.rows {
			if strings.EqualFold(sites.get(r, "slug"), name) || strings.EqualFold(sites.get(r, "name"), name) {
				s.Name, s.TimeZone = sites.get(r, "name"), sites.get(r, "timezone")
				s.Slug = cmpOrString(sites.get(r, "slug"), slugOf(s.Name))
				return s
			}
		}
	}
	for _, r := range devs.rows {
		if v := devs.get(r, "site"); strings.EqualFold(v, name) || strings.EqualFold(slugOf(v), name) {
			s.Name, s.Slug = v, slugOf(name)
			return s
		}
	}
	s.Slug = slugOf(name)
	return s
}

// is reports whether the Site column's text v names s.
func (s *Site) is(v string) bool {
	return v != "" && (strings.EqualFold(v, s.Name) || strings.EqualFold(v, s.Slug) || strings.EqualFold(slugOf(v), s.Slug))
}

// slugOf makes a slug of a name, as NetBox does: "Paris 2" → "paris-2".
func slugOf(s string) string { return strings.ToLower(idOf(s)) }

func cmpOrString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// hasTag reports whether the Tags column's text (comma-separated names or
// slugs) holds tag.
func hasTag(tags, tag string) bool {
	for _, t := range strings.Split(tags, ",") {
		t = strings.TrimSpace(t)
		if t != "" && (strings.EqualFold(t, tag) || strings.EqualFold(slugOf(t), slugOf(tag))) {
			return true
		}
	}
	return false
}

func csvDevice(devs, types *csvFile, r csvRow, errs *planner.Errors) Device {
	d := Device{
		Name: devs.get(r, "name"), Rack: devs.get(r, "rack"), Face: strings.ToLower(devs.get(r, "face")),
		Status: strings.ToLower(devs.get(r, "status")), Role: devs.get(r, "role"), Type: devs.get(r, "type"),
		Manufacturer: devs.get(r, "manufacturer"), Parent: devs.get(r, "parent"), Bay: devs.get(r, "bay"),
		Serial: devs.get(r, "serial"), AssetTag: devs.get(r, "assettag"),
		At: fmt.Sprintf("%s:%d", devs.name, r.line),
	}
	if id, ok := devs.number(r, "id", "ID", errs); ok {
		d.ID = int(id)
	}
	for _, t := range strings.Split(devs.get(r, "tags"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			d.Tags = append(d.Tags, t)
		}
	}
	d.Position, _ = devs.number(r, "position", "position", errs)
	d.Height, d.HeightKnown = devs.number(r, "height", "U height", errs)
	d.Weight, _ = devs.weight(r, "weight", "weightunit", errs)
	if types != nil && (!d.HeightKnown || d.Weight == 0) {
		for _, t := range types.rows {
			if !strings.EqualFold(types.get(t, "model"), d.Type) || (d.Manufacturer != "" && types.get(t, "manufacturer") != "" && !strings.EqualFold(types.get(t, "manufacturer"), d.Manufacturer)) {
				continue
			}
			if !d.HeightKnown {
				d.Height, d.HeightKnown = types.number(t, "height", "U height", errs)
			}
			if d.Weight == 0 {
				d.Weight, _ = types.weight(t, "weight", "weightunit", errs)
			}
			break
		}
	}
	return d
}

// csvRacks reads the racks of site to.
func csvRacks(f *csvFile, to *Site, errs *planner.Errors) []Rack {
	if f == nil {
		return nil
	}
	_, bySite := f.cols["site"]
	var out []Rack
	for _, r := range f.rows {
		if bySite && !to.is(f.get(r, "site")) {
			continue
		}
		rk := Rack{Name: f.get(r, "name"), Status: strings.ToLower(f.get(r, "status")), StartingUnit: 1}
		if h, ok := f.number(r, "height", "height", errs); ok {
			rk.Height = int(h)
		}
		if s, ok := f.number(r, "startingunit", "starting unit", errs); ok && s >= 1 {
			rk.StartingUnit = int(s)
		}
		rk.MaxWeight, _ = f.weight(r, "maxweight", "weightunit", errs)
		out = append(out, rk)
	}
	return out
}

// csvFeeds reads the power feeds of site to's racks.
func csvFeeds(f *csvFile, to *Site, racks []Rack, errs *planner.Errors) []Feed {
	if f == nil {
		return nil
	}
	_, bySite := f.cols["site"]
	var out []Feed
	for _, r := range f.rows {
		rack := f.get(r, "rack")
		if (bySite && !to.is(f.get(r, "site"))) || !slices.ContainsFunc(racks, func(k Rack) bool { return k.Name == rack }) {
			continue
		}
		fd := Feed{Name: f.get(r, "name"), Rack: rack, Status: strings.ToLower(f.get(r, "status")),
			Type: strings.ToLower(f.get(r, "type")), Phase: strings.ToLower(f.get(r, "phase"))}
		v, _ := f.number(r, "voltage", "voltage", errs)
		a, _ := f.number(r, "amperage", "amperage", errs)
		u, _ := f.number(r, "maxutilization", "max utilization", errs)
		av, _ := f.number(r, "available", "available power", errs)
		fd.Voltage, fd.Amperage, fd.MaxUtilization, fd.Available = int(v), int(a), int(u), int(av)
		out = append(out, fd)
	}
	return out
}

// csvDraws sets the draw of the devices from the power ports export,
// joined on the device's name (and site, when the export has one); a
// name two devices share is left unknown.
func csvDraws(f *csvFile, inv *Inventory, errs *planner.Errors) {
	if f == nil {
		return
	}
	_, bySite := f.cols["site"]
	draws := map[string]*draw{}
	for _, r := range f.rows {
		name := f.get(r, "device")
		if name == "" {
			continue
		}
		key := name
		if bySite {
			key = slugOf(f.get(r, "site")) + "\x00" + name
		}
		d := draws[key]
		if d == nil {
			d = &draw{}
			draws[key] = d
		}
		if v, ok := f.number(r, "allocated", "allocated draw", errs); ok && v > 0 {
			d.allocated += int(v)
			d.hasAllocated = true
		}
		if v, ok := f.number(r, "maximum", "maximum draw", errs); ok && int(v) > d.maximum {
			d.maximum = int(v)
		}
	}
	count := map[string]int{}
	for _, d := range slices.Concat(inv.Devices, inv.Present) {
		count[d.Name]++
	}
	set := func(devs []Device, site *Site) {
		for i := range devs {
			d := &devs[i]
			key := d.Name
			if bySite {
				key = site.Slug + "\x00" + d.Name
			} else if count[d.Name] > 1 {
				continue
			}
			if dr := draws[key]; dr != nil {
				switch {
				case dr.hasAllocated:
					d.Draw, d.DrawFrom = dr.allocated, "allocated"
				case dr.maximum > 0:
					d.Draw, d.DrawFrom = dr.maximum, "maximum"
				}
			}
		}
	}
	set(inv.Devices, inv.From)
	if inv.To != nil {
		set(inv.Present, inv.To)
	}
}

// normal is a header or file name in lower case with only its letters and
// digits: "Position (U)" → "positionu".
func normal(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}
