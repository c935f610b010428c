package web

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
)

// Hub keeps the latest view of one run and tells every viewer when it
// changes. One watch of the run feeds it (see [Hub.Follow]); views are
// built at most once per change, however many viewers there are, and a
// burst of events is one rebuild.
type Hub struct {
	// Acks, if set, adds the notices' acknowledgements to each view.
	Acks func(*projections.Status, time.Time) []NoticeRow

	mu      sync.Mutex
	pending *projections.Snapshot // the latest snapshot not yet built
	view    []byte                // the latest view, as JSON
	public  []byte                // the latest public view, as JSON
	seq     uint64
	version uint64  // counts the views built: a new forecast or tick changes the view, not seq
	recent  []Entry // the latest events, oldest first, at most keep
	forgot  bool    // events were dropped from recent
	subs    map[chan struct{}]struct{}
	wake    chan struct{}
	ready   chan struct{} // closed once the first view is built
	once    sync.Once
}

// keep is how many of the latest events the hub remembers, for viewers
// that reconnect: they get the events they missed, up to this many.
const keep = 2000

// NewHub returns a hub with no view yet.
func NewHub() *Hub {
	return &Hub{subs: map[chan struct{}]struct{}{}, wake: make(chan struct{}, 1), ready: make(chan struct{})}
}

// Follow replays run from l, then keeps the hub's view up to date as
// events arrive, until ctx is done (see [projections.WatchStatus], which
// takes l over and reopens it with o.Reopen).
func (h *Hub) Follow(ctx context.Context, l events.Log, run string, o projections.WatchOptions) error {
	s := projections.NewStatus()
	for r, err := range l.Read(ctx, run, 1) {
		if err != nil {
			l.Close()
			return err
		}
		s.Apply(r)
		h.remember(r, s)
	}
	go h.build(ctx)
	return projections.WatchStatus(ctx, l, run, s, o, func(sn projections.Snapshot) {
		if sn.Change == projections.ChangeEvent {
			h.remember(sn.Record, sn.Status)
		}
		h.mu.Lock()
		h.pending = &sn
		h.mu.Unlock()
		select {
		case h.wake <- struct{}{}:
		default:
		}
	})
}

// remember adds r to the latest events, described with the titles of s.
func (h *Hub) remember(r events.Record, s *projections.Status) {
	e := Entry{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Text: r.Type}
	if ev, err := r.Decode(); err == nil {
		e.Text = projections.Describe(r.Actor, ev, func(id string) string { return id + " (" + s.StepTitle(id) + ")" })
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.recent); n > 0 && h.recent[n-1].Seq >= r.Seq {
		return
	}
	h.recent = append(h.recent, e)
	if len(h.recent) > keep {
		h.recent, h.forgot = append(h.recent[:0:0], h.recent[len(h.recent)-keep:]...), true
	}
}

// build turns the latest snapshot into views, one at a time, and wakes
// the viewers.
func (h *Hub) build(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		}
		h.mu.Lock()
		sn := h.pending
		h.pending = nil
		recent := h.recent[max(len(h.recent)-Recent, 0):]
		recent = append([]Entry(nil), recent...)
		h.mu.Unlock()
		if sn == nil {
			continue
		}
		v := NewView(*sn, recent)
		if h.Acks != nil {
			v.Notices = h.Acks(sn.Status, sn.Now)
		}
		view, err1 := json.Marshal(v)
		public, err2 := json.Marshal(NewPublicView(*sn))
		if err1 != nil || err2 != nil {
			continue // a view that cannot be written: keep the last one
		}
		h.publish(view, public, sn.Status.LastSeq)
	}
}

// publish makes view (and its public twin) the latest, and wakes every
// viewer.
func (h *Hub) publish(view, public []byte, seq uint64) {
	h.mu.Lock()
	h.view, h.public, h.seq = view, public, seq
	h.version++
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	h.mu.Unlock()
	h.once.Do(func() { close(h.ready) })
}

// Ready is closed once the first view is built.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// subscribe returns a channel told of every new view.
func (h *Hub) subscribe() chan struct{} {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *Hub) unsubscribe(ch chan struct{}) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

// Viewers counts the pages connected now.
func (h *Hub) Viewers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// current returns the latest view (or public view), its seq, and the
// events after seq after that a viewer missed (nil when it missed none, or
// more than the hub remembers: then the view's latest events are all it
// gets, as on a first load).
func (h *Hub) current(public bool, after uint64) (view []byte, seq, version uint64, missed []Entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	version = h.version
	view = h.view
	if public {
		view = h.public
	}
	// The hub has every event after seq if it remembers one at or before
	// it, or has forgotten none (sequences need not be consecutive: the
	// store may hold other runs).
	if after > 0 && after < h.seq && len(h.recent) > 0 && (h.recent[0].Seq <= after || !h.forgot) {
		// Up to the view's own seq: newer events come with the next view.
		for _, e := range h.recent {
			if e.Seq > after && e.Seq <= h.seq {
				missed = append(missed, e)
			}
		}
	}
	return view, h.seq, version, missed
}

// entriesJSON writes entries as one JSON array.
func entriesJSON(entries []Entry) []byte {
	b, err := json.Marshal(entries)
	if err != nil {
		return []byte("[]")
	}
	return b
}
