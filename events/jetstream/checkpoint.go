package jetstream

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dcmove/dcmove/events"
	jsapi "github.com/nats-io/nats.go/jetstream"
)

// CheckpointBucket is the JetStream key-value bucket that holds the
// checkpoints of every projection and run.
const CheckpointBucket = "DCMOVE_CHECKPOINTS"

// KVCheckpoints is the [CheckpointStore] in the JetStream key-value
// bucket [CheckpointBucket].
type KVCheckpoints struct{ l *Log }

var _ events.CheckpointStore = (*KVCheckpoints)(nil)

// Checkpoints returns the checkpoint store on the log's server, creating its
// bucket (file storage, the last value of each key only, as many replicas as
// the event stream) if it does not exist yet.
//
// On a connection with the embedded server's crew credential (a process
// that joined the holder of the data directory) the store is read-only: the
// server refuses the crew's checkpoint writes, so its Save writes nothing and
// returns nil, and only the holder writes checkpoints. Such a connection
// does not create the bucket either: the holder did when it started.
func (l *Log) Checkpoints(ctx context.Context) (*KVCheckpoints, error) {
	err := l.do(ctx, func(s *session) error {
		_, err := s.checkpoints(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &KVCheckpoints{l: l}, nil
}

// checkpoints opens the session's checkpoint bucket, creating it unless the
// session is the crew's.
func (s *session) checkpoints(ctx context.Context) (jsapi.KeyValue, error) {
	s.kvMu.Lock()
	defer s.kvMu.Unlock()
	if s.kv != nil {
		return s.kv, nil
	}
	kv, err := s.js.KeyValue(ctx, CheckpointBucket)
	if errors.Is(err, jsapi.ErrBucketNotFound) && !s.crew {
		replicas := 1
		if info := s.stream.CachedInfo(); info != nil && info.Config.Replicas > 0 {
			replicas = info.Config.Replicas
		}
		kv, err = s.js.CreateKeyValue(ctx, jsapi.KeyValueConfig{
			Bucket:      CheckpointBucket,
			Description: "dcmove projection checkpoints: state at a sequence of a run, by <projection>.<run>",
			History:     1,
			Storage:     jsapi.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jsapi.ErrBucketExists) {
			// Another process created it first.
			kv, err = s.js.KeyValue(ctx, CheckpointBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("events: checkpoint bucket %s: %w", CheckpointBucket, translate(err))
	}
	s.kv = kv
	return kv, nil
}

// CheckpointsWritable reports whether this connection may write checkpoints:
// false for a process that joined the holder of an embedded data directory
// with the crew credential.
func (l *Log) CheckpointsWritable() bool {
	s := l.current()
	return s != nil && !s.crew
}

// checkpointHeader is the first line of a stored checkpoint; the projection's
// state follows the newline, gzipped if Encoding says so. The header is JSON
// so that `nats kv get` shows what a checkpoint is.
//
// StateSHA256 is the digest of the state (before gzip): a state altered in
// place without it is not loaded, and the run is folded from its start. It
// guards against a damaged or hand-edited value, not against someone who
// may write the bucket (who can recompute it): that is what the crew
// credential's permissions are for. Hash is the hash of the record at Seq,
// which the reader checks against the log ([events.Checkpoint]).
type checkpointHeader struct {
	Version     string `json:"version"`
	Seq         uint64 `json:"seq"`
	ID          string `json:"id"`
	Hash        string `json:"hash,omitempty"`
	StateSHA256 string `json:"state_sha256"`
	Encoding    string `json:"encoding,omitempty"`
}

func stateDigest(state []byte) string {
	sum := sha256.Sum256(state)
	return hex.EncodeToString(sum[:])
}

// gzipFrom is the size from which a checkpoint's state is stored gzipped: a
// status snapshot shrinks about tenfold, which keeps large plans' checkpoints
// under the server's maximum message size (1 MiB by default).
const gzipFrom = 1 << 10

// Load implements [CheckpointStore].
func (c *KVCheckpoints) Load(ctx context.Context, key string) (events.Checkpoint, error) {
	if err := events.CheckKey(key); err != nil {
		return events.Checkpoint{}, err
	}
	var v []byte
	err := c.l.do(ctx, func(s *session) error {
		kv, err := s.checkpoints(ctx)
		if err != nil {
			return err
		}
		e, err := kv.Get(ctx, key)
		if err != nil {
			return translate(err)
		}
		v = e.Value()
		return nil
	})
	if errors.Is(err, jsapi.ErrKeyNotFound) {
		return events.Checkpoint{}, fmt.Errorf("%w for %s", events.ErrNoCheckpoint, key)
	}
	if err != nil {
		return events.Checkpoint{}, fmt.Errorf("events: load checkpoint %s: %w", key, err)
	}
	return decodeCheckpoint(key, v)
}

func decodeCheckpoint(key string, v []byte) (events.Checkpoint, error) {
	head, state, ok := bytes.Cut(v, []byte("\n"))
	var h checkpointHeader
	if !ok || json.Unmarshal(head, &h) != nil || h.Version == "" || h.Seq == 0 {
		return events.Checkpoint{}, fmt.Errorf("%w for %s: the stored value is not a checkpoint", events.ErrNoCheckpoint, key)
	}
	switch h.Encoding {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(state))
		if err == nil {
			state, err = io.ReadAll(zr)
		}
		if err != nil {
			return events.Checkpoint{}, fmt.Errorf("%w for %s: damaged state: %v", events.ErrNoCheckpoint, key, err)
		}
	default:
		return events.Checkpoint{}, fmt.Errorf("%w for %s: state encoded as %q", events.ErrNoCheckpoint, key, h.Encoding)
	}
	if h.StateSHA256 != stateDigest(state) {
		return events.Checkpoint{}, fmt.Errorf("%w for %s: its state does not match the digest in its header (altered in place?)", events.ErrNoCheckpoint, key)
	}
	return events.Checkpoint{Version: h.Version, Seq: h.Seq, ID: h.ID, Hash: h.Hash, State: state}, nil
}

// Save implements [CheckpointStore]. On a read-only store (see
// [Log.Checkpoints]) it writes nothing and returns nil.
func (c *KVCheckpoints) Save(ctx context.Context, key string, cp events.Checkpoint) error {
	if err := events.CheckKey(key); err != nil {
		return err
	}
	if cp.Version == "" || cp.Seq == 0 {
		return fmt.Errorf("events: save checkpoint %s: no version or sequence", key)
	}
	h := checkpointHeader{Version: cp.Version, Seq: cp.Seq, ID: cp.ID, Hash: cp.Hash, StateSHA256: stateDigest(cp.State)}
	state := cp.State
	if len(state) >= gzipFrom {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(state) // a bytes.Buffer takes every write
		zw.Close()
		h.Encoding, state = "gzip", b.Bytes()
	}
	head, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("events: save checkpoint %s: %w", key, err)
	}
	v := make([]byte, 0, len(head)+1+len(state))
	v = append(append(append(v, head...), '\n'), state...)
	err = c.l.do(ctx, func(s *session) error {
		if s.crew {
			return nil // the holder writes checkpoints
		}
		kv, err := s.checkpoints(ctx)
		if err != nil {
			return err
		}
		_, err = kv.Put(ctx, key, v)
		return translate(err)
	})
	if err != nil {
		return fmt.Errorf("events: save checkpoint %s: %w", key, err)
	}
	return nil
}

// LastSeq returns the sequence of the last record of run, 0 if it has none:
// where a read of the run started now ends. Progress bars measure against it.
func (l *Log) LastSeq(ctx context.Context, run string) (uint64, error) {
	return l.lastSeq(ctx, runFilter(run))
}
