package runbooks_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

// The guards are pure decisions on the run's model: these tests fold events
// into a model and ask it, with no log and no server. The end-to-end tests
// (cutover_test.go, lifecycle_test.go, backout_test.go, the reference run)
// check the same commands through a real embedded server.

// model is a run folded in memory: decisions are applied as if appended.
type model struct {
	t   *testing.T
	r   *runbooks.Run
	now time.Time
}

// newModel records plan (YAML) as run id at now, as cutover start does,
// accepting the warnings in accept (every warning if nil).
func newModel(t *testing.T, id, plan string, now time.Time, accept map[string]string) *model {
	t.Helper()
	p, err := planner.Parse(id+".yaml", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	if accept == nil {
		accept = acceptAll(t, p)
	}
	rec, err := runbooks.NewRecording(p, runbooks.StartOptions{Run: id, Actor: p.Lead, Accept: accept})
	if err != nil {
		t.Fatal(err)
	}
	m := &model{t: t, r: runbooks.NewRun(id), now: now}
	m.do(func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) { return r.Record(now, rec) })
	return m
}

// do decides d on the model and applies what it decided; it returns the
// events, or the refusal (and then the model is unchanged).
func (m *model) do(d runbooks.Decision) ([]events.Envelope, error) {
	m.t.Helper()
	evs, err := d(m.r, m.now)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		m.r.Apply(events.Record{Envelope: e, Seq: m.r.LastSeq + 1})
	}
	return evs, nil
}

// doAll decides ds in turn, stopping at the first refusal, and returns the
// events of the last.
func (m *model) doAll(ds []runbooks.Decision) ([]events.Envelope, error) {
	m.t.Helper()
	var evs []events.Envelope
	var err error
	for _, d := range ds {
		if evs, err = m.do(d); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// must decides d and fails the test on a refusal.
func (m *model) must(d runbooks.Decision) []events.Envelope {
	m.t.Helper()
	evs, err := m.do(d)
	if err != nil {
		m.t.Fatal(err)
	}
	return evs
}

// work starts and finishes a step an hour later.
func (m *model) work(id, who string) {
	m.t.Helper()
	m.must(start(who, id))
	m.now = m.now.Add(time.Hour)
	m.must(complete(who, id))
}

func start(who, id string) runbooks.Decision {
	return func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) { return r.StartStep(now, who, id) }
}

func complete(who, id string) runbooks.Decision {
	return func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) { return r.CompleteStep(now, who, id) }
}

func skip(who, id, why string) runbooks.Decision {
	return func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) { return r.SkipStep(now, who, id, why) }
}

func sign(who, id string, d events.Decision, why string) runbooks.Decision {
	return func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
		return r.SignGate(now, who, id, d, why)
	}
}

func kindsOf(evs []events.Envelope) string {
	var out []string
	for _, e := range evs {
		out = append(out, strings.TrimPrefix(e.Type, "dcmove."))
	}
	return strings.Join(out, " ")
}

func TestGuards(t *testing.T) {
	tests := []struct {
		name    string
		run     string      // the run the command names; "r" if empty
		prepare [][2]string // steps to start and finish first, with the actor
		cmd     runbooks.Decision
		wantErr error
		want    string // in the refusal
	}{
		{name: "start with dependencies pending", cmd: start("Julien", "move"),
			wantErr: runbooks.ErrRefused, want: "waits for capture (not started), shutdown (not started)"},
		{name: "start with one dependency done", prepare: [][2]string{{"capture", "Karim"}}, cmd: start("Julien", "move"),
			wantErr: runbooks.ErrRefused, want: "waits for shutdown (not started)"},
		{name: "start with dependencies done", prepare: [][2]string{{"capture", "Karim"}, {"shutdown", "Julien"}}, cmd: start("Julien", "move")},
		{name: "actor lacks the role", cmd: start("Julien", "capture"),
			wantErr: runbooks.ErrRefused, want: "needs the network role, and Julien has tech; ask Karim"},
		{name: "actor not in crew", cmd: start("Mallory", "capture"),
			wantErr: runbooks.ErrRefused, want: `"Mallory" is not in the crew; the crew is Claire, Karim, Julien`},
		{name: "no actor", cmd: start(" ", "capture"), wantErr: runbooks.ErrRefused, want: "give --as NAME"},
		{name: "actor name in another case", cmd: start("KARIM", "capture")},
		{name: "unknown step", cmd: start("Karim", "captur"), wantErr: runbooks.ErrRefused, want: `did you mean "capture"?`},
		{name: "unknown run", run: "nope", cmd: start("Karim", "capture"), wantErr: events.ErrNoRun, want: "run nope has not been started"},
		{name: "start twice", prepare: [][2]string{{"capture", "Karim"}}, cmd: start("Karim", "capture"),
			wantErr: runbooks.ErrRefused, want: "already done"},
		{name: "finish a step not started", cmd: complete("Karim", "capture"),
			wantErr: runbooks.ErrRefused, want: "only a started step can be finished (dcmove step start capture)"},
		{name: "step without role open to any crew member", prepare: [][2]string{{"capture", "Karim"}, {"shutdown", "Julien"}, {"move", "Julien"}},
			cmd: start("Claire", "validate")},
		{name: "skip by someone who is not the lead", cmd: skip("Karim", "capture", "not needed"),
			wantErr: runbooks.ErrRefused, want: "only the lead (Claire) may skip a step"},
		{name: "skip without a reason", cmd: skip("Claire", "capture", " "), wantErr: runbooks.ErrRefused, want: "say why with --reason"},
		{name: "skip by the lead", cmd: skip("Claire", "capture", "rules captured last week")},
		{name: "skip a done step", prepare: [][2]string{{"capture", "Karim"}}, cmd: skip("Claire", "capture", "late"),
			wantErr: runbooks.ErrRefused, want: "only a step not started, or failed, can be skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, "r", smallPlan, t0, nil)
			for _, p := range tt.prepare {
				m.work(p[0], p[1])
			}
			if tt.run != "" {
				m.r = runbooks.NewRun(tt.run)
			}
			before := m.r.LastSeq
			evs, err := m.do(tt.cmd)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("refusal %q does not say %q", err, tt.want)
				}
				if m.r.LastSeq != before {
					t.Errorf("a refused command changed the run (seq %d -> %d)", before, m.r.LastSeq)
				}
				return
			}
			if len(evs) != 1 || m.r.LastSeq != before+1 {
				t.Errorf("allowed command decided %d events (seq %d -> %d)", len(evs), before, m.r.LastSeq)
			}
		})
	}
}

// A gate is done when every role of the crew signed go; one no-go fails it
// and backs the move out in the same decision.
func TestGateDecisions(t *testing.T) {
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC) // 07:00 in Paris: the window opens
	tests := []struct {
		name  string
		signs []runbooks.Decision
		want  string // the types of the last decision's events
		state runbooks.State
		err   string // the last decision's refusal
	}{
		{name: "one role of three", signs: []runbooks.Decision{sign("Claire", "go", events.DecisionGo, "")},
			want: "step.started gate.signed", state: runbooks.Started},
		{name: "every role", signs: []runbooks.Decision{
			sign("Claire", "go", events.DecisionGo, ""), sign("Karim", "go", events.DecisionGo, ""), sign("Julien", "go", events.DecisionGo, "")},
			want: "gate.signed gate.signed step.completed", state: runbooks.Done},
		{name: "no-go backs out", signs: []runbooks.Decision{sign("Karim", "go", events.DecisionNoGo, "switch is dead")},
			want: "step.started gate.signed step.failed backout.started", state: runbooks.Failed},
		{name: "no-go needs a reason", signs: []runbooks.Decision{sign("Karim", "go", events.DecisionNoGo, "")},
			err: "say why with --reason"},
		{name: "signing twice", signs: []runbooks.Decision{sign("Karim", "go", events.DecisionGo, ""), sign("Karim", "go", events.DecisionGo, "")},
			err: "Karim has no role left to sign on gate go"},
		{name: "not a gate", signs: []runbooks.Decision{sign("Julien", "shutdown", events.DecisionGo, "")},
			err: "step shutdown is not a go/no-go gate"},
		{name: "a decision that is neither", signs: []runbooks.Decision{sign("Claire", "go", "maybe", "")},
			err: `--decision "maybe": write go or no-go`},
		{name: "finished as a step", signs: []runbooks.Decision{sign("Claire", "go", events.DecisionGo, ""), complete("Claire", "go")},
			err: "is a go/no-go gate: it is done when every role signed go"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, "g", gatePlan, at, nil)
			m.work("prep", "Karim")
			evs, err := m.doAll(tt.signs)
			if tt.err != "" {
				refused(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := kindsOf(evs); got != tt.want {
				t.Errorf("decided %s, want %s", got, tt.want)
			}
			if st, _ := m.r.Step("go"); st.Recorded() != tt.state {
				t.Errorf("gate is %s, want %s", st.Recorded(), tt.state)
			}
			if tt.state == runbooks.Failed && (!m.r.BackingOut || m.r.Find("shutdown").Recorded() != runbooks.Cancelled) {
				t.Errorf("after a no-go: backing out %v, shutdown %s; want backing out and shutdown cancelled", m.r.BackingOut, m.r.Find("shutdown").Recorded())
			}
		})
	}
}

// Degraded mode, the window, and a back-out, decided on the model.
func TestRunDecisions(t *testing.T) {
	before := time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC) // 06:00 in Paris
	tests := []struct {
		name string
		at   time.Time
		do   []runbooks.Decision
		err  string
		want func(r *runbooks.Run) string // "" when the run is as it should be
	}{
		{name: "a move step waits for the window", at: before, do: []runbooks.Decision{start("Karim", "prep"), complete("Karim", "prep"),
			sign("Claire", "go", events.DecisionGo, "")}, err: "the window opens Sat 5 Dec 07:00"},
		{name: "degraded mode by the app role", at: t0, do: []runbooks.Decision{
			func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
				return r.EnterDegraded(now, "Julien", "moving the db")
			}},
			want: func(r *runbooks.Run) string {
				if !r.Degraded || strings.Join(r.Down, ",") != "web" {
					return "want degraded mode with web down on purpose (db is vital)"
				}
				return ""
			}},
		{name: "degraded mode by someone else", at: t0, do: []runbooks.Decision{
			func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
				return r.EnterDegraded(now, "Karim", "moving")
			}},
			err: "Karim cannot switch degraded mode: the lead or someone with the app role does"},
		{name: "leaving degraded mode that is off", at: t0, do: []runbooks.Decision{
			func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
				return r.LeaveDegraded(now, "Claire", "done")
			}},
			err: "degraded mode is not on"},
		{name: "back-out by someone else", at: t0, do: []runbooks.Decision{
			func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
				return r.StartBackout(now, "Karim", "fire")
			}},
			err: "only the lead (Claire) may start a back-out"},
		{name: "back-out by the lead cancels what did not start", at: t0, do: []runbooks.Decision{start("Karim", "prep"),
			func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
				return r.StartBackout(now, "Claire", "fire")
			}},
			want: func(r *runbooks.Run) string {
				if !r.BackingOut || r.Find("move").Recorded() != runbooks.Cancelled || r.Find("prep").Recorded() != runbooks.Started {
					return "want backing out, move cancelled, prep still started"
				}
				return ""
			}},
		{name: "nothing forward starts once backing out", at: t0, do: []runbooks.Decision{
			func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
				return r.StartBackout(now, "Claire", "fire")
			},
			start("Karim", "prep")},
			err: "was cancelled when the move backed out (fire)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, "g", gatePlan, tt.at, nil)
			_, err := m.doAll(tt.do)
			if tt.err != "" {
				refused(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg := tt.want(m.r); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// A decision touches nothing: deciding twice on the same model gives the
// same events but for their ids, and the model is unchanged until they are
// applied.
func TestDecisionsArePure(t *testing.T) {
	m := newModel(t, "r", smallPlan, t0, nil)
	snap, err := m.r.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	a, errA := m.r.StartStep(t0, "Karim", "capture")
	b, errB := m.r.StartStep(t0, "Karim", "capture")
	if errA != nil || errB != nil || len(a) != 1 || len(b) != 1 || a[0].Type != b[0].Type || string(a[0].Data) != string(b[0].Data) {
		t.Fatalf("two decisions differ: %v %v / %v %v", a, errA, b, errB)
	}
	after, err := m.r.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if string(snap) != string(after) {
		t.Fatal("deciding changed the model")
	}
}

// decommissionPlan keeps the source for a day after validation, then
// confirms the backup and decommissions, every step written by hand.
const decommissionPlan = `
plan: wipe
lead: Claire
grace_period: 1d
window: {start: 2026-12-05 07:00, end: 2026-12-08 19:00, timezone: Europe/Paris}
crew:
  - {name: Claire, roles: [lead]}
  - {name: Julien, roles: [tech, app]}
assets:
  - {id: old-nas, kind: server, title: Old NAS, decommission: true}
steps:
  - {id: check, title: Validate, duration: 30m, role: tech, kind: validate}
  - {id: keep, title: Keep the old NAS, duration: 1d, kind: grace, after: [check], phase: after}
  - {id: confirm, title: Confirm the backup restores, duration: 30m, role: app, kind: confirm-backup, after: [keep], phase: after}
  - {id: wipe-old-range, title: Wipe the old NAS, duration: 1h, role: lead, kind: decommission, asset: old-nas, after: [confirm], phase: after}
`

// The grace period is a fact: nobody fails, skips or completes it, it ends
// by its time alone; and a decommission waits for it and for every backup
// confirmation done, a skipped one not counting (the bypass of issue 10:
// fail the grace period, skip it, skip the confirmations, sign).
func TestGraceAndDecommissionAreFacts(t *testing.T) {
	m := newModel(t, "w", decommissionPlan, t0, nil)
	m.work("check", "Julien")
	m.must(start("Claire", "keep"))
	for _, d := range []struct {
		name string
		do   runbooks.Decision
		want string
	}{
		{"complete", complete("Claire", "keep"), "nothing at the source may be destroyed before"},
		{"fail", func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
			return r.FailStep(now, "Claire", "keep", "impatient")
		},
			"is a timer (grace): it ends by itself and cannot fail"},
		{"skip", skip("Claire", "keep", "impatient"), "is a timer (grace): it cannot be skipped"},
	} {
		if _, err := m.do(d.do); !errors.Is(err, runbooks.ErrRefused) || !strings.Contains(err.Error(), d.want) {
			t.Errorf("%s the grace period: err = %v, want a refusal saying %q", d.name, err, d.want)
		}
	}
	// Only its time ends it: the first command after records it.
	if evs, err := m.r.DueTimers(m.now.Add(23 * time.Hour)); err != nil || len(evs) != 0 {
		t.Fatalf("before its end: due %v (%v), want nothing", evs, err)
	}
	m.now = m.now.Add(25 * time.Hour)
	m.must(func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) { return r.DueTimers(now) })
	if st := m.r.Find("keep"); st.Recorded() != runbooks.Done || st.DoneBy != "dcmove" {
		t.Fatalf("grace period %s by %q after its time, want done by dcmove", st.Recorded(), st.DoneBy)
	}
	// A skipped confirmation does not count.
	m.must(skip("Claire", "confirm", "the backup is fine, trust me"))
	_, err := m.do(sign("Claire", "wipe-old-range", events.DecisionGo, ""))
	if !errors.Is(err, runbooks.ErrRefused) || !strings.Contains(err.Error(), "a skipped one does not count): confirm (skipped)") {
		t.Fatalf("decommission after a skipped confirmation: err = %v", err)
	}
}

// A completion of the grace period recorded before its end (forged, or
// from a wrong clock) does not end it.
func TestGraceCompletedEarlyIsIgnored(t *testing.T) {
	m := newModel(t, "w", decommissionPlan, t0, nil)
	m.work("check", "Julien")
	m.must(start("Claire", "keep"))
	e, err := events.New(m.now.Add(time.Hour), events.Origin{Run: "w", Plan: "wipe", Actor: "dcmove"}, "step/keep", events.StepCompleted{Step: "keep"})
	if err != nil {
		t.Fatal(err)
	}
	skipped := m.r.Skipped
	m.r.Apply(events.Record{Envelope: e, Seq: m.r.LastSeq + 1})
	if st := m.r.Find("keep"); st.Recorded() != runbooks.Started || m.r.Skipped != skipped+1 {
		t.Fatalf("an early completion: grace period %s, skipped %d; want still started and the record skipped", st.Recorded(), m.r.Skipped-skipped)
	}
}

// A grace period's end dated after its end but stored by the log before it
// (a writer choosing the time) is ignored on a run with the machine's clock.
func TestGraceEndStoredEarlyIsIgnored(t *testing.T) {
	m := newModel(t, "w", decommissionPlan, t0, nil)
	m.work("check", "Julien")
	m.must(start("Claire", "keep"))
	due := m.now.Add(24 * time.Hour)
	e, err := events.New(due.Add(time.Hour), events.Origin{Run: "w", Plan: "wipe", Actor: "dcmove"}, "step/keep", events.StepCompleted{Step: "keep"})
	if err != nil {
		t.Fatal(err)
	}
	m.r.Apply(events.Record{Envelope: e, Seq: m.r.LastSeq + 1, Stored: m.now.Add(time.Minute)})
	if st := m.r.Find("keep"); st.Recorded() != runbooks.Started {
		t.Fatalf("an end stored a day early: grace period %s, want still started", st.Recorded())
	}
	m.r.Apply(events.Record{Envelope: e, Seq: m.r.LastSeq + 1, Stored: due.Add(time.Hour)})
	if st := m.r.Find("keep"); st.Recorded() != runbooks.Done {
		t.Fatalf("an end stored after the end: grace period %s, want done", st.Recorded())
	}
}
