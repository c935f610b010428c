package sheet

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dcmove/dcmove/planner"
)

// WriteSteps writes steps as the steps: section of a plan file, in YAML,
// to paste into a plan: for each step its id, title, phase, duration,
// after (its predecessors), asset, role, gate, needs and backout, leaving
// out what is empty. Text that YAML would misread is quoted.
func WriteSteps(w io.Writer, steps []planner.Step) error {
	bw := bufio.NewWriter(w)
	if len(steps) == 0 {
		bw.WriteString("steps: []\n")
		return bw.Flush()
	}
	bw.WriteString("steps:\n")
	for i, s := range steps {
		if i > 0 {
			bw.WriteString("\n")
		}
		fmt.Fprintf(bw, "  - id: %s\n", yamlText(s.ID))
		fmt.Fprintf(bw, "    title: %s\n", yamlText(s.Title))
		if s.Phase != "" {
			fmt.Fprintf(bw, "    phase: %s\n", yamlText(s.Phase))
		}
		fmt.Fprintf(bw, "    duration: %s\n", yamlText(s.Duration.String()))
		writeIDs(bw, "after", s.After)
		if s.Asset != "" {
			fmt.Fprintf(bw, "    asset: %s\n", yamlText(s.Asset))
		}
		if s.Role != "" {
			fmt.Fprintf(bw, "    role: %s\n", yamlText(s.Role))
		}
		if s.Gate {
			bw.WriteString("    gate: true\n")
		}
		if len(s.Needs) > 0 {
			needs := make([]string, len(s.Needs))
			for k, n := range s.Needs {
				needs[k] = fmt.Sprintf("%s: %d", flowID(n.Resource), n.Amount)
			}
			fmt.Fprintf(bw, "    needs: {%s}\n", strings.Join(needs, ", "))
		}
		writeIDs(bw, "backout", s.Backout)
	}
	return bw.Flush()
}

// writeIDs writes a step's list of ids under key: one id alone, several
// as a flow list, none not at all.
func writeIDs(w io.Writer, key string, ids []string) {
	switch len(ids) {
	case 0:
	case 1:
		fmt.Fprintf(w, "    %s: %s\n", key, yamlText(ids[0]))
	default:
		quoted := make([]string, len(ids))
		for k, id := range ids {
			quoted[k] = flowID(id)
		}
		fmt.Fprintf(w, "    %s: [%s]\n", key, strings.Join(quoted, ", "))
	}
}

// flowID returns an id as an item of a YAML flow list or mapping, quoted
// unless it is a plain id.
func flowID(id string) string {
	if idPattern.MatchString(id) && !looksTyped(id) {
		return id
	}
	return strconv.Quote(id)
}

// plainYAML is text YAML reads back as the same string without quotes, as
// a value in block style: it starts with a letter or digit and holds no
// ':', '#' or control character.
var plainYAML = regexp.MustCompile(`^[\p{L}0-9][^:#\x00-\x1f\x7f]*$`)

// yamlText returns s as a YAML scalar that reads back as s: plain when
// that is safe, else double-quoted.
func yamlText(s string) string {
	if plainYAML.MatchString(s) && strings.TrimSpace(s) == s && !looksTyped(s) {
		return s
	}
	return strconv.Quote(s)
}

// typedWords are words YAML reads as booleans or null.
var typedWords = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"y": true, "n": true, "null": true}

// looksTyped reports whether YAML would read s as something other than a
// string: a boolean, null or a number.
func looksTyped(s string) bool {
	if typedWords[strings.ToLower(s)] {
		return true
	}
	_, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	return err == nil || strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0o")
}

// Row is one scheduled step, as [WriteCSV] writes it.
type Row struct {
	// ID, Title and Phase are the step's, as in the plan.
	ID, Title, Phase string
	// Who is the crew member or vehicle the step is assigned to.
	Who string
	// Role is the crew role the step needs, if any.
	Role string
	// Start and End are when the step is scheduled.
	Start, End time.Time
	// Slack is how late the step may finish without delaying the move.
	Slack time.Duration
	// Critical marks a step on the critical path; Gate a go/no-go gate.
	Critical, Gate bool
	// After are the ids of the steps that must finish first.
	After []string
	// Duration is the step's estimate.
	Duration planner.Duration
}

// csvHeader is the header [WriteCSV] writes: the runbook columns
// [ImportCSV] reads, then the schedule columns it ignores.
var csvHeader = []string{"id", "title", "phase", "duration", "predecessors", "role", "who", "gate", "start", "end", "slack", "critical"}

// csvTimeLayout is how [WriteCSV] writes times: spreadsheets read it as a
// date and time.
const csvTimeLayout = "2006-01-02 15:04"

// WriteCSV writes rows as a CSV sheet with the header id, title, phase,
// duration, predecessors, role, who, gate, start, end, slack, critical;
// times are in loc (UTC when nil) as "2006-01-02 15:04", slack as "45m",
// gate and critical as yes or no. [ImportCSV] reads the sheet back as the
// same steps, ignoring the schedule columns.
func WriteCSV(w io.Writer, rows []Row, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(csvTimeLayout)
	}
	for _, r := range rows {
		slack := "0m"
		if r.Slack != 0 {
			slack = planner.Span(r.Slack)
		}
		cw.Write([]string{r.ID, r.Title, r.Phase, r.Duration.String(), strings.Join(r.After, ", "), r.Role, r.Who,
			yes(r.Gate), when(r.Start), when(r.End), slack, yes(r.Critical)})
	}
	cw.Flush()
	return cw.Error()
}
