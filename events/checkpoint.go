package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Checkpoint is a projection's state saved at a point of a run, so that the
// next replay folds only the records that came after it.
type Checkpoint struct {
	// Version names the projection's snapshot format: a projection ignores
	// (and rebuilds) a checkpoint of another version.
	Version string
	// Seq is the sequence of the last record folded into State, and ID that
	// record's envelope id: a reader checks that the log still holds it at
	// Seq, so a checkpoint of a log since deleted and started again is
	// recognised as stale.
	Seq uint64
	ID  string
	// Hash is that record's hash ([LinkTo]): a reader also checks it, so a
	// checkpoint is used only when its head is the very event the log holds
	// at Seq. A checkpoint without it is not used.
	Hash string
	// State is the projection's snapshot, in its own format.
	State []byte
}

// CheckpointStore keeps one checkpoint per key. Keys are made with
// [CheckpointKey].
type CheckpointStore interface {
	// Load returns the checkpoint under key, or an error wrapping
	// [ErrNoCheckpoint] when there is none that can be read.
	Load(ctx context.Context, key string) (Checkpoint, error)
	// Save replaces the checkpoint under key.
	Save(ctx context.Context, key string, cp Checkpoint) error
}

// ErrNoCheckpoint means a key holds no usable checkpoint: none was saved, or
// what is stored cannot be read. Callers fold from the start of the run.
var ErrNoCheckpoint = errors.New("events: no checkpoint")

// CheckpointKey returns the key of projection's checkpoint for run,
// "<projection>.<run>". A projection name is an id as [ValidID] accepts.
func CheckpointKey(projection, run string) string { return projection + "." + run }

// CheckKey reports what is wrong with a checkpoint key: a key-value key is a
// NATS subject suffix, made of letters, digits and - / _ = separated by
// single dots.
func CheckKey(key string) error {
	parts := strings.Split(key, ".")
	for _, p := range parts {
		if !ValidID(p) {
			return fmt.Errorf("events: checkpoint key %q: want <projection>.<run>, each made of letters, digits, '-' and '_'", key)
		}
	}
	return nil
}
