// Package jetstream is dcmove's one NATS adapter: the [events.Log] on NATS
// JetStream, the embedded server and how dcmove processes share a data
// directory, timers on JetStream message schedules, and projection
// checkpoints in a key-value bucket.
//
// [Open] connects to an existing NATS server, or starts an embedded one on a
// data directory and shares it with the other dcmove processes on the same
// directory ([ServerFileName]). Events are stored in the stream
// [StreamName]; timers are message schedules in a stream of their own
// ([TimersStreamName]) that the server fires into the event stream;
// checkpoints live in the bucket [CheckpointBucket].
//
// Only this package and the CLI import nats.go or nats-server.
package jetstream
