package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
	_, err = sc.out.Write(b.Bytes())
	return err
}

// tickEvery is how often a terminal's view is redrawn without events.
const tickEvery = 30 * time.Second

// watch shows the status, then again after every new event of run and
// every new forecast, until the command is interrupted (see
// [projections.WatchStatus], which takes l over). When the dcmove process
// that served the data directory exits, the log follows the directory to
// its next holder (this process, if nobody else serves it). When the event
// store is out of reach for half a second (a --server that stopped, a
// holder that does not answer) the screen says since when, and the watch
// retries until the store is back.
func (m *Main) watch(c *cli.Context, l events.Log, run string, s *projections.Status, sc *screen) error {
	sc.redraw = sc.terminal
	o := projections.WatchOptions{Now: m.Clock.Now, Samples: sc.samples, Seed: forecastSeed}
	if sc.redraw {
		o.Tick = tickEvery
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
	return projections.WatchStatus(c.Context, l, run, s, o, func(sn projections.Snapshot) { sc.show(sn) })
}
