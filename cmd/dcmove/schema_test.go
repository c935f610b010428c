package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"
	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/invopop/jsonschema"
	validator "github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaDir holds the JSON Schemas of dcmove's JSON: output/<kind>.json
// for the documents the commands print, events/<type>.json for the
// payloads of the events, envelope.json for the events as stored.
const schemaDir = "../../docs/schemas"

// TestJSONSchemas runs the reference move through the commands with
// --output json, and checks every document printed and every event stored
// against the JSON Schemas committed in docs/schemas (generated from the
// Go types they are written from: go test -run TestJSONSchemas -update
// writes them again; a change that alters them shows in the diff). Every
// property is snake_case, and every stored event is a valid CloudEvent
// for the CloudEvents Go SDK.
func TestJSONSchemas(t *testing.T) {
	dir := t.TempDir()
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	docs := map[string][][]byte{} // by kind
	run := func(args ...string) {
		t.Helper()
		r := execute(t, clock, false, append(args, "--output", "json")...)
		if os.Getenv("DEBUG_SCHEMA") != "" && r.code != 0 {
			t.Logf("%s: exit %d: %s", strings.Join(args, " "), r.code, r.out)
		}
		sc := bufio.NewScanner(strings.NewReader(r.out))
		sc.Buffer(nil, 16<<20)
		var doc []byte
		if strings.HasPrefix(r.out, "{\n") { // one indented document
			doc = []byte(r.out)
			docs[kindOf(t, doc)] = append(docs[kindOf(t, doc)], doc)
			return
		}
		for sc.Scan() { // JSON lines
			line := slices.Clone(sc.Bytes())
			docs[kindOf(t, line)] = append(docs[kindOf(t, line)], line)
		}
		if r.out == "" {
			t.Fatalf("dcmove %s: nothing on stdout (exit %d)\n%s", strings.Join(args, " "), r.code, r.errOut)
		}
	}
	keyFile := filepath.Join(dir, "ana.nk")
	data := []string{"--data-dir", dir}
	claire := append([]string{"--as", "Claire Martin"}, data...)
	second := append([]string{"--run", "second"}, data...)
	karim := append([]string{"--as", "Karim Haddad"}, data...)
	run("plan", "check", reference)
	run("plan", "schedule", reference)
	run("plan", "gantt", reference)
	run("plan", "lints")
	run("version")
	run("plan", "example", "--assets", "2")
	run("plan", "import", "--from-csv", "../../planner/sheet/testdata/runbook.csv")
	run("keys", "new", "Ana", "--out", keyFile, "--role", "tech")
	run(append([]string{"cutover", "start", reference, "--rehearsal", "--accept", "L003", "--reason", "briefed in person"}, claire...)...)
	run(append([]string{"cutover", "start", reference, "--rehearsal", "--run", "second", "--accept", "L003", "--reason", "briefed in person"}, claire...)...)
	run(append([]string{"step", "start", "notify-customers"}, claire...)...)
	clock.Advance(20 * 60e9)
	mb := newMailbox(t, "ops@bricodeal.example")
	password := filepath.Join(dir, "smtp-password")
	os.WriteFile(password, []byte(mb.pass+"\n"), 0o600)
	run(append([]string{"notice", "send", "customers", "--smtp", mb.addr, "--smtp-ca", mb.caFile, "--smtp-user", mb.user,
		"--smtp-password-file", password, "--from", "ops@workit.fr", "--ack-url", "https://move.workit.fr", "--plan", reference}, claire...)...)
	run(append([]string{"step", "block", "notify-equinix", "--reason", "portal down"}, claire...)...)
	run(append([]string{"plan", "calibrate", reference, "--from", "second"}, data...)...)
	world, _, _ := checkWorld(t, "pa3")
	run(append([]string{"cutover", "start", world, "--run", "checks", "--accept", "L013", "--reason", "no shifts", "--accept", "L009", "--reason", "one vantage point in the test"}, claire...)...)
	run(append([]string{"check", "run", "web-http", "web-db", "--from", "pa3", "--run", "checks", "--as", "Hugo Leroy"}, data...)...)
	run(append([]string{"fw", "capture", "--site", "PA2", "../../examples/pa2-iptables-save.txt"}, karim...)...)
	run(append([]string{"fw", "review", "--match", "proto=icmp", "--keep", "--reason", "probes stay"}, karim...)...)
	run(append([]string{"fw", "verify", "--site", "PA3", "../../examples/pa3-nft.txt"}, karim...)...)
	run(append([]string{"fw", "status"}, second...)...)
	run(append([]string{"check", "status"}, second...)...)
	run(append([]string{"notice", "draft", "customers", "--plan", reference}, second...)...)
	run(append([]string{"notice", "status"}, second...)...)
	run(append([]string{"status", "--samples", "20"}, second...)...)
	run(append([]string{"audit", "--step", "notify-customers"}, second...)...)
	run(append([]string{"audit", "--as-of", "2026-12-05 06:45"}, second...)...)
	run(append([]string{"audit", "verify"}, second...)...)
	run(append([]string{"audit", "compare", "pa2-to-pa3-rehearsal", "second"}, data...)...)
	run("plan", "check", "no-such-plan.yaml") // an error document
	run("demo", "--plan", "weekend.yaml")     // JSON lines

	// Generate the schemas of the kinds seen, from the Go values written.
	generated := map[string][]byte{}
	written.Range(func(k, v any) bool {
		generated["output/"+k.(string)+".json"] = schemaOf(t, v, "dcmove "+k.(string)+" document")
		return true
	})
	generated["output/error.json"] = schemaOf(t, errorDoc{}, "dcmove error document")
	for _, kind := range sourceKinds(t) {
		if _, ok := generated["output/"+kind+".json"]; !ok {
			if strings.HasSuffix(kind, "-line") { // serve and agent print what the demo prints
				generated["output/"+kind+".json"] = generated["output/demo-line.json"]
				continue
			}
			t.Errorf("the script printed no %s document: add a command that prints one, so that its schema is generated and checked", kind)
		}
	}
	generated["envelope.json"] = schemaOf(t, events.Envelope{}, "dcmove event (CloudEvents 1.0 envelope)")
	var stored [][]byte
	for _, r := range []string{"pa2-to-pa3-rehearsal", "second"} {
		out := mustRun(t, clock, "audit", "--run", r, "--output", "jsonl", "--data-dir", dir)
		for line := range strings.Lines(out) {
			stored = append(stored, []byte(line))
		}
	}
	types := map[string]bool{}
	for _, line := range stored {
		var e events.Envelope
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatal(err)
		}
		types[e.Type] = true
	}
	for typ := range types {
		ev, ok := events.Payload(typ)
		if !ok {
			t.Fatalf("stored event type %s is not in the catalog", typ)
		}
		generated["events/"+typ+".json"] = schemaOf(t, ev, typ+" payload, version "+fmt.Sprint(ev.EventVersion()))
	}
	for _, typ := range events.Types() {
		if _, ok := generated["events/"+typ+".json"]; !ok {
			ev, _ := events.Payload(typ)
			generated["events/"+typ+".json"] = schemaOf(t, ev, typ+" payload, version "+fmt.Sprint(ev.EventVersion()))
		}
	}
	if *update {
		for name, b := range generated {
			path := filepath.Join(schemaDir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, b := range generated {
		committed, err := os.ReadFile(filepath.Join(schemaDir, name))
		if err != nil || !bytes.Equal(committed, b) {
			t.Errorf("docs/schemas/%s is not the schema of what dcmove writes (run go test ./cmd/dcmove -run TestJSONSchemas -update and review the diff)", name)
		}
	}
	for name, b := range generated {
		if bad := notSnakeCase(b); len(bad) > 0 {
			t.Errorf("%s: properties not in snake_case: %s", name, strings.Join(bad, ", "))
		}
	}

	// Every document and every stored event against the committed schemas.
	c := validator.NewCompiler()
	schema := func(name string) *validator.Schema {
		t.Helper()
		path, _ := filepath.Abs(filepath.Join(schemaDir, name))
		s, err := c.Compile(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return s
	}
	n := 0
	for kind, ds := range docs {
		s := schema("output/" + kind + ".json")
		for _, d := range ds {
			v, err := validator.UnmarshalJSON(bytes.NewReader(d))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); err != nil {
				t.Errorf("a %s document does not match its schema: %v\n%s", kind, err, d)
			}
			n++
		}
	}
	envelope := schema("envelope.json")
	for _, line := range stored {
		v, err := validator.UnmarshalJSON(bytes.NewReader(line))
		if err != nil {
			t.Fatal(err)
		}
		delete(v.(map[string]any), "seq") // the export's, not the event's
		if err := envelope.Validate(v); err != nil {
			t.Errorf("a stored event does not match envelope.json: %v\n%s", err, line)
		}
		var e events.Envelope
		json.Unmarshal(line, &e)
		data, err := validator.UnmarshalJSON(bytes.NewReader(e.Data))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema("events/" + e.Type + ".json").Validate(data); err != nil {
			t.Errorf("the data of a stored %s does not match its schema: %v\n%s", e.Type, err, e.Data)
		}
		// The CloudEvents Go SDK reads it as a valid CloudEvent 1.0, with
		// dcmove's attributes as extensions.
		var ce cloudevents.Event
		if err := json.Unmarshal(withoutSeq(t, line), &ce); err != nil {
			t.Fatalf("the CloudEvents SDK cannot read a stored event: %v\n%s", err, line)
		}
		if err := ce.Validate(); err != nil || ce.SpecVersion() != "1.0" || ce.Type() != e.Type || ce.ID() != e.ID ||
			ce.Extensions()["run"] != e.Run || !bytes.Equal(ce.Data(), e.Data) {
			t.Errorf("CloudEvent %v (%v) of %s", ce, err, line)
		}
		n++
	}
	t.Logf("%d documents of %d kinds and %d stored events of %d types checked", n-len(stored), len(docs), len(stored), len(types))
}

func kindOf(t *testing.T, doc []byte) string {
	t.Helper()
	var head struct {
		Kind    string `json:"kind"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(doc, &head); err != nil || head.Kind == "" || head.Version != outputVersion {
		t.Fatalf("not a dcmove document (%v): %s", err, doc)
	}
	return head.Kind
}

// schemaOf is the JSON Schema of the documents written from v: its kind
// and version first, as writeDoc writes them.
func schemaOf(t *testing.T, v any, title string) []byte {
	t.Helper()
	r := jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, AllowAdditionalProperties: false,
		Mapper: func(t reflect.Type) *jsonschema.Schema {
			if t == reflect.TypeOf(events.Duration(0)) { // written as Go writes durations
				return &jsonschema.Schema{Type: "string", Pattern: `^-?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0s$`, Examples: []any{"1h30m0s"}}
			}
			return nil
		}}
	s := &jsonschema.Schema{Type: "object"} // a document passed through as raw JSON
	if _, raw := v.(json.RawMessage); !raw {
		s = r.Reflect(v)
	}
	s.Version = "https://json-schema.org/draft/2020-12/schema"
	s.Title = title
	if _, isEvent := v.(events.Event); !isEvent && !strings.HasPrefix(title, "dcmove event") {
		if s.Properties == nil {
			s.Properties = jsonschema.NewProperties()
		}
		s.Properties.Set("kind", &jsonschema.Schema{Type: "string"})
		s.Properties.Set("version", &jsonschema.Schema{Type: "integer", Const: outputVersion})
		s.Required = append([]string{"kind", "version"}, s.Required...)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// sourceKinds are the kinds of documents the source writes.
func sourceKinds(t *testing.T) []string {
	t.Helper()
	re := regexp.MustCompile(`(?:writeDoc|writeLine)\([^,]+, "([a-z-]+)"|asJSONLines\("([a-z-]+)"`)
	files, _ := filepath.Glob("*.go")
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[1]+m[2])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// notSnakeCase lists the property names of a schema that are not
// snake_case.
func notSnakeCase(schema []byte) []string {
	var bad []string
	ok := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, isMap := x["properties"].(map[string]any); isMap {
				for name := range props {
					if !ok.MatchString(name) {
						bad = append(bad, name)
					}
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var v any
	json.Unmarshal(schema, &v)
	walk(v)
	slices.Sort(bad)
	return slices.Compact(bad)
}

// withoutSeq is a line of the jsonl export without the seq the export
// adds: the event as stored.
func withoutSeq(t *testing.T, line []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "seq")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
