package projections_test

import (
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
)

// paris returns 2026-12-day hh:mm in the plan's zone.
func paris(t testing.TB, day int, hhmm string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", time.Date(2026, 12, day, 0, 0, 0, 0, time.UTC).Format("2006-01-02")+" "+hhmm, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// script writes the records of one run by hand, in log order.
type script struct {
	t    testing.TB
	run  string
	day  int
	recs []events.Record
}

func newScript(t testing.TB, run string, day int) *script {
	return &script{t: t, run: run, day: day}
}

// at appends one event at hh:mm of the script's day (or of day+1 with a
// "+" prefix: "+01:30").
func (s *script) at(hhmm, actor, subject string, ev events.Event) *script {
	s.t.Helper()
	day := s.day
	if hhmm[0] == '+' {
		day, hhmm = day+1, hhmm[1:]
	}
	e, err := events.New(paris(s.t, day, hhmm), events.Origin{Run: s.run, Plan: "small", Actor: actor}, subject, ev)
	if err != nil {
		s.t.Fatal(err)
	}
	e.ID = s.run + "-" + string(rune('a'+len(s.recs)/26)) + string(rune('a'+len(s.recs)%26)) // stable ids for the JSON goldens
	e.Source = "/dcmove/test"
	s.recs = append(s.recs, events.Record{Envelope: e, Seq: uint64(len(s.recs) + 1)})
	return s
}

func (s *script) step(hhmm, actor string, ev events.Event) *script {
	s.t.Helper()
	var id string
	switch v := ev.(type) {
	case events.StepStarted:
		id = v.Step
	case events.StepCompleted:
		id = v.Step
	case events.StepFailed:
		id = v.Step
	case events.StepRetried:
		id = v.Step
	case events.StepSkipped:
		id = v.Step
	case events.StepBlocked:
		id = v.Step
	case events.StepUnblocked:
		id = v.Step
	case events.GateSigned:
		id = v.Gate
	}
	return s.at(hhmm, actor, "step/"+id, ev)
}

// did records a step started at from and done at to by who.
func (s *script) did(id, who, from, to string) *script {
	s.t.Helper()
	return s.step(from, who, events.StepStarted{Step: id}).step(to, who, events.StepCompleted{Step: id})
}

func d(x time.Duration) events.Duration { return events.Duration(x) }

// start records the cutover of the small plan: a capture and a backup,
// a go/no-go, the database moved with its cool-down, validation, and
// after the window a clean-up and an announcement; reopen-pa2 runs only on
// a back-out.
func (s *script) start(at string, rehearsal bool, hash string) *script {
	s.t.Helper()
	ws, we := paris(s.t, s.day, "07:00"), paris(s.t, s.day+1, "20:00")
	s.at(at, "Claire Martin", "", events.CutoverStarted{Plan: "small", Title: "Small move, PA2 to PA3", File: "small.yaml", Hash: hash,
		WindowStart: ws, WindowEnd: we, TimeZone: "Europe/Paris", Steps: 10, Lead: "Claire Martin", Rehearsal: rehearsal,
		Crew: []events.Member{{Name: "Claire Martin", Roles: []string{"lead"}}, {Name: "Karim Haddad", Roles: []string{"network"}},
			{Name: "Julien Petit", Roles: []string{"tech"}}, {Name: "Hugo Leroy", Roles: []string{"app"}}},
		Services: []events.Service{{ID: "shop", Vital: true, RTO: d(8 * time.Hour)}, {ID: "reporting", RTO: d(24 * time.Hour)}}})
	plan := func(p events.StepPlanned, from, to string) {
		p.PlannedStart, p.PlannedEnd = paris(s.t, s.day, from), paris(s.t, s.day, to)
		if p.Timing == "" {
			p.Timing = "window"
		}
		s.at(at, "Claire Martin", "step/"+p.Step, p)
	}
	plan(events.StepPlanned{Step: "capture", Title: "Capture firewall rules", Phase: "before", Asset: "fw-1", Role: "network",
		Optimistic: d(45 * time.Minute), Likely: d(time.Hour), Pessimistic: d(2 * time.Hour)}, "07:00", "08:00")
	plan(events.StepPlanned{Step: "backup", Title: "Restore last night's backup off-site", Phase: "before", Asset: "db-1", Role: "app",
		Optimistic: d(20 * time.Minute), Likely: d(30 * time.Minute), Pessimistic: d(time.Hour)}, "07:00", "07:30")
	plan(events.StepPlanned{Step: "go-no-go", Title: "Go/no-go", Phase: "move", Gate: true, Role: "lead", After: []string{"capture", "backup"},
		Optimistic: d(15 * time.Minute), Likely: d(15 * time.Minute), Pessimistic: d(30 * time.Minute)}, "08:00", "08:15")
	plan(events.StepPlanned{Step: "shutdown-db", Title: "Shut the database down", Phase: "move", Asset: "db-1", Role: "tech", After: []string{"go-no-go"},
		Optimistic: d(20 * time.Minute), Likely: d(30 * time.Minute), Pessimistic: d(time.Hour), Cooldown: d(30 * time.Minute),
		Service: "shop", Template: "stop-<id>", Kind: events.KindStopService, Backout: []string{"reopen-pa2"}}, "08:15", "08:45")
	plan(events.StepPlanned{Step: "cool-down-db", Title: "Let db-1 cool down", Phase: "move", Asset: "db-1", Timer: "cooldown", After: []string{"shutdown-db"},
		Optimistic: d(30 * time.Minute), Likely: d(30 * time.Minute), Pessimistic: d(30 * time.Minute)}, "08:45", "09:15")
	plan(events.StepPlanned{Step: "unrack-db", Title: "Unrack db-1", Phase: "move", Asset: "db-1", Role: "tech", After: []string{"cool-down-db"},
		Optimistic: d(45 * time.Minute), Likely: d(time.Hour), Pessimistic: d(2 * time.Hour)}, "09:15", "10:15")
	plan(events.StepPlanned{Step: "rack-db", Title: "Rack db-1 at PA3", Phase: "move", Asset: "db-1", Role: "tech", After: []string{"unrack-db"},
		Optimistic: d(45 * time.Minute), Likely: d(time.Hour), Pessimistic: d(2 * time.Hour)}, "10:15", "11:15")
	plan(events.StepPlanned{Step: "validate", Title: "Validate the shop from outside", Phase: "move", Role: "app", After: []string{"rack-db"},
		Service: "shop", Template: "start-<id>", Kind: events.KindStartService, Optimistic: d(30 * time.Minute), Likely: d(time.Hour), Pessimistic: d(2 * time.Hour)}, "11:15", "12:15")
	plan(events.StepPlanned{Step: "cleanup-pa2", Title: "Clear the PA2 cage", Phase: "after", Timing: "after", Role: "tech", After: []string{"validate"},
		Optimistic: d(time.Hour), Likely: d(time.Hour), Pessimistic: d(time.Hour)}, "12:15", "13:15")
	plan(events.StepPlanned{Step: "announce", Title: "Tell customers the move is over", Phase: "after", Timing: "after", Role: "lead", After: []string{"validate"},
		Optimistic: d(15 * time.Minute), Likely: d(15 * time.Minute), Pessimistic: d(15 * time.Minute)}, "12:15", "12:30")
	plan(events.StepPlanned{Step: "reopen-pa2", Title: "Power db-1 back on at PA2", Phase: "backout", Asset: "db-1", Role: "tech", BackoutOnly: true,
		Optimistic: d(30 * time.Minute), Likely: d(30 * time.Minute), Pessimistic: d(time.Hour)}, "08:45", "09:15")
	return s
}

// liveRun is the live run, with a deviation of every kind: a warning
// accepted, a step failed and retried, one blocked, a cool-down cut short
// (its timer still fires), one step skipped, a record a newer dcmove wrote.
func liveRun(t testing.TB) []events.Record {
	s := newScript(t, "small", 5).start("06:30", false, "sha-1")
	s.at("06:30", "Claire Martin", "", events.WarningAccepted{Lint: "L013", Message: "Hugo Leroy has no shifts", Reason: "the crew works without shifts"})
	s.step("07:00", "Claire Martin", events.StepBlocked{Step: "backup", Reason: "the backup server's room is locked"})
	s.step("07:00", "Karim Haddad", events.StepStarted{Step: "capture"})
	s.step("07:30", "Claire Martin", events.StepUnblocked{Step: "backup", Reason: "key found"})
	s.step("07:30", "Hugo Leroy", events.StepStarted{Step: "backup"})
	s.step("07:40", "Karim Haddad", events.StepFailed{Step: "capture", Reason: "export truncated at 512 rules"})
	s.step("07:45", "Karim Haddad", events.StepRetried{Step: "capture", Reason: "paged export"})
	s.step("07:45", "Karim Haddad", events.StepStarted{Step: "capture"})
	s.step("08:00", "Hugo Leroy", events.StepCompleted{Step: "backup"})
	s.step("08:55", "Karim Haddad", events.StepCompleted{Step: "capture"})
	s.step("09:00", "Claire Martin", events.StepStarted{Step: "go-no-go"})
	s.step("09:10", "Claire Martin", events.GateSigned{Gate: "go-no-go", Role: "lead", Decision: "go"})
	s.step("09:12", "Hugo Leroy", events.GateSigned{Gate: "go-no-go", Role: "app", Decision: "go", Reason: "backup restored off-site"})
	s.step("09:12", "Hugo Leroy", events.StepCompleted{Step: "go-no-go"})
	s.at("09:15", "Claire Martin", "", events.DegradedEntered{Reason: "the machines leave PA2", Down: []string{"reporting"}})
	s.did("shutdown-db", "Julien Petit", "09:15", "09:50")
	s.at("09:50", "dcmove", "asset/db-1", events.CooldownStarted{Asset: "db-1", Step: "shutdown-db", Until: paris(t, 5, "10:20")})
	s.step("09:50", "dcmove", events.StepStarted{Step: "cool-down-db"})
	s.at("10:05", "Claire Martin", "asset/db-1", events.CooldownForced{Asset: "db-1", Reason: "disks spun down, the crew is waiting"})
	s.step("10:05", "Julien Petit", events.StepStarted{Step: "unrack-db"})
	s.at("10:20", "dcmove", "asset/db-1", events.CooldownElapsed{Asset: "db-1", Due: paris(t, 5, "10:20")})
	s.step("11:35", "Julien Petit", events.StepCompleted{Step: "unrack-db"})
	s.step("11:40", "Julien Petit", events.StepStarted{Step: "rack-db"})
	s.at("12:00", "Karim Haddad", "", events.StepStarted{Step: "x"})
	s.recs[len(s.recs)-1].Type = "dcmove.teleporter.engaged"
	s.step("13:40", "Julien Petit", events.StepCompleted{Step: "rack-db"})
	s.did("validate", "Hugo Leroy", "13:45", "14:30")
	s.at("14:35", "Claire Martin", "", events.DegradedLeft{Reason: "the shop validated at PA3"})
	s.step("14:40", "Claire Martin", events.StepSkipped{Step: "cleanup-pa2", Reason: "the provider clears the cage"})
	s.did("announce", "Claire Martin", "14:40", "14:55")
	return s.recs
}

// rehearsalRun is the dress rehearsal a week before: no deviation, and the
// cool-down's timer lands late in the log (no dcmove process held the
// store when it was due), after an event that happened after it.
func rehearsalRun(t testing.TB, hash string) []events.Record {
	s := newScript(t, "small-rehearsal", 28-30).start("06:30", true, hash)
	s.step("07:00", "Karim Haddad", events.StepStarted{Step: "capture"})
	s.did("backup", "Hugo Leroy", "07:00", "07:40")
	s.step("07:50", "Karim Haddad", events.StepCompleted{Step: "capture"})
	s.step("08:00", "Claire Martin", events.StepStarted{Step: "go-no-go"})
	s.step("08:10", "Claire Martin", events.GateSigned{Gate: "go-no-go", Role: "lead", Decision: "go"})
	s.step("08:10", "Hugo Leroy", events.GateSigned{Gate: "go-no-go", Role: "app", Decision: "go"})
	s.step("08:10", "Hugo Leroy", events.StepCompleted{Step: "go-no-go"})
	s.did("shutdown-db", "Julien Petit", "08:10", "08:30")
	s.at("08:30", "dcmove", "asset/db-1", events.CooldownStarted{Asset: "db-1", Step: "shutdown-db", Until: paris(t, -2, "09:00")})
	s.step("08:30", "dcmove", events.StepStarted{Step: "cool-down-db"})
	s.at("09:10", "Claire Martin", "", events.DegradedEntered{Reason: "drill", Down: []string{"reporting"}})
	s.at("09:00", "dcmove", "asset/db-1", events.CooldownElapsed{Asset: "db-1", Due: paris(t, -2, "09:00")})
	s.did("unrack-db", "Julien Petit", "09:15", "10:00")
	s.did("rack-db", "Julien Petit", "10:00", "11:30")
	s.did("validate", "Hugo Leroy", "11:30", "12:30")
	s.at("12:30", "Claire Martin", "", events.DegradedLeft{Reason: "drill over"})
	s.step("12:30", "Julien Petit", events.StepStarted{Step: "cleanup-pa2"})
	s.did("announce", "Claire Martin", "12:30", "12:40")
	s.step("13:00", "Julien Petit", events.StepCompleted{Step: "cleanup-pa2"})
	return s.recs
}

// backoutRun says no-go at the gate and backs out.
func backoutRun(t testing.TB) []events.Record {
	s := newScript(t, "small-2", 12).start("06:30", false, "sha-1")
	s.step("07:00", "Karim Haddad", events.StepStarted{Step: "capture"})
	s.did("backup", "Hugo Leroy", "07:00", "07:30")
	s.step("08:00", "Karim Haddad", events.StepCompleted{Step: "capture"})
	s.step("08:00", "Claire Martin", events.StepStarted{Step: "go-no-go"})
	s.step("08:05", "Claire Martin", events.GateSigned{Gate: "go-no-go", Role: "lead", Decision: "go"})
	s.step("08:20", "Hugo Leroy", events.GateSigned{Gate: "go-no-go", Role: "app", Decision: "no-go", Reason: "the off-site restore failed"})
	s.step("08:20", "Hugo Leroy", events.StepFailed{Step: "go-no-go", Reason: "no-go by app (Hugo Leroy): the off-site restore failed"})
	s.at("08:20", "Hugo Leroy", "", events.BackoutStarted{Reason: "no-go on go-no-go", Trigger: "go-no-go", Steps: []string{},
		Cancelled: []string{"shutdown-db", "cool-down-db", "unrack-db", "rack-db", "validate", "cleanup-pa2", "announce"}})
	return s.recs
}
