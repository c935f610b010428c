package firewall

import (
	"fmt"
	"strings"
)

// Render writes the rule in the syntax of f: an iptables-save line
// (-A INPUT -s 198.51.100.0/28 -p tcp -m tcp --dport 22 -j ACCEPT) or an
// nft rule (ip saddr 198.51.100.0/28 tcp dport 22 accept), so that rules
// missing at the destination can be listed in its own syntax. Reading the
// result back (in a chain of the rule's table and name) gives a rule with
// the same [Rule.ID]. A rule iptables cannot express in one line, such as
// a set of address ranges, is an error for [IPTablesSave].
func (r Rule) Render(f Format) (string, error) {
	switch f {
	case IPTablesSave:
		return r.renderIPTables()
	case Nft:
		return r.renderNft()
	}
	return "", fmt.Errorf("firewall: cannot render rules as %q; dcmove writes %s and %s", f, IPTablesSave, Nft)
}

// not returns "! " when b is set, as iptables writes negations.
func not(b bool) string {
	if b {
		return "! "
	}
	return ""
}

// iptablesAddrs writes an address match: -s/-d for prefixes, -m iprange
// for one range.
func iptablesAddrs(a Addrs, opt, rangeOpt string) (string, error) {
	if a.Any() {
		return "", nil
	}
	if len(a.Ranges) == 1 {
		if _, ok := a.Ranges[0].prefix(); !ok {
			return " -m iprange " + not(a.Not) + rangeOpt + " " + a.Ranges[0].text(false), nil
		}
	}
	items := a.items(false)
	for _, it := range items {
		if strings.Contains(it, "-") {
			return "", fmt.Errorf("firewall: iptables cannot match the addresses %s in one rule; write one rule per range", a)
		}
	}
	if a.Not && len(items) > 1 {
		return "", fmt.Errorf("firewall: iptables cannot negate several addresses (%s) in one rule", a)
	}
	return " " + not(a.Not) + opt + " " + strings.Join(items, ","), nil
}

func (r Rule) renderIPTables() (string, error) {
	var b strings.Builder
	b.WriteString("-A " + r.Chain)
	s, err := iptablesAddrs(r.Source, "-s", "--src-range")
	if err != nil {
		return "", err
	}
	d, err := iptablesAddrs(r.Destination, "-d", "--dst-range")
	if err != nil {
		return "", err
	}
	// iprange matches come after -p in iptables-save, prefixes before.
	if !strings.HasPrefix(s, " -m") {
		b.WriteString(s)
	}
	if !strings.HasPrefix(d, " -m") {
		b.WriteString(d)
	}
	if r.In.Name != "" {
		b.WriteString(" " + not(r.In.Not) + "-i " + r.In.Name)
	}
	if r.Out.Name != "" {
		b.WriteString(" " + not(r.Out.Not) + "-o " + r.Out.Name)
	}
	if r.Protocol != "" {
		b.WriteString(" " + not(r.NotProtocol) + "-p " + r.Protocol)
	}
	if strings.HasPrefix(s, " -m") {
		b.WriteString(s)
	}
	if strings.HasPrefix(d, " -m") {
		b.WriteString(d)
	}
	ports := func(p Ports, one, many string) {
		if p.Any() {
			return
		}
		if len(p.Ranges) == 1 {
			b.WriteString(" -m " + r.Protocol + " " + not(p.Not) + one + " " + p.items(":")[0])
			return
		}
		b.WriteString(" -m multiport " + not(p.Not) + many + " " + strings.Join(p.items(":"), ","))
	}
	ports(r.SourcePorts, "--sport", "--sports")
	ports(r.DestinationPorts, "--dport", "--dports")
	if r.ICMPType != "" {
		if r.Protocol == "icmpv6" {
			b.WriteString(" -m icmp6 --icmpv6-type " + r.ICMPType)
		} else {
			b.WriteString(" -m icmp --icmp-type " + r.ICMPType)
		}
	}
	if len(r.States) > 0 {
		b.WriteString(" -m conntrack " + not(r.NotStates) + "--ctstate " + strings.ToUpper(strings.Join(r.States, ",")))
	}
	if r.Comment != "" {
		b.WriteString(" -m comment --comment " + quote(r.Comment))
	}
	// Unread modules as written, then an unread target extension.
	for _, x := range r.Extra {
		if !strings.HasPrefix(x, "-j ") && !strings.HasPrefix(x, "--jump ") {
			b.WriteString(" " + x)
		}
	}
	if r.Action == "JUMP" || r.Action == "GOTO" {
		switch t := r.Target; {
		case t == "ACCEPT" || t == "DROP" || t == "REJECT" || t == "RETURN" || t == "LOG" || t == "DNAT" || t == "SNAT" || t == "MASQUERADE" || refusedTargets[t]:
			return "", fmt.Errorf("firewall: a jump to a chain named %s cannot be written in iptables, where %s is a target", t, t)
		}
	}
	switch r.Action {
	case "":
	case "EXTENSION":
		for _, x := range r.Extra {
			if strings.HasPrefix(x, "-j ") || strings.HasPrefix(x, "--jump ") {
				b.WriteString(" " + x)
			}
		}
	case "JUMP":
		b.WriteString(" -j " + r.Target)
	case "GOTO":
		b.WriteString(" -g " + r.Target)
	case "DNAT":
		b.WriteString(" -j DNAT --to-destination " + r.To)
	case "SNAT":
		b.WriteString(" -j SNAT --to-source " + r.To)
	case "REJECT":
		w := r.RejectWith
		switch {
		case w == "tcp-reset":
		case r.Family == "ip6":
			if w == "" {
				w = "port-unreachable"
			}
			w = "icmp6-" + strings.Replace(w, "admin-", "adm-", 1)
		default:
			if w == "" {
				w = "port-unreachable"
			}
			w = "icmp-" + w
		}
		b.WriteString(" -j REJECT --reject-with " + w)
	case "LOG":
		b.WriteString(" -j LOG")
		if r.LogPrefix != "" {
			b.WriteString(" --log-prefix " + quote(r.LogPrefix))
		}
		if r.LogLevel != "" {
			b.WriteString(" --log-level " + r.LogLevel)
		}
	default:
		b.WriteString(" -j " + r.Action)
	}
	return b.String(), nil
}

// nftSet writes one value or a set of values.
func nftSet(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return "{ " + strings.Join(items, ", ") + " }"
}

// nftOp returns "!= " when b is set, as nft writes negations.
func nftOp(b bool) string {
	if b {
		return "!= "
	}
	return ""
}

func (r Rule) renderNft() (string, error) {
	if len(r.Extra) > 0 {
		return "", fmt.Errorf("firewall: the rule has iptables conditions dcmove keeps as written (%s): it cannot be written in nft", strings.Join(r.Extra, "; "))
	}
	var parts []string
	add := func(s ...string) { parts = append(parts, strings.Join(s, "")) }
	if r.In.Name != "" {
		add("iifname ", nftOp(r.In.Not), quote(strings.TrimSuffix(r.In.Name, "+")+map[bool]string{true: "*"}[strings.HasSuffix(r.In.Name, "+")]))
	}
	if r.Out.Name != "" {
		add("oifname ", nftOp(r.Out.Not), quote(strings.TrimSuffix(r.Out.Name, "+")+map[bool]string{true: "*"}[strings.HasSuffix(r.Out.Name, "+")]))
	}
	fam := r.Family
	if fam == "" {
		fam = "ip"
	}
	if !r.Source.Any() {
		add(fam, " saddr ", nftOp(r.Source.Not), nftSet(r.Source.items(true)))
	}
	if !r.Destination.Any() {
		add(fam, " daddr ", nftOp(r.Destination.Not), nftSet(r.Destination.items(true)))
	}
	switch {
	case !r.SourcePorts.Any() || !r.DestinationPorts.Any():
		if !r.SourcePorts.Any() {
			add(r.Protocol, " sport ", nftOp(r.SourcePorts.Not), nftSet(r.SourcePorts.items("-")))
		}
		if !r.DestinationPorts.Any() {
			add(r.Protocol, " dport ", nftOp(r.DestinationPorts.Not), nftSet(r.DestinationPorts.items("-")))
		}
	case r.ICMPType != "" && !r.NotProtocol && (r.Protocol == "icmp" || r.Protocol == "icmpv6"):
		add(r.Protocol, " type ", r.ICMPType)
	case r.Protocol != "":
		add("meta l4proto ", nftOp(r.NotProtocol), r.Protocol)
		if r.ICMPType != "" {
			return "", fmt.Errorf("firewall: an ICMP type with protocol %s", r.Protocol)
		}
	}
	if len(r.States) > 0 {
		add("ct state ", nftOp(r.NotStates), strings.Join(r.States, ","))
	}
	switch r.Action {
	case "":
		add("counter")
	case "JUMP", "GOTO":
		add(strings.ToLower(r.Action), " ", r.Target)
	case "DNAT", "SNAT":
		f := "ip"
		if strings.Count(r.To, ":") > 1 {
			f = "ip6"
		}
		add(strings.ToLower(r.Action), " ", f, " to ", r.To)
	case "REJECT":
		switch {
		case r.RejectWith == "":
			add("reject")
		case r.RejectWith == "tcp-reset":
			add("reject with tcp reset")
		default:
			icmp := map[string]string{"ip": "icmp", "ip6": "icmpv6"}[r.Family]
			if icmp == "" {
				icmp = "icmpx"
			}
			add("reject with ", icmp, " type ", r.RejectWith)
		}
	case "LOG":
		s := "log"
		if r.LogPrefix != "" {
			s += " prefix " + quote(r.LogPrefix)
		}
		if r.LogLevel != "" {
			s += " level " + r.LogLevel
		}
		add(s)
	default:
		add(strings.ToLower(r.Action))
	}
	if r.Comment != "" {
		add("comment ", quote(r.Comment))
	}
	return strings.Join(parts, " "), nil
}

// RenderRuleset writes whole exports in the syntax of f, rules grouped by
// table and chain in the order they first appear: an iptables-save file
// (*filter ... COMMIT) or an nft ruleset (one inet table per iptables
// table). policies give the base chains' policies; a base chain without
// one is written with ACCEPT. Parsing the result gives the same rule ids.
func RenderRuleset(f Format, rules []Rule, policies []Policy) (string, error) {
	if f != IPTablesSave && f != Nft {
		return "", fmt.Errorf("firewall: cannot render rules as %q; dcmove writes %s and %s", f, IPTablesSave, Nft)
	}
	type chain struct {
		name  string
		lines []string
	}
	var order []string
	chains := map[string][]*chain{}
	find := func(t, c string) *chain {
		if _, ok := chains[t]; !ok {
			order = append(order, t)
		}
		for _, ch := range chains[t] {
			if ch.name == c {
				return ch
			}
		}
		ch := &chain{name: c}
		chains[t] = append(chains[t], ch)
		return ch
	}
	policy := map[[2]string]string{}
	for _, p := range policies {
		policy[[2]string{p.Table, p.Chain}] = p.Action
		find(p.Table, p.Chain)
	}
	for _, r := range rules {
		line, err := r.Render(f)
		if err != nil {
			return "", err
		}
		ch := find(r.Table, r.Chain)
		ch.lines = append(ch.lines, line)
	}
	var b strings.Builder
	for _, t := range order {
		if f == IPTablesSave {
			fmt.Fprintf(&b, "*%s\n", t)
			for _, ch := range chains[t] {
				p := "-"
				if canonicalChain(ch.name) == ch.name && isBase(ch.name) {
					p = policy[[2]string{t, ch.name}]
					if p == "" {
						p = "ACCEPT"
					}
				}
				fmt.Fprintf(&b, ":%s %s [0:0]\n", ch.name, p)
			}
			for _, ch := range chains[t] {
				for _, l := range ch.lines {
					b.WriteString(l + "\n")
				}
			}
			b.WriteString("COMMIT\n")
			continue
		}
		fmt.Fprintf(&b, "table inet %s {\n", t)
		for _, ch := range chains[t] {
			fmt.Fprintf(&b, "\tchain %s {\n", ch.name)
			if isBase(ch.name) {
				typ := map[string]string{"nat": "nat", "mangle": "route"}[t]
				if typ == "" || (typ == "route" && ch.name != "OUTPUT") {
					typ = "filter"
				}
				p := strings.ToLower(policy[[2]string{t, ch.name}])
				if p == "" {
					p = "accept"
				}
				fmt.Fprintf(&b, "\t\ttype %s hook %s priority 0; policy %s;\n", typ, strings.ToLower(ch.name), p)
			}
			for _, l := range ch.lines {
				b.WriteString("\t\t" + l + "\n")
			}
			b.WriteString("\t}\n")
		}
		b.WriteString("}\n")
	}
	return b.String(), nil
}

// isBase reports whether name is a base chain's.
func isBase(name string) bool {
	for _, c := range baseChains {
		if c == name {
			return true
		}
	}
	return false
}
