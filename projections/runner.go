package projections

import (
	"context"
	"fmt"

	"github.com/dcmove/dcmove/events"
)

// Fold is a projection: a state changed by one record at a time.
type Fold interface {
	Apply(events.Record)
}

// Replay feeds f every record of run from the start of the log up to the
// last one stored now, and returns how many it applied.
func Replay(ctx context.Context, l events.Log, run string, f Fold) (int, error) {
	n := 0
	for r, err := range l.Read(ctx, run, 0) {
		if err != nil {
			return n, fmt.Errorf("replay run %s: %w", run, err)
		}
		f.Apply(r)
		n++
	}
	return n, nil
}

// Watch replays run into f, calls changed once caught up, then keeps
// applying records as they are appended and calls changed after each, until
// ctx is done (it then returns nil) or the log fails.
func Watch(ctx context.Context, l events.Log, run string, f Fold, changed func(events.Record)) error {
	var last events.Record
	for r, err := range l.Read(ctx, run, 0) {
		if err != nil {
			return fmt.Errorf("watch run %s: %w", run, err)
		}
		f.Apply(r)
		last = r
	}
	changed(last)
	for r, err := range l.Follow(ctx, run, last.Seq+1) {
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("watch run %s: %w", run, err)
		}
		f.Apply(r)
		changed(r)
	}
	return nil
}
