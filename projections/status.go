package projections

import (
	"errors"

	"github.com/dcmove/dcmove/runbooks"
)

// Status is the live state of one run, as every watcher reads it: the run's
// one model ([runbooks.Run]), folded from its events, with the views of
// this package (the board, the forecast). Views read the model; they never
// fold events themselves.
type Status struct{ *runbooks.Run }

// Step is one step of the run. See [runbooks.Step].
type Step = runbooks.Step

// Service is a service of the plan with its downtime. See [runbooks.Service].
type Service = runbooks.Service

// Acceptance is a plan warning someone accepted.
type Acceptance = runbooks.Acceptance

// State is where a step stands.
type State = runbooks.State

// The states of a step. Ready is derived: a pending step that may start
// now.
const (
	Pending   = runbooks.Pending
	Ready     = runbooks.Ready
	Started   = runbooks.Started
	Done      = runbooks.Done
	Failed    = runbooks.Failed
	Skipped   = runbooks.Skipped
	Cancelled = runbooks.Cancelled
)

// States lists the states in lifecycle order.
var States = runbooks.States

// NewStatus returns the status of a run with no events yet.
func NewStatus() *Status { return &Status{runbooks.NewRun("")} }

// Clone returns a copy of the status that shares nothing the fold changes:
// a watcher hands it to another goroutine (a forecast) while the fold goes
// on.
func (s *Status) Clone() *Status { return &Status{s.Run.Clone()} }

// ErrNoEvents means a run has no events: it was never started.
var ErrNoEvents = errors.New("projections: the run has no events")
