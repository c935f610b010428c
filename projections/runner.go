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
func Replay(ctx context.Context, l events.Log, run string, f Fold, opts ...ReplayOption) (int, error) {
	c := replayOptions(opts)
	defer c.progress.Finish()
	return replay(ctx, l, run, f, nil, c.progress)
}

// replay feeds f the records of run up to the last one stored now, telling
// s (if any) and p of each.
func replay(ctx context.Context, l events.Log, run string, f Fold, s *checkpointSaver, p *Progress) (int, error) {
	p.start(ctx, l, run, 0)
	n := 0
	for r, err := range l.Read(ctx, run, 0) {
		if err != nil {
			return n, fmt.Errorf("replay run %s: %w", run, err)
		}
		f.Apply(r)
		n++
		p.Record(r.Seq)
		if s != nil {
			if err := s.applied(ctx, r); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

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
