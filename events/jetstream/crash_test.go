//go:build unix

package jetstream_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
)

// TestCrashedHolderLosesNothing runs a child process that holds a data
// directory and appends events, kills it with SIGKILL after it reported
// them acknowledged, and checks that a new process finds every one and takes
// over the directory despite the server file the child left behind.
func TestCrashedHolderLosesNothing(t *testing.T) {
	if os.Getenv("DCMOVE_CRASH_CHILD") != "" {
		crashChild()
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashedHolderLosesNothing$")
	cmd.Env = append(os.Environ(), "DCMOVE_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	acked := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			if acked, err = strconv.Atoi(n); err != nil {
				t.Fatal(err)
			}
			if acked >= 50 {
				break
			}
		}
	}
	if acked < 50 {
		t.Fatalf("child acknowledged only %d events: %v", acked, sc.Err())
	}
	// Kill it mid-stream: it is still appending.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, jetstream.ServerFileName)); err != nil {
		t.Fatalf("the killed child left no server file to ignore: %v", err)
	}

	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir, Wait: 5 * time.Second})
	if err != nil {
		t.Fatalf("reopen after the holder was killed: %v", err)
	}
	defer l.Close()
	if l.Served() == "" {
		t.Fatal("the new process did not take over the data directory")
	}
	if n := count(t, l, "crash"); n < acked {
		t.Fatalf("after the crash the log holds %d events; %d were acknowledged", n, acked)
	}
}

// crashChild appends single events to run "crash" forever, printing the
// number acknowledged after each.
func crashChild() {
	dir := os.Getenv("DCMOVE_CRASH_CHILD")
	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var seq uint64
	for i := 1; ; i++ {
		e, _ := events.New(time.Now(), events.Origin{Run: "crash", Actor: "child"}, "step/s", events.StepStarted{Step: "s"})
		if seq, err = l.Append(context.Background(), "crash", seq, e); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Printf("acked %d\n", i)
	}
}

// crashKills is how many times TestKilledWritersLoseNothing kills a
// writer: DCMOVE_SOAK_KILLS, or 6 (a soak runs hundreds).
func crashKills(t *testing.T) int {
	n := 6
	if v := os.Getenv("DCMOVE_SOAK_KILLS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("DCMOVE_SOAK_KILLS=%q: want a positive number", v)
		}
	}
	return n
}

// TestKilledWritersLoseNothing kills (SIGKILL) a process appending to a
// data directory it holds, at a random moment, again and again, each new
// writer taking over from the killed one. The writers append one event at
// a time and atomic batches of 50, and report each acknowledged append.
// Every acknowledged event must be stored exactly once, and every batch
// stored whole or not at all.
func TestKilledWritersLoseNothing(t *testing.T) {
	if os.Getenv("DCMOVE_KILL_CHILD") != "" {
		killChild()
		return
	}
	dir := t.TempDir()
	kills := crashKills(t)
	acked := map[string]bool{}
	batches := map[string][]string{} // first id -> the batch's ids
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for k := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWritersLoseNothing$")
		cmd.Env = append(os.Environ(), "DCMOVE_KILL_CHILD="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Let it start and write a little, then kill it at a random moment.
		alive := 300*time.Millisecond + time.Duration(rng.Int64N(int64(400*time.Millisecond)))
		timer := time.NewTimer(alive)
	read:
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					break read
				}
				ids := strings.Fields(strings.TrimPrefix(line, "acked "))
				if !strings.HasPrefix(line, "acked ") {
					t.Fatalf("writer %d: %s", k, line)
				}
				for _, id := range ids {
					acked[id] = true
				}
				if len(ids) > 1 {
					batches[ids[0]] = ids
				}
			case <-timer.C:
				cmd.Process.Signal(syscall.SIGKILL)
				timer.C = nil
			}
		}
		cmd.Wait()
	}

	l, err := jetstream.Open(context.Background(), jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stored := map[string]int{}
	for r, err := range l.Read(context.Background(), "kill", 0) {
		if err != nil {
			t.Fatal(err)
		}
		stored[r.ID]++
	}
	lost, duplicated := 0, 0
	for id := range acked {
		if stored[id] == 0 {
			lost++
		}
	}
	for _, n := range stored {
		if n > 1 {
			duplicated++
		}
	}
	partial := 0
	for _, ids := range batches {
		in := 0
		for _, id := range ids {
			in += min(stored[id], 1)
		}
		if in != 0 && in != len(ids) {
			partial++
		}
	}
	t.Logf("%d writers killed: %d events acknowledged, %d stored, %d lost, %d duplicated, %d of %d batches partial", kills, len(acked), len(stored), lost, duplicated, partial, len(batches))
	if lost+duplicated+partial > 0 || len(acked) == 0 {
		t.Fatal("an acknowledged event was lost or duplicated, a batch stored in part, or nothing was acknowledged")
	}
}

// killChild appends to run "kill" until killed, after whatever the run
// holds: single events, and every tenth append an atomic batch of 50. It
// prints "acked" and the ids of each acknowledged append.
func killChild() {
	ctx := context.Background()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: os.Getenv("DCMOVE_KILL_CHILD")})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	seq, err := l.LastSeq(ctx, "kill")
	for i := 0; err == nil; i++ {
		n := 1
		if i%10 == 9 {
			n = 50
		}
		evs := make([]events.Envelope, n)
		ids := make([]string, n)
		for j := range evs {
			evs[j], _ = events.New(time.Now(), events.Origin{Run: "kill", Actor: "child"}, "step/s", events.StepStarted{Step: "s"})
			ids[j] = evs[j].ID
		}
		if seq, err = l.Append(ctx, "kill", seq, evs...); err == nil {
			fmt.Println("acked", strings.Join(ids, " "))
		}
	}
	fmt.Println("error", err)
	os.Exit(1)
}
