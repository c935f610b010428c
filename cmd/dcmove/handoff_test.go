//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
)

// asDcmove, in the environment of the test binary, makes it run as the
// dcmove binary (see TestMain): tests start it as other processes.
const asDcmove = "DCMOVE_TEST_AS_DCMOVE"

// dcmoveProcess is a dcmove command line in a process of its own, run by
// the test binary itself.
func dcmoveProcess(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), asDcmove+"=1")
	return cmd
}

// planAroundNow is the example weekend with its window moved around the
// present, so that processes with the machine's clock may work on it.
func planAroundNow(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(weekend)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	s := strings.Replace(string(b), "start: 2026-12-05 07:00", "start: "+now.Add(-2*time.Hour).Format("2006-01-02 15:04"), 1)
	s = strings.Replace(s, "end: 2026-12-06 20:00", "end: "+now.Add(40*time.Hour).Format("2006-01-02 15:04"), 1)
	if s == string(b) {
		t.Fatal("the example's window moved: update planAroundNow")
	}
	path := filepath.Join(t.TempDir(), "now.yaml")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// handoffRounds is how many rounds of parallel commands
// TestParallelCommandsSurviveHolderExits runs: DCMOVE_SOAK_ROUNDS, or 20.
func handoffRounds(t *testing.T) int {
	n := 20
	if v := os.Getenv("DCMOVE_SOAK_ROUNDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			t.Fatalf("DCMOVE_SOAK_ROUNDS=%q: want a number of at least 2", v)
		}
	}
	return n
}

// TestParallelCommandsSurviveHolderExits runs rounds of 15 dcmove processes
// at once on one data directory, with no dcmove serve: the first to lock
// it serves it and exits when its own command is done, while the others
// are still working through it. Each round mixes the kinds of command a
// crew runs: steps started (odd rounds) or done (even rounds) by the crew
// member of their role, status, go/no-go signatures and audit verify. No
// command may fail for want of the event store (exit 5), and every event
// a command reported recorded must be in the log exactly once.
func TestParallelCommandsSurviveHolderExits(t *testing.T) {
	rounds := handoffRounds(t)
	plan := planAroundNow(t)
	dir := t.TempDir()
	ctx := t.Context()
	// The five steps ready at the start, and who takes each.
	first := map[string]string{
		"remind-customers":      "Claire Martin",
		"capture-fw-rules":      "Karim Haddad",
		"capture-switch-config": "Sophie Bernard",
		"verify-backups":        "Hugo Leroy",
		"prepare-pa3":           "Julien Petit",
	}
	type command struct {
		args []string
		step string // for step start and done
		verb string
	}
	codes := map[int]int{}
	var failures []string
	succeeded := map[string]int{} // run/verb/step -> commands that exited 0
	for round := 1; round <= rounds; round++ {
		run := fmt.Sprintf("r%d", (round+1)/2)
		if round%2 == 1 {
			out, err := dcmoveProcess(ctx, "cutover", "start", plan, "--run", run, "--data-dir", dir,
				"--as", "Claire Martin", "--accept", "L013", "--reason", "a crew without shifts").CombinedOutput()
			if err != nil {
				t.Fatalf("round %d: cutover start: %v\n%s", round, err, out)
			}
		}
		verb := "start"
		if round%2 == 0 {
			verb = "done"
		}
		var cmds []command
		for step, who := range first {
			cmds = append(cmds, command{args: []string{"step", verb, step, "--as", who}, step: step, verb: verb})
		}
		for range 5 {
			cmds = append(cmds, command{args: []string{"status"}})
		}
		for _, who := range []string{"Claire Martin", "Karim Haddad", "Hugo Leroy"} {
			cmds = append(cmds, command{args: []string{"gate", "sign", "go-no-go", "--decision", "go", "--as", who}})
		}
		cmds = append(cmds, command{args: []string{"audit", "verify"}}, command{args: []string{"audit", "verify"}})

		type outcome struct {
			code int
			out  string
		}
		outs := make([]outcome, len(cmds))
		var wg sync.WaitGroup
		for i, c := range cmds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var b bytes.Buffer
				// A command that hangs is stopped with SIGQUIT, so that
				// its goroutines are in its output, and the round fails
				// with it instead of hanging the suite.
				pctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
				defer cancel()
				p := dcmoveProcess(pctx, append(c.args, "--run", run, "--data-dir", dir)...)
				p.Cancel = func() error { return p.Process.Signal(syscall.SIGQUIT) }
				p.WaitDelay = 10 * time.Second
				p.Stdout, p.Stderr = &b, &b
				err := p.Run()
				code := 0
				var exit *exec.ExitError
				if errors.As(err, &exit) {
					code = exit.ExitCode()
				} else if err != nil {
					code = -1
				}
				outs[i] = outcome{code, b.String()}
			}()
		}
		wg.Wait()
		for i, o := range outs {
			codes[o.code]++
			c := cmds[i]
			switch o.code {
			case 0:
				if c.step != "" {
					succeeded[run+"/"+c.verb+"/"+c.step]++
				}
			case exitRefused, exitConflict:
				// A go/no-go signed before its steps are done is refused;
				// two commands that change the run at once may conflict.
			default:
				failures = append(failures, fmt.Sprintf("round %d: dcmove %s: exit %d:\n%s", round, strings.Join(c.args, " "), o.code, o.out))
			}
		}
	}
	t.Logf("%d rounds of 15 processes: exit statuses %v", rounds, codes)
	for _, f := range failures {
		t.Error(f)
	}

	// Every step command that succeeded recorded its event once, and no
	// event is stored twice.
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	total := 0
	for r := 1; r <= (rounds+1)/2; r++ {
		run := fmt.Sprintf("r%d", r)
		ids := map[string]int{}
		recorded := map[string]int{}
		for rec, err := range l.Read(ctx, run, 0) {
			if err != nil {
				t.Fatal(err)
			}
			ids[rec.ID]++
			total++
			ev, err := rec.Decode()
			if err != nil {
				t.Fatal(err)
			}
			switch ev := ev.(type) {
			case events.StepStarted:
				recorded[run+"/start/"+ev.Step]++
			case events.StepCompleted:
				recorded[run+"/done/"+ev.Step]++
			}
		}
		for id, n := range ids {
			if n != 1 {
				t.Errorf("run %s: event %s stored %d times", run, id, n)
			}
		}
		for key, n := range recorded {
			if n != 1 {
				t.Errorf("%s recorded %d times", key, n)
			}
		}
		for key, n := range succeeded {
			if strings.HasPrefix(key, run+"/") && (n != 1 || recorded[key] != 1) {
				t.Errorf("%s: %d command(s) succeeded, %d event(s) stored; want 1 and 1", key, n, recorded[key])
			}
		}
		if r := dcmove(ctx, runbooks.SystemClock{}, "audit", "verify", "--run", run, "--data-dir", dir); r.err != nil {
			t.Errorf("audit verify %s: %v\n%s", run, r.err, r.errOut)
		}
	}
	t.Logf("%d events stored, each once; %d step commands acknowledged, each stored once", total, len(succeeded))
}

// TestHolderThatDoesNotAnswer stops (SIGSTOP) the dcmove serve that holds
// a data directory: a watch joined to it says within a moment that the
// event store is lost, a command fails with exit status 5 and says why,
// and once the holder runs again (SIGCONT) the watch is back on its own.
func TestHolderThatDoesNotAnswer(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	var served syncBuffer
	serve := dcmoveProcess(t.Context(), "serve", "--data-dir", dir)
	serve.Stdout, serve.Stderr = &served, &served
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Signal(syscall.SIGCONT); serve.Process.Kill(); serve.Wait() }()
	waitFor(t, &served, "serving data directory")

	var watch syncBuffer
	stopWatch := background(t, &watch, clock, "status", "--watch", "--data-dir", dir)
	waitFor(t, &watch, "progress 0/25 steps done")

	if err := serve.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	waitFor(t, &watch, "connection to the event store lost")
	t.Logf("the watch said the holder was lost %v after it stopped", time.Since(stoppedAt).Round(10*time.Millisecond))

	r := dcmove(t.Context(), clock, "status", "--data-dir", dir)
	if code := exitCode(r.err); code != exitUnavailable {
		t.Fatalf("status with a holder that does not answer: exit %d (%v), want %d", code, r.err, exitUnavailable)
	}
	wantContains(t, "stderr", r.errOut, "does not answer")

	if err := serve.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &watch, "connection to the event store back")
	clock.Set(paris(t, 5, "07:00"))
	mustRun(t, clock, "step", "start", "capture-fw-rules", "--data-dir", dir, "--as", "Karim Haddad")
	waitFor(t, &watch, "1 started, 4 ready")
	if err := stopWatch(); err != nil {
		t.Fatalf("status --watch ended with %v; output:\n%s", err, watch.String())
	}
}
