package runbooks_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nkeys"
)

const signedPlan = `
plan: signed
lead: Claire
window: {start: 2026-12-05 07:00, end: 2026-12-05 19:00, timezone: Europe/Paris}
crew:
  - {name: Claire, roles: [lead], key: CLAIRE}
  - {name: Karim, roles: [network], key: KARIM}
steps:
  - {id: prep, title: Prepare, duration: 1h, role: network}
  - {id: go, title: Go/no-go, duration: 15m, role: lead, gate: true, after: [prep]}
  - {id: move, title: Move, duration: 2h, role: network, after: [go]}
`

// signedCrew is a run of the signed plan on a fresh embedded log, with one
// Cutover per person, each holding their key.
type signedCrew struct {
	log                 events.Log
	clock               *runbooks.ManualClock
	claire, karim, anon *runbooks.Cutover
	claireKey, karimKey nkeys.KeyPair
}

func newUserKey(t *testing.T) (nkeys.KeyPair, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return kp, pub
}

func startSigned(t *testing.T) *signedCrew {
	t.Helper()
	ctx := context.Background()
	ck, cpub := newUserKey(t)
	kk, kpub := newUserKey(t)
	p, err := planner.Parse("signed.yaml", []byte(strings.NewReplacer("CLAIRE", cpub, "KARIM", kpub).Replace(signedPlan)))
	if err != nil {
		t.Fatal(err)
	}
	l := openLog(t)
	clk := runbooks.NewManualClock(time.Date(2026, 12, 5, 8, 0, 0, 0, paris))
	s := &signedCrew{
		log: l, clock: clk, claireKey: ck, karimKey: kk,
		claire: &runbooks.Cutover{Log: l, Clock: clk, Key: ck},
		karim:  &runbooks.Cutover{Log: l, Clock: clk, Key: kk},
		anon:   &runbooks.Cutover{Log: l, Clock: clk},
	}
	// Without a key, the start of a run that requires them is refused.
	_, err = s.anon.StartWith(ctx, p, runbooks.StartOptions{Run: "s", Actor: "Claire"})
	refused(t, err, "requires signed actions: give --key FILE")
	// Karim's key cannot start it as Claire.
	_, err = s.karim.StartActor(p, "s", "Claire")
	refused(t, err, "the key given is Karim's")
	_, err = s.karim.StartWith(ctx, p, runbooks.StartOptions{Run: "s", Actor: "Claire"})
	refused(t, err, "the key given is Karim's")
	// With her key, --as may be left out.
	actor, err := s.claire.StartActor(p, "s", "")
	if err != nil || actor != "Claire" {
		t.Fatalf("StartActor = %q, %v; want Claire", actor, err)
	}
	must(t)(s.claire.StartWith(ctx, p, runbooks.StartOptions{Run: "s", Actor: actor}))
	return s
}

func TestSignedRunRefusesWithoutTheRightKey(t *testing.T) {
	ctx := context.Background()
	s := startSigned(t)
	_, err := s.anon.StartStep(ctx, "s", "prep", "Karim")
	refused(t, err, "run s requires signed actions: give --key FILE")
	refused(t, err, "dcmove keys new")
	_, err = s.claire.StartStep(ctx, "s", "prep", "Karim")
	refused(t, err, "--as Karim: the key given is Claire's")
	_, err = s.claire.Actor(ctx, "s", "Karim")
	refused(t, err, "--as Karim: the key given is Claire's")
	stranger, _ := newUserKey(t)
	_, err = (&runbooks.Cutover{Log: s.log, Clock: s.clock, Key: stranger}).StartStep(ctx, "s", "prep", "Karim")
	refused(t, err, "is not the key of anyone in the crew of run s")
	actor, err := s.karim.Actor(ctx, "s", "")
	if err != nil || actor != "Karim" {
		t.Fatalf("Actor = %q, %v; want Karim", actor, err)
	}
	must(t)(s.karim.StartStep(ctx, "s", "prep", actor))
	// Nothing refused was appended: 5 events of the start, one step start.
	r, err := s.anon.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if r.LastSeq != 5 || r.Unsigned != 0 || !r.Signed {
		t.Fatalf("run at seq %d, %d unsigned, signed %v; want 5, 0, true", r.LastSeq, r.Unsigned, r.Signed)
	}
	rep, err := events.Verify(ctx, s.log, "s")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || !rep.Signed || len(rep.Unsigned) != 0 {
		t.Fatalf("verify of a signed run: %+v", rep)
	}
}

// forgeGate appends, as a forger with the stream's credentials would, a go
// on the gate for Claire chained to the run's last record; sign signs it
// (or not).
func forgeGate(t *testing.T, s *signedCrew, sign func(*events.Envelope)) events.Envelope {
	t.Helper()
	ctx := context.Background()
	r, err := s.anon.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.New(s.clock.Now(), events.Origin{Run: "s", Plan: r.Plan, Actor: "Claire"}, "step/go",
		events.GateSigned{Gate: "go", Role: "lead", Decision: string(events.DecisionGo)})
	if err != nil {
		t.Fatal(err)
	}
	evs := []events.Envelope{e}
	r.Head().Chain(evs)
	sign(&evs[0])
	if _, err := s.log.Append(ctx, "s", r.LastSeq, evs...); err != nil {
		t.Fatal(err)
	}
	return evs[0]
}

func TestForgedGateSignatureIsIgnored(t *testing.T) {
	for _, tc := range []struct {
		name string
		sign func(s *signedCrew) func(*events.Envelope)
		want error
	}{
		{"signed with Karim's key", func(s *signedCrew) func(*events.Envelope) {
			return func(e *events.Envelope) { events.Sign(e, s.karimKey) }
		}, events.ErrWrongSigner},
		{"unsigned", func(*signedCrew) func(*events.Envelope) { return func(*events.Envelope) {} }, events.ErrUnsigned},
		{"altered after Claire signed", func(s *signedCrew) func(*events.Envelope) {
			return func(e *events.Envelope) {
				events.Sign(e, s.claireKey)
				e.Data = []byte(strings.Replace(string(e.Data), `"lead"`, `"network"`, 1))
			}
		}, events.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := startSigned(t)
			must(t)(s.karim.StartStep(ctx, "s", "prep", "Karim"))
			s.clock.Advance(time.Hour)
			must(t)(s.karim.CompleteStep(ctx, "s", "prep", "Karim"))
			must(t)(s.karim.SignGate(ctx, "s", "go", "Karim", "go", ""))
			forged := forgeGate(t, s, tc.sign(s))

			rep, err := events.Verify(ctx, s.log, "s")
			if err != nil {
				t.Fatal(err)
			}
			if rep.Break != nil {
				t.Fatalf("the forger chained the event, yet the chain breaks: %v", rep.Break)
			}
			if len(rep.Unsigned) != 1 || rep.Unsigned[0].Event.ID != forged.ID || !errors.Is(rep.Unsigned[0].Err, tc.want) {
				t.Fatalf("verify found %v, want the forged gate.signed (%v)", rep.Unsigned, tc.want)
			}
			if !errors.Is(rep.Err(), events.ErrTampered) || !strings.Contains(rep.Err().Error(), "dcmove.gate.signed, step/go) by Claire") {
				t.Fatalf("verify error: %v", rep.Err())
			}
			t.Log(rep.Err())

			// The audit trail shows it, never as Claire's signature.
			trail := projections.NewTrail()
			if _, err := projections.Replay(ctx, s.log, "s", trail); err != nil {
				t.Fatal(err)
			}
			var shown []string
			for _, e := range trail.Entries {
				if e.Record.ID == forged.ID {
					shown = append(shown, e.Skipped)
				}
			}
			if len(shown) != 1 || !strings.HasPrefix(shown[0], "ignored: ") {
				t.Fatalf("the trail shows the forged event as %q", shown)
			}
			t.Log(shown[0])

			// The fold ignores it: the gate still waits for the lead.
			for _, c := range []*runbooks.Cutover{s.karim, {Log: s.log, Clock: s.clock, Key: s.karimKey}} {
				r, err := c.Load(ctx, "s")
				if err != nil {
					t.Fatal(err)
				}
				if r.Unsigned != 1 || r.Skipped < 1 {
					t.Fatalf("the fold counted %d unsigned, %d skipped; want 1", r.Unsigned, r.Skipped)
				}
				if d := r.Find("go").Signed["lead"]; d != "" {
					t.Fatalf("the forged signature counts: lead %q", d)
				}
				if _, err := c.StartStep(ctx, "s", "move", "Karim"); !errors.Is(err, runbooks.ErrRefused) {
					t.Fatalf("move started past a gate the lead did not sign: %v", err)
				}
			}
			// Claire's own go passes the gate.
			must(t)(s.claire.SignGate(ctx, "s", "go", "Claire", "go", ""))
			must(t)(s.karim.StartStep(ctx, "s", "move", "Karim"))
		})
	}
}

// A timer is signed when it is scheduled, by whoever started it: the end
// of a cool-down the server fires counts on a run that requires keys.
func TestSignedTimerFromTheServer(t *testing.T) {
	ctx := context.Background()
	ck, cpub := newUserKey(t)
	jk, jpub := newUserKey(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tiny.yaml"), []byte(moveTemplate), 0o644)
	plan := strings.NewReplacer(
		"COOL", "2s",
		"{name: Claire, roles: [lead]}", "{name: Claire, roles: [lead], key: "+cpub+"}",
		"{name: Julien, roles: [tech]}", "{name: Julien, roles: [tech], key: "+jpub+"}",
	).Replace(movePlan)
	path := filepath.Join(dir, "plan.yaml")
	os.WriteFile(path, []byte(plan), 0o644)
	p, err := planner.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !p.RequiresKeys() {
		t.Fatal("the plan lists no keys")
	}
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	manual := runbooks.NewManualClock(time.Date(2026, 12, 5, 7, 0, 0, 0, paris))
	claire := &runbooks.Cutover{Log: l, Clock: manual, Key: ck}
	julien := &runbooks.Cutover{Log: l, Clock: manual, Key: jk}
	must(t)(claire.StartWith(ctx, p, runbooks.StartOptions{Run: "m", Actor: "Claire", Accept: acceptAll(t, p)}))
	must(t)(claire.SignGate(ctx, "m", "go", "Claire", "go", ""))
	must(t)(julien.SignGate(ctx, "m", "go", "Julien", "go", ""))
	must(t)(julien.StartStep(ctx, "m", "shutdown-web-1", "Julien"))
	// Julien finishes the shutdown with the machine's clock: the timer is
	// set, signed with his key.
	real := &runbooks.Cutover{Log: l, Clock: runbooks.SystemClock{}, Timers: true, Key: jk}
	must(t)(real.CompleteStep(ctx, "m", "shutdown-web-1", "Julien"))
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	for rec, err := range l.Follow(wctx, "m", 0) {
		if err != nil {
			t.Fatalf("no cool-down elapsed event within 15 s: %v", err)
		}
		if rec.Type == events.TypeCooldownElapsed && rec.Actor == "dcmove" {
			if rec.Signer != jpub || rec.VerifySignature() != nil {
				t.Fatalf("the fired timer is signed by %q: %v", rec.Signer, rec.VerifySignature())
			}
			break
		}
	}
	r, err := real.Load(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if r.Unsigned != 0 || !strings.Contains(strings.Join(r.Ready(), ","), "unrack-web-1") {
		t.Fatalf("after the server's signed timer: %d unsigned, ready %v", r.Unsigned, r.Ready())
	}
	rep, err := events.Verify(ctx, l, "m")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || !rep.Signed {
		t.Fatalf("verify: %v", rep.Err())
	}
}

// forgeAs appends, as a member with the stream's credentials and their own
// key would, an event chained to the run's last record and signed with key.
func forgeAs(t *testing.T, s *signedCrew, actor, subject string, key nkeys.KeyPair, ev events.Event) {
	t.Helper()
	ctx := context.Background()
	r, err := s.anon.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	e, err := events.New(s.clock.Now(), events.Origin{Run: "s", Plan: r.Plan, Actor: actor}, subject, ev)
	if err != nil {
		t.Fatal(err)
	}
	evs := []events.Envelope{e}
	r.Head().Chain(evs)
	if err := events.Sign(&evs[0], key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.log.Append(ctx, "s", r.LastSeq, evs...); err != nil {
		t.Fatal(err)
	}
}

// A member signing with their own key can still only do what the guards
// let them: a gate signed for a role they do not have, a skip by someone
// who is not the lead, the tool's own events, and a second start of the
// run that would replace its crew are ignored and counted.
func TestSignedByTheActorButNotAllowed(t *testing.T) {
	ctx := context.Background()
	s := startSigned(t)
	must(t)(s.karim.StartStep(ctx, "s", "prep", "Karim"))
	s.clock.Advance(time.Hour)
	must(t)(s.karim.CompleteStep(ctx, "s", "prep", "Karim"))
	before, err := s.anon.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	start := func() events.CutoverStarted {
		for rec, err := range s.log.Read(ctx, "s", 0) {
			if err != nil {
				t.Fatal(err)
			}
			ev, err := rec.Decode()
			if err != nil {
				t.Fatal(err)
			}
			return ev.(events.CutoverStarted)
		}
		t.Fatal("no start")
		return events.CutoverStarted{}
	}()
	start.Crew = []events.Member{{Name: "Claire", Roles: []string{"lead"}}, {Name: "Karim", Roles: []string{"network", "lead"}}}
	for _, f := range []struct {
		actor, subject string
		ev             events.Event
	}{
		{"Karim", "step/go", events.GateSigned{Gate: "go", Role: "lead", Decision: string(events.DecisionGo)}},
		{"Karim", "step/move", events.StepSkipped{Step: "move", Reason: "not needed"}},
		{"dcmove", "step/move", events.StepCompleted{Step: "move"}},
		{"Karim", "", start},
	} {
		forgeAs(t, s, f.actor, f.subject, s.karimKey, f.ev)
	}
	r, err := s.anon.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if r.Forbidden+r.Skipped-before.Skipped < 4 || r.LastSeq != before.LastSeq+4 {
		t.Fatalf("forbidden %d, skipped %d more, seq %d -> %d: want the 4 forged events ignored", r.Forbidden, r.Skipped-before.Skipped, before.LastSeq, r.LastSeq)
	}
	if g := r.Find("go"); g.Signed["lead"] != "" || g.Recorded() != runbooks.Pending {
		t.Fatalf("gate %s, lead %q: the forged go counts", g.Recorded(), g.Signed["lead"])
	}
	if m := r.Find("move"); m.Recorded() != runbooks.Pending || !r.Signed || len(r.Crew[1].Roles) != 1 {
		t.Fatalf("move %s, signed %v, Karim's roles %v: a forged event changed the run", m.Recorded(), r.Signed, r.Crew[1].Roles)
	}
	// Claire's real go still counts, and Karim signs for his own role.
	must(t)(s.claire.SignGate(ctx, "s", "go", "Claire", "go", ""))
	out := must(t)(s.karim.SignGate(ctx, "s", "go", "Karim", "go", ""))
	if g := out.Run.Find("go"); g.Recorded() != runbooks.Done {
		t.Fatalf("after both real signatures the gate is %s", g.Recorded())
	}
}

// The lead's override finishes only a step done by facts: on a signed
// run, an override the lead signs on a gate (to pass it without the
// others' go) is ignored by every reader.
func TestForgedOverrideOfAGateIsIgnored(t *testing.T) {
	ctx := context.Background()
	s := startSigned(t)
	must(t)(s.karim.StartStep(ctx, "s", "prep", "Karim"))
	s.clock.Advance(time.Hour)
	must(t)(s.karim.CompleteStep(ctx, "s", "prep", "Karim"))
	must(t)(s.claire.SignGate(ctx, "s", "go", "Claire", "go", ""))
	_, err := s.claire.OverrideStep(ctx, "s", "go", "Claire", "Karim is late")
	refused(t, err, "is not done by facts")
	forgeAs(t, s, "Claire", "step/go", s.claireKey, events.StepCompleted{Step: "go", Override: "Karim is late"})
	r, err := s.anon.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if g := r.Find("go"); g.Recorded() == runbooks.Done || r.Forbidden == 0 {
		t.Fatalf("gate %s, forbidden %d: a forged override passed the gate", g.Recorded(), r.Forbidden)
	}
}
