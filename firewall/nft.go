package firewall

import (
	"fmt"
	"io"
	"strings"
)

// ParseNft reads the output of nft list ruleset (with or without -a
// handles). file names the export in positions. It returns every rule it
// could read; when some lines cannot be read, the error is [Errors]
// listing each of them at file:line. Sets, maps and other named objects
// are skipped (they are not rules); a rule using one (@name) is refused.
func ParseNft(file string, r io.Reader) ([]Rule, error) {
	data, err := readInput(file, r)
	if err != nil {
		return nil, err
	}
	rules, _, err := parseNft(file, data)
	return rules, err
}

// nftToken is a word, a quoted string or one of { } , ; of an nft line.
type nftToken struct {
	text   string
	quoted bool
}

// nftTokens splits an nft line into tokens, dropping a # comment.
func nftTokens(s string) ([]nftToken, error) {
	var out []nftToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '#':
			return out, nil
		case c == '{' || c == '}' || c == ',' || c == ';':
			out = append(out, nftToken{text: string(c)})
			i++
		case c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("a double quote is not closed")
			}
			out = append(out, nftToken{text: b.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t#{},;\"", rune(s[j])) {
				j++
			}
			out = append(out, nftToken{text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

// nftChain is what a rule needs to know of the chain it is in.
type nftChain struct {
	table, chain string
}

// nftTableName returns the iptables table a chain of an nft table stands
// for: the table's name when it is an iptables table name, else the base
// chain's type (filter, nat, route for mangle), else filter.
func nftTableName(table, chainType string) string {
	if tables[table] {
		return table
	}
	switch chainType {
	case "nat":
		return "nat"
	case "route":
		return "mangle"
	}
	return "filter"
}

// nftChainName returns the name rules of a chain are compared by: the
// hook of a base chain (input is INPUT), the name of a regular one.
func nftChainName(name, hook string) string {
	if hook != "" {
		return canonicalChain(hook)
	}
	return canonicalChain(name)
}

// parseNft reads an nft list ruleset export.
func parseNft(file string, data []byte) ([]Rule, []Policy, error) {
	var (
		errs     Errors
		rules    []Rule
		policies []Policy
		// where we are: 0 top level, 1 in a table, 2 in a chain.
		depth            int
		table            string
		chainName        string
		chainDecl        []nftToken // the chain's declaration lines (type, policy)
		chainLine        int
		chainRules       []Rule
		skip             int // brace depth of a skipped block (set, map...)
		skipLine, tblLin int
	)
	endChain := func() {
		hook, ctype, policy := "", "", ""
		for i := 0; i < len(chainDecl); i++ {
			switch chainDecl[i].text {
			case "hook":
				if i+1 < len(chainDecl) {
					hook = chainDecl[i+1].text
				}
			case "type":
				if i+1 < len(chainDecl) {
					ctype = chainDecl[i+1].text
				}
			case "policy":
				if i+1 < len(chainDecl) {
					policy = strings.ToUpper(chainDecl[i+1].text)
				}
			}
		}
		t, c := nftTableName(table, ctype), nftChainName(chainName, hook)
		for _, r := range chainRules {
			r.Table, r.Chain = t, c
			if err := r.normalise(); err != nil {
				errs.add(r.Pos, "%v", err)
				continue
			}
			rules = append(rules, r)
		}
		if policy != "" {
			policies = append(policies, Policy{Table: t, Chain: c, Action: policy, Pos: Pos{File: file, Line: chainLine}})
		}
		chainRules, chainDecl = nil, nil
	}
	eachLine(file, data, &errs, func(n int, line string) {
		pos := Pos{File: file, Line: n}
		toks, err := nftTokens(line)
		if err != nil {
			errs.add(pos, "%v", err)
			return
		}
		if skip > 0 {
			for _, t := range toks {
				switch t.text {
				case "{":
					if !t.quoted {
						skip++
					}
				case "}":
					if !t.quoted {
						skip--
					}
				}
			}
			return
		}
		if len(toks) == 0 {
			return
		}
		first := toks[0].text
		last := toks[len(toks)-1].text
		switch depth {
		case 0:
			if first == "table" && last == "{" && len(toks) >= 3 && len(toks) <= 4 {
				table = toks[len(toks)-2].text
				depth, tblLin = 1, n
				return
			}
			if first == "add" || first == "insert" || first == "flush" || first == "delete" || first == "define" || first == "include" {
				errs.add(pos, "%s is an nft command, not nft list ruleset output; export with nft list ruleset > FILE", first)
				return
			}
			errs.add(pos, "not nft list ruleset output: %q; a ruleset starts with table FAMILY NAME {", clip(strings.TrimSpace(line)))
		case 1:
			switch {
			case first == "}" && len(toks) == 1:
				depth = 0
			case first == "chain" && last == "{" && len(toks) == 3:
				chainName, chainLine, depth = toks[1].text, n, 2
			case last == "{" && !toks[len(toks)-1].quoted:
				skip, skipLine = 1, n
			case first == "flags" || first == "comment":
			default:
				errs.add(pos, "not a chain, set or map of table %s: %q", table, clip(strings.TrimSpace(line)))
			}
		case 2:
			switch {
			case first == "}" && len(toks) == 1:
				endChain()
				depth = 1
			case first == "type" || first == "policy" || first == "devices" || (first == "comment" && len(toks) <= 2):
				chainDecl = append(chainDecl, toks...)
			default:
				r, err := parseNftRule(toks)
				if err != nil {
					errs.add(pos, "%v", err)
					return
				}
				r.Text, r.Pos = strings.TrimSpace(line), pos
				if i := strings.Index(r.Text, " # handle "); i > 0 {
					r.Text = r.Text[:i]
				}
				chainRules = append(chainRules, r)
			}
		}
	})
	end := Pos{File: file, Line: lineCount(data)}
	switch {
	case skip > 0:
		errs.add(Pos{File: file, Line: skipLine}, "block is not closed; the export is cut")
	case depth == 2:
		endChain()
		errs.add(end, "chain %s is not closed; the export is cut", chainName)
	case depth == 1:
		errs.add(Pos{File: file, Line: tblLin}, "table %s is not closed; the export is cut", table)
	}
	return nonNil(rules), policies, errs.err()
}

// nftRule reads the tokens of one rule.
type nftRule struct {
	toks []nftToken
	i    int
	r    Rule
}

func (p *nftRule) more() bool { return p.i < len(p.toks) }

func (p *nftRule) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i].text
	}
	return ""
}

func (p *nftRule) next() (nftToken, error) {
	if p.i >= len(p.toks) {
		return nftToken{}, fmt.Errorf("rule ends too early")
	}
	p.i++
	return p.toks[p.i-1], nil
}

// values reads an optional != and a value or a set of values: 22,
// { 80, 443 }, established,related.
func (p *nftRule) values() (vals []string, not bool, err error) {
	switch p.peek() {
	case "!=", "!":
		not = true
		p.i++
	case "==":
		p.i++
	}
	t, err := p.next()
	if err != nil {
		return nil, false, err
	}
	if t.text == "{" && !t.quoted {
		for {
			t, err := p.next()
			if err != nil {
				return nil, false, fmt.Errorf("set is not closed")
			}
			if t.text == "}" && !t.quoted {
				break
			}
			if t.text == "," && !t.quoted {
				continue
			}
			vals = append(vals, t.text)
		}
		if len(vals) == 0 {
			return nil, false, fmt.Errorf("empty set { }")
		}
		return vals, not, nil
	}
	if strings.HasPrefix(t.text, "@") && !t.quoted {
		return nil, false, fmt.Errorf("named set %s is not read by dcmove; write its elements in the rule", t.text)
	}
	if strings.HasPrefix(t.text, "$") && !t.quoted {
		return nil, false, fmt.Errorf("variable %s: this is an nft script, not nft list ruleset output", t.text)
	}
	vals = append(vals, t.text)
	for p.peek() == "," {
		p.i++
		t, err := p.next()
		if err != nil {
			return nil, false, err
		}
		vals = append(vals, t.text)
	}
	return vals, not, nil
}

// setAction records the rule's verdict or action; a rule has one.
func (p *nftRule) setAction(a string) error {
	if p.r.Action != "" {
		return fmt.Errorf("%s after %s: dcmove compares one action per rule, as iptables has (split a log and a verdict into two rules)", strings.ToLower(a), strings.ToLower(p.r.Action))
	}
	p.r.Action = a
	return nil
}

// setProtocol records the protocol a match implies; two different ones are
// an error.
func (p *nftRule) setProtocol(proto string, not bool) error {
	if p.r.Protocol != "" && (p.r.Protocol != proto || p.r.NotProtocol != not) {
		return fmt.Errorf("protocol %s after protocol %s", proto, p.r.Protocol)
	}
	p.r.Protocol, p.r.NotProtocol = proto, not
	return nil
}

// nftIface turns an nft interface name into iptables' form: eth* is eth+.
func nftIface(s string) string {
	if strings.HasSuffix(s, "*") {
		return strings.TrimSuffix(s, "*") + "+"
	}
	return s
}

// parseNftRule reads one rule of a chain.
func parseNftRule(toks []nftToken) (Rule, error) {
	p := &nftRule{toks: toks}
	for p.more() {
		if err := p.statement(); err != nil {
			return Rule{}, err
		}
	}
	if err := targetOptions(p.r); err != nil {
		return Rule{}, err
	}
	return p.r, nil
}

// statement reads one match or statement of a rule.
func (p *nftRule) statement() error {
	t, _ := p.next()
	if t.quoted {
		return fmt.Errorf("unexpected string %q", t.text)
	}
	r := &p.r
	switch w := t.text; w {
	case "ip", "ip6":
		f, err := p.next()
		if err != nil {
			return err
		}
		switch f.text {
		case "saddr", "daddr":
			vals, not, err := p.values()
			if err != nil {
				return err
			}
			a, err := parseAddrs(vals)
			if err != nil {
				return err
			}
			a.Not = not
			if fam := a.family(); fam != "" && fam != w {
				return fmt.Errorf("%s %s with %s addresses", w, f.text, map[string]string{"ip": "IPv4", "ip6": "IPv6", "mixed": "mixed"}[fam])
			}
			dst := &r.Source
			if f.text == "daddr" {
				dst = &r.Destination
			}
			if len(dst.Ranges) > 0 {
				return fmt.Errorf("%s %s given twice", w, f.text)
			}
			*dst = a
		case "protocol", "nexthdr":
			return p.protocol()
		default:
			return fmt.Errorf("nft match %s %s is not read by dcmove (refused rather than ignored; see the firewall package doc)", w, f.text)
		}
	case "tcp", "udp", "sctp", "dccp", "udplite", "th":
		f, err := p.next()
		if err != nil {
			return err
		}
		if f.text != "dport" && f.text != "sport" {
			return fmt.Errorf("nft match %s %s is not read by dcmove (refused rather than ignored; see the firewall package doc)", w, f.text)
		}
		if w != "th" {
			if err := p.setProtocol(w, false); err != nil {
				return err
			}
		}
		vals, not, err := p.values()
		if err != nil {
			return err
		}
		ports, err := parsePorts(vals)
		if err != nil {
			return err
		}
		ports.Not = not
		dst := &r.DestinationPorts
		if f.text == "sport" {
			dst = &r.SourcePorts
		}
		if len(dst.Ranges) > 0 {
			return fmt.Errorf("%s %s given twice", w, f.text)
		}
		*dst = ports
	case "icmp", "icmpv6":
		f, err := p.next()
		if err != nil {
			return err
		}
		if f.text != "type" {
			return fmt.Errorf("nft match %s %s is not read by dcmove", w, f.text)
		}
		if err := p.setProtocol(w, false); err != nil {
			return err
		}
		vals, not, err := p.values()
		if err != nil {
			return err
		}
		if not || len(vals) != 1 {
			return fmt.Errorf("%s type takes one type, not negated", w)
		}
		if r.ICMPType, err = parseICMPType(vals[0]); err != nil {
			return err
		}
	case "meta":
		f, err := p.next()
		if err != nil {
			return err
		}
		switch f.text {
		case "l4proto":
			return p.protocol()
		case "iifname", "oifname", "iif", "oif":
			return p.iface(f.text)
		}
		return fmt.Errorf("nft match meta %s is not read by dcmove (refused rather than ignored; see the firewall package doc)", f.text)
	case "iifname", "oifname", "iif", "oif":
		return p.iface(w)
	case "ct":
		f, err := p.next()
		if err != nil {
			return err
		}
		if f.text != "state" {
			return fmt.Errorf("nft match ct %s is not read by dcmove (refused rather than ignored; see the firewall package doc)", f.text)
		}
		vals, not, err := p.values()
		if err != nil {
			return err
		}
		if r.States != nil {
			return fmt.Errorf("ct state given twice")
		}
		if r.States, err = parseStates(vals); err != nil {
			return err
		}
		r.NotStates = not
	case "counter":
		for p.peek() == "packets" || p.peek() == "bytes" {
			p.i += 2
		}
	case "log":
		if err := p.setAction("LOG"); err != nil {
			return err
		}
		for p.peek() == "prefix" || p.peek() == "level" {
			k, _ := p.next()
			v, err := p.next()
			if err != nil {
				return err
			}
			if k.text == "prefix" {
				r.LogPrefix = v.text
				continue
			}
			lv, ok := logLevels[strings.ToLower(v.text)]
			if !ok {
				return fmt.Errorf("unknown log level %q", v.text)
			}
			r.LogLevel = lv
		}
	case "accept", "drop", "return", "masquerade":
		return p.setAction(strings.ToUpper(w))
	case "reject":
		if err := p.setAction("REJECT"); err != nil {
			return err
		}
		if p.peek() != "with" {
			return nil
		}
		p.i++
		k, err := p.next()
		if err != nil {
			return err
		}
		v, err := p.next()
		if err != nil {
			return err
		}
		switch {
		case k.text == "tcp" && v.text == "reset":
			r.RejectWith = "tcp-reset"
		case (k.text == "icmp" || k.text == "icmpv6" || k.text == "icmpx") && v.text == "type":
			c, err := p.next()
			if err != nil {
				return err
			}
			if r.RejectWith, err = canonicalReject(c.text); err != nil {
				return err
			}
		default:
			return fmt.Errorf("reject with %s %s is not read by dcmove", k.text, v.text)
		}
	case "jump", "goto":
		if err := p.setAction(strings.ToUpper(w)); err != nil {
			return err
		}
		c, err := p.next()
		if err != nil {
			return err
		}
		r.Target = c.text
	case "dnat", "snat":
		if err := p.setAction(strings.ToUpper(w)); err != nil {
			return err
		}
		if p.peek() == "ip" || p.peek() == "ip6" {
			p.i++
		}
		if p.peek() != "to" {
			return fmt.Errorf("%s without to ADDRESS", w)
		}
		p.i++
		a, err := p.next()
		if err != nil {
			return err
		}
		if r.To, err = canonicalTo(a.text); err != nil {
			return err
		}
	case "comment":
		c, err := p.next()
		if err != nil {
			return err
		}
		r.Comment = c.text
	default:
		return fmt.Errorf("nft expression %q is not read by dcmove (refused rather than ignored; see the firewall package doc)", w)
	}
	return nil
}

// protocol reads the value of ip protocol, ip6 nexthdr or meta l4proto.
func (p *nftRule) protocol() error {
	vals, not, err := p.values()
	if err != nil {
		return err
	}
	if len(vals) != 1 {
		return fmt.Errorf("a set of protocols is not read by dcmove; write one rule per protocol")
	}
	proto, err := parseProtocol(vals[0])
	if err != nil {
		return err
	}
	return p.setProtocol(proto, not)
}

// iface reads the value of iifname or oifname.
func (p *nftRule) iface(key string) error {
	vals, not, err := p.values()
	if err != nil {
		return err
	}
	if len(vals) != 1 {
		return fmt.Errorf("a set of interfaces is not read by dcmove; write one rule per interface")
	}
	i := Iface{Not: not, Name: nftIface(vals[0])}
	dst := &p.r.In
	if key == "oifname" || key == "oif" {
		dst = &p.r.Out
	}
	if dst.Name != "" {
		return fmt.Errorf("%s given twice", key)
	}
	*dst = i
	return nil
}
