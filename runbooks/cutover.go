package runbooks

import (
	"context"
	"errors"
	"fmt"
	"github.com/google/uuid"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// ErrRefused means a guard refused the command; the error says why and what
// to do.
var ErrRefused = errors.New("runbooks: refused")

// refusal is a guard's refusal: its text is what the user reads.
type refusal struct{ reason string }

func (e *refusal) Error() string        { return e.reason }
func (e *refusal) Is(target error) bool { return target == ErrRefused }

// Refuse returns a guard's refusal, matching [ErrRefused], whose text is
// what the user reads: what is missing and what to do.
func Refuse(format string, args ...any) error { return refuse(format, args...) }

func refuse(format string, args ...any) error {
	return &refusal{reason: fmt.Sprintf(format, args...)}
}

// noRun is the error for a run that does not exist: it matches
// [events.ErrNoRun], and its text is what the user reads.
type noRun struct{ reason string }

func (e *noRun) Error() string        { return e.reason }
func (e *noRun) Is(target error) bool { return target == events.ErrNoRun }

// badPlan is the error for a plan whose analysis finds errors: it matches
// [planner.ErrInvalid] (bad input), and its text is what the user reads.
type badPlan struct{ reason string }

func (e *badPlan) Error() string        { return e.reason }
func (e *badPlan) Is(target error) bool { return target == planner.ErrInvalid }

// Start records the plan as a new run: the start of the cutover and one
// planned step per step of the plan, in one atomic append. It is
// [Cutover.StartWith] with no warnings accepted.
func (c *Cutover) Start(ctx context.Context, p *planner.Plan, run, actor string) (*Outcome, error) {
	return c.StartWith(ctx, p, StartOptions{Run: run, Actor: actor})
}

// StartOptions are the choices of whoever starts a cutover.
type StartOptions struct {
	Run, Actor string
	// Rehearsal marks a dress rehearsal rather than the live run.
	Rehearsal bool
	// Accept holds, per lint id, why its warnings are accepted. Every
	// warning of the plan must be accepted, one lint at a time.
	Accept map[string]string
}

// StartWith records the plan as a new run, in one atomic append: the start
// of the cutover, the warnings accepted (each with who and why), and every
// step of the expanded runbook with its place in the schedule. It refuses a
// plan whose analysis finds errors, or warnings not accepted.
func (c *Cutover) StartWith(ctx context.Context, p *planner.Plan, o StartOptions) (*Outcome, error) {
	if err := checkRunName(o.Run); err != nil {
		return nil, err
	}
	rec, err := NewRecording(p, o)
	if err != nil {
		return nil, err
	}
	return c.startRecording(ctx, o.Run, rec)
}

// checkRunName refuses a run name that is not an id.
func checkRunName(run string) error {
	if !events.ValidID(run) {
		return refuse("run name %q is not valid: use letters, digits, '-' and '_'", run)
	}
	return nil
}

// startRecording records rec as the start of run.
//
// A start larger than one atomic append is staged: its steps are appended
// first, in appends of their own marked with a stage id, and the start
// event commits them (all of them, or none: until it is recorded the run
// does not exist, and a start killed half-way leaves steps that no run
// takes, so the start can simply be run again).
func (c *Cutover) startRecording(ctx context.Context, run string, rec *Recording) (*Outcome, error) {
	// Without server timers the clock is a simulated one (see Timers).
	rec.Started.SimulatedClock = !c.Timers
	if 1+len(rec.Accepted)+len(rec.Steps) > events.MaxBatch {
		stage := uuid.NewString()
		steps := slices.Clone(rec.Steps)
		for i := range steps {
			steps[i].Stage = stage
		}
		for i := 0; i < len(steps); i += captureChunk {
			if c.stopStaging > 0 && i/captureChunk == c.stopStaging {
				return nil, errStagingStopped
			}
			chunk := steps[i:min(i+captureChunk, len(steps))]
			if _, err := c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
				return r.stageSteps(now, rec, chunk)
			}); err != nil {
				return nil, fmt.Errorf("stage the steps of the start (nothing of the run is visible; run the start again): %w", err)
			}
		}
		committed := *rec
		committed.Steps = nil
		committed.Started.Stage, committed.Started.Staged = stage, len(steps)
		rec = &committed
	}
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		return r.Record(now, rec)
	})
}

// errStagingStopped is what a staged start stopped by a test returns.
var errStagingStopped = errors.New("runbooks: staging stopped (test)")

// stageSteps decides to stage steps of a start that does not fit one
// atomic append: refused once the run exists.
func (r *Run) stageSteps(now time.Time, rec *Recording, steps []events.StepPlanned) ([]events.Envelope, error) {
	if r.Exists() {
		return nil, refuse("run %s already exists (plan %s); to run the plan again, name a new run with --run", r.ID, r.Plan)
	}
	actor, err := crewMember(rec.Started.Crew, rec.Actor)
	if err != nil {
		return nil, err
	}
	origin := events.Origin{Run: r.ID, Plan: rec.Started.Plan, Actor: actor}
	evs := make([]events.Envelope, 0, len(steps))
	for _, sp := range steps {
		e, err := events.New(now, origin, "step/"+sp.Step, sp)
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// NewRecording expands and analyses the plan and returns what a cutover
// start records. It refuses a plan whose analysis finds errors, or
// warnings not accepted, or too many steps for one atomic append.
func NewRecording(p *planner.Plan, o StartOptions) (*Recording, error) {
	rb, err := Expand(p)
	if err != nil {
		return nil, err
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
	return newRecording(p, rb, a, o)
}

// newRecording is [NewRecording] of a plan already expanded to rb and
// analysed to a.
func newRecording(p *planner.Plan, rb *planner.Runbook, a *planner.Analysis, o StartOptions) (*Recording, error) {
	var errs, unaccepted []string
	var accepted []planner.Finding
	for _, f := range a.Findings {
		switch {
		case f.Severity == planner.SeverityError:
			errs = append(errs, f.String())
		case strings.TrimSpace(o.Accept[f.ID]) == "":
			unaccepted = append(unaccepted, f.String())
		default:
			accepted = append(accepted, f)
		}
	}
	if len(errs) > 0 {
		return nil, &badPlan{reason: fmt.Sprintf("plan %s has %d error(s) in its risks; fix them (dcmove plan check %s):\n  %s", p.Name, len(errs), p.File, strings.Join(errs, "\n  "))}
	}
	if len(unaccepted) > 0 {
		return nil, refuse("plan %s has warnings to accept one by one, each with --accept ID --reason WHY:\n  %s", p.Name, strings.Join(unaccepted, "\n  "))
	}
	for id := range o.Accept {
		if !slices.ContainsFunc(a.Findings, func(f planner.Finding) bool { return f.ID == id }) {
			return nil, refuse("--accept %s: the plan has no %s warning to accept", id, id)
		}
	}
	steps := recordedSteps(a, rb)
	if n := len(accepted) + 1; n > events.MaxBatch {
		return nil, refuse("plan %s has %d warnings accepted: fix what the warnings say rather than accept them", p.Name, len(accepted))
	}
	crew := make([]events.Member, len(p.Crew))
	for i, m := range p.Crew {
		crew[i] = events.Member{Name: m.Name, Roles: m.Roles, Key: m.Key}
		for _, sh := range m.Shifts {
			crew[i].Shifts = append(crew[i].Shifts, events.Shift{Start: sh.Start, End: sh.End})
		}
	}
	services := make([]events.Service, len(p.Services))
	for i, sv := range p.Services {
		services[i] = events.Service{ID: sv.ID, Title: sv.Title, Vital: sv.Vital, KeepUp: sv.KeepUp, RTO: events.Duration(sv.RTO)}
	}
	checks := ChecksOf(p)
	rec := &Recording{
		Started: events.CutoverStarted{
			Plan: p.Name, Title: p.Title, File: p.File, Hash: p.Hash,
			WindowStart: p.Window.Start, WindowEnd: p.Window.End, TimeZone: p.Window.TimeZone,
			Steps: len(steps), Crew: crew, Lead: p.Lead, Rehearsal: o.Rehearsal, Services: services,
			PointOfNoReturn: ponr(a), FirewallRules: FirewallRulesOf(p), Checks: checks, Stakeholders: stakeholdersOf(p),
			Capacities: capacitiesOf(p),
		},
		Actor: o.Actor,
	}
	for _, f := range accepted {
		rec.Accepted = append(rec.Accepted, events.WarningAccepted{Lint: f.ID, Message: f.Message, Reason: o.Accept[f.ID]})
	}
	cooldowns := cooldownSteps(rb)
	// Record steps in dependency order, so a reader meets a step's
	// dependencies before the step.
	for _, s := range dependencyOrder(steps) {
		rec.Steps = append(rec.Steps, events.StepPlanned{
			Step: s.ID, Title: s.Title, Kind: s.Kind, Phase: s.Phase, After: s.After, Asset: s.Asset, Role: s.Role, Gate: s.Gate,
			Optimistic:  events.Duration(s.Duration.Optimistic),
			Likely:      events.Duration(s.Duration.Likely),
			Pessimistic: events.Duration(s.Duration.Pessimistic),
			Timing:      s.Timing, Service: s.Service, Template: s.Template, Backout: s.Backout,
			BackoutOnly: s.BackoutOnly, PlannedStart: s.Start, PlannedEnd: s.End,
			Timer: timerOf(s.Kind), Cooldown: events.Duration(cooldowns[s.ID]), Rule: s.Rule,
			Domain: s.Domain, Require: s.Require, Stakeholder: s.Stakeholder, Needs: needsOf(s.Needs),
		})
	}
	return rec, nil
}

// Recording is a plan as a cutover start records it: the start, the
// warnings accepted and every step, ready to append.
type Recording struct {
	Started  events.CutoverStarted
	Accepted []events.WarningAccepted
	Steps    []events.StepPlanned
	// Actor is who starts the cutover, as they gave their name.
	Actor string
}

// Record decides the start of a cutover on a run that must not exist yet:
// the start, the warnings accepted and every planned step, by a member of
// the plan's crew.
func (r *Run) Record(now time.Time, rec *Recording) ([]events.Envelope, error) {
	if r.Exists() {
		return nil, refuse("run %s already exists (plan %s); to run the plan again, name a new run with --run", r.ID, r.Plan)
	}
	actor, err := crewMember(rec.Started.Crew, rec.Actor)
	if err != nil {
		return nil, err
	}
	origin := events.Origin{Run: r.ID, Plan: rec.Started.Plan, Actor: actor}
	evs := make([]events.Envelope, 0, 1+len(rec.Accepted)+len(rec.Steps))
	add := func(subject string, ev events.Event) error {
		e, err := events.New(now, origin, subject, ev)
		evs = append(evs, e)
		return err
	}
	if err := add("", rec.Started); err != nil {
		return nil, err
	}
	for _, w := range rec.Accepted {
		if err := add("", w); err != nil {
			return nil, err
		}
	}
	for _, sp := range rec.Steps {
		if err := add("step/"+sp.Step, sp); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// timerOf is the version 1 timer field of a step of that kind, written
// for older dcmove binaries that read the log.
func timerOf(k events.StepKind) string {
	if k.IsTimer() {
		return string(k)
	}
	return ""
}

// dependencyOrder returns steps with each after its dependencies, keeping
// the given order among steps that are ready together. Dependencies on
// steps not recorded (back-out steps) are dropped.
func dependencyOrder(steps []planner.Scheduled) []planner.Scheduled {
	p := &planner.Plan{}
	byID := make(map[string]planner.Scheduled, len(steps))
	for _, s := range steps {
		p.Steps = append(p.Steps, *s.Step)
		byID[s.ID] = s
	}
	var out []planner.Scheduled
	for _, id := range p.Order() {
		s := byID[id]
		step := *s.Step
		step.After = slices.DeleteFunc(slices.Clone(step.After), func(d string) bool { _, ok := byID[d]; return !ok })
		s.Step = &step
		out = append(out, s)
	}
	return out
}

// crewMember returns actor's name as the crew list spells it. With no crew
// in the plan anyone may act, but someone must.
func crewMember(crew []events.Member, actor string) (string, error) {
	actor = strings.TrimSpace(actor)
	if actor == "" {
		return "", refuse("who is acting? give --as NAME (or set DCMOVE_ACTOR)")
	}
	if len(crew) == 0 {
		return actor, nil
	}
	names := make([]string, len(crew))
	for i, m := range crew {
		if strings.EqualFold(m.Name, actor) {
			return m.Name, nil
		}
		names[i] = m.Name
	}
	return "", refuse("%q is not in the crew; the crew is %s", actor, strings.Join(names, ", "))
}

func orNone(roles []string) string {
	if len(roles) == 0 {
		return "no role"
	}
	return strings.Join(roles, ", ")
}

// stakeholdersOf returns the plan's stakeholders as a cutover start
// records them.
func stakeholdersOf(p *planner.Plan) []events.StakeholderDef {
	var out []events.StakeholderDef
	for _, s := range p.Stakeholders {
		out = append(out, events.StakeholderDef{ID: s.ID, Title: s.Title, Notice: events.Duration(s.Notice), Ack: s.Ack})
	}
	return out
}

// capacitiesOf returns the plan's vehicles (their count) and resources
// (their capacity).
func capacitiesOf(p *planner.Plan) []events.Capacity {
	var out []events.Capacity
	for _, v := range p.Transport {
		out = append(out, events.Capacity{ID: v.ID, Amount: max(v.Count, 1)})
	}
	for _, r := range p.Resources {
		out = append(out, events.Capacity{ID: r.ID, Amount: r.Capacity})
	}
	return out
}

// needsOf returns what a step holds as the events record it.
func needsOf(needs []planner.Need) []events.Capacity {
	var out []events.Capacity
	for _, n := range needs {
		out = append(out, events.Capacity{ID: n.Resource, Amount: n.Amount})
	}
	return out
}
