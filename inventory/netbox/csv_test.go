package netbox_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/inventory/netbox"
	"github.com/dcmove/dcmove/planner"
)

const csvDir = "testdata/csv"

// TestReadCSV reads NetBox's CSV exports of the same move as the API's
// fixtures (testdata/csv), and writes the same kind of plan from them.
func TestReadCSV(t *testing.T) {
	inv, err := netbox.ReadCSV(csvDir, wave)
	if err != nil {
		t.Fatal(err)
	}
	if inv.From.Slug != "pa2" || inv.From.Name != "Paris 2" || inv.From.TimeZone != "Europe/Paris" || inv.To.Slug != "pa3" {
		t.Errorf("sites %+v %+v", inv.From, inv.To)
	}
	if len(inv.Devices) != 10 || len(inv.Present) != 3 {
		t.Errorf("%d devices and %d at the destination, want 10 (web-03 is not tagged) and 3", len(inv.Devices), len(inv.Present))
	}
	web1 := device(t, inv.Devices, "web-01")
	if web1.ID != 1 || web1.Height != 1 || web1.Draw != 400 || web1.DrawFrom != "allocated" || web1.Weight != 21.5 || web1.Status != "active" || web1.At != "netbox_devices.csv:2" {
		t.Errorf("web-01 = %+v", web1)
	}
	if db := device(t, inv.Devices, "db01.pa2"); db.Weight < 28.57 || db.Weight > 28.58 {
		t.Errorf("db01.pa2 weighs %v kg, want 63 lb = 28.58 kg", db.Weight)
	}
	power := map[string]int{}
	for _, r := range inv.Racks {
		power[r.Name] = r.Power
		if r.Name == "R12" && (r.Height != 42 || r.MaxWeight != 100) {
			t.Errorf("rack R12 = %+v", r)
		}
	}
	if power["R12"] != 5888 || power["R13"] != 2944 || power["R14"] != 8868 {
		t.Errorf("rack power = %v", power)
	}
	res, err := netbox.WritePlan(inv, netbox.PlanOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Parse("plan.yaml", res.YAML)
	if err != nil {
		t.Fatalf("the plan does not read back:\n%v\n%s", err, res.YAML)
	}
	if len(p.Assets) != 7 || len(res.Decisions) != 3 {
		t.Errorf("%d assets and %d decisions, want 7 and 3:\n%s", len(p.Assets), len(res.Decisions), res.YAML)
	}
	if !strings.Contains(string(res.YAML), "# NetBox CSV export in testdata/csv") && !strings.Contains(string(res.YAML), "NetBox CSV export in testdata/csv") {
		t.Errorf("the plan does not say where it was read:\n%s", res.YAML)
	}
	if !strings.Contains(res.Decisions[0].Device, "netbox_devices.csv:") && !strings.Contains(res.Decisions[0].Device, "NetBox device") {
		t.Errorf("decision %v does not name the device's row or id", res.Decisions[0])
	}
	lints := ""
	for _, f := range planner.Lint(p) {
		lints += f.String() + "\n"
	}
	for _, want := range []string{"L022: asset web-01 takes U10 of rack R12 at pa3", "L023: rack R13 at pa3 may supply 2944 W", "L024: rack R12 at pa3 may carry 100 kg"} {
		if !strings.Contains(lints, want) {
			t.Errorf("lints do not say %q:\n%s", want, lints)
		}
	}
}

// Headers in any case, with extra columns and a byte-order mark, are read;
// bad values are reported all at once, each with its file:line:column.
func TestReadCSVBadRows(t *testing.T) {
	dir := t.TempDir()
	copyCSV(t, dir, func(name, s string) string {
		switch name {
		case "netbox_devices.csv":
			s = "\ufeff" + strings.Replace(s, "Position (U)", "POSITION", 1)
			s = strings.Replace(s, "R12,11,Front", "R12,eleven,Front", 1)
			s = strings.Replace(s, "Netgate,1100,0.5", "Netgate,1100,half", 1)
		case "netbox_device_types.csv":
			s = strings.Replace(s, "3.2 kg", "3.2 stone", 1)
		}
		return s
	})
	_, err := netbox.ReadCSV(dir, wave)
	var errs planner.Errors
	if !errors.As(err, &errs) || !errors.Is(err, planner.ErrInvalid) {
		t.Fatalf("error %v, want planner.Errors", err)
	}
	for _, want := range []string{
		`netbox_devices.csv:3:8: position "eleven" is not a number`,
		`netbox_devices.csv:11:13: U height "half" is not a number`,
		`netbox_device_types.csv:5:7: weight "3.2 stone" is not a weight`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestReadCSVMissing(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(dir string)
		opt   netbox.Options
		want  string
		isErr error
	}{
		{"no devices export", func(dir string) { os.Remove(filepath.Join(dir, "netbox_devices.csv")) }, wave, "no devices export in", nil},
		{"no position column", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "netbox_devices.csv"))
			os.WriteFile(filepath.Join(dir, "netbox_devices.csv"), []byte(strings.Replace(string(b), "Position (U)", "Slot", 1)), 0o644)
		}, wave, "netbox_devices.csv has no Position column", nil},
		{"unknown site", func(string) {}, netbox.Options{Site: "pa4"}, `no device of netbox_devices.csv is at site "pa4"`, netbox.ErrNotFound},
		{"two device exports", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "netbox_devices.csv"))
			os.WriteFile(filepath.Join(dir, "devices.csv"), b, 0o644)
		}, wave, "are both a devices export", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			copyCSV(t, dir, nil)
			tt.edit(dir)
			_, err := netbox.ReadCSV(dir, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if tt.isErr != nil && !errors.Is(err, tt.isErr) {
				t.Errorf("error %v is not %v", err, tt.isErr)
			}
		})
	}
}

// copyCSV copies testdata/csv into dir, each file through edit if any.
func copyCSV(t *testing.T, dir string, edit func(name, s string) string) {
	t.Helper()
	entries, err := os.ReadDir(csvDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(csvDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if edit != nil {
			s = edit(e.Name(), s)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
