package projections_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/projections"
)

// headHash is a run's head hash as the views print it: whole, or its first
// 12 hex digits. Event ids are random, so the golden files hold HASH
// instead.
var headHash = regexp.MustCompile(`\b[0-9a-f]{64}\b|\bsha256 [0-9a-f]{12}\b`)

// scrubHead replaces the head hashes on the lines that show the head.
func scrubHead(b []byte) []byte {
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i, l := range lines {
		if bytes.Contains(l, []byte("head")) {
			lines[i] = headHash.ReplaceAllFunc(l, func(m []byte) []byte {
				if bytes.HasPrefix(m, []byte("sha256 ")) {
					return []byte("sha256 HASH")
				}
				return []byte("HASH")
			})
		}
	}
	return bytes.Join(lines, nil)
}

// The report and the board carry the run's head: the sequence and hash of
// its last event, what audit verify --head checks.
func TestHeadInReportAndBoard(t *testing.T) {
	recs := history(t)
	last := recs[len(recs)-1]
	hash := last.Hash()
	rp := projections.NewReport()
	fold(rp, recs)
	var md, html bytes.Buffer
	if err := projections.WriteReportMarkdown(&md, rp); err != nil {
		t.Fatal(err)
	}
	if err := projections.WriteReportHTML(&html, rp); err != nil {
		t.Fatal(err)
	}
	want := "--head 7:" + hash
	for name, out := range map[string]string{"markdown": md.String(), "html": html.String()} {
		if !strings.Contains(out, "head: seq 7 sha256 ") || !strings.Contains(out, want) {
			t.Errorf("the %s report does not carry the head seq 7 %s", name, hash)
		}
	}
	s := projections.NewStatus()
	fold(s, recs)
	b := s.Board(last.Time)
	if b.Head != hash || b.Seq != 7 {
		t.Errorf("board head: seq %d %s, want seq 7 %s", b.Seq, b.Head, hash)
	}
	var text bytes.Buffer
	if err := (projections.View{}).WriteBoard(&text, b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "head seq 7 sha256 "+hash[:12]) {
		t.Errorf("the status text does not show the head:\n%s", text.String())
	}
}
