package web

import (
	"cmp"
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
)

// View is what the war-room page shows of a run at one moment: the
// status board, the forecast, the Gantt of planned against actual, the
// firewall reconciliation, the checks per vantage point and the latest
// events with who did them. It is sent whole to the page after every
// change: a page that reconnects needs nothing else to be current.
type View struct {
	Version int    `json:"version"`
	Seq     uint64 `json:"seq"`
	// Board is the same board `dcmove status --output json` prints.
	Board    *projections.Board `json:"board"`
	Forecast *projections.ETA   `json:"forecast,omitempty"`
	// ForecastNote says why there is no forecast yet.
	ForecastNote string       `json:"forecast_note,omitempty"`
	Gantt        []GanttRow   `json:"gantt"`
	Firewall     *FirewallBox `json:"firewall,omitempty"`
	Checks       []CheckRow   `json:"checks,omitempty"`
	Notices      []NoticeRow  `json:"notices,omitempty"`
	Recent       []Entry      `json:"recent"`
	// Lost, when set, is since when the page's server has been cut off
	// from the event store: what it shows is as of then.
	Lost    time.Time `json:"lost,omitzero"`
	LostWhy string    `json:"lost_why,omitempty"`
}

// GanttRow is one step on the Gantt: when it was planned, when it
// really ran (Start and End, zero while it has not), where it stands, and
// whether it is on the chain that drives the planned end.
type GanttRow struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Phase        string    `json:"phase"`
	Timing       string    `json:"timing,omitempty"`
	State        string    `json:"state"`
	Gate         bool      `json:"gate,omitempty"`
	Critical     bool      `json:"critical,omitempty"`
	PlannedStart time.Time `json:"planned_start,omitzero"`
	PlannedEnd   time.Time `json:"planned_end,omitzero"`
	Start        time.Time `json:"start,omitzero"`
	End          time.Time `json:"end,omitzero"`
	By           string    `json:"by,omitempty"`
	// Late is how late the step is against its planned end (or start,
	// for a step not started): zero when it is not.
	Late events.Duration `json:"late,omitempty"`
}

// FirewallBox is where the firewall rules stand.
type FirewallBox struct {
	PlanRules   int      `json:"plan_rules"`
	Captured    int      `json:"captured_at_source"`
	Kept        int      `json:"kept"`
	Retired     int      `json:"retired"`
	ToReview    []string `json:"to_review"`
	Destination bool     `json:"destination_captured"`
	Verified    int      `json:"verified"`
	Missing     []string `json:"missing"`
	Unexpected  []string `json:"unexpected"`
	Reappeared  []string `json:"reappeared"`
}

// CheckRow is one check with its last result from each vantage point.
type CheckRow struct {
	ID     string      `json:"id"`
	Of     string      `json:"of"`
	Kind   string      `json:"kind"`
	Target string      `json:"target"`
	From   []CheckSeen `json:"from"`
}

// CheckSeen is a check's last result from one vantage point; State is
// passed, failed, error (it could not run) or not run.
type CheckSeen struct {
	Vantage string    `json:"vantage"`
	State   string    `json:"state"`
	At      time.Time `json:"at,omitzero"`
	Seen    string    `json:"seen,omitempty"`
}

// NoticeRow is where a stakeholder's notice stands: recipients, how many
// acknowledged, and the deadline.
type NoticeRow struct {
	Stakeholder  string    `json:"stakeholder"`
	Title        string    `json:"title,omitempty"`
	Recipients   int       `json:"recipients"`
	Sent         int       `json:"sent"`
	Bounced      int       `json:"bounced"`
	Acknowledged int       `json:"acknowledged"`
	Waived       string    `json:"waived,omitempty"`
	Deadline     time.Time `json:"deadline,omitzero"`
}

// Entry is one event of the trail: when, who, what.
type Entry struct {
	Seq   uint64    `json:"seq"`
	Time  time.Time `json:"time"`
	Actor string    `json:"actor,omitempty"`
	Text  string    `json:"text"`
}

// Recent is how many of the latest events a view carries.
const Recent = 40

// NewView builds the page's view of a snapshot, with the latest events.
func NewView(sn projections.Snapshot, recent []Entry) *View {
	s, now := sn.Status, sn.Now
	v := &View{Version: 1, Seq: s.LastSeq, Board: s.Board(now), Forecast: sn.Forecast, Recent: recent}
	switch {
	case sn.ForecastErr != nil:
		v.ForecastNote = "unavailable: " + sn.ForecastErr.Error()
	case sn.Forecast == nil:
		v.ForecastNote = "computing…"
	}
	if !sn.Lost.IsZero() {
		v.Lost = sn.Lost
		if sn.LostWhy != nil {
			v.LostWhy = sn.LostWhy.Error()
		}
	}
	critical := drivingChain(s.Run)
	for _, st := range s.Steps {
		if st.BackoutOnly && st.State() == runbooks.Pending {
			continue
		}
		row := GanttRow{ID: st.ID, Title: st.Title, Phase: st.Phase, Timing: string(st.Timing), State: string(st.State()), Gate: st.Gate,
			Critical: critical[st.ID], PlannedStart: st.PlannedStart, PlannedEnd: st.PlannedEnd, Start: st.Started, End: st.Done}
		switch st.State() {
		case runbooks.Started:
			row.By = st.StartedBy
		case runbooks.Done, runbooks.Failed, runbooks.Skipped:
			row.By = st.DoneBy
		}
		row.Late = events.Duration(s.Late(st, now))
		v.Gantt = append(v.Gantt, row)
	}
	v.Firewall = firewallBox(&s.Firewall)
	v.Checks = checkRows(&s.Validation)
	return v
}

// drivingChain marks the steps that drive the planned end of the window's
// work: from the step that ends last, back through the dependency whose
// end its planned start waited for (the latest-ending one when none ends
// exactly then, as when a person or a truck was busy).
func drivingChain(r *runbooks.Run) map[string]bool {
	out := map[string]bool{}
	var last *runbooks.Step
	for _, st := range r.Steps {
		if st.BackoutOnly || st.PlannedEnd.IsZero() || st.Timing != events.TimingWindow {
			continue
		}
		if last == nil || st.PlannedEnd.After(last.PlannedEnd) {
			last = st
		}
	}
	for st := last; st != nil && !out[st.ID]; {
		out[st.ID] = true
		var next *runbooks.Step
		for _, id := range st.After {
			dep := r.Find(id)
			if dep == nil || dep.PlannedEnd.IsZero() {
				continue
			}
			if next == nil || dep.PlannedEnd.After(next.PlannedEnd) {
				next = dep
			}
		}
		st = next
	}
	return out
}

func firewallBox(f *runbooks.Firewall) *FirewallBox {
	if len(f.Plan) == 0 && len(f.Captures) == 0 {
		return nil
	}
	rc := f.Reconcile()
	b := &FirewallBox{PlanRules: len(f.Plan), Kept: rc.Kept, Retired: rc.Retired, Destination: f.Destination, Verified: len(rc.Verified),
		ToReview: names(rc.ToReview), Missing: names(rc.Missing), Unexpected: names(rc.Unexpected), Reappeared: names(rc.Reappeared)}
	for _, r := range f.Rules {
		if r.FromSource {
			b.Captured++
		}
	}
	return b
}

// names names captured rules: the plan's id when the plan has them, with
// the rule as exported.
func names(rules []*runbooks.CapturedRule) []string {
	out := []string{}
	for _, r := range rules {
		out = append(out, cmp.Or(r.PlanRule, r.ID)+": "+r.Text)
	}
	return out
}

func checkRows(v *runbooks.Validation) []CheckRow {
	var out []CheckRow
	for _, c := range v.Checks {
		row := CheckRow{ID: c.ID, Of: c.Of, Kind: c.Kind, Target: c.Target}
		from := c.Vantages()
		for _, f := range from {
			seen := CheckSeen{Vantage: f, State: "not run"}
			if last, ok := v.Last[c.ID][f]; ok {
				seen.At, seen.Seen = last.At, last.Seen
				switch {
				case last.Error != "":
					seen.State, seen.Seen = "error", last.Error
				case last.OK:
					seen.State = "passed"
				default:
					seen.State = "failed"
				}
			}
			row.From = append(row.From, seen)
		}
		out = append(out, row)
	}
	return out
}

// PublicView is what a customer may see: the window, the services down
// on purpose and until when they are planned back, and what is back. No
// names of people, steps or equipment.
type PublicView struct {
	Version     int       `json:"version"`
	Seq         uint64    `json:"seq"`
	Title       string    `json:"title"`
	Now         time.Time `json:"now"`
	TimeZone    string    `json:"timezone"`
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	// Degraded is set while only vital services run, since DegradedSince.
	Degraded      bool            `json:"degraded"`
	DegradedSince time.Time       `json:"degraded_since,omitzero"`
	Down          []PublicService `json:"down"`
	Back          []PublicService `json:"back"`
	// Finished is set once the move's work in the window is done.
	Finished bool `json:"finished,omitempty"`
}

// PublicService is a service as a customer sees it.
type PublicService struct {
	Title string `json:"title"`
	// OnPurpose: stopped for the move, not an incident.
	OnPurpose bool      `json:"on_purpose,omitempty"`
	Since     time.Time `json:"since,omitzero"`
	// Until is when the plan has it back (zero: not planned).
	Until time.Time `json:"until,omitzero"`
	// Validated: its checks passed from every vantage point.
	Validated bool `json:"validated,omitempty"`
}

// NewPublicView builds what a customer may see of a snapshot.
func NewPublicView(sn projections.Snapshot) *PublicView {
	s, now := sn.Status, sn.Now
	b := s.Board(now)
	v := &PublicView{Version: 1, Seq: s.LastSeq, Title: cmp.Or(s.Title, s.Plan), Now: now, TimeZone: s.TimeZone,
		WindowStart: s.WindowStart, WindowEnd: s.WindowEnd, Degraded: s.Degraded, DegradedSince: s.DegradedSince,
		Down: []PublicService{}, Back: []PublicService{}, Finished: !b.MoveEnded.IsZero()}
	for _, sv := range s.Services {
		title := cmp.Or(sv.Title, sv.ID)
		until := time.Time{}
		for _, st := range s.Steps {
			if st.Service == sv.ID && st.Kind == events.KindStartService && !st.BackoutOnly {
				until = st.PlannedEnd
			}
		}
		validated := len(s.Validation.Of(sv.ID)) > 0 && len(s.Validation.Pending(sv.ID)) == 0
		switch {
		case !sv.DownSince.IsZero():
			v.Down = append(v.Down, PublicService{Title: title, OnPurpose: s.OnPurpose(sv.ID), Since: sv.DownSince, Until: until})
		case sv.Down > 0:
			v.Back = append(v.Back, PublicService{Title: title, Validated: validated})
		}
	}
	slices.SortStableFunc(v.Down, func(a, b PublicService) int { return a.Until.Compare(b.Until) })
	return v
}
