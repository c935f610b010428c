package projections

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// statusCheckpointRevision counts changes to the meaning of [Status.Apply]
// that old checkpoints would contradict: bump it when Apply changes what it
// makes of a record. Changes to the fields of Status, Step or Service change
// the version by themselves (see [Status.CheckpointVersion]).
const statusCheckpointRevision = 1

// The snapshot of a Status is JSON of statusSnapshot. plainStatus, plainStep
// and plainService have the fields of Status, Step and Service and none of
// their methods (a MarshalJSON written for display must not change the
// checkpoint); their exported fields are embedded, the unexported ones are
// listed beside them. TestStatusSnapshotKeepsEveryField fails when Status,
// Step or Service gains a field the snapshot loses, and
// TestStatusFromCheckpointEqualsReplay when a real run's status restored from
// a checkpoint differs from one replayed from scratch.
type (
	plainStatus  Status
	plainStep    Step
	plainService Service

	statusSnapshot struct {
		plainStatus
		// Steps and Services shadow the embedded fields of the same name.
		Steps     []stepSnapshot
		Services  []plainService
		Activated map[string]bool
		// byID is not saved: Restore rebuilds it from Steps.
	}

	stepSnapshot struct {
		plainStep
		State               State
		WaitingFor          int
		Dependents          []string
		StartedSeq, DoneSeq uint64
	}
)

// statusCheckpointVersion is the revision and a digest of the snapshot's
// shape: a field added, removed or retyped makes old checkpoints be rebuilt
// even if nobody bumps the revision.
var statusCheckpointVersion = fmt.Sprintf("%d-%s", statusCheckpointRevision, shapeDigest(reflect.TypeFor[statusSnapshot]()))

// CheckpointName implements [Checkpointed].
func (s *Status) CheckpointName() string { return "status" }

// CheckpointVersion implements [Checkpointed].
func (s *Status) CheckpointVersion() string { return statusCheckpointVersion }

// Checkpoint implements [Checkpointed].
func (s *Status) Checkpoint() ([]byte, error) {
	snap := statusSnapshot{plainStatus: plainStatus(*s), Activated: s.activated}
	snap.plainStatus.Steps, snap.plainStatus.Services, snap.byID = nil, nil, nil
	if s.Steps != nil {
		snap.Steps = make([]stepSnapshot, len(s.Steps))
	}
	for i, st := range s.Steps {
		snap.Steps[i] = stepSnapshot{
			plainStep: plainStep(*st), State: st.state, WaitingFor: st.waitingFor,
			Dependents: st.dependents, StartedSeq: st.startedSeq, DoneSeq: st.doneSeq,
		}
	}
	if s.Services != nil {
		snap.Services = make([]plainService, len(s.Services))
		for i, sv := range s.Services {
			snap.Services[i] = plainService(*sv)
		}
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return nil, fmt.Errorf("projections: status snapshot: %w", err)
	}
	return b, nil
}

// Restore implements [Checkpointed].
func (s *Status) Restore(b []byte) error {
	var snap statusSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("projections: status snapshot: %w", err)
	}
	if snap.LastSeq == 0 {
		return errors.New("projections: status snapshot: no record applied")
	}
	r := Status(snap.plainStatus)
	r.activated, r.byID = snap.Activated, make(map[string]*Step, len(snap.Steps))
	if r.activated == nil {
		r.activated = map[string]bool{}
	}
	if r.Cooling == nil {
		r.Cooling = map[string]time.Time{}
	}
	r.Steps = nil
	if snap.Steps != nil {
		r.Steps = make([]*Step, len(snap.Steps))
	}
	for i, ss := range snap.Steps {
		st := Step(ss.plainStep)
		st.state, st.waitingFor, st.dependents = ss.State, ss.WaitingFor, ss.Dependents
		st.startedSeq, st.doneSeq = ss.StartedSeq, ss.DoneSeq
		if st.ID == "" || r.byID[st.ID] != nil || !slices.Contains(States, st.state) || st.state == Ready {
			return errors.New("projections: status snapshot: a step has no id, a repeated one, or no state")
		}
		r.Steps[i] = &st
		r.byID[st.ID] = &st
	}
	r.Services = nil
	if snap.Services != nil {
		r.Services = make([]*Service, len(snap.Services))
		for i := range snap.Services {
			sv := Service(snap.Services[i])
			r.Services[i] = &sv
		}
	}
	*s = r
	return nil
}

// shapeDigest returns a short digest of the names, types and tags of t's
// fields, recursively.
func shapeDigest(t reflect.Type) string {
	var b strings.Builder
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		fmt.Fprintf(&b, "%s(", t)
		defer b.WriteString(")")
		if seen[t] {
			return
		}
		seen[t] = true
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			if t.PkgPath() == "time" {
				return // time.Time's own fields are its business
			}
			for f := range t.Fields() {
				fmt.Fprintf(&b, "%s %q ", f.Name, f.Tag)
				walk(f.Type)
			}
		}
	}
	walk(t)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:4])
}
