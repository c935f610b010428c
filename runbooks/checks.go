package runbooks

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// ChecksOf returns the plan's validation checks as a cutover start records
// them: the services', the assets', then the domains' (Of is the domain's
// name).
func ChecksOf(p *planner.Plan) []events.CheckDef {
	var out []events.CheckDef
	add := func(of string, cs []planner.Check) {
		for _, c := range cs {
			out = append(out, events.CheckDef{ID: c.ID, Of: of, Kind: c.Kind, Target: c.Target, Expect: c.Expect, From: c.From,
				Type: c.Type, Resolver: c.Resolver, MaxTTL: events.Duration(c.MaxTTL), Status: c.Status, Body: c.Body,
				ServerName: c.ServerName, MinDays: c.MinDays, Timeout: events.Duration(c.Timeout), Retries: c.Retries})
		}
	}
	for _, sv := range p.Services {
		add(sv.ID, sv.Checks)
	}
	for _, as := range p.Assets {
		add(as.ID, as.Checks)
	}
	for _, dom := range p.Domains {
		add(dom.Name, dom.Checks)
	}
	return out
}

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

// Pending lists, for a service, asset or domain, each check and vantage
// point whose last result is not a pass ("web-http from ovh-gra: failed:
// ..."): empty when every check passed from every vantage point it must.
func (v *Validation) Pending(of string) []string { return v.pending(v.Of(of)) }

// pending lists, for checks, each check and vantage point whose last
// result is not a pass.
func (v *Validation) pending(checks []events.CheckDef) []string {
	var out []string
	for _, c := range checks {
		from := c.Vantages()
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

// checksOf returns the checks whose passing completes step st: those of
// its service or asset for a validate step; for a check step (the DNS of
// a domain), the domain's own checks and the dns checks of its service
// that ask for the domain's name, or, when there are none, all the dns
// checks of its service. The owner is what to name to run them.
func (r *Run) checksOf(st *Step) (checks []events.CheckDef, owner string) {
	if st.Kind == events.KindCheck {
		if st.Domain != "" {
			for _, c := range r.Validation.Checks {
				if strings.EqualFold(c.Of, st.Domain) || (c.Of == st.Service && c.Kind == "dns" && strings.EqualFold(c.Target, st.Domain)) {
					checks = append(checks, c)
				}
			}
			if len(checks) > 0 {
				return checks, st.Domain
			}
		}
		for _, c := range r.Validation.Of(st.Service) {
			if c.Kind == "dns" {
				checks = append(checks, c)
			}
		}
		return checks, st.Service
	}
	owner = cmp.Or(st.Service, st.Asset)
	if owner == "" {
		return nil, ""
	}
	return r.Validation.Of(owner), owner
}

// validationFact says whether a validate or check step's checks passed
// (see [Run.checksOf]) from every vantage point the plan names, and if
// not, what is missing. A step with no checks has no facts to wait for.
func (r *Run) validationFact(st *Step) (bool, string) {
	checks, owner := r.checksOf(st)
	if len(checks) == 0 {
		return true, ""
	}
	pending := r.Validation.pending(checks)
	if len(pending) == 0 {
		return true, ""
	}
	return false, fmt.Sprintf("the checks of %s have not all passed: %s; run them: dcmove check run %s --from VANTAGE (on each vantage point) or --agents, or the lead overrides with a reason: dcmove step done %s --override WHY",
		owner, ListSome(pending, 6, "dcmove check status shows them all"), owner, st.ID)
}

// factOf says whether step st is done by facts rather than a tick
// (factual), whether these facts are there (ok), and what is missing.
func (r *Run) factOf(st *Step) (factual, ok bool, missing string) {
	switch st.Kind {
	case events.KindValidate, events.KindCheck:
		if checks, _ := r.checksOf(st); len(checks) == 0 {
			return false, true, ""
		}
		ok, missing = r.validationFact(st)
		return true, ok, missing
	case events.KindAck:
		if _, ok := r.Notices.Stakeholder(st.Stakeholder); !ok {
			return false, true, "" // a plan's own step, or a run from before notices were recorded
		}
		ok, missing = r.ackFact(st)
		return true, ok, missing
	case events.KindCaptureRule, events.KindReviewRule, events.KindVerifyRule:
		if st.Rule == "" {
			return false, true, "" // a plain step of the plan's own: a tick is all there is
		}
		ok, missing = r.firewallFact(st)
		return true, ok, missing
	}
	return false, true, ""
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
	// The validate and check steps these results complete are done with
	// them.
	after := r.Clone()
	after.foresee(evs)
	steps, err := after.completeByFacts(now, who, events.KindValidate, events.KindCheck)
	return append(evs, steps...), err
}
