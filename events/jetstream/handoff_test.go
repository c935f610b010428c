package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
)

// TestHolderThatExitsIsNotAnError has four logs on one data directory (flock
// is per open file, so they behave as four processes): the first holds it,
// the others join. The joiners append to one run as commands do (read the
// last sequence, append after it, read again on a conflict) while the
// holder closes, then while the joiner that took over closes too. Every
// append must succeed, and every acknowledged event be stored exactly once.
func TestHolderThatExitsIsNotAnError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() *jetstream.Log {
		l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	holder := open()
	if holder.Served() == "" {
		t.Fatal("the first log does not serve the directory")
	}
	joiners := []*jetstream.Log{open(), open(), open()}
	for _, j := range joiners {
		if j.Served() != "" {
			t.Fatal("a joiner serves the directory")
		}
	}

	const perWriter = 60
	var mu sync.Mutex
	acked := map[string]int{}
	type failure struct {
		writer int
		err    error
	}
	errs := make(chan failure, len(joiners))
	var wg sync.WaitGroup
	progress := make(chan struct{}, len(joiners)*perWriter)
	for w, l := range joiners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				e, err := events.New(time.Now(), events.Origin{Run: "handoff", Actor: fmt.Sprint("w", w)}, "step/s", events.StepStarted{Step: "s"})
				if err == nil {
					err = appendAsACommand(ctx, l, e)
				}
				if err != nil {
					errs <- failure{w, fmt.Errorf("writer %d, event %d: %w", w, i, err)}
					return
				}
				mu.Lock()
				acked[e.ID]++
				mu.Unlock()
				progress <- struct{}{}
			}
		}()
	}
	// The holder exits after a third of the appends, the next holder after
	// two thirds.
	waitFor := func(n int) {
		for range n {
			select {
			case <-progress:
			case f := <-errs:
				t.Fatal(f.err)
			}
		}
	}
	waitFor(len(joiners) * perWriter / 3)
	holder.Close()
	waitFor(len(joiners) * perWriter / 3)
	var next *jetstream.Log
	stopped := -1
	for w, j := range joiners {
		if j.Served() != "" {
			next, stopped = j, w
		}
	}
	if next == nil {
		t.Fatal("after the holder exited, no joiner serves the directory")
	}
	// The new holder stops writing and exits; the others go on.
	next.Close()
	wg.Wait()
	close(errs)
	for f := range errs {
		if f.writer != stopped { // the log closed under the other one
			t.Error(f.err)
		}
	}

	var survivor *jetstream.Log
	for _, j := range joiners {
		if j != next {
			survivor = j
		}
	}
	defer survivor.Close()
	stored := map[string]int{}
	for r, err := range survivor.Read(ctx, "handoff", 0) {
		if err != nil {
			t.Fatal(err)
		}
		stored[r.ID]++
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("event %s stored %d times", id, n)
		}
	}
	for id := range acked {
		if stored[id] == 0 {
			t.Errorf("acknowledged event %s lost", id)
		}
	}
	if len(acked) < 2*perWriter {
		t.Errorf("%d appends acknowledged, want at least the two writers that stayed (%d)", len(acked), 2*perWriter)
	}
	t.Logf("%d events acknowledged across two holder exits, %d stored, 0 lost, 0 duplicated", len(acked), len(stored))
}

// appendAsACommand appends e after the run's last record, reading it again
// when another writer got in first.
func appendAsACommand(ctx context.Context, l *jetstream.Log, e events.Envelope) error {
	for {
		last, err := l.LastSeq(ctx, e.Run)
		if err != nil {
			return err
		}
		_, err = l.Append(ctx, e.Run, last, e)
		if errors.Is(err, events.ErrConflict) {
			continue
		}
		return err
	}
}
