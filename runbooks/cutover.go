package runbooks

import (
	"context"
	"errors"
	"fmt"
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

func refuse(format string, args ...any) error {
	return &refusal{reason: fmt.Sprintf(format, args...)}
}

// Cutover executes the team's commands on runs stored in a log.
type Cutover struct {
	Log   events.Log
	Clock Clock
	// Timers asks the server to deliver each timer (a cool-down's end) at
	// its due time, even if no dcmove command runs then. With a simulated
	// clock leave it off: due timers are recorded by the next command.
	Timers bool
}

// Outcome is what a command changed.
type Outcome struct {
	// Run is the run's state after the command.
	Run *Run
	// Appended are the events the command recorded.
	Appended []events.Envelope
	// NowReady are the steps the command made ready to start.
	NowReady []string
}

// Load folds the run's events into its command-side state.
func (c *Cutover) Load(ctx context.Context, run string) (*Run, error) {
	r := newRun(run)
	for rec, err := range c.Log.Read(ctx, run, 0) {
		if err != nil {
			return nil, fmt.Errorf("load run %s: %w", run, err)
		}
		r.Apply(rec)
	}
	return r, nil
}

// execute loads the run, lets decide check its guards and build events, and
// appends them with the run's last sequence as expectation, chained to the
// run's last record (tamper evidence: see [events.Verify]). If another
// command got in first it re-reads and decides once more.
func (c *Cutover) execute(ctx context.Context, run string, decide func(r *Run) ([]events.Envelope, error)) (*Outcome, error) {
	for attempt := 0; ; attempt++ {
		// Load, keeping the last record: what is appended chains to it.
		r := newRun(run)
		var last *events.Envelope
		for rec, err := range c.Log.Read(ctx, run, 0) {
			if err != nil {
				return nil, fmt.Errorf("load run %s: %w", run, err)
			}
			r.Apply(rec)
			last = &rec.Envelope
		}
		// Timers already due are recorded with the command, so a guard
		// never waits on a timer the server has not delivered yet (or that
		// a simulated clock passed).
		pre, err := c.dueTimers(r)
		if err != nil {
			return nil, err
		}
		for _, e := range pre {
			r.Apply(events.Record{Envelope: e})
		}
		evs, err := decide(r)
		if err != nil {
			return nil, err
		}
		before := r.Ready()
		all := append(slices.Clone(pre), evs...)
		if len(all) == 0 {
			return &Outcome{Run: r}, nil
		}
		var head events.Link // a new run starts the chain
		if last != nil {
			head = events.LinkTo(*last)
		}
		head.Chain(all)
		evs = all[len(pre):]
		seq, err := c.Log.Append(ctx, run, r.Seq, all...)
		if errors.Is(err, events.ErrConflict) && attempt == 0 {
			continue
		}
		if errors.Is(err, events.ErrConflict) {
			return nil, fmt.Errorf("the run changed twice while this command was checked; run it again: %w", err)
		}
		if err != nil {
			return nil, err
		}
		first := seq - uint64(len(all)) + 1 + uint64(len(pre))
		for i, e := range evs {
			r.Apply(events.Record{Envelope: e, Seq: first + uint64(i)})
		}
		if err := c.scheduleTimers(ctx, evs); err != nil {
			return nil, err
		}
		var now []string
		for _, id := range r.Ready() {
			if !slices.Contains(before, id) {
				now = append(now, id)
			}
		}
		return &Outcome{Run: r, Appended: all, NowReady: now}, nil
	}
}

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
	run := o.Run
	if !events.ValidID(run) {
		return nil, refuse("run name %q is not valid: use letters, digits, '-' and '_'", run)
	}
	rb, err := Expand(p)
	if err != nil {
		return nil, err
	}
	a, err := planner.Analyze(p, rb, planner.Options{Seed: 1})
	if err != nil {
		return nil, err
	}
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
		return nil, refuse("plan %s has %d error(s) in its risks; fix them (dcmove plan check %s):\n  %s", p.Name, len(errs), p.File, strings.Join(errs, "\n  "))
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
	if len(steps)+len(accepted)+1 > events.MaxBatch {
		return nil, refuse("plan %s has %d steps; one cutover start records at most %d", p.Name, len(steps), events.MaxBatch-1-len(accepted))
	}
	crew := make([]events.Member, len(p.Crew))
	for i, m := range p.Crew {
		crew[i] = events.Member{Name: m.Name, Roles: m.Roles}
	}
	services := make([]events.Service, len(p.Services))
	for i, sv := range p.Services {
		services[i] = events.Service{ID: sv.ID, Title: sv.Title, Vital: sv.Vital, RTO: events.Duration(sv.RTO)}
	}
	timers, cooldowns := cooldownSteps(rb)
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		if r.Exists() {
			return nil, refuse("run %s already exists (plan %s); to run the plan again, name a new run with --run", run, r.Plan)
		}
		actor, err := crewMember(crew, o.Actor)
		if err != nil {
			return nil, err
		}
		origin := events.Origin{Run: run, Plan: p.Name, Actor: actor}
		now := c.Clock.Now()
		first, err := events.New(now, origin, "", events.CutoverStarted{
			Plan: p.Name, Title: p.Title, File: p.File, Hash: p.Hash,
			WindowStart: p.Window.Start, WindowEnd: p.Window.End, TimeZone: p.Window.TimeZone,
			Steps: len(steps), Crew: crew, Lead: p.Lead, Rehearsal: o.Rehearsal, Services: services,
			PointOfNoReturn: ponr(a),
		})
		if err != nil {
			return nil, err
		}
		evs := []events.Envelope{first}
		for _, f := range accepted {
			e, err := events.New(now, origin, "", events.WarningAccepted{Lint: f.ID, Message: f.Message, Reason: o.Accept[f.ID]})
			if err != nil {
				return nil, err
			}
			evs = append(evs, e)
		}
		// Record steps in dependency order, so a reader meets a step's
		// dependencies before the step.
		for _, s := range dependencyOrder(steps) {
			sp := events.StepPlanned{
				Step: s.ID, Title: s.Title, Phase: s.Phase, After: s.After, Asset: s.Asset, Role: s.Role, Gate: s.Gate,
				Optimistic:  events.Duration(s.Duration.Optimistic),
				Likely:      events.Duration(s.Duration.Likely),
				Pessimistic: events.Duration(s.Duration.Pessimistic),
				Timing:      s.Timing, Service: s.Service, Template: s.Template, Backout: s.Backout,
				BackoutOnly: s.BackoutOnly, PlannedStart: s.Start, PlannedEnd: s.End,
				Timer: timers[s.ID], Cooldown: events.Duration(cooldowns[s.ID]),
			}
			e, err := events.New(now, origin, "step/"+s.ID, sp)
			if err != nil {
				return nil, err
			}
			evs = append(evs, e)
		}
		return evs, nil
	})
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

// StartStep records that actor started a step. It refuses when the step's
// dependencies are not done, the step is not pending, or the actor is not a
// crew member with the step's role.
func (c *Cutover) StartStep(ctx context.Context, run, id, actor string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		s, who, err := r.guardStep(id, actor)
		if err != nil {
			return nil, err
		}
		if err := r.canStart(s, c.Clock.Now()); err != nil {
			return nil, err
		}
		e, err := events.New(c.Clock.Now(), events.Origin{Run: run, Plan: r.Plan, Actor: who}, "step/"+id, events.StepStarted{Step: id})
		return []events.Envelope{e}, err
	})
}

// CompleteStep records that actor finished a step that was started.
func (c *Cutover) CompleteStep(ctx context.Context, run, id, actor string) (*Outcome, error) {
	return c.execute(ctx, run, func(r *Run) ([]events.Envelope, error) {
		s, who, err := r.guardStep(id, actor)
		if err != nil {
			return nil, err
		}
		if s.state != started {
			return nil, refuse("step %s is %s; only a started step can be finished (dcmove step start %s)", id, r.describe(s), id)
		}
		if s.gate {
			return nil, refuse("step %s is a go/no-go gate: it is done when every role signed go (dcmove gate sign %s --decision go); still to sign: %s", id, id, strings.Join(r.unsigned(s), ", "))
		}
		if s.planned.Timer == "grace" {
			if end := s.startedAt.Add(time.Duration(s.planned.Likely)); c.Clock.Now().Before(end) {
				return nil, refuse("step %s is the grace period: nothing at the source may be destroyed before %s (%s left)",
					id, end.In(r.Location()).Format("Mon 2 Jan 15:04"), planner.Span(end.Sub(c.Clock.Now())))
			}
		} else if s.planned.Timer != "" {
			return nil, refuse("step %s is a timer: %s cools down until %s, then it ends by itself; the lead may cut it short: dcmove cooldown force %s --reason WHY",
				id, s.planned.Asset, r.cooling[s.planned.Asset].In(r.Location()).Format("Mon 15:04"), s.planned.Asset)
		}
		evs, err := c.stepEvent(r, who, id, events.StepCompleted{Step: id})
		if err != nil {
			return nil, err
		}
		return c.startCooldown(r, s, evs)
	})
}

// guardStep checks what every step command needs: the run exists, the step
// exists, and the actor is a crew member who may do it. It returns the step
// and the actor's name as the plan spells it.
func (r *Run) guardStep(id, actor string) (*step, string, error) {
	s, who, err := r.guardMember(id, actor)
	if err != nil {
		return nil, "", err
	}
	if s.role != "" && len(r.names) > 0 && !slices.Contains(r.crew[who], s.role) {
		var can []string
		for _, n := range r.names {
			if slices.Contains(r.crew[n], s.role) {
				can = append(can, n)
			}
		}
		return nil, "", refuse("%s cannot do step %s: it needs the %s role, and %s has %s; ask %s",
			who, id, s.role, who, orNone(r.crew[who]), strings.Join(can, " or "))
	}
	return s, who, nil
}

func (s *step) stateName() string {
	if s == nil {
		return "not in the plan"
	}
	return stateNames[s.state]
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
