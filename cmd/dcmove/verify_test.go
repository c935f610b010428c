package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

// auditVerify runs `dcmove audit verify args` through an app that holds
// only that command.
func auditVerify(t *testing.T, clock runbooks.Clock, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, Clock: clock}
	app := &cli.App{
		Name: "dcmove", Writer: &out, ErrWriter: &errOut,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands:       []*cli.Command{{Name: "audit", Subcommands: []*cli.Command{m.auditVerifyCommand()}}},
	}
	err := app.RunContext(t.Context(), append([]string{"dcmove", "audit", "verify"}, args...))
	return out.String(), err
}

func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	run := func(args ...string) string { return mustRun(t, clock, append(args, "--data-dir", dir)...) }
	run("cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	clock.Set(paris(t, 5, "07:00"))
	run("step", "start", "capture-fw-rules", "--as", "Karim Haddad")
	run("step", "start", "capture-switch-config", "--as", "Sophie Bernard")

	out, err := auditVerify(t, clock, "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^ok: 33 events, chain intact from seq 1 \(2026-12-05T05:30:00Z, dcmove\.cutover\.started\) ` +
		`to seq 33 \(2026-12-05T06:00:00Z, dcmove\.step\.started, step/capture-switch-config\)\n` +
		`head: seq 33 sha256 [0-9a-f]{64}\n` +
		`keep the head line elsewhere \(the change ticket\).*--head 33:[0-9a-f]{64}\n$`)
	if !want.MatchString(out) {
		t.Errorf("audit verify printed:\n%s", out)
	}
	t.Log(out)
	if _, err := auditVerify(t, clock, "--data-dir", dir, "--run", "nope"); err == nil || !regexp.MustCompile(`run nope has no events`).MatchString(err.Error()) {
		t.Errorf("verify of a run with no events: %v", err)
	}

	// Someone with access to the stream adds a completion no one did.
	forge(t, dir, "pa2-to-pa3", paris(t, 5, "07:10"))
	_, err = auditVerify(t, clock, "--data-dir", dir, "--run", "pa2-to-pa3")
	if !errors.Is(err, events.ErrTampered) {
		t.Fatalf("verify of a forged log: %v, want ErrTampered", err)
	}
	t.Log(err)
	wantContains(t, "verify error", err.Error(),
		"run pa2-to-pa3: seq 34 (2026-12-05T06:10:00Z, dcmove.step.completed, step/capture-fw-rules) was inserted: ",
		"(the 33 event(s) before it are intact)")
	if exitCode(err) == 0 {
		t.Errorf("a broken chain exits with status 0")
	}
}

// forge publishes a step completion straight to the run's subject, with no
// chain, as a tool with write access to the stream could.
func forge(t *testing.T, dir, run string, at time.Time) {
	t.Helper()
	e, err := events.New(at, events.Origin{Run: run, Plan: run, Actor: "Karim Haddad"}, "step/capture-fw-rules", events.StepCompleted{Step: "capture-fw-rules"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	publishJunk(t, dir, "dcmove."+run+"."+e.Topic(), data)
}

// headOf returns the head line audit verify printed in out, and its
// SEQ:HASH.
func headOf(t *testing.T, out string) (line, pair string) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^head: seq (\d+) sha256 ([0-9a-f]{64})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no head line in:\n%s", out)
	}
	return m[0], m[1] + ":" + m[2]
}

// copyRun appends the first n events of run in the log of from to a new
// log in a new data directory, as they are (chained), then more: what is
// left of a log whose end was cut, or rewritten. It returns the directory.
func copyRun(t *testing.T, from, run string, n int, more ...events.Envelope) string {
	t.Helper()
	ctx := t.Context()
	src, err := jetstream.Open(ctx, jetstream.Options{DataDir: from})
	if err != nil {
		t.Fatal(err)
	}
	var evs []events.Envelope
	for r, err := range src.Read(ctx, run, 0) {
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) < n {
			evs = append(evs, r.Envelope)
		}
	}
	src.Close()
	if len(more) > 0 {
		events.LinkTo(evs[len(evs)-1]).Chain(more)
	}
	dir := t.TempDir()
	dst, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := dst.Append(ctx, run, 0, append(evs, more...)...); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAuditVerifyHead(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	run := func(args ...string) string { return mustRun(t, clock, append(args, "--data-dir", dir)...) }
	run("cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	clock.Set(paris(t, 5, "07:00"))
	run("step", "start", "capture-fw-rules", "--as", "Karim Haddad")
	out, err := auditVerify(t, clock, "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	line, pair := headOf(t, out) // kept in the change ticket after the phase
	hash := pair[strings.Index(pair, ":")+1:]

	// The run goes on: the kept head is still in it, two events back.
	run("step", "start", "capture-switch-config", "--as", "Sophie Bernard")
	run("step", "start", "remind-customers", "--as", "Claire Martin")
	for _, head := range []string{pair, hash, hash[:12], line, strings.TrimPrefix(line, "head: ")} {
		out, err := auditVerify(t, clock, "--data-dir", dir, "--head", head)
		if err != nil {
			t.Fatalf("--head %s: %v", head, err)
		}
		wantContains(t, "verify --head "+head, out, "kept head found: ", "is seq 32 (", "; 2 event(s) were added after it", "head: seq 34 sha256 ")
	}
	t.Log(out)

	// The log cut back to before the kept head.
	cut := copyRun(t, dir, "pa2-to-pa3", 31)
	if _, err := auditVerify(t, clock, "--data-dir", cut); err != nil {
		t.Fatalf("the chain of a log cut at its end holds (%v): only the kept head tells", err)
	}
	_, err = auditVerify(t, clock, "--data-dir", cut, "--head", pair)
	if !errors.Is(err, events.ErrTampered) || exitCode(err) != exitTampered {
		t.Fatalf("verify --head of a cut log: %v (exit %d), want ErrTampered", err, exitCode(err))
	}
	t.Log(err)
	wantContains(t, "cut log", err.Error(), "the kept head seq 32 sha256 "+hash+" is not in the run, which ends at seq 31 (", "events were cut off the end")
	_, err = auditVerify(t, clock, "--data-dir", cut, "--head", hash)
	if !errors.Is(err, events.ErrTampered) {
		t.Fatalf("verify --head HASH of a cut log: %v, want ErrTampered", err)
	}
	wantContains(t, "cut log, hash only", err.Error(), "is not among the run's 31 event(s)")

	// History rewritten: the kept head's event replaced, and the chain
	// made again.
	forged, err := events.New(paris(t, 5, "07:00"), events.Origin{Run: "pa2-to-pa3", Plan: "pa2-to-pa3", Actor: "Karim Haddad"},
		"step/capture-fw-rules", events.StepCompleted{Step: "capture-fw-rules"})
	if err != nil {
		t.Fatal(err)
	}
	rewritten := copyRun(t, dir, "pa2-to-pa3", 31, forged)
	if _, err := auditVerify(t, clock, "--data-dir", rewritten); err != nil {
		t.Fatalf("the chain of a rewritten log holds (%v): only the kept head tells", err)
	}
	_, err = auditVerify(t, clock, "--data-dir", rewritten, "--head", pair)
	if !errors.Is(err, events.ErrTampered) {
		t.Fatalf("verify --head of a rewritten log: %v, want ErrTampered", err)
	}
	t.Log(err)
	wantContains(t, "rewritten log", err.Error(), "the event at seq 32 is now seq 32 (", "dcmove.step.completed", "was rewritten")

	// A head that is not one is bad input.
	for _, bad := range []string{"xyz", "12:abc", "seq 3 sha256", hash + "00"} {
		if _, err := auditVerify(t, clock, "--data-dir", dir, "--head", bad); exitCode(err) != exitBadInput {
			t.Errorf("--head %q: %v (exit %d), want bad input", bad, err, exitCode(err))
		}
	}
}
