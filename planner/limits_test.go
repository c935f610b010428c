package planner_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/planner"
)

// Ids and crew names longer than the limits, or names holding control
// characters, are reported at file:line:col.
func TestParseLimits(t *testing.T) {
	long := strings.Repeat("a", planner.MaxIDLength+1)
	longName := strings.Repeat("é", planner.MaxNameLength+1)
	runInvalid(t, []invalidCase{
		{
			name:    "step id too long",
			yaml:    header + "steps:\n  - {id: " + long + ", title: A, duration: 30m}\n",
			wantPos: "plan.yaml:12:10",
			wantMsg: "step id \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is 129 characters long; ids are at most 128",
		},
		{
			name:    "plan name too long",
			yaml:    strings.Replace(header, "plan: mini", "plan: "+long, 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:1:7",
			wantMsg: "plan name",
		},
		{
			name:    "asset id too long",
			yaml:    strings.Replace(header, "id: web-1", "id: "+long, 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:10:10",
			wantMsg: "asset id",
		},
		{
			name: "service id too long",
			yaml: header + "services:\n  - {id: " + long + "}\n" +
				"steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:12:10",
			wantMsg: "service id",
		},
		{
			name:    "crew name too long",
			yaml:    strings.Replace(header, "assets:", "  - {name: "+longName+"}\nassets:", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:9:12",
			wantMsg: "is 201 characters long; names are at most 200",
		},
		{
			name:    "crew name with a line break",
			yaml:    strings.Replace(header, "assets:", "  - {name: \"Ana\\nMarie\"}\nassets:", 1) + "steps:\n  - {id: a, title: A, duration: 30m}\n",
			wantPos: "plan.yaml:9:12",
			wantMsg: "holds a control character (U+000A)",
		},
	})
	// At the limits, all is well.
	ok := strings.Replace(header, "plan: mini", "plan: "+long[1:], 1) + "steps:\n  - {id: " + long[1:] + ", title: A, duration: 30m}\n"
	if _, err := planner.Parse("plan.yaml", []byte(ok)); err != nil {
		t.Errorf("ids of %d characters: %v", planner.MaxIDLength, err)
	}
}

// A file larger than MaxFileSize is refused, naming the file and the limit,
// after reading no more than the limit (/dev/zero never ends).
func TestLoadTooLarge(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, make([]byte, planner.MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	atLimit := filepath.Join(t.TempDir(), "limit.yaml")
	if err := os.WriteFile(atLimit, []byte(strings.Repeat("#\n", planner.MaxFileSize/2)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		tooLarge   bool
	}{
		{"a file one byte too large", big, true},
		{"/dev/zero", "/dev/zero", true},
		{"a file at the limit", atLimit, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); err != nil {
				t.Skip(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := planner.Load(tt.path)
			runtime.ReadMemStats(&after)
			if got := errors.Is(err, planner.ErrTooLarge); got != tt.tooLarge {
				t.Fatalf("Load(%s): %v; want too large: %v", tt.path, err, tt.tooLarge)
			}
			if !tt.tooLarge {
				return
			}
			for _, want := range []string{tt.path, "larger than 16 MiB"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if !errors.Is(err, planner.ErrInvalid) {
				t.Errorf("a file too large is bad input: errors.Is(err, ErrInvalid) = false")
			}
			// Doubling up to the limit allocates under twice the limit
			// in all; a read to the end of /dev/zero would never stop.
			if n := after.TotalAlloc - before.TotalAlloc; n > 2*planner.MaxFileSize+1<<20 {
				t.Errorf("Load allocated %d bytes, the limit is %d", n, planner.MaxFileSize)
			}
		})
	}
}

func TestReadAllLimit(t *testing.T) {
	data, err := planner.ReadAll("CSV file", "x.csv", strings.NewReader(strings.Repeat("x", planner.MaxFileSize)))
	if err != nil || len(data) != planner.MaxFileSize {
		t.Errorf("ReadAll at the limit: %d bytes, %v", len(data), err)
	}
	_, err = planner.ReadAll("CSV file", "x.csv", strings.NewReader(strings.Repeat("x", planner.MaxFileSize+1)))
	if !errors.Is(err, planner.ErrTooLarge) || !strings.Contains(err.Error(), "CSV file x.csv is larger than 16 MiB") {
		t.Errorf("ReadAll above the limit: %v", err)
	}
}

func TestTemplateLimits(t *testing.T) {
	long := strings.Repeat("a", planner.MaxIDLength+1)
	tmpl := "runbook: t\nphases:\n  - {id: move, timing: window}\nsteps:\n  - {id: unrack-" + long + "-<id>, for: assets, title: x, phase: move, duration: 1h}\n"
	_, err := planner.ParseTemplate("t.yaml", []byte(tmpl))
	var errs planner.Errors
	if !errors.As(err, &errs) || errs[0].Pos.String() != "t.yaml:5:10" || !strings.Contains(errs[0].Msg, "ids are at most 128") {
		t.Errorf("template step id too long: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, make([]byte, planner.MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := planner.LoadTemplate(big); !errors.Is(err, planner.ErrTooLarge) || !strings.Contains(err.Error(), "runbook template "+big) {
		t.Errorf("LoadTemplate of a large file: %v", err)
	}
}
