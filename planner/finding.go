package planner

import "fmt"

// Severity says whether a finding stops the plan (an error) or must be
// accepted knowingly (a warning).
type Severity string

// Severities of findings.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is what a lint found in a plan: a risk that real moves paid for.
type Finding struct {
	// ID identifies the lint, e.g. "L001"; a warning is accepted by its id.
	ID       string
	Severity Severity
	// Pos is where in the plan file the problem is (zero if nowhere in
	// particular).
	Pos Pos
	// Message says what is wrong in this plan.
	Message string
	// Lesson is the real failure behind the lint, in one line.
	Lesson string
	// Fix says what to change.
	Fix string
}

// String formats the finding for a terminal: position, severity, id,
// message and fix.
func (f Finding) String() string {
	at := ""
	if f.Pos.Line > 0 {
		at = f.Pos.String() + ": "
	}
	return fmt.Sprintf("%s%s %s: %s; %s", at, f.Severity, f.ID, f.Message, f.Fix)
}
