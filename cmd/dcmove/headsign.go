package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nkeys"
)

// The post-migration report carries the run's head signed by the lead
// when the report is made: an ed25519 signature by the lead's NKey over
// [events.HeadStatement]. audit verify --head SEQ:HASH --head-signature SIG
// checks it later against the lead's key in the run's crew.

// runLeads returns who leads a run: its lead, or, when the plan names
// none, every crew member with the lead role (as the guards decide).
func runLeads(lead string, crew []events.Member) []string {
	if lead != "" {
		return []string{lead}
	}
	var out []string
	for _, m := range crew {
		if slices.Contains(m.Roles, events.RoleLead) {
			out = append(out, m.Name)
		}
	}
	return out
}

// leadNames says who leads, for messages: "Claire Martin".
func leadNames(leads []string) string {
	if len(leads) == 0 {
		return "nobody: the plan names no lead"
	}
	return strings.Join(leads, " or ")
}

// signHead signs the head of the run s is the model of with key, for the
// report. On a run whose crew lists keys, only the lead's key may sign: any
// other is refused ([runbooks.ErrRefused]).
func signHead(run string, s *projections.Status, key nkeys.KeyPair) (*projections.HeadSignature, error) {
	pub, err := key.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("sign the report's head: %w", err)
	}
	hs := &projections.HeadSignature{Statement: events.HeadStatement(run, s.LastSeq, s.Head().Hash), Key: pub}
	if events.RequiresKeys(s.Crew) {
		leads := runLeads(s.Lead, s.Crew)
		name, ok := events.KeyOwner(s.Crew, pub)
		switch {
		case !ok:
			return nil, runbooks.Refuse("the lead (%s) signs the report of run %s: the key given (%s) is not in the run's crew; "+
				"give the lead's key with --key, or leave --key out for an unsigned report", leadNames(leads), run, events.ShortKey(pub))
		case !slices.Contains(leads, name):
			return nil, runbooks.Refuse("the lead (%s) signs the report of run %s: the key given is %s's; "+
				"give the lead's key with --key, or leave --key out for an unsigned report", leadNames(leads), run, name)
		}
		hs.By = name
	}
	sig, err := key.Sign([]byte(hs.Statement))
	if err != nil {
		return nil, fmt.Errorf("sign the report's head: %w", err)
	}
	hs.Signature = base64.RawURLEncoding.EncodeToString(sig)
	return hs, nil
}

// checkHeadSignature checks that sig is the signature by the key of the
// lead of the run started by start over the statement for the head seq,
// hash. A signature that does not verify is an error matching
// [events.ErrTampered]; a run whose crew lists no keys, or a signature
// that is not base64url, is bad input.
func checkHeadSignature(run string, start events.CutoverStarted, seq uint64, hash, sig string) (string, error) {
	stmt := events.HeadStatement(run, seq, hash)
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimSpace(sig), "="))
	if err != nil {
		return "", usagef("--head-signature is not a signature: give it in base64url as the report printed it (%v)", err)
	}
	if len(raw) != ed25519.SignatureSize {
		return "", usagef("--head-signature is not a signature: it holds %d bytes, an ed25519 signature %d; give it whole, as the report printed it", len(raw), ed25519.SignatureSize)
	}
	if !events.RequiresKeys(start.Crew) {
		return "", keyErrorf("the head signature cannot be checked against the plan: run %s lists no crew keys, so no key is the lead's "+
			"(a signature with a key the plan did not record says nothing of who signed)", run)
	}
	leads := runLeads(start.Lead, start.Crew)
	verifies := func(pub string) bool {
		kp, err := nkeys.FromPublicKey(pub)
		return err == nil && kp.Verify([]byte(stmt), raw) == nil
	}
	var keyless []string
	for _, m := range start.Crew {
		if !slices.Contains(leads, m.Name) {
			continue
		}
		if m.Key == "" {
			keyless = append(keyless, m.Name)
			continue
		}
		if verifies(m.Key) {
			return fmt.Sprintf("signed by %s, the lead (%s), over %q", m.Name, events.ShortKey(m.Key), stmt), nil
		}
	}
	for _, m := range start.Crew {
		if m.Key != "" && !slices.Contains(leads, m.Name) && verifies(m.Key) {
			return "", &headError{fmt.Sprintf("the head signature is by %s's key (%s), not the lead's (%s): the lead signs the report",
				m.Name, events.ShortKey(m.Key), leadNames(leads))}
		}
	}
	if len(keyless) > 0 && len(keyless) == len(leads) {
		return "", keyErrorf("the head signature cannot be checked against the plan: the lead (%s) has no key in run %s's crew", leadNames(leads), run)
	}
	return "", &headError{fmt.Sprintf("the head signature is not the lead's (%s) over %q: it is over another head, or by a key not in the run's crew, or was altered",
		leadNames(leads), stmt)}
}
