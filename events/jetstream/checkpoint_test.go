package jetstream_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

func TestCheckpointStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	store, err := l.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key := events.CheckpointKey("status", "pa2-pa3_1")
	if _, err := store.Load(ctx, key); !errors.Is(err, events.ErrNoCheckpoint) {
		t.Fatalf("load before any save: %v, want ErrNoCheckpoint", err)
	}
	// State is opaque: any bytes, newlines included.
	want := events.Checkpoint{Version: "3-ab12", Seq: 42, ID: "e-42", State: []byte("{\"a\":1}\n\x00\xff")}
	if err := store.Save(ctx, key, want); err != nil {
		t.Fatal(err)
	}
	want.Seq, want.ID = 43, "e-43"
	if err := store.Save(ctx, key, want); err != nil {
		t.Fatal(err)
	}

	// A checkpoint is durable: it survives the process that saved it.
	l.Close()
	if l, err = jetstream.Open(ctx, jetstream.Options{DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	if store, err = l.Checkpoints(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != want.Version || got.Seq != want.Seq || got.ID != want.ID || !bytes.Equal(got.State, want.State) {
		t.Fatalf("loaded %+v, want %+v", got, want)
	}

	js, err := jsapi.New(l.Conn())
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, jetstream.CheckpointBucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.History() != 1 || st.(*jsapi.KeyValueBucketStatus).StreamInfo().Config.Storage != jsapi.FileStorage {
		t.Errorf("bucket keeps %d values per key, storage %v; want 1, file", st.History(), st.(*jsapi.KeyValueBucketStatus).StreamInfo().Config.Storage)
	}

	// A large state is stored compressed, and comes back as it was.
	big := events.Checkpoint{Version: "3-ab12", Seq: 44, ID: "e-44", State: bytes.Repeat([]byte(`{"ID":"unrack-web-1","State":"done"},`), 10000)}
	if err := store.Save(ctx, key, big); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Load(ctx, key); err != nil || !bytes.Equal(got.State, big.State) || got.Seq != big.Seq {
		t.Fatalf("large checkpoint: loaded seq %d, %d bytes (%v); want seq %d, %d bytes", got.Seq, len(got.State), err, big.Seq, len(big.State))
	}
	e, err := kv.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Value()) > len(big.State)/10 {
		t.Fatalf("large checkpoint stored in %d bytes, want it compressed (%d bytes of state)", len(e.Value()), len(big.State))
	}

	// Whatever else is stored under a key is no checkpoint, not a failure.
	for _, junk := range []string{"", "not a checkpoint", "{\"version\":\"1\"}\nstate", "{\"seq\":3}\nstate",
		"{\"version\":\"1\",\"seq\":3,\"encoding\":\"gzip\"}\nnot gzip", "{\"version\":\"1\",\"seq\":3,\"encoding\":\"zstd\"}\nstate"} {
		if _, err := kv.Put(ctx, key, []byte(junk)); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Load(ctx, key); !errors.Is(err, events.ErrNoCheckpoint) {
			t.Errorf("load of %q: %v, want ErrNoCheckpoint", junk, err)
		}
	}

	tests := []struct {
		name, key string
	}{
		{"empty", ""},
		{"wildcard", "status.*"},
		{"space", "status.my run"},
		{"empty part", "status..r1"},
		{"trailing dot", "status.r1."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := store.Save(ctx, tt.key, want); err == nil || errors.Is(err, events.ErrNoCheckpoint) {
				t.Errorf("save under %q: %v, want a key error", tt.key, err)
			}
			if _, err := store.Load(ctx, tt.key); err == nil || errors.Is(err, events.ErrNoCheckpoint) {
				t.Errorf("load of %q: %v, want a key error", tt.key, err)
			}
		})
	}
}

func TestLastSeq(t *testing.T) {
	ctx := context.Background()
	l := openLog(t)
	if seq, err := l.LastSeq(ctx, "r1"); err != nil || seq != 0 {
		t.Fatalf("last seq of an empty run: %d, %v", seq, err)
	}
	seq, err := l.Append(ctx, "r1", 0, started(t, "r1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, "r2", 0, started(t, "r2")); err != nil {
		t.Fatal(err)
	}
	if got, err := l.LastSeq(ctx, "r1"); err != nil || got != seq {
		t.Fatalf("last seq of r1: %d, %v; want %d", got, err, seq)
	}
}
