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
// publish doing the same work: the same envelope marshalled each time, to
// the same subjects (one per step, as dcmove writes them), with the same
// headers.
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
	// The raw side does the same work as the log: it marshals the same
	// envelope each time, and sends the same headers (the event id, and
	// the run's last sequence as the expectation the server checks).
	b.Run("raw-nats-single", func(b *testing.B) {
		l := openLog(b)
		js, _ := jsapi.New(l.Conn())
		var seq uint64
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			e := benchEnvelope(b, "r", i)
			m := nats.NewMsg(jetstream.SubjectPrefix + ".r." + e.Topic())
			m.Data = mustJSON(b, e)
			m.Header.Set(jsapi.MsgIDHeader, e.ID)
			m.Header.Set(jsapi.ExpectedLastSubjSeqSubjHeader, "dcmove.r.>")
			m.Header.Set(jsapi.ExpectedLastSubjSeqHeader, fmt.Sprint(seq))
			ack, err := js.PublishMsg(ctx, m)
			if err != nil {
				b.Fatal(err)
			}
			seq = ack.Sequence
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
			var seq uint64
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				msgs := make([]*nats.Msg, n)
				for j := range msgs {
					e := benchEnvelope(b, "r", i*n+j)
					m := nats.NewMsg(jetstream.SubjectPrefix + ".r." + e.Topic())
					m.Data = mustJSON(b, e)
					m.Header.Set(jsapi.MsgIDHeader, e.ID)
					msgs[j] = m
				}
				msgs[0].Header.Set(jsapi.ExpectedLastSubjSeqSubjHeader, "dcmove.r.>")
				msgs[0].Header.Set(jsapi.ExpectedLastSubjSeqHeader, fmt.Sprint(seq))
				ack, err := jetstreamext.PublishMsgBatch(ctx, js, msgs)
				if err != nil {
					b.Fatal(err)
				}
				seq = ack.Sequence
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
