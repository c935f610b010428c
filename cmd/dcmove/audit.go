package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nkeys"
	"github.com/urfave/cli/v2"
)

func (m *Main) auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "replay a run: its trail (time, actor, event, step, planned vs actual), filtered or exported, its state as of any instant, or the post-migration report",
		Description: `Filters keep the events that match all of them:
   dcmove audit --step unrack-web-1 | --asset web-1 | --actor "Karim Haddad" | --type gate
   dcmove audit --since "2026-12-05 08:00" --until "2026-12-05 12:00"   (the plan's time zone, or RFC 3339)
Exports: --output jsonl (the stored CloudEvents envelopes, one a line, with their seq) or csv.
The state as it was then, as dcmove status printed it: dcmove audit --as-of "2026-12-05 10:30"
The post-migration report: dcmove audit --output markdown|html [--rehearsal RUN] > report.html
The lead signs its head as the report is made: add --key FILE (or DCMOVE_KEY); the footer shows the
statement "dcmove head RUN SEQ SHA256", who signed and the signature, which
dcmove audit verify --head SEQ:HASH --head-signature SIG checks later.`,
		Flags: append(logFlags(), runFlag(),
			&cli.StringFlag{Name: "step", Usage: "keep the events of this step"},
			&cli.StringFlag{Name: "asset", Usage: "keep the events of the steps on this asset and its cool-downs"},
			&cli.StringFlag{Name: "actor", Usage: "keep what this person (or dcmove) did"},
			&cli.StringFlag{Name: "type", Usage: "keep the event types that start with this: step, gate.signed, dcmove.degraded"},
			&cli.StringFlag{Name: "since", Usage: "keep the events from this time on: 2026-12-05 08:00 (the plan's time zone) or RFC 3339"},
			&cli.StringFlag{Name: "until", Usage: "keep the events up to this time (included)"},
			&cli.StringFlag{Name: "as-of", Usage: "print the status as it was at this time, instead of the trail"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text",
				Usage: "text (the trail), json (the trail as one document; with --as-of, the status), jsonl, csv, or markdown or html (the post-migration report)"},
			&cli.StringFlag{Name: "rehearsal", Usage: "with the report: the rehearsal run whose durations it compares with this run's"},
			// Not EnvVars: DCMOVE_KEY, exported to act, signs a report only
			// if it is the lead's key; --key must be (see signHead).
			&cli.StringFlag{Name: "key", TakesFile: true,
				Usage: "with the report: your key file (default $DCMOVE_KEY); signs the run's head in the report's footer (on a run whose plan lists keys, only the lead's key may)"},
		),
		Action:      m.audit,
		Subcommands: []*cli.Command{m.auditCompareCommand(), m.auditVerifyCommand()},
	}
}

func (m *Main) audit(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("audit takes no argument (got %q); to compare two runs: dcmove audit compare RUN_A RUN_B", c.Args().First())
	}
	if err := checkOutput(c, "text", "json", "jsonl", "csv", "markdown", "html"); err != nil {
		return err
	}
	output, asOf, rehearsal := c.String("output"), c.String("as-of"), c.String("rehearsal")
	report := output == "markdown" || output == "html"
	filtering := false
	for _, name := range []string{"step", "asset", "actor", "type", "since", "until"} {
		filtering = filtering || c.IsSet(name)
	}
	switch {
	case asOf != "" && (filtering || (output != "text" && output != "json") || rehearsal != ""):
		return usagef("--as-of prints the status as dcmove status printed it then: it takes no filter, --output or --rehearsal (for the events up to a time: --until TIME)")
	case report && filtering:
		return usagef("--output %s is the report of the whole run and takes no filter; filters select events of the trail (--output text, jsonl or csv)", output)
	case rehearsal != "" && !report:
		return usagef("--rehearsal adds a rehearsal's durations to the report: give --output markdown or html too (or compare the runs: dcmove audit compare %s RUN)", rehearsal)
	case !report && c.String("key") != "":
		return usagef("--key signs the head of the post-migration report: give --output markdown or html too")
	}
	if rehearsal != "" {
		if err := checkRunName("--rehearsal", rehearsal); err != nil {
			return err
		}
	}
	var key nkeys.KeyPair
	path, fromEnv := c.String("key"), false
	if path == "" {
		path, fromEnv = os.Getenv("DCMOVE_KEY"), true
	}
	if report && path != "" {
		var err error
		if key, err = readKeyFile(path); err != nil {
			return err
		}
		defer key.Wipe()
	}

	l, run, err := openReadRun(c)
	if err != nil {
		return err
	}
	defer l.Close()
	var recs projections.Records
	n, err := projections.Replay(c.Context, l, run, &recs, projections.WithProgress(projections.NewProgress(m.Stderr, "reading run "+run)))
	if err != nil {
		return err
	}
	if n == 0 {
		return noEvents(c, l, run)
	}
	t := recs.Feed(projections.NewTrail()).(*projections.Trail)
	loc := t.Location()
	at := func(flag string) (time.Time, error) {
		if !c.IsSet(flag) {
			return time.Time{}, nil
		}
		v, err := projections.ParseTime(c.String(flag), loc)
		if err != nil {
			return v, usagef("--%s: %v", flag, err)
		}
		return v, nil
	}

	switch {
	case asOf != "":
		when, err := at("as-of")
		if err != nil {
			return err
		}
		s := projections.NewStatus()
		recs.Feed(projections.AsOf(when, s))
		if s.LastSeq == 0 {
			return fmt.Errorf("run %s had not started at %s: it started %s", run, when.In(loc).Format("Mon 2 Jan 15:04 MST"), recs[0].Time.In(loc).Format("Mon 2 Jan 15:04 MST"))
		}
		if output == "json" {
			return writeDoc(m.Stdout, "status", statusDocument{Change: string(projections.ChangeStatus), Status: s.Board(when)})
		}
		return projections.WriteStatus(m.Stdout, s, when)
	case report:
		rp := recs.Feed(projections.NewReport()).(*projections.Report)
		if rehearsal != "" {
			past := projections.NewReport()
			n, err := projections.Replay(c.Context, l, rehearsal, past)
			if err != nil {
				return err
			}
			if n == 0 {
				return noEvents(c, l, rehearsal)
			}
			if rp.Rehearsal, err = compare(past, rp); err != nil {
				return err
			}
		}
		if key != nil {
			rp.HeadSignature, err = signHead(run, rp.Status, key)
			switch {
			case fromEnv && errors.Is(err, runbooks.ErrRefused):
				// A crew member's DCMOVE_KEY, exported to act: the report
				// is made, unsigned.
				fmt.Fprintf(m.Stderr, "the report's head is not signed: %v\n", err)
			case err != nil:
				return err
			}
		}
		if output == "html" {
			return projections.WriteReportHTML(m.Stdout, rp)
		}
		return projections.WriteReportMarkdown(m.Stdout, rp)
	}

	f := projections.Filter{Step: c.String("step"), Asset: c.String("asset"), Actor: c.String("actor"), Type: c.String("type")}
	if f.Since, err = at("since"); err != nil {
		return err
	}
	if f.Until, err = at("until"); err != nil {
		return err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
		return usagef("--until %s is before --since %s", c.String("until"), c.String("since"))
	}
	if err := t.Check(f); err != nil {
		return usageError{err}
	}
	t = t.Select(f)
	switch output {
	case "json":
		var b bytes.Buffer
		if err := projections.WriteTrailJSONL(&b, t); err != nil {
			return err
		}
		records := []json.RawMessage{}
		for line := range bytes.Lines(b.Bytes()) {
			records = append(records, json.RawMessage(bytes.TrimSpace(line)))
		}
		return writeDoc(m.Stdout, "audit-trail", struct {
			Run     string            `json:"run"`
			Records []json.RawMessage `json:"records"`
		}{run, records})
	case "jsonl":
		return projections.WriteTrailJSONL(m.Stdout, t)
	case "csv":
		return projections.WriteTrailCSV(m.Stdout, t)
	}
	return projections.WriteTrail(m.Stdout, t)
}

// compare compares two runs; runs of different plans are a mistake in the
// command line.
func compare(a, b *projections.Report) (*projections.Comparison, error) {
	c, err := projections.Compare(a, b)
	if errors.Is(err, projections.ErrDifferentPlans) {
		return nil, usageError{err}
	}
	return c, err
}

// auditCompareCommand is "audit compare RUN_A RUN_B".
func (m *Main) auditCompareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "compare two runs of one plan step by step (a rehearsal and the live run): durations, outcomes, the largest difference first, totals per phase",
		ArgsUsage: "RUN_A RUN_B",
		Flags: append(logFlags(),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: text, json or csv"}),
		Action: m.auditCompare,
	}
}

func (m *Main) auditCompare(c *cli.Context) error {
	if err := checkOutput(c, "text", "json", "csv"); err != nil {
		return err
	}
	if c.Args().Len() != 2 {
		return usagef("give two runs of one plan, e.g. dcmove audit compare pa2-to-pa3-rehearsal pa2-to-pa3")
	}
	runs := c.Args().Slice()
	for _, run := range runs {
		if err := checkRunName("run", run); err != nil {
			return err
		}
	}
	l, err := openReadLog(c)
	if err != nil {
		return err
	}
	defer l.Close()
	var reports []*projections.Report
	for _, run := range runs {
		rp := projections.NewReport()
		n, err := projections.Replay(c.Context, l, run, rp)
		if err != nil {
			return err
		}
		if n == 0 {
			return noEvents(c, l, run)
		}
		reports = append(reports, rp)
	}
	cmp, err := compare(reports[0], reports[1])
	if err != nil {
		return err
	}
	switch c.String("output") {
	case "json":
		var b bytes.Buffer
		if err := projections.WriteComparisonJSON(&b, cmp); err != nil {
			return err
		}
		return writeDoc(m.Stdout, "audit-comparison", json.RawMessage(b.Bytes()))
	case "csv":
		return projections.WriteComparisonCSV(m.Stdout, cmp)
	}
	return projections.WriteComparison(m.Stdout, cmp)
}
