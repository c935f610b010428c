package projections

import (
	"context"
	"fmt"

	"github.com/dcmove/dcmove/events"
)

// Watch feeds f the records of run from sequence from on: those stored now,
// then calls changed once caught up (with the last record applied, or a zero
// Record if there was none), then applies every record as it is appended and
// calls changed after each, until ctx is done (it then returns nil) or the
// log fails. To resume a watch on a new connection, pass the sequence after
// the last one f applied.
func Watch(ctx context.Context, l events.Log, run string, from uint64, f Fold, changed func(events.Record)) error {
	next := from
	var last events.Record
	for r, err := range l.Read(ctx, run, from) {
		if err != nil {
			return fmt.Errorf("watch run %s: %w", run, err)
		}
		f.Apply(r)
		last, next = r, r.Seq+1
	}
	changed(last)
	for r, err := range l.Follow(ctx, run, next) {
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
