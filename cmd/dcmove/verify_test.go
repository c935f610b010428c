package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	jsapi "github.com/nats-io/nats.go/jetstream"
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
		`head: [0-9a-f]{64} \(keep it elsewhere`)
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
	ctx := context.Background()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e, err := events.New(at, events.Origin{Run: run, Plan: run, Actor: "Karim Haddad"}, "step/capture-fw-rules", events.StepCompleted{Step: "capture-fw-rules"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	js, err := jsapi.New(l.Conn())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "dcmove."+run+"."+e.Topic(), data); err != nil {
		t.Fatal(err)
	}
}
