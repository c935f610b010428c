package runbooks

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// Cutover executes the team's commands on runs stored in a log: it loads
// the run's model, lets a command decide on it, and appends what the
// command decided with the run's last sequence as expectation.
type Cutover struct {
	Log   events.Log
	Clock Clock
	// Checkpoints, if set, keeps the run's model between commands: a
	// command folds only the records appended since the last checkpoint,
	// so its cost does not grow with the run.
	Checkpoints events.CheckpointStore
	// Timers asks the server to deliver each timer (a cool-down's end) at
	// its due time, even if no dcmove command runs then. With a simulated
	// clock leave it off: due timers are recorded by the next command.
	Timers bool
	// Key, if set, signs every event the command appends (and the timers
	// it schedules): the key of whoever runs the command (dcmove keys new,
	// --key FILE). A run whose crew lists keys refuses commands without
	// a key of its crew, and events whose actor is not the key's owner.
	Key events.Signer

	mu   sync.Mutex
	kept map[string]*Run // the last model of each run this Cutover saw

	// stopStaging, in tests, ends a staged start after that many appends
	// of staged steps, as a start killed half-way would.
	stopStaging int
}

// commandCheckpointEvery is how many records a command folds before it
// saves the run's checkpoint: a command reads at most this many records
// past the checkpoint, whatever the length of the run.
const commandCheckpointEvery = 128

// Outcome is what a command changed.
type Outcome struct {
	// Run is the run's state after the command.
	Run *Run
	// Appended are the events the command recorded.
	Appended []events.Envelope
	// NowReady are the steps the command made ready to start.
	NowReady []string
	// TimerError is set when the command's events are stored but a timer
	// it started (a cool-down's end) could not be handed to the server:
	// the command succeeded, and the next command records the timer when
	// it is due.
	TimerError error
}

// Decision is a command decided on a run's model at a time: the events it
// records, or a refusal. It does no I/O.
type Decision func(r *Run, now time.Time) ([]events.Envelope, error)

// Load folds the run's events into its model: from the model this Cutover
// last saw of the run (a process that runs many commands, such as the demo,
// reads only what came after), else from the run's checkpoint if there is
// one, else from the start.
func (c *Cutover) Load(ctx context.Context, run string) (*Run, error) {
	if r := c.recall(run); r != nil {
		for rec, err := range c.Log.Read(ctx, run, r.LastSeq+1) {
			if err != nil {
				return nil, fmt.Errorf("load run %s: %w", run, err)
			}
			r.Apply(rec)
		}
		c.keep(r)
		return r, nil
	}
	r := NewRun(run)
	var err error
	if c.Checkpoints != nil {
		_, err = events.ReplayCheckpointed(ctx, c.Log, c.Checkpoints, run, r,
			events.CheckpointEvery(commandCheckpointEvery), events.SaveAtLeast(commandCheckpointEvery))
	} else {
		_, err = events.Replay(ctx, c.Log, run, r)
	}
	if err != nil {
		return nil, fmt.Errorf("load run %s: %w", run, err)
	}
	c.keep(r)
	return r, nil
}

// keep remembers a copy of r, the latest model of its run.
func (c *Cutover) keep(r *Run) {
	if !r.Exists() && len(r.staged) == 0 {
		return // nothing worth keeping; a run started later is read whole
	}
	k := r.Clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kept == nil {
		c.kept = map[string]*Run{}
	}
	if old := c.kept[r.ID]; old == nil || old.LastSeq < k.LastSeq {
		c.kept[r.ID] = k
	}
}

// recall returns a copy of the latest model of run this Cutover kept.
func (c *Cutover) recall(run string) *Run {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.kept[run]; r != nil {
		return r.Clone()
	}
	return nil
}

// Execute loads the run, lets decide check its guards and build events,
// and appends them with the run's last sequence as expectation, chained to
// the run's last record (tamper evidence: see [events.Verify]). Timers due
// by the clock are recorded first, in the same append. If another command
// got in first it loads the run and decides again (up to maxAttempts
// times). Then it hands the
// timers the command started to the server.
func (c *Cutover) Execute(ctx context.Context, run string, decide Decision) (*Outcome, error) {
	for attempt := 0; ; attempt++ {
		r, err := c.Load(ctx, run)
		if err != nil {
			return nil, err
		}
		now := c.Clock.Now()
		head := r.Head() // a new run starts the chain
		// Timers already due are recorded with the command, so a guard
		// never waits on a timer the server has not delivered yet (or that
		// a simulated clock passed).
		pre, err := r.DueTimers(now)
		if err != nil {
			return nil, err
		}
		if r.Signed {
			if _, err := c.signer(r.ID, r.Crew); err != nil {
				return nil, err
			}
		}
		// Chained and signed before they are applied: a run that requires
		// signatures applies only signed events.
		tail := head.Chain(pre)
		if err := c.sign(pre); err != nil {
			return nil, err
		}
		expect := r.LastSeq
		for _, e := range pre {
			r.Apply(events.Record{Envelope: e, Seq: expect})
		}
		evs, err := decide(r, now)
		if err != nil {
			return nil, err
		}
		if err := c.checkActors(r, evs); err != nil {
			return nil, err
		}
		before := r.Ready()
		all := append(slices.Clone(pre), evs...)
		if len(all) == 0 {
			return &Outcome{Run: r}, nil
		}
		// pre is chained and signed already (a signature does not change
		// an event's hash): the command's events follow it.
		evs = all[len(pre):]
		tail.Chain(evs)
		if err := c.sign(evs); err != nil {
			return nil, err
		}
		seq, err := c.Log.Append(ctx, run, expect, all...)
		if errors.Is(err, events.ErrConflict) && attempt < maxAttempts-1 {
			if err := backOff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		if errors.Is(err, events.ErrConflict) {
			return nil, fmt.Errorf("the run changed %d times while this command was checked; run it again: %w", maxAttempts, err)
		}
		if err != nil {
			return nil, err
		}
		first := seq - uint64(len(all)) + 1
		for i, e := range all {
			if i < len(pre) {
				continue // already applied
			}
			r.Apply(events.Record{Envelope: e, Seq: first + uint64(i)})
		}
		r.LastSeq = seq
		c.keep(r)
		out := &Outcome{Run: r, Appended: all, TimerError: c.scheduleTimers(ctx, r, evs)}
		for _, id := range r.Ready() {
			if !slices.Contains(before, id) {
				out.NowReady = append(out.NowReady, id)
			}
		}
		return out, nil
	}
}

// maxAttempts is how many times a command is decided when other commands
// keep changing the run first: each time it reads what they recorded and
// checks its guards again.
const maxAttempts = 8

// backOff waits a little before a command decides again after a conflict,
// longer after each, and at random so that commands that collided do not
// collide again.
func backOff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(5*time.Millisecond) << attempt))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// scheduleTimers asks the server to deliver, at its due time, every timer
// the command started (see [Run.Timers]).
func (c *Cutover) scheduleTimers(ctx context.Context, r *Run, evs []events.Envelope) error {
	if !c.Timers {
		return nil
	}
	timers, err := r.Timers(evs)
	if err != nil {
		return err
	}
	for _, t := range timers {
		// Signed now, by whoever started the timer: the server delivers
		// this body as it is.
		if c.Key != nil {
			if err := events.Sign(&t.Event, c.Key); err != nil {
				return err
			}
		}
		if err := c.Log.Schedule(ctx, t.Event, t.At); err != nil {
			return fmt.Errorf("%s is recorded, but its timer could not be set (the next command records it when due): %w", t.What, err)
		}
	}
	return nil
}

// toolActor is the actor of the events dcmove records by itself (a timer).
const toolActor = "dcmove"

// Tick records the timers that are due by the clock (the end of a
// cool-down), if any, and nothing else. A simulated crew calls it when it
// waits for a timer; with the machine's clock the server delivers timers.
func (c *Cutover) Tick(ctx context.Context, run string) (*Outcome, error) {
	return c.Execute(ctx, run, func(*Run, time.Time) ([]events.Envelope, error) { return nil, nil })
}

// sign signs evs with the command's key, if any. Sign after chaining: the
// signature covers the chain.
func (c *Cutover) sign(evs []events.Envelope) error {
	if c.Key == nil {
		return nil
	}
	for i := range evs {
		if err := events.Sign(&evs[i], c.Key); err != nil {
			return fmt.Errorf("sign the command's events: %w", err)
		}
	}
	return nil
}

// signer returns the crew member whose key the command holds, on a run
// with that crew that requires signatures; a refusal when the command
// holds no key, or one that is not in the crew.
func (c *Cutover) signer(run string, crew []events.Member) (string, error) {
	if c.Key == nil {
		return "", refuse("run %s requires signed actions: give --key FILE (or set DCMOVE_KEY) with your key; make one with: dcmove keys new NAME --out FILE, and have its key: line put in the plan's crew", run)
	}
	pub, err := c.Key.PublicKey()
	if err != nil {
		return "", fmt.Errorf("the command's key: %w", err)
	}
	name, ok := events.KeyOwner(crew, pub)
	if !ok {
		return "", refuse("the key %s is not the key of anyone in the crew of run %s: use your own key file (the plan's crew lists each member's public key)", events.ShortKey(pub), run)
	}
	return name, nil
}

// checkActors refuses, on a run that requires signatures (or the start of
// one), events whose actor is not the owner of the command's key: a key
// acts for its owner only.
func (c *Cutover) checkActors(r *Run, evs []events.Envelope) error {
	crew, run := r.Crew, r.ID
	if !r.Exists() {
		for _, e := range evs {
			if e.Type != events.TypeCutoverStarted {
				continue
			}
			ev, err := e.Decode()
			if err != nil {
				return err
			}
			crew, run = ev.(events.CutoverStarted).Crew, e.Run
		}
	}
	if !events.RequiresKeys(crew) {
		return nil
	}
	owner, err := c.signer(run, crew)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.Actor != toolActor && e.Actor != owner {
			return refuse("--as %s: the key given is %s's; a key acts for its owner only (leave --as out, or use %s's key)", e.Actor, owner, e.Actor)
		}
	}
	return nil
}

// Actor returns who runs a command on run: as (--as), or when as is empty
// and the command holds a key of the run's crew, the key's owner. On a run
// that requires signatures it refuses a command without a key of the
// crew, and an as that is not the key's owner. On a run without keys (or
// one not started) it returns as.
func (c *Cutover) Actor(ctx context.Context, run, as string) (string, error) {
	r, err := c.Load(ctx, run)
	if err != nil {
		return "", err
	}
	return c.actorOn(r.ID, r.Crew, as)
}

// StartActor is [Cutover.Actor] for the start of a run of plan p: the
// crew is the plan's.
func (c *Cutover) StartActor(p *planner.Plan, run, as string) (string, error) {
	crew := make([]events.Member, len(p.Crew))
	for i, m := range p.Crew {
		crew[i] = events.Member{Name: m.Name, Key: m.Key}
	}
	return c.actorOn(run, crew, as)
}

func (c *Cutover) actorOn(run string, crew []events.Member, as string) (string, error) {
	if !events.RequiresKeys(crew) {
		return as, nil
	}
	owner, err := c.signer(run, crew)
	if err != nil {
		return "", err
	}
	if as != "" && as != owner {
		return "", refuse("--as %s: the key given is %s's; a key acts for its owner only (leave --as out, or use %s's key)", as, owner, as)
	}
	return owner, nil
}
