// Package planner holds the plan of a datacenter move and reads it from the
// YAML file a migration lead writes.
//
// A [Plan] names the move, its [Window] (start, end, time zone), the [Person]s
// of the crew and their roles, the [Asset]s that move, and the [Step]s of the
// runbook with their [Duration] ranges, dependencies and go/no-go gates.
//
// [Load] and [Parse] read a plan file. A plan file that is not valid is
// reported as [Errors]: every problem found, each an [Error] with the
// file:line:col of the offending text and a message that says what to write
// instead. Callers tell a bad plan from an I/O failure with
// errors.Is(err, [ErrInvalid]).
//
// Once loaded, [Plan.Order] gives an order in which the steps can run,
// [Plan.CriticalPath] the longest chain of dependent steps, and
// [Plan.Summary] a one-line description for people.
//
// The package is pure: it reads no clock, opens no connection, and reads
// files only in [Load].
package planner
