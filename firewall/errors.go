package firewall

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is matched by errors.Is for every error that reports a problem
// in the content of an export, as opposed to a failure to read it.
var ErrInvalid = errors.New("firewall: invalid export")

// ErrTooLarge is matched by errors.Is for an export larger than
// [MaxFileSize] or with a line longer than [MaxLineLength]; so is
// [ErrInvalid].
var ErrTooLarge = errors.New("firewall: export too large")

// Limits on what the parsers read, so that a wrong file or a hostile one is
// refused with a message instead of exhausting memory.
const (
	// MaxFileSize is the largest export read: 64 MiB.
	MaxFileSize = 64 << 20
	// MaxLineLength is the longest line of a text export (iptables-save,
	// nft, CSV): 1 MiB. JSON exports are one long line, so only the file
	// limit applies to them.
	MaxLineLength = 1 << 20
)

// Pos is where a rule or a problem is in an export. Line starts at 1.
// In a JSON export (nft -j), Line is the line where the rule's object
// starts (nft writes the whole export on one line) and Rule is the rule's
// number among the export's rule objects, starting at 1; Rule is 0 in the
// other formats.
type Pos struct {
	File string
	Line int
	Rule int
}

// String returns the position as file:line, the form editors and terminals
// recognise, followed by the rule number in a JSON export.
func (p Pos) String() string {
	if p.Rule > 0 {
		return fmt.Sprintf("%s:%d: rule %d", p.File, p.Line, p.Rule)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Error is one problem in an export: where it is and what is wrong.
type Error struct {
	Pos Pos
	Msg string
	// tooLarge marks the size limits, for errors.Is(err, ErrTooLarge).
	tooLarge bool
}

// Error returns "file:line: message".
func (e *Error) Error() string {
	return e.Pos.String() + ": " + e.Msg
}

// Is reports whether target is [ErrInvalid], or [ErrTooLarge] for an export
// over the limits.
func (e *Error) Is(target error) bool {
	return target == ErrInvalid || (e.tooLarge && target == ErrTooLarge)
}

// Errors is every problem found in an export, in file order. The parsers
// return it when some lines cannot be read; the rules they could read are
// returned with it.
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
// export from an I/O error.
func (es Errors) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the individual problems, so that errors.As can find an
// [*Error] and errors.Is an [ErrTooLarge].
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// add records a problem at pos.
func (es *Errors) add(pos Pos, format string, args ...any) {
	*es = append(*es, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted in file order, or nil if there are none.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i].Pos, es[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	return es
}
