package runbooks_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
)

// bigPlan is a plan of its own steps: n steps in chains of ten, more than
// one atomic append holds.
func bigPlan(n int) string {
	var b strings.Builder
	b.WriteString(`plan: big
lead: Lea
window: {start: 2026-12-05 07:00, end: 2026-12-20 19:00, timezone: Europe/Paris}
crew:
  - {name: Lea, roles: [lead]}
  - {name: Tom, roles: [tech]}
  - {name: Ana, roles: [tech]}
steps:
`)
	for i := range n {
		after := ""
		if i%10 != 0 {
			after = fmt.Sprintf(", after: [s%d]", i-1)
		}
		fmt.Fprintf(&b, "  - {id: s%d, title: Step %d, phase: move, duration: 5m, role: tech%s}\n", i, i, after)
	}
	return b.String()
}

// A start larger than one atomic append is staged, then committed: killed
// half-way it leaves no run, and run again it makes the run of its own
// steps only, whatever the abandoned start staged.
func TestLargeStartIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	p, err := planner.Parse("big.yaml", []byte(bigPlan(2500)))
	if err != nil {
		t.Fatal(err)
	}
	accept := acceptAll(t, p)
	l := openLog(t)
	clk := runbooks.NewManualClock(p.Window.Start)
	killed := &runbooks.Cutover{Log: l, Clock: clk}
	runbooks.StopStaging(killed, 2)
	if _, err := killed.StartWith(ctx, p, runbooks.StartOptions{Run: "big", Actor: "Lea", Accept: accept}); !errors.Is(err, runbooks.ErrStagingStopped) {
		t.Fatalf("the start stopped half-way: %v", err)
	}
	if _, err := l.LastRun(ctx); !errors.Is(err, events.ErrNoRun) {
		t.Fatalf("a start killed half-way left a run: %v", err)
	}
	c := &runbooks.Cutover{Log: l, Clock: clk}
	r, err := c.Load(ctx, "big")
	if err != nil || r.Exists() || r.LastSeq == 0 {
		t.Fatalf("after the killed start: exists %v, seq %d (%v); want staged steps and no run", r.Exists(), r.LastSeq, err)
	}
	out, err := c.StartWith(ctx, p, runbooks.StartOptions{Run: "big", Actor: "Lea", Accept: accept})
	if err != nil {
		t.Fatal(err)
	}
	r = out.Run
	if len(r.Steps) != 2500 || r.Stage == "" || r.Abandoned != 1800 || r.Skipped != 0 {
		t.Fatalf("the run has %d steps (stage %q), %d abandoned, %d skipped; want 2500, 1800 abandoned by the killed start, none skipped", len(r.Steps), r.Stage, r.Abandoned, r.Skipped)
	}
	// Its commands work, and a replay from the log agrees.
	out = must(t)(c.StartStep(ctx, "big", "s0", "Tom"))
	fresh := &runbooks.Cutover{Log: l, Clock: clk}
	again, err := fresh.Load(ctx, "big")
	if err != nil || len(again.Steps) != 2500 || again.Find("s0").State() != runbooks.Started {
		t.Fatalf("replayed: %d steps, s0 %v (%v)", len(again.Steps), again.Find("s0").State(), err)
	}
	if rep, err := events.Verify(ctx, l, "big"); err != nil || !rep.OK() {
		t.Fatalf("audit verify: %+v, %v", rep.Break, err)
	}
	// A second start of the run is refused, staged or not.
	_, err = c.StartWith(ctx, p, runbooks.StartOptions{Run: "big", Actor: "Lea", Accept: accept})
	refused(t, err, "already exists")
}

// countingLog counts the records read from it.
type countingLog struct {
	events.Log
	read int
}

func (l *countingLog) Read(ctx context.Context, run string, from uint64) iter.Seq2[events.Record, error] {
	return func(yield func(events.Record, error) bool) {
		for r, err := range l.Log.Read(ctx, run, from) {
			l.read++
			if !yield(r, err) {
				return
			}
		}
	}
}

// A staged start reads what it staged once at most, not again before each
// of its appends: a 20,000-step start read its log 23 times over (97 s).
func TestLargeStartReadsItsStagesOnce(t *testing.T) {
	ctx := context.Background()
	p, err := planner.Parse("big.yaml", []byte(bigPlan(4000)))
	if err != nil {
		t.Fatal(err)
	}
	l := &countingLog{Log: openLog(t)}
	c := &runbooks.Cutover{Log: l, Clock: runbooks.NewManualClock(p.Window.Start)}
	out, err := c.StartWith(ctx, p, runbooks.StartOptions{Run: "big", Actor: "Lea", Accept: acceptAll(t, p)})
	if err != nil {
		t.Fatal(err)
	}
	if n := int(out.Run.LastSeq); l.read > n {
		t.Fatalf("a start of %d records read %d records back", n, l.read)
	}
}
