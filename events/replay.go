package events

import (
	"context"
	"errors"
	"fmt"
)

// Fold is a projection: a state changed by one record at a time.
type Fold interface {
	Apply(Record)
}

// Replay feeds f every record of run from the start of the log up to the
// last one stored now, and returns how many it applied.
func Replay(ctx context.Context, l Log, run string, f Fold, opts ...ReplayOption) (int, error) {
	c := replayOptions(opts)
	defer c.progress.Finish()
	return replay(ctx, l, run, f, nil, c.progress)
}

// replay feeds f the records of run up to the last one stored now, telling
// s (if any) and p of each.
func replay(ctx context.Context, l Log, run string, f Fold, s *checkpointSaver, p ReplayObserver) (int, error) {
	p.Start(ctx, l, run, 0)
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

// Checkpointed is a fold that can save its state and start again from it, so
// that a replay reads only the records appended since.
type Checkpointed interface {
	Fold
	// CheckpointName names the projection in checkpoint keys ("status"):
	// an id as [ValidID] accepts.
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
	progress ReplayObserver
	every    int
	atLeast  int
}

// ReplayObserver is told how a replay goes, to show its progress.
type ReplayObserver interface {
	// Start says the replay reads run from sequence from in l.
	Start(ctx context.Context, l Log, run string, from uint64)
	// Record says the replay folded the record at seq.
	Record(seq uint64)
	// Finish says the replay is over.
	Finish()
}

// WithObserver tells o how the replay goes.
func WithObserver(o ReplayObserver) ReplayOption {
	return func(c *replayConfig) {
		if o != nil {
			c.progress = o
		}
	}
}

// SaveAtLeast makes [ReplayCheckpointed] save its final checkpoint only when
// it folded at least n records since the last one, so that a command that
// reads a few records does not write a checkpoint each time.
func SaveAtLeast(n int) ReplayOption {
	return func(c *replayConfig) { c.atLeast = n }
}

// nobody observes a replay.
type nobody struct{}

func (nobody) Start(context.Context, Log, string, uint64) {}
func (nobody) Record(uint64)                              {}
func (nobody) Finish()                                    {}

// CheckpointEvery makes [ReplayCheckpointed] save a checkpoint after n
// records it folds, then after as many records as half the run's sequence
// so far (the cost of a checkpoint grows with the run), and at the end; n
// < 1 saves at the end only.
func CheckpointEvery(n int) ReplayOption {
	return func(c *replayConfig) { c.every = n }
}

func replayOptions(opts []ReplayOption) replayConfig {
	c := replayConfig{every: DefaultCheckpointEvery, atLeast: 1, progress: nobody{}}
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
// not hold (the log was started again, or the checkpoint names a record it
// was not made from: its sequence, id and hash must all match). It returns how many records it
// applied. An error saving a checkpoint is returned, but f is complete.
func ReplayCheckpointed(ctx context.Context, l Log, store CheckpointStore, run string, f Checkpointed, opts ...ReplayOption) (int, error) {
	c := replayOptions(opts)
	key := CheckpointKey(f.CheckpointName(), run)
	cp, err := store.Load(ctx, key)
	switch {
	case errors.Is(err, ErrNoCheckpoint):
		cp = Checkpoint{}
	case err != nil:
		return 0, fmt.Errorf("replay run %s: %w", run, err)
	case cp.Version != f.CheckpointVersion():
		cp = Checkpoint{}
	}
	saver := &checkpointSaver{store: store, key: key, f: f, every: c.every, atLeast: c.atLeast}
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
// record where cp says (the same sequence, id and hash) or f does not
// restore from it.
func resume(ctx context.Context, l Log, run string, cp Checkpoint, f Checkpointed, s *checkpointSaver, p ReplayObserver) (n int, resumed bool, err error) {
	p.Start(ctx, l, run, cp.Seq)
	for r, err := range l.Read(ctx, run, cp.Seq) {
		if err != nil {
			return n, resumed, fmt.Errorf("replay run %s: %w", run, err)
		}
		if !resumed {
			if r.Seq != cp.Seq || r.ID != cp.ID || cp.Hash == "" || LinkTo(r.Envelope).Hash != cp.Hash || f.Restore(cp.State) != nil {
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
	store   CheckpointStore
	key     string
	f       Checkpointed
	every   int
	atLeast int    // records folded since the last checkpoint that make the final one worth saving
	last    Record // the last record folded
	pending int    // records folded since the last checkpoint
	folded  int    // records folded by this replay
}

// at notes that the fold's state is that after r, as saved.
func (s *checkpointSaver) at(r Record) { s.last, s.pending = r, 0 }

// applied notes that the fold applied r, and saves a checkpoint if it is
// time.
func (s *checkpointSaver) applied(ctx context.Context, r Record) error {
	s.last = r
	s.pending++
	// A checkpoint costs the size of the state, which grows with the run:
	// saved every n records, a long replay would cost the square of the
	// run (a command reading a 28,000-event run without a checkpoint saved
	// 220 of them, 85 s). Past n, the interval grows with what this replay
	// folded (not the stream's sequence, which other runs share), so a
	// replay saves O(log) checkpoints and keeps at least half its work if
	// it is cut short.
	s.folded++
	if s.every > 0 && s.pending >= max(s.every, s.folded/2) {
		return s.save(ctx)
	}
	return nil
}

// final saves a checkpoint if the fold applied enough records since the
// last one.
func (s *checkpointSaver) final(ctx context.Context) error {
	if s.pending == 0 || s.pending < s.atLeast {
		return nil
	}
	return s.save(ctx)
}

func (s *checkpointSaver) save(ctx context.Context) error {
	state, err := s.f.Checkpoint()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", s.key, err)
	}
	cp := Checkpoint{Version: s.f.CheckpointVersion(), Seq: s.last.Seq, ID: s.last.ID, Hash: LinkTo(s.last.Envelope).Hash, State: state}
	if err := s.store.Save(ctx, s.key, cp); err != nil {
		return err
	}
	s.pending = 0
	return nil
}
