package jetstream_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// tally is a checkpointed fold: the ids it applied, in order.
type tally struct {
	IDs []string
}

func (f *tally) Apply(r events.Record)       { f.IDs = append(f.IDs, r.ID) }
func (f *tally) CheckpointName() string      { return "tally" }
func (f *tally) CheckpointVersion() string   { return "1" }
func (f *tally) Checkpoint() ([]byte, error) { return json.Marshal(f) }
func (f *tally) Restore(b []byte) error      { return json.Unmarshal(b, f) }
func (f *tally) equal(g *tally) bool {
	b1, _ := json.Marshal(f)
	b2, _ := json.Marshal(g)
	return bytes.Equal(b1, b2)
}
func digest(b []byte) string     { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func tallyKey(run string) string { return events.CheckpointKey("tally", run) }
func rawCheckpoint(t *testing.T, kv jsapi.KeyValue, key string) (map[string]any, []byte) {
	t.Helper()
	e, err := kv.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	head, state, _ := bytes.Cut(e.Value(), []byte("\n"))
	var h map[string]any
	if err := json.Unmarshal(head, &h); err != nil {
		t.Fatal(err)
	}
	return h, state
}

func putRaw(t *testing.T, kv jsapi.KeyValue, key string, h map[string]any, state []byte) {
	t.Helper()
	head, _ := json.Marshal(h)
	if _, err := kv.Put(context.Background(), key, append(append(head, '\n'), state...)); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointAlteredInPlaceIsIgnored: a checkpoint whose state was
// changed in place (header kept), or whose head names another record's hash,
// is not used: the fold is rebuilt from the log, equal to a replay from
// scratch.
func TestCheckpointAlteredInPlaceIsIgnored(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	for i := 0; i < 5; i++ {
		if _, err := l.Append(ctx, "r1", events.AnySequence, started(t, "r1")); err != nil {
			t.Fatal(err)
		}
	}
	store, err := l.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	scratch := &tally{}
	if _, err := events.Replay(ctx, l, "r1", scratch); err != nil {
		t.Fatal(err)
	}
	if n, err := events.ReplayCheckpointed(ctx, l, store, "r1", &tally{}); err != nil || n != 5 {
		t.Fatalf("first replay: %d, %v", n, err)
	}
	js, _ := jsapi.New(l.Conn())
	kv, err := js.KeyValue(ctx, jetstream.CheckpointBucket)
	if err != nil {
		t.Fatal(err)
	}
	key := tallyKey("r1")
	h, state := rawCheckpoint(t, kv, key)
	if h["hash"] == "" || h["state_sha256"] != digest(state) {
		t.Fatalf("checkpoint header %v: want the head's hash and the state's digest", h)
	}
	// The untouched checkpoint serves: nothing to fold.
	if n, err := events.ReplayCheckpointed(ctx, l, store, "r1", &tally{}); err != nil || n != 0 {
		t.Fatalf("replay from an intact checkpoint folded %d (%v), want 0", n, err)
	}

	forged, _ := json.Marshal(&tally{IDs: []string{"grace-period-elapsed"}})
	for _, c := range []struct {
		name  string
		alter func(h map[string]any) ([]byte, map[string]any)
	}{
		{"state changed, header kept", func(h map[string]any) ([]byte, map[string]any) { return forged, h }},
		{"head hash changed", func(h map[string]any) ([]byte, map[string]any) {
			h["hash"] = digest([]byte("another event"))
			h["state_sha256"] = digest(forged)
			return forged, h
		}},
		{"head hash removed", func(h map[string]any) ([]byte, map[string]any) {
			delete(h, "hash")
			h["state_sha256"] = digest(forged)
			return forged, h
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, _ := rawCheckpoint(t, kv, key)
			st, h := c.alter(h)
			putRaw(t, kv, key, h, st)
			got := &tally{}
			n, err := events.ReplayCheckpointed(ctx, l, store, "r1", got)
			if err != nil {
				t.Fatal(err)
			}
			if n != 5 || !got.equal(scratch) {
				t.Fatalf("folded %d records into %v; want the whole run (5) rebuilt as a replay from scratch: %v", n, got.IDs, scratch.IDs)
			}
			// The holder wrote a good checkpoint again.
			h, st = rawCheckpoint(t, kv, key)
			if bytes.Equal(st, forged) || h["state_sha256"] != digest(st) {
				t.Fatalf("the altered checkpoint was kept: %v %s", h, st)
			}
		})
	}
}

// TestCrewReplaysFromTheHoldersCheckpoint: a process with the crew
// credential resumes from the checkpoint the holder wrote, and its
// replays never fail for want of writing one.
func TestCrewReplaysFromTheHoldersCheckpoint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	holder, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	for i := 0; i < 4; i++ {
		if _, err := holder.Append(ctx, "r1", events.AnySequence, started(t, "r1")); err != nil {
			t.Fatal(err)
		}
	}
	hstore, _ := holder.Checkpoints(ctx)
	if _, err := events.ReplayCheckpointed(ctx, holder, hstore, "r1", &tally{}); err != nil {
		t.Fatal(err)
	}
	crew, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer crew.Close()
	if _, err := crew.Append(ctx, "r1", events.AnySequence, started(t, "r1")); err != nil {
		t.Fatal(err)
	}
	cstore, err := crew.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		got := &tally{}
		n, err := events.ReplayCheckpointed(ctx, crew, cstore, "r1", got, events.CheckpointEvery(1))
		if err != nil || n != 1 || len(got.IDs) != 5 {
			t.Fatalf("crew replay %d: folded %d (%v) into %d ids; want 1 past the holder's checkpoint, 5 in all", i, n, err, len(got.IDs))
		}
	}
}
