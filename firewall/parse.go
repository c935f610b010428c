package firewall

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Format is the syntax of an export.
type Format string

// The formats dcmove reads; [Rule.Render] writes the first two.
const (
	IPTablesSave Format = "iptables-save"
	Nft          Format = "nft"
	NftJSON      Format = "nft-json"
	CSV          Format = "csv"
)

// Parse reads an export in any of the formats, told apart by their
// content (see [Detect]). file names the export in positions and
// messages.
func Parse(file string, r io.Reader) ([]Rule, error) {
	rs, err := ParseRuleset(file, r)
	return rs.Rules, err
}

// Ruleset is what an export holds: its rules, in file order, and the
// policies of its base chains.
type Ruleset struct {
	Format   Format
	Rules    []Rule
	Policies []Policy
}

// ParseRuleset reads an export in any of the formats, as [Parse] does, and
// returns its chain policies too (the dcmove CSV has none).
func ParseRuleset(file string, r io.Reader) (Ruleset, error) {
	data, err := readInput(file, r)
	if err != nil {
		return Ruleset{}, err
	}
	f, err := Detect(file, data)
	if err != nil {
		return Ruleset{}, err
	}
	rs := Ruleset{Format: f}
	switch f {
	case IPTablesSave:
		rs.Rules, rs.Policies, err = parseIPTables(file, data)
	case Nft:
		rs.Rules, rs.Policies, err = parseNft(file, data)
	case NftJSON:
		rs.Rules, rs.Policies, err = parseNftJSON(file, data)
	default:
		rs.Rules, err = parseCSV(file, data)
	}
	return rs, err
}

// Detect tells the format of an export from its first line that is not
// blank or a # comment: *table or -A for iptables-save, table for nft, {
// for JSON, a header naming chain and action for the dcmove CSV.
func Detect(file string, data []byte) (Format, error) {
	first, n := "", 0
	for rest := data; len(rest) > 0; {
		n++
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(line) > 200 {
			line = line[:200]
		}
		s := strings.TrimSpace(strings.TrimPrefix(string(line), "\uFEFF"))
		if s != "" && !strings.HasPrefix(s, "#") {
			first = s
			break
		}
	}
	low := strings.ToLower(first)
	switch {
	case strings.HasPrefix(first, "*") || strings.HasPrefix(first, "-A ") || strings.HasPrefix(first, ":"):
		return IPTablesSave, nil
	case strings.HasPrefix(first, "table "):
		return Nft, nil
	case strings.HasPrefix(first, "{"):
		return NftJSON, nil
	case strings.Contains(low, "chain") && strings.Contains(low, "action"):
		return CSV, nil
	}
	if n == 0 {
		n = 1
	}
	what := fmt.Sprintf("first line %q", clip(first))
	if first == "" {
		what = "the file is empty"
		n = max(lineCount(data), 1)
	}
	return "", Errors{{Pos: Pos{File: file, Line: n}, Msg: fmt.Sprintf(
		"not an iptables-save, nft or dcmove CSV export: %s; export with iptables-save > FILE or nft list ruleset > FILE (or nft -j list ruleset), or write a CSV with the header chain,protocol,source,destination,dports,sports,action,comment", what)}}
}
