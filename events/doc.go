// Package events is dcmove's event log: the catalog of events a cutover
// produces, the CloudEvents-style [Envelope] they travel in, and the [Log]
// that stores them.
//
// Every fact about a move (a plan recorded, a step started or completed) is an
// [Envelope] appended to a [Log]. The log is append-only: nothing is updated
// or deleted. Writers use optimistic concurrency: a command validated against
// the state at sequence N appends with [Log.Append] and expectation N, and gets
// [ErrConflict] if anything was appended to the run since. Each envelope's id
// de-duplicates retries.
//
// Timers (a machine's cool-down) are envelopes handed to [Log.Schedule] with a
// due time: the log appends them to their run when they are due, whether or
// not a dcmove command is running then.
//
// The package also holds the tamper-evident hash chain ([Verify]), the
// [CheckpointStore] interface projections save their state in, and, in
// events/logtest, the conformance suite every [Log] passes. It imports no
// NATS: the one implementation on NATS JetStream is the sub-package
// events/jetstream.
//
// This package knows nothing of plans, runbooks or projections.
package events
