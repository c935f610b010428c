package firewall_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dcmove/dcmove/firewall"
)

// The fuzz targets of the parsers. Plain `go test` runs their seeds (the
// files of testdata); run one for longer with
//
//	go test -run '^$' -fuzz '^FuzzParseIPTables$' -fuzztime 1m ./firewall/

// fuzzSeeds adds the files of testdata matching the patterns as seeds.
func fuzzSeeds(f *testing.F, patterns ...string) {
	f.Helper()
	for _, pattern := range patterns {
		paths, err := filepath.Glob(filepath.Join("testdata", pattern))
		if err != nil || len(paths) == 0 {
			f.Fatalf("no seed files match %s", pattern)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// fuzzCheck checks what a parser made of data: rules or an error, never
// neither; errors of the content at file:line inside data; each rule
// written back in both syntaxes reads as the same id.
func fuzzCheck(t *testing.T, parse func(string, io.Reader) ([]firewall.Rule, error), data []byte) {
	const file = "fuzz.txt"
	rules, err := parse(file, bytes.NewReader(data))
	if rules == nil && err == nil {
		t.Fatal("no rules and no error")
	}
	if err != nil {
		if !errors.Is(err, firewall.ErrInvalid) {
			t.Fatalf("error does not match ErrInvalid: %v", err)
		}
		var es firewall.Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Fatalf("error is %T, want firewall.Errors: %v", err, err)
		}
		lines := max(bytes.Count(data, []byte{'\n'})+1, 1)
		for _, e := range es {
			if e.Pos.File != file || e.Pos.Line < 1 || e.Pos.Line > lines || e.Msg == "" {
				t.Fatalf("error at %v, outside the %d lines of the input: %v", e.Pos, lines, e)
			}
		}
	}
	for _, r := range rules {
		if r.Pos.File != file || r.Pos.Line < 1 {
			t.Fatalf("rule at %v", r.Pos)
		}
	}
	if len(rules) == 0 {
		return
	}
	for _, f := range []firewall.Format{firewall.IPTablesSave, firewall.Nft} {
		// All the rules at once, and one by one when iptables cannot write
		// some of them (a set of ranges in one rule).
		if text, err := firewall.RenderRuleset(f, rules, nil); err == nil {
			back, err := firewall.Parse("rendered", bytes.NewReader([]byte(text)))
			if err != nil || !slices.Equal(ids(back), ids(rules)) {
				t.Fatalf("rules rendered as %s:\n%s\nread back with other ids: %v", f, text, err)
			}
			continue
		}
		for _, r := range rules {
			text, err := firewall.RenderRuleset(f, []firewall.Rule{r}, nil)
			if err != nil {
				continue
			}
			back, err := firewall.Parse("rendered", bytes.NewReader([]byte(text)))
			if err != nil || len(back) != 1 {
				t.Fatalf("rule %s (%s) rendered as %s:\n%s\nreads as %d rules: %v", r.ID(), r, f, text, len(back), err)
			}
			if back[0].ID() != r.ID() {
				t.Fatalf("rule %s rendered as %s:\n%s\nreads as\n%s, not\n%s", r.ID(), f, text, back[0], r)
			}
		}
	}
}

func FuzzParseIPTables(f *testing.F) {
	fuzzSeeds(f, "*iptables-save.txt")
	f.Add([]byte("*filter\n-A INPUT ! -p tcp -j REJECT --reject-with tcp-reset\n-A INPUT -p udp ! --sport 53 -j LOG --log-prefix \"a \\\"b\\\"\" --log-level 6\nCOMMIT\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, firewall.ParseIPTablesSave, data) })
}

func FuzzParseNft(f *testing.F) {
	fuzzSeeds(f, "*nft.txt")
	f.Add([]byte("table ip6 t {\n\tchain c {\n\t\tip6 saddr { 2001:db8::/64, 2001:db8:1::1 } th dport 1-1024 reject with icmpv6 type admin-prohibited\n\t}\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, firewall.ParseNft, data) })
}

func FuzzParseNftJSON(f *testing.F) {
	fuzzSeeds(f, "*.json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, firewall.ParseNftJSON, data) })
}

func FuzzParseCSV(f *testing.F) {
	fuzzSeeds(f, "*.csv")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, firewall.ParseCSV, data) })
}
