package runbooks

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

	"github.com/dcmove/dcmove/events"
)

// checkpointRevision counts changes to the meaning of [Run.Apply] that old
// checkpoints would contradict: bump it when Apply changes what it makes of
// a record. Changes to the fields of Run, Step or Service change the
// version by themselves (see [Run.CheckpointVersion]).
const checkpointRevision = 2 // 2: a foreign record is never the head

// The snapshot of a Run is JSON of runSnapshot. plainRun, plainStep and
// plainService have the fields of Run, Step and Service and none of their
// methods; their exported fields are embedded, the unexported ones are
// listed beside them. TestSnapshotKeepsEveryField fails when Run, Step or
// Service gains a field the snapshot loses, and the projections' checkpoint
// tests when a real run restored from a checkpoint differs from one
// replayed from scratch.
type (
	plainRun     Run
	plainStep    Step
	plainService Service

	runSnapshot struct {
		plainRun
		// Steps and Services shadow the embedded fields of the same name.
		Steps     []stepSnapshot
		Services  []plainService
		Activated map[string]bool
		// Staged are the steps staged before the run's start committed.
		Staged map[string][]stagedStep
		// Head is what the next event chains to.
		Head events.Link
		// byID and the steps' run are not saved: Restore rebuilds them.
	}

	stepSnapshot struct {
		plainStep
		State               State
		StartedSeq, DoneSeq uint64
	}
)

// checkpointVersion is the revision and a digest of the snapshot's shape: a
// field added, removed or retyped makes old checkpoints be rebuilt even if
// nobody bumps the revision.
var checkpointVersion = fmt.Sprintf("%d-%s", checkpointRevision, shapeDigest(reflect.TypeFor[runSnapshot]()))

// CheckpointName implements [events.Checkpointed]: the commands, status and
// audit share one checkpoint of the run.
func (r *Run) CheckpointName() string { return "run" }

// CheckpointVersion implements [events.Checkpointed].
func (r *Run) CheckpointVersion() string { return checkpointVersion }

// Checkpoint implements [events.Checkpointed].
func (r *Run) Checkpoint() ([]byte, error) {
	snap := runSnapshot{plainRun: plainRun(*r), Activated: r.activated, Staged: r.staged, Head: r.Head()}
	snap.plainRun.Steps, snap.plainRun.Services, snap.byID = nil, nil, nil
	if r.Steps != nil {
		snap.Steps = make([]stepSnapshot, len(r.Steps))
	}
	for i, st := range r.Steps {
		snap.Steps[i] = stepSnapshot{plainStep: plainStep(*st), State: st.state, StartedSeq: st.startedSeq, DoneSeq: st.doneSeq}
	}
	if r.Services != nil {
		snap.Services = make([]plainService, len(r.Services))
		for i, sv := range r.Services {
			snap.Services[i] = plainService(*sv)
		}
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return nil, fmt.Errorf("runbooks: run snapshot: %w", err)
	}
	return b, nil
}

// Restore implements [events.Checkpointed].
func (r *Run) Restore(b []byte) error {
	var snap runSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("runbooks: run snapshot: %w", err)
	}
	if snap.LastSeq == 0 {
		return errors.New("runbooks: run snapshot: no record applied")
	}
	if r.ID != "" && snap.ID != r.ID {
		return fmt.Errorf("runbooks: run snapshot of run %s, not %s", snap.ID, r.ID)
	}
	x := Run(snap.plainRun)
	x.activated, x.byID, x.head, x.staged = snap.Activated, make(map[string]*Step, len(snap.Steps)), snap.Head, snap.Staged
	x.last, x.hasLast = events.Envelope{}, false
	if x.activated == nil {
		x.activated = map[string]bool{}
	}
	if x.Cooling == nil {
		x.Cooling = map[string]time.Time{}
	}
	x.Steps = nil
	if snap.Steps != nil {
		x.Steps = make([]*Step, len(snap.Steps))
	}
	for i, ss := range snap.Steps {
		st := Step(ss.plainStep)
		st.state, st.startedSeq, st.doneSeq = ss.State, ss.StartedSeq, ss.DoneSeq
		if st.ID == "" || x.byID[st.ID] != nil || !slices.Contains(States, st.state) || st.state == Ready {
			return errors.New("runbooks: run snapshot: a step has no id, a repeated one, or no state")
		}
		x.Steps[i] = &st
		x.byID[st.ID] = &st
	}
	x.Services = nil
	if snap.Services != nil {
		x.Services = make([]*Service, len(snap.Services))
		for i := range snap.Services {
			sv := Service(snap.Services[i])
			x.Services[i] = &sv
		}
	}
	*r = x
	for _, st := range r.Steps {
		st.run = r
	}
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
