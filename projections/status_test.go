package projections_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
)

// runLog builds the records of a run by hand, at times from t0.
type runLog struct {
	tb   failer
	recs []events.Record
}

// failer is what runLog needs of a test: examples have none, and panic.
type failer interface {
	Helper()
	Fatal(args ...any)
}

type panicker struct{}

func (panicker) Helper()           {}
func (panicker) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

func (l *runLog) at(d time.Duration, actor, subject string, ev events.Event) {
	l.tb.Helper()
	e, err := events.New(t0.Add(d), events.Origin{Run: "r1", Plan: "p", Actor: actor}, subject, ev)
	if err != nil {
		l.tb.Fatal(err)
	}
	l.recs = append(l.recs, events.Record{Envelope: e, Seq: uint64(len(l.recs) + 1)})
}

// start records the cutover, at t0 with a window of 12 hours, and its
// steps.
func (l *runLog) start(crew []events.Member, steps ...events.StepPlanned) {
	l.tb.Helper()
	l.at(0, "Lea", "", events.CutoverStarted{Plan: "p", Title: "Test move", TimeZone: "Europe/Paris",
		WindowStart: t0, WindowEnd: t0.Add(12 * time.Hour), Crew: crew, Lead: "Lea", Steps: len(steps)})
	for _, sp := range steps {
		l.at(0, "Lea", "step/"+sp.Step, sp)
	}
}

func (l *runLog) started(d time.Duration, who, step string) {
	l.tb.Helper()
	l.at(d, who, "step/"+step, events.StepStarted{Step: step})
}

func (l *runLog) done(d time.Duration, who, step string) {
	l.tb.Helper()
	l.at(d, who, "step/"+step, events.StepCompleted{Step: step})
}

func (l *runLog) status() *projections.Status {
	s := projections.NewStatus()
	fold(s, l.recs)
	return s
}

// step plans a step of the window: likely duration d, its range from half
// to twice that, planned at start (from t0).
func planStep(id, phase, role string, d, start time.Duration, after ...string) events.StepPlanned {
	return events.StepPlanned{Step: id, Title: "Do " + id, Phase: phase, Role: role, After: after, Timing: "window",
		Optimistic: events.Duration(d / 2), Likely: events.Duration(d), Pessimistic: events.Duration(2 * d),
		PlannedStart: t0.Add(start), PlannedEnd: t0.Add(start + d)}
}

var moveCrew = []events.Member{{Name: "Lea", Roles: []string{"lead"}}, {Name: "Ana", Roles: []string{"tech"}}, {Name: "Bo", Roles: []string{"tech", "network"}}}

func TestLate(t *testing.T) {
	l := &runLog{tb: t}
	l.start(moveCrew,
		planStep("a", "move", "tech", time.Hour, 0),
		planStep("b", "move", "tech", time.Hour, time.Hour, "a"),
		planStep("c", "move", "network", time.Hour, 30*time.Minute),
		planStep("d", "move", "tech", time.Hour, 3*time.Hour, "b"))
	l.started(30*time.Minute, "Ana", "a") // started 30m late, on its duration until 1h30
	l.done(3*time.Hour, "Ana", "a")       // b could start at 3h, was planned at 1h
	s := l.status()
	for _, tt := range []struct {
		name, step string
		at         time.Duration
		want       time.Duration
	}{
		{"ready, before its planned start", "c", 20 * time.Minute, 0},
		{"ready, past its planned start", "c", 2 * time.Hour, 90 * time.Minute},
		{"ready since its predecessor ended, after its planned start", "b", 3*time.Hour + 20*time.Minute, 20 * time.Minute},
		{"waiting for its predecessor", "d", 5 * time.Hour, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, _ := s.Step(tt.step)
			if got := s.Late(st, t0.Add(tt.at)); got != tt.want {
				t.Errorf("late %s, want %s", got, tt.want)
			}
		})
	}
	l.started(3*time.Hour+20*time.Minute, "Ana", "b")
	s = l.status()
	b, _ := s.Step("b")
	for at, want := range map[time.Duration]time.Duration{
		4 * time.Hour:                0,                // past its planned end (2h), within its hour
		4*time.Hour + 20*time.Minute: 0,                // exactly its hour
		5 * time.Hour:                40 * time.Minute, // 40m over its hour
	} {
		if got := s.Late(b, t0.Add(at)); got != want {
			t.Errorf("b started at 3h20, at %s: late %s, want %s", at, got, want)
		}
	}
}

// Who is on what: the steps each person started and works on; waits and
// timers occupy nobody.
func TestBoardCrew(t *testing.T) {
	l := &runLog{tb: t}
	wait := planStep("wait", "move", "", 10*time.Hour, 0)
	l.start(moveCrew, planStep("a", "move", "tech", time.Hour, 0), planStep("b", "move", "network", time.Hour, 0), wait)
	l.started(10*time.Minute, "Bo", "b")
	l.done(50*time.Minute, "Bo", "b")
	l.started(time.Hour, "Ana", "a")
	l.started(time.Hour, "Lea", "wait")
	b := l.status().Board(t0.Add(2 * time.Hour))
	got := map[string]string{}
	for _, c := range b.Crew {
		since := "-"
		if !c.Since.IsZero() {
			since = c.Since.Sub(t0).String()
		}
		got[c.Name] = strings.Join(c.On, ",") + "@" + since
	}
	want := map[string]string{"Lea": "@-", "Ana": "a@1h0m0s", "Bo": "@50m0s"}
	if len(got) != 3 || got["Lea"] != want["Lea"] || got["Ana"] != want["Ana"] || got["Bo"] != want["Bo"] {
		t.Errorf("moveCrew %v, want %v", got, want)
	}
}

// Colours only when asked, and only where they mean something; the text
// is the same.
func TestViewColour(t *testing.T) {
	l := &runLog{tb: t}
	l.start(moveCrew, planStep("a", "prep", "tech", time.Hour, 0), planStep("b", "move", "tech", time.Hour, time.Hour, "a"),
		planStep("c", "move", "network", time.Hour, 0))
	l.started(0, "Ana", "a")
	l.done(time.Hour, "Ana", "a")
	l.started(time.Hour, "Ana", "b")
	l.at(time.Hour, "Lea", "step/c", events.StepBlocked{Step: "c", Reason: "no badge"})
	s := l.status()
	now := t0.Add(3 * time.Hour)
	var plain, coloured bytes.Buffer
	projections.View{Now: now, Local: time.UTC}.Write(&plain, s)
	projections.View{Now: now, Local: time.UTC, Color: true}.Write(&coloured, s)
	if strings.Contains(plain.String(), "\x1b") {
		t.Errorf("escapes without Color:\n%q", plain.String())
	}
	for _, want := range []string{"\x1b[32mprep 1/1\x1b[0m", "\x1b[31m  b  Do b  Ana since Sat 08:00, planned 1h  LATE by 1h\x1b[0m", "\x1b[33mblocked:\x1b[0m"} {
		if !strings.Contains(coloured.String(), want) {
			t.Errorf("no %q in\n%s", want, coloured.String())
		}
	}
	strip := strings.NewReplacer("\x1b[31m", "", "\x1b[32m", "", "\x1b[33m", "", "\x1b[0m", "")
	if strip.Replace(coloured.String()) != plain.String() {
		t.Errorf("colours change the text:\n%s\n---\n%s", coloured.String(), plain.String())
	}
}

// The viewer's local time is shown beside the plan's when the two differ.
func TestViewLocalTime(t *testing.T) {
	l := &runLog{tb: t}
	l.start(moveCrew, planStep("a", "move", "tech", time.Hour, 0))
	s := l.status()
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := t0.Add(16 * time.Hour) // Sat 23:00 in Paris
	for _, tt := range []struct {
		local *time.Location
		want  string
	}{
		{time.UTC, "now Sat 5 Dec 23:00 Europe/Paris (22:00 UTC here)\n"},
		{tokyo, "now Sat 5 Dec 23:00 Europe/Paris (Sun 6 Dec 07:00 JST here)\n"},
		{berlin, "now Sat 5 Dec 23:00 Europe/Paris\n"}, // another name, the same clock
	} {
		var b bytes.Buffer
		projections.View{Now: now, Local: tt.local}.Write(&b, s)
		if !strings.Contains(b.String(), tt.want) {
			t.Errorf("viewer in %s: no %q in\n%s", tt.local, tt.want, b.String())
		}
	}
}

// A clone does not move when the status goes on.
func TestStatusClone(t *testing.T) {
	l := &runLog{tb: t}
	l.start(moveCrew, planStep("a", "move", "tech", time.Hour, 0), planStep("b", "move", "tech", time.Hour, 0, "a"))
	s := projections.NewStatus()
	fold(s, l.recs)
	c := s.Clone()
	l.started(0, "Ana", "a")
	l.done(time.Hour, "Ana", "a")
	l.at(time.Hour, "Lea", "", events.DegradedEntered{Reason: "move", Down: []string{"web"}})
	fold(s, l.recs[len(l.recs)-3:])
	if a, _ := c.Step("a"); a.State() != projections.Ready || c.Degraded || c.LastSeq != 3 {
		t.Errorf("the clone moved: a %s, degraded %v, seq %d", a.State(), c.Degraded, c.LastSeq)
	}
	if b, _ := s.Step("b"); b.State() != projections.Ready {
		t.Errorf("b is %s in the status", b.State())
	}
	if b, _ := c.Step("b"); b.State() != projections.Pending {
		t.Errorf("b is %s in the clone", b.State())
	}
}

// The whole board of a small run in the middle of its move, with a
// forecast, in golden form.
func TestViewGolden(t *testing.T) {
	s, now := midMove(t)
	eta, err := projections.Forecast(s, now, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := (projections.View{Now: now, Local: time.UTC, Forecast: eta}).Write(&b, s); err != nil {
		t.Fatal(err)
	}
	golden(t, "status-board.golden", b.Bytes())
}

// midMove is a small run three hours into its window: the preparation
// and the go/no-go done, degraded mode on, a service stopped, a server
// cooling down, the unracking running late and the cabling done slowly.
func midMove(t testing.TB) (*projections.Status, time.Time) {
	l := &runLog{tb: t}
	gate := planStep("go", "move", "lead", 15*time.Minute, 30*time.Minute, "prep")
	gate.Gate = true
	stop := planStep("stop-web", "move", "tech", 10*time.Minute, 45*time.Minute, "go")
	stop.Service, stop.Template, stop.Kind = "web", "stop-<id>", events.KindStopService
	start := planStep("start-web", "move", "tech", 20*time.Minute, 285*time.Minute, "check")
	start.Service, start.Template, start.Kind = "web", "start-<id>", events.KindStartService
	cool := planStep("cool-srv-1", "move", "", 30*time.Minute, 55*time.Minute, "stop-web")
	cool.Timer, cool.Asset = "cooldown", "srv-1"
	l.at(0, "Lea", "", events.CutoverStarted{Plan: "p", Title: "Test move", TimeZone: "Europe/Paris",
		WindowStart: t0, WindowEnd: t0.Add(12 * time.Hour), Crew: moveCrew, Lead: "Lea", Steps: 9,
		PointOfNoReturn: t0.Add(5 * time.Hour),
		Services:        []events.Service{{ID: "web", RTO: events.Duration(4 * time.Hour)}, {ID: "db", Vital: true, RTO: events.Duration(time.Hour)}}})
	for _, sp := range []events.StepPlanned{
		planStep("prep", "before", "lead", 30*time.Minute, 0), gate, stop, cool,
		planStep("unrack", "move", "tech", time.Hour, 85*time.Minute, "cool-srv-1"),
		planStep("cable", "move", "network", time.Hour, 45*time.Minute, "go"),
		planStep("rack", "move", "tech", 2*time.Hour, 145*time.Minute, "unrack"),
		planStep("check", "move", "network", time.Hour, 265*time.Minute, "rack", "cable"),
		start,
	} {
		l.at(0, "Lea", "step/"+sp.Step, sp)
	}
	l.started(0, "Lea", "prep")
	l.done(40*time.Minute, "Lea", "prep")
	l.started(40*time.Minute, "Lea", "go")
	l.at(50*time.Minute, "Lea", "step/go", events.GateSigned{Gate: "go", Role: "lead", Decision: "go"})
	l.done(55*time.Minute, "Lea", "go")
	l.at(time.Hour, "Lea", "", events.DegradedEntered{Reason: "the move", Down: []string{"web"}})
	l.started(time.Hour, "Ana", "stop-web")
	l.started(65*time.Minute, "Bo", "cable")
	l.done(75*time.Minute, "Ana", "stop-web")
	l.started(75*time.Minute, "Ana", "cool-srv-1")
	l.at(75*time.Minute, "Ana", "asset/srv-1", events.CooldownStarted{Asset: "srv-1", Step: "stop-web", Until: t0.Add(100 * time.Minute)})
	l.at(100*time.Minute, "", "asset/srv-1", events.CooldownElapsed{Asset: "srv-1", Due: t0.Add(100 * time.Minute)})
	l.started(105*time.Minute, "Ana", "unrack")
	l.done(155*time.Minute, "Bo", "cable")
	return l.status(), t0.Add(3*time.Hour + 30*time.Minute)
}
