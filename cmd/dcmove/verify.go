package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/dcmove/dcmove/events"
	"github.com/urfave/cli/v2"
)

// auditVerifyCommand is `dcmove audit verify`: it checks the run's hash
// chain and names the first event altered, removed, inserted or moved. A
// broken chain is an error wrapping [events.ErrTampered]. With --head, the
// log must also still reach a head kept from an earlier verify.
func (m *Main) auditVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check that no event of the run was altered, removed, inserted or moved since it was written",
		Description: "Every event carries the hash of the one before it in its run. verify walks the run\n" +
			"and names the first event that does not fit, or prints the run's head: the sequence and\n" +
			"hash of its last event. Keep that line elsewhere (the change ticket): an event cut off the\n" +
			"end of a run leaves no trace in the chain, but --head SEQ:HASH finds it later. With\n" +
			"--head-signature SIG (from the footer of a report the lead signed), the head must also be\n" +
			"signed by the lead's key in the run's crew.",
		Flags: append(logFlags(), runFlag(),
			&cli.StringFlag{Name: "head", Usage: "a head kept from an earlier verify (`SEQ:HASH`, HASH, or the line \"head: seq N sha256 H\"): " +
				"fail unless the log still reaches it"},
			&cli.StringFlag{Name: "head-signature", Usage: "with --head: the lead's signature of that head, as a signed report printed it (`SIG`, base64url): " +
				"fail unless it is the lead's, over that head"},
			outputFlag()),
		Action: func(c *cli.Context) error {
			if err := checkOutput(c, "text", "json"); err != nil {
				return err
			}
			var want keptHead
			if s := c.String("head"); s != "" {
				var err error
				if want, err = parseHead(s); err != nil {
					return err
				}
			}
			sig := c.String("head-signature")
			if sig != "" && want.hash == "" {
				return usagef("--head-signature checks the signature of a head: give the head signed with --head SEQ:HASH")
			}
			l, run, err := openReadRun(c)
			if err != nil {
				return err
			}
			defer l.Close()
			rep, err := events.Verify(c.Context, l, run)
			if err != nil {
				return err
			}
			if rep.Events == 0 {
				return noEvents(c, l, run)
			}
			// Foreign messages (not dcmove events) are left out of the
			// chain; they fail the verification too, after the rest.
			var foreign error
			if len(rep.Foreign) > 0 {
				foreign = &events.ForeignErrors{Foreign: rep.Foreign}
			}
			also := ""
			if foreign != nil {
				also = "\nalso " + foreign.Error()
			}
			if b := rep.Break; b != nil {
				return fmt.Errorf("audit verify: run %s: %w (the %d event(s) before it are intact)%s", run, b, b.Intact, also)
			}
			if len(rep.Unsigned) > 0 {
				return fmt.Errorf("audit verify: run %s: the chain is intact, but %w%s", run, rep.Err(), also)
			}
			chained := rep.Events - len(rep.Foreign)
			if chained == 0 {
				return fmt.Errorf("audit verify: run %s holds no dcmove event, but %w", run, foreign)
			}
			doc := verifyDoc{Run: run, Events: chained, Foreign: len(rep.Foreign), Signed: rep.Signed,
				First: events.DescribeRecord(rep.First), Last: events.DescribeRecord(rep.Last),
				Head: headDoc{Seq: rep.Last.Seq, SHA256: rep.Head}}
			if want.hash != "" {
				note, found, err := reachesHead(c.Context, l, run, want)
				if err != nil {
					return fmt.Errorf("audit verify: run %s: %w", run, err)
				}
				doc.KeptHead = note
				if sig != "" {
					note, err := verifyHeadSignature(run, rep.First, want, found, sig)
					if err != nil {
						return fmt.Errorf("audit verify: run %s: %w", run, err)
					}
					doc.HeadSignature = note
				}
			}
			// The chain is intact; foreign messages fail the verification
			// all the same, after the rest is said.
			failed := func() error {
				if foreign == nil {
					return nil
				}
				return fmt.Errorf("audit verify: run %s: the chain of its %d events is intact, but %w", run, chained, foreign)
			}
			if jsonOutput(c) {
				if err := failed(); err != nil {
					return err
				}
				return writeDoc(m.Stdout, "audit-verify", doc)
			}
			if foreign == nil {
				fmt.Fprintf(m.Stdout, "ok: %d events, chain intact from %s to %s\n", chained, doc.First, doc.Last)
			} else {
				fmt.Fprintf(m.Stdout, "chain intact: %d events from %s to %s; %d foreign message(s) left out of it (see below)\n",
					chained, doc.First, doc.Last, len(rep.Foreign))
			}
			if rep.Signed {
				fmt.Fprintf(m.Stdout, "signatures: every event signed by its actor's key in the run's crew\n")
			}
			if doc.KeptHead != "" {
				fmt.Fprintf(m.Stdout, "kept head found: %s\n", doc.KeptHead)
			}
			if doc.HeadSignature != "" {
				fmt.Fprintf(m.Stdout, "head signature: %s\n", doc.HeadSignature)
			}
			fmt.Fprintf(m.Stdout, "head: seq %d sha256 %s\n", rep.Last.Seq, rep.Head)
			fmt.Fprintf(m.Stdout, "keep the head line elsewhere (the change ticket): an event cut off the end leaves no trace in the chain; "+
				"check later with: dcmove audit verify --run %s --head %d:%s\n", run, rep.Last.Seq, rep.Head)
			return failed()
		},
	}
}

// verifyDoc is what audit verify found, as JSON.
type verifyDoc struct {
	Run    string `json:"run"`
	Events int    `json:"events"`
	// Foreign counts the messages in the run's subjects that are not
	// dcmove events (none, or verify fails).
	Foreign       int     `json:"foreign"`
	Signed        bool    `json:"signed"`
	First         string  `json:"first"`
	Last          string  `json:"last"`
	Head          headDoc `json:"head"`
	KeptHead      string  `json:"kept_head,omitempty"`
	HeadSignature string  `json:"head_signature,omitempty"`
}

type headDoc struct {
	Seq    uint64 `json:"seq"`
	SHA256 string `json:"sha256"`
}

// keptHead is a head kept from an earlier verify: the hash of the run's
// last event then (or its first 12 characters and more), and its sequence
// when known.
type keptHead struct {
	seq  uint64
	hash string
}

var (
	headLine = regexp.MustCompile(`^(?:head:\s*)?seq\s+(\d+)\s+sha256\s+([0-9a-fA-F]+)$`)
	headPair = regexp.MustCompile(`^(?:(\d+):)?([0-9a-fA-F]+)$`)
)

func parseHead(s string) (keptHead, error) {
	s = strings.TrimSpace(s)
	m := headLine.FindStringSubmatch(s)
	if m == nil {
		m = headPair.FindStringSubmatch(s)
	}
	if m == nil || len(m[2]) < 12 || len(m[2]) > 64 {
		return keptHead{}, usagef("--head %q is not a head: give SEQ:HASH as audit verify printed it (\"head: seq SEQ sha256 HASH\"), "+
			"or the hash alone (at least its first 12 hex digits)", s)
	}
	h := keptHead{hash: strings.ToLower(m[2])}
	if m[1] != "" {
		seq, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			return keptHead{}, usagef("--head %q: sequence %s: %v", s, m[1], err)
		}
		h.seq = seq
	}
	return h, nil
}

// headError says that the log does not reach a kept head; it matches
// [events.ErrTampered] (exit status 6).
type headError struct{ msg string }

func (e *headError) Error() string        { return e.msg }
func (e *headError) Is(target error) bool { return target == events.ErrTampered }

// reachesHead looks for the kept head among the run's events, whose chain
// is intact. The hash of an event commits to every event before it, so
// finding it means the run is, up to it, what it was when the head was
// kept; the events after it came later. Not finding it means the events up
// to the head were cut off the end, or the run's history was rewritten and
// chained again.
func reachesHead(ctx context.Context, l events.Log, run string, want keptHead) (string, events.Record, error) {
	var (
		found    *events.Record
		atSeq    *events.Record
		after, n int
		last     events.Record
	)
	for r, err := range l.Read(ctx, run, 0) {
		if err != nil {
			return "", events.Record{}, err
		}
		if r.ForeignTo(run) != nil {
			continue // not in the chain: audit verify names it
		}
		n++
		last = r
		if found != nil {
			after++
			continue
		}
		h := r.Hash()
		if strings.HasPrefix(h, want.hash) {
			found = &r
			continue
		}
		if want.seq != 0 && r.Seq == want.seq {
			atSeq = &r
		}
	}
	kept := want.hash
	if want.seq != 0 {
		kept = fmt.Sprintf("seq %d sha256 %s", want.seq, want.hash)
	}
	switch {
	case found != nil:
		note := fmt.Sprintf("%s is %s; %d event(s) were added after it", kept, events.DescribeRecord(*found), after)
		if want.seq != 0 && found.Seq != want.seq {
			note += fmt.Sprintf(" (it is now at seq %d: the log was copied or renumbered, its events are the same)", found.Seq)
		}
		return note, *found, nil
	case atSeq != nil:
		return "", events.Record{}, &headError{fmt.Sprintf("the kept head %s is not in the run: the event at seq %d is now %s with hash %s: "+
			"the run's history up to it was rewritten (and chained again)", kept, want.seq, events.DescribeRecord(*atSeq), short(atSeq.Hash()))}
	case want.seq > last.Seq:
		return "", events.Record{}, &headError{fmt.Sprintf("the kept head %s is not in the run, which ends at %s: the log does not reach the head; "+
			"events were cut off the end", kept, events.DescribeRecord(last))}
	}
	return "", events.Record{}, &headError{fmt.Sprintf("the kept head %s is not among the run's %d event(s) (the last is %s): "+
		"events were cut off the end, or the run's history was rewritten", kept, n, events.DescribeRecord(last))}
}

// short is the first 12 characters of a hash, as messages show it.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// verifyHeadSignature checks sig, the lead's signature of the kept head
// want, found in the run as found, against the crew the run's first event
// (its start) lists. The statement signed holds the head's whole hash and
// its sequence as kept (or as found when the head was kept without it).
func verifyHeadSignature(run string, first events.Record, want keptHead, found events.Record, sig string) (string, error) {
	ev, err := first.Decode()
	start, ok := ev.(events.CutoverStarted)
	if err != nil || !ok {
		return "", keyErrorf("the head signature cannot be checked against the plan: the first event of run %s is %s, not the run's start with its crew",
			run, events.DescribeRecord(first))
	}
	seq := want.seq
	if seq == 0 {
		seq = found.Seq
	}
	return checkHeadSignature(run, start, seq, found.Hash(), sig)
}
