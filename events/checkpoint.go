package events

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Checkpoint is a projection's state saved at a point of a run, so that the
// next replay folds only the records that came after it.
type Checkpoint struct {
	// Version names the projection's snapshot format: a projection ignores
	// (and rebuilds) a checkpoint of another version.
	Version string
	// Seq is the sequence of the last record folded into State, and ID that
	// record's envelope id: a reader checks that the log still holds it at
	// Seq, so a checkpoint of a log since deleted and started again is
	// recognised as stale.
	Seq uint64
	ID  string
	// State is the projection's snapshot, in its own format.
	State []byte
}

// CheckpointStore keeps one checkpoint per key. Keys are made with
// [CheckpointKey].
type CheckpointStore interface {
	// Load returns the checkpoint under key, or an error wrapping
	// [ErrNoCheckpoint] when there is none that can be read.
	Load(ctx context.Context, key string) (Checkpoint, error)
	// Save replaces the checkpoint under key.
	Save(ctx context.Context, key string, cp Checkpoint) error
}

// ErrNoCheckpoint means a key holds no usable checkpoint: none was saved, or
// what is stored cannot be read. Callers fold from the start of the run.
var ErrNoCheckpoint = errors.New("events: no checkpoint")

// CheckpointBucket is the JetStream key-value bucket that holds the
// checkpoints of every projection and run.
const CheckpointBucket = "DCMOVE_CHECKPOINTS"

// CheckpointKey returns the key of projection's checkpoint for run,
// "<projection>.<run>". A projection name is an id as [ValidID] accepts.
func CheckpointKey(projection, run string) string { return projection + "." + run }

// checkKey reports what is wrong with a checkpoint key: a key-value key is a
// NATS subject suffix, made of letters, digits and - / _ = separated by
// single dots.
func checkKey(key string) error {
	parts := strings.Split(key, ".")
	for _, p := range parts {
		if !ValidID(p) {
			return fmt.Errorf("events: checkpoint key %q: want <projection>.<run>, each made of letters, digits, '-' and '_'", key)
		}
	}
	return nil
}

// JetStreamCheckpoints is the [CheckpointStore] in the JetStream key-value
// bucket [CheckpointBucket].
type JetStreamCheckpoints struct {
	kv jetstream.KeyValue
}

var _ CheckpointStore = (*JetStreamCheckpoints)(nil)

// Checkpoints returns the checkpoint store on the log's server, creating its
// bucket (file storage, the last value of each key only, as many replicas as
// the event stream) if it does not exist yet.
func (l *JetStreamLog) Checkpoints(ctx context.Context) (*JetStreamCheckpoints, error) {
	kv, err := l.js.KeyValue(ctx, CheckpointBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		replicas := 1
		if info := l.stream.CachedInfo(); info != nil && info.Config.Replicas > 0 {
			replicas = info.Config.Replicas
		}
		kv, err = l.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      CheckpointBucket,
			Description: "dcmove projection checkpoints: state at a sequence of a run, by <projection>.<run>",
			History:     1,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			// Another process created it first.
			kv, err = l.js.KeyValue(ctx, CheckpointBucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("events: checkpoint bucket %s: %w", CheckpointBucket, translate(err))
	}
	return &JetStreamCheckpoints{kv: kv}, nil
}

// checkpointHeader is the first line of a stored checkpoint; the projection's
// state follows the newline, gzipped if Encoding says so. The header is JSON
// so that `nats kv get` shows what a checkpoint is.
type checkpointHeader struct {
	Version  string `json:"version"`
	Seq      uint64 `json:"seq"`
	ID       string `json:"id"`
	Encoding string `json:"encoding,omitempty"`
}

// gzipFrom is the size from which a checkpoint's state is stored gzipped: a
// status snapshot shrinks about tenfold, which keeps large plans' checkpoints
// under the server's maximum message size (1 MiB by default).
const gzipFrom = 1 << 10

// Load implements [CheckpointStore].
func (c *JetStreamCheckpoints) Load(ctx context.Context, key string) (Checkpoint, error) {
	if err := checkKey(key); err != nil {
		return Checkpoint{}, err
	}
	e, err := c.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Checkpoint{}, fmt.Errorf("%w for %s", ErrNoCheckpoint, key)
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("events: load checkpoint %s: %w", key, translate(err))
	}
	return decodeCheckpoint(key, e.Value())
}

func decodeCheckpoint(key string, v []byte) (Checkpoint, error) {
	head, state, ok := bytes.Cut(v, []byte("\n"))
	var h checkpointHeader
	if !ok || json.Unmarshal(head, &h) != nil || h.Version == "" || h.Seq == 0 {
		return Checkpoint{}, fmt.Errorf("%w for %s: the stored value is not a checkpoint", ErrNoCheckpoint, key)
	}
	switch h.Encoding {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(state))
		if err == nil {
			state, err = io.ReadAll(zr)
		}
		if err != nil {
			return Checkpoint{}, fmt.Errorf("%w for %s: damaged state: %v", ErrNoCheckpoint, key, err)
		}
	default:
		return Checkpoint{}, fmt.Errorf("%w for %s: state encoded as %q", ErrNoCheckpoint, key, h.Encoding)
	}
	return Checkpoint{Version: h.Version, Seq: h.Seq, ID: h.ID, State: state}, nil
}

// Save implements [CheckpointStore].
func (c *JetStreamCheckpoints) Save(ctx context.Context, key string, cp Checkpoint) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if cp.Version == "" || cp.Seq == 0 {
		return fmt.Errorf("events: save checkpoint %s: no version or sequence", key)
	}
	h := checkpointHeader{Version: cp.Version, Seq: cp.Seq, ID: cp.ID}
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
	if _, err := c.kv.Put(ctx, key, v); err != nil {
		return fmt.Errorf("events: save checkpoint %s: %w", key, translate(err))
	}
	return nil
}

// LastSeq returns the sequence of the last record of run, 0 if it has none:
// where a read of the run started now ends. Progress bars measure against it.
func (l *JetStreamLog) LastSeq(ctx context.Context, run string) (uint64, error) {
	return l.lastSeq(ctx, runFilter(run))
}
