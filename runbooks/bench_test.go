package runbooks_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

// longRun starts the small plan as run "r" on a fresh embedded log and pads
// it to n events with blocks and unblocks of a step, as a long weekend of
// small decisions would.
func longRun(b *testing.B, n int) (*runbooks.Cutover, *jetstream.Log) {
	b.Helper()
	ctx := context.Background()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	p, err := planner.Parse("small.yaml", []byte(smallPlan))
	if err != nil {
		b.Fatal(err)
	}
	c := &runbooks.Cutover{Log: l, Clock: runbooks.NewManualClock(t0)}
	out, err := c.Start(ctx, p, "r", "Claire")
	if err != nil {
		b.Fatal(err)
	}
	o := events.Origin{Run: "r", Plan: "small", Actor: "Julien"}
	for have := len(out.Appended); have < n; {
		batch := make([]events.Envelope, 0, min(events.MaxBatch, n-have))
		for len(batch) < cap(batch) {
			var ev events.Event = events.StepBlocked{Step: "validate", Reason: "waiting for the cross-connect"}
			if (have+len(batch))%2 == 0 {
				ev = events.StepUnblocked{Step: "validate"}
			}
			e, err := events.New(t0, o, "step/validate", ev)
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, e)
		}
		if _, err := l.Append(ctx, "r", events.AnySequence, batch...); err != nil {
			b.Fatal(err)
		}
		have += len(batch)
	}
	return c, l
}

// One StartStep through the executor (load, decide, append, fold the
// outcome) at the end of runs of growing length, three ways: as a new CLI
// process does, from the run's checkpoint; as commands did before
// checkpoints, replaying the whole run; and as a process that runs many
// commands does (the demo), from the model it kept of the run. Between two
// starts the step is failed and retried (not timed), so every start is
// allowed.
//
//	go test -run '^$' -bench StartStep -benchtime 20x ./runbooks/
func BenchmarkStartStep(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1_000, 10_000, 100_000} {
		for _, mode := range []string{"from-checkpoint", "whole-run", "kept-model"} {
			b.Run(fmt.Sprintf("events=%d/%s", n, mode), func(b *testing.B) {
				if mode == "whole-run" && n > 10_000 && b.N > 20 {
					b.Skip("a whole replay of 100k events per command: run with -benchtime 20x")
				}
				c, l := longRun(b, n)
				store, err := l.Checkpoints(ctx)
				if err != nil {
					b.Fatal(err)
				}
				// A new Cutover is a new process: it keeps nothing.
				command := func() *runbooks.Cutover {
					switch mode {
					case "from-checkpoint":
						return &runbooks.Cutover{Log: l, Clock: c.Clock, Checkpoints: store}
					case "whole-run":
						return &runbooks.Cutover{Log: l, Clock: c.Clock}
					}
					return c
				}
				if _, err := (&runbooks.Cutover{Log: l, Clock: c.Clock, Checkpoints: store}).Load(ctx, "r"); err != nil {
					b.Fatal(err) // the checkpoint at the end of the run
				}
				if _, err := c.Load(ctx, "r"); err != nil {
					b.Fatal(err) // the model c keeps
				}
				b.ResetTimer()
				for range b.N {
					if _, err := command().StartStep(ctx, "r", "capture", "Karim"); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if _, err := c.FailStep(ctx, "r", "capture", "Karim", "again"); err != nil {
						b.Fatal(err)
					}
					if _, err := c.RetryStep(ctx, "r", "capture", "Karim", "again"); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
		}
	}
}
