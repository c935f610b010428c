package planner_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/dcmove/dcmove/planner"
)

// The fuzz targets of the plan and template loaders. Plain `go test` runs
// their seeds (the repository's real plans and templates, and the inputs
// under testdata/fuzz/FuzzParse and testdata/fuzz/FuzzParseTemplate); run
// one for longer with
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 2m ./planner/

// fuzzSeedFiles adds the files matching each pattern (relative to the
// planner directory) as seeds.
func fuzzSeedFiles(f *testing.F, patterns ...string) {
	f.Helper()
	n := 0
	for _, pattern := range patterns {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no seed files match %q", patterns)
	}
}

// fuzzIDPattern is what plan names, step ids and asset ids may be.
var fuzzIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// fuzzPlaceholder is a <name> in a template step id.
var fuzzPlaceholder = regexp.MustCompile(`<([a-z_*]+)>`)

// fuzzCheckInvalid checks an error of Parse or ParseTemplate on data: it
// matches planner.ErrInvalid and lists problems, each at file:line:col
// inside data, in file order.
func fuzzCheckInvalid(t *testing.T, file string, data []byte, err error) {
	t.Helper()
	if !errors.Is(err, planner.ErrInvalid) {
		t.Fatalf("error does not match planner.ErrInvalid: %v", err)
	}
	var es planner.Errors
	if !errors.As(err, &es) {
		t.Fatalf("error is %T, not planner.Errors: %v", err, err)
	}
	if len(es) == 0 {
		t.Fatal("planner.Errors with no problem in it")
	}
	// YAML breaks lines at \n, \r\n and a lone \r (old Mac files), as
	// editors do.
	lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
	for i, e := range es {
		if e == nil {
			t.Fatalf("problem %d is nil", i)
		}
		p := e.Pos
		if p.File != file || p.Line < 1 || p.Col < 1 {
			t.Fatalf("problem %d has no file:line:col: %+v: %s", i, p, e.Msg)
		}
		if p.Line > lines {
			t.Fatalf("problem %d at line %d, the file has %d: %v", i, p.Line, lines, e)
		}
		prefix := fmt.Sprintf("%s:%d:%d: ", file, p.Line, p.Col)
		if s := e.Error(); len(s) <= len(prefix) || s[:len(prefix)] != prefix {
			t.Fatalf("problem %d reads %q, want %q and a message", i, s, prefix)
		}
		if i > 0 {
			q := es[i-1].Pos
			if q.Line > p.Line || q.Line == p.Line && q.Col > p.Col {
				t.Fatalf("problems out of file order: %v before %v", q, p)
			}
		}
	}
}

// FuzzParse feeds planner.Parse arbitrary bytes. It returns a plan or an
// error, never both and never neither; the error matches ErrInvalid and
// names file:line:col within the file; a plan carries the file and the
// hash of its content, valid ids, and parsing again gives the same answer.
func FuzzParse(f *testing.F) {
	fuzzSeedFiles(f, "../examples/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.yaml"
		p, err := planner.Parse(file, data)
		switch {
		case p == nil && err == nil:
			t.Fatal("Parse returned neither a plan nor an error")
		case p != nil && err != nil:
			t.Fatalf("Parse returned a plan and an error: %v", err)
		case err != nil:
			fuzzCheckInvalid(t, file, data, err)
			_, again := planner.Parse(file, data)
			if again == nil || again.Error() != err.Error() {
				t.Fatalf("Parse is not deterministic: %v, then %v", err, again)
			}
			return
		}
		sum := sha256.Sum256(data)
		if p.File != file || p.Hash != hex.EncodeToString(sum[:]) {
			t.Fatalf("plan has file %q and hash %s, want %q and the content's sha256", p.File, p.Hash, file)
		}
		if !fuzzIDPattern.MatchString(p.Name) {
			t.Fatalf("plan name %q is not an id", p.Name)
		}
		for _, s := range p.Steps {
			if !fuzzIDPattern.MatchString(s.ID) {
				t.Fatalf("step id %q is not an id", s.ID)
			}
		}
		for _, a := range p.Assets {
			if !fuzzIDPattern.MatchString(a.ID) {
				t.Fatalf("asset id %q is not an id", a.ID)
			}
		}
		if p.Window.Location == nil {
			t.Fatal("plan without a window time zone")
		}
		if again, err := planner.Parse(file, data); err != nil || again.Hash != p.Hash || len(again.Steps) != len(p.Steps) {
			t.Fatalf("Parse is not deterministic: a plan, then %v", err)
		}
	})
}

// FuzzParseTemplate feeds planner.ParseTemplate (the runbook template
// loader) arbitrary bytes, with the same properties as FuzzParse for the
// answer and the errors.
func FuzzParseTemplate(f *testing.F) {
	fuzzSeedFiles(f, "../runbooks/templates/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz-template.yaml"
		tpl, err := planner.ParseTemplate(file, data)
		switch {
		case tpl == nil && err == nil:
			t.Fatal("ParseTemplate returned neither a template nor an error")
		case tpl != nil && err != nil:
			t.Fatalf("ParseTemplate returned a template and an error: %v", err)
		case err != nil:
			fuzzCheckInvalid(t, file, data, err)
			_, again := planner.ParseTemplate(file, data)
			if again == nil || again.Error() != err.Error() {
				t.Fatalf("ParseTemplate is not deterministic: %v, then %v", err, again)
			}
			return
		}
		if tpl.File != file {
			t.Fatalf("template has file %q, want %q", tpl.File, file)
		}
		if len(tpl.Phases) == 0 || len(tpl.Steps) == 0 {
			t.Fatalf("template with %d phases and %d steps accepted", len(tpl.Phases), len(tpl.Steps))
		}
		phases := map[string]bool{}
		for _, ph := range tpl.Phases {
			phases[ph.ID] = true
		}
		steps := map[string]bool{}
		for _, s := range tpl.Steps {
			if bare := fuzzPlaceholder.ReplaceAllString(s.ID, "x"); !fuzzIDPattern.MatchString(bare) {
				t.Fatalf("template step id %q is not an id with placeholders", s.ID)
			}
			if steps[s.ID] {
				t.Fatalf("template step %q accepted twice", s.ID)
			}
			steps[s.ID] = true
			if !phases[s.Phase] {
				t.Fatalf("template step %q in phase %q, which the template does not declare", s.ID, s.Phase)
			}
		}
	})
}
