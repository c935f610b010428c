package events

// The wire types of notices and their acknowledgements.
const (
	TypeNoticeSent         = "dcmove.notice.sent"
	TypeNoticeBounced      = "dcmove.notice.bounced"
	TypeNoticeAcknowledged = "dcmove.notice.acknowledged"
	TypeNoticeWaived       = "dcmove.notice.waived"
)

// StakeholderDef is a stakeholder of the plan as recorded when the
// cutover started: who must be told (Notice before the window), and
// whether their acknowledgement is collected (Ack). Recipients are not
// recorded here: each notice sent names its own.
type StakeholderDef struct {
	ID     string   `json:"id"`
	Title  string   `json:"title,omitempty"`
	Notice Duration `json:"notice,omitempty"`
	Ack    bool     `json:"ack,omitempty"`
}

// NoticeSent records that the notice to a stakeholder was handed to the
// mail server for one recipient. TokenSHA256 is the SHA-256 (hex) of the
// unguessable token of the recipient's acknowledgement link: the token
// itself is only in the message, so nobody who reads the log can
// acknowledge in the recipient's place. Reminder marks a reminder (a new
// link; the earlier ones still work).
type NoticeSent struct {
	Stakeholder string `json:"stakeholder"`
	Recipient   string `json:"recipient"`
	Name        string `json:"name,omitempty"`
	Subject     string `json:"subject"`
	TokenSHA256 string `json:"token_sha256"`
	MessageID   string `json:"message_id,omitempty"`
	Reminder    bool   `json:"reminder,omitempty"`
}

// NoticeBounced records that the mail server refused the notice for a
// recipient, and what it said.
type NoticeBounced struct {
	Stakeholder string `json:"stakeholder"`
	Recipient   string `json:"recipient"`
	Reason      string `json:"reason"`
}

// NoticeAcknowledged records that a recipient acknowledged the notice:
// Via "link" (they followed their link; the actor is dcmove) or how
// another acknowledgement was received ("phone", "mail"...), recorded by
// the actor.
type NoticeAcknowledged struct {
	Stakeholder string `json:"stakeholder"`
	Recipient   string `json:"recipient"`
	Via         string `json:"via"`
	Note        string `json:"note,omitempty"`
}

// NoticeWaived records the lead's decision to go on without a
// stakeholder's acknowledgements, and why.
type NoticeWaived struct {
	Stakeholder string `json:"stakeholder"`
	Reason      string `json:"reason"`
}

func (NoticeSent) EventType() string         { return TypeNoticeSent }
func (NoticeSent) EventVersion() int         { return 1 }
func (NoticeBounced) EventType() string      { return TypeNoticeBounced }
func (NoticeBounced) EventVersion() int      { return 1 }
func (NoticeAcknowledged) EventType() string { return TypeNoticeAcknowledged }
func (NoticeAcknowledged) EventVersion() int { return 1 }
func (NoticeWaived) EventType() string       { return TypeNoticeWaived }
func (NoticeWaived) EventVersion() int       { return 1 }

// NoticeSubject is the subject of a stakeholder's notice events.
func NoticeSubject(stakeholder string) string { return "notice/" + stakeholder }
