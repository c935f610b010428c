package projections

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// WriteTrail prints the audit trail as a table: time, actor, event, step,
// and planned vs actual for finished steps.
func WriteTrail(w io.Writer, t *Trail) error {
	loc := time.UTC
	if l, err := time.LoadLocation(t.TimeZone); err == nil {
		loc = l
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SEQ\tTIME (%s)\tACTOR\tEVENT\tSUBJECT\tPLANNED\tACTUAL\n", loc)
	for _, e := range t.Entries {
		what := e.What
		if e.Skipped != "" {
			what = "SKIPPED: " + e.Skipped
		}
		planned, actual := "", ""
		if e.Planned > 0 || e.Actual > 0 {
			planned, actual = planner.Span(e.Planned), planner.Span(e.Actual)
		}
		at := ""
		if !e.Time.IsZero() {
			at = e.Time.In(loc).Format("Mon 2 Jan 15:04:05")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, at, e.Actor, what, e.Subject, planned, actual)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return writeTrimmed(w, b.String())
}

// WriteTrailJSONL writes each entry's record as stored, one CloudEvents
// envelope per line with its sequence in the log added as "seq"; a record
// that could not be read is a line with its seq and why ("malformed").
func WriteTrailJSONL(w io.Writer, t *Trail) error {
	type stored struct {
		Seq uint64 `json:"seq"`
		events.Envelope
	}
	for _, e := range t.Entries {
		var line []byte
		var err error
		if e.Record.Malformed != nil {
			line, err = json.Marshal(struct {
				Seq       uint64 `json:"seq"`
				Malformed string `json:"malformed"`
			}{e.Record.Seq, e.Record.Malformed.Error()})
		} else {
			line, err = json.Marshal(stored{e.Record.Seq, e.Record.Envelope})
		}
		if err != nil {
			return fmt.Errorf("record %d: %w", e.Seq, err)
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// WriteTrailCSV writes the trail as CSV with a header row: seq, time (RFC
// 3339 in the plan's zone), actor, type, subject, what happened, and the
// planned and actual durations of step completions (as a plan file writes
// durations: 1h30m).
func WriteTrailCSV(w io.Writer, t *Trail) error {
	loc := t.Location()
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "time", "actor", "type", "subject", "what", "planned", "actual"})
	for _, e := range t.Entries {
		what := e.What
		if e.Skipped != "" {
			what = "SKIPPED: " + e.Skipped
		}
		at, planned, actual := "", "", ""
		if !e.Time.IsZero() {
			at = e.Time.In(loc).Format(time.RFC3339)
		}
		if e.Planned > 0 || e.Actual > 0 {
			planned, actual = planner.Span(e.Planned), planner.Span(e.Actual)
		}
		cw.Write([]string{strconv.FormatUint(e.Seq, 10), at, e.Actor, e.Type, e.Subject, what, planned, actual})
	}
	cw.Flush()
	return cw.Error()
}
