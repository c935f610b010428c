package projections

import (
	"context"

	"github.com/dcmove/dcmove/events"
)

// Fold is a projection: a state changed by one record at a time.
type Fold = events.Fold

// Checkpointed is a fold that can save its state and start again from it.
type Checkpointed = events.Checkpointed

// ReplayOption changes how [Replay] and [ReplayCheckpointed] run.
type ReplayOption = events.ReplayOption

// DefaultCheckpointEvery is how many records [ReplayCheckpointed] folds
// between two checkpoints, unless told otherwise with [CheckpointEvery].
const DefaultCheckpointEvery = events.DefaultCheckpointEvery

// WithProgress shows the replay's progress on p (nil: nowhere).
func WithProgress(p *Progress) ReplayOption {
	if p == nil {
		return events.WithObserver(nil)
	}
	return events.WithObserver(p)
}

// CheckpointEvery makes [ReplayCheckpointed] save a checkpoint after every n
// records it folds (and at the end); n < 1 saves at the end only.
func CheckpointEvery(n int) ReplayOption { return events.CheckpointEvery(n) }

// Replay feeds f every record of run from the start of the log up to the
// last one stored now, and returns how many it applied.
func Replay(ctx context.Context, l events.Log, run string, f Fold, opts ...ReplayOption) (int, error) {
	return events.Replay(ctx, l, run, f, opts...)
}

// ReplayCheckpointed is [Replay] for a fold with checkpoints in store: see
// [events.ReplayCheckpointed].
func ReplayCheckpointed(ctx context.Context, l events.Log, store events.CheckpointStore, run string, f Checkpointed, opts ...ReplayOption) (int, error) {
	return events.ReplayCheckpointed(ctx, l, store, run, f, opts...)
}
