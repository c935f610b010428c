package sheet_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/planner/sheet"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./planner/sheet -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run go test ./planner/sheet -update and review the diff); got:\n%s", path, got)
	}
}

func importRunbook(t *testing.T) []planner.Step {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "runbook.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	steps, err := sheet.ImportCSV("runbook.csv", f)
	if err != nil {
		t.Fatalf("the sample runbook does not import:\n%v", err)
	}
	return steps
}

func TestImportRunbook(t *testing.T) {
	steps := importRunbook(t)
	if len(steps) != 18 {
		t.Fatalf("%d steps, want 18", len(steps))
	}
	byID := map[string]planner.Step{}
	for _, s := range steps {
		byID[s.ID] = s
	}
	go_ := byID["go-no-go"]
	if !go_.Gate || go_.Role != "lead" || go_.Phase != "before" || go_.Title != "Go/no-go: backups verified, rules ready, PA3 ready" {
		t.Errorf("go-no-go = %+v", go_)
	}
	if want := []string{"notify-customers", "verify-backups", "check-pa3-racks", "recreate-fw-rules"}; !slices.Equal(go_.After, want) {
		t.Errorf("go-no-go after %q, want %q", go_.After, want)
	}
	if want := (planner.Pos{File: "runbook.csv", Line: 8, Col: 1}); go_.Pos != want {
		t.Errorf("go-no-go at %v, want %v", go_.Pos, want)
	}
	// After the blank line, rows keep their line numbers.
	if p := byID["enter-degraded-mode"].Pos; p.Line != 10 {
		t.Errorf("enter-degraded-mode on line %d, want 10", p.Line)
	}
	if a := byID["carry-to-pa3"].After; !slices.Equal(a, []string{"unrack", "pa2-exit"}) {
		t.Errorf("carry-to-pa3 after %q (space separated in the sheet)", a)
	}
	m := time.Minute
	for id, want := range map[string]planner.Duration{
		"notify-customers":     {Optimistic: 30 * m, Likely: 30 * m, Pessimistic: 30 * m},
		"export-switch-config": {Optimistic: 45 * m, Likely: 45 * m, Pessimistic: 45 * m},
		"verify-backups":       {Optimistic: 30 * m, Likely: 45 * m, Pessimistic: 90 * m},
		"check-pa3-racks":      {Optimistic: 90 * m, Likely: 90 * m, Pessimistic: 90 * m},
		"unrack":               {Optimistic: 60 * m, Likely: 90 * m, Pessimistic: 150 * m},
		"cool-down":            {Optimistic: 30 * m, Likely: 30 * m, Pessimistic: 30 * m},
	} {
		if got := byID[id].Duration; got != want {
			t.Errorf("%s duration %v, want %v", id, got, want)
		}
	}
	if byID["go-live"].Gate != true || byID["unrack"].Gate {
		t.Errorf("gates: go-live %v, unrack %v", byID["go-live"].Gate, byID["unrack"].Gate)
	}
}

// minimalPlan is a plan with a window, a crew having every role of the
// sample runbook, and no steps: steps are appended to it.
const minimalPlan = `plan: sheet-test
window: {start: 2026-12-05 07:00, end: 2026-12-05 20:00, timezone: Europe/Paris}
crew:
  - {name: Claire, roles: [lead]}
  - {name: Karim, roles: [network]}
  - {name: Julien, roles: [tech]}
  - {name: Hugo, roles: [app]}
assets:
  - {id: web-1, kind: server}
`

func TestWriteStepsIsAPlan(t *testing.T) {
	steps := importRunbook(t)
	var b bytes.Buffer
	if err := sheet.WriteSteps(&b, steps); err != nil {
		t.Fatal(err)
	}
	golden(t, "runbook.steps.yaml", b.Bytes())

	p, err := planner.Parse("plan.yaml", []byte(minimalPlan+b.String()))
	if err != nil {
		t.Fatalf("the written steps do not parse as a plan:\n%v\n%s", err, b.String())
	}
	if len(p.Steps) != len(steps) {
		t.Fatalf("plan has %d steps, want %d", len(p.Steps), len(steps))
	}
	for i, want := range steps {
		got := p.Steps[i]
		if got.ID != want.ID || got.Title != want.Title || got.Phase != want.Phase || got.Duration != want.Duration ||
			!slices.Equal(got.After, want.After) || got.Role != want.Role || got.Gate != want.Gate {
			t.Errorf("step %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

func TestWriteStepsQuotes(t *testing.T) {
	d := planner.Duration{Optimistic: time.Minute, Likely: time.Minute, Pessimistic: time.Minute}
	titles := []string{
		"Go/no-go: all ready",
		"yes",
		"123",
		"- dash first",
		"[bracket",
		"  spaces  ",
		"a # comment?",
		`quote " inside and \ backslash`,
		"line\nbreak",
		"Ré-installer l'onduleur, puis câbler",
		"@at",
		"50%",
		"Null",
	}
	var steps []planner.Step
	for i, title := range titles {
		steps = append(steps, planner.Step{ID: "s" + string(rune('a'+i)), Title: title, Duration: d, Asset: "web-1"})
	}
	steps[2].After = []string{"sa", "sb"}
	var b bytes.Buffer
	if err := sheet.WriteSteps(&b, steps); err != nil {
		t.Fatal(err)
	}
	p, err := planner.Parse("plan.yaml", []byte(minimalPlan+b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	for i, title := range titles {
		if p.Steps[i].Title != title {
			t.Errorf("title %q came back as %q", title, p.Steps[i].Title)
		}
	}
	if !strings.Contains(b.String(), "title: Ré-installer l'onduleur, puis câbler\n") {
		t.Errorf("plain text was quoted:\n%s", b.String())
	}
}

func TestWriteStepsNeedsAndBackout(t *testing.T) {
	d := planner.Duration{Optimistic: 30 * time.Minute, Likely: 30 * time.Minute, Pessimistic: 30 * time.Minute}
	steps := []planner.Step{
		{ID: "carry", Title: "Carry web-1", Duration: d, Needs: []planner.Need{{Resource: "dock", Amount: 1}, {Resource: "trolley", Amount: 2}}, Backout: []string{"carry-back"}},
		{ID: "rack", Title: "Rack web-1", Duration: d, After: []string{"carry"}, Needs: []planner.Need{{Resource: "dock", Amount: 1}}, Backout: []string{"unrack", "carry-back"}},
		{ID: "unrack", Title: "Unrack web-1 at PA3", Duration: d},
		{ID: "carry-back", Title: "Carry web-1 back", Duration: d},
	}
	var b bytes.Buffer
	if err := sheet.WriteSteps(&b, steps); err != nil {
		t.Fatal(err)
	}
	const resources = "resources:\n  - {id: dock, capacity: 2}\n  - {id: trolley, capacity: 4}\n"
	p, err := planner.Parse("plan.yaml", []byte(minimalPlan+resources+b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	for i, want := range steps {
		got := p.Steps[i]
		if !slices.Equal(got.Needs, want.Needs) || !slices.Equal(got.Backout, want.Backout) {
			t.Errorf("step %s: needs %v backout %v, want %v %v", want.ID, got.Needs, got.Backout, want.Needs, want.Backout)
		}
	}
}

func TestImportInvalid(t *testing.T) {
	const head = "id,title,phase,duration,predecessors,role,gate\n"
	tests := []struct {
		name  string
		sheet string
		want  []string // "line:col: phrase", one per problem, in order
	}{
		{"empty file", "", []string{"1:1: the sheet is empty"}},
		{"only blank lines", "\n\n \n", []string{"1:1: the sheet is empty"}},
		{"header only", head, []string{"2:1: the sheet has a header but no steps"}},
		{"unknown column", "id,title,duraton,colour\na,A,30m,red\n", []string{
			`1:3: unknown column "duraton" (cell C1); did you mean "duration"? known columns: id (or step id), title (or task, name), phase, duration (or estimate, time), predecessors (or after, depends on, deps), role (or owner), gate, asset; who, start, end, slack, critical are read and ignored`,
			`1:4: unknown column "colour" (cell D1); known columns:`,
		}},
		{"missing column", "id,task\na,A\n", []string{`1:1: the header has no duration column (or estimate, time); add one: the columns are id,title,phase,duration,predecessors,role,gate,asset`}},
		{"unknown column under blank lines", "\n\nid,title,duration,notes\na,A,30m,x\n", []string{`3:4: unknown column "notes" (cell D3)`}},
		{"duplicate column", "id,title,task,duration\na,A,B,30m\n", []string{`1:3: column "task" (cell C1) is the same as column "title" (cell B1); keep one`}},
		{"missing id", head + "a,A,,30m,,,\n,Unrack web 1,,30m,a,,\n", []string{`3:1: row 3 has no id (cell A3); give the step an id such as unrack-web-1`}},
		{"invalid id", head + "unrack web.1,Unrack,,30m,,,\n", []string{`2:1: invalid step id "unrack web.1" (cell A2): use only letters, digits, '-' and '_', starting with a letter or digit, e.g. unrack-web-1`}},
		{"duplicate id", head + "a,A,,30m,,,\nb,B,,30m,,,\na,C,,30m,,,\n", []string{`4:1: duplicate step id "a" (cell A4; first used on row 2); ids must be unique`}},
		{"missing title", head + "a,,,30m,,,\n", []string{`2:2: step "a" has no title (cell B2)`}},
		{"missing duration", head + "a,A,,,,,\n", []string{`2:4: step "a" has no duration (cell D2); write e.g. 30m, 1h30, 1:30`}},
		{"bad duration", head + "a,A,,3Oh,,,\n", []string{`2:4: step "a" has a bad duration (cell D2): invalid duration "3oh"; write e.g.`}},
		{"duration with no unit", head + "a,A,,30,,,\n", []string{`2:4: step "a" has a bad duration (cell D2): duration "30" has no unit: write 30m for minutes or 30h for hours`}},
		{"zero duration", head + "a,A,,0m,,,\n", []string{`2:4: step "a" has a bad duration (cell D2): duration "0m" must be greater than zero`}},
		{"durations out of order", head + "a,A,,1h/30m/2h,,,\n", []string{`2:4: step "a" has a bad duration (cell D2): duration "1h/30m/2h" must be optimistic <= likely <= pessimistic`}},
		{"two durations", head + "a,A,,30m/1h,,,\n", []string{`2:4: step "a" has a bad duration (cell D2): duration "30m/1h" needs one value or three`}},
		{"unknown predecessor", head + "unrack-web1,A,,30m,,,\ncarry,B,,30m,unrack-web,,\n", []string{`3:5: step "carry" comes after unknown step "unrack-web" (cell E3); did you mean "unrack-web1"?`}},
		{"unknown predecessor, no close name", head + "a,A,,30m,,,\nb,B,,30m,zzz,,\n", []string{`3:5: step "b" comes after unknown step "zzz" (cell E3); steps in the sheet: a, b`}},
		{"itself", head + "a,A,,30m,a,,\n", []string{`2:5: step "a" lists itself in its predecessors (cell E2); remove it`}},
		{"cycle", head + "a,A,,30m,c,,\nb,B,,30m,a,,\nc,C,,30m,b,,\nd,D,,30m,,,\n", []string{`2:5: steps form a cycle: a -> b -> c -> a (each comes after the one before it); remove one of these predecessors (cell E2)`}},
		{"bad gate", head + "a,A,,30m,,,maybe\n", []string{`2:7: step "a" has a bad gate value "maybe" (cell G2); write yes or no`}},
		{"extra cell", "id,title,duration\na,A,30m,oops\n", []string{`2:4: row 2 has 4 cells but the header names 3 columns (cell D2 is not empty)`}},
		{"cell under no header", "id,,title,duration\na,x,A,30m\n", []string{`2:2: cell B2 is in a column with no name`}},
		{"every problem at once", head +
			",No id,,30m,,,\n" +
			"a,A,,thirty,,,\n" +
			"a,Again,,30m,,,perhaps\n" +
			"b,,,30m,a;ghost,,\n", []string{
			`2:1: row 2 has no id`,
			`3:4: step "a" has a bad duration`,
			`4:1: duplicate step id "a"`,
			`4:7: step "a" has a bad gate value "perhaps"`,
			`5:2: step "b" has no title`,
			`5:5: step "b" comes after unknown step "ghost"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := sheet.ImportCSV("bad.csv", strings.NewReader(tt.sheet))
			if err == nil {
				t.Fatalf("no error; steps %+v", steps)
			}
			if !errors.Is(err, planner.ErrInvalid) {
				t.Errorf("errors.Is(err, planner.ErrInvalid) is false for %v", err)
			}
			var errs planner.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("err is %T, want planner.Errors", err)
			}
			if len(errs) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%v", len(errs), len(tt.want), err)
			}
			for i, want := range tt.want {
				got := errs[i].Error()
				if !strings.Contains(got, "bad.csv:"+want) && !strings.Contains(got, want) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got, want)
				}
				if pos, _, ok := strings.Cut(want, ": "); ok && strings.Count(pos, ":") == 1 && !strings.HasPrefix(got, "bad.csv:"+pos+":") {
					t.Errorf("problem %d at %s, want bad.csv:%s", i, errs[i].Pos, pos)
				}
			}
		})
	}
}

func TestImportFormats(t *testing.T) {
	tests := []struct {
		name  string
		sheet string
	}{
		{"commas", "id,title,duration,after\na,Shut down,30m,\nb,\"Carry, then rack\",1h,a\n"},
		{"semicolons", "ID;Title;Duration;After\na;Shut down;30m;\nb;Carry, then rack;1h;a\n"},
		{"tabs", "id\ttitle\tduration\tafter\na\tShut down\t30m\t\nb\tCarry, then rack\t1h\ta\n"},
		{"byte order mark and CRLF", "\uFEFFid,title,duration,after\r\na,Shut down,30m,\r\nb,\"Carry, then rack\",1h,a\r\n"},
		{"blank lines and empty rows", "\nid,title,duration,after\n\na,Shut down,30m,\n,,,\n\nb,\"Carry, then rack\",1h,a\n\n"},
		{"aliases and notes in headers", "Step_ID;Name;Time (h:mm);Depends-On\na;Shut down;0:30;\nb;Carry, then rack;1:00;a\n"},
		{"schedule columns", "id,title,duration,after,who,start,end,slack,critical\na,Shut down,30m,,Ana,2026-12-05 07:00,2026-12-05 07:30,0m,yes\nb,\"Carry, then rack\",1h,a,,,,,\n"},
		{"trailing empty columns", "id,title,duration,after,,\na,Shut down,30m,,,\nb,\"Carry, then rack\",1h,a,,\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps, err := sheet.ImportCSV("s.csv", strings.NewReader(tt.sheet))
			if err != nil {
				t.Fatal(err)
			}
			if len(steps) != 2 || steps[0].ID != "a" || steps[1].Title != "Carry, then rack" ||
				steps[0].Duration.Likely != 30*time.Minute || steps[1].Duration.Likely != time.Hour ||
				!slices.Equal(steps[1].After, []string{"a"}) {
				t.Errorf("steps = %+v", steps)
			}
		})
	}
}

func TestDurations(t *testing.T) {
	m, h := time.Minute, time.Hour
	tests := []struct {
		cell    string
		o, l, p time.Duration
	}{
		{"30m", 30 * m, 30 * m, 30 * m},
		{"1h30m", 90 * m, 90 * m, 90 * m},
		{"1h30", 90 * m, 90 * m, 90 * m},
		{"1:30", 90 * m, 90 * m, 90 * m},
		{"0:05", 5 * m, 5 * m, 5 * m},
		{"2d", 48 * h, 48 * h, 48 * h},
		{"45 min", 45 * m, 45 * m, 45 * m},
		{"2 hours", 2 * h, 2 * h, 2 * h},
		{"1.5h", 90 * m, 90 * m, 90 * m},
		{"1 h 30 min", 90 * m, 90 * m, 90 * m},
		{"20m/30m/1h", 20 * m, 30 * m, h},
		{"20m / 30m / 1h", 20 * m, 30 * m, h},
		{"0:20/0:30/1:00", 20 * m, 30 * m, h},
		{"20-30-60 min", 20 * m, 30 * m, h},
		{"20 – 30 – 60 min", 20 * m, 30 * m, h},
		{"20/30/60m", 20 * m, 30 * m, h},
		{"1-2-4 h", h, 2 * h, 4 * h},
		{"20m-30m-1h", 20 * m, 30 * m, h},
		{"30M", 30 * m, 30 * m, 30 * m},
	}
	for _, tt := range tests {
		t.Run(tt.cell, func(t *testing.T) {
			steps, err := sheet.ImportCSV("d.csv", strings.NewReader("id,title,duration\na,A,\""+tt.cell+"\"\n"))
			if err != nil {
				t.Fatal(err)
			}
			want := planner.Duration{Optimistic: tt.o, Likely: tt.l, Pessimistic: tt.p}
			if got := steps[0].Duration; got != want {
				t.Errorf("%q = %v, want %v", tt.cell, got, want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	steps := importRunbook(t)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 5, 7, 0, 0, 0, paris)
	var rows []sheet.Row
	for i, s := range steps {
		rows = append(rows, sheet.Row{
			ID: s.ID, Title: s.Title, Phase: s.Phase, Role: s.Role, Who: "crew " + s.Role,
			Start: start.Add(time.Duration(i) * 30 * time.Minute), End: start.Add(time.Duration(i)*30*time.Minute + s.Duration.Likely),
			Slack: time.Duration(i%3) * 15 * time.Minute, Critical: i%2 == 0, Gate: s.Gate, After: s.After, Duration: s.Duration,
		})
	}
	var b bytes.Buffer
	if err := sheet.WriteCSV(&b, rows, paris); err != nil {
		t.Fatal(err)
	}
	golden(t, "schedule.csv", b.Bytes())

	back, err := sheet.ImportCSV("schedule.csv", bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("the written sheet does not import:\n%v", err)
	}
	if len(back) != len(steps) {
		t.Fatalf("%d steps back, want %d", len(back), len(steps))
	}
	for i, s := range steps {
		g := back[i]
		if g.ID != s.ID || g.Title != s.Title || g.Phase != s.Phase || g.Duration != s.Duration ||
			!slices.Equal(g.After, s.After) || g.Gate != s.Gate || g.Role != s.Role {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, s)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestImportReadError(t *testing.T) {
	_, err := sheet.ImportCSV("x.csv", failingReader{})
	if err == nil || errors.Is(err, planner.ErrInvalid) || !strings.Contains(err.Error(), "read x.csv: disk on fire") {
		t.Errorf("err = %v, want a read error that is not ErrInvalid", err)
	}
}
