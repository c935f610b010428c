package events

import "slices"

// The vocabulary of a run: what a step is, when a phase happens, what a
// gate decides and the crew roles dcmove itself relies on. These are typed
// strings, so they are stored exactly as the plain strings they replace.

// StepKind says what a step is, so that lints, guards and status can treat
// every step of that kind alike, whatever its id and whether it was written
// by hand or expanded from a template. A plan or template step declares it
// with kind:.
type StepKind string

// The step kinds, in the order a weekend cutover meets them.
const (
	// KindWork is plain work with no special meaning: the default.
	KindWork StepKind = ""
	// KindNotice tells stakeholders of the move, or that it is over.
	KindNotice StepKind = "notice"
	// KindAck collects a stakeholder's acknowledgement of the notice.
	KindAck StepKind = "ack"
	// KindLowerTTL lowers a domain's DNS TTL ahead of the move.
	KindLowerTTL StepKind = "lower-ttl"
	// KindVerifyBackup restore-tests a backup before the move.
	KindVerifyBackup StepKind = "verify-backup"
	// KindCaptureRule captures a firewall rule from the source site.
	KindCaptureRule StepKind = "capture-rule"
	// KindReviewRule decides whether a firewall rule is kept, changed or
	// retired (lint L010 asks for one per rule).
	KindReviewRule StepKind = "review-rule"
	// KindPrestageRule puts a kept firewall rule on the destination's
	// firewall before it is active.
	KindPrestageRule StepKind = "prestage-rule"
	// KindRetireRule records that an obsolete firewall rule is not
	// re-created.
	KindRetireRule StepKind = "retire-rule"
	// KindAccess is a site access procedure: entry, or the exit paperwork.
	KindAccess StepKind = "access"
	// KindGate is a go/no-go decision that every role signs. A step with
	// gate: true and no kind is of this kind.
	KindGate StepKind = "gate"
	// KindEnterDegraded switches the service to degraded mode.
	KindEnterDegraded StepKind = "enter-degraded"
	// KindStopService stops a service (its downtime starts).
	KindStopService StepKind = "stop-service"
	// KindShutdown shuts an asset down.
	KindShutdown StepKind = "shutdown"
	// KindCooldown is a timer: it starts when its asset's shutdown is done
	// and ends by itself when the asset has cooled down.
	KindCooldown StepKind = "cooldown"
	// KindUnrack unracks and labels an asset.
	KindUnrack StepKind = "unrack"
	// KindTransport carries equipment between the sites.
	KindTransport StepKind = "transport"
	// KindRack racks an asset.
	KindRack StepKind = "rack"
	// KindCable cables an asset and checks its links.
	KindCable StepKind = "cable"
	// KindPowerOn powers an asset on.
	KindPowerOn StepKind = "power-on"
	// KindActivateRules activates the pre-staged firewall rules.
	KindActivateRules StepKind = "activate-rules"
	// KindVerifyRule verifies a firewall rule at the destination (lint
	// L010 asks for one per kept rule).
	KindVerifyRule StepKind = "verify-rule"
	// KindStartService starts a service (its downtime ends).
	KindStartService StepKind = "start-service"
	// KindValidate validates a service or an asset (lint L005 asks for one
	// before any decommission).
	KindValidate StepKind = "validate"
	// KindCheck is a DNS, TCP or HTTP check.
	KindCheck StepKind = "check"
	// KindLeaveDegraded ends degraded mode.
	KindLeaveDegraded StepKind = "leave-degraded"
	// KindRestore is a back-out step that restores the service at the
	// source.
	KindRestore StepKind = "restore"
	// KindWatch watches the service under real load after the move.
	KindWatch StepKind = "watch"
	// KindGrace is a timer: the grace period before anything at the source
	// is destroyed. It cannot end before its duration.
	KindGrace StepKind = "grace"
	// KindConfirmBackup confirms a backup is stored off every retired
	// machine before any decommission.
	KindConfirmBackup StepKind = "confirm-backup"
	// KindDecommission destroys or hands back source equipment (lint L005:
	// only after a validation and the grace period).
	KindDecommission StepKind = "decommission"
)

// stepKinds are the declared kinds but work, in the order of the constants.
var stepKinds = []StepKind{
	KindNotice, KindAck, KindLowerTTL, KindVerifyBackup, KindCaptureRule, KindReviewRule,
	KindPrestageRule, KindRetireRule, KindAccess, KindGate, KindEnterDegraded, KindStopService,
	KindShutdown, KindCooldown, KindUnrack, KindTransport, KindRack, KindCable, KindPowerOn,
	KindActivateRules, KindVerifyRule, KindStartService, KindValidate, KindCheck,
	KindLeaveDegraded, KindRestore, KindWatch, KindGrace, KindConfirmBackup, KindDecommission,
}

// StepKinds lists the kinds a step may declare (every kind but
// [KindWork], which is declared by leaving kind out), for messages.
func StepKinds() []StepKind { return slices.Clone(stepKinds) }

// Valid reports whether k is a known kind; [KindWork] is.
func (k StepKind) Valid() bool { return k == KindWork || slices.Contains(stepKinds, k) }

// IsTimer reports whether steps of kind k are timers that no one works
// on: a cool-down or a grace period.
func (k StepKind) IsTimer() bool { return k == KindCooldown || k == KindGrace }

// Timing says when a phase happens relative to the move window.
type Timing string

// The timings of a phase.
const (
	// TimingBefore is preparation in the days ahead of the window.
	TimingBefore Timing = "before"
	// TimingWindow is the move itself, inside the window.
	TimingWindow Timing = "window"
	// TimingAfter is the watch, the grace period and the decommission.
	TimingAfter Timing = "after"
)

// Decision is a signature's verdict on a go/no-go gate.
type Decision string

// The decisions on a gate.
const (
	// DecisionGo lets the move go on past the gate.
	DecisionGo Decision = "go"
	// DecisionNoGo fails the gate and backs the move out.
	DecisionNoGo Decision = "no-go"
)

// The crew roles dcmove's rules name. Other roles (network, tech) are
// whatever a plan's crew declares.
const (
	// RoleLead is the lead's role: the only one who may skip steps, force
	// a cool-down or back the move out, and the role a plan's lead must
	// have (lint L017).
	RoleLead = "lead"
	// RoleApp is the application owners' role: besides the lead, the only
	// one who may switch degraded mode.
	RoleApp = "app"
)
