package projections

import (
	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

// Measured returns, by step id, how long the steps of the run that were
// started and completed took: from their last start (after a failure and
// retry) to their completion. Steps failed, skipped, cancelled or still
// running are not measured, nor are cool-downs: they end by their timer, not
// by anyone's work.
//
// It is a view of the run's model, as status is: what [planner.Calibrate]
// compares with a plan's estimates.
func Measured(r *runbooks.Run) map[string]planner.Measurement {
	out := map[string]planner.Measurement{}
	for _, st := range r.Steps {
		if st.Recorded() != runbooks.Done || st.Kind == events.KindCooldown || st.Started.IsZero() {
			continue
		}
		out[st.ID] = planner.Measurement{Step: st.ID, Started: st.Started, Completed: st.Done, Actual: st.Done.Sub(st.Started)}
	}
	return out
}
