package jetstream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/nats-io/nats.go"
	jsapi "github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

func benchEnvelope(b *testing.B, run string, i int) events.Envelope {
	e, err := events.New(time.Now(), events.Origin{Run: run, Plan: "bench", Actor: "Karim Haddad"},
		fmt.Sprintf("step/s%d", i%1000), events.StepStarted{Step: fmt.Sprintf("s%d", i%1000)})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkAppend compares dcmove's guarded append (expected sequence for
// the run, de-duplication id, JSON envelope) with a raw nats.go JetStream
// publish of the same bytes to the same stream, in the same run.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	b.Run("dcmove-single", func(b *testing.B) {
		l := openLog(b)
		var seq uint64
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			var err error
			if seq, err = l.Append(ctx, "r", seq, benchEnvelope(b, "r", i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-nats-single", func(b *testing.B) {
		l := openLog(b)
		js, _ := jsapi.New(l.Conn())
		data := mustJSON(b, benchEnvelope(b, "r", 0))
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			m := nats.NewMsg("dcmove.r.step.x")
			m.Data = data
			m.Header.Set(jsapi.MsgIDHeader, fmt.Sprint(i))
			if _, err := js.PublishMsg(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{100, 500} {
		b.Run(fmt.Sprintf("dcmove-batch-%d", n), func(b *testing.B) {
			l := openLog(b)
			var seq uint64
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				evs := make([]events.Envelope, n)
				for j := range evs {
					evs[j] = benchEnvelope(b, "r", i*n+j)
				}
				var err error
				if seq, err = l.Append(ctx, "r", seq, evs...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(fmt.Sprintf("raw-nats-batch-%d", n), func(b *testing.B) {
			l := openLog(b)
			js, _ := jsapi.New(l.Conn())
			data := mustJSON(b, benchEnvelope(b, "r", 0))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				msgs := make([]*nats.Msg, n)
				for j := range msgs {
					m := nats.NewMsg("dcmove.r.step.x")
					m.Data = data
					m.Header.Set(jsapi.MsgIDHeader, fmt.Sprint(i*n+j))
					msgs[j] = m
				}
				if _, err := jetstreamext.PublishMsgBatch(ctx, js, msgs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkRead compares replaying a run of 10,000 events through the log
// with a raw ordered consumer over the same stream.
func BenchmarkRead(b *testing.B) {
	ctx := context.Background()
	l := openLog(b)
	const n = 10000
	var seq uint64
	for i := 0; i < n; i += 500 {
		evs := make([]events.Envelope, 500)
		for j := range evs {
			evs[j] = benchEnvelope(b, "r", i+j)
		}
		var err error
		if seq, err = l.Append(ctx, "r", seq, evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("dcmove-read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got := 0
			for _, err := range l.Read(ctx, "r", 0) {
				if err != nil {
					b.Fatal(err)
				}
				got++
			}
			if got != n {
				b.Fatalf("read %d, want %d", got, n)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("raw-nats-ordered-consumer", func(b *testing.B) {
		js, _ := jsapi.New(l.Conn())
		st, err := js.Stream(ctx, jetstream.StreamName)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			cons, err := st.OrderedConsumer(ctx, jsapi.OrderedConsumerConfig{FilterSubjects: []string{"dcmove.r.>"}})
			if err != nil {
				b.Fatal(err)
			}
			it, err := cons.Messages()
			if err != nil {
				b.Fatal(err)
			}
			for got := 0; got < n; got++ {
				if _, err := it.Next(); err != nil {
					b.Fatal(err)
				}
			}
			it.Stop()
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
	})
}

func mustJSON(b *testing.B, e events.Envelope) []byte {
	b.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
