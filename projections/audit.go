package projections

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// Records is a run's records in memory, in log order: a fold that keeps
// what it is given, so that a run read once can be folded again (as of an
// instant, into a trail, into a report).
type Records []events.Record

// Apply keeps one record.
func (rs *Records) Apply(r events.Record) { *rs = append(*rs, r) }

// Feed applies every record to f, in log order, and returns f.
func (rs Records) Feed(f Fold) Fold {
	for _, r := range rs {
		f.Apply(r)
	}
	return f
}

// AsOf returns a fold that passes on to f only the records that existed at
// the instant at: those whose time is at or before it. Records are appended
// in time order, except timers, which carry their due time however late they
// land; so it is the record's time that counts, not its place in the log. A
// record without a time (malformed) counts as of the record before it.
func AsOf(at time.Time, f Fold) Fold { return &asOf{at: at, next: f} }

type asOf struct {
	at, last time.Time
	next     Fold
}

func (a *asOf) Apply(r events.Record) {
	t := r.Time
	if t.IsZero() {
		t = a.last
	}
	a.last = t
	if !t.After(a.at) {
		a.next.Apply(r)
	}
}

// Filter selects entries of a trail. Every criterion that is set must
// match; the zero Filter keeps everything.
type Filter struct {
	// Step keeps the events about that step (its planning, start, end,
	// signatures, a cool-down it started, a back-out that cancels it).
	Step string
	// Asset keeps the events of the steps on that asset and the asset's
	// own events (cool-downs).
	Asset string
	// Actor keeps what that person (or "dcmove") did; case does not
	// matter.
	Actor string
	// Type keeps the events whose type starts with it, with or without the
	// "dcmove." prefix: "step", "gate.signed", "dcmove.degraded".
	Type string
	// Since and Until keep the events from Since to Until, both included.
	Since, Until time.Time
}

// IsZero reports whether f keeps everything.
func (f Filter) IsZero() bool { return f == Filter{} }

// Keep reports whether f keeps e.
func (f Filter) Keep(e Entry) bool {
	switch {
	case f.Step != "" && !slices.Contains(e.Steps, f.Step),
		f.Asset != "" && !slices.Contains(e.Assets, f.Asset),
		f.Actor != "" && !strings.EqualFold(e.Actor, f.Actor),
		f.Type != "" && !typeHasPrefix(e.Type, f.Type),
		!f.Since.IsZero() && e.Time.Before(f.Since),
		!f.Until.IsZero() && e.Time.After(f.Until):
		return false
	}
	return true
}

func typeHasPrefix(typ, prefix string) bool {
	return strings.HasPrefix(typ, prefix) || strings.HasPrefix(strings.TrimPrefix(typ, "dcmove."), prefix)
}

// Select returns the trail of the entries f keeps.
func (t *Trail) Select(f Filter) *Trail {
	out := &Trail{TimeZone: t.TimeZone, run: t.run}
	for _, e := range t.Entries {
		if f.Keep(e) {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

// ErrNoMatch means a filter names a step, asset, actor or event type that
// the run does not have: most likely a typo.
var ErrNoMatch = errors.New("projections: nothing in the run by that name")

// Check reports the criteria of f that name something the run does not
// have, with the closest name it does have.
func (t *Trail) Check(f Filter) error {
	var steps, assets, actors []string
	for _, e := range t.Entries {
		for _, st := range e.Steps {
			steps = appendNew(steps, st)
		}
		for _, a := range e.Assets {
			assets = appendNew(assets, a)
		}
		if e.Actor != "" && !slices.ContainsFunc(actors, func(a string) bool { return strings.EqualFold(a, e.Actor) }) {
			actors = append(actors, e.Actor)
		}
	}
	var errs []error
	unknown := func(flag, value, noun string, known []string) {
		errs = append(errs, noMatch(fmt.Sprintf("--%s %q: no %s of that name in the run; %s", flag, value, noun, planner.Hint(value, noun+"s", known))))
	}
	if f.Step != "" && !slices.Contains(steps, f.Step) {
		unknown("step", f.Step, "step", steps)
	}
	if f.Asset != "" && !slices.Contains(assets, f.Asset) {
		unknown("asset", f.Asset, "asset", assets)
	}
	if f.Actor != "" && !slices.ContainsFunc(actors, func(a string) bool { return strings.EqualFold(a, f.Actor) }) {
		unknown("actor", f.Actor, "actor", actors)
	}
	if f.Type != "" && !slices.ContainsFunc(events.Types(), func(typ string) bool { return typeHasPrefix(typ, f.Type) }) {
		errs = append(errs, noMatch(fmt.Sprintf("--type %q: no event type starts with it; the types are %s", f.Type, strings.Join(events.Types(), ", "))))
	}
	return errors.Join(errs...)
}

// noMatch is an [ErrNoMatch] that says only what did not match.
type noMatch string

func (e noMatch) Error() string        { return string(e) }
func (e noMatch) Is(target error) bool { return target == ErrNoMatch }

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// ParseTime reads a time as people write it for a run: "2026-12-05 08:00"
// (seconds optional, a T instead of the space allowed) in loc, the plan's
// zone, or RFC 3339 with its own offset.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time; write it as 2026-12-05 08:00 (in %s, the plan's time zone) or in RFC 3339, 2026-12-05T08:00:00+01:00", s, loc)
}
