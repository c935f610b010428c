package firewall

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// tables are the iptables tables dcmove reads.
var tables = map[string]bool{"filter": true, "nat": true, "mangle": true, "raw": true, "security": true}

// refusedTargets are iptables target extensions that change packets in ways
// dcmove does not compare; a rule using one is refused rather than read
// as a jump to a chain of that name.
var refusedTargets = map[string]bool{
	"MARK": true, "CONNMARK": true, "TCPMSS": true, "CT": true, "NOTRACK": true, "TPROXY": true,
	"REDIRECT": true, "NFQUEUE": true, "QUEUE": true, "CLASSIFY": true, "TEE": true, "TRACE": true,
	"NFLOG": true, "ULOG": true, "AUDIT": true, "CHECKSUM": true, "DSCP": true, "TOS": true,
	"TTL": true, "HL": true, "SET": true, "NETMAP": true, "SECMARK": true, "CONNSECMARK": true,
	"SYNPROXY": true, "HMARK": true, "CLUSTERIP": true, "IDLETIMER": true, "LED": true, "RATEEST": true,
}

// matchModules are the -m modules dcmove reads; the others are refused.
var matchModules = map[string]bool{
	"tcp": true, "udp": true, "icmp": true, "icmp6": true, "multiport": true, "conntrack": true,
	"state": true, "comment": true, "iprange": true,
}

// ParseIPTablesSave reads the output of iptables-save or ip6tables-save
// (with or without -c counters). file names the export in positions. It
// returns every rule it could read; when some lines cannot be read, the
// error is [Errors] listing each of them at file:line. The package doc
// lists the options read and those refused.
func ParseIPTablesSave(file string, r io.Reader) ([]Rule, error) {
	data, err := readInput(file, r)
	if err != nil {
		return nil, err
	}
	rules, _, err := parseIPTables(file, data)
	return rules, err
}

// parseIPTables reads an iptables-save export.
func parseIPTables(file string, data []byte) ([]Rule, []Policy, error) {
	var (
		errs     Errors
		rules    []Rule
		policies []Policy
		table    string
	)
	rules = make([]Rule, 0, bytes.Count(data, []byte("\n-A ")))
	eachLine(file, data, &errs, func(n int, line string) {
		pos := Pos{File: file, Line: n}
		s := strings.TrimSpace(line)
		// Counters of iptables-save -c: [packets:bytes] before the rule.
		if strings.HasPrefix(s, "[") {
			if i := strings.IndexByte(s, ']'); i > 0 && strings.HasPrefix(strings.TrimSpace(s[i+1:]), "-A") {
				s = strings.TrimSpace(s[i+1:])
			}
		}
		switch {
		case s == "" || strings.HasPrefix(s, "#"):
		case strings.HasPrefix(s, "*"):
			name := strings.TrimSpace(s[1:])
			if !tables[name] {
				errs.add(pos, "unknown table %q (dcmove reads filter, nat, mangle, raw and security)", name)
				table = ""
				return
			}
			table = name
		case s == "COMMIT":
			if table == "" {
				errs.add(pos, "COMMIT without a table; the export is cut or edited by hand")
			}
			table = ""
		case strings.HasPrefix(s, ":"):
			f := strings.Fields(s[1:])
			if len(f) < 2 || table == "" {
				errs.add(pos, "chain line %q: expected :CHAIN POLICY [packets:bytes] after a *table line", s)
				return
			}
			policies = append(policies, Policy{Table: table, Chain: canonicalChain(f[0]), Action: strings.ToUpper(f[1]), Pos: pos})
		case strings.HasPrefix(s, "-A ") || strings.HasPrefix(s, "--append "):
			if table == "" {
				errs.add(pos, "rule outside a table; iptables-save writes *filter (or *nat) first")
				return
			}
			r, err := parseIPTablesRule(s)
			if err != nil {
				errs.add(pos, "%v", err)
				return
			}
			r.Table, r.Text, r.Pos = table, s, pos
			if err := r.normalise(); err != nil {
				errs.add(pos, "%v", err)
				return
			}
			rules = append(rules, r)
		case strings.HasPrefix(s, "-"):
			cmd, _, _ := strings.Cut(s, " ")
			errs.add(pos, "%s is an iptables command, not iptables-save output; export with iptables-save > FILE", cmd)
		default:
			errs.add(pos, "not an iptables-save line: %q", clip(s))
		}
	})
	if table != "" && len(errs) == 0 && len(rules)+len(policies) > 0 {
		errs.add(Pos{File: file, Line: lineCount(data)}, "table %s has no COMMIT; the export is cut", table)
	}
	return nonNil(rules), policies, errs.err()
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// parseIPTablesRule reads the words of one -A line.
func parseIPTablesRule(line string) (Rule, error) {
	w, err := shellWords(line)
	if err != nil {
		return Rule{}, err
	}
	var r Rule
	if len(w) < 2 {
		return r, fmt.Errorf("-A without a chain")
	}
	r.Chain = w[1]
	seen := map[string]bool{}
	once := func(opt string) error {
		if seen[opt] {
			return fmt.Errorf("%s given twice; dcmove reads it once per rule", opt)
		}
		seen[opt] = true
		return nil
	}
	module := "" // the last -m read
	for i := 2; i < len(w); i++ {
		not := false
		if w[i] == "!" {
			not = true
			i++
			if i >= len(w) {
				return r, fmt.Errorf("! at the end of the rule")
			}
		}
		opt := w[i]
		// A match module or a target extension dcmove does not read: its
		// options are kept as written (see Rule.Extra).
		if (opt == "-m" || opt == "--match") && i+1 < len(w) && !matchModules[w[i+1]] && !not {
			j := extraEnd(w, i+2, false)
			r.Extra = append(r.Extra, joinWords(w[i:j]))
			i = j - 1
			continue
		}
		if (opt == "-j" || opt == "--jump") && i+1 < len(w) && refusedTargets[w[i+1]] && !not {
			if err := once("target"); err != nil {
				return r, err
			}
			j := extraEnd(w, i+2, true)
			r.Action, r.Target = "EXTENSION", w[i+1]
			r.Extra = append(r.Extra, joinWords(w[i:j]))
			i = j - 1
			continue
		}
		// value returns the option's value, or an error if there is none.
		value := func() (string, error) {
			free := opt == "--comment" || opt == "--log-prefix"
			if i+1 >= len(w) || (!free && ((strings.HasPrefix(w[i+1], "-") && len(w[i+1]) > 1 && !isNumber(w[i+1])) || w[i+1] == "!")) {
				return "", fmt.Errorf("%s needs a value", opt)
			}
			i++
			return w[i], nil
		}
		negatable := true
		var v string
		switch opt {
		case "-p", "--protocol", "-s", "--source", "--src", "-d", "--destination", "--dst",
			"-i", "--in-interface", "-o", "--out-interface", "-m", "--match", "-j", "--jump", "-g", "--goto",
			"--dport", "--destination-port", "--sport", "--source-port", "--dports", "--destination-ports",
			"--sports", "--source-ports", "--ctstate", "--state", "--comment", "--icmp-type", "--icmpv6-type",
			"--src-range", "--dst-range", "--to-destination", "--to-source", "--reject-with", "--log-prefix", "--log-level":
			if v, err = value(); err != nil {
				return r, err
			}
		default:
			if !strings.HasPrefix(opt, "--") || module == "" {
				return r, fmt.Errorf("option %s is not read by dcmove (refused rather than ignored; see the firewall package doc for what is read)", opt)
			}
			// An option of a module dcmove reads that it does not read
			// itself (-m tcp --tcp-flags ...): kept as written, with its
			// module, like an unread module.
			j := i + 1
			for j < len(w) && !strings.HasPrefix(w[j], "-") && w[j] != "!" {
				j++
			}
			words := append([]string{"-m", module}, w[i:j]...)
			if not {
				words = append([]string{"-m", module, "!"}, w[i:j]...)
			}
			r.Extra = append(r.Extra, joinWords(words))
			i = j - 1
			continue
		}
		switch opt {
		case "-p", "--protocol":
			err = once("-p")
			if err == nil {
				r.Protocol, err = parseProtocol(v)
				r.NotProtocol = not
			}
		case "-s", "--source", "--src", "--src-range":
			err = once("source")
			if err == nil {
				r.Source, err = parseAddrs(splitList(v))
				r.Source.Not = not
			}
		case "-d", "--destination", "--dst", "--dst-range":
			err = once("destination")
			if err == nil {
				r.Destination, err = parseAddrs(splitList(v))
				r.Destination.Not = not
			}
		case "-i", "--in-interface":
			if err = once("-i"); err == nil {
				r.In = Iface{Not: not, Name: v}
			}
		case "-o", "--out-interface":
			if err = once("-o"); err == nil {
				r.Out = Iface{Not: not, Name: v}
			}
		case "-m", "--match":
			negatable = false
			module = v
			if !matchModules[v] {
				err = fmt.Errorf("match -m %s is not read by dcmove (refused rather than ignored; see the firewall package doc for what is read)", v)
			}
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			err = once("destination ports")
			if err == nil {
				r.DestinationPorts, err = parsePorts(splitList(v))
				r.DestinationPorts.Not = not
			}
		case "--sport", "--source-port", "--sports", "--source-ports":
			err = once("source ports")
			if err == nil {
				r.SourcePorts, err = parsePorts(splitList(v))
				r.SourcePorts.Not = not
			}
		case "--ctstate", "--state":
			err = once("state")
			if err == nil {
				r.States, err = parseStates(splitList(v))
				r.NotStates = not
			}
		case "--comment":
			negatable = false
			if err = once(opt); err == nil {
				r.Comment = v
			}
		case "--icmp-type", "--icmpv6-type":
			negatable = false
			if err = once("icmp type"); err == nil {
				r.ICMPType, err = parseICMPType(v)
			}
		case "-j", "--jump", "-g", "--goto":
			negatable = false
			if err = once("target"); err != nil {
				break
			}
			t := v
			switch {
			case opt == "-g" || opt == "--goto":
				r.Action, r.Target = "GOTO", t
			case t == "ACCEPT" || t == "DROP" || t == "REJECT" || t == "RETURN" || t == "LOG" ||
				t == "DNAT" || t == "SNAT" || t == "MASQUERADE":
				r.Action = t
			case refusedTargets[t]:
				err = fmt.Errorf("target -j %s is not read by dcmove (refused rather than ignored; see the firewall package doc)", t)
			default:
				r.Action, r.Target = "JUMP", t
			}
		case "--to-destination", "--to-source":
			negatable = false
			if err = once("--to"); err == nil {
				r.To, err = canonicalTo(v)
			}
		case "--reject-with":
			negatable = false
			if err = once(opt); err == nil {
				r.RejectWith, err = canonicalReject(v)
			}
		case "--log-prefix":
			negatable = false
			if err = once(opt); err == nil {
				r.LogPrefix = v
			}
		case "--log-level":
			negatable = false
			if err = once(opt); err == nil {
				lv, ok := logLevels[strings.ToLower(v)]
				if !ok {
					err = fmt.Errorf("unknown log level %q", v)
				}
				r.LogLevel = lv
			}
		}
		if err != nil {
			return r, err
		}
		if not && !negatable {
			return r, fmt.Errorf("! before %s, which cannot be negated", opt)
		}
	}
	if err := targetOptions(r); err != nil {
		return r, err
	}
	// Extra stays in the order written: some modules act (-m recent --set,
	// -m quota), and their order changes what the rule does.
	return r, nil
}

// joinWords writes words back as iptables-save would: a word that is
// empty or holds a blank, a quote or a backslash is quoted.
func joinWords(w []string) string {
	out := make([]string, len(w))
	for i, x := range w {
		if x == "" || strings.ContainsAny(x, " \t\"'\\") {
			x = quote(x)
		}
		out[i] = x
	}
	return strings.Join(out, " ")
}

// topLevel are the iptables options that end the options of a match
// module or target extension dcmove keeps as written.
var topLevel = map[string]bool{"-p": true, "--protocol": true, "-s": true, "--source": true, "--src": true, "-d": true,
	"--destination": true, "--dst": true, "-i": true, "--in-interface": true, "-o": true, "--out-interface": true,
	"-m": true, "--match": true, "-j": true, "--jump": true, "-g": true, "--goto": true}

// extraEnd returns where the options of an unread module (or, target, of
// an unread target extension, which runs to the end of the rule) starting
// at w[from] end: at the next top-level option, or "!" before one.
func extraEnd(w []string, from int, target bool) int {
	if target {
		return len(w)
	}
	for j := from; j < len(w); j++ {
		if topLevel[w[j]] || (w[j] == "!" && j+1 < len(w) && topLevel[w[j+1]]) {
			return j
		}
	}
	return len(w)
}

// targetOptions checks that the options of targets go with the rule's
// target.
func targetOptions(r Rule) error {
	switch {
	case r.To != "" && r.Action != "DNAT" && r.Action != "SNAT":
		return fmt.Errorf("an address to translate to without -j DNAT or -j SNAT")
	case r.RejectWith != "" && r.Action != "REJECT":
		return fmt.Errorf("--reject-with without -j REJECT")
	case (r.LogPrefix != "" || r.LogLevel != "") && r.Action != "LOG":
		return fmt.Errorf("--log-prefix or --log-level without -j LOG")
	}
	return nil
}

// isNumber reports whether s is a (negative) number, which an option
// value may be.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Policy is the default action of a base chain: what happens to packets
// no rule decided on (iptables-save ":INPUT DROP [0:0]", nft "policy
// drop;").
type Policy struct {
	Table, Chain string
	// Action is ACCEPT or DROP.
	Action string
	Pos    Pos
}
