package events

import (
	"context"
	"iter"
	"time"
)

// AnySequence, as the expectation of [Log.Append], appends without checking
// what the run holds. Commands never use it: they pass the sequence of the
// last record they read.
const AnySequence = ^uint64(0)

// MaxBatch is the most envelopes one atomic append can hold (the server's
// atomic batch limit).
const MaxBatch = 1000

// Log is an append-only, replayable store of envelopes, partitioned by run.
type Log interface {
	// Append stores evs in run as one atomic unit: all of them or none.
	// after is the sequence of the last record of the run the caller read
	// (0 for a run that must not exist yet); if the run has moved on, Append
	// stores nothing and returns an error wrapping [ErrConflict]. A retry of
	// an append that already landed (the same envelope ids) stores nothing
	// again and returns the sequence it was stored at; a batch that repeats
	// only some stored ids stores nothing and returns an error wrapping
	// [ErrDuplicate]. It returns the sequence of the last stored envelope.
	Append(ctx context.Context, run string, after uint64, evs ...Envelope) (uint64, error)

	// Read yields the records of run with a sequence of at least from, in
	// order, up to the last one stored when Read was called.
	Read(ctx context.Context, run string, from uint64) iter.Seq2[Record, error]

	// Follow is Read that does not stop: it keeps yielding records as they
	// are appended, until ctx is done or the caller stops.
	Follow(ctx context.Context, run string, from uint64) iter.Seq2[Record, error]

	// Schedule makes the log append e to its run at time at (at least
	// once), even if no dcmove command runs then; with the embedded server,
	// a timer due while no dcmove process holds the data directory fires
	// when one next does. A due time in the past fires at once. The stored
	// envelope's Time is at. Schedule validates e as Append does. Calling it
	// again with the same envelope id before the timer fires keeps one
	// timer, but readers must tolerate a record whose id they have seen (a
	// timer cannot carry a de-duplication id into the run). A scheduled
	// envelope lands after whatever the run holds then, like an Append with
	// [AnySequence]: a writer that read the run before it gets
	// [ErrConflict].
	Schedule(ctx context.Context, e Envelope, at time.Time) error

	// LastRun returns the id of the run started last, or [ErrNoRun].
	LastRun(ctx context.Context) (string, error)

	// Close releases the log (and the embedded server it started, if any).
	Close() error
}
