package projections

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
)

// fakeClock returns a clock that moves step further at each reading.
func fakeClock(step time.Duration) func() time.Time {
	now := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func TestProgressOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []interface {
		Write([]byte) (int, error)
	}{&buf, f, (*os.File)(nil)} {
		if IsTerminal(w) {
			t.Errorf("%T is taken for a terminal", w)
		}
		p := NewProgress(w, "replaying run r1")
		if p != nil {
			t.Errorf("a progress bar on %T, want none", w)
		}
		// A nil progress bar takes every call and draws nothing.
		p.Range(1, 10)
		for seq := range uint64(10) {
			p.Record(seq + 1)
		}
		p.Finish()
	}
	if fi, _ := f.Stat(); buf.Len() != 0 || fi.Size() != 0 {
		t.Errorf("wrote %q to a buffer, %d bytes to a file", buf.String(), fi.Size())
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "replaying run r1", fakeClock(50*time.Millisecond))
	p.Range(1001, 2000)
	for seq := uint64(1001); seq <= 1500; seq++ {
		p.Record(seq)
	}
	mid := buf.String()
	for _, want := range []string{"\rreplaying run r1 [", "] ", "% ", " records ", "/s ", " left"} {
		if !strings.Contains(mid, want) {
			t.Errorf("halfway, the bar lacks %q: %q", want, mid)
		}
	}
	if strings.Contains(mid, "\n") {
		t.Errorf("halfway, the bar ended its line: %q", mid)
	}
	// One reading of the clock per 64 records, one redraw per 100 ms at
	// most: 50 ms a reading, so at most one redraw in two.
	if n, most := strings.Count(mid, "\r"), 500/64/2+1; n == 0 || n > most {
		t.Errorf("%d redraws for 500 records, want 1 to %d", n, most)
	}
	for seq := uint64(1501); seq <= 2000; seq++ {
		p.Record(seq)
	}
	p.Finish()
	out := buf.String()
	last := out[strings.LastIndex(out, "\r")+1:]
	if !strings.HasPrefix(last, "replaying run r1 [########################] 100%  1,000 records  ") || !strings.HasSuffix(last, "\n") || !strings.Contains(last, " in ") {
		t.Errorf("final line %q", last)
	}
	// Each redraw covers the one before.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\r")[1:]
	for i := 1; i < len(lines); i++ {
		if len(lines[i]) < len(lines[i-1]) {
			t.Errorf("redraw %q is shorter than %q before it", lines[i], lines[i-1])
		}
	}
}

func TestProgressQuietForAQuickPass(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "replaying run r1", fakeClock(time.Millisecond))
	p.Range(1, 100)
	for seq := range uint64(100) {
		p.Record(seq + 1)
	}
	p.Finish()
	if buf.Len() != 0 {
		t.Errorf("a pass of 100 ms drew %q", buf.String())
	}
}

func TestProgressWithoutEnd(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, "exporting", fakeClock(100*time.Millisecond))
	for seq := range uint64(12345) {
		p.Record(seq + 1)
	}
	p.Finish()
	last := buf.String()[strings.LastIndex(buf.String(), "\r")+1:]
	if strings.Contains(last, "[") || !strings.HasPrefix(last, "exporting  12,345 records  ") {
		t.Errorf("final line %q, want a count and no bar", last)
	}
}

// Replay shows its progress against the run's last record.
func TestReplayShowsProgress(t *testing.T) {
	ctx := context.Background()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	evs := make([]events.Envelope, 300)
	for i := range evs {
		ev := events.Event(events.StepStarted{Step: "s"})
		if i == 0 {
			ev = events.CutoverStarted{Plan: "p"}
		}
		if evs[i], err = events.New(time.Now(), events.Origin{Run: "r1", Actor: "Karim"}, "", ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Append(ctx, "r1", 0, evs...); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := Replay(ctx, l, "r1", NewStatus(), WithProgress(newProgress(&buf, "replaying run r1", fakeClock(200*time.Millisecond))))
	if err != nil || n != len(evs) {
		t.Fatalf("replayed %d, %v", n, err)
	}
	if !strings.Contains(buf.String(), "[########################] 100%  300 records") {
		t.Errorf("progress %q", buf.String())
	}
}
