package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/dcmove/dcmove/events"
)

// Checkpointed is a fold that can save its state and start again from it, so
// that a replay reads only the records appended since.
type Checkpointed interface {
	Fold
	// CheckpointName names the projection in checkpoint keys ("status"):
	// an id as [events.ValidID] accepts.
	CheckpointName() string
	// CheckpointVersion names the snapshot format and the meaning of Apply:
	// it changes whenever either does, so that a checkpoint written by
	// another version is rebuilt rather than misread.
	CheckpointVersion() string
	// Checkpoint returns a snapshot of the state.
	Checkpoint() ([]byte, error)
	// Restore replaces the state with a snapshot Checkpoint returned, or
	// returns an error and leaves the state as it was.
	Restore([]byte) error
}

// DefaultCheckpointEvery is how many records [ReplayCheckpointed] folds
// between two checkpoints, unless told otherwise with [CheckpointEvery].
const DefaultCheckpointEvery = 50_000

// ReplayOption changes how [Replay] and [ReplayCheckpointed] run.
type ReplayOption func(*replayConfig)

type replayConfig struct {
	progress *Progress
	every    int
}

// WithProgress shows the replay's progress on p (nil: nowhere).
func WithProgress(p *Progress) ReplayOption {
	return func(c *replayConfig) { c.progress = p }
}

// CheckpointEvery makes [ReplayCheckpointed] save a checkpoint after every n
// records it folds (and at the end); n < 1 saves at the end only.
func CheckpointEvery(n int) ReplayOption {
	return func(c *replayConfig) { c.every = n }
}

func replayOptions(opts []ReplayOption) replayConfig {
	c := replayConfig{every: DefaultCheckpointEvery}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// ReplayCheckpointed is [Replay] for a fold with checkpoints in store: it
// restores f from the run's last checkpoint and folds only the records
// appended after it, then saves a new checkpoint (every so many records, and
// at the end). f must be fresh (no record applied). A checkpoint that cannot
// serve is ignored and the run folded from its start: one of another
// version, one that does not restore, or one whose last record the log does
// not hold (the log was started again). It returns how many records it
// applied. An error saving a checkpoint is returned, but f is complete.
func ReplayCheckpointed(ctx context.Context, l events.Log, store events.CheckpointStore, run string, f Checkpointed, opts ...ReplayOption) (int, error) {
	c := replayOptions(opts)
	key := events.CheckpointKey(f.CheckpointName(), run)
	cp, err := store.Load(ctx, key)
	switch {
	case errors.Is(err, events.ErrNoCheckpoint):
		cp = events.Checkpoint{}
	case err != nil:
		return 0, fmt.Errorf("replay run %s: %w", run, err)
	case cp.Version != f.CheckpointVersion():
		cp = events.Checkpoint{}
	}
	saver := &checkpointSaver{store: store, key: key, f: f, every: c.every}
	defer c.progress.Finish()
	if cp.Seq > 0 {
		n, resumed, err := resume(ctx, l, run, cp, f, saver, c.progress)
		if err != nil {
			return n, err
		}
		if resumed {
			return n, saver.final(ctx)
		}
	}
	n, err := replay(ctx, l, run, f, saver, c.progress)
	if err != nil {
		return n, err
	}
	return n, saver.final(ctx)
}

// resume restores f from cp and folds the records after it. It reports
// resumed false, with f untouched, when the log does not hold cp's last
// record where cp says or f does not restore from it.
func resume(ctx context.Context, l events.Log, run string, cp events.Checkpoint, f Checkpointed, s *checkpointSaver, p *Progress) (n int, resumed bool, err error) {
	p.start(ctx, l, run, cp.Seq)
	for r, err := range l.Read(ctx, run, cp.Seq) {
		if err != nil {
			return n, resumed, fmt.Errorf("replay run %s: %w", run, err)
		}
		if !resumed {
			if r.Seq != cp.Seq || r.ID != cp.ID || f.Restore(cp.State) != nil {
				return 0, false, nil
			}
			resumed = true
			s.at(r)
			continue
		}
		f.Apply(r)
		n++
		p.Record(r.Seq)
		if err := s.applied(ctx, r); err != nil {
			return n, true, err
		}
	}
	return n, resumed, nil
}

// checkpointSaver saves a fold's checkpoint every so many records.
type checkpointSaver struct {
	store   events.CheckpointStore
	key     string
	f       Checkpointed
	every   int
	last    events.Record // the last record folded
	pending int           // records folded since the last checkpoint
}

// at notes that the fold's state is that after r, as saved.
func (s *checkpointSaver) at(r events.Record) { s.last, s.pending = r, 0 }

// applied notes that the fold applied r, and saves a checkpoint if it is
// time.
func (s *checkpointSaver) applied(ctx context.Context, r events.Record) error {
	s.last = r
	s.pending++
	if s.every > 0 && s.pending >= s.every {
		return s.save(ctx)
	}
	return nil
}

// final saves a checkpoint if the fold applied records since the last one.
func (s *checkpointSaver) final(ctx context.Context) error {
	if s.pending == 0 {
		return nil
	}
	return s.save(ctx)
}

func (s *checkpointSaver) save(ctx context.Context) error {
	state, err := s.f.Checkpoint()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", s.key, err)
	}
	cp := events.Checkpoint{Version: s.f.CheckpointVersion(), Seq: s.last.Seq, ID: s.last.ID, State: state}
	if err := s.store.Save(ctx, s.key, cp); err != nil {
		return err
	}
	s.pending = 0
	return nil
}
