package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// The tiny move of testdata/timer-plan.yaml: one server with a cool-down;
// lead-risk.yaml is the same with a lead who lacks the lead role (an
// error-severity risk).
const (
	timerPlan = "testdata/timer-plan.yaml"
	leadRisk  = "testdata/lead-risk.yaml"
)

// execution is what one command line did through Main.Execute.
type execution struct {
	code        int
	out, errOut string
}

// execute runs one command line through Main.Execute, as the binary does
// (the error reported on stderr, the exit status returned), with server
// timers if timers is set.
func execute(t testing.TB, clock runbooks.Clock, timers bool, args ...string) execution {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, Clock: clock, Timers: timers}
	code := m.Execute(t.Context(), append([]string{"dcmove"}, args...))
	return execution{code, out.String(), errOut.String()}
}

// freeLoopbackURL returns a NATS URL on a loopback port nobody listens on.
func freeLoopbackURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "nats://" + addr
}

// TestExitStatuses runs a command line for every row of the README's exit
// status table through Main.Execute, the path the binary takes, and checks
// the status and what stderr says. Conflict (4) cannot be provoked from
// the command line: TestExitCode covers it.
func TestExitStatuses(t *testing.T) {
	dir, empty := t.TempDir(), t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	if r := execute(t, clock, false, "cutover", "start", timerPlan, "--as", "Claire", "--data-dir", dir); r.code != 0 {
		t.Fatalf("cutover start: exit status %d:\n%s", r.code, r.errOut)
	}
	clock.Set(paris(t, 5, "07:00"))

	tests := []struct {
		name string
		code int
		args []string
		says string // on stderr
	}{
		{"done", 0, []string{"status", "--data-dir", dir, "--samples", "0"}, ""},
		{"any other error: --out in a directory that does not exist", exitError,
			[]string{"plan", "gantt", weekend, "--samples", "0", "--out", filepath.Join(empty, "no", "chart.html")}, "dcmove: open "},

		{"bad flag", exitBadInput, []string{"plan", "check", weekend, "--strict"}, "flag provided but not defined: -strict"},
		{"missing argument", exitBadInput, []string{"step", "start", "--data-dir", dir, "--as", "Julien"}, "give one step id"},
		{"required flag not given", exitBadInput, []string{"step", "fail", "shutdown-web-1", "--as", "Julien", "--data-dir", dir}, `Required flag "reason" not set`},
		{"unknown command", exitBadInput, []string{"stpe", "start", "go"}, "No help topic for 'stpe'"},
		{"plan file with errors", exitBadInput, []string{"plan", "check", "testdata/bad.yaml"}, "dcmove: 3 error(s) in the plan"},
		{"plan with an error-severity risk", exitBadInput, []string{"plan", "check", leadRisk, "--samples", "0"},
			"the plan has 1 error(s) in its risks"},
		{"cutover start of a plan with an error-severity risk", exitBadInput,
			[]string{"cutover", "start", leadRisk, "--as", "Julien", "--run", "risky", "--data-dir", dir}, "error L017: lead Julien does not have the lead role"},
		{"unknown run: plan calibrate --from", exitBadInput, []string{"plan", "calibrate", timerPlan, "--from", "nope", "--data-dir", dir},
			"run nope is not in this event log"},
		{"unknown run: status", exitBadInput, []string{"status", "--run", "nope", "--data-dir", dir}, "run nope has no events"},
		{"unknown run: audit", exitBadInput, []string{"audit", "--run", "nope", "--data-dir", dir}, "run nope has no events"},
		{"unknown run: audit verify", exitBadInput, []string{"audit", "verify", "--run", "nope", "--data-dir", dir}, "run nope has no events"},
		{"unknown run: audit compare", exitBadInput, []string{"audit", "compare", "tiny", "nope", "--data-dir", dir}, "run nope has no events"},
		{"unknown run: step start", exitBadInput, []string{"step", "start", "go", "--run", "nope", "--as", "Claire", "--data-dir", dir},
			"run nope has not been started"},
		{"no run at all", exitBadInput, []string{"status", "--data-dir", empty}, "no cutover has been started in this event log"},

		{"refused by a guard", exitRefused, []string{"step", "start", "shutdown-web-1", "--as", "Julien", "--data-dir", dir},
			"step shutdown-web-1 cannot start yet: it waits for go"},
		{"warnings not accepted", exitRefused, []string{"cutover", "start", weekend, "--as", "Claire Martin", "--run", "w", "--data-dir", dir},
			"has warnings to accept one by one"},

		{"server unreachable", exitUnavailable, []string{"status", "--server", freeLoopbackURL(t)}, "dcmove: "},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.code, tt.name), func(t *testing.T) {
			r := execute(t, clock, false, tt.args...)
			if r.code != tt.code {
				t.Fatalf("dcmove %s: exit status %d, want %d; stderr:\n%s", strings.Join(tt.args, " "), r.code, tt.code, r.errOut)
			}
			if tt.code == 0 && r.errOut != "" {
				t.Errorf("success with stderr:\n%s", r.errOut)
			}
			if !strings.Contains(r.errOut, tt.says) {
				t.Errorf("stderr does not say %q:\n%s", tt.says, r.errOut)
			}
		})
	}

	// Last: the log altered under dcmove's feet.
	t.Run("6 log altered", func(t *testing.T) {
		if r := execute(t, clock, false, "audit", "verify", "--data-dir", dir, "--run", "tiny"); r.code != 0 {
			t.Fatalf("audit verify before the forgery: exit status %d:\n%s", r.code, r.errOut)
		}
		forge(t, dir, "tiny", paris(t, 5, "07:10"))
		r := execute(t, clock, false, "audit", "verify", "--data-dir", dir, "--run", "tiny")
		if r.code != exitTampered {
			t.Fatalf("audit verify of a forged log: exit status %d, want %d; stderr:\n%s", r.code, exitTampered, r.errOut)
		}
		wantContains(t, "stderr", r.errOut, "was inserted")
	})
}

// TestExitCode is the mapping itself, with the errors wrapped as the
// commands wrap them: the order of the checks matters when an error
// matches two sentinels.
func TestExitCode(t *testing.T) {
	refusal := runbooks.Refuse("step go cannot start yet")
	both := func(a, b error) error { return errors.Join(a, b) }
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"none", nil, 0},
		{"plain", errors.New("disk full"), exitError},
		{"usage", usagef("--output %q", "pdf"), exitBadInput},
		{"lint errors", fmt.Errorf("start: %w", lintErrors{2}), exitBadInput},
		{"invalid plan", fmt.Errorf("load: %w", planner.ErrInvalid), exitBadInput},
		{"no run", fmt.Errorf("calibrate: %w", events.ErrNoRun), exitBadInput},
		{"no run, also refused", both(refusal, events.ErrNoRun), exitBadInput},
		{"invalid plan, also refused", both(refusal, planner.ErrInvalid), exitBadInput},
		{"refused", fmt.Errorf("step start go: %w", refusal), exitRefused},
		{"conflict", fmt.Errorf("step start go: the run changed 8 times while this command was checked; run it again: %w",
			fmt.Errorf("append: %w", events.ErrConflict)), exitConflict},
		{"unavailable", fmt.Errorf("load run r: %w", events.ErrUnavailable), exitUnavailable},
		{"tampered", fmt.Errorf("audit verify: run r: %w", events.ErrTampered), exitTampered},
	} {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}

// A timer the server could not take after the command's events landed is
// a warning printed after the command's output, with exit status 0.
func TestTimerNotScheduledWarns(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "07:00"))
	run := func(args ...string) {
		t.Helper()
		if r := execute(t, clock, true, append(args, "--data-dir", dir)...); r.code != 0 || r.errOut != "" {
			t.Fatalf("dcmove %s: exit status %d:\n%s", strings.Join(args, " "), r.code, r.errOut)
		}
	}
	run("cutover", "start", timerPlan, "--as", "Claire")
	run("gate", "sign", "go", "--decision", "go", "--as", "Claire")
	run("gate", "sign", "go", "--decision", "go", "--as", "Julien")
	run("step", "start", "shutdown-web-1", "--as", "Julien")
	breakTimers(t, dir)

	clock.Set(paris(t, 5, "07:10"))
	var both bytes.Buffer // stdout and stderr, in the order written
	m := &Main{Stdout: &both, Stderr: &both, Clock: clock, Timers: true}
	code := m.Execute(t.Context(), []string{"dcmove", "step", "done", "shutdown-web-1", "--as", "Julien", "--data-dir", dir})
	out := both.String()
	if code != 0 {
		t.Fatalf("exit status %d, want 0:\n%s", code, out)
	}
	done := strings.Index(out, "step done: shutdown-web-1")
	warning := strings.Index(out, "dcmove: warning: the cool-down of web-1 is recorded, but its timer could not be set")
	if done < 0 || warning < done {
		t.Errorf("want the command's output, then the warning:\n%s", out)
	}
	// The cool-down is recorded all the same.
	wantContains(t, "status", mustRun(t, clock, "status", "--data-dir", dir, "--samples", "0"), "web-1")
}

// breakTimers takes the schedule subjects away from the timers stream of
// the log in dir, so that the server refuses every timer (dcmove recreates
// a missing stream, but does not check its subjects).
func breakTimers(t *testing.T, dir string) {
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
	st, err := js.Stream(ctx, jetstream.TimersStreamName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.Subjects = []string{jetstream.TimersSubjectPrefix + ".fired.>"}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
}
