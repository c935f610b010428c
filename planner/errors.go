package planner

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is matched by errors.Is for every error that reports a problem
// in the content of a plan file, as opposed to a failure to read it.
var ErrInvalid = errors.New("planner: invalid plan")

// Pos is a position in a plan file, for pointing people at what to fix.
// Line and Col start at 1.
type Pos struct {
	File      string
	Line, Col int
}

// String returns the position as file:line:col, the form editors and
// terminals recognise.
func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one problem in a plan file: where it is and what to do about it.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns "file:line:col: message".
func (e *Error) Error() string {
	return e.Pos.String() + ": " + e.Msg
}

// Is reports whether target is [ErrInvalid].
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Errors is every problem found in a plan file, in file order. [Parse] and
// [Load] return it when the content of a plan is not valid.
type Errors []*Error

// Error returns one problem per line, in file order.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Is reports whether target is [ErrInvalid], so that callers can tell a bad
// plan from an I/O error.
func (es Errors) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the individual problems, so that errors.As can find an
// [*Error].
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sort puts the problems in file order; problems at the same place keep the
// order in which they were found.
func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}
