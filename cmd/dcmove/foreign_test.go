package main

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// One junk message on a run's subject: audit verify names it as a foreign
// message at its sequence, says the chain of the run's events is intact,
// and exits 6; the commands after it chain to the run's last event.
func TestAuditVerifyForeignMessage(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	run := func(args ...string) string { return mustRun(t, clock, append(args, "--data-dir", dir)...) }
	run("cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	clock.Set(paris(t, 5, "07:00"))
	run("step", "start", "capture-fw-rules", "--as", "Karim Haddad")
	publishJunk(t, dir, "dcmove.pa2-to-pa3.step.capture-fw-rules", []byte("\x00\x01 not json"))
	run("step", "start", "capture-switch-config", "--as", "Sophie Bernard")

	out, err := auditVerify(t, clock, "--data-dir", dir)
	t.Logf("%s%v", out, err)
	if !errors.Is(err, events.ErrTampered) || exitCode(err) != exitTampered {
		t.Fatalf("verify with junk on the run: %v (exit %d), want exit %d", err, exitCode(err), exitTampered)
	}
	wantContains(t, "verify error", err.Error(),
		"run pa2-to-pa3: the chain of its 33 events is intact, but 1 foreign message(s) on the run's subject, written by something other than dcmove:",
		"seq 33: foreign message (not a dcmove event): ")
	want := regexp.MustCompile(`^chain intact: 33 events from seq 1 \(2026-12-05T05:30:00Z, dcmove\.cutover\.started\) ` +
		`to seq 34 \(2026-12-05T06:00:00Z, dcmove\.step\.started, step/capture-switch-config\); 1 foreign message\(s\) left out of it \(see below\)\n` +
		`head: seq 34 sha256 [0-9a-f]{64}\n`)
	if !want.MatchString(out) {
		t.Errorf("audit verify printed:\n%s", out)
	}
	// The kept head is still found past the junk.
	_, pair := headOf(t, out)
	out, err = auditVerify(t, clock, "--data-dir", dir, "--head", pair)
	if !errors.Is(err, events.ErrTampered) {
		t.Fatalf("verify --head: %v", err)
	}
	wantContains(t, "verify --head", out, "kept head found: ", "0 event(s) were added after it")

	// An event added by a forger after the junk is still an insertion,
	// and the junk is named with it.
	forge(t, dir, "pa2-to-pa3", paris(t, 5, "07:10"))
	_, err = auditVerify(t, clock, "--data-dir", dir)
	if !errors.Is(err, events.ErrTampered) {
		t.Fatalf("verify of a forged log: %v", err)
	}
	t.Log(err)
	wantContains(t, "verify error", err.Error(),
		"seq 35 (2026-12-05T06:10:00Z, dcmove.step.completed, step/capture-fw-rules) was inserted: ",
		"(the 33 event(s) before it are intact)",
		"also 1 foreign message(s)", "seq 33: foreign message")
}

// publishJunk stores data on subject as a tool with write access to the
// stream could.
func publishJunk(t *testing.T, dir, subject string, data []byte) {
	t.Helper()
	ctx := context.Background()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	js, err := jsapi.New(l.Conn())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, subject, data); err != nil {
		t.Fatal(err)
	}
}
