package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Event is a typed payload of the catalog. Its type string and version are
// constants: renaming a Go type never changes what is stored.
type Event interface {
	EventType() string
	EventVersion() int
}

// Wire types of the catalog. They never change once released; a payload that
// changes shape gets a new version and an upcaster, not a new type.
const (
	TypeCutoverStarted  = "dcmove.cutover.started"
	TypeWarningAccepted = "dcmove.warning.accepted"
	TypeStepPlanned     = "dcmove.step.planned"
	TypeStepStarted     = "dcmove.step.started"
	TypeStepCompleted   = "dcmove.step.completed"
	TypeStepFailed      = "dcmove.step.failed"
	TypeStepRetried     = "dcmove.step.retried"
	TypeStepSkipped     = "dcmove.step.skipped"
	TypeStepBlocked     = "dcmove.step.blocked"
	TypeStepUnblocked   = "dcmove.step.unblocked"
	TypeGateSigned      = "dcmove.gate.signed"
	TypeCooldownStarted = "dcmove.cooldown.started"
	TypeCooldownElapsed = "dcmove.cooldown.elapsed"
	TypeCooldownForced  = "dcmove.cooldown.forced"
	TypeDegradedEntered = "dcmove.degraded.entered"
	TypeDegradedLeft    = "dcmove.degraded.left"
	TypeBackoutStarted  = "dcmove.backout.started"
)

// CutoverStarted records that a plan was put into execution as a run. It is
// the first event of every run and is appended atomically with one
// [StepPlanned] per step.
type CutoverStarted struct {
	Plan        string    `json:"plan"`
	Title       string    `json:"title,omitempty"`
	File        string    `json:"file"`
	Hash        string    `json:"hash"` // sha256 of the plan file
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	TimeZone    string    `json:"timezone"`
	Steps       int       `json:"steps"`
	Crew        []Member  `json:"crew,omitempty"`
	// Lead is the crew member who leads the move.
	Lead string `json:"lead,omitempty"`
	// Rehearsal marks a dress rehearsal rather than the live run.
	Rehearsal bool `json:"rehearsal,omitempty"`
	// SimulatedClock marks a run whose commands tell the time of a
	// simulated clock (the demo, tests): its events' times are not the
	// log's, so timers are not checked against the log's clock.
	SimulatedClock bool `json:"simulated_clock,omitempty"`
	// Services are the plan's services, for degraded mode and validation.
	Services []Service `json:"services,omitempty"`
	// PointOfNoReturn is the last moment a back-out still ends inside the
	// window, as planned; zero when the plan has no back-out steps.
	PointOfNoReturn time.Time `json:"point_of_no_return,omitzero"`
	// FirewallRules are the plan's firewall rules, which captured rules
	// are matched against (added without a new version: older runs have
	// none).
	FirewallRules []FirewallRule `json:"firewall_rules,omitempty"`
	// Checks are the plan's validation checks (added without a new
	// version: older runs have none).
	Checks []CheckDef `json:"checks,omitempty"`
	// Stakeholders are the plan's stakeholders (added without a new
	// version: older runs have none).
	Stakeholders []StakeholderDef `json:"stakeholders,omitempty"`
	// Stage, for a start larger than one atomic append, is the id its
	// steps were staged under before this event (Staged of them): the
	// run is made of those, and of the steps with that stage after this
	// event in the same append. Steps staged under another id (a start
	// killed half-way, then retried) are not the run's. Added without a
	// new version.
	Stage  string `json:"stage,omitempty"`
	Staged int    `json:"staged,omitempty"`
	// Capacities are the plan's vehicles and resources (added without a
	// new version).
	Capacities []Capacity `json:"capacities,omitempty"`
}

// Service is a service as recorded when the cutover started.
type Service struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
	Vital bool   `json:"vital,omitempty"`
	// KeepUp: kept up while its hosts move in two waves (added without a
	// new version).
	KeepUp bool     `json:"keep_up,omitempty"`
	RTO    Duration `json:"rto,omitempty"`
}

// WarningAccepted records that someone accepted a plan warning (a lint) when
// starting the cutover, and why.
type WarningAccepted struct {
	Lint    string `json:"lint"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
}

// Member is a crew member as recorded when the cutover started.
type Member struct {
	Name  string   `json:"name"`
	Roles []string `json:"roles,omitempty"`
	// Key is the member's public user NKey from the plan, empty when the
	// plan lists none. A run whose crew lists keys requires every event to
	// be signed by its actor's key (see [SignedBy]). The field is optional
	// and older readers ignore it, so adding it needed no new version of
	// dcmove.cutover.started.
	Key string `json:"key,omitempty"`
	// Shifts are when the member works, as the plan says (empty: no
	// shifts given); the live forecast schedules what is left under them.
	// Added without a new version.
	Shifts []Shift `json:"shifts,omitempty"`
}

// Shift is a period a crew member works.
type Shift struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Capacity is a vehicle or resource of the plan and how many of it there
// are (a vehicle's count, a resource's capacity).
type Capacity struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

// StepPlanned records one step of the run's plan as it was when the cutover
// started.
//
// Version 2 added Kind. Version 1 payloads are upcast on read (see
// [upcastStepPlannedV1]).
type StepPlanned struct {
	Step  string `json:"step"`
	Title string `json:"title"`
	// Kind says what the step is (a stop, a decommission, a timer...);
	// empty for plain work.
	Kind        StepKind `json:"kind,omitempty"`
	Phase       string   `json:"phase,omitempty"`
	After       []string `json:"after,omitempty"`
	Asset       string   `json:"asset,omitempty"`
	Role        string   `json:"role,omitempty"`
	Gate        bool     `json:"gate,omitempty"`
	Optimistic  Duration `json:"optimistic"`
	Likely      Duration `json:"likely"`
	Pessimistic Duration `json:"pessimistic"`
	// Timing is before, window or after the move window.
	Timing string `json:"timing,omitempty"`
	// Cooldown is the cool-down that follows this step once done (a
	// shutdown of powered hardware).
	Cooldown Duration `json:"cooldown,omitempty"`
	// Service names the service a step is about (validation, stop, start).
	Service string `json:"service,omitempty"`
	// Template is the runbook template step this step was expanded from.
	Template string `json:"template,omitempty"`
	// Backout are the steps that undo this one.
	Backout []string `json:"backout,omitempty"`
	// BackoutOnly marks a step that only runs if the move backs out.
	BackoutOnly bool `json:"backout_only,omitempty"`
	// Timer marks a step that no one works on: "cooldown" starts when its
	// asset's shutdown is done and ends when the asset has cooled down;
	// "grace" cannot end before its duration. It is Kind when Kind is a
	// timer kind ([StepKind.IsTimer]), kept for readers of version 1.
	Timer string `json:"timer,omitempty"`
	// PlannedStart and PlannedEnd are the schedule's times for the step.
	PlannedStart time.Time `json:"planned_start,omitzero"`
	PlannedEnd   time.Time `json:"planned_end,omitzero"`
	// Rule is the plan's firewall rule the step is about (capture,
	// review, verification). Added to version 2 without a new version:
	// older payloads have none, and read as before.
	Rule string `json:"rule,omitempty"`
	// Domain is the DNS name the step is about (a check-dns step), and
	// Require what a gate requires before it is signed go ("firewall",
	// "checks"). Added to version 2 like Rule.
	Domain  string   `json:"domain,omitempty"`
	Require []string `json:"require,omitempty"`
	// Stakeholder is the stakeholder a notice or ack step is about.
	Stakeholder string `json:"stakeholder,omitempty"`
	// Stage is the id of the staged start this step was recorded with,
	// when the start did not fit one atomic append (see
	// [CutoverStarted.Stage]).
	Stage string `json:"stage,omitempty"`
	// Needs are the vehicles and resources the step holds while it runs
	// (added to version 2 without a new version).
	Needs []Capacity `json:"needs,omitempty"`
}

// StepStarted records that a crew member started a step.
type StepStarted struct {
	Step string `json:"step"`
}

// StepCompleted records that a crew member finished a step. Override is
// the lead's reason for finishing a step whose facts are not there (a
// validation whose checks have not all passed, a firewall rule not
// verified): the step is done, and the departure is on the record. Added
// to version 1 without a new version: older payloads have none.
type StepCompleted struct {
	Step     string `json:"step"`
	Override string `json:"override,omitempty"`
}

// StepFailed records that a started step failed.
type StepFailed struct {
	Step   string `json:"step"`
	Reason string `json:"reason"`
}

// StepRetried records that a failed step goes back to be started again.
type StepRetried struct {
	Step   string `json:"step"`
	Reason string `json:"reason,omitempty"`
}

// StepSkipped records that a step will not be done, and why; its
// dependents proceed as if it were done.
type StepSkipped struct {
	Step   string `json:"step"`
	Reason string `json:"reason"`
}

// StepBlocked records that a step cannot proceed for a reason outside the
// plan (a missing part, a locked door).
type StepBlocked struct {
	Step   string `json:"step"`
	Reason string `json:"reason"`
}

// StepUnblocked records that a blocked step may proceed again.
type StepUnblocked struct {
	Step   string `json:"step"`
	Reason string `json:"reason,omitempty"`
}

// GateSigned records one signature on a go/no-go gate: the signer's role
// and decision.
type GateSigned struct {
	Gate     string `json:"gate"`
	Role     string `json:"role"`
	Decision string `json:"decision"` // "go" or "no-go"
	Reason   string `json:"reason"`
}

// CooldownStarted records that an asset was shut down and must cool down
// until Until before it is handled.
type CooldownStarted struct {
	Asset string    `json:"asset"`
	Step  string    `json:"step"`
	Until time.Time `json:"until"`
}

// CooldownElapsed records that an asset's cool-down is over. The server
// publishes it at the due time through a message schedule, whether or not
// any dcmove process is running.
type CooldownElapsed struct {
	Asset string    `json:"asset"`
	Due   time.Time `json:"due"`
}

// CooldownForced records that the lead let an asset be handled before its
// cool-down elapsed.
type CooldownForced struct {
	Asset  string `json:"asset"`
	Reason string `json:"reason"`
}

// DegradedEntered records that the service runs in degraded mode: the
// services in Down are stopped on purpose, the others must stay up.
type DegradedEntered struct {
	Reason string   `json:"reason"`
	Down   []string `json:"down"`
}

// BackoutStarted records that the move backs out: the steps in Steps (the
// back-out steps of everything started so far) are now the work, and the
// forward steps in Cancelled will not happen. Nothing is deleted.
type BackoutStarted struct {
	Reason    string   `json:"reason"`
	Trigger   string   `json:"trigger,omitempty"` // the gate whose no-go started it, if any
	Steps     []string `json:"steps"`
	Cancelled []string `json:"cancelled"`
}

// DegradedLeft records that degraded mode is over.
type DegradedLeft struct {
	Reason string `json:"reason"`
}

func (CutoverStarted) EventType() string  { return TypeCutoverStarted }
func (WarningAccepted) EventType() string { return TypeWarningAccepted }
func (StepPlanned) EventType() string     { return TypeStepPlanned }
func (StepStarted) EventType() string     { return TypeStepStarted }
func (StepCompleted) EventType() string   { return TypeStepCompleted }
func (StepFailed) EventType() string      { return TypeStepFailed }
func (StepRetried) EventType() string     { return TypeStepRetried }
func (StepSkipped) EventType() string     { return TypeStepSkipped }
func (StepBlocked) EventType() string     { return TypeStepBlocked }
func (StepUnblocked) EventType() string   { return TypeStepUnblocked }
func (GateSigned) EventType() string      { return TypeGateSigned }
func (CooldownStarted) EventType() string { return TypeCooldownStarted }
func (CooldownElapsed) EventType() string { return TypeCooldownElapsed }
func (CooldownForced) EventType() string  { return TypeCooldownForced }
func (DegradedEntered) EventType() string { return TypeDegradedEntered }
func (DegradedLeft) EventType() string    { return TypeDegradedLeft }
func (BackoutStarted) EventType() string  { return TypeBackoutStarted }

func (CutoverStarted) EventVersion() int  { return 1 }
func (WarningAccepted) EventVersion() int { return 1 }
func (StepPlanned) EventVersion() int     { return 2 }
func (StepStarted) EventVersion() int     { return 1 }
func (StepCompleted) EventVersion() int   { return 1 }
func (StepFailed) EventVersion() int      { return 1 }
func (StepRetried) EventVersion() int     { return 1 }
func (StepSkipped) EventVersion() int     { return 1 }
func (StepBlocked) EventVersion() int     { return 1 }
func (StepUnblocked) EventVersion() int   { return 1 }
func (GateSigned) EventVersion() int      { return 1 }
func (CooldownStarted) EventVersion() int { return 1 }
func (CooldownElapsed) EventVersion() int { return 1 }
func (CooldownForced) EventVersion() int  { return 1 }
func (DegradedEntered) EventVersion() int { return 1 }
func (DegradedLeft) EventVersion() int    { return 1 }
func (BackoutStarted) EventVersion() int  { return 1 }

// Duration is a time.Duration that is stored as Go duration text ("1h30m0s"),
// readable by people and tools.
type Duration time.Duration

// MarshalJSON encodes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON decodes a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string like \"1h30m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Upcaster turns the JSON payload of version v of an event type into the
// payload of version v+1. It must not fail on a payload that version v
// could hold: old logs are never rewritten, so it runs on every read.
type Upcaster func(data json.RawMessage) (json.RawMessage, error)

// eventType is the catalog entry for one wire type.
type eventType struct {
	zero      Event // the zero value of the payload type
	version   int
	unmarshal func(data json.RawMessage) (Event, error)
	// upcast[v] turns version v into v+1.
	upcast map[int]Upcaster
}

var (
	// catalogMu guards the upcasters of the catalog's entries: they may be
	// registered while events are decoded.
	catalogMu sync.RWMutex
	catalog   = map[string]eventType{}
)

// register adds E to the catalog, with no upcaster yet: a type whose
// version is above 1 needs one per older version ([RegisterUpcaster]).
// Payload returns the zero value of the payload of the event type typ
// (its wire type), for what describes each payload (its JSON Schema is
// generated from it, see docs/schemas/), and false for a type not in the
// catalog.
func Payload(typ string) (Event, bool) {
	t, ok := catalog[typ]
	return t.zero, ok
}

func register[E Event]() {
	var zero E
	catalog[zero.EventType()] = eventType{
		zero:    zero,
		version: zero.EventVersion(),
		unmarshal: func(data json.RawMessage) (Event, error) {
			var e E
			err := json.Unmarshal(data, &e)
			return e, err
		},
		upcast: map[int]Upcaster{},
	}
}

// RegisterUpcaster registers up as the way to read version from of the
// event type eventType: it turns such a payload into version from+1, and
// [Envelope.Decode] chains upcasters up to the current version of the type
// before decoding. A payload type that changes shape gets a new version
// (its EventVersion) and one upcaster from the version before; the
// catalog registers its own from init, the way a package that adds
// upcasters should.
//
// It returns an error wrapping [ErrUnknownType] for a type that is not in
// the catalog, and an error when from is not an older version of the type
// (1 to the current version minus one), when up is nil, or when an
// upcaster from that version is already registered.
func RegisterUpcaster(eventType string, from int, up Upcaster) error {
	catalogMu.Lock()
	defer catalogMu.Unlock()
	t, ok := catalog[eventType]
	switch {
	case !ok:
		return fmt.Errorf("events: register upcaster: %w: %q", ErrUnknownType, eventType)
	case from < 1 || from >= t.version:
		return fmt.Errorf("events: register upcaster: %s is at version %d, so there is no version %d to upcast from (1 to %d)", eventType, t.version, from, t.version-1)
	case up == nil:
		return fmt.Errorf("events: register upcaster: nil upcaster for %s version %d", eventType, from)
	case t.upcast[from] != nil:
		return fmt.Errorf("events: register upcaster: %s already has an upcaster from version %d", eventType, from)
	}
	t.upcast[from] = up
	return nil
}

func init() {
	register[CutoverStarted]()
	register[WarningAccepted]()
	register[StepPlanned]()
	register[StepStarted]()
	register[StepCompleted]()
	register[StepFailed]()
	register[StepRetried]()
	register[StepSkipped]()
	register[StepBlocked]()
	register[StepUnblocked]()
	register[GateSigned]()
	register[CooldownStarted]()
	register[CooldownElapsed]()
	register[CooldownForced]()
	register[DegradedEntered]()
	register[DegradedLeft]()
	register[BackoutStarted]()
	register[FirewallRuleCaptured]()
	register[FirewallCaptureCompleted]()
	register[FirewallRuleReviewed]()
	register[CheckRan]()
	register[NoticeSent]()
	register[NoticeBounced]()
	register[NoticeAcknowledged]()
	register[NoticeWaived]()

	if err := RegisterUpcaster(TypeStepPlanned, 1, upcastStepPlannedV1); err != nil {
		panic(err)
	}
}

// decode upcasts data from version v to the current version and decodes it.
func (t eventType) decode(v int, data json.RawMessage) (Event, error) {
	if v > t.version {
		return nil, fmt.Errorf("%w: version %d is newer than this dcmove knows (%d); upgrade dcmove to read it", ErrUnknownType, v, t.version)
	}
	if v < 1 {
		return nil, fmt.Errorf("version %d: versions start at 1", v)
	}
	for ; v < t.version; v++ {
		catalogMu.RLock()
		up := t.upcast[v]
		catalogMu.RUnlock()
		if up == nil {
			return nil, fmt.Errorf("no upcaster from version %d to %d", v, v+1)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("upcast from version %d: %w", v, err)
		}
	}
	return t.unmarshal(data)
}

// upcastStepPlannedV1 turns a step.planned of version 1, which had no kind,
// into version 2 by giving it the kind the step had: a timer's kind, else
// the kind of the built-in template step it was expanded from, else gate
// for a gate, else plain work.
//
// This is the only place where dcmove infers what a step is from its name,
// and it must stay so: version 1 logs carry no kind, and the built-in
// runbook's step ids were, in version 1, the only sign of it. Version 2
// payloads declare their kind and are never guessed at. A version 1 step
// expanded from a template file of the plan's own that reused one of these
// ids gets that id's kind.
func upcastStepPlannedV1(data json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	if fields == nil {
		return nil, errors.New("step.planned v1: payload is not an object")
	}
	if _, has := fields["kind"]; has {
		return data, nil
	}
	var v1 struct {
		Timer    string `json:"timer"`
		Template string `json:"template"`
		Gate     bool   `json:"gate"`
	}
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	kind := KindWork
	switch {
	case v1.Timer == string(KindCooldown) || v1.Timer == string(KindGrace):
		kind = StepKind(v1.Timer)
	case v1.Template != "" && v1TemplateKinds[v1.Template] != KindWork:
		kind = v1TemplateKinds[v1.Template]
	case v1.Gate:
		kind = KindGate
	}
	if kind == KindWork {
		return data, nil
	}
	k, err := json.Marshal(kind)
	if err != nil {
		return nil, err
	}
	fields["kind"] = k
	return json.Marshal(fields)
}

// v1TemplateKinds are the step ids of the built-in weekend-cutover runbook
// when step.planned was at version 1, with the kind each step declares
// since version 2. Frozen: a step added to the runbook later declares its
// kind and never needs an entry here.
var v1TemplateKinds = map[string]StepKind{
	"notify-<id>":                KindNotice,
	"ack-<id>":                   KindAck,
	"lower-ttl-<id>":             KindLowerTTL,
	"verify-backup-<id>":         KindVerifyBackup,
	"capture-rule-<id>":          KindCaptureRule,
	"review-rule-<id>":           KindReviewRule,
	"prestage-rule-<id>":         KindPrestageRule,
	"retire-rule-<id>":           KindRetireRule,
	"access-<id>":                KindAccess,
	"go-no-go":                   KindGate,
	"enter-degraded-mode":        KindEnterDegraded,
	"stop-<id>":                  KindStopService,
	"shutdown-<id>":              KindShutdown,
	"cooldown-<id>":              KindCooldown,
	"unrack-<id>":                KindUnrack,
	"exit-<id>":                  KindAccess,
	"transport-<id>":             KindTransport,
	"rack-<id>":                  KindRack,
	"cable-<id>":                 KindCable,
	"power-on-<id>":              KindPowerOn,
	"activate-rules":             KindActivateRules,
	"verify-rule-<id>":           KindVerifyRule,
	"start-<id>":                 KindStartService,
	"validate-<id>":              KindValidate,
	"validate-asset-<id>":        KindValidate,
	"check-dns-<id>":             KindCheck,
	"leave-degraded-mode":        KindLeaveDegraded,
	"announce-<id>":              KindNotice,
	"unrack-at-destination-<id>": KindUnrack,
	"carry-back-<id>":            KindTransport,
	"rerack-at-source-<id>":      KindRack,
	"power-on-at-source-<id>":    KindPowerOn,
	"restart-at-source-<id>":     KindRestore,
	"restore-full-service":       KindRestore,
	"watch":                      KindWatch,
	"grace-period":               KindGrace,
	"confirm-backup-<id>":        KindConfirmBackup,
	"decommission-<id>":          KindDecommission,
}

// Types lists the wire types of the catalog, sorted.
func Types() []string {
	ts := make([]string, 0, len(catalog))
	for t := range catalog {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// Sentinel errors of the package.
var (
	// ErrConflict means the run changed since the state a command was
	// validated against: re-read and re-check.
	ErrConflict = errors.New("events: conflict: the run changed since it was read")
	// ErrDuplicate means events with these ids are already stored.
	ErrDuplicate = errors.New("events: already stored")
	// ErrUnknownType means the event's type or version is not in this
	// binary's catalog.
	ErrUnknownType = errors.New("events: unknown event type")
	// ErrNoRun means the log holds no run by that name (or no run at all).
	ErrNoRun = errors.New("events: no such run")
	// ErrUnavailable means the NATS server could not be reached or went away.
	ErrUnavailable = errors.New("events: event log unavailable")
)
