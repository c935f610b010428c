package projections_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
)

func reportOf(recs []events.Record) *projections.Report {
	return projections.Records(recs).Feed(projections.NewReport()).(*projections.Report)
}

func TestReportPhasesAndLate(t *testing.T) {
	rp := reportOf(liveRun(t))
	phases, total := rp.Phases()
	want := []projections.PhaseTotal{
		{Phase: "before", Steps: 2, Done: 2, Planned: 90 * time.Minute, Actual: 100 * time.Minute},
		// go-no-go 12m/15m, shutdown 35m/30m, cool-down cut to 15m/30m,
		// unrack 1h30m/1h, rack 2h/1h, validate 45m/1h
		{Phase: "move", Steps: 6, Done: 6, Planned: 4*time.Hour + 15*time.Minute, Actual: 5*time.Hour + 17*time.Minute},
		// cleanup skipped, announce 15m/15m
		{Phase: "after", Steps: 2, Done: 1, Planned: 15 * time.Minute, Actual: 15 * time.Minute},
	}
	if len(phases) != len(want) {
		t.Fatalf("phases %+v", phases)
	}
	for i := range want {
		if phases[i] != want[i] {
			t.Errorf("phase %d: %+v, want %+v", i, phases[i], want[i])
		}
	}
	if total.Steps != 10 || total.Done != 9 || total.Planned != 6*time.Hour || total.Actual != 7*time.Hour+12*time.Minute {
		t.Errorf("total %+v", total)
	}
	var late []string
	for _, l := range rp.Late() {
		late = append(late, l.ID+" +"+l.Over().String())
	}
	if got := strings.Join(late, ", "); got != "rack-db +1h0m0s, unrack-db +30m0s, capture +10m0s, shutdown-db +5m0s" {
		t.Errorf("late steps, latest first: %s", got)
	}
	if rp.DegradedTotal() != 5*time.Hour+20*time.Minute {
		t.Errorf("degraded %s", rp.DegradedTotal())
	}
	end, ok := rp.MoveEnd()
	if !ok || !end.Equal(paris(t, 5, "14:30")) {
		t.Errorf("move end %v %v, want validate's end", end, ok)
	}
}

func TestReportDeviations(t *testing.T) {
	rp := reportOf(liveRun(t))
	var got []string
	for _, d := range rp.Deviations {
		got = append(got, d.Kind+" "+d.Subject+" "+d.Note)
	}
	want := []string{
		"warning accepted L013 ",
		"blocked backup blocked for 30m (key found)",
		"failed capture ",
		"retried capture ",
		"cool-down cut short db-1 15m before its end",
		"not understood seq 37 ",
		"skipped cleanup-pa2 ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("deviations:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	gates := rp.Gates()
	if len(gates) != 1 || gates[0].Outcome != "go" || len(gates[0].Signatures) != 2 || !gates[0].At.Equal(paris(t, 5, "09:12")) {
		t.Errorf("gates %+v", gates)
	}
}

func TestReportBackout(t *testing.T) {
	rp := reportOf(backoutRun(t))
	if rp.Backout == nil || rp.Backout.Trigger != "go-no-go" || rp.Backout.Cancelled != 7 {
		t.Fatalf("back-out %+v", rp.Backout)
	}
	if g := rp.Gates(); len(g) != 1 || g[0].Outcome != "no-go" {
		t.Errorf("gates %+v", g)
	}
	var kinds []string
	for _, m := range rp.Timeline() {
		kinds = append(kinds, m.Kind)
	}
	if got := strings.Join(kinds, " "); got != "start no-go backout finished" {
		t.Errorf("timeline kinds %s", got)
	}
	var b bytes.Buffer
	if err := projections.WriteReportMarkdown(&b, rp); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-backout.md", b.Bytes())
}

func TestReportGolden(t *testing.T) {
	rp := reportOf(liveRun(t))
	c, err := projections.Compare(reportOf(rehearsalRun(t, "sha-1")), rp)
	if err != nil {
		t.Fatal(err)
	}
	rp.Rehearsal = c
	var md, page bytes.Buffer
	if err := projections.WriteReportMarkdown(&md, rp); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.md", md.Bytes())
	if err := projections.WriteReportHTML(&page, rp); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html", page.Bytes())
	for _, section := range []string{"summary", "timeline", "phases", "late", "gates", "deviations", "degraded", "rehearsal"} {
		if !strings.Contains(page.String(), `<section id="`+section+`">`) {
			t.Errorf("the HTML report has no %s section", section)
		}
	}
	for _, external := range []string{"<script", "<link", "src=", "@import", "url("} {
		if strings.Contains(page.String(), external) {
			t.Errorf("the HTML report is not self-contained: it has %q", external)
		}
	}
}

// A report of a run under way says what is known so far.
func TestReportUnderWay(t *testing.T) {
	recs := liveRun(t)
	rp := projections.NewReport()
	projections.Records(recs).Feed(projections.AsOf(paris(t, 5, "10:00"), rp))
	var b bytes.Buffer
	if err := projections.WriteReportMarkdown(&b, rp); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| **Move ended** | not yet — as of the last event, Sat 5 Dec 09:50 |") ||
		!strings.Contains(b.String(), "| Sat 5 Dec 09:15 | still on | 35m | reporting |") {
		t.Errorf("report under way:\n%s", b.String())
	}
}
