package events

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

func testUser(t *testing.T) (nkeys.KeyPair, string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	return kp, pub
}

func TestSignatureRoundTrip(t *testing.T) {
	kp, pub := testUser(t)
	e, err := New(time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC), Origin{Run: "r", Plan: "p", Actor: "Ana"}, "step/go", GateSigned{Gate: "go", Role: "lead", Decision: "go"})
	if err != nil {
		t.Fatal(err)
	}
	Link{ID: "before", Hash: strings.Repeat("a", 64)}.Chain([]Envelope{e})
	canonical, hash := string(e.Canonical()), e.Hash()
	if err := e.VerifySignature(); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("unsigned: %v", err)
	}
	if err := Sign(&e, kp); err != nil {
		t.Fatal(err)
	}
	if e.Signer != pub || e.Signature == "" {
		t.Fatalf("signed by %q: %q", e.Signer, e.Signature)
	}
	// The signature is outside the canonical form: the chain is the same.
	if string(e.Canonical()) != canonical || e.Hash() != hash {
		t.Fatal("signing changed the canonical form")
	}
	// It survives storage as JSON.
	b, _ := json.Marshal(e)
	if !strings.Contains(string(b), `"signer":"`+pub+`"`) {
		t.Fatalf("stored form: %s", b)
	}
	var back Envelope
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.VerifySignature(); err != nil {
		t.Fatal(err)
	}
	altered := back
	altered.Actor = "Bob"
	if err := altered.VerifySignature(); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered: %v", err)
	}
	crew := []Member{{Name: "Ana", Key: pub}}
	if err := SignedBy(back, crew); err != nil {
		t.Fatal(err)
	}
	_, bob := testUser(t)
	crew = append(crew, Member{Name: "Bob", Key: bob})
	if err := SignedBy(altered, crew); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered, by crew: %v", err)
	}
	other := back
	other.Actor = "Bob"
	if err := Sign(&other, kp); err != nil {
		t.Fatal(err)
	}
	if err := SignedBy(other, crew); !errors.Is(err, ErrWrongSigner) || !strings.Contains(err.Error(), `it says "Bob" acted, but it is signed with the key of "Ana"`) {
		t.Fatalf("Bob's event signed by Ana: %v", err)
	}
	tool := back
	tool.Actor = toolActor
	Sign(&tool, kp)
	if err := SignedBy(tool, crew); err != nil {
		t.Fatalf("dcmove's event signed by a crew key: %v", err)
	}
	stranger, _ := testUser(t)
	Sign(&tool, stranger)
	if err := SignedBy(tool, crew); !errors.Is(err, ErrWrongSigner) || !strings.Contains(err.Error(), "not the key of anyone in the run's crew") {
		t.Fatalf("signed by a stranger: %v", err)
	}
	// A run without keys checks nothing.
	if err := SignedBy(Envelope{}, []Member{{Name: "Ana"}}); err != nil {
		t.Fatal(err)
	}
}

// verify names every event of a run with keys that is not signed by its
// actor, and says how; the chain itself is intact.
func TestVerifySignatures(t *testing.T) {
	ana, anaPub := testUser(t)
	bob, bobPub := testUser(t)
	at := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	mk := func(actor string, ev Event, subject string) Envelope {
		e, err := New(at, Origin{Run: "r", Plan: "p", Actor: actor}, subject, ev)
		if err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Minute)
		return e
	}
	evs := []Envelope{
		mk("Ana", CutoverStarted{Plan: "p", Crew: []Member{{Name: "Ana", Roles: []string{"lead"}, Key: anaPub}, {Name: "Bob", Roles: []string{"tech"}, Key: bobPub}}, Lead: "Ana"}, ""),
		mk("Bob", StepStarted{Step: "a"}, "step/a"),
		mk("Ana", GateSigned{Gate: "go", Role: "lead", Decision: "go"}, "step/go"), // signed by Bob
		mk("Ana", GateSigned{Gate: "go", Role: "lead", Decision: "go"}, "step/go"), // unsigned
		mk("Bob", StepCompleted{Step: "a"}, "step/a"),                              // altered after signing
	}
	Link{}.Chain(evs)
	for i, k := range []nkeys.KeyPair{ana, bob, bob, nil, bob} {
		if k != nil {
			Sign(&evs[i], k)
		}
	}
	evs[4].Time = evs[4].Time.Add(time.Hour) // the last event: no chain sees it
	recs := make([]Record, len(evs))
	for i, e := range evs {
		recs[i] = Record{Envelope: e, Seq: uint64(i + 1)}
	}
	rep := verify("r", recs)
	if rep.Break != nil || !rep.Signed || len(rep.Unsigned) != 3 {
		t.Fatalf("report: break %v, signed %v, unsigned %v", rep.Break, rep.Signed, rep.Unsigned)
	}
	for i, want := range []string{
		"seq 3 (2026-12-05T07:02:00Z, dcmove.gate.signed, step/go) by Ana is signed by someone else",
		"seq 4 (2026-12-05T07:03:00Z, dcmove.gate.signed, step/go) by Ana is unsigned",
		"seq 5 (2026-12-05T08:04:00Z, dcmove.step.completed, step/a) by Bob was altered since it was signed",
	} {
		if got := rep.Unsigned[i].Error(); !strings.HasPrefix(got, want) {
			t.Errorf("%d: %s\nwant %s…", i, got, want)
		}
	}
	if rep.OK() || !errors.Is(rep.Err(), ErrTampered) {
		t.Fatalf("OK %v, Err %v", rep.OK(), rep.Err())
	}
	// Without keys in the crew, nothing is checked.
	rep = verify("r", recs[1:2])
	if rep.Signed || len(rep.Unsigned) != 0 {
		t.Fatalf("a run without a start with keys: %+v", rep)
	}
}
