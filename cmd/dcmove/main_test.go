package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// weekend is the example plan, from the package directory tests run in.
const weekend = "../../examples/weekend.yaml"

// The tests do not run in parallel: urfave/cli v2 writes its package-level
// help flag and help command on every run, so two Mains may only overlap
// once the first has parsed its command line (as the watcher and the server
// below do).
func TestMain(m *testing.M) {
	if os.Getenv(asDcmove) != "" {
		main() // a dcmove process of a test (see dcmoveProcess)
	}
	// A developer's own settings must not point the tests at their event
	// log or server.
	for _, v := range []string{"DCMOVE_DATA_DIR", "DCMOVE_SERVER", "DCMOVE_RUN", "DCMOVE_ACTOR"} {
		os.Unsetenv(v)
	}
	os.Exit(m.Run())
}

// paris returns a wall-clock time of the example weekend: day 5 or 6
// December 2026, hh:mm in the plan's time zone.
func paris(t testing.TB, day int, hhmm string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-0"+string(rune('0'+day))+" "+hhmm, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// result is what one dcmove command line did.
type result struct {
	out, errOut string // stdout; stderr, with the error as main reports it
	err         error
}

// dcmove runs one command line as the binary does, with clock, and reports
// its error on stderr as main does.
func dcmove(ctx context.Context, clock runbooks.Clock, args ...string) result {
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, Clock: clock}
	err := m.Run(ctx, append([]string{"dcmove"}, args...))
	if err != nil {
		m.Report(err)
	}
	return result{out.String(), errOut.String(), err}
}

// mustRun runs a command line that must succeed and returns its stdout.
func mustRun(t testing.TB, clock runbooks.Clock, args ...string) string {
	t.Helper()
	r := dcmove(t.Context(), clock, args...)
	if r.err != nil {
		t.Fatalf("dcmove %s: %v\nstderr:\n%s", strings.Join(args, " "), r.err, r.errOut)
	}
	return r.out
}

// mustFail runs a command line that must fail with the given exit status
// and returns what it printed on stderr.
func mustFail(t testing.TB, clock runbooks.Clock, code int, args ...string) string {
	t.Helper()
	r := dcmove(t.Context(), clock, args...)
	if r.err == nil {
		t.Fatalf("dcmove %s succeeded, want exit status %d; stdout:\n%s", strings.Join(args, " "), code, r.out)
	}
	if got := exitCode(r.err); got != code {
		t.Fatalf("dcmove %s: exit status %d, want %d; error: %v", strings.Join(args, " "), got, code, r.err)
	}
	return r.errOut
}

func wantContains(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}

// golden compares got with testdata/name.golden, or rewrites the file with
// -update.
func golden(t testing.TB, name, got string) {
	t.Helper()
	got = scrubHead(got)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (if the change is intended, run go test -update and review the diff)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// syncBuffer is a buffer that a command running in another goroutine
// writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until buf holds want, for at most ten seconds.
func waitFor(t testing.TB, buf *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output after 10 s:\n%s", want, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// background runs a long-lived command line (serve, status --watch) until
// the returned stop is called; stop returns the command's error. Its stdout
// and stderr both go to out.
func background(t testing.TB, out *syncBuffer, clock runbooks.Clock, args ...string) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		m := &Main{Stdout: out, Stderr: out, Clock: clock}
		done <- m.Run(ctx, append([]string{"dcmove"}, args...))
	}()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = errors.New("did not return within 10 s of being interrupted")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// The demo runs the reference move through every phase.
func TestDemo(t *testing.T) {
	clock := runbooks.NewManualClock(time.Time{})
	out := mustRun(t, clock, "demo")
	wantContains(t, "demo output", out,
		"plan: 298 steps",
		"tries to start return-pa2-badges too early: refused: ",
		"done   go-no-go",
		"degraded mode on: db-replica, backoffice",
		"done   unrack-<id>                all 20",
		"done   transport-<id>             all 4",
		"degraded mode off",
		"done   grace-period",
		"done   decommission-ftp-1",
		"captured 46 rules of PA2 from examples/pa2-iptables-save.txt: 13 not in the plan",
		"reviews the 13 rules the plan forgot",
		"skips capture-rule-in-probes: rule in-probes is written with names",
		"captured 42 rules of PA3: 42 verified, 1 missing",
		"adds the missing rules at PA3 and exports again: fw-13acb56f1db1 (in-ssh-noc)",
		"verified again: 43 verified, 0 missing",
		"292/298 steps done (97%): 0 started, 0 ready, 0 waiting, 0 failed, 6 skipped",
		"the move ended Sun 6 Dec",
		"20 cool-downs (20 ended by their timer)")
	if strings.Contains(out, "replay it:") {
		t.Errorf("demo without --data-dir tells how to replay a store it removed:\n%s", out)
	}
}

// The small hand-written plan, step by step.
func TestDemoWeekend(t *testing.T) {
	clock := runbooks.NewManualClock(time.Time{})
	out := mustRun(t, clock, "demo", "--plan", "weekend.yaml")
	if n := len(regexp.MustCompile(`(?m)^\w{3} \d+ \w{3} \d\d:\d\d  done   \S+`).FindAllString(out, -1)); n != 25 {
		t.Errorf("demo finished %d steps, want 25:\n%s", n, out)
	}
	wantContains(t, "demo output", out,
		"Hugo Leroy tries to start backup-after-move too early: refused: ",
		"waits for leave-degraded-mode",
		"25/25 steps done (100%)")
	mustFail(t, clock, exitBadInput, "demo", "--plan", "nope.yaml")
}

func TestDemoKeepsItsDataDir(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(time.Time{})

	out := mustRun(t, clock, "demo", "--plan", "weekend.yaml", "--data-dir", dir)
	wantContains(t, "first demo", out, "Claire Martin starts run pa2-to-pa3:",
		"replay it: dcmove audit --data-dir "+dir+" --run pa2-to-pa3\n")

	trail := mustRun(t, clock, "audit", "--data-dir", dir)
	wantContains(t, "audit of the demo", trail, "cutover started: plan pa2-to-pa3",
		"step started: Export every firewall rule", "Karim Haddad")
	if n := strings.Count(trail, "step done: "); n != 25 {
		t.Errorf("audit of the demo shows %d finished steps, want 25:\n%s", n, trail)
	}
	if strings.Count(trail, "step/backup-after-move") != 3 {
		// planned, started, done: the refused early start leaves no trace
		t.Errorf("audit shows %d events of backup-after-move, want 3:\n%s", strings.Count(trail, "step/backup-after-move"), trail)
	}

	again := mustRun(t, clock, "demo", "--plan", "weekend.yaml", "--data-dir", dir)
	wantContains(t, "second demo", again, "starts run pa2-to-pa3-2:", "25/25 steps done",
		"--run pa2-to-pa3-2\n")
	// The first run is still there, untouched.
	first := mustRun(t, clock, "audit", "--data-dir", dir, "--run", "pa2-to-pa3")
	if first != trail {
		t.Errorf("the second demo changed the trail of the first run")
	}
}

func TestPlanCheck(t *testing.T) {
	clock := runbooks.NewManualClock(time.Time{})

	t.Run("ok", func(t *testing.T) {
		out := mustRun(t, clock, "plan", "check", weekend)
		want := `ok: plan pa2-to-pa3 "Workit weekend move, Equinix PA2 to PA3": 25 steps, 7 assets, 5 crew; window Sat 5 Dec 07:00 – Sun 6 Dec 20:00 Europe/Paris`
		if !strings.HasPrefix(out, want) {
			t.Errorf("got %q, want it to start with %q", out, want)
		}
	})

	t.Run("errors with positions", func(t *testing.T) {
		r := dcmove(t.Context(), clock, "plan", "check", "testdata/bad.yaml")
		if !errors.Is(r.err, planner.ErrInvalid) {
			t.Fatalf("got %v, want planner.ErrInvalid", r.err)
		}
		if got := exitCode(r.err); got != exitBadInput {
			t.Errorf("exit status %d, want %d", got, exitBadInput)
		}
		lines := strings.Split(strings.TrimSuffix(r.errOut, "\n"), "\n")
		want := []struct{ pos, says string }{
			{"testdata/bad.yaml:23:5: ", `"duraton"`},
			{"testdata/bad.yaml:28:15: ", `"1h/2x/3h"`},
			{"testdata/bad.yaml:29:22: ", `"annouce"; did you mean "announce"?`},
			{"dcmove: 3 error(s) in the plan", ""},
		}
		if len(lines) != len(want) {
			t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), r.errOut)
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w.pos) || !strings.Contains(lines[i], w.says) {
				t.Errorf("line %d is %q, want %q ... %q", i+1, lines[i], w.pos, w.says)
			}
		}
	})

	t.Run("missing file", func(t *testing.T) {
		r := dcmove(t.Context(), clock, "plan", "check", "testdata/no-such-plan.yaml")
		if !errors.Is(r.err, fs.ErrNotExist) {
			t.Fatalf("got %v, want fs.ErrNotExist", r.err)
		}
		if got := exitCode(r.err); got != exitBadInput {
			t.Errorf("exit status %d, want %d (bad input)", got, exitBadInput)
		}
		wantContains(t, "stderr", r.errOut, "dcmove: read plan: ", "testdata/no-such-plan.yaml", "check the path")
	})

	for _, args := range [][]string{
		{"plan", "check"},
		{"plan", "check", weekend, weekend},
	} {
		t.Run(strings.Join(args, " ")+" args", func(t *testing.T) {
			errOut := mustFail(t, clock, exitBadInput, args...)
			wantContains(t, "stderr", errOut, "give one plan file, e.g. dcmove plan check examples/pa2-pa3.yaml")
		})
	}

	t.Run("unknown flag after the file", func(t *testing.T) {
		errOut := mustFail(t, clock, exitBadInput, "plan", "check", weekend, "--strict")
		wantContains(t, "stderr", errOut, "flag provided but not defined: -strict")
	})
}

// TestCutoverScript drives one weekend from the command line, as the team
// would, on one data directory: every command is a new process that starts
// the embedded server on the directory and stops it.
func TestCutoverScript(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	at := func(hhmm string) { clock.Set(paris(t, 5, hhmm)) }
	// Flags come after the arguments, as people write them and as
	// dcmove's own hints show.
	run := func(args ...string) string { return mustRun(t, clock, append(args, "--data-dir", dir)...) }
	refused := func(t *testing.T, args ...string) string {
		return mustFail(t, clock, exitRefused, append(args, "--data-dir", dir)...)
	}

	out := run("cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	wantContains(t, "cutover start", out, "started run pa2-to-pa3: plan pa2-to-pa3", "recorded 31 events in one atomic append",
		"ready to start:\n  remind-customers ", "\n  capture-fw-rules ", "\n  capture-switch-config ", "\n  verify-backups ", "\n  prepare-pa3 ")
	if strings.Contains(out, "recreate-fw-rules") {
		t.Errorf("cutover start lists recreate-fw-rules as ready before its dependencies:\n%s", out)
	}

	at("07:00")
	out = run("step", "start", "capture-fw-rules", "--as", "Karim Haddad")
	wantContains(t, "step start", out,
		"Sat 5 Dec 07:00 CET  step started: capture-fw-rules (Export every firewall rule from the PA2 provider's equipment), by Karim Haddad\n")
	// Flags before the argument work too.
	run("step", "start", "--as", "Sophie Bernard", "capture-switch-config")

	at("07:45")
	out = run("step", "done", "capture-switch-config", "--as", "Sophie Bernard")
	wantContains(t, "step done", out, "Sat 5 Dec 07:45 CET  step done: capture-switch-config (", "by Sophie Bernard",
		"no step became ready; still ready: remind-customers, verify-backups, prepare-pa3\n")
	wantContains(t, "status", run("status"), "progress 1/25 steps done (4%): 1 started, 3 ready, 20 waiting")

	at("08:05")
	out = run("step", "done", "capture-fw-rules", "--as", "Karim Haddad")
	wantContains(t, "step done", out, "Sat 5 Dec 08:05 CET  step done: capture-fw-rules (", "by Karim Haddad",
		"now ready:\n  recreate-fw-rules        Re-create the captured rules for PA3, drop the obsolete ones\n")

	at("08:10")
	t.Run("refusals", func(t *testing.T) {
		wantContains(t, "deps not done", refused(t, "step", "start", "go-no-go", "--as", "Claire Martin"),
			"step go-no-go cannot start yet: it waits for remind-customers (not started), verify-backups (not started), prepare-pa3 (not started), recreate-fw-rules (not started)")
		wantContains(t, "wrong role", refused(t, "step", "start", "prepare-pa3", "--as", "Karim Haddad"),
			"it needs the tech role", "ask Julien Petit or Sophie Bernard")
		wantContains(t, "not in the crew", refused(t, "step", "start", "prepare-pa3", "--as", "Karim"),
			`"Karim" is not in the crew; the crew is Claire Martin, Karim Haddad, Julien Petit, Sophie Bernard, Hugo Leroy`)
		wantContains(t, "no --as", refused(t, "step", "start", "prepare-pa3"), "give --as NAME")
		wantContains(t, "typo", refused(t, "step", "start", "prepare-pa4", "--as", "Julien Petit"),
			`no step "prepare-pa4"; did you mean "prepare-pa3"?`)
		wantContains(t, "done twice", refused(t, "step", "done", "capture-fw-rules", "--as", "Karim Haddad"), "capture-fw-rules")
		wantContains(t, "started twice", refused(t, "step", "start", "capture-fw-rules", "--as", "Karim Haddad"), "capture-fw-rules")
		wantContains(t, "same run again", refused(t, "cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts"),
			"run pa2-to-pa3 already exists", "--run")
		errOut := mustFail(t, clock, exitBadInput, "step", "start", "--data-dir", dir, "--as", "Julien Petit")
		wantContains(t, "no step id", errOut, "give one step id, e.g. dcmove step start capture-fw-rules --as NAME")
	})

	at("08:15")
	run("step", "start", "prepare-pa3", "--as", "Julien Petit")
	run("step", "start", "recreate-fw-rules", "--as", "Karim Haddad")

	// A second run on the same log becomes the default...
	at("08:20")
	wantContains(t, "second run", run("cutover", "start", weekend, "--run", "other", "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts"), "started run other:")
	out = run("step", "start", "remind-customers", "--as", "Claire Martin")
	wantContains(t, "step in the default run", out, "step started: remind-customers (")
	wantContains(t, "status of the default run", run("status"),
		"run other: ", "progress 0/25 steps done (0%): 1 started, 4 ready, 20 waiting")
	// ...and --run still addresses the first.
	at("10:30")
	status := run("status", "--run", "pa2-to-pa3")
	wantContains(t, "status --run", status, "run pa2-to-pa3: ", "progress 2/25 steps done (8%): 2 started, 2 ready, 19 waiting",
		"prepare-pa3", "LATE by 45m")
	golden(t, "cutover-status", status)

	trail := run("audit", "--run", "pa2-to-pa3")
	wantContains(t, "audit", trail, "Claire Martin", "Karim Haddad", "Sophie Bernard", "Julien Petit")
	if strings.Contains(trail, "step started: Remind customers") {
		t.Errorf("the trail of pa2-to-pa3 shows a step started in run other:\n%s", trail)
	}
	if !regexp.MustCompile(`(?m)^\d+ +Sat 5 Dec 08:05:00 +Karim Haddad +step done: Export every firewall rule.* step/capture-fw-rules +1h +1h5m$`).MatchString(trail) {
		t.Errorf("the trail does not show capture-fw-rules done at 08:05 by Karim Haddad, planned 1h, took 1h5m:\n%s", trail)
	}
	golden(t, "cutover-audit", trail)
}

func TestStatusWatch(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")

	var watch syncBuffer
	stop := background(t, &watch, clock, "status", "--watch", "--data-dir", dir)
	waitFor(t, &watch, "progress 0/25 steps done")
	if _, err := os.Stat(filepath.Join(dir, jetstream.ServerFileName)); err != nil {
		t.Fatalf("the watcher does not hold the data directory: %v", err)
	}

	// Other processes on the directory join the watcher's server.
	clock.Set(paris(t, 5, "07:00"))
	mustRun(t, clock, "step", "start", "capture-fw-rules", "--data-dir", dir, "--as", "Karim Haddad")
	waitFor(t, &watch, "--- 07:00:00 Karim Haddad ")
	waitFor(t, &watch, "progress 0/25 steps done (0%): 1 started, 4 ready, 20 waiting")
	clock.Set(paris(t, 5, "08:00"))
	mustRun(t, clock, "step", "done", "capture-fw-rules", "--data-dir", dir, "--as", "Karim Haddad")
	waitFor(t, &watch, "progress 1/25 steps done (4%): 0 started, 4 ready, 20 waiting")

	if err := stop(); err != nil {
		t.Fatalf("status --watch returned %v when interrupted, want nil; output:\n%s", err, watch.String())
	}
	if _, err := os.Stat(filepath.Join(dir, jetstream.ServerFileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the watcher left %s behind: %v", jetstream.ServerFileName, err)
	}
}

// TestStatusWatchSurvivesHolderExit: the watcher joined a `serve` that then
// stops; the watcher's log opens the data directory again, serves it
// itself, and the watch still shows what the team does next.
func TestStatusWatchSurvivesHolderExit(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	var served syncBuffer
	stopServe := background(t, &served, clock, "serve", "--data-dir", dir)
	waitFor(t, &served, "serving data directory")
	mustRun(t, clock, "cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")

	var watch syncBuffer
	stopWatch := background(t, &watch, clock, "status", "--watch", "--data-dir", dir)
	waitFor(t, &watch, "progress 0/25 steps done")

	if err := stopServe(); err != nil {
		t.Fatal(err)
	}
	clock.Set(paris(t, 5, "07:00"))
	mustRun(t, clock, "step", "start", "capture-fw-rules", "--data-dir", dir, "--as", "Karim Haddad")
	waitFor(t, &watch, "progress 0/25 steps done (0%): 1 started, 4 ready, 20 waiting")
	if err := stopWatch(); err != nil {
		t.Fatalf("watch returned %v; output:\n%s", err, watch.String())
	}
	// The watcher followed the data directory to its next holder (itself)
	// without a word: nothing was lost.
	if strings.Contains(watch.String(), "nats:") || strings.Contains(watch.String(), "lost") {
		t.Errorf("the watch reported the holder's exit, which lost nothing:\n%s", watch.String())
	}
}

func TestStatusWatchUnknownRun(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	r := dcmove(ctx, clock, "status", "--watch", "--data-dir", dir, "--run", "pa2-to-pa4")
	if r.err == nil || ctx.Err() != nil {
		t.Fatalf("status --watch of a run that does not exist: got %v after %v, want an error at once; output:\n%s", r.err, ctx.Err(), r.out)
	}
	wantContains(t, "stderr", r.errOut, "run pa2-to-pa4 has no events")
}

func TestServerURL(t *testing.T) {
	s, err := jetstream.StartServer(t.TempDir(), "127.0.0.1", -1, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	url := s.ClientURL()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))

	wantContains(t, "cutover start", mustRun(t, clock, "cutover", "start", weekend, "--server", url, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts"),
		"started run pa2-to-pa3:")
	clock.Set(paris(t, 5, "07:00"))
	mustRun(t, clock, "step", "start", "verify-backups", "--server", url, "--as", "Hugo Leroy")
	wantContains(t, "status", mustRun(t, clock, "status", "--server", url),
		"run pa2-to-pa3: ", "progress 0/25 steps done (0%): 1 started, 4 ready, 20 waiting", "verify-backups")

	for _, args := range [][]string{
		{"status", "--server", "nats://127.0.0.1:1"},
		{"cutover", "start", weekend, "--server", "nats://127.0.0.1:1", "--as", "Claire Martin"},
	} {
		errOut := mustFail(t, clock, exitUnavailable, args...)
		wantContains(t, "stderr", errOut, "nats://127.0.0.1:1")
	}
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	var serve syncBuffer
	stop := background(t, &serve, clock, "serve", "--data-dir", dir)
	waitFor(t, &serve, "serving data directory "+dir+" at nats://127.0.0.1:")

	wantContains(t, "cutover start", mustRun(t, clock, "cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts"),
		"started run pa2-to-pa3:")
	errOut := mustFail(t, clock, exitError, "serve", "--data-dir", dir)
	wantContains(t, "second serve", errOut, "data directory "+dir+" is already served by another dcmove process")

	if err := stop(); err != nil {
		t.Fatalf("serve returned %v when interrupted, want nil", err)
	}
	wantContains(t, "serve output", serve.String(), "\nstopped\n")
	// What was recorded through the server stays in the directory.
	wantContains(t, "status after serve", mustRun(t, clock, "status", "--data-dir", dir), "progress 0/25")
}

func TestEnvironment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "from-env")
	t.Setenv("DCMOVE_DATA_DIR", dir)
	t.Setenv("DCMOVE_ACTOR", "Claire Martin")
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))

	mustRun(t, clock, "cutover", "start", weekend, "--accept", "L013", "--reason", "demo crew without shifts")
	if _, err := os.Stat(filepath.Join(dir, "jetstream")); err != nil {
		t.Fatalf("DCMOVE_DATA_DIR was not used: %v", err)
	}
	clock.Set(paris(t, 5, "07:00"))
	wantContains(t, "step start", mustRun(t, clock, "step", "start", "remind-customers"), "by Claire Martin\n")
	// A flag wins over the environment.
	wantContains(t, "step start --as", mustRun(t, clock, "step", "start", "capture-fw-rules", "--as", "Karim Haddad"), "by Karim Haddad\n")
	wantContains(t, "status", mustRun(t, clock, "status"), "2 started")

	// Without the variable, the actor is unknown again: nothing of it
	// stays behind in the process.
	os.Unsetenv("DCMOVE_ACTOR") // t.Setenv restores it after the test
	wantContains(t, "no actor", mustFail(t, clock, exitRefused, "step", "start", "verify-backups"), "give --as NAME")
}

func TestFlagsFirst(t *testing.T) {
	m := &Main{}
	cmds := []*cli.Command{m.demoCommand(), m.planCommand(), m.cutoverCommand(), m.stepCommand(),
		m.statusCommand(), m.auditCommand(), m.serveCommand()}
	for _, tt := range []struct{ args, want string }{
		{"dcmove step start x --as A --data-dir d", "dcmove step start --as A --data-dir d x"},
		{"dcmove step start --as A x", "dcmove step start --as A x"},
		{"dcmove step start x --as=A", "dcmove step start --as=A x"},
		{"dcmove status --watch --run r", "dcmove status --watch --run r"},
		{"dcmove status --run r -w", "dcmove status --run r -w"},
		{"dcmove plan check p.yaml --bogus value", "dcmove plan check --bogus p.yaml value"},
		{"dcmove step start x -- --as", "dcmove step start -- x --as"},
		{"dcmove step start x --help", "dcmove step start --help"},
		{"dcmove step", "dcmove step"},
		{"dcmove nope x --as A", "dcmove nope x --as A"},
		{"dcmove", "dcmove"},
	} {
		got := strings.Join(flagsFirst(cmds, strings.Fields(tt.args)), " ")
		if got != tt.want {
			t.Errorf("flagsFirst(%s) = %s, want %s", tt.args, got, tt.want)
		}
	}
}
