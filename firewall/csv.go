package firewall

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvColumns are the columns of the dcmove CSV, by the names a header may
// give them.
var csvColumns = map[string]string{
	"table": "table", "chain": "chain", "protocol": "protocol", "proto": "protocol",
	"source": "source", "src": "source", "destination": "destination", "dst": "destination",
	"dports": "dports", "dport": "dports", "ports": "dports", "sports": "sports", "sport": "sports",
	"in": "in", "out": "out", "state": "state", "states": "state", "action": "action",
	"to": "to", "comment": "comment",
}

// ParseCSV reads the dcmove CSV, for exports of other vendors' firewalls
// converted by hand or by script: a header row, then one rule per row.
// The package doc describes the columns and their values. Fields are
// separated by ',', ';' or tabs, whichever the header uses most.
func ParseCSV(file string, r io.Reader) ([]Rule, error) {
	data, err := readInput(file, r)
	if err != nil {
		return nil, err
	}
	return parseCSV(file, data)
}

// parseCSV reads a dcmove CSV export.
func parseCSV(file string, data []byte) ([]Rule, error) {
	var errs Errors
	eachLine(file, data, &errs, func(int, string) {})
	if len(errs) > 0 {
		return nil, errs.err()
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = csvSeparator(data)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		line := 1
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line = pe.Line
		}
		errs.add(Pos{File: file, Line: line}, "no header row (chain,protocol,source,destination,dports,sports,action,comment): %v", err)
		return nil, errs.err()
	}
	hline, _ := cr.FieldPos(0)
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		c, ok := csvColumns[h]
		if !ok {
			errs.add(Pos{File: file, Line: hline}, "unknown column %q (dcmove reads table, chain, protocol, source, destination, dports, sports, in, out, state, action, to, comment)", h)
			continue
		}
		if _, dup := cols[c]; dup {
			errs.add(Pos{File: file, Line: hline}, "column %s given twice", c)
		}
		cols[c] = i
	}
	for _, need := range []string{"chain", "action"} {
		if _, ok := cols[need]; !ok {
			errs.add(Pos{File: file, Line: hline}, "no %s column; the header names chain,protocol,source,destination,dports,sports,action,comment", need)
		}
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	var rules []Rule
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := lineCount(data)
			if errors.As(err, &pe) {
				line = pe.Line
			}
			errs.add(Pos{File: file, Line: line}, "%v", err)
			break
		}
		line, _ := cr.FieldPos(0)
		pos := Pos{File: file, Line: line}
		blank := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		get := func(c string) string {
			if i, ok := cols[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		r, err := csvRule(get)
		if err != nil {
			errs.add(pos, "%v", err)
			continue
		}
		r.Pos = pos
		r.Text = strings.Join(rec, string(cr.Comma))
		if err := r.normalise(); err != nil {
			errs.add(pos, "%v", err)
			continue
		}
		rules = append(rules, r)
	}
	return nonNil(rules), errs.err()
}

// negated strips a leading "!" from a CSV value.
func negated(s string) (string, bool) {
	if strings.HasPrefix(s, "!") {
		return strings.TrimSpace(s[1:]), true
	}
	return s, false
}

// csvRule reads one row.
func csvRule(get func(string) string) (Rule, error) {
	var r Rule
	var err error
	r.Table = strings.ToLower(get("table"))
	if r.Table != "" && !tables[r.Table] {
		return r, fmt.Errorf("table %q: write filter, nat, mangle or raw", r.Table)
	}
	r.Chain = get("chain")
	if r.Chain == "" {
		return r, fmt.Errorf("no chain; write INPUT, FORWARD, OUTPUT or a chain name")
	}
	if v, not := negated(get("protocol")); v != "" {
		if r.Protocol, err = parseProtocol(v); err != nil {
			return r, err
		}
		r.NotProtocol = not
	}
	for _, f := range []struct {
		col string
		dst *Addrs
	}{{"source", &r.Source}, {"destination", &r.Destination}} {
		if v, not := negated(get(f.col)); v != "" {
			if *f.dst, err = parseAddrs(splitList(v)); err != nil {
				return r, fmt.Errorf("%s: %v", f.col, err)
			}
			f.dst.Not = not
		}
	}
	for _, f := range []struct {
		col string
		dst *Ports
	}{{"dports", &r.DestinationPorts}, {"sports", &r.SourcePorts}} {
		if v, not := negated(get(f.col)); v != "" {
			if *f.dst, err = parsePorts(splitList(v)); err != nil {
				return r, fmt.Errorf("%s: %v", f.col, err)
			}
			f.dst.Not = not
		}
	}
	if v, not := negated(get("in")); v != "" {
		r.In = Iface{Not: not, Name: nftIface(v)}
	}
	if v, not := negated(get("out")); v != "" {
		r.Out = Iface{Not: not, Name: nftIface(v)}
	}
	if v, not := negated(get("state")); v != "" {
		if r.States, err = parseStates(splitList(v)); err != nil {
			return r, err
		}
		r.NotStates = not
	}
	r.Comment = get("comment")
	action := strings.Fields(get("action"))
	if len(action) == 0 {
		return r, fmt.Errorf("no action; write accept, drop, reject, return, jump CHAIN, dnat or snat (with a to column), masquerade or log")
	}
	switch a := strings.ToLower(action[0]); a {
	case "accept", "allow", "permit", "drop", "deny", "reject", "return", "masquerade", "log", "dnat", "snat":
		r.Action = map[string]string{"allow": "ACCEPT", "permit": "ACCEPT", "deny": "DROP"}[a]
		if r.Action == "" {
			r.Action = strings.ToUpper(a)
		}
		if len(action) > 1 {
			return r, fmt.Errorf("action %q: %s takes nothing after it", get("action"), a)
		}
	case "jump", "goto":
		if len(action) != 2 {
			return r, fmt.Errorf("action %q: write %s CHAIN", get("action"), a)
		}
		r.Action, r.Target = strings.ToUpper(a), action[1]
	default:
		return r, fmt.Errorf("action %q: write accept, drop, reject, return, jump CHAIN, dnat or snat (with a to column), masquerade or log", get("action"))
	}
	if to := get("to"); to != "" {
		if r.To, err = canonicalTo(to); err != nil {
			return r, err
		}
	}
	if err := targetOptions(r); err != nil {
		return r, err
	}
	if r.Table == "" && (r.Action == "DNAT" || r.Action == "SNAT" || r.Action == "MASQUERADE") {
		r.Table = "nat"
	}
	return r, nil
}

// csvSeparator returns the field separator the header line uses: the most
// frequent of ',', ';' and tab outside quotes, ',' if none.
func csvSeparator(data []byte) rune {
	counts := map[byte]int{}
	quoted := false
	for _, c := range data {
		if c == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if c == '\n' && len(counts) > 0 {
			break
		}
		if c == ',' || c == ';' || c == '\t' {
			counts[c]++
		}
	}
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return rune(best)
}
