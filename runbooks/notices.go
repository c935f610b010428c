package runbooks

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
)

// Notices is what a run knows of its notices: the plan's stakeholders,
// and for each, the recipients a notice was sent to, which bounced, which
// acknowledged, and the lead's waiver.
type Notices struct {
	Stakeholders []events.StakeholderDef
	// Recipients holds, by stakeholder then e-mail address (or the name
	// an acknowledgement was recorded under), where each recipient stands.
	Recipients map[string]map[string]*NoticeRecipient
	// Waived holds the lead's waivers, by stakeholder.
	Waived map[string]Waiver
}

// NoticeRecipient is where one recipient of a notice stands.
type NoticeRecipient struct {
	Address, Name string
	// Sent is when the notice (or its last reminder) was sent; Sends
	// counts them. Tokens are the SHA-256 of the links sent (each works).
	Sent   time.Time
	Sends  int
	Tokens []string
	// Bounced is the mail server's refusal, if the last send bounced.
	Bounced string
	// Acknowledged is when, Via how, and By whom it was recorded.
	Acknowledged time.Time
	Via, By      string
}

// Waiver is the lead's decision to go on without acknowledgements.
type Waiver struct {
	Reason, By string
	At         time.Time
}

func (n *Notices) clone() Notices {
	c := *n
	c.Stakeholders = slices.Clone(n.Stakeholders)
	c.Waived = maps.Clone(n.Waived)
	if n.Recipients != nil {
		c.Recipients = make(map[string]map[string]*NoticeRecipient, len(n.Recipients))
		for s, m := range n.Recipients {
			cm := make(map[string]*NoticeRecipient, len(m))
			for k, v := range m {
				cp := *v
				cp.Tokens = slices.Clone(v.Tokens)
				cm[k] = &cp
			}
			c.Recipients[s] = cm
		}
	}
	return c
}

// Stakeholder returns the stakeholder with that id.
func (n *Notices) Stakeholder(id string) (events.StakeholderDef, bool) {
	for _, s := range n.Stakeholders {
		if s.ID == id {
			return s, true
		}
	}
	return events.StakeholderDef{}, false
}

// recipient returns the recipient of stakeholder under key (an address,
// lower-cased), made if absent.
func (n *Notices) recipient(stakeholder, key string) *NoticeRecipient {
	if n.Recipients == nil {
		n.Recipients = map[string]map[string]*NoticeRecipient{}
	}
	m := n.Recipients[stakeholder]
	if m == nil {
		m = map[string]*NoticeRecipient{}
		n.Recipients[stakeholder] = m
	}
	key = strings.ToLower(key)
	r := m[key]
	if r == nil {
		r = &NoticeRecipient{Address: key}
		m[key] = r
	}
	return r
}

func (n *Notices) apply(ev events.Event, rec events.Record) bool {
	switch e := ev.(type) {
	case events.NoticeSent:
		r := n.recipient(e.Stakeholder, e.Recipient)
		r.Name, r.Sent, r.Bounced = e.Name, rec.Time, ""
		r.Sends++
		r.Tokens = append(r.Tokens, e.TokenSHA256)
	case events.NoticeBounced:
		n.recipient(e.Stakeholder, e.Recipient).Bounced = e.Reason
	case events.NoticeAcknowledged:
		r := n.recipient(e.Stakeholder, e.Recipient)
		if !r.Acknowledged.IsZero() {
			return false // acknowledged once; a second click changes nothing
		}
		r.Acknowledged, r.Via, r.By = rec.Time, e.Via, rec.Actor
	case events.NoticeWaived:
		if n.Waived == nil {
			n.Waived = map[string]Waiver{}
		}
		n.Waived[e.Stakeholder] = Waiver{Reason: e.Reason, By: rec.Actor, At: rec.Time}
	}
	return true
}

// Of returns the recipients of a stakeholder, by address.
func (n *Notices) Of(stakeholder string) []*NoticeRecipient {
	m := n.Recipients[stakeholder]
	out := make([]*NoticeRecipient, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// ByToken finds the recipient whose link carries the token with that
// SHA-256 (hex).
func (n *Notices) ByToken(sum string) (stakeholder string, r *NoticeRecipient, ok bool) {
	for s, m := range n.Recipients {
		for _, r := range m {
			if slices.Contains(r.Tokens, sum) {
				return s, r, true
			}
		}
	}
	return "", nil, false
}

// Pending lists who has not acknowledged a stakeholder's notice ("jeanne@
// customer.example (sent Mon 12:00)", "… (bounced: 550 no such user)"),
// empty when everyone sent to has, or the lead waived it. A stakeholder
// whose notice went out another way (no recipient sent to) is pending
// until one acknowledgement is recorded.
func (n *Notices) Pending(stakeholder string) []string {
	if _, waived := n.Waived[stakeholder]; waived {
		return nil
	}
	var out []string
	acked := 0
	for _, r := range n.Of(stakeholder) {
		switch {
		case !r.Acknowledged.IsZero():
			acked++
		case r.Bounced != "":
			out = append(out, fmt.Sprintf("%s (bounced: %s)", r.Address, r.Bounced))
		default:
			out = append(out, r.Address+" (not acknowledged)")
		}
	}
	if acked == 0 && len(out) == 0 {
		return []string{"nobody acknowledged (no notice was sent with dcmove notice send, and no acknowledgement recorded with dcmove notice ack)"}
	}
	return out
}

// ackFact says whether an ack step's stakeholder acknowledged.
func (r *Run) ackFact(st *Step) (bool, string) {
	pending := r.Notices.Pending(st.Stakeholder)
	if len(pending) == 0 {
		return true, ""
	}
	return false, fmt.Sprintf("%s has not acknowledged the notice: %s; follow up (dcmove notice status %s, dcmove notice remind %s), record an acknowledgement received another way (dcmove notice ack %s --recipient WHO --via phone), or the lead waives it (dcmove notice waive %s --reason WHY)",
		st.Stakeholder, ListSome(pending, 5, "dcmove notice status lists them all"), st.Stakeholder, st.Stakeholder, st.Stakeholder, st.Stakeholder)
}

// RecordNotices decides to record notices sent and bounced by actor, and
// completes the started notice steps of the stakeholders they are for.
func (r *Run) RecordNotices(now time.Time, actor string, sent []events.NoticeSent, bounced []events.NoticeBounced) ([]events.Envelope, error) {
	who, err := r.actor(actor)
	if err != nil {
		return nil, err
	}
	var evs []events.Envelope
	add := func(stakeholder string, ev events.Event) error {
		if _, ok := r.Notices.Stakeholder(stakeholder); !ok {
			return refuse("run %s has no stakeholder %s", r.ID, stakeholder)
		}
		e, err := r.event(now, who, events.NoticeSubject(stakeholder), ev)
		evs = append(evs, e)
		return err
	}
	for _, s := range sent {
		if err := add(s.Stakeholder, s); err != nil {
			return nil, err
		}
	}
	for _, b := range bounced {
		if err := add(b.Stakeholder, b); err != nil {
			return nil, err
		}
	}
	for _, st := range r.Steps {
		if st.Kind == events.KindNotice && st.State() == Started && slices.ContainsFunc(sent, func(s events.NoticeSent) bool { return s.Stakeholder == st.Stakeholder }) {
			e, err := r.stepEvent(now, who, st.ID, events.StepCompleted{Step: st.ID})
			if err != nil {
				return nil, err
			}
			evs = append(evs, e...)
		}
	}
	return evs, nil
}

// AcknowledgeNotice decides that a recipient acknowledged a stakeholder's
// notice, received via (a link followed: the actor is dcmove; a phone
// call: a crew member records it), and completes the ack steps that are
// then done.
func (r *Run) AcknowledgeNotice(now time.Time, actor, stakeholder, recipient, via, note string) ([]events.Envelope, error) {
	who := actor
	if actor != toolActor {
		var err error
		if who, err = r.actor(actor); err != nil {
			return nil, err
		}
	} else if !r.Exists() {
		return nil, refuse("run %s has not been started", r.ID)
	}
	if _, ok := r.Notices.Stakeholder(stakeholder); !ok {
		return nil, refuse("run %s has no stakeholder %s; %s", r.ID, stakeholder, r.stakeholderHint(stakeholder))
	}
	recipient = strings.TrimSpace(recipient)
	if recipient == "" || strings.TrimSpace(via) == "" {
		return nil, refuse("say who acknowledged (--recipient) and how (--via phone, mail, meeting...)")
	}
	if m := r.Notices.Recipients[stakeholder]; m != nil {
		if rc := m[strings.ToLower(recipient)]; rc != nil && !rc.Acknowledged.IsZero() {
			return nil, refuse("%s acknowledged the notice to %s already (%s, via %s)", recipient, stakeholder, rc.Acknowledged.In(r.Location()).Format("Mon 2 Jan 15:04"), rc.Via)
		}
	}
	e, err := r.event(now, who, events.NoticeSubject(stakeholder), events.NoticeAcknowledged{Stakeholder: stakeholder, Recipient: strings.ToLower(recipient), Via: via, Note: note})
	if err != nil {
		return nil, err
	}
	evs := []events.Envelope{e}
	after := r.Clone()
	after.foresee(evs)
	steps, err := after.completeByFacts(now, who, events.KindAck)
	return append(evs, steps...), err
}

// WaiveNotice decides that the lead goes on without a stakeholder's
// acknowledgements, and why; the ack steps are then done.
func (r *Run) WaiveNotice(now time.Time, actor, stakeholder, reason string) ([]events.Envelope, error) {
	who, err := r.guardLead(actor, "waive acknowledgements")
	if err != nil {
		return nil, err
	}
	if err := needReason(reason, "a waiver"); err != nil {
		return nil, err
	}
	if _, ok := r.Notices.Stakeholder(stakeholder); !ok {
		return nil, refuse("run %s has no stakeholder %s; %s", r.ID, stakeholder, r.stakeholderHint(stakeholder))
	}
	e, err := r.event(now, who, events.NoticeSubject(stakeholder), events.NoticeWaived{Stakeholder: stakeholder, Reason: reason})
	if err != nil {
		return nil, err
	}
	evs := []events.Envelope{e}
	after := r.Clone()
	after.foresee(evs)
	steps, err := after.completeByFacts(now, who, events.KindAck)
	return append(evs, steps...), err
}

func (r *Run) stakeholderHint(id string) string {
	var ids []string
	for _, s := range r.Notices.Stakeholders {
		ids = append(ids, s.ID)
	}
	return hint(id, ids)
}

// Deadline is when a stakeholder's acknowledgements are due: the planned
// end of its ack step, else the window's start.
func (r *Run) Deadline(stakeholder string) time.Time {
	for _, st := range r.Steps {
		if st.Kind == events.KindAck && st.Stakeholder == stakeholder && !st.PlannedEnd.IsZero() {
			return st.PlannedEnd
		}
	}
	return r.WindowStart
}

// AcknowledgeNotice records an acknowledgement: see [Run.AcknowledgeNotice].
func (c *Cutover) AcknowledgeNotice(ctx context.Context, run, actor, stakeholder, recipient, via, note string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		return r.AcknowledgeNotice(now, actor, stakeholder, recipient, via, note)
	})
}

// WaiveNotice records the lead's waiver: see [Run.WaiveNotice].
func (c *Cutover) WaiveNotice(ctx context.Context, run, actor, stakeholder, reason string) (*Outcome, error) {
	return c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
		return r.WaiveNotice(now, actor, stakeholder, reason)
	})
}

// RecordNotices records notices sent and bounced, in appends of at most
// captureChunk events.
func (c *Cutover) RecordNotices(ctx context.Context, run, actor string, sent []events.NoticeSent, bounced []events.NoticeBounced) (*Outcome, error) {
	var out *Outcome
	for len(sent) > 0 || len(bounced) > 0 || out == nil {
		s := sent[:min(len(sent), captureChunk)]
		sent = sent[len(s):]
		b := bounced[:min(len(bounced), captureChunk-len(s))]
		bounced = bounced[len(b):]
		var err error
		out, err = c.Execute(ctx, run, func(r *Run, now time.Time) ([]events.Envelope, error) {
			return r.RecordNotices(now, actor, s, b)
		})
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
