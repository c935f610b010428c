package main

import (
	"context"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
)

// checkpointEvery is how often serve brings the checkpoint of the run
// started last up to date.
var checkpointEvery = 10 * time.Second

// keepCheckpoints brings the checkpoint of the run started last up to
// date every checkpointEvery, until ctx is done. Under serve only the
// holder may write checkpoints (the other processes have the crew
// credential): without this, every command would fold the whole run.
// Errors are not fatal: commands fold from an older checkpoint, or the
// start, as right but slower.
func keepCheckpoints(ctx context.Context, l *jetstream.Log) {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		checkpointLastRun(ctx, l)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkpointLastRun folds the run started last from its checkpoint and
// saves a new one if it read anything.
func checkpointLastRun(ctx context.Context, l *jetstream.Log) {
	run, err := l.LastRun(ctx)
	if err != nil {
		return
	}
	store, err := l.Checkpoints(ctx)
	if err != nil {
		return
	}
	events.ReplayCheckpointed(ctx, l, store, run, runbooks.NewRun(run))
}
