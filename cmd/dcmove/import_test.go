package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/inventory/netbox/netboxtest"
)

// The two commands of the README: a plan from NetBox, then its check. The
// token comes from NETBOX_TOKEN and appears nowhere; the check reads the
// plan and finds the destination's capacity problems and what the lead
// must still add.
func TestPlanImportNetBoxThenCheck(t *testing.T) {
	s := netboxtest.NewServer(t)
	t.Setenv(tokenEnv, netboxtest.Token)
	path := filepath.Join(t.TempDir(), "plan.yaml")
	r := dcmove(t.Context(), nil, "plan", "import", "--from-netbox", s.URL, "--site", "pa2", "--to-site", "pa3", "--tag", "move-wave-1", "--out", path)
	if r.err != nil {
		t.Fatalf("plan import: %v\n%s", r.err, r.errOut)
	}
	wantContains(t, "plan import", r.out, "wrote "+path+"; next: dcmove plan check "+path)
	wantContains(t, "plan import's summary", r.errOut,
		"imported 10 of 14 devices as assets from NetBox at "+s.URL+", site pa2 (tag move-wave-1) to site pa3",
		"needs a decision (5, listed at the top of the plan too):",
		"blade-1 (NetBox device 7): it sits in device bay Bay 1 of chassis-1",
		"check also:", "TODO in the plan")
	plan, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "plan", string(plan), "# Needs a decision (5):", "plan: pa2-to-pa3", "to: {site: pa3, rack: R12, u: 10}")

	check := dcmove(t.Context(), nil, "plan", "check", path, "--samples", "0")
	if exitCode(check.err) != exitBadInput {
		t.Fatalf("plan check: %v\n%s%s", check.err, check.out, check.errOut)
	}
	wantContains(t, "plan check", check.out,
		`ok: plan pa2-to-pa3 "Move from Paris 2 to Paris 3": runbook weekend-cutover, 10 assets`,
		"error L022: asset web-01 takes U10 of rack R12 at pa3", "error L023: rack R13 at pa3", "error L024: rack R12 at pa3",
		"error L011: asset chassis-1 draws 3000 W and moves, but has no cool-down")
	for _, out := range []string{r.out, r.errOut, string(plan), check.out, check.errOut} {
		if strings.Contains(out, netboxtest.Token) {
			t.Fatalf("the token shows:\n%s", out)
		}
	}
	// The plan is the lead's now: a second import does not overwrite it.
	again := dcmove(t.Context(), nil, "plan", "import", "--from-netbox", s.URL, "--site", "pa2", "--out", path)
	if exitCode(again.err) != exitBadInput || !strings.Contains(again.errOut, "exists: give --force to overwrite it") {
		t.Errorf("a second import over the plan: %v\n%s", again.err, again.errOut)
	}
}

// The token from a file, a v2 token as Bearer, the plan on standard output.
func TestPlanImportNetBoxTokenFile(t *testing.T) {
	s := netboxtest.NewServer(t)
	s.Token = "nbt_k3y1d.s3cr3tpart0fth3t0k3n"
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte(s.Token+"\n"), 0o600)
	out := mustRun(t, nil, "plan", "import", "--from-netbox", s.URL+"/", "--token-file", file, "--site", "Paris 3")
	wantContains(t, "plan", out, "plan: pa3-move", "  - id: pa3-srv-9")
	if strings.Contains(out, s.Token) {
		t.Error("the plan holds the token")
	}
	for _, r := range s.Requests() {
		if r.Authorization != "Bearer "+s.Token {
			t.Fatalf("Authorization %q", r.Authorization)
		}
	}
}

func TestPlanImportNetBoxCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.yaml")
	r := dcmove(t.Context(), nil, "plan", "import", "--from-netbox-csv", "../../inventory/netbox/testdata/csv",
		"--site", "pa2", "--to-site", "pa3", "--tag", "move-wave-1", "--rack-map", "R13=R14", "--out", path)
	if r.err != nil {
		t.Fatalf("%v\n%s", r.err, r.errOut)
	}
	wantContains(t, "summary", r.errOut, "imported 7 of 10 devices as assets from NetBox CSV export in ../../inventory/netbox/testdata/csv")
	check := dcmove(t.Context(), nil, "plan", "check", path, "--samples", "0")
	wantContains(t, "plan check", check.out, "ok: plan pa2-to-pa3", "error L022: asset web-01", "error L024: rack R12")
	if strings.Contains(check.out, "L023") {
		t.Errorf("rack R14 has the power for what moves from R13, yet:\n%s", check.out)
	}
	// A bad row: its file:line:column, and no plan.
	dir := t.TempDir()
	b, _ := os.ReadFile("../../inventory/netbox/testdata/csv/netbox_devices.csv")
	os.WriteFile(filepath.Join(dir, "netbox_devices.csv"), []byte(strings.Replace(string(b), "R12,11,Front", "R12,eleven,Front", 1)), 0o644)
	bad := filepath.Join(dir, "plan.yaml")
	r = dcmove(t.Context(), nil, "plan", "import", "--from-netbox-csv", dir, "--site", "Paris 2", "--out", bad)
	if exitCode(r.err) != exitBadInput || !strings.Contains(r.errOut, `netbox_devices.csv:3:8: position "eleven" is not a number`) {
		t.Errorf("a bad row: %v\n%s", r.err, r.errOut)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("a plan was written from a bad export")
	}
}

// When NetBox fails, nothing is written and the error says what to do.
func TestPlanImportNetBoxFailures(t *testing.T) {
	s := netboxtest.NewServer(t)
	t.Setenv(tokenEnv, netboxtest.Token)
	s.Fault = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/api/dcim/devices/" && strings.Contains(r.URL.RawQuery, "offset=") {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return true
		}
		return false
	}
	path := filepath.Join(t.TempDir(), "plan.yaml")
	r := dcmove(t.Context(), nil, "plan", "import", "--from-netbox", s.URL, "--site", "pa2", "--to-site", "pa3", "--out", path)
	if r.err == nil || !strings.Contains(r.errOut, "page 2:") || !strings.Contains(r.errOut, "check that NetBox is up") {
		t.Errorf("server gone mid-pagination: %v\n%s", r.err, r.errOut)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("a partial plan was written")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) > 0 {
		t.Errorf("files left behind: %v", entries)
	}

	t.Setenv(tokenEnv, "wr0ng-t0ken-5b8d1e")
	r = dcmove(t.Context(), nil, "plan", "import", "--from-netbox", s.URL, "--site", "pa2")
	if r.err == nil || !strings.Contains(r.errOut, "HTTP 403: NetBox refused the token") || strings.Contains(r.errOut+r.out, "wr0ng-t0ken-5b8d1e") {
		t.Errorf("a wrong token: %v\n%s", r.err, r.errOut)
	}

	t.Setenv(tokenEnv, netboxtest.Token)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--from-netbox", s.URL, "--site", "pa2", "-o", "plan.yaml"}, `--output "plan.yaml": --output (-o) is the format, and a plan from NetBox is yaml; to write it to a file, give --out plan.yaml`},
		{[]string{"--from-netbox", s.URL, "--from-csv", "x.csv", "--site", "pa2"}, "give one of --from-netbox URL or --from-netbox-csv DIR"},
		{[]string{}, "found none"},
		{[]string{"--from-netbox", s.URL}, "give --site SLUG"},
		{[]string{"--from-csv", "x.csv", "--site", "pa2"}, "--site is for an import from NetBox"},
		{[]string{"--from-netbox", s.URL, "--site", "pa2", "--rack-map", "R12"}, `--rack-map: "R12" is not SRC=DST`},
		{[]string{"--from-netbox", s.URL, "--site", "pa2", "--token", "x1234", "--token-file", "f"}, "give the token once"},
		{[]string{"--from-netbox-csv", ".", "--site", "pa2", "--token", "x1234"}, "--token is for --from-netbox (the API)"},
		{[]string{"--from-netbox", s.URL, "--site", "pa9"}, `NetBox has no site "pa9"`},
	} {
		r := dcmove(t.Context(), nil, append([]string{"plan", "import"}, tt.args...)...)
		if exitCode(r.err) != exitBadInput || !strings.Contains(r.errOut, tt.want) {
			t.Errorf("plan import %v: exit %d\n%s\nwant %q", tt.args, exitCode(r.err), r.errOut, tt.want)
		}
	}
}

// A site with no device and no time zone (null in NetBox) still makes a
// plan that reads back: no asset, the window in UTC, marked TODO.
func TestPlanImportNetBoxEmptySite(t *testing.T) {
	s := netboxtest.NewServer(t)
	t.Setenv(tokenEnv, netboxtest.Token)
	path := filepath.Join(t.TempDir(), "plan.yaml")
	mustRun(t, nil, "plan", "import", "--from-netbox", s.URL, "--site", "fr1", "--to-site", "pa3", "--out", path)
	plan, _ := os.ReadFile(path)
	wantContains(t, "plan", string(plan), "timezone: UTC # TODO: NetBox gives site fr1 no time zone", "assets: [] # nothing to place")
	check := dcmove(t.Context(), nil, "plan", "check", path, "--samples", "0")
	wantContains(t, "plan check", check.out, "ok: plan fr1-to-pa3", "0 assets")
}
