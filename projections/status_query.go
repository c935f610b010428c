package projections

import (
	"time"

	"github.com/dcmove/dcmove/events"
)

// Queries on a run's [Status] that several views read (the board, the
// forecast, the report): what the model knows, asked one way.

// inWindow reports whether a step is part of the move itself: of a phase
// inside the window (a step of no declared timing is).
func inWindow(st *Step) bool { return st.Timing == "" || st.Timing == events.TimingWindow }

// moveEnd returns when the last step of the window finished, once every
// step of the window is done, skipped or cancelled.
func (s *Status) moveEnd() (time.Time, bool) {
	var last time.Time
	for _, st := range s.Work() {
		if !inWindow(st) {
			continue
		}
		switch st.State() {
		case Done, Skipped, Cancelled:
			if st.Done.After(last) {
				last = st.Done
			}
		default:
			return time.Time{}, false
		}
	}
	return last, !last.IsZero()
}

// lastDone returns when the last step of the run finished, back-out steps
// the move did not need included.
func (s *Status) lastDone() time.Time {
	var last time.Time
	for _, st := range s.Steps {
		if st.Done.After(last) {
			last = st.Done
		}
	}
	return last
}

// lastEnd returns when the last step of the work finished.
func lastEnd(s *Status) time.Time {
	var last time.Time
	for _, st := range s.Work() {
		if st.Done.After(last) {
			last = st.Done
		}
	}
	return last
}
