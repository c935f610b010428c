package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/dcmove/dcmove/runbooks"
)

// BenchmarkCommand measures one whole dcmove command as a crew member runs
// it: a new process (the test binary run as dcmove), which finds the data
// directory served by dcmove serve, loads the run from its checkpoint,
// decides, appends one event and exits; alternately blocking and
// unblocking a step of a run of 100 or 1,000 steps (20,000 too with
// DCMOVE_BENCH_BIG=1; its start takes minutes).
func BenchmarkCommand(b *testing.B) {
	sizes := []int{100, 1000}
	if os.Getenv("DCMOVE_BENCH_BIG") != "" {
		sizes = append(sizes, 20000)
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n)+"-steps", func(b *testing.B) {
			dir := b.TempDir()
			clock := runbooks.NewManualClock(paris(b, 5, "06:30"))
			var served syncBuffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := dcmoveProcess(ctx, "serve", "--data-dir", dir)
			srv.Stdout, srv.Stderr = &served, &served
			if err := srv.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() { cancel(); srv.Wait() }()
			waitFor(b, &served, "serving data directory")
			mustRun(b, clock, "cutover", "start", manyStepsPlan(b, n), "--rehearsal", "--data-dir", dir, "--as", "Ana", "--accept", "L013", "--reason", "bench")
			run := "many-rehearsal"
			verbs := []string{"block", "unblock"}
			for i := 0; b.Loop(); i++ {
				args := []string{"step", verbs[i%2], "s0", "--run", run, "--data-dir", dir, "--as", "Ana"}
				if i%2 == 0 {
					args = append(args, "--reason", "bench")
				}
				var out bytes.Buffer
				p := dcmoveProcess(ctx, args...)
				p.Stdout, p.Stderr = &out, &out
				if err := p.Run(); err != nil {
					b.Fatalf("%v: %v\n%s", args, err, out.String())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/command")
		})
	}
}
