package events

// Wire types of the firewall facts: rules read from real exports of the
// equipment, and the team's review of them.
const (
	TypeFirewallRuleCaptured = "dcmove.fw.rule.captured"
	TypeFirewallCaptureDone  = "dcmove.fw.capture.completed"
	TypeFirewallRuleReviewed = "dcmove.fw.rule.reviewed"
	FirewallRoleSource       = "source"
	FirewallRoleDestination  = "destination"
	FirewallDecisionKeep     = "keep"
	FirewallDecisionRetire   = "retire"
	firewallSubjectRule      = "fw/"
	firewallSubjectCapture   = "capture/"
)

// FirewallRule is a firewall rule of the plan as recorded when the cutover
// started: what the export's rules are matched against.
type FirewallRule struct {
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination,omitempty"`
	Ports       string `json:"ports,omitempty"`
	Protocol    string `json:"protocol,omitempty"`
	Action      string `json:"action,omitempty"`
	Obsolete    bool   `json:"obsolete,omitempty"`
}

// FirewallRuleCaptured records one rule read from an export of a site's
// equipment (iptables-save, nft, a vendor's CSV), as part of the capture
// Capture. A capture counts only once its [FirewallCaptureCompleted] is
// recorded: a capture cut short (a command killed between two appends of a
// capture larger than one atomic append) is left out whole.
type FirewallRuleCaptured struct {
	Capture string `json:"capture"`
	Site    string `json:"site"`
	// Role is source (the equipment before the move) or destination
	// (after it, to verify).
	Role string `json:"role"`
	// Rule is the rule's stable id, from its normalised meaning: the
	// same rule exported twice, or in iptables and nft forms, has one id.
	Rule string `json:"rule"`
	// Meaning is the normalised rule the id is made from; Text the rule
	// as the export wrote it.
	Meaning string `json:"meaning"`
	Text    string `json:"text"`
	Comment string `json:"comment,omitempty"`
	// Format is the export's: iptables-save, nft, nft-json or csv; File
	// and Line where the rule was read (Line 0 when the format has none).
	Format string `json:"format"`
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	// PlanRule is the plan's firewall rule this rule is, if any: a
	// captured rule without one is not in the plan.
	PlanRule string `json:"plan_rule,omitempty"`
	// NotCompared marks a rule the plan's rules are not compared with
	// (address translation, a jump, a log): kept unless reviewed.
	NotCompared bool `json:"not_compared,omitempty"`
	// Forms is the rule written in each export syntax dcmove writes
	// (iptables-save, nft), to show a missing rule in the destination's.
	Forms map[string]string `json:"forms,omitempty"`
}

// FirewallCaptureCompleted closes a capture: its Rules rules are all
// recorded. Files are the exports read, with the sha256 of each.
type FirewallCaptureCompleted struct {
	Capture string   `json:"capture"`
	Site    string   `json:"site"`
	Role    string   `json:"role"`
	Rules   int      `json:"rules"`
	Files   []string `json:"files"`
	// Unmatched lists the plan's rules (not obsolete) no rule of a source
	// capture is: not on the equipment, or written so that dcmove cannot
	// tell (a free-text source).
	Unmatched []string `json:"unmatched,omitempty"`
}

// FirewallRuleReviewed records the team's decision on a captured rule:
// keep it (it must be at the destination) or retire it (it must not be),
// and why. Retired rules stay on the record.
type FirewallRuleReviewed struct {
	Rule     string `json:"rule"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	PlanRule string `json:"plan_rule,omitempty"`
}

func (FirewallRuleCaptured) EventType() string     { return TypeFirewallRuleCaptured }
func (FirewallRuleCaptured) EventVersion() int     { return 1 }
func (FirewallCaptureCompleted) EventType() string { return TypeFirewallCaptureDone }
func (FirewallCaptureCompleted) EventVersion() int { return 1 }
func (FirewallRuleReviewed) EventType() string     { return TypeFirewallRuleReviewed }
func (FirewallRuleReviewed) EventVersion() int     { return 1 }

// FirewallRuleSubject is the subject of a captured or reviewed rule.
func FirewallRuleSubject(rule string) string { return firewallSubjectRule + rule }

// FirewallCaptureSubject is the subject of a completed capture of site.
func FirewallCaptureSubject(site string) string { return firewallSubjectCapture + site }
