package firewall

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Rule is one firewall rule, read from an export and normalised so that
// the same rule written twice, or in two syntaxes, compares equal (see
// the package doc for what is normalised). Fields left empty match
// anything: an empty Source is any source.
type Rule struct {
	// Table is filter, nat, mangle, raw or security.
	Table string
	// Chain is the chain the rule is in: INPUT, FORWARD, OUTPUT,
	// PREROUTING and POSTROUTING in upper case, other chains as written.
	Chain string
	// Family is "ip" or "ip6" when the rule names addresses of that
	// family, "" when it names none.
	Family string
	// Protocol is tcp, udp, icmp, icmpv6, a name or number from
	// /etc/protocols, or "" for any. NotProtocol negates it.
	Protocol    string
	NotProtocol bool
	// Source and Destination are the addresses matched; empty is any.
	Source, Destination Addrs
	// SourcePorts and DestinationPorts are the ports matched; empty is any.
	SourcePorts, DestinationPorts Ports
	// In and Out are the interfaces packets come in and go out by.
	In, Out Iface
	// States are the conntrack states matched (new, established,
	// related, invalid, untracked), sorted; empty is any.
	States    []string
	NotStates bool
	// Extra are the conditions and target options of iptables match
	// modules and target extensions dcmove does not read (-m limit ...,
	// -m set ..., -j MARK ...), each kept as written, in the order written
	// (some modules act, and their order matters): they are part of the
	// rule's id, so the same rule at the destination is recognised, but a
	// rule with any is not compared with the plan.
	Extra []string
	// ICMPType is the ICMP type matched, by name (echo-request).
	ICMPType string
	// Action is what the rule does: ACCEPT, DROP, REJECT, RETURN, LOG,
	// JUMP, GOTO, DNAT, SNAT or MASQUERADE; "" when the rule only counts.
	Action string
	// Target is the chain of a JUMP or GOTO.
	Target string
	// To is the address (and port) of a DNAT or SNAT: 10.10.1.40:443.
	To string
	// RejectWith is how a REJECT answers: "" for the default (ICMP port
	// unreachable), tcp-reset, host-prohibited, admin-prohibited...
	RejectWith string
	// LogPrefix and LogLevel are a LOG's prefix and level; LogLevel is ""
	// for the default, warn.
	LogPrefix, LogLevel string
	// Comment is the rule's comment; it is not part of the rule's
	// meaning.
	Comment string
	// Text is the rule as written in the export (for JSON, the rule
	// object).
	Text string
	// Pos is where the rule is in the export.
	Pos Pos
}

// Addrs is a set of addresses: canonical ranges, sorted and merged, so that
// 10.0.0.1 and 10.0.0.1/32 are the same set, and so are
// 203.0.113.2-203.0.113.3 and 203.0.113.2/31. An empty set is any address.
// Not negates the set (iptables "! -s", nft "!=").
type Addrs struct {
	Not    bool
	Ranges []AddrRange
}

// AddrRange is the addresses from From to To, both included.
type AddrRange struct{ From, To netip.Addr }

// Ports is a set of ports, sorted and merged; empty is any port. Not
// negates the set.
type Ports struct {
	Not    bool
	Ranges []PortRange
}

// PortRange is the ports from From to To, both included.
type PortRange struct{ From, To uint16 }

// Iface is an interface name; a name ending in '+' matches every interface
// it starts (eth+ is eth0, eth1...). Not negates it.
type Iface struct {
	Not  bool
	Name string
}

// Any reports whether the set is any address.
func (a Addrs) Any() bool { return len(a.Ranges) == 0 }

// String returns the set as a comma-separated list of prefixes and ranges
// (10.0.0.1/32,203.0.113.2-203.0.113.5), "!" first when negated, or "any".
func (a Addrs) String() string {
	if a.Any() {
		return "any"
	}
	s := strings.Join(a.items(false), ",")
	if a.Not {
		return "!" + s
	}
	return s
}

// items returns the set's prefixes and ranges; short leaves out /32 and
// /128 of single addresses, as nft writes them.
func (a Addrs) items(short bool) []string {
	out := make([]string, len(a.Ranges))
	for i, r := range a.Ranges {
		out[i] = r.text(short)
	}
	return out
}

// text returns the range as a prefix when it is one, else as from-to.
func (r AddrRange) text(short bool) string {
	if p, ok := r.prefix(); ok {
		if short && p.IsSingleIP() {
			return p.Addr().String()
		}
		return p.String()
	}
	return r.From.String() + "-" + r.To.String()
}

// prefix returns the range as a prefix, if it is one.
func (r AddrRange) prefix() (netip.Prefix, bool) {
	for bits := 0; bits <= r.From.BitLen(); bits++ {
		p := netip.PrefixFrom(r.From, bits)
		if p.Masked().Addr() == r.From && lastAddr(p) == r.To {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// family returns "ip" or "ip6" for the addresses of the set, "" for any,
// or "mixed".
func (a Addrs) family() string {
	f := ""
	for _, r := range a.Ranges {
		g := "ip"
		if r.From.Is6() {
			g = "ip6"
		}
		if f != "" && f != g {
			return "mixed"
		}
		f = g
	}
	return f
}

// normalise sorts and merges the ranges.
func (a *Addrs) normalise() {
	rs := a.Ranges
	slices.SortFunc(rs, func(x, y AddrRange) int {
		if c := x.From.Compare(y.From); c != 0 {
			return c
		}
		return x.To.Compare(y.To)
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.From.BitLen() == r.From.BitLen() {
				next := last.To.Next()
				if r.From.Compare(last.To) <= 0 || (next.IsValid() && next == r.From) {
					if r.To.Compare(last.To) > 0 {
						last.To = r.To
					}
					continue
				}
			}
		}
		out = append(out, r)
	}
	a.Ranges = out
	if len(out) == 0 {
		a.Ranges = nil
	}
}

// Any reports whether the set is any port.
func (p Ports) Any() bool { return len(p.Ranges) == 0 }

// String returns the ports as a comma-separated list (80,443,30000-30100),
// "!" first when negated, or "any".
func (p Ports) String() string {
	if p.Any() {
		return "any"
	}
	s := strings.Join(p.items("-"), ",")
	if p.Not {
		return "!" + s
	}
	return s
}

// items returns the ports and ranges, a range written with sep between its
// ends.
func (p Ports) items(sep string) []string {
	out := make([]string, len(p.Ranges))
	for i, r := range p.Ranges {
		out[i] = strconv.Itoa(int(r.From))
		if r.To != r.From {
			out[i] += sep + strconv.Itoa(int(r.To))
		}
	}
	return out
}

// normalise sorts and merges the ranges.
func (p *Ports) normalise() {
	rs := p.Ranges
	slices.SortFunc(rs, func(x, y PortRange) int {
		if x.From != y.From {
			return int(x.From) - int(y.From)
		}
		return int(x.To) - int(y.To)
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && int(r.From) <= int(out[n-1].To)+1 {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	p.Ranges = out
	if len(out) == 0 {
		p.Ranges = nil
	}
}

// String returns the interface name, "!" first when negated, or "any".
func (i Iface) String() string {
	if i.Name == "" {
		return "any"
	}
	if i.Not {
		return "!" + i.Name
	}
	return i.Name
}

// baseChains are the chains the kernel calls; their names are compared in
// upper case.
var baseChains = []string{"INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING"}

// canonicalChain returns a base chain's name in upper case, other names as
// written.
func canonicalChain(name string) string {
	for _, b := range baseChains {
		if strings.EqualFold(name, b) {
			return b
		}
	}
	return name
}

// normalise puts the rule in its canonical form and checks that its parts
// fit together. The parsers call it on every rule they read.
func (r *Rule) normalise() error {
	if r.Table == "" {
		r.Table = "filter"
	}
	r.Chain = canonicalChain(r.Chain)
	if r.Chain == "" {
		return fmt.Errorf("rule has no chain")
	}
	r.Source.normalise()
	r.Destination.normalise()
	r.SourcePorts.normalise()
	r.DestinationPorts.normalise()
	if r.Source.Any() {
		r.Source.Not = false
	}
	if r.Destination.Any() {
		r.Destination.Not = false
	}
	if r.SourcePorts.Any() {
		r.SourcePorts.Not = false
	}
	if r.DestinationPorts.Any() {
		r.DestinationPorts.Not = false
	}
	if r.In.Name == "" {
		r.In.Not = false
	}
	if r.Out.Name == "" {
		r.Out.Not = false
	}
	if r.Protocol == "" {
		r.NotProtocol = false
	}
	if err := r.checkNames(); err != nil {
		return err
	}
	slices.Sort(r.States)
	r.States = slices.Compact(r.States)
	if len(r.States) == 0 {
		r.States, r.NotStates = nil, false
	}
	fs, fd := r.Source.family(), r.Destination.family()
	switch {
	case fs == "mixed" || fd == "mixed" || (fs != "" && fd != "" && fs != fd):
		return fmt.Errorf("rule mixes IPv4 and IPv6 addresses; write one rule per family")
	case fs != "":
		r.Family = fs
	default:
		r.Family = fd
	}
	if (!r.SourcePorts.Any() || !r.DestinationPorts.Any()) && r.Protocol != "tcp" && r.Protocol != "udp" && r.Protocol != "sctp" && r.Protocol != "dccp" && r.Protocol != "udplite" {
		if r.Protocol == "" {
			return fmt.Errorf("ports without a protocol; name the protocol (tcp or udp)")
		}
		return fmt.Errorf("ports with protocol %s, which has none", r.Protocol)
	}
	if r.NotProtocol && (!r.SourcePorts.Any() || !r.DestinationPorts.Any()) {
		return fmt.Errorf("ports with a negated protocol")
	}
	if r.ICMPType != "" && (r.NotProtocol || (r.Protocol != "icmp" && r.Protocol != "icmpv6")) {
		return fmt.Errorf("an ICMP type without the protocol icmp (or icmpv6)")
	}
	switch r.Action {
	case "JUMP", "GOTO":
		if r.Target == "" {
			return fmt.Errorf("%s without a chain", strings.ToLower(r.Action))
		}
		r.Target = canonicalChain(r.Target)
	case "DNAT", "SNAT":
		if r.To == "" {
			return fmt.Errorf("%s without an address to translate to", r.Action)
		}
	}
	return nil
}

// canonical returns the rule's meaning as text: every field but the
// comment, the text and the position.
func (r Rule) canonical() string {
	var b strings.Builder
	field := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte(' ')
	}
	field("table", r.Table)
	field("chain", r.Chain)
	field("family", r.Family)
	p := r.Protocol
	if r.NotProtocol {
		p = "!" + p
	}
	field("proto", p)
	field("src", r.Source.String())
	field("dst", r.Destination.String())
	field("sport", r.SourcePorts.String())
	field("dport", r.DestinationPorts.String())
	field("in", r.In.String())
	field("out", r.Out.String())
	st := strings.Join(r.States, ",")
	if r.NotStates {
		st = "!" + st
	}
	field("state", st)
	field("icmp", r.ICMPType)
	field("action", r.Action)
	field("target", r.Target)
	field("to", r.To)
	field("reject", r.RejectWith)
	field("logprefix", strconv.Quote(r.LogPrefix))
	field("loglevel", r.LogLevel)
	if len(r.Extra) > 0 {
		field("extra", strconv.Quote(strings.Join(r.Extra, " ; ")))
	}
	return strings.TrimSuffix(b.String(), " ")
}

// ID returns a stable id for the rule's meaning: "fw-" and 12 hex digits
// of the SHA-256 of its canonical form. The comment, the text, the position
// and the order of the rules do not change it; the same rule in
// iptables-save, nft and nft JSON form has the same id.
func (r Rule) ID() string {
	sum := sha256.Sum256([]byte(r.canonical()))
	return "fw-" + hex.EncodeToString(sum[:6])
}

// Same reports whether r and o mean the same rule (have the same [Rule.ID]).
func (r Rule) Same(o Rule) bool { return r.canonical() == o.canonical() }

// String returns the rule's meaning in one line, for people: the chain,
// the matches that are not any, and the action.
func (r Rule) String() string {
	var parts []string
	parts = append(parts, r.Table+"/"+r.Chain)
	if r.Protocol != "" {
		p := r.Protocol
		if r.NotProtocol {
			p = "!" + p
		}
		parts = append(parts, p)
	}
	if !r.Source.Any() {
		parts = append(parts, "from "+r.Source.String())
	}
	if !r.SourcePorts.Any() {
		parts = append(parts, "sport "+r.SourcePorts.String())
	}
	if !r.Destination.Any() {
		parts = append(parts, "to "+r.Destination.String())
	}
	if !r.DestinationPorts.Any() {
		parts = append(parts, "port "+r.DestinationPorts.String())
	}
	if r.In.Name != "" {
		parts = append(parts, "in "+r.In.String())
	}
	if r.Out.Name != "" {
		parts = append(parts, "out "+r.Out.String())
	}
	if len(r.States) > 0 {
		st := strings.Join(r.States, ",")
		if r.NotStates {
			st = "!" + st
		}
		parts = append(parts, "state "+st)
	}
	if r.ICMPType != "" {
		parts = append(parts, "icmp "+r.ICMPType)
	}
	a := r.Action
	switch r.Action {
	case "":
		a = "(count only)"
	case "JUMP", "GOTO":
		a += " " + r.Target
	case "DNAT", "SNAT":
		a += " " + r.To
	}
	parts = append(parts, a)
	return strings.Join(parts, " ")
}

// checkNames refuses chain and interface names, comments and log prefixes
// that could not be written back in both syntaxes.
func (r *Rule) checkNames() error {
	for _, n := range []struct{ what, name string }{{"chain", r.Chain}, {"target chain", r.Target}} {
		if n.name != "" && !simpleName(n.name, 64) {
			return fmt.Errorf("%s name %q: dcmove reads chain names of letters, digits, '_', '-' and '.' only", n.what, n.name)
		}
	}
	for _, i := range []Iface{r.In, r.Out} {
		name := strings.TrimSuffix(i.Name, "+")
		if i.Name != "" && (!simpleName(name, 15) && name != "") {
			return fmt.Errorf("interface name %q: an interface name is at most 15 letters, digits, '_', '-' and '.', with '+' (or '*' in nft) at the end for a prefix", i.Name)
		}
	}
	for _, t := range []struct{ what, text string }{{"comment", r.Comment}, {"log prefix", r.LogPrefix}} {
		for _, c := range t.text {
			if c < ' ' || c == 0x7f {
				return fmt.Errorf("%s has a control character", t.what)
			}
		}
		if len(t.text) > 256 {
			return fmt.Errorf("%s is longer than 256 characters", t.what)
		}
	}
	return nil
}

// simpleName reports whether s is at most max letters, digits, '_', '-' and
// '.', not starting with '-'.
func simpleName(s string, max int) bool {
	if s == "" || len(s) > max || s[0] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// Canonical returns the normalised form the rule's id is made from: the
// fields as key=value, separated by spaces (table, chain, family, proto,
// src, dst, sport, dport, in, out, state, icmp, action, target, to...).
func (r Rule) Canonical() string { return r.canonical() }
