package projections_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
)

func TestCompare(t *testing.T) {
	other := newScript(t, "other", 5)
	other.at("06:30", "Claire Martin", "", events.CutoverStarted{Plan: "big", TimeZone: "Europe/Paris"})
	sameNameNoStep := newScript(t, "renamed", 5)
	sameNameNoStep.at("06:30", "Claire Martin", "", events.CutoverStarted{Plan: "small", TimeZone: "Europe/Paris"})
	sameNameNoStep.at("06:30", "Claire Martin", "step/else", events.StepPlanned{Step: "else", Title: "Something else"})
	for _, tt := range []struct {
		name     string
		a, b     []events.Record
		wantErr  error
		samePlan bool
		first    string
	}{
		{"rehearsal vs live", rehearsalRun(t, "sha-1"), liveRun(t), nil, true, "unrack-db +45m0s"},
		{"plan file calibrated between", rehearsalRun(t, "sha-0"), liveRun(t), nil, false, "unrack-db +45m0s"},
		{"live vs back-out", liveRun(t), backoutRun(t), nil, true, "capture -10m0s"},
		{"different plans", liveRun(t), other.recs, projections.ErrDifferentPlans, false, ""},
		{"same name, no common step", liveRun(t), sameNameNoStep.recs, projections.ErrDifferentPlans, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := projections.Compare(reportOf(tt.a), reportOf(tt.b))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if c.SamePlanFile != tt.samePlan {
				t.Errorf("same plan file %v", c.SamePlanFile)
			}
			if got := c.Steps[0].ID + " " + signedString(c.Steps[0].Delta); got != tt.first {
				t.Errorf("first step %s, want %s", got, tt.first)
			}
			for i := 1; i < len(c.Steps); i++ {
				p, q := c.Steps[i-1], c.Steps[i]
				if p.Both && q.Both && abs(q.Delta) > abs(p.Delta) || !p.Both && q.Both {
					t.Errorf("steps not sorted by |delta|: %s (%s) before %s (%s)", p.ID, p.Delta, q.ID, q.Delta)
				}
			}
		})
	}
	_, err := projections.Compare(reportOf(liveRun(t)), reportOf(other.recs))
	if err == nil || !strings.Contains(err.Error(), "run small is of plan small and run other of plan big") {
		t.Errorf("the refusal does not name the runs and plans: %v", err)
	}
}

func signedString(d time.Duration) string {
	if d > 0 {
		return "+" + d.String()
	}
	return d.String()
}

func abs(d time.Duration) time.Duration { return max(d, -d) }

func TestCompareGolden(t *testing.T) {
	c, err := projections.Compare(reportOf(rehearsalRun(t, "sha-1")), reportOf(liveRun(t)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Total.Steps != 9 || c.Total.A != 5*time.Hour+55*time.Minute || c.Total.B != 7*time.Hour+12*time.Minute {
		t.Errorf("total %+v", c.Total)
	}
	var text, table, doc bytes.Buffer
	if err := projections.WriteComparison(&text, c); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit-compare.golden", text.Bytes())
	if err := projections.WriteComparisonCSV(&table, c); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit-compare.csv", table.Bytes())
	if err := projections.WriteComparisonJSON(&doc, c); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit-compare.json", doc.Bytes())
	var v struct {
		Steps []struct {
			Step  string
			Delta string
		}
	}
	if err := json.Unmarshal(doc.Bytes(), &v); err != nil || len(v.Steps) != 10 || v.Steps[0].Delta != "+45m" {
		t.Errorf("JSON: %v %+v", err, v)
	}
}
