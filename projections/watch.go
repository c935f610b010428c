package projections

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/dcmove/dcmove/events"
)

// Change says what a [Snapshot] of a watched run follows.
type Change string

const (
	// ChangeStatus is the first snapshot of a watch.
	ChangeStatus Change = "status"
	// ChangeEvent follows a new event of the run (Snapshot.Record).
	ChangeEvent Change = "event"
	// ChangeForecast follows a forecast that finished.
	ChangeForecast Change = "forecast"
	// ChangeTick follows the time passing (see WatchOptions.Tick).
	ChangeTick Change = "tick"
	// ChangeConnection follows the loss of the event store, or its return
	// (Snapshot.Lost).
	ChangeConnection Change = "connection"
)

// Snapshot is one state of a watched run, as [WatchStatus] yields it.
type Snapshot struct {
	Change Change
	// Record is the event a ChangeEvent follows (the last one applied, if
	// several arrived at once).
	Record events.Record
	// Status is a copy of the run's status: nothing changes it after, so
	// it may be kept and read from another goroutine.
	Status *Status
	// Now is when the snapshot was taken, by WatchOptions.Now.
	Now time.Time
	// Forecast is the last forecast finished, nil while the first one is
	// computed or when it failed: ForecastErr then says why.
	Forecast    *ETA
	ForecastErr error
	// Lost, when not zero, is since when the watch has been cut off from
	// the event store (it is retrying): Status is as of then. LostWhy says
	// why.
	Lost    time.Time
	LostWhy error
}

// WatchOptions tune [WatchStatus].
type WatchOptions struct {
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// Samples and Seed are the forecast's Monte Carlo samples and seed
	// (see [Forecast]).
	Samples int
	Seed    uint64
	// Passes is the scheduler's effort when a forecast schedules what is
	// left from scratch (see [Forecaster]).
	Passes int
	// Tick, if positive, yields the latest status again this often
	// (ChangeTick) with a new forecast: running steps grow late and the
	// point of no return comes closer without any event.
	Tick time.Duration
	// Reopen, if set, opens the log again when it becomes unavailable
	// (the process that served an embedded store exited): WatchStatus
	// then tries every RetryEvery (a second if zero) until it succeeds or
	// ctx is done, and goes on from the last event applied. Without it an
	// unavailable log ends the watch with its error.
	Reopen     func(context.Context) (events.Log, error)
	RetryEvery time.Duration
}

// A log that knows whether it reaches its store (the NATS one does):
// WatchStatus asks it every checkEvery, and reports a loss that lasts
// lostAfter (a shorter one, such as another process taking over an
// embedded store, is not news).
type connectionLog interface {
	Lost() (since time.Time, why error)
}

const (
	checkEvery = 100 * time.Millisecond
	lostAfter  = 500 * time.Millisecond
)

// WatchStatus keeps the status s of run up to date and yields it: once at
// once (ChangeStatus), then after every new event of the run (ChangeEvent),
// every forecast finished (ChangeForecast) and every tick (ChangeTick).
// Every snapshot carries the last forecast finished; the next one is
// computed in the background, one at a time, on the latest status, so a
// large plan never stalls the snapshots. emit is called from one goroutine
// at a time.
//
// s must hold the run's records up to s.LastSeq, read from l. WatchStatus
// takes l over: it closes it, and every log it reopens, before it returns.
// It returns nil when ctx is done, or the error that ended the watch.
func WatchStatus(ctx context.Context, l events.Log, run string, s *Status, o WatchOptions, emit func(Snapshot)) error {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetryEvery <= 0 {
		o.RetryEvery = time.Second
	}
	defer func() {
		if l != nil {
			l.Close()
		}
	}()
	w := &watcher{o: o, emit: emit, log: l}
	defer w.stop()
	w.changed(s, Snapshot{Change: ChangeStatus})
	checking := make(chan struct{})
	defer close(checking)
	go func() {
		t := time.NewTicker(checkEvery)
		defer t.Stop()
		for {
			select {
			case <-checking:
				return
			case <-t.C:
				w.checkConnection()
			}
		}
	}()
	if o.Tick > 0 {
		t := time.NewTicker(o.Tick)
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
		err := Watch(ctx, l, run, s.LastSeq+1, s, func(r events.Record) {
			if r.Seq == 0 {
				return // caught up with nothing new: already yielded
			}
			w.changed(s, Snapshot{Change: ChangeEvent, Record: r})
		})
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, events.ErrUnavailable) || o.Reopen == nil {
			return err
		}
		w.down(err)
		l.Close()
		for {
			if l, err = o.Reopen(ctx); err == nil {
				break
			}
			l = nil
			w.down(err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(o.RetryEvery):
			}
		}
		w.up(l)
	}
}

// watcher yields snapshots during a watch: every change at once with the
// last forecast finished, while the next forecast is computed in the
// background, one at a time, on the latest status.
type watcher struct {
	o    WatchOptions
	emit func(Snapshot)

	mu        sync.Mutex
	latest    *Status // a copy of the status after the last change
	eta       *ETA
	etaErr    error
	computing bool // a forecast is being computed
	stale     bool // the status changed since that forecast started
	// forecaster keeps the order of work from one forecast to the next;
	// only the goroutine computing a forecast uses it.
	forecaster *Forecaster
	stopped    bool
	wg         sync.WaitGroup

	// log is the log watched; nil while WatchStatus reopens it, since
	// lostSince for lostWhy.
	log       events.Log
	lostSince time.Time
	lostWhy   error
	// shown is the loss the snapshots report (zero: none), shownWhy why.
	shown    time.Time
	shownWhy error
}

// yield emits the latest status after change; w.mu is held.
func (w *watcher) yield(sn Snapshot) {
	sn.Status, sn.Now, sn.Forecast, sn.ForecastErr = w.latest, w.o.Now(), w.eta, w.etaErr
	sn.Lost, sn.LostWhy = w.shown, w.shownWhy
	w.emit(sn)
}

// down records that the log was lost, why, while WatchStatus reopens it.
func (w *watcher) down(why error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log = nil
	if w.lostSince.IsZero() {
		w.lostSince = time.Now()
	}
	w.lostWhy = why
}

// up records the log WatchStatus reopened.
func (w *watcher) up(l events.Log) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log, w.lostSince, w.lostWhy = l, time.Time{}, nil
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkConnection yields a ChangeConnection snapshot when the event store
// has been out of reach for lostAfter, and when it is back.
func (w *watcher) checkConnection() {
	w.mu.Lock()
	defer w.mu.Unlock()
	since, why := w.lostSince, w.lostWhy
	if c, ok := w.log.(connectionLog); ok && since.IsZero() {
		since, why = c.Lost()
	}
	if !since.IsZero() && time.Since(since) < lostAfter {
		since, why = time.Time{}, nil
	}
	if since.Equal(w.shown) && errorText(why) == errorText(w.shownWhy) {
		return
	}
	w.shown, w.shownWhy = since, why
	if w.stopped || w.latest == nil {
		return
	}
	w.yield(Snapshot{Change: ChangeConnection})
}

// changed yields a copy of s after sn's change, and asks for a forecast of
// it.
func (w *watcher) changed(s *Status, sn Snapshot) {
	snap := s.Clone()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	w.latest = snap
	w.yield(sn)
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
	s, now := w.latest, w.o.Now()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		if w.forecaster == nil {
			w.forecaster = &Forecaster{Samples: w.o.Samples, Seed: w.o.Seed, Passes: w.o.Passes}
		}
		eta, err := w.forecaster.Forecast(s, now)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.computing = false
		w.eta, w.etaErr = eta, err
		if w.stopped {
			return
		}
		w.yield(Snapshot{Change: ChangeForecast})
		if w.stale {
			w.forecast()
		}
	}()
}

// tick yields the latest status again as time passes, with a new forecast.
func (w *watcher) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || w.latest == nil {
		return
	}
	w.yield(Snapshot{Change: ChangeTick})
	w.forecast()
}

// stop yields nothing more and waits for the forecast under way.
func (w *watcher) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.wg.Wait()
}
