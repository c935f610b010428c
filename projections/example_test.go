package projections_test

import (
	"fmt"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
)

// A status is a fold: apply the run's records in order and read the result.
func ExampleStatus() {
	at := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	o := events.Origin{Run: "r1", Plan: "move", Actor: "Karim"}
	s := projections.NewStatus()
	for i, x := range []struct {
		subject string
		ev      events.Event
	}{
		{"step/capture", events.StepPlanned{Step: "capture", Title: "Capture rules", Likely: events.Duration(time.Hour)}},
		{"step/move", events.StepPlanned{Step: "move", Title: "Move", After: []string{"capture"}}},
		{"step/capture", events.StepStarted{Step: "capture"}},
		{"step/capture", events.StepCompleted{Step: "capture"}},
	} {
		e, _ := events.New(at, o, x.subject, x.ev)
		s.Apply(events.Record{Envelope: e, Seq: uint64(i + 1)})
	}
	for _, st := range s.Steps {
		fmt.Println(st.ID, st.State())
	}
	// Output:
	// capture done
	// move ready
}
