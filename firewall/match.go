package firewall

import (
	"fmt"
	"strings"

	"github.com/dcmove/dcmove/planner"
)

// FromPlan turns a rule of the plan (firewall_rules) into a [Rule], for
// [Rule.Covers]: its source and destination (any, addresses, prefixes,
// ranges, comma-separated), ports (any, 443, 80,443, 30000-30100),
// protocol and action (allow is ACCEPT, deny is DROP). The rule has no
// table or chain. A source or destination written as names or free text
// ("ovh-gra, aws-frankfurt probe ranges", s3.gra.io.cloud.ovh.net) cannot
// be compared with an export, which holds addresses: the error says so, at
// the plan rule's position, for the caller to show.
func FromPlan(p planner.FirewallRule) (Rule, error) {
	pos := Pos{File: p.Pos.File, Line: p.Pos.Line}
	fail := func(format string, args ...any) (Rule, error) {
		return Rule{}, &Error{Pos: pos, Msg: fmt.Sprintf("firewall rule %s: ", p.ID) + fmt.Sprintf(format, args...)}
	}
	r := Rule{Table: "filter", Comment: p.Title, Text: p.ID, Pos: pos}
	var err error
	for _, f := range []struct {
		what, value string
		dst         *Addrs
	}{{"source", p.Source, &r.Source}, {"destination", p.Destination, &r.Destination}} {
		v := strings.TrimSpace(f.value)
		if v == "" {
			v = "any"
		}
		v, not := negated(v)
		if *f.dst, err = parseAddrs(splitList(v)); err != nil {
			return fail("%s %q is not addresses (any, 10.0.0.1, 10.0.0.0/8, 203.0.113.2-203.0.113.3): an export holds addresses, so this rule cannot be checked against one; write its addresses in the plan, or check it by hand", f.what, f.value)
		}
		f.dst.Not = not
	}
	if v := strings.TrimSpace(p.Protocol); v != "" {
		if r.Protocol, err = parseProtocol(v); err != nil {
			return fail("%v", err)
		}
	}
	if v := strings.TrimSpace(p.Ports); v != "" {
		if r.DestinationPorts, err = parsePorts(splitList(v)); err != nil {
			return fail("ports %q: %v", p.Ports, err)
		}
	}
	switch strings.ToLower(strings.TrimSpace(p.Action)) {
	case "allow", "accept":
		r.Action = "ACCEPT"
	case "deny", "drop":
		r.Action = "DROP"
	case "reject":
		r.Action = "REJECT"
	default:
		return fail("action %q: write allow or deny", p.Action)
	}
	r.Chain = "plan"
	if err := r.normalise(); err != nil {
		return fail("%v", err)
	}
	r.Chain = ""
	return r, nil
}

// Covers reports whether the captured rule c is the plan's rule p (made
// by [FromPlan]): same protocol, source, destination, ports and kind of
// action (ACCEPT, or DROP and REJECT alike). A plan's any matches only a
// rule that does not restrict that field. The chain and interfaces are not
// compared, the plan does not say them; a rule that matches conntrack
// states other than new alone (established, invalid...) is not a plan
// rule, which describes new connections.
func (p Rule) Covers(c Rule) bool {
	return p.Protocol == c.Protocol && p.NotProtocol == c.NotProtocol &&
		p.Source.String() == c.Source.String() && p.Destination.String() == c.Destination.String() &&
		p.DestinationPorts.String() == c.DestinationPorts.String() &&
		p.SourcePorts.String() == c.SourcePorts.String() && p.ICMPType == c.ICMPType &&
		verdict(p.Action) != "" && verdict(p.Action) == verdict(c.Action) &&
		(len(c.States) == 0 || (len(c.States) == 1 && c.States[0] == "new" && !c.NotStates))
}

// verdict returns allow or deny for the actions that decide a packet's
// fate, "" for the others.
func verdict(action string) string {
	switch action {
	case "ACCEPT":
		return "allow"
	case "DROP", "REJECT":
		return "deny"
	}
	return ""
}

// PlanMatch is a plan rule and the captured rules that implement it.
type PlanMatch struct {
	Plan planner.FirewallRule
	// IDs are the ids of the captured rules that implement it, in export
	// order.
	IDs []string
	// Err says why the plan rule cannot be compared with an export
	// (see [FromPlan]); IDs is empty then.
	Err error
}

// MatchResult compares the rules of a plan with the rules captured from
// the source site.
type MatchResult struct {
	// Found are the plan rules found in the export.
	Found []PlanMatch
	// NotFound are the plan rules not found in the export.
	NotFound []planner.FirewallRule
	// Unmatchable are the plan rules that cannot be compared with an
	// export (names or free text instead of addresses): check them by
	// hand.
	Unmatchable []PlanMatch
	// Unplanned are the captured rules no plan rule describes:
	// "captured, not in the plan", the rules a move forgets.
	Unplanned []Rule
	// NotCompared are the captured rules that do not decide a packet's
	// fate in the filter table (nat rules, jumps, returns, logs): the plan
	// lists what is allowed and denied, not how the chains are laid out.
	NotCompared []Rule
}

// Match compares the plan's firewall rules with the rules captured from
// the source site's export.
func Match(plan []planner.FirewallRule, captured []Rule) MatchResult {
	var m MatchResult
	covered := make([]bool, len(captured))
	for _, p := range plan {
		pr, err := FromPlan(p)
		if err != nil {
			m.Unmatchable = append(m.Unmatchable, PlanMatch{Plan: p, Err: err})
			continue
		}
		pm := PlanMatch{Plan: p}
		for i, c := range captured {
			if compared(c) && pr.Covers(c) {
				pm.IDs = append(pm.IDs, c.ID())
				covered[i] = true
			}
		}
		if len(pm.IDs) == 0 {
			m.NotFound = append(m.NotFound, p)
			continue
		}
		m.Found = append(m.Found, pm)
	}
	for i, c := range captured {
		switch {
		case !compared(c):
			m.NotCompared = append(m.NotCompared, c)
		case !covered[i]:
			m.Unplanned = append(m.Unplanned, c)
		}
	}
	return m
}

// compared reports whether a captured rule is compared with the plan: a
// rule with conditions dcmove does not read (Rule.Extra) is not.
func compared(c Rule) bool {
	return c.Table == "filter" && verdict(c.Action) != "" && len(c.Extra) == 0
}

// Split divides the captured rules into those kept (re-created at the
// destination) and those retired: the rules found for plan rules marked
// obsolete. Rules no plan rule describes are kept.
func (m MatchResult) Split(captured []Rule) (kept, retired []Rule) {
	obsolete := map[string]bool{}
	for _, f := range m.Found {
		if f.Plan.Obsolete {
			for _, id := range f.IDs {
				obsolete[id] = true
			}
		}
	}
	for _, c := range captured {
		if obsolete[c.ID()] {
			retired = append(retired, c)
		} else {
			kept = append(kept, c)
		}
	}
	return kept, retired
}

// Reconciliation compares the rules found at the destination after the
// move with the rules captured at the source.
type Reconciliation struct {
	// Verified are the kept rules present at the destination (as the
	// destination writes them).
	Verified []Rule
	// Missing are the kept rules absent at the destination (as captured).
	Missing []Rule
	// Unexpected are the destination's rules that were never captured.
	Unexpected []Rule
	// Reappeared are retired rules present at the destination (as the
	// destination writes them).
	Reappeared []Rule
}

// OK reports whether the destination has every kept rule and nothing
// else.
func (r Reconciliation) OK() bool {
	return len(r.Missing) == 0 && len(r.Unexpected) == 0 && len(r.Reappeared) == 0
}

// Reconcile compares the destination's rules with the rules captured at
// the source, kept or retired, by [Rule.ID]: the comparison is by meaning,
// so the destination may use another syntax (nft where the source had
// iptables) and other comments.
func Reconcile(kept, retired, destination []Rule) Reconciliation {
	var rec Reconciliation
	ids := func(rs []Rule) map[string]bool {
		m := make(map[string]bool, len(rs))
		for _, r := range rs {
			m[r.ID()] = true
		}
		return m
	}
	keptIDs, retiredIDs, destIDs := ids(kept), ids(retired), ids(destination)
	for _, r := range kept {
		if !destIDs[r.ID()] {
			rec.Missing = append(rec.Missing, r)
		}
	}
	for _, r := range destination {
		id := r.ID()
		switch {
		case keptIDs[id]:
			rec.Verified = append(rec.Verified, r)
		case retiredIDs[id]:
			rec.Reappeared = append(rec.Reappeared, r)
		default:
			rec.Unexpected = append(rec.Unexpected, r)
		}
	}
	return rec
}
