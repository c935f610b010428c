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
// [JetStreamLog] implements [Log] on NATS JetStream. [Open] connects it to an
// existing NATS server, or starts an embedded one on a data directory and
// shares it with the other dcmove processes on the same directory. Its
// timers are JetStream message schedules in a stream of their own
// ([TimersStreamName]) that the server fires into the event stream.
//
// This package knows nothing of plans, runbooks or projections.
package events
