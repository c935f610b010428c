package projections_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
)

func trailOf(recs []events.Record) *projections.Trail {
	return projections.Records(recs).Feed(projections.NewTrail()).(*projections.Trail)
}

// kept lists the entries of a trail as "type subject" lines.
func kept(t *projections.Trail) []string {
	var out []string
	for _, e := range t.Entries {
		out = append(out, strings.TrimSpace(strings.TrimPrefix(e.Type, "dcmove.")+" "+e.Subject))
	}
	return out
}

func TestFilter(t *testing.T) {
	tr := trailOf(liveRun(t))
	for _, tt := range []struct {
		name string
		f    projections.Filter
		want []string
	}{
		{"step", projections.Filter{Step: "backup"}, []string{
			"step.planned step/backup", "step.blocked step/backup", "step.unblocked step/backup", "step.started step/backup", "step.completed step/backup"}},
		{"step, with the cool-down it started", projections.Filter{Step: "shutdown-db"}, []string{
			"step.planned step/shutdown-db", "step.started step/shutdown-db", "step.completed step/shutdown-db", "cooldown.started asset/db-1"}},
		{"asset: its steps and its cool-down", projections.Filter{Asset: "db-1", Type: "dcmove.cooldown"}, []string{
			"cooldown.started asset/db-1", "cooldown.forced asset/db-1", "cooldown.elapsed asset/db-1"}},
		{"asset and type prefix without dcmove.", projections.Filter{Asset: "db-1", Type: "step.comp"}, []string{
			"step.completed step/backup", "step.completed step/shutdown-db", "step.completed step/unrack-db", "step.completed step/rack-db"}},
		{"actor, any case", projections.Filter{Actor: "karim haddad", Type: "step"}, []string{
			"step.started step/capture", "step.failed step/capture", "step.retried step/capture", "step.started step/capture", "step.completed step/capture"}},
		{"type", projections.Filter{Type: "gate"}, []string{"gate.signed step/go-no-go", "gate.signed step/go-no-go"}},
		{"full type", projections.Filter{Type: "dcmove.degraded.left"}, []string{"degraded.left"}},
		{"time range, both ends included", projections.Filter{Since: paris(t, 5, "09:12"), Until: paris(t, 5, "09:15")}, []string{
			"gate.signed step/go-no-go", "step.completed step/go-no-go", "degraded.entered", "step.started step/shutdown-db"}},
		{"the unknown type is kept by time", projections.Filter{Since: paris(t, 5, "11:59"), Until: paris(t, 5, "12:00")}, []string{"teleporter.engaged"}},
		{"nothing", projections.Filter{Step: "validate", Actor: "Karim Haddad"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := kept(tr.Select(tt.f))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
	if n := len(tr.Select(projections.Filter{}).Entries); n != len(tr.Entries) {
		t.Errorf("the zero filter keeps %d of %d entries", n, len(tr.Entries))
	}
}

func TestFilterCheck(t *testing.T) {
	tr := trailOf(liveRun(t))
	for _, tt := range []struct {
		name    string
		f       projections.Filter
		wantErr error
		says    string
	}{
		{"type unknown", projections.Filter{Step: "backup", Asset: "db-1", Actor: "hugo leroy", Type: "step.done"}, projections.ErrNoMatch, `--type "step.done"`},
		{"known", projections.Filter{Step: "backup", Asset: "fw-1", Actor: "dcmove", Type: "cooldown"}, nil, ""},
		{"step typo", projections.Filter{Step: "bakup"}, projections.ErrNoMatch, `--step "bakup": no step of that name in the run; did you mean "backup"?`},
		{"asset typo", projections.Filter{Asset: "db1"}, projections.ErrNoMatch, `did you mean "db-1"?`},
		{"actor unknown", projections.Filter{Actor: "Karim"}, projections.ErrNoMatch, `--actor "Karim"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tr.Check(tt.f)
			if !errors.Is(err, tt.wantErr) || err != nil && !strings.Contains(err.Error(), tt.says) {
				t.Errorf("got %v, want %v saying %q", err, tt.wantErr, tt.says)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	want := paris(t, 5, "08:00")
	for _, s := range []string{"2026-12-05 08:00", " 2026-12-05 08:00:00", "2026-12-05T08:00", "2026-12-05T07:00:00Z", "2026-12-05T08:00:00+01:00"} {
		got, err := projections.ParseTime(s, loc)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := projections.ParseTime("Saturday 8am", loc); err == nil || !strings.Contains(err.Error(), "in Europe/Paris, the plan's time zone") {
		t.Errorf("a bad time: %v", err)
	}
}

// The state as of an instant is made of the records whose time is at or
// before it, whatever their place in the log: the rehearsal's cool-down
// timer landed after an event that happened after it.
func TestAsOf(t *testing.T) {
	recs := rehearsalRun(t, "sha-1")
	for _, tt := range []struct {
		at       string
		want     map[string]projections.State
		degraded bool
		cooling  bool
	}{
		{"06:29", nil, false, false},
		{"07:45", map[string]projections.State{"capture": projections.Started, "backup": projections.Done, "go-no-go": projections.Pending}, false, false},
		{"08:59", map[string]projections.State{"cool-down-db": projections.Started, "unrack-db": projections.Pending}, false, true},
		{"09:00", map[string]projections.State{"cool-down-db": projections.Done, "unrack-db": projections.Ready}, false, false},
		{"09:05", map[string]projections.State{"cool-down-db": projections.Done, "unrack-db": projections.Ready}, false, false},
		{"09:10", map[string]projections.State{"cool-down-db": projections.Done, "unrack-db": projections.Ready}, true, false},
		{"13:00", map[string]projections.State{"cleanup-pa2": projections.Done, "announce": projections.Done}, false, false},
	} {
		t.Run(tt.at, func(t *testing.T) {
			s := projections.NewStatus()
			projections.Records(recs).Feed(projections.AsOf(paris(t, -2, tt.at), s))
			if tt.want == nil {
				if s.LastSeq != 0 {
					t.Errorf("before the run started: %d records applied", s.LastSeq)
				}
				return
			}
			for id, want := range tt.want {
				if st, ok := s.Step(id); !ok || st.State() != want {
					t.Errorf("%s: %v, want %s", id, st.State(), want)
				}
			}
			if s.Degraded != tt.degraded || (len(s.Cooling) > 0) != tt.cooling {
				t.Errorf("degraded %v, cooling %v; want %v, %v", s.Degraded, s.Cooling, tt.degraded, tt.cooling)
			}
		})
	}
}

// A malformed record has no time: it counts as of the record before it.
func TestAsOfMalformed(t *testing.T) {
	recs := rehearsalRun(t, "sha-1")
	bad := events.Record{Seq: 99, Malformed: errors.New("not json")}
	recs = append(recs[:5:5], append([]events.Record{bad}, recs[5:]...)...)
	early, late := projections.NewStatus(), projections.NewStatus()
	projections.Records(recs).Feed(projections.AsOf(recs[4].Time.Add(-time.Second), early))
	projections.Records(recs).Feed(projections.AsOf(recs[4].Time, late))
	if early.Skipped != 0 || late.Skipped != 1 {
		t.Errorf("skipped %d before the record ahead of the malformed one, %d at it; want 0 and 1", early.Skipped, late.Skipped)
	}
}

// The status as of an instant prints as the status of the log cut there
// would have: as dcmove status printed it then.
func TestAsOfStatusIsThePrefix(t *testing.T) {
	recs := liveRun(t) // appended in time order: a prefix is the past
	for _, hhmm := range []string{"07:00", "09:12", "10:30", "12:00", "15:00"} {
		at := paris(t, 5, hhmm)
		s := projections.NewStatus()
		projections.Records(recs).Feed(projections.AsOf(at, s))
		n := 0
		for n < len(recs) && !recs[n].Time.After(at) {
			n++
		}
		prefix := projections.NewStatus()
		projections.Records(recs[:n]).Feed(prefix)
		var got, want bytes.Buffer
		if err := projections.WriteStatus(&got, s, at); err != nil {
			t.Fatal(err)
		}
		projections.WriteStatus(&want, prefix, at)
		if got.String() != want.String() || n == 0 {
			t.Errorf("as of %s (%d records):\n%s\nwant:\n%s", hhmm, n, got.String(), want.String())
		}
		if hhmm == "10:30" && !strings.Contains(got.String(), "unrack-db") {
			t.Errorf("as of 10:30 unrack-db is under way:\n%s", got.String())
		}
	}
}

func TestTrailCSV(t *testing.T) {
	tr := trailOf(liveRun(t))
	var b bytes.Buffer
	if err := projections.WriteTrailCSV(&b, tr.Select(projections.Filter{Type: "step.completed"})); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit-completed.csv", b.Bytes())
	rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "seq,time,actor,type,subject,what,planned,actual" {
		t.Errorf("header %s", got)
	}
	// rack-db: planned 1h, took 2h.
	if r := rows[len(rows)-3]; r[4] != "step/rack-db" || r[1] != "2026-12-05T13:40:00+01:00" || r[6] != "1h" || r[7] != "2h" {
		t.Errorf("rack-db row %q", r)
	}
}

// Each line is the envelope as stored, plus its seq: the same JSON as the
// log holds, readable by jq and by any CloudEvents tool.
func TestTrailJSONL(t *testing.T) {
	recs := liveRun(t)
	recs = append(recs, events.Record{Seq: 99, Malformed: errors.New("events: message 99 is not a dcmove event")})
	var b bytes.Buffer
	if err := projections.WriteTrailJSONL(&b, trailOf(recs)); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	i := 0
	for ; sc.Scan(); i++ {
		var line map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, sc.Bytes())
		}
		if string(line["seq"]) != fmt.Sprint(recs[i].Seq) {
			t.Errorf("line %d: seq %s, want %d", i+1, line["seq"], recs[i].Seq)
		}
		if recs[i].Malformed != nil {
			if !strings.Contains(string(line["malformed"]), "not a dcmove event") {
				t.Errorf("malformed line %s", sc.Bytes())
			}
			continue
		}
		stored, err := json.Marshal(recs[i].Envelope)
		if err != nil {
			t.Fatal(err)
		}
		delete(line, "seq")
		again, _ := json.Marshal(line)
		var want map[string]json.RawMessage
		json.Unmarshal(stored, &want)
		wantJSON, _ := json.Marshal(want)
		if !bytes.Equal(again, wantJSON) {
			t.Errorf("line %d is not the stored envelope:\n got %s\nwant %s", i+1, again, wantJSON)
		}
		if !bytes.HasPrefix(sc.Bytes(), []byte(`{"seq":`)) || !bytes.HasSuffix(sc.Bytes(), stored[len(stored)-20:]) {
			t.Errorf("line %d does not end as the stored envelope: %s", i+1, sc.Bytes())
		}
	}
	if i != len(recs) {
		t.Errorf("%d lines, want %d", i, len(recs))
	}
}
