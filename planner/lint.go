package planner

import (
	"fmt"
	"slices"
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
		lintVantages, lintCooldowns, lintShifts, lintLead, lintGrace,
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
