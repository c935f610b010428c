package sheet_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/planner/sheet"
)

// fuzzIDPattern is what a step id may be.
var fuzzIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// FuzzImportCSV feeds sheet.ImportCSV arbitrary bytes. Plain `go test`
// runs its seeds (testdata/*.csv and testdata/fuzz/FuzzImportCSV); run it
// for longer with
//
//	go test -run '^$' -fuzz '^FuzzImportCSV$' -fuzztime 2m ./planner/sheet/
//
// It returns steps or an error, never both and never neither. The error
// matches planner.ErrInvalid and names each bad cell at file:line:col
// within the sheet, in sheet order. The steps have valid, unique ids, come
// after steps of the sheet only and without a cycle, and have estimates
// with 0 < optimistic <= likely <= pessimistic.
func FuzzImportCSV(f *testing.F) {
	paths, err := filepath.Glob("testdata/*.csv")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed sheets in testdata: %v", err)
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.csv"
		steps, err := sheet.ImportCSV(file, bytes.NewReader(data))
		switch {
		case steps == nil && err == nil:
			t.Fatal("ImportCSV returned neither steps nor an error")
		case steps != nil && err != nil:
			t.Fatalf("ImportCSV returned steps and an error: %v", err)
		case err != nil:
			fuzzCheckSheetErrors(t, file, data, err)
			return
		}
		if len(steps) == 0 {
			t.Fatal("ImportCSV accepted a sheet with no steps")
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		at := map[string]int{}
		for i, s := range steps {
			if !fuzzIDPattern.MatchString(s.ID) {
				t.Fatalf("step id %q is not an id", s.ID)
			}
			if _, dup := at[s.ID]; dup {
				t.Fatalf("step %q accepted twice", s.ID)
			}
			at[s.ID] = i
			if s.Pos.File != file || s.Pos.Line < 2 || s.Pos.Line > lines || s.Pos.Col < 1 {
				t.Fatalf("step %q at %v, not a cell of the sheet's %d lines", s.ID, s.Pos, lines)
			}
			d := s.Duration
			if d.Optimistic <= 0 || d.Optimistic > d.Likely || d.Likely > d.Pessimistic {
				t.Fatalf("step %q has estimate %v/%v/%v", s.ID, d.Optimistic, d.Likely, d.Pessimistic)
			}
		}
		// Every predecessor is a step of the sheet, and the steps can be
		// put in an order where each comes after its predecessors.
		done := map[string]bool{}
		for progress := true; progress; {
			progress = false
			for _, s := range steps {
				if done[s.ID] {
					continue
				}
				ready := true
				for _, a := range s.After {
					if _, ok := at[a]; !ok || a == s.ID {
						t.Fatalf("step %q comes after %q, not another step of the sheet", s.ID, a)
					}
					ready = ready && done[a]
				}
				if ready {
					done[s.ID], progress = true, true
				}
			}
		}
		if len(done) != len(steps) {
			t.Fatalf("ImportCSV accepted steps that form a cycle: %d of %d can be ordered", len(done), len(steps))
		}
	})
}

// fuzzCheckSheetErrors checks an error of ImportCSV on data.
func fuzzCheckSheetErrors(t *testing.T, file string, data []byte, err error) {
	t.Helper()
	if !errors.Is(err, planner.ErrInvalid) {
		t.Fatalf("error does not match planner.ErrInvalid: %v", err)
	}
	var es planner.Errors
	if !errors.As(err, &es) || len(es) == 0 {
		t.Fatalf("error is %T, not a list of problems: %v", err, err)
	}
	// A header alone gets "no steps" on the line after it, which may be
	// past the end of a file that does not end with a newline.
	lines := bytes.Count(data, []byte("\n")) + 2
	for i, e := range es {
		p := e.Pos
		if p.File != file || p.Line < 1 || p.Col < 1 || p.Line > lines {
			t.Fatalf("problem %d at %+v, not a cell of the sheet: %s", i, p, e.Msg)
		}
		prefix := fmt.Sprintf("%s:%d:%d: ", file, p.Line, p.Col)
		if s := e.Error(); len(s) <= len(prefix) || s[:len(prefix)] != prefix {
			t.Fatalf("problem %d reads %q, want %q and a message", i, s, prefix)
		}
		if i > 0 {
			q := es[i-1].Pos
			if q.Line > p.Line || q.Line == p.Line && q.Col > p.Col {
				t.Fatalf("problems out of sheet order: %v before %v", q, p)
			}
		}
	}
}
