package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/internal/redact"
	"github.com/dcmove/dcmove/projections"
	"github.com/urfave/cli/v2"
)

// screen shows statuses: as text, redrawn in place on a terminal and as
// blocks one after the other otherwise, or as one JSON document per line.
type screen struct {
	out                   io.Writer
	json, terminal, color bool
	local                 *time.Location
	samples               int
	// redraw clears the terminal before each status (a watch on a
	// terminal).
	redraw bool
	// size, when set, reads the terminal's size before each redraw: the
	// status is fitted to it (see fitScreen). drawMu orders the redraws
	// of a status and of a resize; drawn is the last status drawn, whole,
	// to fit again to a new size.
	size   func() (cols, lines int, ok bool)
	drawMu sync.Mutex
	drawn  []string
	fitted [2]int // the size drawn was fitted to
	// store is the event store's health, when it has something to say
	// (see storeHealth); a watch refreshes it (storeMu).
	storeMu sync.Mutex
	store   *jetstream.StoreHealth
}

func (sc *screen) storeNow() *jetstream.StoreHealth {
	sc.storeMu.Lock()
	defer sc.storeMu.Unlock()
	return sc.store
}

func (sc *screen) setStore(h *jetstream.StoreHealth) {
	sc.storeMu.Lock()
	defer sc.storeMu.Unlock()
	sc.store = h
}

// storeEvery is how often a watch asks how the store's writes go.
const storeEvery = 2 * time.Second

// storeHealth asks the holder of an embedded data directory how its
// store's writes go; nil when all is well (or on a --server, where nobody
// answers).
func storeHealth(c *cli.Context, l *jetstream.Log) *jetstream.StoreHealth {
	h, err := l.StoreHealth(c.Context)
	if err != nil || (!h.Failing() && h.LastFailure.IsZero()) {
		return nil
	}
	return &h
}

// storeLine is the status's line on the store's health, in loc.
func storeLine(h *jetstream.StoreHealth, loc *time.Location) string {
	if h.Failing() {
		return fmt.Sprintf("STORE CANNOT WRITE since %s: %s; commands fail and record nothing until there is room on the data directory's disk (the holder then takes writes again by itself)",
			h.FailingSince.In(loc).Format("Mon 15:04:05"), redact.String(h.Error))
	}
	return fmt.Sprintf("store: writes failed at %s (%s); they work again since %s",
		h.LastFailure.In(loc).Format("Mon 15:04:05"), redact.String(h.LastError), h.RecoveredAt.In(loc).Format("Mon 15:04:05"))
}

// statusDocument is one line of status --output json.
type statusDocument struct {
	// Change is what the document follows: "status" (the first), "event",
	// "forecast" (a new forecast finished), "tick" or "connection" (the
	// event store was lost, or is back).
	Change string             `json:"change"`
	Event  *eventBrief        `json:"event,omitempty"`
	Status *projections.Board `json:"status"`
	// Forecast is the last forecast finished (null while the first one
	// is computed), ForecastError why it failed.
	Forecast      *projections.ETA `json:"forecast" jsonschema:"nullable"`
	ForecastError string           `json:"forecast_error,omitempty"`
	// Connection is set while the event store is out of reach: the status
	// is as of then.
	Connection *connectionLost `json:"connection_lost,omitempty"`
	// Store is the embedded store's health when its writes fail or
	// failed (see jetstream.StoreHealth); absent when all is well.
	Store *jetstream.StoreHealth `json:"store,omitempty"`
}

// connectionLost says since when the watch has been cut off from the
// event store, and why.
type connectionLost struct {
	Since time.Time `json:"since"`
	Error string    `json:"error"`
}

// lostWhy is why the event store is out of reach, for the screen: nats'
// own words, masked of any secret.
func lostWhy(err error) string {
	if err == nil {
		return "no answer"
	}
	return redact.String(err.Error())
}

// eventBrief names the event a document follows.
type eventBrief struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor,omitempty"`
	Type    string    `json:"type"`
	Subject string    `json:"subject,omitempty"`
}

// The terminal's escapes: clear the screen and go home.
const clearScreen = "\x1b[H\x1b[2J"

// show prints a snapshot of the status.
func (sc *screen) show(sn projections.Snapshot) error {
	s, now, eta, err := sn.Status, sn.Now, sn.Forecast, sn.ForecastErr
	if sc.json {
		doc := statusDocument{Change: string(sn.Change), Status: s.Board(now), Forecast: eta}
		if !sn.Lost.IsZero() {
			doc.Connection = &connectionLost{Since: sn.Lost.UTC(), Error: lostWhy(sn.LostWhy)}
		}
		if sn.Change == projections.ChangeEvent {
			r := sn.Record
			doc.Event = &eventBrief{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Type: r.Type, Subject: r.Subject}
		}
		if err != nil {
			doc.ForecastError = err.Error()
		}
		doc.Store = sc.storeNow()
		return writeLine(sc.out, "status", doc)
	}
	v := projections.View{Now: now, Local: sc.local, Forecast: eta, Color: sc.color, AsOf: sn.Change != projections.ChangeStatus,
		Lost: sn.Lost, LostWhy: lostWhy(sn.LostWhy)}
	if store := sc.storeNow(); store != nil {
		v.Store, v.StoreFailing = storeLine(store, s.Location()), store.Failing()
	}
	switch {
	case err != nil:
		v.ForecastNote = "unavailable: " + err.Error()
	case eta == nil:
		v.ForecastNote = "computing…"
	}
	var b bytes.Buffer
	loc := s.Location()
	if sn.Change == projections.ChangeConnection && !sc.redraw {
		// One line: nothing else changed.
		if sn.Lost.IsZero() {
			fmt.Fprintf(&b, "\n--- %s connection to the event store back\n", time.Now().In(loc).Format("15:04:05"))
		} else {
			fmt.Fprintf(&b, "\n--- %s connection to the event store lost (%s); retrying\n", sn.Lost.In(loc).Format("15:04:05"), v.LostWhy)
		}
		_, err := sc.out.Write(b.Bytes())
		return err
	}
	switch {
	case sc.redraw:
		b.WriteString(clearScreen)
	case sn.Change == projections.ChangeEvent:
		r := sn.Record
		fmt.Fprintf(&b, "\n--- %s %s %s %s\n", r.Time.In(loc).Format("15:04:05"), r.Actor, r.Type, r.Subject)
	case sn.Change == projections.ChangeForecast:
		fmt.Fprintf(&b, "\n--- %s forecast updated\n", eta.At.In(loc).Format("15:04:05"))
	}
	if err := v.Write(&b, s); err != nil {
		return err
	}
	if sc.redraw && !s.LastEvent.IsZero() {
		fmt.Fprintf(&b, "\nlast event %s (seq %d); Ctrl-C to stop\n", s.LastEvent.In(loc).Format("Mon 15:04:05"), s.LastSeq)
	}
	if sc.size != nil {
		return sc.draw(strings.Split(strings.TrimPrefix(b.String(), clearScreen), "\n"), false)
	}
	_, err = sc.out.Write(b.Bytes())
	return err
}

// draw clears the terminal and shows lines fitted to its size (the last
// one, "last event …; Ctrl-C to stop", kept below the status when there is
// room), without a newline after the last line: one more would scroll the
// first off the screen. With onlyResized, it draws the last status again
// if the terminal's size changed since, and otherwise nothing.
func (sc *screen) draw(lines []string, onlyResized bool) error {
	sc.drawMu.Lock()
	defer sc.drawMu.Unlock()
	cols, rows, ok := sc.size()
	if onlyResized {
		if lines = sc.drawn; lines == nil || !ok || sc.fitted == [2]int{cols, rows} {
			return nil
		}
	}
	sc.drawn = lines
	if !ok {
		_, err := io.WriteString(sc.out, clearScreen+strings.Join(lines, "\n"))
		return err
	}
	sc.fitted = [2]int{cols, rows}
	for len(lines) > 0 && withoutEscapes(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	var footer []string
	if n := len(lines); n >= 2 && strings.HasPrefix(lines[n-1], "last event ") && lines[n-2] == "" {
		lines, footer = lines[:n-2], []string{"", truncate(lines[n-1], cols)}
		if rows < 12 { // a short terminal keeps its lines for the status
			footer = nil
		}
	}
	fitted := append(fitScreen(lines, cols, rows-len(footer)), footer...)
	_, err := io.WriteString(sc.out, clearScreen+strings.Join(fitted, "\n"))
	return err
}

// tickEvery is how often a terminal's view is redrawn without events.
const tickEvery = 30 * time.Second

// resizeEvery is how often a watch on a terminal reads its size, to fit
// the status again to a resized window (an ioctl: cheap, and portable
// where SIGWINCH is not).
const resizeEvery = 500 * time.Millisecond

// watch shows the status, then again after every new event of run and
// every new forecast, until the command is interrupted (see
// [projections.WatchStatus], which takes l over). When the dcmove process
// that served the data directory exits, the log follows the directory to
// its next holder (this process, if nobody else serves it). When the event
// store is out of reach for half a second (a --server that stopped, a
// holder that does not answer) the screen says since when, and the watch
// retries until the store is back.
//
// On a terminal whose size it can read, the watch draws on the alternate
// screen, left on return (Ctrl-C included: it cancels c.Context), and fits
// each status to the terminal's size, read again before each redraw and
// every resizeEvery (a resized window is redrawn to its new size).
func (m *Main) watch(c *cli.Context, l events.Log, run string, s *projections.Status, sc *screen) error {
	sc.redraw = sc.terminal
	o := projections.WatchOptions{Now: m.Clock.Now, Samples: sc.samples, Seed: forecastSeed, Passes: c.Int("effort")}
	if sc.redraw {
		o.Tick = tickEvery
		if _, _, ok := terminalSize(sc.out); ok {
			sc.size = func() (int, int, bool) { return terminalSize(sc.out) }
			io.WriteString(sc.out, enterAltScreen)
			defer io.WriteString(sc.out, leaveAltScreen)
		}
	}
	// The store's health is asked again every storeEvery, of the log the
	// watch works on now; the next snapshot shows it.
	var current atomic.Pointer[jetstream.Log]
	if jl, ok := l.(*jetstream.Log); ok {
		current.Store(jl)
	}
	o.Reopen = func(context.Context) (events.Log, error) {
		l, err := openReadLog(c)
		if err != nil {
			return nil, err // not a nil *jetstream.Log in an interface
		}
		current.Store(l)
		return l, nil
	}
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	go func() {
		t := time.NewTicker(storeEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if jl := current.Load(); jl != nil {
					sc.setStore(storeHealth(c, jl))
				}
			}
		}
	}()
	if sc.size != nil {
		go func() {
			t := time.NewTicker(resizeEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					sc.draw(nil, true)
				}
			}
		}()
	}
	return projections.WatchStatus(c.Context, l, run, s, o, func(sn projections.Snapshot) { sc.show(sn) })
}
