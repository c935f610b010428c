package runbooks

import (
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/dcmove/dcmove/events"
)

// Every field of the run's model, exported or not, survives a checkpoint,
// even one no run sets yet: a field added to Run, Step or Service that the
// snapshot misses fails here.
func TestSnapshotKeepsEveryField(t *testing.T) {
	r := NewRun("")
	fill(t, reflect.ValueOf(r).Elem(), "run")
	// The fold keeps byID as the index of Steps, and each step points back
	// at its run.
	r.byID = map[string]*Step{}
	for _, st := range r.Steps {
		r.byID[st.ID], st.run = st, r
	}
	r.last, r.hasLast = events.Envelope{ID: "last", Type: events.TypeStepStarted, Run: "run", Time: time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)}, true
	b, err := r.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	restored := NewRun("")
	if err := restored.Restore(b); err != nil {
		t.Fatal(err)
	}
	if restored.Head() != r.Head() {
		t.Fatalf("restored run chains to %v, not %v", restored.Head(), r.Head())
	}
	restored.last, restored.hasLast, restored.head = r.last, r.hasLast, r.head
	for _, st := range restored.Steps {
		if st.run != restored {
			t.Fatalf("restored step %s does not point at its run", st.ID)
		}
		st.run = r
	}
	if !reflect.DeepEqual(restored, r) {
		t.Fatalf("a field is lost in the checkpoint (add it to the snapshot in checkpoint.go):\n%#v\n%#v", restored, r)
	}
}

// notState are the fields fill leaves to the test: a step's pointer back to
// its run and the last record.
var notState = map[string]bool{"run": true, "last": true, "hasLast": true, "head": true, "byID": true}

// unexported makes an unexported field's value settable.
func unexported(v reflect.Value) reflect.Value {
	if v.CanSet() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// fill sets every field reachable from v to a value that is not zero.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	v = unexported(v)
	switch {
	case v.Type() == reflect.TypeFor[State]():
		v.Set(reflect.ValueOf(Started))
		return
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 12, 5, 7, len(path)%60, 0, 0, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(len(path)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(len(path)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(len(path)) + 0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), path+"[0]")
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, path+".key")
		fill(t, e, path+".value")
		v.SetMapIndex(k, e)
	case reflect.Struct:
		for i := range v.NumField() {
			if notState[v.Type().Field(i).Name] {
				continue
			}
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	default:
		t.Fatalf("%s: cannot fill a %s; teach fill (and the snapshot) about it", path, v.Type())
	}
}
