// Package runbooks is the command side of a cutover: each action of the team
// (start the cutover, start a step, finish it) reads the run's current state
// from the event log, checks the guard that keeps the move safe, and appends
// the resulting events.
//
// A guard that refuses returns an error wrapping [ErrRefused] that names
// exactly what is missing. Commands are validated against the state at the
// run's last sequence and appended with that expectation; when another
// command got in first, the command re-reads and re-checks once, so two
// people can never both start the same step.
//
// Every time comes from a [Clock], so the demo and tests can run a weekend
// faster than real time.
package runbooks
