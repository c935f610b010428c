package events

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The chain makes a run's log tamper-evident: every event carries the id and
// the hash of the event before it in its run (PrevID, PrevHash), so an event
// altered, removed, inserted or moved after the fact no longer fits the
// event that follows it. [Verify] walks a run and names the first event that
// does not fit.
//
// The chain covers what was written before its last event: an event cut off
// the end of a run, or added after it, leaves no trace in the chain. Keep the
// [Report.Head] of a verified run somewhere else (the post-mortem, a ticket)
// to detect that too.

// ErrTampered means a run's chain is broken: an event was altered, removed,
// inserted or moved since it was written.
var ErrTampered = errors.New("events: the run's chain is broken")

// toolActor is the actor of the events dcmove records by itself.
const toolActor = "dcmove"

// serverFired reports whether e may arrive unchained: a timer the server
// fires (the end of a cool-down) is written by the server, not by a dcmove
// command, and cannot know the run's last event when it lands.
func serverFired(e Envelope) bool {
	return e.Type == TypeCooldownElapsed && e.Actor == toolActor && e.PrevID == "" && e.PrevHash == ""
}

// Canonical returns the form of e that [Envelope.Hash] hashes. It depends on
// the envelope's attributes only, not on how its JSON was laid out when
// stored, so a copy of the log verifies as the log does. It is the JSON
// object, without spaces, of these members in this order, each always
// present:
//
//	specversion, id, source, type, subject, time, datacontenttype, run,
//	plan, actor, dataversion, previd, prevhash, data
//
// Strings are quoted with '"' and '\' escaped by a '\' and the characters
// below U+0020 as \u00XX (lowercase hex); every other character is written
// as itself in UTF-8 (a byte that is not UTF-8 as U+FFFD). time is RFC 3339
// in UTC with the fraction of a second it has, down to the nanosecond, and
// no trailing zeros ("2026-12-05T07:00:00Z", "2026-12-05T07:00:00.5Z").
// dataversion is a decimal integer. data is the payload's JSON as stored:
// without insignificant spaces, with <, >, &, U+2028 and U+2029 in its
// strings escaped as \u003c, \u003e, \u0026, \u2028 and \u2029 (as
// encoding/json stores them), or null when the event has none.
func (e Envelope) Canonical() []byte {
	b := make([]byte, 0, 320+len(e.Data))
	b = append(b, '{')
	member := func(name string, first bool) {
		if !first {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	str := func(name, v string) {
		member(name, name == "specversion")
		b = appendCanonicalString(b, v)
	}
	str("specversion", e.SpecVersion)
	str("id", e.ID)
	str("source", e.Source)
	str("type", e.Type)
	str("subject", e.Subject)
	str("time", e.Time.UTC().Format(time.RFC3339Nano))
	str("datacontenttype", e.DataContentType)
	str("run", e.Run)
	str("plan", e.Plan)
	str("actor", e.Actor)
	member("dataversion", false)
	b = strconv.AppendInt(b, int64(e.DataVersion), 10)
	str("previd", e.PrevID)
	str("prevhash", e.PrevHash)
	member("data", false)
	b = appendCanonicalData(b, e.Data)
	return append(b, '}')
}

// Hash returns the hex SHA-256 of the envelope's [Envelope.Canonical] form:
// what the next event of its run carries as PrevHash.
func (e Envelope) Hash() string {
	sum := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(sum[:])
}

func appendCanonicalString(b []byte, s string) []byte {
	const digits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', digits[c>>4], digits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func appendCanonicalData(b []byte, data json.RawMessage) []byte {
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		// Not JSON: an envelope that cannot be stored (Append rejects it)
		// or was not read from JSON. Hash it as it is.
		compact.Reset()
		compact.Write(data)
	}
	if compact.Len() == 0 {
		return append(b, "null"...)
	}
	var out bytes.Buffer
	json.HTMLEscape(&out, compact.Bytes())
	return append(b, out.Bytes()...)
}

// Link is where the next event of a run attaches to its chain: the id and
// the hash of the run's last event. The zero Link is the start of a run.
type Link struct {
	ID, Hash string
}

// LinkTo returns the link that follows e.
func LinkTo(e Envelope) Link { return Link{ID: e.ID, Hash: e.Hash()} }

// Chain sets PrevID and PrevHash on evs: the first follows l, each other
// one the one before it. It returns the link that follows the last one.
//
// A command chains what it appends to the last record of the run it read,
// and appends with that record's sequence as expectation, so the chain and
// the order of the log agree: if the run moved on, the append is refused and
// the command reads and chains again.
func (l Link) Chain(evs []Envelope) Link {
	for i := range evs {
		evs[i].PrevID, evs[i].PrevHash = l.ID, l.Hash
		l = LinkTo(evs[i])
	}
	return l
}

// Tamper is how a run's chain was broken.
type Tamper int

// What [Verify] finds.
const (
	// Altered: the event is not what it was when the next one was
	// written (a payload or an attribute changed), or it cannot be read.
	Altered Tamper = iota + 1
	// Removed: the event the named one follows is not in the run.
	Removed
	// Inserted: the event was not part of the run's chain: no event
	// follows it, it repeats another's id, or it carries no chain and is
	// not a timer the server fired.
	Inserted
	// Reordered: the event is in the run, but not where the chain puts it.
	Reordered
)

var tamperNames = [...]string{Altered: "altered", Removed: "removed", Inserted: "inserted", Reordered: "reordered"}

func (t Tamper) String() string {
	if t < Altered || int(t) >= len(tamperNames) {
		return "tampered"
	}
	return tamperNames[t]
}

// ForeignTo returns why r is not a dcmove event of run, or nil when it is
// one (however it may be altered or out of place: [Verify] checks that). A
// record is foreign when:
//   - it does not decode as a dcmove envelope: junk bytes, JSON that is not
//     an envelope, an envelope missing what every event holds
//     ([Record.Malformed]);
//   - its envelope names another run than the one whose subject holds it;
//   - it is an envelope of a type this dcmove does not know that carries
//     no chain (previd, prevhash): every event dcmove writes carries one
//     but the first of a run and the timers the server fires, which are of
//     known types. An envelope of the run that carries a chain is a dcmove
//     event whatever its type (a newer dcmove wrote it).
//
// An empty run matches any run. Commands never chain to a foreign record,
// and the chain of the run's events leaves them out: they are evidence
// that something else wrote on the run's subject, not part of the run.
func (r Record) ForeignTo(run string) error {
	switch {
	case r.Malformed != nil:
		return r.Malformed
	case run != "" && r.Run != run:
		return fmt.Errorf("an envelope of run %q, not %q", r.Run, run)
	case r.PrevID == "" && r.PrevHash == "" && !knownType(r.Type):
		return fmt.Errorf("an envelope of unknown type %q that carries no chain", r.Type)
	}
	return nil
}

// knownType reports whether typ is in the catalog.
func knownType(typ string) bool {
	catalogMu.RLock()
	defer catalogMu.RUnlock()
	_, ok := catalog[typ]
	return ok
}

// ForeignRecord is a record on a run's subject that is not a dcmove event
// of the run (see [Record.ForeignTo]).
type ForeignRecord struct {
	Record
	// Why says what the record is instead.
	Why error
}

// Error says where the foreign record is and what it is: "seq 34: foreign
// message (not a dcmove event): …".
func (f ForeignRecord) Error() string { return fmt.Sprintf("seq %d: %s", f.Seq, f.What()) }

// What says what the record is, on one line: "foreign message (not a
// dcmove event): …".
func (f ForeignRecord) What() string {
	return "foreign message (not a dcmove event): " + strings.ReplaceAll(fmt.Sprint(f.Why), "\n", "; ")
}

// Report is what [Verify] found in a run.
type Report struct {
	Run string
	// Events is how many records the run holds, foreign ones included.
	Events int
	// First and Last are the run's first and last dcmove events: the ends
	// of its chain (zero when the run has none).
	First, Last Record
	// Head is the hash of the last event when the chain is intact: keep it
	// elsewhere to detect later an event cut off the end of the run.
	Head string
	// Foreign are the records on the run's subject that are not dcmove
	// events of the run (see [Record.ForeignTo]), in log order. The chain
	// leaves them out: the events around them still verify. Any of them
	// fails the run's verification: something else wrote on its subject.
	Foreign []ForeignRecord
	// Break is the first place where the chain does not hold; nil when it
	// is intact.
	Break *Break
	// Signed marks a run whose crew lists keys: every event must be
	// signed by the key of its actor. Unsigned names each event that is
	// not: unsigned, signed by someone else, or altered since it was
	// signed (see [SignedBy]), in log order.
	Signed   bool
	Unsigned []BadSignature
}

// BadSignature is an event of a run that requires signatures that is not
// signed by its actor.
type BadSignature struct {
	Event Record
	// Err wraps [ErrUnsigned], [ErrBadSignature] or [ErrWrongSigner].
	Err error
}

// Error names the event and what is wrong with its signature.
func (b BadSignature) Error() string {
	what := "is not signed by its actor"
	switch {
	case errors.Is(b.Err, ErrUnsigned):
		what = "is unsigned"
	case errors.Is(b.Err, ErrWrongSigner):
		what = "is signed by someone else"
	case errors.Is(b.Err, ErrBadSignature):
		what = "was altered since it was signed (its signature does not verify)"
	}
	actor := b.Event.Actor
	if actor == "" {
		actor = "nobody"
	}
	return fmt.Sprintf("%s by %s %s: %v", DescribeRecord(b.Event), actor, what, b.Err)
}

// OK reports whether the run's chain is intact, no foreign record is on
// its subject and, on a run that requires signatures, every event is
// signed by its actor.
func (r Report) OK() bool { return r.Break == nil && len(r.Unsigned) == 0 && len(r.Foreign) == 0 }

// Err returns the break, the events not signed by their actors, or the
// foreign records, as an error wrapping [ErrTampered], or nil.
func (r Report) Err() error {
	if r.Break != nil {
		return r.Break
	}
	if len(r.Unsigned) > 0 {
		return &SignatureErrors{Unsigned: r.Unsigned}
	}
	if len(r.Foreign) > 0 {
		return &ForeignErrors{Foreign: r.Foreign}
	}
	return nil
}

// ForeignErrors is [Report.Err] for foreign records on a run's subject: it
// matches [ErrTampered] and names each record, one per line.
type ForeignErrors struct{ Foreign []ForeignRecord }

func (e *ForeignErrors) Error() string {
	lines := make([]string, len(e.Foreign))
	for i, f := range e.Foreign {
		lines[i] = f.Error()
	}
	return fmt.Sprintf("%d foreign message(s) on the run's subject, written by something other than dcmove:\n  %s", len(e.Foreign), strings.Join(lines, "\n  "))
}

// Is makes the errors match [ErrTampered].
func (e *ForeignErrors) Is(target error) bool { return target == ErrTampered }

// SignatureErrors is [Report.Err] for events not signed by their actors:
// it matches [ErrTampered] and names each event, one per line.
type SignatureErrors struct{ Unsigned []BadSignature }

func (e *SignatureErrors) Error() string {
	lines := make([]string, len(e.Unsigned))
	for i, b := range e.Unsigned {
		lines[i] = b.Error()
	}
	return fmt.Sprintf("%d event(s) not signed by their actors:\n  %s", len(e.Unsigned), strings.Join(lines, "\n  "))
}

// Is makes the errors match [ErrTampered].
func (e *SignatureErrors) Is(target error) bool { return target == ErrTampered }

// checkSignatures fills rep.Signed and rep.Unsigned: on a run whose first
// dcmove.cutover.started lists crew keys, every record must be signed by
// its actor's key. The start itself is checked against the crew it lists.
// recs are the run's dcmove events: foreign records are reported as such,
// not as unsigned. An unsigned event that is a well-formed envelope of the
// run is a dcmove event (forged, or altered since it was signed): the chain
// checks it, and it is named here.
func checkSignatures(rep *Report, recs []Record) {
	var crew []Member
	for _, r := range recs {
		if r.Malformed != nil || r.Type != TypeCutoverStarted {
			continue
		}
		if ev, err := r.Decode(); err == nil {
			crew = ev.(CutoverStarted).Crew
		}
		break
	}
	if !RequiresKeys(crew) {
		return
	}
	rep.Signed = true
	for _, r := range recs {
		if r.Malformed != nil {
			continue // the chain names it
		}
		if err := SignedBy(r.Envelope, crew); err != nil {
			rep.Unsigned = append(rep.Unsigned, BadSignature{Event: r, Err: err})
		}
	}
}

// Break is the first event of a run that does not fit its chain.
type Break struct {
	Kind Tamper
	// Event is the event named: the one altered, inserted or out of place;
	// for [Removed], the one right after the gap.
	Event Record
	// Missing is, for [Removed], the id of the event missing before Event.
	Missing string
	// Reason says what does not fit, for people.
	Reason string
	// Intact is how many events before Event fit the chain.
	Intact int
}

// Error says which event does not fit and why: "seq 12 (2026-12-05T08:10:00Z,
// dcmove.step.completed, step/capture) was altered: …".
func (b *Break) Error() string {
	if b.Kind == Removed {
		return fmt.Sprintf("an event was removed before %s: %s", DescribeRecord(b.Event), b.Reason)
	}
	return fmt.Sprintf("%s was %s: %s", DescribeRecord(b.Event), b.Kind, b.Reason)
}

// Is makes a break match [ErrTampered].
func (b *Break) Is(target error) bool { return target == ErrTampered }

// DescribeRecord names a record for people: its sequence, time (UTC), type
// and subject, as "seq 12 (2026-12-05T08:10:00Z, dcmove.step.completed,
// step/capture)".
func DescribeRecord(r Record) string {
	s := fmt.Sprintf("seq %d (%s, %s", r.Seq, r.Time.UTC().Format(time.RFC3339), r.Type)
	if r.Malformed != nil {
		s = fmt.Sprintf("seq %d (unreadable", r.Seq)
	}
	if r.Subject != "" {
		s += ", " + r.Subject
	}
	return s + ")"
}

// Verify walks the records of run in log order and checks its chain. The
// error is for a log that could not be read; a broken chain is the report's
// [Report.Break]. On a run whose crew lists keys it also checks that every
// event is signed by its actor's key ([Report.Unsigned]).
//
// Records on the run's subject that are not dcmove events of the run
// ([Record.ForeignTo]) are listed in [Report.Foreign] and left out of the
// chain: the rules below are about the run's dcmove events, and "the event
// before" is the dcmove event before, whatever foreign records lie between.
// A foreign record where the chain misses an event (the next event chains
// to an id that is nowhere in the run) is that event altered past reading:
// it is the [Altered] break, not a foreign record.
//
// The rules, event by event:
//   - The first event of the run has no PrevID and PrevHash.
//   - Every other event carries the id and [Envelope.Hash] of the dcmove
//     event right before it in the run, whatever that event is.
//   - Only the timers the server fires (dcmove.cooldown.elapsed by actor
//     "dcmove") may carry no chain: the event after one must chain to it,
//     so removing one is seen. Those the next command records when due are
//     chained like any other event.
//   - An id appears once, but for a timer the server fired twice: its copies
//     are the same event (the same hash), and which copy the next event
//     chains to does not matter.
//
// When an event does not chain to the record before it, Verify says why:
// the record before it is there under another hash ([Altered], the record
// before is named); the event it chains to is elsewhere in the run
// ([Reordered], or [Inserted] for records that no event chains to); or it is
// nowhere ([Removed], the event after the gap is named).
func Verify(ctx context.Context, l Log, run string) (Report, error) {
	var recs []Record
	for r, err := range l.Read(ctx, run, 0) {
		if err != nil {
			return Report{Run: run}, fmt.Errorf("verify run %s: %w", run, err)
		}
		recs = append(recs, r)
	}
	return verify(run, recs), nil
}

// chainWalk is Verify over records in memory.
type chainWalk struct {
	recs     []Record // the run's dcmove events
	hash     []string
	byHash   map[string]int  // hash -> first position
	byID     map[string]int  // id -> first position
	followed map[string]bool // hashes some event chains to
	// before[k] are the foreign records between event k-1 and event k.
	before [][]ForeignRecord
}

func verify(run string, all []Record) (rep Report) {
	rep = Report{Run: run, Events: len(all)}
	if len(all) == 0 {
		return rep
	}
	var (
		recs    []Record
		before  [][]ForeignRecord
		pending []ForeignRecord
	)
	for _, r := range all {
		if why := r.ForeignTo(run); why != nil {
			pending = append(pending, ForeignRecord{Record: r, Why: why})
			continue
		}
		recs = append(recs, r)
		before = append(before, pending)
		pending = nil
	}
	defer func() { // the walk takes from before the foreign records it names as altered events
		for _, fs := range before {
			rep.Foreign = append(rep.Foreign, fs...)
		}
		rep.Foreign = append(rep.Foreign, pending...)
	}()
	if len(recs) == 0 {
		return rep
	}
	rep.First, rep.Last = recs[0], recs[len(recs)-1]
	checkSignatures(&rep, recs)
	w := chainWalk{
		recs: recs, hash: make([]string, len(recs)),
		byHash: map[string]int{}, byID: map[string]int{}, followed: map[string]bool{},
		before: before,
	}
	for i, r := range recs {
		w.hash[i] = r.Hash()
		if _, ok := w.byHash[w.hash[i]]; !ok {
			w.byHash[w.hash[i]] = i
		}
		if r.PrevHash != "" {
			w.followed[r.PrevHash] = true
		}
	}
	for k := range recs {
		if b := w.check(k); b != nil {
			b.Intact = min(k, w.position(b.Event))
			rep.Break = b
			return rep
		}
		if _, ok := w.byID[recs[k].ID]; !ok {
			w.byID[recs[k].ID] = k
		}
	}
	rep.Head = w.hash[len(recs)-1]
	return rep
}

// position returns where r is in the walk.
func (w *chainWalk) position(r Record) int {
	for i := range w.recs {
		if w.recs[i].Seq == r.Seq {
			return i
		}
	}
	return len(w.recs)
}

// prev returns the link an event at position k must carry.
func (w *chainWalk) prev(k int) Link {
	if k == 0 {
		return Link{}
	}
	return Link{ID: w.recs[k-1].ID, Hash: w.hash[k-1]}
}

// check returns what is wrong at position k, or nil, given that the
// records before k fit.
func (w *chainWalk) check(k int) *Break {
	r := w.recs[k]
	if j, seen := w.byID[r.ID]; seen {
		if !serverFired(r.Envelope) || w.hash[j] != w.hash[k] {
			return &Break{Kind: Inserted, Event: r, Reason: fmt.Sprintf("it repeats the id %s of %s, and only a timer the server fired twice may", r.ID, DescribeRecord(w.recs[j]))}
		}
	}
	if r.PrevID == "" && r.PrevHash == "" {
		return w.checkUnchained(k)
	}
	want := w.prev(k)
	if r.PrevHash == want.Hash {
		if r.PrevID != want.ID {
			return &Break{Kind: Altered, Event: r, Reason: fmt.Sprintf("its previd %q no longer names the event before it (%s)", r.PrevID, want.ID)}
		}
		return nil
	}
	if k > 0 && r.PrevID == want.ID {
		p := w.recs[k-1]
		return &Break{Kind: Altered, Event: p, Reason: fmt.Sprintf("it changed since %s was chained to it (its hash is %s, the chain says %s)", DescribeRecord(r), short(w.hash[k-1]), short(r.PrevHash))}
	}
	j, found := w.byHash[r.PrevHash]
	if !found && r.PrevID != "" {
		j, found = w.idAt(r.PrevID, k)
	}
	if !found || j == k {
		if fs := w.before[k]; len(fs) > 0 {
			// A foreign record lies where the event it chains to was:
			// that event was altered past reading as a dcmove event of
			// the run.
			f := fs[len(fs)-1]
			w.before[k] = fs[:len(fs)-1]
			return &Break{Kind: Altered, Event: f.Record, Reason: fmt.Sprintf("it can no longer be read as a dcmove event of the run (%v), and %s was chained to an event %s here", f.Why, DescribeRecord(r), orNone(r.PrevID))}
		}
		b := &Break{Kind: Removed, Event: r, Missing: r.PrevID}
		if k == 0 {
			b.Reason = fmt.Sprintf("it is the first event of the run, yet follows event %s, which is not in the run: the start of the run is missing", r.PrevID)
		} else {
			b.Reason = fmt.Sprintf("it follows event %s, which is not in the run: it was after %s", r.PrevID, DescribeRecord(w.recs[k-1]))
		}
		return b
	}
	if j > k {
		return &Break{Kind: Reordered, Event: r, Reason: fmt.Sprintf("it follows %s, which comes after it in the log", DescribeRecord(w.recs[j]))}
	}
	// The event chains to an earlier one: what lies between does not
	// belong here.
	x := w.recs[j+1]
	if w.followed[w.hash[j+1]] {
		return &Break{Kind: Reordered, Event: x, Reason: fmt.Sprintf("it is out of place: %s follows %s directly", DescribeRecord(r), DescribeRecord(w.recs[j]))}
	}
	return &Break{Kind: Inserted, Event: x, Reason: fmt.Sprintf("no event chains to it: %s follows %s directly", DescribeRecord(r), DescribeRecord(w.recs[j]))}
}

// checkUnchained judges an event with no chain at position k.
func (w *chainWalk) checkUnchained(k int) *Break {
	r := w.recs[k]
	if k == 0 || serverFired(r.Envelope) {
		// The start of the run, or a timer the server fired: the event
		// after it must chain to it.
		return nil
	}
	if k+1 < len(w.recs) {
		n := w.recs[k+1]
		switch {
		case n.PrevHash == w.hash[k]:
			// A second start of a chain, which the events after it
			// follow: the events before it are not part of it.
			return &Break{Kind: Inserted, Event: w.recs[0], Reason: fmt.Sprintf("the run's chain starts again at %s: the %d event(s) from here to it are not part of it", DescribeRecord(r), k)}
		case n.PrevID == r.ID:
			return &Break{Kind: Altered, Event: r, Reason: fmt.Sprintf("its chain was stripped: it carries no prevhash, and %s was chained to another version of it", DescribeRecord(n))}
		}
	}
	return &Break{Kind: Inserted, Event: r, Reason: "it carries no chain (previd, prevhash) and is not a timer the server fired; or a dcmove older than the chain wrote it"}
}

// idAt returns the position of the event with id, other than k.
func (w *chainWalk) idAt(id string, k int) (int, bool) {
	for i, r := range w.recs {
		if i != k && r.ID == id {
			return i, true
		}
	}
	return 0, false
}

// orNone quotes an id, or says there is none.
func orNone(id string) string {
	if id == "" {
		return "(no previd)"
	}
	return id
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
