package firewall

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// parseAddr reads one address, prefix (10.0.0.0/8, or 10.0.0.0/255.0.0.0
// as old iptables writes masks) or range (203.0.113.2-203.0.113.3). any,
// 0.0.0.0/0 and ::/0 are any address: ok is false.
func parseAddr(s string) (r AddrRange, ok bool, err error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "any", "*", "0.0.0.0/0", "::/0", "0/0":
		return AddrRange{}, false, nil
	}
	if from, to, isRange := strings.Cut(s, "-"); isRange && !strings.Contains(s, "/") {
		a, err1 := netip.ParseAddr(strings.TrimSpace(from))
		b, err2 := netip.ParseAddr(strings.TrimSpace(to))
		if err1 != nil || err2 != nil {
			return r, false, fmt.Errorf("%q is not an address range (write 203.0.113.2-203.0.113.3)", s)
		}
		a, b = a.Unmap(), b.Unmap()
		if a.BitLen() != b.BitLen() || a.Compare(b) > 0 {
			return r, false, fmt.Errorf("address range %q runs backwards or mixes IPv4 and IPv6", s)
		}
		if a.Zone() != "" || b.Zone() != "" {
			return r, false, fmt.Errorf("address %q has a zone, which rules do not take", s)
		}
		return AddrRange{a, b}, true, nil
	}
	addr, mask, hasMask := strings.Cut(s, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return r, false, fmt.Errorf("%q is not an IP address, prefix or range", s)
	}
	a = a.Unmap()
	bits := a.BitLen()
	if hasMask {
		if m, err := netip.ParseAddr(mask); err == nil && m.Is4() && a.Is4() {
			bits = maskBits(m)
			if bits < 0 {
				return r, false, fmt.Errorf("mask %s in %q is not contiguous", mask, s)
			}
		} else {
			n, err := strconv.Atoi(mask)
			if err != nil || n < 0 || n > a.BitLen() || len(mask) > 3 {
				return r, false, fmt.Errorf("%q has a bad prefix length", s)
			}
			bits = n
		}
	}
	p := netip.PrefixFrom(a, bits).Masked()
	if bits == 0 {
		return AddrRange{}, false, nil
	}
	return AddrRange{p.Addr(), lastAddr(p)}, true, nil
}

// maskBits returns the prefix length of a dotted IPv4 mask, -1 if the mask
// is not contiguous.
func maskBits(m netip.Addr) int {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	if v != 0 {
		return -1
	}
	return n
}

// parseAddrs reads a list of addresses separated by commas or spaces; any
// in the list makes the whole set any.
func parseAddrs(list []string) (Addrs, error) {
	var a Addrs
	for _, s := range list {
		r, ok, err := parseAddr(s)
		if err != nil {
			return Addrs{}, err
		}
		if !ok {
			return Addrs{}, nil
		}
		a.Ranges = append(a.Ranges, r)
	}
	a.normalise()
	return a, nil
}

// splitList splits a value list on commas and white space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' })
}

// services are the port names the parsers accept for numbers.
var services = map[string]uint16{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53,
	"http": 80, "pop3": 110, "ntp": 123, "imap": 143, "snmp": 161, "ldap": 389,
	"https": 443, "submission": 587, "imaps": 993, "pop3s": 995, "openvpn": 1194,
	"mysql": 3306, "postgresql": 5432,
}

// parsePort reads one port: a number or a name from [services].
func parsePort(s string) (uint16, error) {
	if n, ok := services[strings.ToLower(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 || len(s) > 5 {
		return 0, fmt.Errorf("%q is not a port (0-65535)", s)
	}
	return uint16(n), nil
}

// parsePorts reads ports and ranges (1024-2048 or 1024:2048); any makes the
// whole set any.
func parsePorts(list []string) (Ports, error) {
	var p Ports
	for _, s := range list {
		if strings.EqualFold(s, "any") {
			return Ports{}, nil
		}
		from, to, isRange := strings.Cut(s, ":")
		if !isRange {
			from, to, isRange = strings.Cut(s, "-")
		}
		a, err := parsePort(strings.TrimSpace(from))
		if err != nil {
			return Ports{}, fmt.Errorf("%q is not a port or a range of ports (22, 80,443, 30000-30100)", s)
		}
		b := a
		if isRange {
			if b, err = parsePort(strings.TrimSpace(to)); err != nil {
				return Ports{}, fmt.Errorf("%q is not a port or a range of ports (22, 80,443, 30000-30100)", s)
			}
			if b < a {
				return Ports{}, fmt.Errorf("port range %q runs backwards", s)
			}
		}
		p.Ranges = append(p.Ranges, PortRange{a, b})
	}
	p.normalise()
	return p, nil
}

// protocols maps the names and numbers of protocols to the names rules
// are compared by.
var protocols = map[string]string{
	"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp",
	"icmpv6": "icmpv6", "ipv6-icmp": "icmpv6", "icmp6": "icmpv6", "58": "icmpv6",
	"sctp": "sctp", "132": "sctp", "gre": "gre", "47": "gre", "esp": "esp", "50": "esp",
	"ah": "ah", "51": "ah", "udplite": "udplite", "136": "udplite", "dccp": "dccp", "33": "dccp",
	"all": "", "any": "", "0": "",
}

// parseProtocol returns the canonical name of a protocol.
func parseProtocol(s string) (string, error) {
	p, ok := protocols[strings.ToLower(s)]
	if !ok {
		return "", fmt.Errorf("unknown protocol %q (dcmove reads tcp, udp, icmp, icmpv6, sctp, gre, esp, ah and their numbers)", s)
	}
	return p, nil
}

// states are the conntrack states.
var states = map[string]bool{"new": true, "established": true, "related": true, "invalid": true, "untracked": true, "snat": true, "dnat": true}

// parseStates reads conntrack states, in either case.
func parseStates(list []string) ([]string, error) {
	var out []string
	for _, s := range list {
		s = strings.ToLower(s)
		if !states[s] {
			return nil, fmt.Errorf("unknown conntrack state %q (new, established, related, invalid, untracked)", s)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no conntrack state")
	}
	return out, nil
}

// icmpTypes maps ICMP type numbers (as iptables-save writes them) and
// names to names.
var icmpTypes = map[string]string{
	"0": "echo-reply", "3": "destination-unreachable", "4": "source-quench", "5": "redirect",
	"8": "echo-request", "9": "router-advertisement", "10": "router-solicitation",
	"11": "time-exceeded", "12": "parameter-problem", "13": "timestamp-request",
	"14": "timestamp-reply",
}

// parseICMPType returns the name of an ICMP type.
func parseICMPType(s string) (string, error) {
	s = strings.ToLower(s)
	if n, ok := icmpTypes[s]; ok {
		return n, nil
	}
	for _, n := range icmpTypes {
		if n == s {
			return s, nil
		}
	}
	switch s {
	case "ping", "echo":
		return "echo-request", nil
	case "pong":
		return "echo-reply", nil
	case "any":
		return "", nil
	}
	return "", fmt.Errorf("unknown ICMP type %q (echo-request, echo-reply, destination-unreachable, time-exceeded... or their numbers)", s)
}

// rejectWith maps iptables --reject-with values and nft "reject with"
// types to the names rules are compared by; port-unreachable, the
// default, is "".
func canonicalReject(s string) (string, error) {
	s = strings.ToLower(s)
	s = strings.TrimPrefix(s, "icmp6-")
	s = strings.TrimPrefix(s, "icmp-")
	switch s {
	case "port-unreachable", "":
		return "", nil
	case "tcp-reset", "net-unreachable", "host-unreachable", "proto-unreachable",
		"net-prohibited", "host-prohibited", "admin-prohibited", "no-route", "addr-unreachable":
		return s, nil
	case "adm-prohibited":
		return "admin-prohibited", nil
	}
	return "", fmt.Errorf("unknown reject type %q", s)
}

// logLevels maps syslog level numbers and names to nft's names; warn, the
// default, is "".
var logLevels = map[string]string{
	"0": "emerg", "1": "alert", "2": "crit", "3": "err", "4": "", "5": "notice", "6": "info", "7": "debug",
	"emerg": "emerg", "alert": "alert", "crit": "crit", "err": "err", "error": "err",
	"warn": "", "warning": "", "notice": "notice", "info": "info", "debug": "debug",
}

// canonicalTo checks and normalises the address of a DNAT or SNAT:
// addr, addr:port, addr:port-port, addr-addr, [v6]:port.
func canonicalTo(s string) (string, error) {
	bad := fmt.Errorf("%q is not an address to translate to (write 10.10.1.40 or 10.10.1.40:443)", s)
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]")
		if i < 0 {
			return "", bad
		}
		host, port = s[1:i], strings.TrimPrefix(s[i+1:], ":")
		if port == s[i+1:] && port != "" {
			return "", bad
		}
	} else if strings.Count(s, ":") == 1 {
		host, port, _ = strings.Cut(s, ":")
	}
	var addrs []string
	for _, h := range strings.SplitN(host, "-", 2) {
		a, err := netip.ParseAddr(h)
		if err != nil || a.Zone() != "" {
			return "", bad
		}
		a = a.Unmap()
		addrs = append(addrs, a.String())
	}
	out := strings.Join(addrs, "-")
	if strings.Contains(out, ":") && port != "" {
		out = "[" + out + "]"
	}
	if port != "" {
		p, err := parsePorts([]string{port})
		if err != nil || len(p.Ranges) != 1 {
			return "", bad
		}
		out += ":" + p.items("-")[0]
	}
	return out, nil
}

// quote returns s in double quotes, with backslashes before quotes and
// backslashes, as iptables-save writes comments.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
