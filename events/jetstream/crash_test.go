//go:build unix

package jetstream_test

import (
	"bufio"
	"context"
	"fmt"
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
