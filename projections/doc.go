// Package projections turns a run's event log into what people read: the
// live [Status] of the cutover and the [Trail] of who did what when.
//
// A projection is a fold: Apply takes one [events.Record] and changes the
// state, and never fails. Records this binary cannot read (malformed, or of
// a type a newer dcmove wrote) are skipped and counted, so an older binary can
// still read a newer log. [Replay] feeds a fold from the log up to now;
// [Watch] keeps feeding it as events arrive.
package projections
