package firewall_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/firewall"
	"github.com/dcmove/dcmove/planner"
)

// parseFile reads a file of testdata with parse.
func parseFile(t *testing.T, parse func(string, io.Reader) ([]firewall.Rule, error), name string) ([]firewall.Rule, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parse(name, f)
}

// mustParse reads a file of testdata that has no errors.
func mustParse(t *testing.T, name string) []firewall.Rule {
	t.Helper()
	rules, err := parseFile(t, firewall.Parse, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rules
}

// byComment returns the rule with the comment c.
func byComment(t *testing.T, rules []firewall.Rule, c string) firewall.Rule {
	t.Helper()
	for _, r := range rules {
		if r.Comment == c {
			return r
		}
	}
	t.Fatalf("no rule with comment %q", c)
	return firewall.Rule{}
}

// pa2Chains are the rules per table/chain of the PA2 exports.
var pa2Chains = map[string]int{
	"nat/PREROUTING": 1, "nat/POSTROUTING": 2,
	"filter/INPUT": 4, "filter/FORWARD": 6, "filter/OUTPUT": 1,
	"filter/INTERNAL": 12, "filter/LOG_DROP": 2, "filter/PROBES": 4, "filter/PUBLIC_IN": 14,
}

func TestParsePA2(t *testing.T) {
	tests := []struct {
		name    string
		parse   func(string, io.Reader) ([]firewall.Rule, error)
		ftpLine int
		ftpRule int
	}{
		{"pa2-iptables-save.txt", firewall.ParseIPTablesSave, 58, 0},
		{"pa2-nft.txt", firewall.ParseNft, 81, 0},
		{"pa2-nft.json", firewall.ParseNftJSON, 1, 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := parseFile(t, tt.parse, tt.name)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, r := range rules {
				got[r.Table+"/"+r.Chain]++
			}
			if len(rules) != 46 || !mapsEqual(got, pa2Chains) {
				t.Errorf("got %d rules %v, want 46 %v", len(rules), got, pa2Chains)
			}

			ftp := byComment(t, rules, "customer FTP exports (ftp-1)")
			if ftp.Table != "filter" || ftp.Chain != "PUBLIC_IN" || ftp.Protocol != "tcp" || ftp.Family != "ip" ||
				ftp.Destination.String() != "203.0.113.15/32" || !ftp.Source.Any() ||
				ftp.DestinationPorts.String() != "21,30000-30100" || ftp.Action != "ACCEPT" {
				t.Errorf("FTP rule: %+v", ftp)
			}
			if ftp.Pos.File != tt.name || ftp.Pos.Line != tt.ftpLine || ftp.Pos.Rule != tt.ftpRule {
				t.Errorf("FTP rule at %v, want line %d rule %d", ftp.Pos, tt.ftpLine, tt.ftpRule)
			}

			dnat := byComment(t, rules, "status.workit.fr, the status page on mon-1")
			if dnat.Table != "nat" || dnat.Chain != "PREROUTING" || dnat.Action != "DNAT" || dnat.To != "10.10.1.40:443" ||
				dnat.In.String() != "eth0" || dnat.DestinationPorts.String() != "443" {
				t.Errorf("DNAT rule: %+v", dnat)
			}
			spoof := byComment(t, rules, "anti-spoofing: internal hosts only")
			if spoof.Source.String() != "!10.10.0.0/16" || spoof.Action != "DROP" {
				t.Errorf("anti-spoofing rule: %+v", spoof)
			}
			dns := rules[slices.IndexFunc(rules, func(r firewall.Rule) bool {
				return r.Protocol == "udp" && r.DestinationPorts.String() == "53"
			})]
			if dns.Destination.String() != "203.0.113.2/31" {
				t.Errorf("DNS destination %s, want 203.0.113.2/31", dns.Destination)
			}
			est := rules[slices.IndexFunc(rules, func(r firewall.Rule) bool { return r.Chain == "FORWARD" })]
			if strings.Join(est.States, ",") != "established,related" || est.Action != "ACCEPT" {
				t.Errorf("first FORWARD rule: %+v", est)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// ids returns the sorted ids of rules.
func ids(rules []firewall.Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.ID()
	}
	slices.Sort(out)
	return out
}

func TestSameIDsAcrossFormats(t *testing.T) {
	want := ids(mustParse(t, "pa2-iptables-save.txt"))
	if len(slices.Compact(slices.Clone(want))) != len(want) {
		t.Fatalf("PA2 rules share ids")
	}
	for _, name := range []string{"pa2-nft.txt", "pa2-nft.json"} {
		if got := ids(mustParse(t, name)); !slices.Equal(got, want) {
			t.Errorf("%s ids differ from pa2-iptables-save.txt:\n%v\n%v", name, got, want)
		}
	}
}

func TestEquivalentSpellings(t *testing.T) {
	tests := []struct{ a, b string }{
		{"-A INPUT -s 10.0.0.1 -j ACCEPT", "-A INPUT -s 10.0.0.1/32 -j ACCEPT"},
		{"-A INPUT -s 10.0.0.0/255.0.0.0 -j ACCEPT", "-A INPUT -s 10.1.2.3/8 -j ACCEPT"},
		{"-A INPUT -p TCP -m multiport --dports 443,80,81 -j ACCEPT", "-A INPUT -p 6 -m multiport --dports 80:81,443 -j ACCEPT"},
		{"-A input -m state --state NEW,ESTABLISHED -j ACCEPT", "-A INPUT -m conntrack --ctstate ESTABLISHED,NEW -j ACCEPT"},
		{"-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT", "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT"},
		{"-A INPUT -p tcp --dport 22 -m comment --comment \"one\" -j ACCEPT", "-A INPUT -p tcp --dport ssh -m comment --comment two -j ACCEPT"},
		{"-A INPUT -j REJECT --reject-with icmp-port-unreachable", "-A INPUT -j REJECT"},
	}
	for _, tt := range tests {
		parse := func(line string) firewall.Rule {
			rules, err := firewall.ParseIPTablesSave("t", strings.NewReader("*filter\n"+line+"\nCOMMIT\n"))
			if err != nil || len(rules) != 1 {
				t.Fatalf("%s: %v", line, err)
			}
			return rules[0]
		}
		if a, b := parse(tt.a), parse(tt.b); a.ID() != b.ID() {
			t.Errorf("%s\n%s\nhave different ids:\n%s\n%s", tt.a, tt.b, a, b)
		}
	}
}

func TestPolicies(t *testing.T) {
	for _, name := range []string{"pa2-iptables-save.txt", "pa2-nft.txt", "pa2-nft.json"} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := firewall.ParseRuleset(name, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, p := range rs.Policies {
			got[p.Table+"/"+p.Chain] = p.Action
		}
		if got["filter/INPUT"] != "DROP" || got["filter/FORWARD"] != "DROP" || got["filter/OUTPUT"] != "ACCEPT" || got["nat/PREROUTING"] != "ACCEPT" {
			t.Errorf("%s (%s): policies %v", name, rs.Format, got)
		}
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name  string
		rules int
		lines []string // the start of each error, in order
	}{
		// Lines 7 (-m limit) and 11 (-j MARK) are read: the options dcmove
		// does not read are kept as written (Rule.Extra).
		{"bad-iptables-save.txt", 5, []string{":2: rule outside a table", ":8: \"10.10.300.0/24\"", ":9: --dport needs a value",
			":12: ports without a protocol", ":13: -I is an iptables command", ":14: a double quote", ":15: not an iptables-save line", ":16: \"70000\""}},
		{"bad-nft.txt", 2, []string{":10: nft match tcp flags", ":11: named set @blocked", ":12: \"203.0.113.999\"", ":13: drop after log",
			":14: a double quote", ":15: nft expression \"limit\"", ":17: ip saddr with IPv6", ":20: add is an nft command"}},
		{"bad-nft.json", 1, []string{":6: rule 2: nft JSON statement \"limit\"", ":7: rule 3: rule of chain inet filter nowhere", ":8: rule 4: \"10.10.300.1\""}},
		{"bad.csv", 1, []string{":3: dports: \"https-ish\"", ":4: action \"permit-ish\"", ":5: no chain", ":6: ports without a protocol"}},
		{"unknown-format.txt", 0, []string{":1: not an iptables-save, nft or dcmove CSV export: first line \"config firewall policy\"; export with iptables-save > FILE or nft list ruleset > FILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := parseFile(t, firewall.Parse, tt.name)
			if !errors.Is(err, firewall.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			var es firewall.Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want firewall.Errors", err)
			}
			if len(rules) != tt.rules {
				t.Errorf("read %d rules, want %d", len(rules), tt.rules)
			}
			if len(es) != len(tt.lines) {
				t.Fatalf("%d errors, want %d:\n%v", len(es), len(tt.lines), err)
			}
			for i, e := range es {
				if want := tt.name + tt.lines[i]; !strings.HasPrefix(e.Error(), want) {
					t.Errorf("error %d:\n%s\nwant it to start with\n%s", i, e, want)
				}
			}
		})
	}
}

// repeat is a reader of the same line, over and over.
type repeat struct{ line []byte }

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.line)
	}
	return n, nil
}

func TestLimits(t *testing.T) {
	big := io.LimitReader(&repeat{[]byte("-A INPUT -j ACCEPT\n")}, firewall.MaxFileSize+100)
	_, err := firewall.Parse("big", io.MultiReader(strings.NewReader("*filter\n"), big))
	if !errors.Is(err, firewall.ErrTooLarge) || !strings.Contains(err.Error(), "larger than 64 MiB") {
		t.Errorf("a file over 64 MiB: %v", err)
	}
	long := "*filter\n-A INPUT -m comment --comment \"" + strings.Repeat("x", firewall.MaxLineLength) + "\" -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n"
	rules, err := firewall.Parse("long", strings.NewReader(long))
	if !errors.Is(err, firewall.ErrTooLarge) || !strings.HasPrefix(err.Error(), "long:2: line is longer than 1 MiB") || len(rules) != 1 {
		t.Errorf("a line over 1 MiB: %d rules, %v", len(rules), err)
	}
}

// loadPlan reads the reference plan.
func loadPlan(t *testing.T) *planner.Plan {
	t.Helper()
	p, err := planner.Load("../examples/pa2-pa3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMatchPlan(t *testing.T) {
	plan := loadPlan(t)
	captured := mustParse(t, "pa2-iptables-save.txt")
	m := firewall.Match(plan.FirewallRules, captured)

	var found []string
	for _, f := range m.Found {
		found = append(found, f.Plan.ID)
		if len(f.IDs) != 1 {
			t.Errorf("plan rule %s found as %v, want one rule", f.Plan.ID, f.IDs)
		}
	}
	wantFound := []string{"in-https", "in-http", "in-api", "in-bo", "in-dns-udp", "in-dns-tcp", "in-ssh-office", "in-ssh-noc",
		"web-to-api", "api-to-db", "bo-to-db", "db-replication", "crawl-out", "crawl-to-search", "backup-pull", "mon-scrape",
		"mail-out", "default-deny", "in-ftp", "partner-vpn", "old-nrpe"}
	if !slices.Equal(found, wantFound) {
		t.Errorf("found %v\nwant %v", found, wantFound)
	}
	if len(m.NotFound) != 0 {
		t.Errorf("not found: %v", m.NotFound)
	}
	var unmatchable []string
	for _, u := range m.Unmatchable {
		unmatchable = append(unmatchable, u.Plan.ID)
		if !strings.Contains(u.Err.Error(), "cannot be checked against one") || !strings.Contains(u.Err.Error(), "pa2-pa3.yaml:") {
			t.Errorf("%s: %v", u.Plan.ID, u.Err)
		}
	}
	if !slices.Equal(unmatchable, []string{"in-probes", "backup-offsite"}) {
		t.Errorf("unmatchable %v", unmatchable)
	}
	var unplanned []string
	for _, r := range m.Unplanned {
		unplanned = append(unplanned, r.String())
	}
	wantUnplanned := []string{
		"filter/INPUT in lo ACCEPT",
		"filter/INPUT state established,related ACCEPT",
		"filter/INPUT icmp icmp echo-request ACCEPT",
		"filter/FORWARD state established,related ACCEPT",
		"filter/FORWARD state invalid DROP",
		"filter/FORWARD from !10.10.0.0/16 in eth2 DROP",
		"filter/INTERNAL tcp from 10.10.3.30/32 to 141.95.0.0/16 port 443 out eth0 ACCEPT",
		"filter/INTERNAL udp from 10.10.0.0/16 port 123 out eth0 ACCEPT",
		"filter/PROBES icmp from 51.68.0.0/16 ACCEPT",
		"filter/PROBES icmp from 3.120.0.0/14 ACCEPT",
		"filter/PROBES icmp from 18.192.0.0/11 ACCEPT",
		"filter/PUBLIC_IN tcp to 10.10.1.40/32 port 443 state new ACCEPT",
		"filter/OUTPUT out lo ACCEPT",
	}
	if !slices.Equal(unplanned, wantUnplanned) {
		t.Errorf("captured, not in the plan:\n%s\nwant\n%s", strings.Join(unplanned, "\n"), strings.Join(wantUnplanned, "\n"))
	}
	if len(m.NotCompared) != 46-13-21 {
		t.Errorf("%d rules not compared, want %d", len(m.NotCompared), 46-13-21)
	}

	kept, retired := m.Split(captured)
	var retiredComments []string
	for _, r := range retired {
		retiredComments = append(retiredComments, r.Comment)
	}
	if len(kept) != 43 || !slices.Equal(retiredComments, []string{"customer FTP exports (ftp-1)", "reseller VPN", "NRPE for the previous provider's Nagios"}) {
		t.Errorf("kept %d, retired %q", len(kept), retiredComments)
	}
}

func TestFromPlan(t *testing.T) {
	tests := []struct {
		name    string
		rule    planner.FirewallRule
		want    string
		wantErr string
	}{
		{"range", planner.FirewallRule{ID: "a", Source: "any", Destination: "203.0.113.2-203.0.113.3", Ports: "53", Protocol: "udp", Action: "allow"},
			"filter/ udp to 203.0.113.2/31 port 53 ACCEPT", ""},
		{"any", planner.FirewallRule{ID: "b", Source: "any", Destination: "any", Ports: "any", Protocol: "any", Action: "deny"},
			"filter/ DROP", ""},
		{"free text", planner.FirewallRule{ID: "c", Source: "ovh-gra, aws-frankfurt probe ranges", Destination: "203.0.113.0/27", Ports: "any", Protocol: "icmp", Action: "allow",
			Pos: planner.Pos{File: "plan.yaml", Line: 9}}, "", "plan.yaml:9: firewall rule c: source \"ovh-gra, aws-frankfurt probe ranges\" is not addresses"},
		{"action", planner.FirewallRule{ID: "d", Source: "any", Destination: "any", Ports: "any", Protocol: "tcp", Action: "maybe"}, "", "firewall rule d: action \"maybe\""},
		{"ports without protocol", planner.FirewallRule{ID: "e", Source: "any", Destination: "any", Ports: "22", Protocol: "any", Action: "allow"}, "", "ports without a protocol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := firewall.FromPlan(tt.rule)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || r.String() != tt.want {
				t.Errorf("got %q, %v; want %q", r.String(), err, tt.want)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	plan := loadPlan(t)
	captured := mustParse(t, "pa2-iptables-save.txt")
	kept, retired := firewall.Match(plan.FirewallRules, captured).Split(captured)

	dest := mustParse(t, "pa3-nft.txt")
	rec := firewall.Reconcile(kept, retired, dest)
	if len(rec.Verified) != 42 || len(rec.Unexpected) != 0 || len(rec.Reappeared) != 0 || len(rec.Missing) != 1 || rec.OK() {
		t.Fatalf("verified %d, missing %d, unexpected %d, reappeared %d", len(rec.Verified), len(rec.Missing), len(rec.Unexpected), len(rec.Reappeared))
	}
	missing := rec.Missing[0]
	if missing.Comment != "bastion SSH from the BSO NOC" || missing.Pos.String() != "pa2-iptables-save.txt:56" {
		t.Errorf("missing %s at %s", missing, missing.Pos)
	}
	// The missing rule, in the destination's syntax, as the report lists it.
	nft, err := missing.Render(firewall.Nft)
	if want := `ip saddr 192.0.2.0/27 ip daddr 203.0.113.20 tcp dport 22 accept comment "bastion SSH from the BSO NOC"`; err != nil || nft != want {
		t.Errorf("nft: %q, %v; want %q", nft, err, want)
	}
	ipt, err := missing.Render(firewall.IPTablesSave)
	if want := `-A PUBLIC_IN -s 192.0.2.0/27 -d 203.0.113.20/32 -p tcp -m tcp --dport 22 -m comment --comment "bastion SSH from the BSO NOC" -j ACCEPT`; err != nil || ipt != want {
		t.Errorf("iptables: %q, %v; want %q", ipt, err, want)
	}

	// The source itself as the destination: the retired rules reappear.
	rec = firewall.Reconcile(kept, retired, mustParse(t, "pa2-nft.json"))
	if len(rec.Verified) != 43 || len(rec.Missing) != 0 || len(rec.Reappeared) != 3 || len(rec.Unexpected) != 0 {
		t.Errorf("PA2 as destination: verified %d, missing %d, unexpected %d, reappeared %d", len(rec.Verified), len(rec.Missing), len(rec.Unexpected), len(rec.Reappeared))
	}
	// Another vendor's rules were never captured.
	rec = firewall.Reconcile(kept, retired, mustParse(t, "other-vendor.csv"))
	if len(rec.Unexpected) != 10 || len(rec.Verified) != 0 {
		t.Errorf("CSV as destination: verified %d, unexpected %d", len(rec.Verified), len(rec.Unexpected))
	}
}

func TestCSV(t *testing.T) {
	rules := mustParse(t, "other-vendor.csv")
	if len(rules) != 10 {
		t.Fatalf("%d rules, want 10", len(rules))
	}
	r := byComment(t, rules, "dashboard HTTP, redirects")
	if r.Chain != "FORWARD" || r.Action != "ACCEPT" || r.DestinationPorts.String() != "80" || r.Pos.Line != 4 {
		t.Errorf("%+v", r)
	}
	r = byComment(t, rules, "odd source ports")
	if r.SourcePorts.String() != "1024-65535" || r.Action != "DROP" {
		t.Errorf("%+v", r)
	}
	// Semicolons as separators, and the same rule as in the comma file.
	semi, err := firewall.ParseCSV("semi.csv", strings.NewReader("chain;protocol;source;destination;dports;sports;action;comment\nFORWARD;tcp;;203.0.113.10;443;;ACCEPT;x\n"))
	if err != nil || len(semi) != 1 || semi[0].ID() != rules[0].ID() {
		t.Errorf("semicolons: %v %v", semi, err)
	}
}

func TestRenderRoundTrip(t *testing.T) {
	var all []firewall.Rule
	for _, name := range []string{"pa2-iptables-save.txt", "pa2-nft.txt", "other-vendor.csv"} {
		all = append(all, mustParse(t, name)...)
	}
	for _, f := range []firewall.Format{firewall.IPTablesSave, firewall.Nft} {
		text, err := firewall.RenderRuleset(f, all, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := firewall.Parse("rendered", strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v\n%s", f, err, text)
		}
		if !slices.Equal(ids(back), ids(all)) {
			t.Errorf("%s: ids differ after a round trip\n%s", f, text)
		}
	}
	if _, err := all[0].Render("fortigate"); err == nil {
		t.Errorf("rendering as fortigate: no error")
	}
}

// Match modules and target extensions dcmove does not read are kept as
// written: the rule is captured with them in its id (in the order written;
// other values give another id), is not compared
// with the plan, and is written back in iptables-save form with them.
func TestUnreadOptionsKeptAsWritten(t *testing.T) {
	read := func(text string) firewall.Rule {
		t.Helper()
		rules, err := firewall.ParseIPTablesSave("x", strings.NewReader("*filter\n"+text+"\nCOMMIT\n"))
		if err != nil || len(rules) != 1 {
			t.Fatalf("%s: %v, %d rules", text, err, len(rules))
		}
		return rules[0]
	}
	a := read("-A INPUT -p tcp -m tcp --dport 22 -m limit --limit 5/min -m set --match-set admins src -j ACCEPT")
	b := read("-A INPUT -p tcp -m limit --limit 5/min -m tcp --dport 22 -m set --match-set admins src -j ACCEPT")
	c := read("-A INPUT -p tcp -m tcp --dport 22 -m limit --limit 9/min -m set --match-set admins src -j ACCEPT")
	d := read("-A INPUT -p tcp -m tcp --dport 22 -m set --match-set admins src -m limit --limit 5/min -j ACCEPT")
	if len(a.Extra) != 2 || a.ID() != b.ID() || a.ID() == c.ID() || a.ID() == d.ID() {
		t.Fatalf("extras %q; ids %s %s %s %s: want the first two equal (the read options move freely), the others different (other values; the unread ones in another order)", a.Extra, a.ID(), b.ID(), c.ID(), d.ID())
	}
	if a.DestinationPorts.String() != "22" || a.Protocol != "tcp" || a.Action != "ACCEPT" {
		t.Errorf("the conditions dcmove reads were lost: %s", a)
	}
	m := read("-A PREROUTING -p tcp -j MARK --set-mark 0x1")
	if m.Action != "EXTENSION" || len(m.Extra) != 1 || m.Extra[0] != "-j MARK --set-mark 0x1" {
		t.Errorf("target extension: action %q, extra %q", m.Action, m.Extra)
	}
	text, err := a.Render(firewall.IPTablesSave)
	if err != nil || read(text).ID() != a.ID() {
		t.Errorf("written back as %q (%v): another rule", text, err)
	}
	if _, err := a.Render(firewall.Nft); err == nil {
		t.Error("a rule with iptables-only conditions was written as nft")
	}
	match := firewall.Match([]planner.FirewallRule{{ID: "ssh", Source: "any", Destination: "any", Ports: "22", Protocol: "tcp", Action: "allow"}}, []firewall.Rule{a})
	if len(match.Found) != 0 {
		t.Errorf("a rule with conditions dcmove does not read was matched with the plan: %+v", match.Found)
	}
}

// A Docker host's export, with rate limits, an ipset, TCP flags, address
// types, a mark and an MSS clamp, is captured whole: every rule read,
// the conditions dcmove does not read kept as written.
func TestDockerHostExport(t *testing.T) {
	rules, err := parseFile(t, firewall.Parse, "docker-host-iptables-save.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 25 {
		t.Fatalf("%d rules, want 25", len(rules))
	}
	extras := 0
	for _, r := range rules {
		if len(r.Extra) > 0 {
			extras++
			text, err := r.Render(firewall.IPTablesSave)
			if err != nil {
				t.Fatalf("%s: %v", r.Text, err)
			}
			back, err := firewall.ParseIPTablesSave("back", strings.NewReader("*"+r.Table+"\n"+text+"\nCOMMIT\n"))
			if err != nil || len(back) != 1 || back[0].ID() != r.ID() {
				t.Errorf("%s written back as %s: %v", r.Text, text, err)
			}
		}
	}
	if extras != 7 {
		t.Errorf("%d rules with conditions kept as written, want 7", extras)
	}
}
