package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/projections"
	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// benchEvents is how many events BenchmarkRebuildStatus replays:
// DCMOVE_BENCH_EVENTS, 100,000 by default (1,000,000 takes about a minute
// to generate).
func benchEvents(b *testing.B) int {
	n := 100_000
	if s := os.Getenv("DCMOVE_BENCH_EVENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 2*events.MaxBatch {
			b.Fatalf("DCMOVE_BENCH_EVENTS=%q: want a number of events, at least %d", s, 2*events.MaxBatch)
		}
	}
	return n
}

// benchSteps is how many steps the generated run plans.
const benchSteps = 999

// generateRun appends a run of n events to l in atomic batches of
// [events.MaxBatch]: the cutover started and benchSteps steps planned (in
// chains of ten), then steps started, failed and retried in turn, with
// blocks, unblocks and gate signatures: a history the run's model accepts
// whole.
func generateRun(b *testing.B, l events.Log, run string, n int) {
	b.Helper()
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	o := events.Origin{Run: run, Plan: "bench", Actor: "Karim Haddad"}
	batch := make([]events.Envelope, 0, events.MaxBatch)
	var seq uint64
	add := func(subject string, ev events.Event) {
		at = at.Add(time.Second)
		e, err := events.New(at, o, subject, ev)
		if err != nil {
			b.Fatal(err)
		}
		if batch = append(batch, e); len(batch) == cap(batch) {
			if seq, err = l.Append(ctx, run, seq, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	id := func(i int) string { return fmt.Sprintf("unrack-server-%03d", i) }
	add("", events.CutoverStarted{Plan: "bench", Title: "Benchmark move", File: "bench.yaml", TimeZone: "Europe/Paris",
		WindowStart: at, WindowEnd: at.Add(48 * time.Hour), Steps: benchSteps,
		Crew:     []events.Member{{Name: "Karim Haddad", Roles: []string{"tech", "network"}}, {Name: "Claire Martin", Roles: []string{"lead"}}},
		Services: []events.Service{{ID: "web", Title: "Web front", RTO: events.Duration(time.Hour)}, {ID: "db", Vital: true}}})
	for i := range benchSteps {
		var after []string
		if i%10 != 0 {
			after = []string{id(i - 1)}
		}
		add("step/"+id(i), events.StepPlanned{Step: id(i), Title: "Unrack server " + strconv.Itoa(i), Phase: "move",
			Asset: fmt.Sprintf("server-%03d", i), Role: "tech", Gate: i%100 == 99, After: after,
			Optimistic: events.Duration(20 * time.Minute), Likely: events.Duration(30 * time.Minute), Pessimistic: events.Duration(time.Hour)})
	}
	// Each step in turn is started, failed, blocked, unblocked or signed,
	// and retried: a history the run's model accepts whole.
	for i := 0; 1+benchSteps+i < n; i++ {
		k := i / 4 % benchSteps
		subject := "step/" + id(k)
		switch {
		case i%4 == 0:
			add(subject, events.StepStarted{Step: id(k)})
		case i%4 == 1:
			add(subject, events.StepFailed{Step: id(k), Reason: "the rails do not fit the rack"})
		case i%4 == 2 && i/4%3 == 0:
			add(subject, events.StepBlocked{Step: id(k), Reason: "waiting for the site badge"})
		case i%4 == 2 && i/4%3 == 1:
			add(subject, events.StepUnblocked{Step: id(k), Reason: "badge received"})
		case i%4 == 2:
			add(subject, events.GateSigned{Gate: id(k), Role: "tech", Decision: "go", Reason: "checked"})
		default:
			add(subject, events.StepRetried{Step: id(k), Reason: "new rails"})
		}
	}
	if len(batch) > 0 {
		if _, err := l.Append(ctx, run, seq, batch...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRebuildStatus rebuilds the status of a run of DCMOVE_BENCH_EVENTS
// events, side by side with a raw nats.go ordered consumer reading the same
// messages from the same stream in the same run (x-raw: dcmove's time over
// the raw read's). The generated store is shared by the sub-benchmarks.
func BenchmarkRebuildStatus(b *testing.B) {
	ctx := context.Background()
	n := benchEvents(b)
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	t0 := time.Now()
	generateRun(b, l, "bench", n)
	b.Logf("generated %d events in %s (%.0f events/s)", n, time.Since(t0).Round(time.Millisecond), float64(n)/time.Since(t0).Seconds())
	js, err := jsapi.New(l.Conn())
	if err != nil {
		b.Fatal(err)
	}
	st, err := js.Stream(ctx, jetstream.StreamName)
	if err != nil {
		b.Fatal(err)
	}
	rawRead := func(b *testing.B, filter []string, each func(jsapi.Msg)) {
		cons, err := st.OrderedConsumer(ctx, jsapi.OrderedConsumerConfig{FilterSubjects: filter})
		if err != nil {
			b.Fatal(err)
		}
		it, err := cons.Messages()
		if err != nil {
			b.Fatal(err)
		}
		defer it.Stop()
		for range n {
			m, err := it.Next()
			if err != nil {
				b.Fatal(err)
			}
			each(m)
		}
	}
	// Each read leaves its consumer on the server for minutes (nats.go's
	// ordered consumer does not delete it when stopped) and a stream takes
	// 1,000 at most: the sub-benchmarks delete them between reads.
	dropConsumers := func(b *testing.B) {
		b.StopTimer()
		defer b.StartTimer()
		names := st.ConsumerNames(ctx)
		for name := range names.Name() {
			if err := st.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jsapi.ErrConsumerNotFound) {
				b.Fatal(err)
			}
		}
		if err := names.Err(); err != nil {
			b.Fatal(err)
		}
	}
	perEvent := map[string]float64{} // ns per event, by sub-benchmark
	report := func(b *testing.B, name string) {
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
		perEvent[name] = ns
		b.ReportMetric(1e9/ns, "events/s")
		if raw := perEvent["raw-nats-ordered-consumer"]; raw > 0 && name != "raw-nats-ordered-consumer" {
			b.ReportMetric(ns/raw, "x-raw")
		}
	}

	run := []string{"dcmove.bench.>"}
	b.Run("raw-nats-ordered-consumer", func(b *testing.B) {
		for b.Loop() {
			rawRead(b, run, func(jsapi.Msg) {})
			dropConsumers(b)
		}
		report(b, "raw-nats-ordered-consumer")
	})
	b.Run("raw-nats-ordered-consumer-unfiltered", func(b *testing.B) {
		// The whole stream, which holds this run only: the server reads it
		// by a linear scan, where a filter makes it match every message
		// against the subjects of its block.
		for b.Loop() {
			rawRead(b, nil, func(jsapi.Msg) {})
			dropConsumers(b)
		}
		report(b, "raw-nats-ordered-consumer-unfiltered")
	})
	b.Run("raw-nats-ordered-consumer+json", func(b *testing.B) {
		// The raw read plus what any reader of dcmove's JSON events does:
		// decode the envelope and its payload.
		for b.Loop() {
			rawRead(b, run, func(m jsapi.Msg) {
				var e events.Envelope
				if err := json.Unmarshal(m.Data(), &e); err != nil {
					b.Fatal(err)
				}
				if _, err := e.Decode(); err != nil {
					b.Fatal(err)
				}
			})
			dropConsumers(b)
		}
		report(b, "raw-nats-ordered-consumer+json")
	})
	b.Run("dcmove-read", func(b *testing.B) {
		for b.Loop() {
			got := 0
			for _, err := range l.Read(ctx, "bench", 0) {
				if err != nil {
					b.Fatal(err)
				}
				got++
			}
			if got != n {
				b.Fatalf("read %d events, want %d", got, n)
			}
			dropConsumers(b)
		}
		report(b, "dcmove-read")
	})
	replayStatus := func(b *testing.B) *projections.Status {
		s := projections.NewStatus()
		if got, err := projections.Replay(ctx, l, "bench", s); err != nil || got != n || s.Skipped != 0 {
			b.Fatalf("replayed %d events (%v), skipped %d; want %d, none skipped", got, err, s.Skipped, n)
		}
		dropConsumers(b)
		return s
	}
	var want *projections.Status // the status of the whole run
	b.Run("dcmove-status-replay", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			want = replayStatus(b)
		}
		report(b, "dcmove-status-replay")
	})
	if want == nil { // the sub-benchmark above did not run
		want = replayStatus(b)
	}
	b.Run("status-checkpoint-and-restore", func(b *testing.B) {
		// What a checkpoint costs the status, without the store.
		var state []byte
		for b.Loop() {
			var err error
			if state, err = want.Checkpoint(); err != nil {
				b.Fatal(err)
			}
			if err := projections.NewStatus().Restore(state); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(state)), "checkpoint-bytes")
	})
	b.Run("dcmove-status-from-checkpoint", func(b *testing.B) {
		// The same status, from a checkpoint at the run's last event.
		store, err := l.Checkpoints(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := projections.ReplayCheckpointed(ctx, l, store, "bench", projections.NewStatus()); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			s := projections.NewStatus()
			if got, err := projections.ReplayCheckpointed(ctx, l, store, "bench", s); err != nil || got != 0 || s.LastSeq != want.LastSeq {
				b.Fatalf("applied %d events (%v), status at %d, want 0 and %d", got, err, s.LastSeq, want.LastSeq)
			}
			dropConsumers(b)
		}
	})
}

// BenchmarkWatchLatency measures how long an appended event takes to reach
// a watcher's status: from the start of the append (synced to disk) to the
// watcher's change callback, with the watcher on its own loopback TCP
// connection as another dcmove process has it (p50-µs, p99-µs; ack-p50-µs is
// the append alone). raw-nats does the same with a JetStream publish and an
// ordered consumer.
func BenchmarkWatchLatency(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := b.TempDir()
	holder, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer holder.Close()
	// A second "process": joins the holder's server over loopback TCP.
	watcher, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	defer watcher.Close()
	if watcher.Served() != "" {
		b.Fatal("the watcher serves the store itself; want a client of the holder")
	}
	o := events.Origin{Run: "live", Plan: "bench", Actor: "Karim Haddad"}
	seq, err := holder.Append(ctx, "live", 0, mustNew(b, o, "", events.CutoverStarted{Plan: "bench"}),
		mustNew(b, o, "step/s1", events.StepPlanned{Step: "s1", Title: "Unrack"}))
	if err != nil {
		b.Fatal(err)
	}

	measure := func(b *testing.B, publish func(i int) error, seen <-chan time.Time) {
		var update, ack []time.Duration
		for i := 0; b.Loop(); i++ {
			t0 := time.Now()
			if err := publish(i); err != nil {
				b.Fatal(err)
			}
			ack = append(ack, time.Since(t0))
			select {
			case t := <-seen:
				update = append(update, t.Sub(t0))
			case <-time.After(10 * time.Second):
				b.Fatal("the watcher saw nothing for 10 s")
			}
		}
		b.ReportMetric(percentile(update, 50), "p50-µs")
		b.ReportMetric(percentile(update, 99), "p99-µs")
		b.ReportMetric(percentile(ack, 50), "ack-p50-µs")
	}

	b.Run("dcmove-append-to-watch", func(b *testing.B) {
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		seen := make(chan time.Time, 1)
		caught := make(chan struct{})
		done := make(chan error, 1)
		go func(base uint64) {
			s := projections.NewStatus()
			done <- projections.Watch(wctx, watcher, "live", 0, s, func(r events.Record) {
				switch {
				case r.Seq == base:
					close(caught)
				case r.Seq > base:
					seen <- time.Now()
				}
			})
		}(seq)
		<-caught
		measure(b, func(i int) error {
			step := "s1"
			var ev events.Event = events.StepStarted{Step: step}
			if i%2 == 1 {
				ev = events.StepFailed{Step: step, Reason: "again"}
			}
			var err error
			seq, err = holder.Append(ctx, "live", seq, mustNew(b, o, "step/"+step, ev))
			return err
		}, seen)
		stop()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	})

	b.Run("raw-nats-publish-to-ordered-consumer", func(b *testing.B) {
		nc := tcpConn(b, dir)
		js, err := jsapi.New(nc)
		if err != nil {
			b.Fatal(err)
		}
		cons, err := js.OrderedConsumer(ctx, jetstream.StreamName, jsapi.OrderedConsumerConfig{
			FilterSubjects: []string{"dcmove.raw.>"}, DeliverPolicy: jsapi.DeliverNewPolicy})
		if err != nil {
			b.Fatal(err)
		}
		seen := make(chan time.Time, 1)
		cc, err := cons.Consume(func(jsapi.Msg) { seen <- time.Now() })
		if err != nil {
			b.Fatal(err)
		}
		defer cc.Stop()
		pub, err := jsapi.New(holder.Conn())
		if err != nil {
			b.Fatal(err)
		}
		data, err := json.Marshal(mustNew(b, o, "step/s1", events.StepStarted{Step: "s1"}))
		if err != nil {
			b.Fatal(err)
		}
		measure(b, func(i int) error {
			m := nats.NewMsg("dcmove.raw.step.s1")
			m.Data = data
			m.Header.Set(jsapi.MsgIDHeader, "raw-"+strconv.Itoa(i)+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
			_, err := pub.PublishMsg(ctx, m)
			return err
		}, seen)
	})
}

// tcpConn connects to the embedded server that holds dir over loopback TCP,
// as another dcmove process does.
func tcpConn(b *testing.B, dir string) *nats.Conn {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, jetstream.ServerFileName))
	if err != nil {
		b.Fatal(err)
	}
	var f struct{ URL, User, Password string }
	if err := json.Unmarshal(raw, &f); err != nil {
		b.Fatal(err)
	}
	nc, err := nats.Connect(f.URL, nats.UserInfo(f.User, f.Password))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	return nc
}

func mustNew(b *testing.B, o events.Origin, subject string, ev events.Event) events.Envelope {
	b.Helper()
	e, err := events.New(time.Now(), o, subject, ev)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// percentile returns the p-th percentile of ds, in microseconds.
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[(len(s)-1)*p/100]) / float64(time.Microsecond)
}
