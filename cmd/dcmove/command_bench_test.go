package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/dcmove/dcmove/runbooks"
)

// BenchmarkCommand measures one whole dcmove command as a crew member runs
// it: a new process (the test binary run as dcmove), which finds the data
// directory served by dcmove serve, loads the run from its checkpoint,
// decides, appends one event and exits; alternately blocking and
// unblocking a step of a generated move (dcmove plan example --assets N)
// of about 100 or 1,000 steps (20,000 too with DCMOVE_BENCH_BIG=1).
func BenchmarkCommand(b *testing.B) {
	sizes := []struct{ steps, assets int }{{100, 12}, {1000, 140}}
	if os.Getenv("DCMOVE_BENCH_BIG") != "" {
		sizes = append(sizes, struct{ steps, assets int }{20000, 2800})
	}
	for _, size := range sizes {
		b.Run(strconv.Itoa(size.steps)+"-steps", func(b *testing.B) {
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
			plan := filepath.Join(b.TempDir(), "large.yaml")
			mustRun(b, clock, "plan", "example", "--assets", strconv.Itoa(size.assets), "--out", plan)
			args, _ := startArgs(b, clock, plan)
			mustRun(b, clock, append(args, "--rehearsal", "--data-dir", dir)...)
			run := fmt.Sprintf("large-%d-rehearsal", size.assets)
			verbs := []string{"block", "unblock"}
			for i := 0; b.Loop(); i++ {
				args := []string{"step", verbs[i%2], "notify-customers", "--run", run, "--data-dir", dir, "--as", "Lead 1"}
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
