package examples

import (
	"fmt"
	"strings"
	"time"
)

// MaxLargeAssets bounds [Large]: about 13 steps per asset, so the largest
// generated plan has some 65,000 steps.
const MaxLargeAssets = 5000

// Large writes a plan of a move of assets servers and their network gear,
// written the way the reference plan is (built-in runbook, services kept
// up, firewall rules, domains, backups, stakeholders), at a scale a
// weekend cannot hold: the window lasts as many working days as the crew
// needs at about 100 assets a day, and the crew (day shifts of ten hours,
// with a lead per ten techs, a network and an app engineer per five) grows with the move.
// It is how dcmove is tried on plans of any size: with 2,800 assets the
// built-in runbook expands it into about 20,000 steps. The same assets
// always give the same plan.
func Large(assets int) ([]byte, error) {
	if assets < 1 || assets > MaxLargeAssets {
		return nil, fmt.Errorf("examples: %d assets; generate between 1 and %d", assets, MaxLargeAssets)
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	days := max(2, (assets+99)/100+1)
	start := time.Date(2027, 3, 6, 7, 0, 0, 0, time.UTC) // a Saturday
	end := start.AddDate(0, 0, days-1).Add(13 * time.Hour)
	day := func(d int, hhmm string) string { return start.AddDate(0, 0, d).Format("2006-01-02") + " " + hhmm }
	w("# A generated move of %d assets from DC-A to DC-B (dcmove plan example --assets %d).\n", assets, assets)
	w("plan: large-%d\ntitle: Generated move of %d assets, DC-A to DC-B\nlead: Lead 1\nrunbook: weekend-cutover\ngrace_period: 10d\n", assets, assets)
	w("window:\n  start: %s\n  end: %s\n  timezone: Europe/Paris\n", day(0, "07:00"), end.Format("2006-01-02 15:04"))
	w("  blackouts:\n    - {name: Year-end change freeze, start: 2027-12-18 00:00, end: 2028-01-04 08:00}\n")
	w("sites:\n")
	for _, s := range []string{"DC-A", "DC-B"} {
		w("  - id: %s\n    title: Datacenter %s\n    access:\n", s, s)
		w("      - {id: %s-entry, title: %s entry and badges, when: enter, duration: 15m/20m/45m, role: lead}\n", strings.ToLower(s), s)
	}
	// Crew: per ten techs, one network engineer and one app engineer; the
	// first lead is the migration lead. Ten-hour day shifts, every day of
	// the window; half the techs start at 07:00, half at 10:00.
	techs := max(4, (3*assets+18*days-1)/(18*days))
	leads := max(2, techs/10)
	w("crew:\n")
	person := func(name, roles string, k int) {
		w("  - name: %s\n    roles: [%s]\n    shifts:\n", name, roles)
		from, to := "07:00", "17:00"
		if k%2 == 1 {
			from, to = "10:00", "20:00"
		}
		for d := range days {
			w("      - {start: %s, end: %s}\n", day(d, from), day(d, to))
		}
	}
	for k := range leads {
		person(fmt.Sprintf("Lead %d", k+1), "lead", 0)
	}
	for k := range max(2, techs/5) {
		person(fmt.Sprintf("Net %d", k+1), "network, tech", k)
		person(fmt.Sprintf("App %d", k+1), "app", k)
	}
	for k := range techs {
		person(fmt.Sprintf("Tech %d", k+1), "tech", k)
	}
	w("transport:\n  - {id: truck, title: Moving truck, count: %d, capacity_u: 40, capacity_items: 20, trip: 30m/45m/1h30m}\n", max(2, assets/300))
	w("resources:\n  - {id: dc-a-dock, title: DC-A loading dock, capacity: %d}\n  - {id: dc-b-dock, title: DC-B loading dock, capacity: %d}\n", max(1, assets/500), max(1, assets/500))
	// Services of ten assets each; one in ten is vital and kept up (its
	// assets move in two waves).
	services := (assets + 9) / 10
	w("assets:\n")
	for i := range assets {
		svc := i / 10
		rack, u := i/20, 40-2*(i%20)
		kind, height, power, cool := "server", 1, 250+10*(i%30), "30m"
		switch {
		case i%50 == 0:
			kind, power, cool = "switch", 180, "15m"
		case i%7 == 0:
			height, power = 2, 550
		}
		w("  - {id: a%d, kind: %s, title: Asset %d of service svc%d, from: {site: DC-A, rack: A-R%d, u: %d}, to: {site: DC-B, rack: B-R%d, u: %d}, height: %d, power: %d, cooldown: %s, services: [svc%d]}\n",
			i, kind, i, svc, rack, u, rack, u, height, power, cool, svc)
	}
	w("services:\n")
	for s := range services {
		w("  - id: svc%d\n    title: Service %d\n", s, s)
		if s%10 == 0 && assets-10*s >= 2 { // two waves need two assets
			w("    vital: true\n    keep_up: true\n    rto: 1h\n")
		} else {
			w("    rto: %dh\n", 24*days)
		}
		if s > 0 && s%10 != 0 {
			w("    depends_on: [svc%d]\n", s-s%10)
		}
		w("    checks:\n      - {kind: http, target: https://svc%d.example.net/health, status: 200, from: [probe-1, probe-2]}\n", s)
	}
	w("firewall_rules:\n")
	for s := range services {
		w("  - {id: in-svc%d, title: Service %d HTTPS, source: any, destination: 10.%d.%d.0/24, ports: \"443\", protocol: tcp, action: allow}\n", s, s, 20+s/250, s%250)
		if s%5 == 0 {
			w("  - {id: old-svc%d, title: Retired access to service %d, source: 192.0.2.%d, destination: 10.%d.%d.0/24, ports: \"22\", protocol: tcp, action: allow, obsolete: true}\n", s, s, s%250, 20+s/250, s%250)
		}
	}
	w("domains:\n")
	for s := 0; s < services; s += 10 {
		w("  - {name: svc%d.example.net, service: svc%d, ttl: 300}\n", s, s)
	}
	w("backups:\n")
	for s := range services {
		w("  - {id: svc%d-offsite, of: a%d, stored_on: \"offsite:object-storage\", verified: true}\n", s, s*10)
	}
	w("stakeholders:\n")
	w("  - {id: customers, title: Customers, contact: account managers, notice: 21d, ack: true}\n")
	w("  - {id: dc-operators, title: DC-A and DC-B operators, contact: operator portal, notice: 30d, ack: true}\n")
	w("  - {id: support-desk, title: Support desk, contact: support@example.net, notice: 21d, ack: true}\n")
	return []byte(b.String()), nil
}
