package schedule

import "errors"

// Errors returned by [Solve], [Evaluate] and [MonteCarlo]. Each is wrapped
// with the ID of the activity at fault and what to change; test for them with
// errors.Is.
var (
	// ErrCycle reports activities that depend on each other in a loop.
	ErrCycle = errors.New("schedule: precedence cycle")
	// ErrPred reports a predecessor index that names no activity.
	ErrPred = errors.New("schedule: predecessor index out of range")
	// ErrResource reports a Demand or OneOf entry that names no resource.
	ErrResource = errors.New("schedule: resource index out of range")
	// ErrDemand reports a demand that is negative or above the resource's
	// capacity, so that no schedule can ever satisfy it.
	ErrDemand = errors.New("schedule: demand above capacity")
	// ErrNeverFits reports an activity that has no time at which all it needs
	// is available at once: a duration longer than every availability
	// interval of a resource it needs, or an empty OneOf set.
	ErrNeverFits = errors.New("schedule: activity can never fit")
	// ErrDuration reports a negative (or absurdly large) duration.
	ErrDuration = errors.New("schedule: negative duration")
	// ErrOrder reports an activity list that is not a permutation of the
	// activities with every predecessor before its successors.
	ErrOrder = errors.New("schedule: invalid activity list")
	// ErrArgument reports an argument that cannot be used, such as a
	// durations slice of the wrong length or a non-positive sample count.
	ErrArgument = errors.New("schedule: invalid argument")
)
