package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/runbooks"
)

// auditDemo runs the small demo plan in a new data directory, seeds times
// (the runs are pa2-to-pa3, pa2-to-pa3-2, ...), and returns the directory.
func auditDemo(t *testing.T, seeds ...string) string {
	t.Helper()
	dir := t.TempDir()
	clock := runbooks.NewManualClock(time.Time{})
	for _, seed := range seeds {
		mustRun(t, clock, "demo", "--plan", "weekend.yaml", "--data-dir", dir, "--seed", seed)
	}
	return dir
}

// trailRows returns the data lines of a trail table (no header).
func trailRows(t testing.TB, trail string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(trail, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "SEQ ") {
		t.Fatalf("no trail header:\n%s", trail)
	}
	return lines[1:]
}

func TestAuditFilters(t *testing.T) {
	dir := auditDemo(t, "1")
	clock := runbooks.NewManualClock(time.Time{})
	audit := func(args ...string) string {
		return mustRun(t, clock, append([]string{"audit", "--data-dir", dir}, args...)...)
	}

	gate := trailRows(t, audit("--step", "go-no-go"))
	if len(gate) != 7 { // planned, started, 4 signatures, done
		t.Errorf("--step go-no-go: %d events, want 7:\n%s", len(gate), strings.Join(gate, "\n"))
	}
	for _, l := range gate {
		if !strings.Contains(l, "step/go-no-go") {
			t.Errorf("--step go-no-go shows %q", l)
		}
	}

	// The firewall's steps that were done, each with planned vs actual.
	fw := trailRows(t, audit("--asset", "fw-1", "--type", "step.completed"))
	if len(fw) != 3 {
		t.Errorf("--asset fw-1 --type step.completed: %d events, want 3:\n%s", len(fw), strings.Join(fw, "\n"))
	}
	for _, l := range fw {
		if !strings.Contains(l, "step done: ") || len(strings.Fields(l)) < 8 {
			t.Errorf("a completion without planned and actual: %q", l)
		}
	}

	late := trailRows(t, audit("--actor", "hugo leroy", "--since", "2026-12-05 22:00"))
	if len(late) == 0 {
		t.Fatal("Hugo Leroy did nothing after 22:00")
	}
	for _, l := range late {
		if !strings.Contains(l, "  Hugo Leroy  ") || !(strings.Contains(l, "Sat 5 Dec 22:") || strings.Contains(l, "Sat 5 Dec 23:") || strings.Contains(l, "Sun 6 Dec")) {
			t.Errorf("--actor hugo leroy --since 22:00 shows %q", l)
		}
	}
	// RFC 3339 and the plan's zone name the same instants.
	if rfc := audit("--actor", "Hugo Leroy", "--since", "2026-12-05T21:00:00Z"); rfc != audit("--actor", "Hugo Leroy", "--since", "2026-12-05 22:00") {
		t.Errorf("--since in RFC 3339 differs from the same time in the plan's zone")
	}
	window := trailRows(t, audit("--since", "2026-12-05 09:59", "--until", "2026-12-05 09:59"))
	if len(window) != 7 { // 4 signatures, gate done, 2 steps started
		t.Errorf("--since = --until 09:59: %d events, want 7:\n%s", len(window), strings.Join(window, "\n"))
	}
	golden(t, "audit-gates", audit("--type", "gate"))

	t.Run("csv", func(t *testing.T) {
		recs, err := csv.NewReader(strings.NewReader(audit("--type", "dcmove.gate.signed", "--output", "csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1+8 || strings.Join(recs[0], ",") != "seq,time,actor,type,subject,what,planned,actual" {
			t.Fatalf("csv: %d rows, header %q", len(recs), recs[0])
		}
		if r := recs[1]; r[1] != "2026-12-05T09:59:00+01:00" || r[2] != "Claire Martin" || r[3] != "dcmove.gate.signed" || r[4] != "step/go-no-go" {
			t.Errorf("first signature %q", r)
		}
		done, err := csv.NewReader(strings.NewReader(audit("--step", "capture-fw-rules", "--type", "step.completed", "--output", "csv"))).ReadAll()
		if err != nil || len(done) != 2 || done[1][6] != "1h" || done[1][7] != "57m" {
			t.Errorf("planned vs actual in csv: %v %q", err, done)
		}
	})

	t.Run("jsonl", func(t *testing.T) {
		out := audit("--output", "jsonl")
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(nil, 1<<20)
		n, last := 0, 0.0
		for sc.Scan() {
			var e map[string]any
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("line %d: %v", n+1, err)
			}
			seq, _ := e["seq"].(float64)
			if seq <= last || e["specversion"] != "1.0" || e["run"] != "pa2-to-pa3" || e["type"] == nil || e["data"] == nil {
				t.Errorf("line %d is not a stored envelope with its seq: %s", n+1, sc.Bytes())
			}
			last = seq
			n++
		}
		if n != 91 {
			t.Errorf("%d lines, want one per event (91)", n)
		}
		one := strings.TrimSpace(audit("--step", "go-no-go", "--type", "step.completed", "--output", "jsonl"))
		if !strings.HasPrefix(one, `{"seq":`) || !strings.Contains(one, `"type":"dcmove.step.completed","subject":"step/go-no-go","time":"2026-12-05T08:59:00Z"`) ||
			!strings.Contains(one, `"data":{"step":"go-no-go"}`) || strings.Count(one, "\n") > 0 {
			t.Errorf("jsonl line: %s", one)
		}
	})

	t.Run("mistakes", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			says string
		}{
			{[]string{"--step", "go-no-gp"}, `--step "go-no-gp": no step of that name in the run; did you mean "go-no-go"?`},
			{[]string{"--asset", "fw1"}, `did you mean "fw-1"?`},
			{[]string{"--actor", "Karim"}, `--actor "Karim": no actor of that name in the run`},
			{[]string{"--type", "cooldown.done"}, `no event type starts with it; the types are dcmove.backout.started, `},
			{[]string{"--since", "yesterday"}, `--since: "yesterday" is not a time; write it as 2026-12-05 08:00 (in Europe/Paris, the plan's time zone) or in RFC 3339`},
			{[]string{"--since", "2026-12-05 10:00", "--until", "2026-12-05 09:00"}, "--until 2026-12-05 09:00 is before --since 2026-12-05 10:00"},
			{[]string{"--output", "pdf"}, `--output "pdf": write one of text, json, jsonl, csv, markdown, html`},
			{[]string{"--as-of", "2026-12-05 10:00", "--output", "csv"}, "--as-of prints the status as dcmove status printed it then: it takes no filter"},
			{[]string{"--as-of", "2026-12-05 10:00", "--step", "go-no-go"}, "for the events up to a time: --until TIME"},
			{[]string{"--output", "html", "--step", "go-no-go"}, "--output html is the report of the whole run and takes no filter"},
			{[]string{"--rehearsal", "pa2-to-pa3"}, "give --output markdown or html too"},
			{[]string{"--output", "markdown", "--rehearsal", "no such run"}, `--rehearsal "no such run" is not a run name`},
			{[]string{"go-no-go"}, `audit takes no argument (got "go-no-go"); to compare two runs: dcmove audit compare RUN_A RUN_B`},
		} {
			errOut := mustFail(t, clock, exitBadInput, append([]string{"audit", "--data-dir", dir}, tt.args...)...)
			wantContains(t, strings.Join(tt.args, " "), errOut, tt.says)
		}
		errOut := mustFail(t, clock, exitBadInput, "audit", "--data-dir", dir, "--output", "markdown", "--rehearsal", "pa2-to-pa3-rehearsal")
		wantContains(t, "unknown rehearsal", errOut, "run pa2-to-pa3-rehearsal has no events in data directory "+dir+"; the run started last is pa2-to-pa3")
	})
}

// withoutForecast drops the forecast line of a status: dcmove status adds
// it to what projections.WriteStatus prints, and audit --as-of prints what
// WriteStatus prints.
func withoutForecast(status string) string {
	var keep []string
	for _, l := range strings.SplitAfter(status, "\n") {
		if !strings.HasPrefix(l, "forecast: ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// The state as of an instant prints as dcmove status printed it at that
// instant (its forecast apart).
func TestAuditAsOf(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	at := func(hhmm string) { clock.Set(paris(t, 5, hhmm)) }
	run := func(args ...string) string { return mustRun(t, clock, append(args, "--data-dir", dir)...) }

	run("cutover", "start", weekend, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	at("07:00")
	run("step", "start", "capture-fw-rules", "--as", "Karim Haddad")
	run("step", "start", "prepare-pa3", "--as", "Julien Petit")
	at("07:45")
	run("step", "done", "capture-fw-rules", "--as", "Karim Haddad")
	run("step", "block", "verify-backups", "--as", "Claire Martin", "--reason", "the off-site store is unreachable")
	at("09:10")
	then := withoutForecast(run("status")) // prepare-pa3 is late by now
	wantContains(t, "status at 09:10", then, "LATE by 40m", "verify-backups")

	at("09:30")
	run("step", "unblock", "verify-backups", "--as", "Claire Martin", "--reason", "reachable again")
	run("step", "done", "prepare-pa3", "--as", "Julien Petit")
	at("10:00")
	run("step", "start", "verify-backups", "--as", "Hugo Leroy")
	if now := withoutForecast(run("status")); now == then {
		t.Fatal("the status did not change after 09:10")
	}

	if got := run("audit", "--as-of", "2026-12-05 09:10"); got != then {
		t.Errorf("audit --as-of 09:10 differs from the status printed at 09:10:\n%s\nwant:\n%s", got, then)
	}
	if got := run("audit", "--as-of", "2026-12-05T08:10:00Z"); got != then {
		t.Errorf("audit --as-of in RFC 3339 differs from the status printed then:\n%s", got)
	}
	// Now: as of now is the status.
	if got, want := run("audit", "--as-of", "2026-12-05 10:00"), withoutForecast(run("status")); got != want {
		t.Errorf("audit --as-of now differs from status:\n%s\nwant:\n%s", got, want)
	}
	errOut := mustFail(t, clock, exitError, "audit", "--as-of", "2026-12-04 10:00", "--data-dir", dir)
	wantContains(t, "before the start", errOut, "run pa2-to-pa3 had not started at Fri 4 Dec 10:00 CET: it started Sat 5 Dec 06:30 CET")
}

// The post-migration report of the second run, with the first as its
// rehearsal.
func TestAuditReport(t *testing.T) {
	dir := auditDemo(t, "1", "2")
	clock := runbooks.NewManualClock(time.Time{})
	md := mustRun(t, clock, "audit", "--data-dir", dir, "--output", "markdown", "--rehearsal", "pa2-to-pa3")
	wantContains(t, "report", md, "# Post-migration report: Workit weekend move, Equinix PA2 to PA3",
		"Run **pa2-to-pa3-2** (live run)", "## Timeline", "gate go-no-go: GO; signed by ", "degraded mode on, by Claire Martin",
		"the move ended", "## Planned vs actual per phase", "| total | 25 | 25 |", "## Late steps", "## Gates and signers",
		"## Deviations", "| warning accepted | L013: ", "## Degraded mode", "## What the rehearsal predicted",
		"Rehearsal run **pa2-to-pa3** against this run, **pa2-to-pa3-2** (that run was not recorded as a rehearsal)")
	golden(t, "audit-report", md)

	page := mustRun(t, clock, "audit", "--data-dir", dir, "--output", "html", "--rehearsal", "pa2-to-pa3")
	for _, id := range []string{"summary", "timeline", "phases", "late", "gates", "deviations", "degraded", "rehearsal"} {
		wantContains(t, "html report", page, `<section id="`+id+`">`)
	}
	for _, external := range []string{"<script", "<link", "src=", "url("} {
		if strings.Contains(page, external) {
			t.Errorf("the HTML report is not self-contained: it has %q", external)
		}
	}
	// Without a rehearsal, the report says how to add one.
	wantContains(t, "report without rehearsal", mustRun(t, clock, "audit", "--data-dir", dir, "--run", "pa2-to-pa3", "--output", "markdown"),
		"Run **pa2-to-pa3** (live run)", "No rehearsal was compared (`--rehearsal RUN` adds it).")
}

func TestAuditCompare(t *testing.T) {
	dir := auditDemo(t, "1", "2")
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	compare := func(args ...string) string {
		return mustRun(t, clock, append([]string{"audit", "compare"}, append(args, "--data-dir", dir)...)...)
	}
	text := compare("pa2-to-pa3", "pa2-to-pa3-2")
	wantContains(t, "compare", text, "plan pa2-to-pa3: A is run pa2-to-pa3, B is run pa2-to-pa3-2\n",
		"25 steps, 25 done in both: ", "STEP ", "PHASE ", "\ntotal ")
	golden(t, "audit-compare", text)

	var doc struct {
		Plan  string
		Steps []struct {
			Step  string
			A, B  struct{ Outcome, Duration string }
			Delta string
		}
		Total struct{ Steps int }
	}
	if err := json.Unmarshal([]byte(compare("pa2-to-pa3", "pa2-to-pa3-2", "--output", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Plan != "pa2-to-pa3" || len(doc.Steps) != 25 || doc.Total.Steps != 25 || doc.Steps[0].A.Outcome != "done" {
		t.Errorf("json: %+v", doc)
	}
	abs := func(s string) time.Duration { d, _ := time.ParseDuration(s); return max(d, -d) }
	for i := 1; i < len(doc.Steps); i++ {
		if abs(doc.Steps[i].Delta) > abs(doc.Steps[i-1].Delta) {
			t.Errorf("json steps not sorted by |delta|: %s after %s", doc.Steps[i].Delta, doc.Steps[i-1].Delta)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(compare("pa2-to-pa3", "pa2-to-pa3-2", "--output", "csv"))).ReadAll()
	if err != nil || len(recs) != 26 || strings.Join(recs[0], ",") != "step,phase,a_outcome,a_duration,b_outcome,b_duration,delta" {
		t.Errorf("csv: %v, %d rows", err, len(recs))
	}

	// A run of another plan is refused.
	mustRun(t, clock, "cutover", "start", "testdata/audit-other.yaml", "--as", "Claire Martin", "--data-dir", dir)
	errOut := mustFail(t, clock, exitBadInput, "audit", "compare", "pa2-to-pa3", "lab-move", "--data-dir", dir)
	wantContains(t, "different plans", errOut, "run pa2-to-pa3 is of plan pa2-to-pa3 and run lab-move of plan lab-move; compare two runs of one plan")
	errOut = mustFail(t, clock, exitBadInput, "audit", "--data-dir", dir, "--run", "pa2-to-pa3", "--output", "markdown", "--rehearsal", "lab-move")
	wantContains(t, "report with another plan's rehearsal", errOut, "run lab-move is of plan lab-move and run pa2-to-pa3 of plan pa2-to-pa3")

	wantContains(t, "one run", mustFail(t, clock, exitBadInput, "audit", "compare", "pa2-to-pa3", "--data-dir", dir), "give two runs of one plan")
	wantContains(t, "bad format", mustFail(t, clock, exitBadInput, "audit", "compare", "a", "b", "--output", "html", "--data-dir", dir), `--output "html": write one of text, json, csv`)
	wantContains(t, "no such run", mustFail(t, clock, exitBadInput, "audit", "compare", "pa2-to-pa3", "pa2-to-pa3-9", "--data-dir", dir),
		"run pa2-to-pa3-9 has no events")
}
