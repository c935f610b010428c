// Package netbox reads a datacenter's inventory from NetBox, through its
// REST API ([Client.Read]) or from the CSV files its list views export
// ([ReadCSV]), and writes the skeleton of a dcmove plan from it
// ([WritePlan]): the devices of the source site as assets, with where
// they stand and where they go, their height, power and weight, and the
// destination racks with what they can take and what they already hold.
//
// Nothing is guessed silently: a device the plan cannot place (no rack or
// position, in a parent's bay, 0U, a status other than active, planned or
// staged) is listed as needing a decision, and every rounding is said.
package netbox

import (
	"fmt"
	"strings"
)

// Inventory is what was read from NetBox: the devices that move, and what
// stands at the destination already.
type Inventory struct {
	// Source says where the inventory was read, for the plan's header:
	// "NetBox at https://netbox.example.com", "NetBox CSV export in dir".
	// It never holds a credential.
	Source string
	// From is the source site; To the destination, nil when none was
	// asked for.
	From, To *Site
	// Tag is the tag the devices were filtered on, "" for none.
	Tag string
	// Devices are the devices of the source site (with the tag, if any).
	Devices []Device
	// Racks are the racks of the destination site.
	Racks []Rack
	// Present are the devices standing at the destination site already.
	Present []Device
}

// Site is a NetBox site.
type Site struct {
	// Slug is the site's slug, which the plan uses as the site's id.
	Slug, Name string
	// TimeZone is the site's IANA time zone, "" when NetBox has none.
	TimeZone string
	// ID is NetBox's id of the site (0 from a CSV export).
	ID int
}

// Device is a NetBox device, with the facts of its device type and power
// ports that the plan needs.
type Device struct {
	// ID is NetBox's id (0 when a CSV export has no ID column).
	ID   int
	Name string
	// Rack is the name of the device's rack, "" for none.
	Rack string
	// Position is the lowest rack unit the device takes, 0 for none;
	// NetBox allows halves (10.5).
	Position float64
	// Face is front, rear, or "".
	Face string
	// Height is the device type's height in rack units (0.5 steps);
	// HeightKnown is false when neither the API nor the export said.
	Height      float64
	HeightKnown bool
	// Status is NetBox's status value: active, planned, staged, offline,
	// failed, inventory, decommissioning.
	Status string
	// Role is the device role's slug (its name from a CSV export).
	Role string
	// Type and Manufacturer name the device type.
	Type, Manufacturer string
	Tags               []string
	// Parent is the name of the device whose bay holds this one, Bay the
	// bay's name; "" for a device on its own.
	Parent, Bay string
	// Weight is the device type's weight in kilograms, 0 when unknown.
	Weight float64
	// Draw is the power the device draws in watts, 0 when unknown;
	// DrawFrom says which figure it is: "allocated" (the sum of its ports'
	// allocated draw) or "maximum" (the largest maximum draw of a port).
	Draw     int
	DrawFrom string
	// Serial and AssetTag identify the hardware, "" when unknown.
	Serial, AssetTag string
	// At is where the device was read in a CSV export, "file.csv:12".
	At string
}

// Label names the device in messages: its name and NetBox id, or where it
// was read.
func (d *Device) Label() string {
	name := d.Name
	if name == "" {
		name = "(unnamed)"
	}
	switch {
	case d.ID > 0:
		return fmt.Sprintf("%s (NetBox device %d)", name, d.ID)
	case d.At != "":
		return fmt.Sprintf("%s (%s)", name, d.At)
	}
	return name
}

// Rack is a rack of the destination site.
type Rack struct {
	Name string
	// Height is the number of units, StartingUnit the number of the
	// lowest (1 unless NetBox says otherwise).
	Height, StartingUnit int
	// MaxWeight is the load the rack may carry in kilograms, 0 when
	// unknown.
	MaxWeight float64
	// Power is the watts its power feeds may supply, 0 when unknown, and
	// Feeds how many feeds count in it.
	Power, Feeds int
	Status       string
}

// Feed is a NetBox power feed, reduced to what a rack's budget needs.
type Feed struct {
	Name, Rack string
	// Status is active, planned, offline or failed; Type primary or
	// redundant; Phase single-phase or three-phase.
	Status, Type, Phase string
	Voltage, Amperage   int
	// MaxUtilization is the share of the feed that may be drawn, in
	// percent (NetBox's default 80).
	MaxUtilization int
	// Available is the feed's available power as NetBox's CSV export
	// gives it (VA), 0 when not given: it is then computed.
	Available int
}

// Watts returns the power the feed may supply: its available power, or
// NetBox's own formula, |voltage| × amperage × max utilization, times √3
// for a three-phase feed.
func (f *Feed) Watts() int {
	if f.Available > 0 {
		return f.Available
	}
	v := f.Voltage
	if v < 0 {
		v = -v
	}
	util := f.MaxUtilization
	if util == 0 {
		util = 80
	}
	w := float64(v) * float64(f.Amperage) * float64(util) / 100
	if strings.Contains(f.Phase, "three") {
		w *= 1.732
	}
	return int(w + 0.5)
}

// counts says whether a feed counts in its rack's budget: an active or
// planned primary feed. A redundant feed backs a primary one up: the rack
// must run on the primary feeds alone.
func (f *Feed) counts() bool {
	return (f.Status == "" || f.Status == "active" || f.Status == "planned") && f.Type != "redundant"
}

// budget sets the power of each rack from the feeds that count.
func budget(racks []Rack, feeds []Feed) {
	for i := range racks {
		for k := range feeds {
			if feeds[k].Rack == racks[i].Name && feeds[k].counts() {
				racks[i].Power += feeds[k].Watts()
				racks[i].Feeds++
			}
		}
	}
}

// kilograms converts a weight in NetBox's unit (kg, g, lb, oz) to
// kilograms; ok is false for a unit it does not know.
func kilograms(v float64, unit string) (float64, bool) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "kg", "kilogram", "kilograms", "":
		return v, true
	case "g", "gram", "grams":
		return v / 1000, true
	case "lb", "lbs", "pound", "pounds":
		return v * 0.45359237, true
	case "oz", "ounce", "ounces":
		return v * 0.028349523125, true
	}
	return 0, false
}

// moves reports whether a device of this status is one a move takes.
func moves(status string) bool {
	switch status {
	case "active", "planned", "staged", "":
		return true
	}
	return false
}
