package main

import (
	"context"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
)

// Under serve, the other processes cannot write checkpoints (they have the
// crew credential): serve keeps the checkpoint of the run started last, so
// a command does not fold the whole run.
func TestServeKeepsTheCheckpoint(t *testing.T) {
	old := checkpointEvery
	checkpointEvery = 100 * time.Millisecond
	t.Cleanup(func() { checkpointEvery = old })
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	var served syncBuffer
	background(t, &served, clock, "serve", "--data-dir", dir)
	waitFor(t, &served, "serving data directory")
	mustRun(t, clock, "cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	ctx := context.Background()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	store, err := l.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		cp, err := store.Load(ctx, events.CheckpointKey("run", "pa2-to-pa3"))
		if err == nil && cp.Seq > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve wrote no checkpoint of the run: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
