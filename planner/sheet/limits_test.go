package sheet_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/planner/sheet"
)

// endless is a reader that never ends, like /dev/zero.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestImportLimits(t *testing.T) {
	long := strings.Repeat("a", planner.MaxIDLength+1)
	tests := []struct {
		name string
		r    io.Reader
		says string
	}{
		{"endless", endless{}, "CSV file x.csv is larger than 16 MiB"},
		{"one byte too many", strings.NewReader(strings.Repeat("x", planner.MaxFileSize+1)), "CSV file x.csv is larger than 16 MiB"},
		{"id too long", strings.NewReader("id,title,duration\n" + long + ",A,30m\n"), `x.csv:2:1: step id "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..." (cell A2) is 129 characters long; ids are at most 128`},
	}
	for _, tt := range tests {
		_, err := sheet.ImportCSV("x.csv", tt.r)
		if !errors.Is(err, planner.ErrInvalid) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.says)
		}
	}
}
