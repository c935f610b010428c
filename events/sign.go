package events

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/nats-io/nkeys"
)

// Signing: on a run whose plan lists crew keys, every event carries the
// public user NKey of who signed it (Signer) and an ed25519 signature by
// that key over the event's [Envelope.Canonical] form (Signature, base64url
// without padding). The canonical form includes the previous event's hash,
// so a signature also commits to everything before the event in its run.
// Signer and Signature are not part of the canonical form, so the hash
// chain is the same with and without signatures.

// Signer signs events: an NKey pair holding a user seed.
type Signer interface {
	PublicKey() (string, error)
	Sign(input []byte) ([]byte, error)
}

// ErrUnsigned is wrapped by [Envelope.VerifySignature] when an event
// carries no signature.
var ErrUnsigned = errors.New("events: the event is not signed")

// ErrBadSignature is wrapped by [Envelope.VerifySignature] when an event's
// signature does not verify against its signer: the event was altered
// since it was signed, or the signature was not made by that key.
var ErrBadSignature = errors.New("events: the event's signature does not verify")

// Sign sets e's Signer and Signature: the key's public key and its
// signature over e's canonical form. Sign an event after it is chained
// (PrevID and PrevHash set): the signature covers them.
func Sign(e *Envelope, key Signer) error {
	pub, err := key.PublicKey()
	if err != nil {
		return fmt.Errorf("events: sign %s: %w", e.ID, err)
	}
	sig, err := key.Sign(e.Canonical())
	if err != nil {
		return fmt.Errorf("events: sign %s: %w", e.ID, err)
	}
	e.Signer, e.Signature = pub, base64.RawURLEncoding.EncodeToString(sig)
	return nil
}

// VerifySignature checks e's signature against its Signer. It does not say
// whether the signer may act for e's actor: that is the run's crew's
// business (see [CrewKeys]).
func (e Envelope) VerifySignature() error {
	if e.Signature == "" || e.Signer == "" {
		return fmt.Errorf("%w (%s)", ErrUnsigned, e.ID)
	}
	if !nkeys.IsValidPublicUserKey(e.Signer) {
		return fmt.Errorf("%w: its signer %q is not a public user NKey", ErrBadSignature, e.Signer)
	}
	sig, err := base64.RawURLEncoding.DecodeString(e.Signature)
	if err != nil {
		return fmt.Errorf("%w: the signature is not base64url: %v", ErrBadSignature, err)
	}
	kp, err := nkeys.FromPublicKey(e.Signer)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if err := kp.Verify(e.Canonical(), sig); err != nil {
		return fmt.Errorf("%w: it was altered since it was signed, or not signed by %s", ErrBadSignature, ShortKey(e.Signer))
	}
	return nil
}

// ShortKey shortens a public key for messages: "UABC…WXYZ".
func ShortKey(k string) string {
	if len(k) <= 12 {
		return k
	}
	return k[:6] + "…" + k[len(k)-4:]
}

// KeyOwner returns the name of the crew member whose key is pub.
func KeyOwner(crew []Member, pub string) (string, bool) {
	for _, m := range crew {
		if m.Key != "" && m.Key == pub {
			return m.Name, true
		}
	}
	return "", false
}

// RequiresKeys reports whether a crew lists keys: then every event of the
// run must be signed by the key of its actor.
func RequiresKeys(crew []Member) bool {
	for _, m := range crew {
		if m.Key != "" {
			return true
		}
	}
	return false
}

// SignedBy reports why e, on a run with that crew, may not be taken as its
// actor's: it is unsigned ([ErrUnsigned]), its signature does not verify
// ([ErrBadSignature]), or its signer is not the key of its actor
// ([ErrWrongSigner]). Events of the tool itself (actor "dcmove": timers,
// records of what is due) may be signed by any crew key. It returns nil
// when the event is signed by its actor's key, and always when no crew
// member has a key (a run without keys: its actions are unsigned).
func SignedBy(e Envelope, crew []Member) error {
	if !RequiresKeys(crew) {
		return nil
	}
	if err := e.VerifySignature(); err != nil {
		return err
	}
	name, ok := KeyOwner(crew, e.Signer)
	if !ok {
		return fmt.Errorf("%w: signed by %s, which is not the key of anyone in the run's crew", ErrWrongSigner, ShortKey(e.Signer))
	}
	if e.Actor != toolActor && name != e.Actor {
		return fmt.Errorf("%w: it says %q acted, but it is signed with the key of %q", ErrWrongSigner, e.Actor, name)
	}
	return nil
}

// ErrWrongSigner is wrapped by [SignedBy] when an event's signature
// verifies but is not by the key of the person it names as its actor.
var ErrWrongSigner = errors.New("events: the event is signed by someone other than its actor")
