package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Event is a typed payload of the catalog. Its type string and version are
// constants: renaming a Go type never changes what is stored.
type Event interface {
	EventType() string
	EventVersion() int
}

// Wire types of the catalog. They never change once released; a payload that
// changes shape gets a new version and an upcaster, not a new type.
const (
	TypeCutoverStarted = "dcmove.cutover.started"
	TypeStepPlanned    = "dcmove.step.planned"
	TypeStepStarted    = "dcmove.step.started"
	TypeStepCompleted  = "dcmove.step.completed"
)

// CutoverStarted records that a plan was put into execution as a run. It is
// the first event of every run and is appended atomically with one
// [StepPlanned] per step.
type CutoverStarted struct {
	Plan        string    `json:"plan"`
	Title       string    `json:"title,omitempty"`
	File        string    `json:"file"`
	Hash        string    `json:"hash"` // sha256 of the plan file
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	TimeZone    string    `json:"timezone"`
	Steps       int       `json:"steps"`
	Crew        []Member  `json:"crew,omitempty"`
}

// Member is a crew member as recorded when the cutover started.
type Member struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles,omitempty"`
}

// StepPlanned records one step of the run's plan as it was when the cutover
// started.
type StepPlanned struct {
	Step        string   `json:"step"`
	Title       string   `json:"title"`
	Phase       string   `json:"phase,omitempty"`
	After       []string `json:"after,omitempty"`
	Asset       string   `json:"asset,omitempty"`
	Role        string   `json:"role,omitempty"`
	Gate        bool     `json:"gate,omitempty"`
	Optimistic  Duration `json:"optimistic"`
	Likely      Duration `json:"likely"`
	Pessimistic Duration `json:"pessimistic"`
}

// StepStarted records that a crew member started a step.
type StepStarted struct {
	Step string `json:"step"`
}

// StepCompleted records that a crew member finished a step.
type StepCompleted struct {
	Step string `json:"step"`
}

func (CutoverStarted) EventType() string { return TypeCutoverStarted }
func (StepPlanned) EventType() string    { return TypeStepPlanned }
func (StepStarted) EventType() string    { return TypeStepStarted }
func (StepCompleted) EventType() string  { return TypeStepCompleted }

func (CutoverStarted) EventVersion() int { return 1 }
func (StepPlanned) EventVersion() int    { return 1 }
func (StepStarted) EventVersion() int    { return 1 }
func (StepCompleted) EventVersion() int  { return 1 }

// Duration is a time.Duration that is stored as Go duration text ("1h30m0s"),
// readable by people and tools.
type Duration time.Duration

// MarshalJSON encodes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON decodes a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string like \"1h30m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Upcaster turns the JSON payload of version v into the payload of version
// v+1.
type Upcaster func(data json.RawMessage) (json.RawMessage, error)

// eventType is the catalog entry for one wire type.
type eventType struct {
	version   int
	unmarshal func(data json.RawMessage) (Event, error)
	// upcast[v] turns version v into v+1.
	upcast map[int]Upcaster
}

var catalog = map[string]eventType{}

func register[E Event](upcast map[int]Upcaster) {
	var zero E
	catalog[zero.EventType()] = eventType{
		version: zero.EventVersion(),
		unmarshal: func(data json.RawMessage) (Event, error) {
			var e E
			err := json.Unmarshal(data, &e)
			return e, err
		},
		upcast: upcast,
	}
}

func init() {
	register[CutoverStarted](nil)
	register[StepPlanned](nil)
	register[StepStarted](nil)
	register[StepCompleted](nil)
}

// decode upcasts data from version v to the current version and decodes it.
func (t eventType) decode(v int, data json.RawMessage) (Event, error) {
	if v > t.version {
		return nil, fmt.Errorf("%w: version %d is newer than this dcmove knows (%d); upgrade dcmove to read it", ErrUnknownType, v, t.version)
	}
	for ; v < t.version; v++ {
		up, ok := t.upcast[v]
		if !ok {
			return nil, fmt.Errorf("no upcaster from version %d", v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("upcast from version %d: %w", v, err)
		}
	}
	return t.unmarshal(data)
}

// Types lists the wire types of the catalog, sorted.
func Types() []string {
	ts := make([]string, 0, len(catalog))
	for t := range catalog {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// Sentinel errors of the package.
var (
	// ErrConflict means the run changed since the state a command was
	// validated against: re-read and re-check.
	ErrConflict = errors.New("events: conflict: the run changed since it was read")
	// ErrDuplicate means events with these ids are already stored.
	ErrDuplicate = errors.New("events: already stored")
	// ErrUnknownType means the event's type or version is not in this
	// binary's catalog.
	ErrUnknownType = errors.New("events: unknown event type")
	// ErrNoRun means the log holds no run by that name (or no run at all).
	ErrNoRun = errors.New("events: no such run")
	// ErrUnavailable means the NATS server could not be reached or went away.
	ErrUnavailable = errors.New("events: event log unavailable")
)
