package firewall

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseNftJSON reads the output of nft -j list ruleset: the "nftables"
// array of metainfo, table, chain, rule (and set, map...) objects. file
// names the export in positions. JSON has no line per rule (nft writes the
// whole export on one line), so a rule's [Pos] has the line its object
// starts on and its number among the rule objects (Pos.Rule, from 1).
// Each rule's expressions are read as the nft text form of the same
// rule, so the two forms read the same options and refuse the same ones.
func ParseNftJSON(file string, r io.Reader) ([]Rule, error) {
	data, err := readInput(file, r)
	if err != nil {
		return nil, err
	}
	rules, _, err := parseNftJSON(file, data)
	return rules, err
}

// lineAt returns the line of data offset off is on.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

type jsonChain struct {
	Family, Table, Name, Type, Hook, Policy string
}

type jsonRule struct {
	Family, Table, Chain string
	Comment              *string
	Expr                 []map[string]json.RawMessage
}

// parseNftJSON reads an nft -j export.
func parseNftJSON(file string, data []byte) ([]Rule, []Policy, error) {
	var errs Errors
	fail := func(off int64, format string, args ...any) ([]Rule, []Policy, error) {
		errs.add(Pos{File: file, Line: lineAt(data, off)}, format, args...)
		return nil, nil, errs.err()
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return fail(d.InputOffset(), "not nft -j list ruleset output: expected {\"nftables\": [...]}")
	}
	var objs []json.RawMessage
	var offs []int64
	found := false
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return fail(d.InputOffset(), "bad JSON: %v", err)
		}
		if k != "nftables" {
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return fail(d.InputOffset(), "bad JSON: %v", err)
			}
			continue
		}
		found = true
		if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
			return fail(d.InputOffset(), "\"nftables\" is not an array")
		}
		for d.More() {
			start := d.InputOffset()
			var o json.RawMessage
			if err := d.Decode(&o); err != nil {
				return fail(d.InputOffset(), "bad JSON: %v", err)
			}
			// The offset before Decode is where the previous value ended;
			// the object starts after the comma and white space.
			for start < int64(len(data)) && strings.ContainsRune(" \t\r\n,", rune(data[start])) {
				start++
			}
			objs, offs = append(objs, o), append(offs, start)
		}
		if _, err := d.Token(); err != nil {
			return fail(d.InputOffset(), "bad JSON: %v", err)
		}
	}
	if _, err := d.Token(); err != nil {
		return fail(d.InputOffset(), "bad JSON: %v", err)
	}
	if !found {
		return fail(0, "not nft -j list ruleset output: no \"nftables\" array")
	}
	if _, err := d.Token(); err != io.EOF {
		return fail(d.InputOffset(), "text after the JSON object")
	}

	chains := map[[3]string]jsonChain{}
	var rules []Rule
	var policies []Policy
	n := 0
	// Chains first: nft writes them before their rules, but nothing
	// requires it.
	for i, o := range objs {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(o, &m); err != nil {
			errs.add(Pos{File: file, Line: lineAt(data, offs[i])}, "an element of \"nftables\" is not an object")
			continue
		}
		if c, ok := m["chain"]; ok {
			var ch jsonChain
			if err := json.Unmarshal(c, &ch); err != nil || ch.Name == "" {
				errs.add(Pos{File: file, Line: lineAt(data, offs[i])}, "chain object without a name")
				continue
			}
			chains[[3]string{ch.Family, ch.Table, ch.Name}] = ch
			if ch.Policy != "" {
				policies = append(policies, Policy{Table: nftTableName(ch.Table, ch.Type), Chain: nftChainName(ch.Name, ch.Hook),
					Action: strings.ToUpper(ch.Policy), Pos: Pos{File: file, Line: lineAt(data, offs[i])}})
			}
		}
	}
	for i, o := range objs {
		var m map[string]json.RawMessage
		if json.Unmarshal(o, &m) != nil {
			continue
		}
		raw, ok := m["rule"]
		if !ok {
			continue
		}
		n++
		pos := Pos{File: file, Line: lineAt(data, offs[i]), Rule: n}
		var jr jsonRule
		if err := json.Unmarshal(raw, &jr); err != nil {
			errs.add(pos, "rule object: %v", err)
			continue
		}
		ch, ok := chains[[3]string{jr.Family, jr.Table, jr.Chain}]
		if !ok {
			errs.add(pos, "rule of chain %s %s %s, which the export does not declare", jr.Family, jr.Table, jr.Chain)
			continue
		}
		text, err := jsonRuleText(jr)
		if err != nil {
			errs.add(pos, "%v", err)
			continue
		}
		toks, err := nftTokens(text)
		if err != nil {
			errs.add(pos, "%v", err)
			continue
		}
		r, err := parseNftRule(toks)
		if err != nil {
			errs.add(pos, "%v (as nft text: %s)", err, clip(text))
			continue
		}
		r.Table, r.Chain = nftTableName(ch.Table, ch.Type), nftChainName(ch.Name, ch.Hook)
		r.Text, r.Pos = string(o), pos
		if err := r.normalise(); err != nil {
			errs.add(pos, "%v", err)
			continue
		}
		rules = append(rules, r)
	}
	return nonNil(rules), policies, errs.err()
}

// jsonRuleText writes a rule's expressions in nft's text syntax.
func jsonRuleText(jr jsonRule) (string, error) {
	var parts []string
	for _, e := range jr.Expr {
		if len(e) != 1 {
			return "", fmt.Errorf("expression with %d keys; nft writes one", len(e))
		}
		for k, v := range e {
			s, err := jsonStatement(k, v)
			if err != nil {
				return "", err
			}
			if s != "" {
				parts = append(parts, s)
			}
		}
	}
	if jr.Comment != nil {
		parts = append(parts, "comment "+quote(*jr.Comment))
	}
	return strings.Join(parts, " "), nil
}

// jsonStatement writes one expression of a rule in nft's text syntax.
func jsonStatement(k string, v json.RawMessage) (string, error) {
	var obj map[string]json.RawMessage
	_ = json.Unmarshal(v, &obj)
	str := func(key string) string {
		var s string
		if obj != nil {
			_ = json.Unmarshal(obj[key], &s)
		}
		return s
	}
	switch k {
	case "match":
		var m struct {
			Op          string
			Left, Right json.RawMessage
		}
		if err := json.Unmarshal(v, &m); err != nil {
			return "", fmt.Errorf("match: %v", err)
		}
		left, iface, err := jsonLeft(m.Left)
		if err != nil {
			return "", err
		}
		right, err := jsonValue(m.Right, iface, true)
		if err != nil {
			return "", err
		}
		switch m.Op {
		case "==", "in", "":
			return left + " " + right, nil
		case "!=":
			return left + " != " + right, nil
		}
		return "", fmt.Errorf("match operator %q is not read by dcmove", m.Op)
	case "accept", "drop", "return", "masquerade":
		return k, nil
	case "counter":
		return "", nil
	case "jump", "goto":
		t := str("target")
		if t == "" {
			return "", fmt.Errorf("%s without a target", k)
		}
		return k + " " + t, nil
	case "reject":
		switch t := str("type"); t {
		case "":
			return "reject", nil
		case "tcp reset":
			return "reject with tcp reset", nil
		case "icmp", "icmpv6", "icmpx":
			return "reject with " + t + " type " + str("expr"), nil
		default:
			return "", fmt.Errorf("reject type %q is not read by dcmove", t)
		}
	case "log":
		s := "log"
		if p := str("prefix"); p != "" {
			s += " prefix " + quote(p)
		}
		if l := str("level"); l != "" {
			s += " level " + l
		}
		return s, nil
	case "dnat", "snat":
		addr := str("addr")
		if addr == "" {
			return "", fmt.Errorf("%s without an address", k)
		}
		if strings.Contains(addr, ":") {
			addr = "[" + addr + "]"
		}
		if port, ok := obj["port"]; ok {
			p, err := jsonValue(port, false, false)
			if err != nil {
				return "", err
			}
			addr += ":" + p
		} else if strings.HasPrefix(addr, "[") {
			addr = strings.Trim(addr, "[]")
		}
		return k + " to " + addr, nil
	}
	return "", fmt.Errorf("nft JSON statement %q is not read by dcmove (refused rather than ignored; see the firewall package doc)", k)
}

// jsonLeft writes the left side of a match: ip saddr, tcp dport, meta
// l4proto, ct state. iface tells that the right side is an interface name,
// which nft text quotes.
func jsonLeft(v json.RawMessage) (string, bool, error) {
	var l struct {
		Payload *struct{ Protocol, Field string }
		Meta    *struct{ Key string }
		Ct      *struct{ Key string }
	}
	if err := json.Unmarshal(v, &l); err != nil {
		return "", false, fmt.Errorf("match: %v", err)
	}
	switch {
	case l.Payload != nil:
		return l.Payload.Protocol + " " + l.Payload.Field, false, nil
	case l.Meta != nil:
		k := l.Meta.Key
		return "meta " + k, k == "iifname" || k == "oifname", nil
	case l.Ct != nil:
		return "ct " + l.Ct.Key, false, nil
	}
	return "", false, fmt.Errorf("match on %s is not read by dcmove", clip(string(v)))
}

// jsonValue writes the right side of a match: a number, a word, a prefix,
// a range, a set, or a list of flags (ct state).
func jsonValue(v json.RawMessage, quoted, top bool) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", fmt.Errorf("match without a value")
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		if quoted {
			return quote(s), nil
		}
		if strings.ContainsAny(s, " \t{},;\"#") || s == "" {
			return "", fmt.Errorf("value %q is not a word", s)
		}
		return s, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return "", err
		}
		var out []string
		for _, it := range items {
			s, err := jsonValue(it, quoted, false)
			if err != nil {
				return "", err
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			return "", fmt.Errorf("empty list")
		}
		return "{ " + strings.Join(out, ", ") + " }", nil
	case '{':
		var o struct {
			Prefix *struct {
				Addr string
				Len  json.Number
			}
			Range []json.RawMessage
			Set   []json.RawMessage
		}
		if err := json.Unmarshal(v, &o); err != nil {
			return "", err
		}
		switch {
		case o.Prefix != nil:
			return o.Prefix.Addr + "/" + o.Prefix.Len.String(), nil
		case len(o.Range) == 2:
			a, err := jsonValue(o.Range[0], false, false)
			if err != nil {
				return "", err
			}
			b, err := jsonValue(o.Range[1], false, false)
			if err != nil {
				return "", err
			}
			return a + "-" + b, nil
		case o.Set != nil:
			return jsonValue(mustJSON(o.Set), quoted, false)
		}
		return "", fmt.Errorf("value %s is not read by dcmove", clip(string(v)))
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return "", fmt.Errorf("value %s is not read by dcmove", clip(string(v)))
	}
	if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
		return "", fmt.Errorf("value %s is not a whole number", n)
	}
	return n.String(), nil
}

// mustJSON returns the JSON of v, which can always be written.
func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
