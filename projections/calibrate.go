package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

// Calibrate reads run from l and proposes new duration estimates for the
// plan p from what it measured ([Measured]), by the rule of
// [planner.Calibrate].
//
// Calibrate refuses, with an error wrapping [runbooks.ErrRefused], a run
// recorded from another plan, one with no completed step, and one none of
// whose completed steps is a step of p any more. A run that does not exist
// is an error wrapping [events.ErrNoRun]. A plan file that differs from the
// one the run was recorded from only adds a warning.
//
// Edits and Diff are built from p.File (and the template file, if the plan
// names one) as they are on disk.
func Calibrate(ctx context.Context, l events.Log, run string, p *planner.Plan) (*planner.Calibration, error) {
	r := runbooks.NewRun(run)
	for rec, err := range l.Read(ctx, run, 0) {
		if err != nil {
			return nil, fmt.Errorf("read run %s: %w", run, err)
		}
		r.Apply(rec)
	}
	if !r.Exists() {
		return nil, noRun(fmt.Sprintf("run %s is not in this event log: name a run recorded with dcmove cutover start", run))
	}
	if r.Plan != p.Name {
		return nil, runbooks.Refuse("run %s was recorded from plan %s (%s), not from plan %s (%s): calibrate the file of plan %s, or name a run of %s",
			run, r.Plan, orUnknown(r.File), p.Name, p.File, r.Plan, p.Name)
	}
	done := Measured(r)
	if len(done) == 0 {
		return nil, runbooks.Refuse("run %s has no completed step yet: there is nothing to calibrate from", run)
	}
	rb, err := runbooks.Expand(p)
	if err != nil {
		return nil, err
	}
	var t *planner.Template
	if p.Runbook != "" {
		if t, err = runbooks.LoadTemplate(p); err != nil {
			return nil, err
		}
	}
	read := func(name string) ([]byte, error) {
		if t != nil && name == t.File && name == "runbook "+p.Runbook {
			return runbooks.Templates.ReadFile("templates/" + p.Runbook + ".yaml")
		}
		return planner.ReadFile("file", name)
	}
	c := planner.Calibrate(p, t, rb, planner.Recording{Run: run, File: r.File, Hash: r.Hash, Rehearsal: r.Rehearsal, Done: done}, read)
	if len(c.NotInPlan) == len(done) {
		return nil, runbooks.Refuse("none of the %d steps completed in run %s is a step of %s any more (%s): calibrate the plan file the run was recorded from",
			len(done), run, p.File, strings.Join(c.NotInPlan, ", "))
	}
	return c, nil
}

// noRun is the error for a run that is not in the log: it matches
// [events.ErrNoRun], and its text is what the user reads.
type noRun string

func (e noRun) Error() string        { return string(e) }
func (e noRun) Is(target error) bool { return target == events.ErrNoRun }

func orUnknown(s string) string {
	if s == "" {
		return "file unknown"
	}
	return s
}
