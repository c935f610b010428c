package projections

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"golang.org/x/term"
)

// Progress is a one-line progress bar for a long pass over a run's log (a
// replay, an export), redrawn in place on a terminal: how far through the
// log it is, how many records are done, the rate and the time left. It draws
// nothing for a pass that ends within a fraction of a second. A nil
// *Progress draws nothing: [NewProgress] returns nil when its writer is not
// a terminal, so output redirected to a file or a pipe stays clean. A
// Progress is used by one goroutine at a time.
type Progress struct {
	w     io.Writer
	label string
	now   func() time.Time
	// first and last are the log positions (sequences) the pass covers;
	// last is 0 when unknown, and first when not yet seen.
	first, last uint64
	at          uint64 // position of the last record done
	count       int    // records done
	began       time.Time
	drawn       time.Time // last redraw; zero: nothing drawn yet
	width       int       // length of the line drawn last
}

// Redraw pacing: nothing for the first progressDelay (a quick replay shows
// nothing), then at most one redraw per progressEvery.
const (
	progressDelay = 300 * time.Millisecond
	progressEvery = 100 * time.Millisecond
	barWidth      = 24
)

// NewProgress returns a progress bar labelled label ("replaying run r1")
// drawn on w, or nil if w is not a terminal.
func NewProgress(w io.Writer, label string) *Progress {
	if !IsTerminal(w) {
		return nil
	}
	return newProgress(w, label, time.Now)
}

func newProgress(w io.Writer, label string, now func() time.Time) *Progress {
	return &Progress{w: w, label: label, now: now, began: now()}
}

// IsTerminal reports whether w is a terminal (golang.org/x/term: /dev/null,
// a character device too, is not one).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// Range sets the log positions the pass covers, from first to last (0:
// unknown, no bar is drawn; first 0: from the first record done).
func (p *Progress) Range(first, last uint64) {
	if p == nil {
		return
	}
	p.first, p.last = first, last
}

// Start sets the range of a read of run from sequence from, when the log can
// say where the run ends.
func (p *Progress) Start(ctx context.Context, l events.Log, run string, from uint64) {
	if p == nil {
		return
	}
	var last uint64
	if e, ok := l.(interface {
		LastSeq(context.Context, string) (uint64, error)
	}); ok {
		last, _ = e.LastSeq(ctx, run) // without it, no bar: not worth failing for
	}
	p.Range(from, last)
}

// Record counts one record done, at position seq.
func (p *Progress) Record(seq uint64) {
	if p == nil {
		return
	}
	if p.first == 0 {
		p.first = seq
	}
	p.at = seq
	p.count++
	if p.count&63 != 0 {
		return // look at the clock now and then only
	}
	now := p.now()
	if now.Sub(p.began) < progressDelay || now.Sub(p.drawn) < progressEvery {
		return
	}
	p.draw(now, false)
}

// Finish draws the final state and ends the line, if anything was drawn.
func (p *Progress) Finish() {
	if p == nil || p.drawn.IsZero() {
		return
	}
	p.draw(p.now(), true)
	fmt.Fprintln(p.w)
	p.drawn = time.Time{}
}

func (p *Progress) draw(now time.Time, final bool) {
	var b strings.Builder
	b.WriteString(p.label)
	elapsed := now.Sub(p.began)
	frac := -1.0
	if p.last > 0 && p.first > 0 && p.last >= p.first {
		frac = float64(p.at-p.first+1) / float64(p.last-p.first+1)
		frac = min(max(frac, 0), 1)
		if final {
			frac = 1
		}
		full := int(frac * barWidth)
		b.WriteString(" [")
		b.WriteString(strings.Repeat("#", full))
		b.WriteString(strings.Repeat(".", barWidth-full))
		fmt.Fprintf(&b, "] %3d%%", int(frac*100))
	}
	fmt.Fprintf(&b, "  %s records", thousands(p.count))
	if s := elapsed.Seconds(); s > 0 {
		fmt.Fprintf(&b, "  %s/s", rate(float64(p.count)/s))
	}
	switch {
	case final:
		fmt.Fprintf(&b, "  in %s", elapsed.Round(100*time.Millisecond))
	case frac > 0 && frac < 1:
		left := time.Duration(float64(elapsed) * (1 - frac) / frac)
		fmt.Fprintf(&b, "  %s left", left.Round(time.Second))
	}
	line := b.String()
	pad := max(p.width-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.width, p.drawn = len(line), now
}

// thousands formats n with comma separators: 1,234,567.
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// rate formats a rate per second briefly: 950, 54k, 1.2M.
func rate(r float64) string {
	switch {
	case r >= 1e6:
		return strconv.FormatFloat(r/1e6, 'f', 1, 64) + "M"
	case r >= 1e4:
		return strconv.FormatFloat(r/1e3, 'f', 0, 64) + "k"
	case r >= 1e3:
		return strconv.FormatFloat(r/1e3, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(r, 'f', 0, 64)
}
