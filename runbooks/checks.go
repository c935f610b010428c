package runbooks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
)

// Validation is what a run knows of its validation checks: the plan's, and
// the last result of each from each vantage point.
type Validation struct {
	Checks []events.CheckDef
	// Last holds the last result of each check from each vantage point,
	// by check id then vantage point.
	Last map[string]map[string]CheckResult
}

// CheckResult is a check's result from a vantage point.
type CheckResult struct {
	events.CheckRan
	At time.Time
	By string
}

func (v *Validation) clone() Validation {
	c := *v
	c.Checks = slices.Clone(v.Checks)
	if v.Last != nil {
		c.Last = make(map[string]map[string]CheckResult, len(v.Last))
		for id, m := range v.Last {
			c.Last[id] = maps.Clone(m)
		}
	}
	return c
}

func (v *Validation) ran(e events.CheckRan, rec events.Record) bool {
	if v.Last == nil {
		v.Last = map[string]map[string]CheckResult{}
	}
	m := maps.Clone(v.Last[e.Check]) // a clone may share the inner map
	if m == nil {
		m = map[string]CheckResult{}
	}
	m[e.From] = CheckResult{CheckRan: e, At: rec.Time, By: rec.Actor}
	v.Last[e.Check] = m
	return true
}

// Of returns the checks of a service or asset.
func (v *Validation) Of(of string) []events.CheckDef {
	var out []events.CheckDef
	for _, c := range v.Checks {
		if c.Of == of {
			out = append(out, c)
		}
	}
	return out
}

// Check returns the check with that id.
func (v *Validation) Check(id string) (events.CheckDef, bool) {
	for _, c := range v.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return events.CheckDef{}, false
}

// Pending lists, for a service or asset, each check and vantage point
// whose last result is not a pass ("web-http from ovh-gra: failed: ..."):
// empty when every check passed from every vantage point it must.
func (v *Validation) Pending(of string) []string { return v.pending(of, "") }

// pending is Pending for the checks of one kind ("": every kind).
func (v *Validation) pending(of, kind string) []string {
	var out []string
	for _, c := range v.Of(of) {
		if kind != "" && c.Kind != kind {
			continue
		}
		from := c.From
		if len(from) == 0 {
			from = []string{"local"}
		}
		for _, f := range from {
			last, ok := v.Last[c.ID][f]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s from %s: not run", c.ID, f))
			case last.Error != "":
				out = append(out, fmt.Sprintf("%s from %s: could not run (%s)", c.ID, f, last.Error))
			case !last.OK:
				out = append(out, fmt.Sprintf("%s from %s: failed: expected %s, saw %s", c.ID, f, last.Expected, last.Seen))
			}
		}
	}
	return out
}

// validationFact says whether a validate step's checks passed: the step of
// a service or an asset with checks is done when each of them passed from
// every vantage point the plan names.
//
// A check step (the DNS of a domain, expanded with its service) is done
// when the service's dns checks passed.
func (r *Run) validationFact(st *Step) (bool, string) {
	of := st.Service
	if of == "" {
		of = st.Asset
	}
	kind := ""
	if st.Kind == events.KindCheck {
		kind = "dns"
	}
	if of == "" || !slices.ContainsFunc(r.Validation.Of(of), func(c events.CheckDef) bool { return kind == "" || c.Kind == kind }) {
		return true, ""
	}
	pending := r.Validation.pending(of, kind)
	if len(pending) == 0 {
		return true, ""
	}
	return false, fmt.Sprintf("the checks of %s have not all passed: %s; run them: dcmove check run --of %s --from VANTAGE (on each vantage point), or the lead skips the step with a reason",
		of, strings.Join(pending, "; "), of)
}

// RecordChecks decides to record check results run by actor.
func (r *Run) RecordChecks(now time.Time, actor string, results []events.CheckRan) ([]events.Envelope, error) {
	who, err := r.actor(actor)
	if err != nil {
		return nil, err
	}
	var evs []events.Envelope
	for _, res := range results {
		if _, ok := r.Validation.Check(res.Check); !ok {
			return nil, refuse("run %s has no check %s", r.ID, res.Check)
		}
		if !events.ValidID(res.From) {
			return nil, refuse("vantage point %q is not an id (letters, digits, '-' and '_')", res.From)
		}
		e, err := r.event(now, who, events.CheckSubject(res.Check), res)
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return evs, nil
}
