package gantt_test

import (
	"testing"
	"time"

	// The sample chart is in Europe/Paris, on any machine.
	_ "time/tzdata"

	"github.com/dcmove/dcmove/planner/gantt"
)

// sample is the chart the golden files draw: a Saturday move from PA2 to
// PA3 in three phases, with a go/no-go gate, a back-out step that starts at
// the point of no return, and a last step that runs past the window end.
func sample(t testing.TB) gantt.Chart {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	at := func(hhmm string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-05 "+hhmm, paris)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	bar := func(id, title, phase, who, start, end string, slack time.Duration) gantt.Bar {
		return gantt.Bar{ID: id, Title: title, Phase: phase, Who: who, Start: at(start), End: at(end), Slack: slack}
	}
	crit := func(b gantt.Bar) gantt.Bar { b.Critical = true; return b }
	bars := []gantt.Bar{
		bar("remind-customers", "Remind customers of the degraded-mode window", "before", "Claire Martin", "07:00", "07:30", 2*time.Hour+30*time.Minute),
		crit(bar("capture-fw-rules", "Export every firewall rule from the PA2 provider's equipment", "before", "Karim Haddad", "07:00", "08:00", 0)),
		bar("verify-backups", "Restore last night's database backup off-site", "before", "Hugo Leroy", "07:00", "07:45", 2*time.Hour+15*time.Minute),
		bar("prepare-pa3", "Check PA3 racks, power & cross-connects", "before", "Julien Petit", "07:00", "08:30", 90*time.Minute),
		crit(bar("recreate-fw-rules", "Re-create the captured rules for PA3, drop the obsolete ones", "before", "Karim Haddad", "08:00", "10:00", 0)),
		crit(bar("go-no-go", "Go/no-go: backups verified, rules ready, PA3 ready", "before", "Claire Martin", "10:00", "10:15", 0)),
		crit(bar("shutdown-servers", "Shut down web, app and database servers cleanly", "move", "Hugo Leroy", "10:15", "11:00", 0)),
		crit(bar("cool-down", "Let the machines cool down before handling them", "move", "Julien Petit", "11:00", "11:30", 0)),
		bar("pa2-exit", "PA2 exit procedure: ID checks, fingerprints, release paperwork", "move", "Claire Martin", "10:15", "11:45", 75*time.Minute),
		crit(bar("unrack-servers", "Unrack and label web, app, database and backup servers", "move", "Julien Petit", "11:30", "13:00", 0)),
		crit(bar("carry-to-pa3", "Carry the equipment 50 m to PA3 and sign it in", "move", "van-1", "13:00", "14:00", 0)),
		crit(bar("rack-servers", "Rack and cable the servers at PA3", "move", "Julien Petit", "14:00", "16:30", 0)),
		bar("backout-to-pa2", "Back out: carry the equipment back, re-rack and restart at PA2", "move", "Claire Martin", "14:30", "20:00", 0),
		crit(bar("start-database", "Start the database and check its integrity", "after", "Hugo Leroy", "16:30", "17:15", 0)),
		crit(bar("validate-service", "Validate from outside: DNS, TCP, HTTP and the order flow", "after", "Hugo Leroy", "17:15", "20:30", 0)),
	}
	bars[5].Gate = true
	bars[12].Backout = true
	return gantt.Chart{
		Title:           "Workit weekend move, PA2 to PA3",
		Location:        paris,
		WindowStart:     at("07:00"),
		WindowEnd:       at("20:00"),
		PointOfNoReturn: at("14:30"),
		Bars:            bars,
	}
}
