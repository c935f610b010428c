package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
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
}

// change says what a status shown follows: the first status ("status"),
// an event ("event", with the record), a finished forecast ("forecast"),
// or the time passing on a terminal ("tick").
type change struct {
	kind   string
	record events.Record
}

// statusDocument is one line of status --output json.
type statusDocument struct {
	// Change is what the document follows: "status" (the first), "event",
	// "forecast" (a new forecast finished) or "tick".
	Change string             `json:"change"`
	Event  *eventBrief        `json:"event,omitempty"`
	Status *projections.Board `json:"status"`
	// Forecast is the last forecast finished (null while the first one
	// is computed), ForecastError why it failed.
	Forecast      *projections.ETA `json:"forecast"`
	ForecastError string           `json:"forecast_error,omitempty"`
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

// show prints s at now after ch, with the forecast eta (or the reason
// there is none: err, or still computing when both are nil).
func (sc *screen) show(s *projections.Status, now time.Time, ch change, eta *projections.ETA, err error) error {
	if sc.json {
		doc := statusDocument{Change: ch.kind, Status: s.Board(now), Forecast: eta}
		if ch.kind == "event" {
			r := ch.record
			doc.Event = &eventBrief{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Type: r.Type, Subject: r.Subject}
		}
		if err != nil {
			doc.ForecastError = err.Error()
		}
		return json.NewEncoder(sc.out).Encode(doc)
	}
	v := projections.View{Now: now, Local: sc.local, Forecast: eta, Color: sc.color, AsOf: ch.kind != "status"}
	switch {
	case err != nil:
		v.ForecastNote = "unavailable: " + err.Error()
	case eta == nil:
		v.ForecastNote = "computing…"
	}
	var b bytes.Buffer
	loc := s.Location()
	switch {
	case sc.redraw:
		b.WriteString(clearScreen)
	case ch.kind == "event":
		r := ch.record
		fmt.Fprintf(&b, "\n--- %s %s %s %s\n", r.Time.In(loc).Format("15:04:05"), r.Actor, r.Type, r.Subject)
	case ch.kind == "forecast":
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

// watcher keeps a screen up to date during a watch: every change is shown
// at once with the last forecast finished, while the next forecast is
// computed in the background, one at a time, on the latest status.
type watcher struct {
	sc    *screen
	clock runbooks.Clock

	mu        sync.Mutex
	latest    *projections.Status // a copy of the status after the last change
	eta       *projections.ETA
	etaErr    error
	computing bool // a forecast is being computed
	stale     bool // the status changed since that forecast started
	stopped   bool
	wg        sync.WaitGroup
}

// changed shows a copy of s after ch, and asks for a forecast of it.
func (w *watcher) changed(s *projections.Status, ch change) {
	snap := s.Clone()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	w.latest = snap
	w.sc.show(snap, w.clock.Now(), ch, w.eta, w.etaErr)
	w.forecast()
}

// forecast starts a forecast of the latest status, unless one is being
// computed: then it is marked stale and restarted when it ends. w.mu is
// held.
func (w *watcher) forecast() {
	if w.computing {
		w.stale = true
		return
	}
	w.computing, w.stale = true, false
	s, now := w.latest, w.clock.Now()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		eta, err := projections.Forecast(s, now, w.sc.samples, forecastSeed)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.computing = false
		w.eta, w.etaErr = eta, err
		if w.stopped {
			return
		}
		w.sc.show(w.latest, w.clock.Now(), change{kind: "forecast"}, eta, err)
		if w.stale {
			w.forecast()
		}
	}()
}

// tick redraws the latest status as time passes (running steps grow
// late, the point of no return comes closer), with a new forecast.
func (w *watcher) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || w.latest == nil {
		return
	}
	w.sc.show(w.latest, w.clock.Now(), change{kind: "tick"}, w.eta, w.etaErr)
	w.forecast()
}

// stop shows nothing more and waits for the forecast under way.
func (w *watcher) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.wg.Wait()
}

// tickEvery is how often a terminal's view is redrawn without events.
const tickEvery = 30 * time.Second

// watch shows the status, then again after every new event of run and
// every new forecast, until the command is interrupted. When the dcmove
// process that served the data directory exits, it reopens the log
// (serving it itself if nobody else does) and goes on from the last event
// it applied.
func (m *Main) watch(c *cli.Context, l **jetstream.Log, run string, s *projections.Status, sc *screen) error {
	sc.redraw = sc.terminal
	w := &watcher{sc: sc, clock: m.Clock}
	defer w.stop()
	w.changed(s, change{kind: "status"})
	if sc.redraw {
		t := time.NewTicker(tickEvery)
		done := make(chan struct{})
		defer func() { t.Stop(); close(done) }()
		go func() {
			for {
				select {
				case <-done:
					return
				case <-t.C:
					w.tick()
				}
			}
		}()
	}
	for {
		err := projections.Watch(c.Context, *l, run, s.LastSeq+1, s, func(r events.Record) {
			if r.Seq == 0 {
				return // caught up with nothing new: already shown
			}
			w.changed(s, change{kind: "event", record: r})
		})
		if err == nil || c.Context.Err() != nil {
			return nil
		}
		if !errors.Is(err, events.ErrUnavailable) || c.String("server") != "" {
			return err
		}
		fmt.Fprintf(m.Stderr, "dcmove: lost the event store (%v); reconnecting\n", err)
		(*l).Close()
		for {
			if *l, err = openLog(c); err == nil {
				break
			}
			select {
			case <-c.Context.Done():
				*l = nil
				return nil
			case <-time.After(time.Second):
			}
		}
	}
}
