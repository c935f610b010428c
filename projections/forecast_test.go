package projections_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/examples"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
)

// forecast forecasts s at t0+at with 200 samples, or fails the test.
func forecastAt(t testing.TB, s *projections.Status, at time.Duration) *projections.ETA {
	t.Helper()
	eta, err := projections.Forecast(s, t0.Add(at), 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	return eta
}

func wantEnd(t *testing.T, eta *projections.ETA, want time.Duration) {
	t.Helper()
	if got := eta.End.Sub(t0); got != want {
		t.Errorf("the move ends at t0+%s, want t0+%s", got, want)
	}
}

// A started step has what is left of its likely duration, at least 5% of
// it: running over its plan, it pushes its successor.
func TestForecastLateStepPushesSuccessor(t *testing.T) {
	l := &runLog{tb: t}
	l.start(moveCrew, planStep("a", "move", "tech", time.Hour, 0), planStep("b", "move", "tech", time.Hour, time.Hour, "a"))
	l.started(0, "Ana", "a")
	s := l.status()
	wantEnd(t, forecastAt(t, s, 30*time.Minute), 2*time.Hour)                            // a has 30m left, then b's hour
	wantEnd(t, forecastAt(t, s, 90*time.Minute), 90*time.Minute+3*time.Minute+time.Hour) // a 30m over: 3m left (5%), then b
}

// The steps of a phase not started yet take their likely duration times
// the median pace of the phase's finished steps, as measured: a phase at
// 5x is forecast at 5x (Parrot ran about 5x; a clamp at 3x hid it), and
// only steps closed at once are held at 0.1x.
func TestForecastSlowPhaseScalesTheRest(t *testing.T) {
	for _, tt := range []struct {
		name string
		took []time.Duration // the three finished steps of an hour each
		pace float64
	}{
		{"on plan", []time.Duration{time.Hour, time.Hour, time.Hour}, 1},
		{"slow", []time.Duration{90 * time.Minute, 2 * time.Hour, 72 * time.Minute}, 1.5},
		{"five times slower, as measured", []time.Duration{5 * time.Hour, 5 * time.Hour, 5 * time.Hour}, 5},
		{"fast, as measured", []time.Duration{6 * time.Minute, 12 * time.Minute, 60 * time.Minute}, 0.2},
		{"closed at once, held at 0.1", []time.Duration{0, time.Minute, 2 * time.Minute}, 0.1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &runLog{tb: t}
			l.start(moveCrew,
				planStep("a", "move", "tech", time.Hour, 0), planStep("b", "move", "tech", time.Hour, 0), planStep("c", "move", "network", time.Hour, 0),
				planStep("next", "move", "tech", time.Hour, 0, "a", "b", "c"),
				planStep("check", "check", "network", time.Hour, 0, "next"))
			for i, who := range []string{"Ana", "Lea", "Bo"} {
				id := string(rune('a' + i))
				l.started(0, who, id)
				l.done(tt.took[i], who, id)
			}
			s := l.status()
			now := 6 * time.Hour
			eta := forecastAt(t, s, now)
			// next at the phase's pace, then check (no step of its phase
			// finished: pace 1).
			wantEnd(t, eta, now+time.Duration(tt.pace*float64(time.Hour))+time.Hour)
			if len(eta.Paces) != 2 || eta.Paces[0] != (projections.PhasePace{Phase: "move", Factor: tt.pace, Finished: 3, Remaining: 1}) ||
				eta.Paces[1] != (projections.PhasePace{Phase: "check", Factor: 1, Remaining: 1}) {
				t.Errorf("paces %+v", eta.Paces)
			}
		})
	}
}

// Each step takes one person with its role; someone on a started step is
// busy until it ends.
func TestForecastCrew(t *testing.T) {
	one := []events.Member{{Name: "Ana", Roles: []string{"tech"}}}
	two := append(one, events.Member{Name: "Bo", Roles: []string{"tech"}})
	for _, tt := range []struct {
		name    string
		crew    []events.Member
		started bool // Ana is on x, with 30m left
		want    time.Duration
	}{
		{"two steps, one tech: one after the other", one, false, 2 * time.Hour},
		{"two steps, two techs: side by side", two, false, time.Hour},
		{"one tech, busy for 30m", one, true, 30*time.Minute + 2*time.Hour},
		{"two techs, one busy for 30m", two, true, 30*time.Minute + time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &runLog{tb: t}
			l.start(tt.crew, planStep("x", "move", "tech", time.Hour, 0), planStep("a", "move", "tech", time.Hour, 0), planStep("b", "move", "tech", time.Hour, 0))
			if tt.started {
				l.started(0, "Ana", "x")
			} else {
				l.at(0, "Lea", "step/x", events.StepSkipped{Step: "x", Reason: "not needed"})
			}
			wantEnd(t, forecastAt(t, l.status(), 30*time.Minute), 30*time.Minute+tt.want)
		})
	}
}

// The window's steps do not start before the window opens, except in a
// rehearsal; the steps before the window that they wait for count.
func TestForecastWindowAndBefore(t *testing.T) {
	prep := planStep("prep", "before", "lead", 30*time.Minute, -time.Hour)
	prep.Timing = "before"
	after := planStep("announce", "after", "lead", 10*time.Hour, 0, "move")
	after.Timing = "after"
	for _, rehearsal := range []bool{false, true} {
		l := &runLog{tb: t}
		l.at(-3*time.Hour, "Lea", "", events.CutoverStarted{Plan: "p", TimeZone: "Europe/Paris", Crew: moveCrew, Rehearsal: rehearsal,
			WindowStart: t0, WindowEnd: t0.Add(12 * time.Hour)})
		for _, sp := range []events.StepPlanned{prep, planStep("move", "move", "tech", time.Hour, 0, "prep"), after} {
			l.at(-3*time.Hour, "Lea", "step/"+sp.Step, sp)
		}
		eta := forecastAt(t, l.status(), -2*time.Hour)
		want := time.Hour // the window opens, then the move's hour (prep is done by then)
		if rehearsal {
			want = -2*time.Hour + 30*time.Minute + time.Hour // prep, then the move, from now
		}
		wantEnd(t, eta, want)
		if eta.Remaining != 2 {
			t.Errorf("rehearsal %v: %d steps left, want 2 (prep and move; announce is after the window)", rehearsal, eta.Remaining)
		}
	}
}

// The odds: certain when even the pessimistic durations fit, nil when the
// window is over, and measured by the samples in between.
func TestForecastOdds(t *testing.T) {
	l := &runLog{tb: t}
	l.start(moveCrew, planStep("a", "move", "tech", time.Hour, 0), planStep("b", "move", "tech", time.Hour, 0, "a"))
	s := l.status()

	eta := forecastAt(t, s, 0) // 2h of work, 4h at worst, in a 12-hour window
	if eta.Probability != 1 || eta.Samples != 200 || eta.Remaining != 2 {
		t.Errorf("plenty of time: %+v", eta)
	}
	if eta.P50.Before(t0.Add(time.Hour)) || eta.P90.Before(eta.P50) || eta.P90.After(t0.Add(4*time.Hour)) {
		t.Errorf("P50 %s, P90 %s, want within the range of 1h to 4h", eta.P50.Sub(t0), eta.P90.Sub(t0))
	}
	again := forecastAt(t, s, 0)
	if again.P50 != eta.P50 || again.P90 != eta.P90 || again.Probability != eta.Probability {
		t.Errorf("the same seed gives another forecast: %+v, then %+v", eta, again)
	}

	late := forecastAt(t, s, 11*time.Hour) // 2h of work, 1h of window left
	if late.Probability != 0 || !late.End.Equal(t0.Add(13*time.Hour)) {
		t.Errorf("not enough time: %+v", late)
	}
	var b bytes.Buffer
	projections.View{Now: t0.Add(11 * time.Hour), Local: time.UTC, Forecast: late}.Write(&b, s)
	wantLine(t, b.String(), "forecast: the move ends Sat 5 Dec 20:00 (P90 ", ", 1h after the window closes; 0% chance to end inside the window")

	tight := forecastAt(t, s, 9*time.Hour+30*time.Minute) // 2h likely, 2h30m left
	if tight.Probability <= 0 || tight.Probability >= 1 {
		t.Errorf("some time: probability %v, want between 0 and 1", tight.Probability)
	}

	none, err := projections.Forecast(s, t0, 0, 1) // no samples: the likely end decides
	if err != nil || none.Samples != 0 || none.Probability != 1 || none.P50 != none.End || none.P90 != none.End {
		t.Errorf("no samples: %+v, %v", none, err)
	}
}

// Once the window's steps are all done, the forecast is what happened.
func TestForecastEnded(t *testing.T) {
	for _, tt := range []struct {
		took time.Duration
		prob float64
	}{{time.Hour, 1}, {13 * time.Hour, 0}} {
		l := &runLog{tb: t}
		l.start(moveCrew, planStep("a", "move", "tech", time.Hour, 0))
		l.started(0, "Ana", "a")
		l.done(tt.took, "Ana", "a")
		eta := forecastAt(t, l.status(), 14*time.Hour)
		if !eta.Ended || eta.Remaining != 0 || !eta.End.Equal(t0.Add(tt.took)) || eta.Probability != tt.prob {
			t.Errorf("ended after %s: %+v", tt.took, eta)
		}
	}
}

func wantLine(t *testing.T, text string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !bytes.Contains([]byte(text), []byte(p)) {
			t.Errorf("no %q in\n%s", p, text)
		}
	}
}

// Forecast a run two hours into its move: the unracking runs late, the
// cabling went slowly.
func ExampleForecast() {
	l := &runLog{tb: panicker{}}
	l.start(moveCrew,
		planStep("unrack", "move", "tech", time.Hour, 0),
		planStep("cable", "move", "network", time.Hour, 0),
		planStep("rack", "move", "tech", 2*time.Hour, time.Hour, "unrack"),
		planStep("check", "move", "network", time.Hour, 3*time.Hour, "rack", "cable"))
	l.started(0, "Ana", "unrack")
	l.started(0, "Bo", "cable")
	l.done(90*time.Minute, "Bo", "cable")
	s := l.status()
	now := t0.Add(2 * time.Hour)
	eta, err := projections.Forecast(s, now, 1000, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	paris := s.Location()
	fmt.Println("ends", eta.End.In(paris).Format("15:04"), "P90", eta.P90.In(paris).Format("15:04"))
	fmt.Printf("%.0f%% inside the window, phase %s x%.1f\n", 100*eta.Probability, eta.Paces[0].Phase, eta.Paces[0].Factor)
	// Output:
	// ends 13:33 P90 15:03
	// 100% inside the window, phase move x1.5
}

// referencePlan loads, expands and analyses examples/pa2-pa3.yaml, the
// reference move (303 steps).
func referencePlan(tb testing.TB) (*planner.Plan, *planner.Analysis) {
	tb.Helper()
	data, err := os.ReadFile("../examples/pa2-pa3.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return analysed(tb, "../examples/pa2-pa3.yaml", data)
}

// analysed parses, expands and analyses a plan (without odds).
func analysed(tb testing.TB, file string, data []byte) (*planner.Plan, *planner.Analysis) {
	tb.Helper()
	p, err := planner.Parse(file, data)
	if err != nil {
		tb.Fatal(err)
	}
	rb, err := runbooks.Expand(p)
	if err != nil {
		tb.Fatal(err)
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1, Samples: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return p, a
}

// asPlanned is the reference move at now had every step gone exactly as
// planned, by the person the schedule gave it: the records of a run built
// without a log, in a blink.
func asPlanned(tb testing.TB, now time.Time) (*projections.Status, *planner.Analysis) {
	p, a := referencePlan(tb)
	return plannedRun(tb, p, a, now), a
}

// plannedRun is the run of the analysed plan at now had every step gone
// exactly as planned, by the person the schedule gave it: the crew with
// their shifts, the vehicles and resources and what each step holds, as a
// cutover start records them; built without a log, in a blink.
func plannedRun(tb testing.TB, p *planner.Plan, a *planner.Analysis, now time.Time) *projections.Status {
	tb.Helper()
	l := &runLog{tb: tb}
	var crew []events.Member
	for _, m := range p.Crew {
		em := events.Member{Name: m.Name, Roles: m.Roles}
		for _, sh := range m.Shifts {
			em.Shifts = append(em.Shifts, events.Shift{Start: sh.Start, End: sh.End})
		}
		crew = append(crew, em)
	}
	var capacities []events.Capacity
	for _, v := range p.Transport {
		capacities = append(capacities, events.Capacity{ID: v.ID, Amount: max(v.Count, 1)})
	}
	for _, r := range p.Resources {
		capacities = append(capacities, events.Capacity{ID: r.ID, Amount: r.Capacity})
	}
	at := func(t time.Time) time.Duration { return t.Sub(t0) }
	begin := p.Window.Start.Add(-60 * 24 * time.Hour)
	l.at(at(begin), p.Lead, "", events.CutoverStarted{Plan: p.Name, TimeZone: p.Window.TimeZone, Crew: crew, Lead: p.Lead,
		WindowStart: p.Window.Start, WindowEnd: p.Window.End, Steps: len(a.Steps), Capacities: capacities})
	for _, sc := range a.Steps {
		sp := events.StepPlanned{Step: sc.ID, Title: sc.Title, Phase: sc.Phase, After: sc.After, Kind: sc.Kind,
			Role: sc.Role, Gate: sc.Gate, Timing: sc.Timing, PlannedStart: sc.Start, PlannedEnd: sc.End,
			Optimistic: events.Duration(sc.Duration.Optimistic), Likely: events.Duration(sc.Duration.Likely), Pessimistic: events.Duration(sc.Duration.Pessimistic)}
		for _, n := range sc.Needs {
			sp.Needs = append(sp.Needs, events.Capacity{ID: n.Resource, Amount: n.Amount})
		}
		l.at(at(begin), p.Lead, "step/"+sc.ID, sp)
	}
	type action struct {
		at    time.Time
		start bool
		id    string
		who   string
	}
	var acts []action
	for _, sc := range a.Steps {
		who := p.Lead
		if len(sc.Who) > 0 {
			who = sc.Who[0]
		}
		if !sc.Start.After(now) {
			acts = append(acts, action{sc.Start, true, sc.ID, who})
		}
		if !sc.End.After(now) {
			acts = append(acts, action{sc.End, false, sc.ID, who})
		}
	}
	// In time order; at the same time, as appended (a step's start
	// before its end).
	slices.SortStableFunc(acts, func(x, y action) int { return x.at.Compare(y.at) })
	for _, x := range acts {
		if x.start {
			l.started(at(x.at), x.who, x.id)
		} else {
			l.done(at(x.at), x.who, x.id)
		}
	}
	return l.status()
}

// The reference move, six hours into its window, exactly on plan: the
// forecast re-schedules the rest with the crew in their shifts and the
// trolleys, and ends no later than planned.
func TestForecastReferenceMove(t *testing.T) {
	_, a := referencePlan(t)
	now := a.Plan.Window.Start.Add(6 * time.Hour)
	s, _ := asPlanned(t, now)
	if s.Skipped != 0 {
		t.Fatalf("%d records skipped", s.Skipped)
	}
	eta, err := projections.Forecast(s, now, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	left := 0
	for _, sc := range a.Steps {
		if sc.Timing == "window" && sc.End.After(now) {
			left++
		}
	}
	if eta.Remaining != left || eta.End.Before(now) || eta.End.After(a.End) || eta.P90.Before(eta.P50) || eta.Probability != 1 {
		t.Errorf("forecast %+v; want %d steps left, the end between now and the plan's (%s)", eta, left, a.End)
	}
	loc := s.Location()
	t.Logf("%d steps left at %s: ends %s (planned %s), P50 %s, P90 %s", eta.Remaining, now.In(loc).Format("Mon 15:04"),
		eta.End.In(loc).Format("Mon 15:04"), a.End.In(loc).Format("Mon 15:04"), eta.P50.In(loc).Format("Mon 15:04"), eta.P90.In(loc).Format("Mon 15:04"))
	for _, pc := range eta.Paces {
		if pc.Factor != 1 {
			t.Errorf("on plan, phase %s runs x%v", pc.Phase, pc.Factor)
		}
	}
	var b bytes.Buffer
	projections.View{Now: now, Local: time.UTC, Forecast: eta}.Write(&b, s)
	wantLine(t, b.String(), "forecast: the move ends ", "; 100% chance to end inside the window\n")
}

// simulated returns the reference move run through the guarded commands
// by a simulated crew (drawing each duration from its range) up to six
// hours into its window.
func simulated(tb testing.TB) (*projections.Status, time.Time) {
	tb.Helper()
	p, a := referencePlan(tb)
	accept := map[string]string{}
	for _, f := range a.Findings {
		accept[f.ID] = "accepted for the benchmark"
	}
	ctx := context.Background()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	clock := runbooks.NewManualClock(p.Window.Start.Add(-21 * 24 * time.Hour))
	c := &runbooks.Cutover{Log: l, Clock: clock}
	if _, err := c.StartWith(ctx, p, runbooks.StartOptions{Run: "ref", Actor: p.Lead, Accept: accept}); err != nil {
		tb.Fatal(err)
	}
	stop := p.Window.Start.Add(6 * time.Hour)
	simCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	sim := &runbooks.Simulation{Cutover: c, Clock: clock, Seed: 3, Report: func(a runbooks.Action) {
		if a.At.After(stop) {
			cancel()
		}
	}}
	if err := sim.Run(simCtx, p, "ref"); err != nil && !errors.Is(err, context.Canceled) {
		tb.Fatal(err)
	}
	s := projections.NewStatus()
	if _, err := projections.Replay(ctx, l, "ref", s); err != nil {
		tb.Fatal(err)
	}
	return s, clock.Now()
}

// BenchmarkForecast forecasts the reference move (303 steps) six hours
// into its window, as a simulated crew ran it through the guarded
// commands, with and without the 1,000 Monte Carlo samples.
func BenchmarkForecast(b *testing.B) {
	s, now := simulated(b)
	eta, err := projections.Forecast(s, now, 1000, 1)
	if err != nil {
		b.Fatal(err)
	}
	loc := s.Location()
	b.Logf("%d steps, %d left at %s: ends %s (P50 %s, P90 %s), %.0f%% inside the window",
		len(s.Work()), eta.Remaining, now.In(loc).Format("Mon 15:04"), eta.End.In(loc).Format("Mon 15:04"),
		eta.P50.In(loc).Format("Mon 15:04"), eta.P90.In(loc).Format("Mon 15:04"), 100*eta.Probability)
	for _, samples := range []int{0, 1000} {
		b.Run(fmt.Sprintf("samples=%d", samples), func(b *testing.B) {
			for b.Loop() {
				if _, err := projections.Forecast(s, now, samples, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The forecast schedules what is left in the crew's shifts left and with
// the plan's vehicles: a step that does not fit what is left of a shift
// waits for the next one; past the last shift the forecast says it keeps
// people late.
func TestForecastSeesShiftsAndVehicles(t *testing.T) {
	crew := []events.Member{{Name: "Lea", Roles: []string{"lead"}},
		{Name: "Ana", Roles: []string{"tech"}, Shifts: []events.Shift{{Start: t0, End: t0.Add(4 * time.Hour)}, {Start: t0.Add(24 * time.Hour), End: t0.Add(32 * time.Hour)}}}}
	l := &runLog{tb: t}
	l.start(crew, planStep("a", "move", "tech", 3*time.Hour, 0), planStep("b", "move", "tech", 3*time.Hour, 3*time.Hour, "a"))
	// a from 0 to 3h; b does not fit the hour left of the first shift:
	// it waits for the second, 24h to 27h.
	wantEnd(t, forecastAt(t, l.status(), 0), 27*time.Hour)

	// Past the last shift, the forecast keeps people late and says so.
	eta := forecastAt(t, l.status(), 31*time.Hour)
	if !eta.Overtime {
		t.Errorf("at 31h, with 6h of work and 1h of shift left: overtime %v, end %s", eta.Overtime, eta.End.Sub(t0))
	}

	// Two trips need the one van: one after the other.
	v := &runLog{tb: t}
	trip := func(id string) events.StepPlanned {
		s := planStep(id, "move", "", time.Hour, 0)
		s.Needs = []events.Capacity{{ID: "van", Amount: 1}}
		return s
	}
	v.at(0, "Lea", "", events.CutoverStarted{Plan: "p", TimeZone: "Europe/Paris", WindowStart: t0, WindowEnd: t0.Add(12 * time.Hour),
		Crew: moveCrew, Lead: "Lea", Steps: 2, Capacities: []events.Capacity{{ID: "van", Amount: 1}}})
	for _, sp := range []events.StepPlanned{trip("trip-1"), trip("trip-2")} {
		v.at(0, "Lea", "step/"+sp.Step, sp)
	}
	wantEnd(t, forecastAt(t, v.status(), 0), 2*time.Hour)
}

// The trail, the commands and the page say what the events of checks,
// firewall captures and notices record, not their wire type.
func TestDescribeFactsEvents(t *testing.T) {
	for _, c := range []struct {
		ev   events.Event
		want string
	}{
		{events.CheckRan{Check: "web-dns", From: "ovh-gra", Expected: "A 203.0.113.10", Seen: "198.51.100.7"}, "check web-dns FAILED from ovh-gra: expected A 203.0.113.10, saw 198.51.100.7"},
		{events.FirewallRuleReviewed{Rule: "fw-1", PlanRule: "in-ftp", Decision: "retire", Reason: "FTP is gone"}, "firewall rule in-ftp reviewed: retire"},
		{events.NoticeAcknowledged{Stakeholder: "customers", Recipient: "it@prixmalin.example", Via: "link"}, "notice to customers acknowledged by it@prixmalin.example (via link)"},
		{events.NoticeSent{Stakeholder: "customers", Recipient: "ops@bricodeal.example", Reminder: true}, "reminder to customers sent to ops@bricodeal.example"},
	} {
		if got := projections.Describe("Karim Haddad", c.ev, func(id string) string { return id }); !strings.Contains(got, c.want) {
			t.Errorf("Describe(%T) = %q, want %q", c.ev, got, c.want)
		}
	}
}

// largeRun is a generated move of assets assets (examples.Large) at now,
// progress of the way through its schedule's window, had every step
// before gone as planned (see plannedRun).
func largeRun(tb testing.TB, assets int, progress float64) (*projections.Status, time.Time) {
	tb.Helper()
	data, err := examples.Large(assets)
	if err != nil {
		tb.Fatal(err)
	}
	p, a := analysed(tb, "large.yaml", data)
	now := p.Window.Start.Add(time.Duration(progress * float64(a.Makespan))).Truncate(time.Minute)
	return plannedRun(tb, p, a, now), now
}

// BenchmarkForecastLarge forecasts generated moves of about 1,000 and
// 10,000 steps a third of the way into their window, with 1,000 samples:
// once from scratch (what dcmove status does), and as a watch does it
// after the next event, re-using the order of work of its last forecast.
func BenchmarkForecastLarge(b *testing.B) {
	for _, assets := range []int{140, 1400} {
		s, now := largeRun(b, assets, 1.0/3)
		eta, err := projections.Forecast(s, now, 1000, 1)
		if err != nil {
			b.Fatal(err)
		}
		loc := s.Location()
		b.Logf("%d steps, %d left at %s: ends %s (P50 %s, P90 %s), %.0f%% inside the window", len(s.Work()), eta.Remaining,
			now.In(loc).Format("Mon 2 15:04"), eta.End.In(loc).Format("Mon 2 15:04"), eta.P50.In(loc).Format("Mon 2 15:04"), eta.P90.In(loc).Format("Mon 2 15:04"), 100*eta.Probability)
		name := fmt.Sprintf("steps=%d", len(s.Work()))
		b.Run(name+"/from-scratch", func(b *testing.B) {
			for b.Loop() {
				if _, err := projections.Forecast(s, now, 1000, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/watching", func(b *testing.B) {
			f := &projections.Forecaster{Samples: 1000, Seed: 1}
			if _, err := f.Forecast(s, now); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := f.Forecast(s, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A phase measured on five steps or more is forecast from what they
// showed: the samples draw the ratios measured, not the pace times the
// plan's skewed range (which counted the overrun twice). Six steps took
// twice their likely hour (one three times): the step left, alone, ends
// at twice its hour at the median, with the spread shown.
func TestForecastDrawsFromTheEvidence(t *testing.T) {
	l := &runLog{tb: t}
	var steps []events.StepPlanned
	for i := range 6 {
		steps = append(steps, planStep(fmt.Sprint("m", i), "move", "lead", time.Hour, time.Duration(i)*time.Hour))
	}
	steps = append(steps, planStep("last", "move", "tech", time.Hour, 6*time.Hour))
	l.start(moveCrew, steps...)
	at := time.Duration(0)
	for i := range 6 {
		took := 2 * time.Hour
		if i == 5 {
			took = 3 * time.Hour
		}
		id := fmt.Sprint("m", i)
		l.started(at, "Lea", id)
		at += took
		l.done(at, "Lea", id)
	}
	s := l.status()
	eta := forecastAt(t, s, at)
	wantEnd(t, eta, at+2*time.Hour)
	if got := eta.P50.Sub(t0); got != at+2*time.Hour {
		t.Errorf("median end at t0+%s, want t0+%s: the samples should draw the ratios measured", got, at+2*time.Hour)
	}
	if got := eta.P90.Sub(t0); got != at+3*time.Hour {
		t.Errorf("P90 end at t0+%s, want t0+%s (the step that took three times its hour)", got, at+3*time.Hour)
	}
	if pc := eta.Paces[0]; pc.Factor != 2 || pc.Low != 2 || pc.High != 3 || pc.Finished != 6 {
		t.Errorf("pace %+v, want x2 (x2–x3 over 6 steps)", pc)
	}
	var b bytes.Buffer
	projections.View{Now: t0.Add(at), Local: time.UTC, Forecast: eta}.Write(&b, s)
	wantLine(t, b.String(), "phase move running x2.0 (x2.0–x3.0 over 6 steps)")
}
