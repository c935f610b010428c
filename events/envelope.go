package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SpecVersion is the CloudEvents specification version of every envelope.
const SpecVersion = "1.0"

// Envelope is one event as stored: CloudEvents attributes (id, source, type,
// subject, time, specversion, datacontenttype, data) plus dcmove's extension
// attributes (run, plan, actor, dataversion, previd, prevhash, signer,
// signature). Its JSON form
// is the CloudEvents JSON format, so standard tools can read the log.
type Envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	Run             string          `json:"run"`
	Plan            string          `json:"plan,omitempty"`
	Actor           string          `json:"actor,omitempty"`
	DataVersion     int             `json:"dataversion"`
	Data            json.RawMessage `json:"data,omitempty"`

	// PrevID and PrevHash chain the event to the one before it in its run:
	// that event's id and [Envelope.Hash]. Both are empty on the first
	// event of a run and on the timers the server fires (see [Verify]).
	PrevID   string `json:"previd,omitempty"`
	PrevHash string `json:"prevhash,omitempty"`

	// Signer and Signature sign the event (see [Sign]): the signer's public
	// user NKey and its ed25519 signature over [Envelope.Canonical],
	// base64url. They are not part of the canonical form: the hash chain
	// does not depend on them. Empty on runs without keys.
	Signer    string `json:"signer,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// Record is an envelope read back from a [Log], with its place in the log.
type Record struct {
	Envelope
	// Seq is the record's position in the log; it only grows.
	Seq uint64
	// Malformed is set, and Envelope is partly or wholly empty, when the stored
	// message could not be decoded (written by another tool, or damaged).
	// Readers skip such records and count them rather than stop.
	Malformed error
	// Stored is when the log stored the record, by the log's own clock
	// (zero when the log does not say). Unlike the envelope's Time, the
	// writer does not choose it.
	Stored time.Time
}

// idPattern is what run, plan and subject ids may contain: they become NATS
// subject tokens, which cannot hold dots, spaces or wildcards.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// hashPattern is what a prevhash holds: a lowercase hex SHA-256.
var hashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidID reports whether s can be used as a run id or a subject id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

var source = func() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "unknown-host"
	}
	return "/dcmove/" + h
}()

// Origin says where an event belongs and who caused it.
type Origin struct {
	Run   string // the run of the plan the event is part of
	Plan  string // the plan's name
	Actor string // who caused it: a crew member, or "dcmove" for the tool itself
}

// New builds an envelope with a fresh id for an event payload. subject names
// what the event is about, as "kind/id" (for example "step/unrack-web1"), or
// is empty for events about the whole run.
func New(at time.Time, o Origin, subject string, ev Event) (Envelope, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return Envelope{}, fmt.Errorf("encode %s: %w", ev.EventType(), err)
	}
	return Envelope{
		SpecVersion:     SpecVersion,
		ID:              uuid.NewString(),
		Source:          source,
		Type:            ev.EventType(),
		Subject:         subject,
		Time:            at.UTC(),
		DataContentType: "application/json",
		Run:             o.Run,
		Plan:            o.Plan,
		Actor:           o.Actor,
		DataVersion:     ev.EventVersion(),
		Data:            data,
	}, nil
}

// Check reports what is wrong with an envelope before it is stored.
func (e Envelope) Check() error {
	var errs []error
	if e.SpecVersion != SpecVersion {
		errs = append(errs, fmt.Errorf("specversion %q, want %q", e.SpecVersion, SpecVersion))
	}
	if e.ID == "" {
		errs = append(errs, errors.New("empty id"))
	}
	if e.Type == "" {
		errs = append(errs, errors.New("empty type"))
	}
	if !ValidID(e.Run) {
		errs = append(errs, fmt.Errorf("run %q is not an id (letters, digits, '-' and '_')", e.Run))
	}
	if e.Subject != "" {
		kind, id, ok := strings.Cut(e.Subject, "/")
		if !ok || !ValidID(kind) || !ValidID(id) {
			errs = append(errs, fmt.Errorf("subject %q is not of the form kind/id", e.Subject))
		}
	}
	if e.Time.IsZero() {
		errs = append(errs, errors.New("zero time"))
	}
	if e.PrevHash != "" && !hashPattern.MatchString(e.PrevHash) {
		errs = append(errs, fmt.Errorf("prevhash %q is not a hex SHA-256", e.PrevHash))
	}
	if len(errs) > 0 {
		return fmt.Errorf("events: bad envelope %s: %w", e.ID, errors.Join(errs...))
	}
	return nil
}

// Topic is the envelope's address within its run's part of the log:
// "kind.id" for an event about something ("step.unrack-web1"), else the type
// without its "dcmove." prefix ("cutover.started").
func (e Envelope) Topic() string {
	if e.Subject == "" {
		return strings.TrimPrefix(e.Type, "dcmove.")
	}
	return strings.Replace(e.Subject, "/", ".", 1)
}

// SubjectID returns the id part of the subject ("unrack-web1" for
// "step/unrack-web1"), or "" for run-wide events.
func (e Envelope) SubjectID() string {
	_, id, _ := strings.Cut(e.Subject, "/")
	return id
}

// Decode returns the typed payload of the record, upcast to the current
// version of its type. It returns an error wrapping [ErrUnknownType] for types
// this binary does not know (a newer dcmove wrote them): folds skip those.
func (e Envelope) Decode() (Event, error) {
	t, ok := catalog[e.Type]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, e.Type)
	}
	ev, err := t.decode(e.DataVersion, e.Data)
	if err != nil {
		return nil, fmt.Errorf("events: decode %s v%d (id %s): %w", e.Type, e.DataVersion, e.ID, err)
	}
	return ev, nil
}
