// Package firewall reads the firewall rules exported from a site's
// equipment, compares them with the plan's firewall_rules and, after the
// move, with the rules found at the destination.
//
// # Reading exports
//
// [Parse] reads an export in any of four formats, told apart by their
// content ([Detect]); [ParseIPTablesSave], [ParseNft], [ParseNftJSON] and
// [ParseCSV] read one format each, and [ParseRuleset] also returns the
// chains' [Policy] values. Every parser returns the rules it could read
// and, when some lines cannot be read, [Errors]: every malformed line, each
// an [Error] at file:line, so that the export is fixed in one go. No rule
// line is skipped in silence: an option dcmove does not read is refused
// with its name, never ignored, because a rule read without one of its
// conditions is a different rule. Comments, table headers, COMMIT and
// chain policy lines are not rules. Exports over [MaxFileSize] (64 MiB),
// and lines of text exports over [MaxLineLength] (1 MiB), are refused
// (errors.Is [ErrTooLarge]).
//
// iptables-save and ip6tables-save output ([IPTablesSave]), with or
// without -c counters: tables filter, nat, mangle, raw and security;
// -A CHAIN; -p; -s and -d with prefix lengths or dotted masks, or comma
// lists; -i and -o (eth+ for a prefix); -m tcp, -m udp with --dport and
// --sport (ports and first:last ranges); -m multiport --dports and
// --sports; -m icmp --icmp-type and -m icmp6 --icmpv6-type; -m conntrack
// --ctstate and -m state --state; -m iprange --src-range and --dst-range;
// -m comment --comment (quoted, with \" escapes); -j ACCEPT, DROP, RETURN,
// REJECT [--reject-with], LOG [--log-prefix, --log-level], DNAT
// --to-destination, SNAT --to-source, MASQUERADE, -j CHAIN and -g CHAIN;
// "!" before -p, -s, -d, -i, -o, the port, state and range options.
// Every other match module (-m limit, -m set, -m recent, -m mark, -m
// owner, -m addrtype, -m physdev...) and target extension (MARK, CONNMARK,
// CT, NOTRACK, TCPMSS, REDIRECT, NFQUEUE, TPROXY...) is kept as written,
// with its options, in [Rule.Extra]: part of the rule's id (in the order
// written, which matters for modules that act, like -m recent --set),
// written back in iptables-save form, never in nft, and the rule is not
// compared with the plan; so is an option of a module dcmove reads that it
// does not read itself (-m tcp --tcp-flags ...), with its module. Refused:
// options outside a module (-f, the NAT options --random and
// --persistent), and the iptables commands (-I, -N, -P...) of a script,
// which is not iptables-save output.
//
// nft list ruleset output ([Nft]), with or without -a handles: tables of
// any family; base chains (type, hook, policy) and regular chains; rules
// made of ip/ip6 saddr and daddr (addresses, prefixes, ranges, anonymous
// sets { }), ip protocol, ip6 nexthdr and meta l4proto; tcp, udp, sctp,
// dccp, udplite and th dport and sport (ports, ranges, sets); icmp and
// icmpv6 type; iifname, oifname, iif, oif (and the meta forms), "eth*"
// for a prefix; ct state; "!=" negations; counter (ignored); log prefix
// and level; accept, drop, reject [with tcp reset | with icmp/icmpv6/icmpx
// type T], return, jump, goto, dnat [ip|ip6] to, snat [ip|ip6] to,
// masquerade; comment "...". Sets, maps, flowtables and other named
// objects are skipped: they are not rules. Refused: named sets (@name),
// verdict maps, tcp flags, limit, quota, meta marks and every other
// expression; a rule with a log and a verdict (iptables needs two rules);
// nft script commands (add rule..., variables).
//
// nft -j list ruleset output ([NftJSON]): the "nftables" array of metainfo,
// table, chain and rule objects. Each rule's "expr" list (match on
// payload, meta or ct with ==, != or in; accept, drop, reject, return,
// jump, goto, counter, log, dnat, snat, masquerade) is read as the nft
// text form of the same rule, so the two read and refuse the same things.
// JSON has no line per rule (nft writes the whole export on one line):
// a rule's [Pos] has the line its object starts on and its number among
// the export's rule objects, Pos.Rule, from 1; errors read
// "file:line: rule N: ...".
//
// The dcmove CSV ([CSV]), for other vendors' firewalls converted by hand
// or script: a header row, then one rule per row; fields separated by
// ',', ';' or tabs (whichever the header uses most); # lines are comments.
// The columns, in any order:
//
//   - chain (required): INPUT, FORWARD, OUTPUT, PREROUTING, POSTROUTING
//     or a chain name.
//   - table: filter (the default; nat for dnat, snat and masquerade),
//     nat, mangle, raw.
//   - protocol: tcp, udp, icmp, icmpv6, any (the default) or a number.
//   - source, destination: any (the default), or addresses, prefixes
//     (10.0.0.0/8) and ranges (203.0.113.2-203.0.113.3) separated by
//     commas or spaces; "!" first negates.
//   - dports, sports: any (the default), or ports and ranges (80,443,
//     30000-30100 or 30000:30100); "!" first negates.
//   - in, out: interface names; state: conntrack states (new,
//     established...).
//   - action (required): accept (or allow, permit), drop (or deny),
//     reject, return, log, masquerade, jump CHAIN, goto CHAIN, dnat or
//     snat with the address in the to column (10.10.1.40:443).
//   - comment: free text.
//
// # What is normalised
//
// A [Rule] holds a rule's meaning in one canonical form, and [Rule.ID] is
// derived from that form only ("fw-" and 12 hex digits of a SHA-256): the
// same rule exported twice, or once by iptables-save and once by nft, has
// the same id, whatever its comment, text, position or order. Normalised:
//
//   - addresses: 10.0.0.1 is 10.0.0.1/32; host bits are cleared
//     (10.0.0.1/8 is 10.0.0.0/8); dotted masks become prefix lengths;
//     lists are sorted and merged, so 203.0.113.2-203.0.113.3, the set
//     { 203.0.113.2, 203.0.113.3 } and 203.0.113.2/31 are one set;
//     0.0.0.0/0 and ::/0 are any; IPv4-mapped IPv6 addresses are IPv4.
//   - ports: lists sorted and merged, 1024:2048 is 1024-2048, common
//     service names (ssh, https, postgresql...) are their numbers.
//   - protocols: lower case, numbers and aliases to names (6 is tcp,
//     ipv6-icmp is icmpv6, all is any).
//   - chains: INPUT, FORWARD, OUTPUT, PREROUTING and POSTROUTING in upper
//     case whatever the case written; an nft base chain is named after its
//     hook (chain in { type filter hook input ... } is INPUT). Other chain
//     names are compared as written.
//   - tables: an nft table named filter, nat, mangle, raw or security is
//     that table; in other nft tables, a base chain's type says which
//     (nat is nat, route is mangle, filter is filter) and regular chains
//     are filter. The nft table's family (ip, ip6, inet) is not part of
//     the meaning; [Rule.Family] comes from the addresses the rule names.
//   - actions: upper case (accept is ACCEPT); a REJECT with ICMP port
//     unreachable is a plain REJECT; --reject-with icmp-host-prohibited is
//     reject with icmp type host-prohibited; log level 4 is warn, the
//     default.
//   - conntrack: -m state --state is -m conntrack --ctstate is ct state;
//     states lower case and sorted.
//   - interfaces: nft "eth*" is iptables eth+.
//   - ICMP types: iptables-save's numbers are names (8 is echo-request).
//
// # Comparing
//
// [Match] compares the plan's firewall rules with the captured ones:
// [FromPlan] turns each plan rule into a [Rule] and [Rule.Covers] tells
// whether a captured rule is it (protocol, source, destination, ports and
// allow or deny; a plan's any matches only a field the rule leaves
// open). Plan rules written with names or free text instead of addresses
// cannot be compared and are listed apart. The result lists the plan rules
// found (with the captured ids), those not found, and the captured rules
// no plan rule describes: "captured, not in the plan", the rule a move
// forgets. [MatchResult.Split] divides the captured rules into kept and
// retired (those of obsolete plan rules).
//
// [Reconcile] compares the destination's export with the kept and retired
// rules: verified, missing, unexpected, reappeared. [Rule.Render] writes a
// rule in iptables-save or nft syntax, so that missing rules are listed
// in the destination's own syntax, and [RenderRuleset] a whole export;
// reading the output back gives the same ids.
//
// The package is pure: it reads only the readers it is given.
package firewall
