package gantt_test

import (
	"os"
	"time"

	"github.com/dcmove/dcmove/planner/gantt"
)

func ExampleText() {
	at := func(hhmm string) time.Time {
		t, _ := time.Parse("2006-01-02 15:04", "2026-12-05 "+hhmm)
		return t
	}
	c := gantt.Chart{
		Title:           "Move web-1",
		WindowStart:     at("08:00"),
		WindowEnd:       at("12:00"),
		PointOfNoReturn: at("10:00"),
		Bars: []gantt.Bar{
			{ID: "shutdown", Title: "Shut down web-1", Who: "Ana", Start: at("08:00"), End: at("08:30"), Critical: true},
			{ID: "go", Title: "Go/no-go", Who: "Ana", Start: at("08:30"), End: at("08:45"), Critical: true, Gate: true},
			{ID: "label", Title: "Label the cables", Who: "Ben", Start: at("08:00"), End: at("08:30"), Slack: time.Hour},
			{ID: "carry", Title: "Carry web-1 to PA3", Who: "Ana", Start: at("08:45"), End: at("12:30"), Critical: true},
		},
	}
	gantt.Text(os.Stdout, c, 40)
	// Output:
	// Move web-1
	// Window   Sat 5 Dec 08:00 – Sat 5 Dec 12:00 (4h, UTC)
	// Makespan 4h30m, Sat 5 Dec 08:00 – Sat 5 Dec 12:30; ends 30m after the window end
	// PONR     Sat 5 Dec 10:00 (point of no return)
	//
	//             08:00 09:00 10:00 11:00 12:00
	//             +-----+-----+-----+-----+----+
	//                         P           E
	// * shutdown  ███         |           |       08:00–08:30  Ana  Shut down web-1
	// * go           █◆       |           |       08:30–08:45  Ana  Go/no-go
	//   label     ███░░░░░░   |           |       08:00–08:30  Ben  Label the cables
	// * carry          ██████████████████████     08:45–12:30  Ana  Carry web-1 to PA3
	//
	// Legend   * critical path  █ step  ░ slack  ▒ back-out step  ◆ go/no-go gate
	//          P | point of no return 10:00  E | window end 12:00
	//          times in UTC
}
