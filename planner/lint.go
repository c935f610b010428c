package planner

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
)

// LintInfo documents a lint: what it looks for and the real move that
// paid for the lesson. `dcmove plan lints` lists them.
type LintInfo struct {
	// ID identifies the lint in findings, e.g. "L001".
	ID string
	// Severity is the most severe a finding of this lint can be.
	Severity Severity
	// Title says what the lint looks for.
	Title string
	// Lesson is the real failure behind the lint, in one line.
	Lesson string
}

// Lints lists every lint dcmove runs, by id. [Lint] runs those that need
// the plan alone; the others need the runbook expanded and scheduled.
var Lints = []LintInfo{
	{"L001", SeverityError, "backup stored on an asset that is moved or decommissioned, or on the asset it backs up",
		"Online 2017: backups were tied to the server and destroyed with it"},
	{"L002", SeverityWarning, "stakeholder notice shorter than 14 days, or none",
		"Online 2017: one e-mail, then nothing until five days before; Wanadoo: customers were told a migration would happen, not how long it would last"},
	{"L003", SeverityWarning, "stakeholder notice without acknowledgement",
		"Online 2017: no way to know who had read the notice"},
	{"L004", SeverityError, "window overlaps a blackout (error), or falls in a holiday period with no blackout declared (warning)",
		"Online 2017: the move was scheduled in mid-summer, while customers were on holiday"},
	{"L005", SeverityError, "decommission before validation and the grace period",
		"Online 2017: servers were destroyed on a fixed date with their backups, and customer data was lost"},
	{"L006", SeverityError, "non-standard asset without a check of its own",
		"Wanadoo: the 1% of accounts with non-standard configurations broke, and mail stopped for days"},
	{"L007", SeverityWarning, "service without validation checks",
		"ChateauOnline: DNS problems are far more common than people think; only checks find them"},
	{"L008", SeverityWarning, "service without a restoration time objective (rto)",
		"Wanadoo: no contractual restoration time, and mail stopped for days"},
	{"L009", SeverityWarning, "check run from fewer than two vantage points",
		"ChateauOnline: the platform was supervised from several points in the world"},
	{"L010", SeverityError, "firewall rule without a review and a verification at the destination",
		"Workit: every rule captured from the old provider had to be re-created, tested, or removed on purpose"},
	{"L011", SeverityError, "powered asset moved without a cool-down",
		"Workit: the machines had to cool down before they could be moved"},
	{"L012", SeverityWarning, "crew effort above the crew's capacity",
		"Parrot: staff already loaded, and the move took five times the estimate"},
	{"L013", SeverityWarning, "crew shift longer than 12 h, or no shifts in a window longer than 16 h",
		"Parrot: staff already loaded and estimates blew up; Workit: the move itself took twelve hours"},
	{"L014", SeverityError, "move longer than the window, or work that does not fit in the crew's shifts",
		"Parrot: a move estimated at four weeks took five months"},
	{"L015", SeverityWarning, "low probability of finishing inside the window",
		"Parrot: 30 minutes per workstation became five months; estimates need ranges and margin"},
	{"L016", SeverityError, "go/no-go after the point of no return",
		"Online 2017: by the time problems showed, nothing could be undone"},
	{"L017", SeverityError, "no lead, or a lead without the lead role",
		"Wanadoo: the hotline drowned and customers had nobody to talk to"},
	{"L018", SeverityError, "grace period shorter than 7 days (warning) or 1 day (error)",
		"Online 2017: old servers were destroyed on a fixed date, with no grace period, and customers who had not moved their data lost it"},
	{"L019", SeverityError, "step of the window longer than every shift of its role",
		"Parrot: 30 minutes per workstation, never compared with the people available"},
	{"L020", SeverityError, "service planned down longer than its restoration objective (warning; error beyond 4 times it)",
		"Wanadoo: no contractual restoration time, and mail stopped for days; Workit kept its vital functions up while the machines moved"},
	{"L021", SeverityError, "DNS TTL not lowered at least the old TTL before the window (warning: no step lowers it; error: lowered too late)",
		"ChateauOnline: DNS problems across 120 domains, watched from three countries, were far more common than expected"},
	{"L022", SeverityError, "asset that does not fit its destination rack: units beyond the rack's height, or taken by what stays there (error); rack not declared, or no u, where the site declares racks (warning)",
		"equipment that arrives to find its units taken, or the rack too short, waits on the floor while the window runs: check the destination elevation before the truck leaves"},
	{"L023", SeverityError, "destination rack over its power budget: the draw of what moves in and what stays above what its feeds supply",
		"a rack loaded past what its feeds supply trips its breaker at power-on, and takes down what already ran in it"},
	{"L024", SeverityError, "destination rack over its weight limit, when weights are known",
		"a rack loaded past its rated load is a safety hazard for the crew and the floor; the limit is the rack's, and the floor tiles' under it"},
}

// Thresholds of the lints.
const (
	minNotice      = 14 * 24 * time.Hour
	maxShift       = 12 * time.Hour
	longWindow     = 16 * time.Hour
	minVantages    = 2
	minGrace       = 7 * 24 * time.Hour
	minGraceError  = 24 * time.Hour
	leadRole       = events.RoleLead
	offSiteExample = "stored_on: offsite:s3-paris, verified: true"
)

// finding returns a finding of lint id with its lesson.
func finding(id string, sev Severity, pos Pos, msg, fix string) Finding {
	f := Finding{ID: id, Severity: sev, Pos: pos, Message: msg, Fix: fix}
	if i := slices.IndexFunc(Lints, func(l LintInfo) bool { return l.ID == id }); i >= 0 {
		f.Lesson = Lints[i].Lesson
	}
	return f
}

// Lint returns the risks that the plan alone shows, by lint id then in
// file order: the lessons of real moves that went wrong, as errors to fix
// and warnings to accept knowingly. See [Lints].
func Lint(p *Plan) []Finding {
	if p == nil {
		return nil
	}
	var out []Finding
	for _, lint := range []func(*Plan) []Finding{
		lintBackups, lintNotices, lintWindow, lintNonStandard, lintServices,
		lintVantages, lintCooldowns, lintShifts, lintLead, lintGrace, lintRacks,
	} {
		out = append(out, lint(p)...)
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// lintBackups (L001) finds backups that a move or a decommission can take
// away with the data they protect, unless a verified copy of the same
// asset is kept somewhere safe.
func lintBackups(p *Plan) []Finding {
	asset := func(id string) *Asset {
		for i := range p.Assets {
			if p.Assets[i].ID == id {
				return &p.Assets[i]
			}
		}
		return nil
	}
	// risk says why the copies of b are not safe, or "" when they are.
	risk := func(b *Backup) string {
		on := asset(b.StoredOn)
		switch {
		case on == nil:
			return ""
		case b.StoredOn == b.Of:
			return "on " + b.Of + " itself"
		case on.Decommission:
			return "on " + on.ID + ", which is decommissioned"
		case on.Moved():
			return "on " + on.ID + ", which is moved too"
		}
		return ""
	}
	var out []Finding
	for i := range p.Backups {
		b := &p.Backups[i]
		why := risk(b)
		if why == "" {
			continue
		}
		safe := slices.ContainsFunc(p.Backups, func(o Backup) bool {
			return o.Of == b.Of && o.Verified && risk(&o) == ""
		})
		if safe {
			continue
		}
		out = append(out, finding("L001", SeverityError, b.Pos,
			fmt.Sprintf("backup %s of %s is stored %s, and %s has no verified copy anywhere else", b.ID, b.Of, why, b.Of),
			fmt.Sprintf("keep a verified copy of %s off the moved assets, e.g. a backup with of: %s, %s", b.Of, b.Of, offSiteExample)))
	}
	return out
}

// lintNotices (L002, L003) finds stakeholders told too late, or whose
// reading of the notice nobody will know.
func lintNotices(p *Plan) []Finding {
	var out []Finding
	for _, s := range p.Stakeholders {
		switch {
		case s.Notice == 0:
			out = append(out, finding("L002", SeverityWarning, s.Pos,
				fmt.Sprintf("stakeholder %s has no notice period: nothing says when they are told", s.ID),
				"write notice: 21d (at least 14d), and say in the notice how long the move lasts"))
		case s.Notice < minNotice:
			out = append(out, finding("L002", SeverityWarning, s.Pos,
				fmt.Sprintf("stakeholder %s is told %s before the window, less than %s", s.ID, days(s.Notice), days(minNotice)),
				"write notice: 21d (at least 14d), and say in the notice how long the move lasts"))
		}
		if !s.Ack {
			out = append(out, finding("L003", SeverityWarning, s.Pos,
				fmt.Sprintf("stakeholder %s is not asked to acknowledge the notice: nobody will know whether they read it", s.ID),
				"write ack: true, and chase whoever has not acknowledged before the window"))
		}
	}
	return out
}

// days formats a notice period: "5d", "21d", "36h".
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return Span(d)
}

// holidays are the periods most people are away: from a day of a month
// up to (not including) another, in the next year when it comes earlier.
var holidays = []struct {
	name      string
	fromMonth time.Month
	fromDay   int
	toMonth   time.Month
	toDay     int
}{
	{"the summer holidays (July and August)", time.July, 1, time.September, 1},
	{"the year-end holidays (December 20 to January 5)", time.December, 20, time.January, 6},
}

// lintWindow (L004) finds a window that overlaps a blackout, or that
// falls in a holiday period while the plan declares no blackout.
func lintWindow(p *Plan) []Finding {
	w := p.Window
	if w.Start.IsZero() || w.End.IsZero() {
		return nil
	}
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	const layout = "Mon 2 Jan 2006 15:04"
	var out []Finding
	for _, b := range w.Blackouts {
		if b.Start.Before(w.End) && w.Start.Before(b.End) {
			out = append(out, finding("L004", SeverityError, b.Pos,
				fmt.Sprintf("the window (%s – %s) overlaps blackout %q (%s – %s)", w.Start.In(loc).Format(layout), w.End.In(loc).Format(layout), b.Name, b.Start.In(loc).Format(layout), b.End.In(loc).Format(layout)),
				"move the window out of the blackout, or remove the blackout if it no longer applies"))
		}
	}
	if len(w.Blackouts) > 0 {
		return out
	}
	start, end := w.Start.In(loc), w.End.In(loc)
	for _, h := range holidays {
		for y := start.Year() - 1; y <= end.Year(); y++ {
			from := time.Date(y, h.fromMonth, h.fromDay, 0, 0, 0, 0, loc)
			to := time.Date(y, h.toMonth, h.toDay, 0, 0, 0, 0, loc)
			if h.toMonth < h.fromMonth {
				to = to.AddDate(1, 0, 0)
			}
			if from.Before(end) && start.Before(to) {
				out = append(out, finding("L004", SeverityWarning, Pos{},
					fmt.Sprintf("the window (%s – %s) falls in %s, and the plan declares no blackout", start.Format(layout), end.Format(layout), h.name),
					"move the window out of the holidays, or list under window: blackouts: the periods you checked with customers and crew"))
				return out
			}
		}
	}
	return out
}

// lintNonStandard (L006) finds non-standard assets that nothing validates
// on their own.
func lintNonStandard(p *Plan) []Finding {
	var out []Finding
	for _, a := range p.Assets {
		if !a.Standard && !a.Decommission && len(a.Checks) == 0 {
			out = append(out, finding("L006", SeverityError, a.Pos,
				fmt.Sprintf("asset %s is non-standard (standard: false) but has no check of its own", a.ID),
				fmt.Sprintf("add checks: to %s that prove its particular configuration works, e.g. checks: [{kind: tcp, target: %s.example:443, from: [paris, frankfurt]}]", a.ID, a.ID)))
		}
	}
	return out
}

// lintServices (L007, L008) finds services nothing validates, and
// services with no restoration time objective.
func lintServices(p *Plan) []Finding {
	var out []Finding
	for _, s := range p.Services {
		if len(s.Checks) == 0 {
			out = append(out, finding("L007", SeverityWarning, s.Pos,
				fmt.Sprintf("service %s has no checks: nothing shows it works after the move", s.ID),
				"add checks: with the DNS answer, TCP port or HTTP response that proves it works, e.g. checks: [{kind: http, target: https://www.example.fr/health, expect: \"200\", from: [paris, frankfurt]}]"))
		}
		if s.RTO == 0 {
			out = append(out, finding("L008", SeverityWarning, s.Pos,
				fmt.Sprintf("service %s has no restoration time objective: nobody can tell when its outage becomes too long", s.ID),
				"write rto: 4h (how long the service may be down), and tell customers"))
		}
	}
	return out
}

// lintVantages (L009) finds checks run from a single place, which cannot
// tell a broken service from a broken path to it.
func lintVantages(p *Plan) []Finding {
	var out []Finding
	lint := func(owner string, checks []Check) {
		for _, c := range checks {
			if len(c.From) >= minVantages {
				continue
			}
			from := "no vantage point"
			if len(c.From) == 1 {
				from = "one vantage point (" + c.From[0] + ")"
			}
			out = append(out, finding("L009", SeverityWarning, c.Pos,
				fmt.Sprintf("check %s of %s (%s %s) runs from %s", c.ID, owner, c.Kind, c.Target, from),
				"run it from two places at least, e.g. from: [paris, frankfurt]"))
		}
	}
	for _, a := range p.Assets {
		lint("asset "+a.ID, a.Checks)
	}
	for _, s := range p.Services {
		lint("service "+s.ID, s.Checks)
	}
	for _, dom := range p.Domains {
		lint("domain "+dom.Name, dom.Checks)
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Pos.Line - b.Pos.Line })
	return out
}

// lintCooldowns (L011) finds powered assets that move with no cool-down
// after shutdown.
func lintCooldowns(p *Plan) []Finding {
	var out []Finding
	for _, a := range p.Assets {
		if a.Moved() && a.Power > 0 && a.Cooldown == 0 {
			out = append(out, finding("L011", SeverityError, a.Pos,
				fmt.Sprintf("asset %s draws %d W and moves, but has no cool-down", a.ID, a.Power),
				"write cooldown: 30m (or what the vendor asks) so that the runbook waits after shutdown before unracking"))
		}
	}
	return out
}

// lintShifts (L013) finds crew asked to work too long.
func lintShifts(p *Plan) []Finding {
	w := p.Window
	window := w.End.Sub(w.Start)
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	const layout = "2006-01-02 15:04"
	example := fmt.Sprintf("shifts: [{start: %s, end: %s}]", w.Start.In(loc).Format(layout), w.Start.Add(maxShift).In(loc).Format(layout))
	var out []Finding
	for _, c := range p.Crew {
		if len(c.Shifts) == 0 && window > longWindow {
			out = append(out, finding("L013", SeverityWarning, c.Pos,
				fmt.Sprintf("%s has no shifts, so is counted on for the whole %s window", c.Name, Span(window)),
				"give each person shifts of at most 12h, e.g. "+example))
		}
		for _, s := range c.Shifts {
			if d := s.End.Sub(s.Start); d > maxShift {
				out = append(out, finding("L013", SeverityWarning, s.Pos,
					fmt.Sprintf("%s works a %s shift, longer than %s", c.Name, Span(d), Span(maxShift)),
					"split it into shifts of at most 12h with a rest between, and add crew to cover"))
			}
		}
	}
	return out
}

// lintLead (L017) finds a plan with nobody in charge.
func lintLead(p *Plan) []Finding {
	if p.Lead == "" {
		return []Finding{finding("L017", SeverityError, Pos{},
			"the plan names no lead: nobody is the single point of contact during the move",
			"write lead: NAME, a crew member with roles: [lead]")}
	}
	i := slices.IndexFunc(p.Crew, func(c Person) bool { return c.Name == p.Lead })
	switch {
	case i < 0:
		return []Finding{finding("L017", SeverityError, Pos{},
			fmt.Sprintf("lead %s is not in the crew", p.Lead),
			"add the lead to crew: with roles: [lead]")}
	case !slices.Contains(p.Crew[i].Roles, leadRole):
		return []Finding{finding("L017", SeverityError, p.Crew[i].Pos,
			fmt.Sprintf("lead %s does not have the lead role", p.Lead),
			fmt.Sprintf("add lead to the roles of %s, e.g. roles: [%s]", p.Lead, strings.Join(append(slices.Clone(p.Crew[i].Roles), leadRole), ", ")))}
	}
	return nil
}

// lintGrace (L018) finds a grace period too short for a customer who
// missed the notice, or a restore that failed, to be noticed before the
// source is destroyed.
func lintGrace(p *Plan) []Finding {
	const fix = "keep what the source holds longer: grace_period: 10d (the default), at least 7d"
	switch {
	case p.GracePeriod < minGraceError:
		return []Finding{finding("L018", SeverityError, p.GracePeriodPos,
			fmt.Sprintf("grace_period %s: anything at the source may be destroyed less than a day after the move", Span(p.GracePeriod)), fix)}
	case p.GracePeriod < minGrace:
		return []Finding{finding("L018", SeverityWarning, p.GracePeriodPos,
			fmt.Sprintf("grace_period %s is shorter than a week: a problem found after the move may find the source already destroyed", Span(p.GracePeriod)), fix)}
	}
	return nil
}

// lintRacks (L022, L023, L024) finds the destination racks that cannot
// take what moves into them: rack units beyond the rack's height or taken
// by what stays there, and power and weight over what the rack may take.
// What stays is what the rack declares as used and the plan's assets
// standing in it that do not move; assets that leave the rack free their
// units, power and weight (the runbook unracks before it racks).
func lintRacks(p *Plan) []Finding {
	type key struct{ site, rack string }
	// in: the moved assets going into each rack, in file order; stay:
	// the plan's assets standing in it that do not move.
	in, stay := map[key][]*Asset{}, map[key][]*Asset{}
	var racks []key
	for i := range p.Assets {
		a := &p.Assets[i]
		if a.Moved() && a.To.Rack != "" {
			k := key{a.To.Site, a.To.Rack}
			if _, seen := in[k]; !seen {
				racks = append(racks, k)
			}
			in[k] = append(in[k], a)
		}
		if !a.Moved() && a.From.Rack != "" {
			k := key{a.From.Site, a.From.Rack}
			stay[k] = append(stay[k], a)
		}
	}
	declares := map[string]bool{}
	for _, s := range p.Sites {
		declares[s.ID] = len(s.Racks) > 0
	}
	var out []Finding
	for _, k := range racks {
		r, ok := p.Rack(k.site, k.rack)
		if !ok {
			if declares[k.site] {
				a := in[k][0]
				out = append(out, finding("L022", SeverityWarning, a.To.Pos,
					fmt.Sprintf("rack %s is not among the racks of site %s, so nothing checks that %s %s in it", k.rack, k.site, assetList(in[k]), verb(in[k], "fits", "fit")),
					fmt.Sprintf("declare it under sites: %s racks: [{id: %s, height: 42, power: 5000, weight: 1000}], or correct the rack of to:", k.site, yamlText(k.rack))))
			}
			continue
		}
		out = append(out, lintRackUnits(r, k.site, in[k], stay[k])...)
		out = append(out, lintRackPower(r, k.site, in[k], stay[k])...)
		out = append(out, lintRackWeight(r, k.site, in[k], stay[k])...)
	}
	return out
}

// taken is rack units held by something: equipment outside the plan, an
// asset that stays, an asset that moves in.
type taken struct {
	what     string
	low, top int
}

// lintRackUnits (L022) checks the rack units the assets moving into r
// take against its height, the units it declares used, what stays in it
// and each other.
func lintRackUnits(r *Rack, site string, in, stay []*Asset) []Finding {
	var held []taken
	for _, u := range r.Used {
		held = append(held, taken{"equipment outside the plan (used: " + u.String() + ")", u.Low, u.Top})
	}
	for _, a := range stay {
		if a.From.U > 0 {
			what := "asset " + a.ID + ", which stays"
			if a.Decommission {
				what = "asset " + a.ID + ", decommissioned but still in the rack"
			}
			held = append(held, taken{what, a.From.U, a.From.U + max(a.Height, 1) - 1})
		}
	}
	// every is what the rack holds once the move is done, for the hints.
	every := slices.Clone(held)
	for _, a := range in {
		if a.To.U > 0 {
			every = append(every, taken{a.ID, a.To.U, a.To.U + max(a.Height, 1) - 1})
		}
	}
	var out []Finding
	for _, a := range in {
		h := max(a.Height, 1)
		// others is what the rack holds besides a, for the hints.
		others := slices.DeleteFunc(slices.Clone(every), func(t taken) bool { return t.what == a.ID })
		if a.To.U < 1 {
			if r.Height > 0 {
				out = append(out, finding("L022", SeverityWarning, a.To.Pos,
					fmt.Sprintf("asset %s goes to rack %s at %s with no u: nothing says which units it takes", a.ID, r.ID, site),
					fmt.Sprintf("write in to: the lowest unit it takes, e.g. u: %d%s", firstFree(r.Height, h, others), freeHint(r.Height, others))))
			}
			continue
		}
		low, top := a.To.U, a.To.U+h-1
		if r.Height > 0 && top > r.Height {
			out = append(out, finding("L022", SeverityError, a.To.Pos,
				fmt.Sprintf("asset %s takes %s of rack %s at %s, which has %d units: it goes beyond the top of the rack", a.ID, units(low, top), r.ID, site, r.Height),
				"give it a u that fits, another rack, or correct the rack's height"+freeHint(r.Height, others)))
		}
		for _, t := range held {
			if low <= t.top && t.low <= top {
				out = append(out, finding("L022", SeverityError, a.To.Pos,
					fmt.Sprintf("asset %s takes %s of rack %s at %s, which overlaps %s at %s", a.ID, units(low, top), r.ID, site, t.what, units(t.low, t.top)),
					"give it free units, or another rack"+freeHint(r.Height, others)))
				break
			}
		}
		held = append(held, taken{"asset " + a.ID + ", which moves in too", low, top})
	}
	return out
}

// free returns the ranges of units of a rack of height units that
// nothing in held takes.
func free(height int, held []taken) []Units {
	var out []Units
	for u := 1; u <= height; u++ {
		used := slices.ContainsFunc(held, func(t taken) bool { return t.low <= u && u <= t.top })
		switch {
		case used:
		case len(out) > 0 && out[len(out)-1].Top == u-1:
			out[len(out)-1].Top = u
		default:
			out = append(out, Units{Low: u, Top: u})
		}
	}
	return out
}

// firstFree returns the lowest unit of the first free range of a rack of
// height units that takes h units, or 1.
func firstFree(height, h int, held []taken) int {
	for _, f := range free(height, held) {
		if f.Top-f.Low+1 >= h {
			return f.Low
		}
	}
	return 1
}

// freeHint says which units of a rack of known height are still free.
func freeHint(height int, held []taken) string {
	if height == 0 {
		return ""
	}
	f := free(height, held)
	if len(f) == 0 {
		return "; the rack has no free unit left"
	}
	names := make([]string, len(f))
	for i, u := range f {
		names[i] = u.String()
	}
	const most = 8
	if len(names) > most {
		names = append(names[:most], fmt.Sprintf("and %d more ranges", len(f)-most))
	}
	return "; free: " + strings.Join(names, ", ")
}

// lintRackPower (L023) adds up the power of what moves into r and what
// stays in it, against the rack's budget.
func lintRackPower(r *Rack, site string, in, stay []*Asset) []Finding {
	if r.Power == 0 {
		return nil
	}
	total, moved := r.UsedPower, 0
	for _, a := range in {
		moved += a.Power
	}
	for _, a := range stay {
		total += a.Power
	}
	total += moved
	if total <= r.Power {
		return nil
	}
	staying := ""
	if total > moved {
		staying = fmt.Sprintf(" and %d W of what stays in it", total-moved)
	}
	return []Finding{finding("L023", SeverityError, in[0].To.Pos,
		fmt.Sprintf("rack %s at %s may supply %d W, but %s %s %d W%s: %d W over its budget", r.ID, site, r.Power, assetList(in), verb(in, "draws", "draw"), moved, staying, total-r.Power),
		fmt.Sprintf("move some of them to another rack (e.g. %s), add or upgrade the rack's feeds and its power:, or correct the draws", biggest(in, func(a *Asset) float64 { return float64(a.Power) })))}
}

// lintRackWeight (L024) adds up the known weights of what moves into r
// and what stays in it, against the rack's limit.
func lintRackWeight(r *Rack, site string, in, stay []*Asset) []Finding {
	if r.Weight == 0 {
		return nil
	}
	total, moved, unknown := r.UsedWeight, 0.0, 0
	for _, a := range in {
		moved += a.Weight
		if a.Weight == 0 {
			unknown++
		}
	}
	for _, a := range stay {
		total += a.Weight
	}
	total += moved
	if total <= r.Weight || moved == 0 {
		return nil
	}
	staying, unknowns := "", ""
	if total > moved {
		staying = fmt.Sprintf(" and %s kg of what stays in it", kg(total-moved))
	}
	if unknown > 0 {
		unknowns = fmt.Sprintf(" at least (%d without a weight)", unknown)
	}
	return []Finding{finding("L024", SeverityError, in[0].To.Pos,
		fmt.Sprintf("rack %s at %s may carry %s kg, but %s %s %s kg%s%s: %s kg over its limit", r.ID, site, kg(r.Weight), assetList(in), verb(in, "weighs", "weigh"), kg(moved), staying, unknowns, kg(total-r.Weight)),
		fmt.Sprintf("move some of them to another rack (e.g. %s), or correct the weights or the rack's weight:", biggest(in, func(a *Asset) float64 { return a.Weight })))}
}

// kg formats kilograms: "18.5", "1000".
func kg(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// assetList names the assets moving into a rack: "assets a, b and c"
// (the first ten, and how many more).
func assetList(as []*Asset) string {
	if len(as) == 1 {
		return "asset " + as[0].ID
	}
	const most = 10
	ids := make([]string, 0, most)
	for _, a := range as[:min(len(as), most)] {
		ids = append(ids, a.ID)
	}
	if len(as) > most {
		return fmt.Sprintf("assets %s and %d more", strings.Join(ids, ", "), len(as)-most)
	}
	return "assets " + strings.Join(ids[:len(ids)-1], ", ") + " and " + ids[len(ids)-1]
}

// verb returns one when as holds one asset, else many.
func verb(as []*Asset, one, many string) string {
	if len(as) == 1 {
		return one
	}
	return many
}

// biggest returns the id of the asset of as with the largest of, for a
// suggestion.
func biggest(as []*Asset, of func(*Asset) float64) string {
	best := as[0]
	for _, a := range as[1:] {
		if of(a) > of(best) {
			best = a
		}
	}
	return best.ID
}

// yamlText returns s as a YAML flow scalar: as is when plain, else
// quoted.
func yamlText(s string) string {
	if idPattern.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}
