package planner

import (
	"container/heap"
	"fmt"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
)

// Plan is a datacenter move as the migration lead wrote it: who, what, when,
// and the steps of the runbook. [Parse] only returns plans that are valid:
// ids are unique, every reference resolves and the steps have no cycle.
type Plan struct {
	// Name identifies the plan (yaml "plan"); it is an id, see [Parse].
	Name string
	// Title is the plan's human title (yaml "title").
	Title string
	// Lead is the name of the crew member who leads the move: the single
	// point of contact (yaml "lead").
	Lead string
	// Runbook names the runbook template that expands into the plan's steps
	// (yaml "runbook"): a built-in name such as "weekend-cutover", or a path
	// to a template file relative to the plan file. Empty: the plan's steps
	// are written out by hand in Steps.
	Runbook string
	// GracePeriod is how long after validation a source asset must be kept
	// before it may be decommissioned (yaml "grace_period", default 10 days).
	GracePeriod time.Duration
	// GracePeriodPos is where grace_period is written (zero: not written).
	GracePeriodPos Pos
	// Window is when the move may happen (yaml "window").
	Window Window
	// Sites are the datacenters involved (yaml "sites").
	Sites []Site
	// Crew is the people working the move (yaml "crew").
	Crew []Person
	// Transport is the vehicles that carry equipment between sites
	// (yaml "transport").
	Transport []Vehicle
	// Resources are other renewable resources steps may need, such as dock
	// slots or lifts (yaml "resources").
	Resources []Resource
	// Assets is the equipment that moves (yaml "assets").
	Assets []Asset
	// Services are what the assets run for customers (yaml "services").
	Services []Service
	// FirewallRules are the rules exported from the source site's
	// equipment (yaml "firewall_rules").
	FirewallRules []FirewallRule
	// Domains are the DNS names that point at the moved services
	// (yaml "domains").
	Domains []Domain
	// Backups say what is backed up and where the copies live
	// (yaml "backups").
	Backups []Backup
	// Stakeholders are who must be told of the move (yaml "stakeholders").
	Stakeholders []Stakeholder
	// Notices says how notices are sent (yaml "notices").
	Notices Notices
	// Steps is the runbook, in file order (yaml "steps"): written by hand,
	// or added to the steps the runbook template expands into.
	Steps []Step
	// File is the file name the plan was read from.
	File string
	// Hash is the hex SHA-256 of the plan file's bytes, to tell which
	// version of a plan a run used.
	Hash string
}

// Window is the time the move is allowed to take, from the moment the team
// may start until the service must be back to normal.
type Window struct {
	// Start and End bound the window; both are in Location.
	Start, End time.Time
	// TimeZone is the IANA name of the site's time zone, e.g. Europe/Paris.
	TimeZone string
	// Location is TimeZone loaded.
	Location *time.Location
	// Blackouts are periods no move may overlap: holidays, change freezes
	// (yaml "blackouts").
	Blackouts []Blackout
}

// Blackout is a period when no move should happen.
type Blackout struct {
	Name       string // yaml "name"
	Start, End time.Time
	Pos        Pos
}

// Person is a member of the crew.
type Person struct {
	// Name is how the person is referred to in the plan, e.g. in lead.
	Name string
	// Roles are what the person can do, e.g. lead, network, tech, app.
	Roles []string
	// Shifts are when the person is available (yaml "shifts", each
	// {start, end}); none means the whole window.
	Shifts []Shift
	// Key is the person's public user NKey (yaml "key", "U…"), made with
	// dcmove keys new: a plan whose crew lists keys requires every action
	// of its runs to be signed with the key of the person who takes it.
	// KeyPos is where it is written.
	Key    string
	KeyPos Pos
	// Pos is where the person is defined in the plan file.
	Pos Pos
}

// Shift is a period a crew member works.
type Shift struct {
	Start, End time.Time
	Pos        Pos
}

// Asset is a piece of equipment that moves: a server, a switch, a firewall.
type Asset struct {
	// ID identifies the asset in steps.
	ID string
	// Kind says what the asset is, e.g. server, switch, firewall.
	Kind string
	// Title is the asset's human description.
	Title string
	// From and To are where the asset stands before and after the move
	// (yaml "from", "to": {site, rack, u}). An asset with no To is not
	// moved; see Decommission.
	From, To Place
	// Height is the asset's height in rack units (yaml "height").
	Height int
	// Power is the asset's power draw in watts (yaml "power"); powered
	// hardware needs a cool-down before it is handled.
	Power int
	// Weight is the asset's weight in kilograms (yaml "weight"; zero:
	// unknown), checked against its destination rack's limit (L024).
	Weight float64
	// Cooldown is how long the asset must cool down after shutdown before
	// it is unracked (yaml "cooldown").
	Cooldown time.Duration
	// Services are the ids of the services that run on the asset
	// (yaml "services").
	Services []string
	// Standard is false for assets with a non-standard configuration
	// (yaml "standard: false"): each needs a validation check of its own.
	Standard bool
	// Checks are validation checks specific to this asset (yaml "checks").
	Checks []Check
	// Decommission marks a source asset that is retired instead of moved
	// (yaml "decommission").
	Decommission bool
	// Pos is where the asset is defined in the plan file.
	Pos Pos
}

// Place is a position in a datacenter.
type Place struct {
	Site string // a site id
	Rack string
	U    int // lowest rack unit the asset occupies
	Pos  Pos
}

// Moved reports whether the asset changes place.
func (a *Asset) Moved() bool { return a.To.Site != "" && !a.Decommission }

// Site is a datacenter, with the procedures to get in and out of it.
type Site struct {
	ID, Title string
	// Access are the administrative procedures of the site, such as ID
	// checks on entry or the equipment release paperwork on exit
	// (yaml "access").
	Access []Procedure
	// Racks are the site's racks and what they can take (yaml "racks"):
	// the capacity lints (L022 to L024) check what moves into them.
	Racks []Rack
	Pos   Pos
}

// Rack is a rack of a site and what it can take. A zero Height, Power or
// Weight is unknown, and not checked.
type Rack struct {
	// ID is the rack's name as the assets' from and to write it (yaml
	// "id"): any text, unique within the site.
	ID string
	// Height is how many rack units the rack has, numbered from 1 at the
	// bottom (yaml "height").
	Height int
	// Power is the watts the rack's feeds may supply (yaml "power"): the
	// budget of what is plugged into it.
	Power int
	// Weight is the load in kilograms the rack may carry (yaml "weight").
	Weight float64
	// Used are the rack units taken by equipment outside the plan that
	// stays in the rack (yaml "used": [U1-U4, 40]); UsedPower the watts
	// it draws (yaml "used_power") and UsedWeight its kilograms (yaml
	// "used_weight"). Assets of the plan are counted from the plan.
	Used       []Units
	UsedPower  int
	UsedWeight float64
	Pos        Pos
}

// Units is a range of rack units, Low to Top included.
type Units struct {
	Low, Top int
	Pos      Pos
}

// String formats the range as a plan writes it: "U10", "U10-U11".
func (u Units) String() string { return units(u.Low, u.Top) }

// Rack returns the rack id of site id, if the plan declares it.
func (p *Plan) Rack(site, id string) (*Rack, bool) {
	for i := range p.Sites {
		if p.Sites[i].ID != site {
			continue
		}
		for k := range p.Sites[i].Racks {
			if p.Sites[i].Racks[k].ID == id {
				return &p.Sites[i].Racks[k], true
			}
		}
	}
	return nil, false
}

// Procedure is an administrative procedure at a site.
type Procedure struct {
	ID, Title string
	// When is "enter" or "exit".
	When     string
	Duration Duration
	Role     string // who goes through it, if a role is needed
	Pos      Pos
}

// Vehicle is a kind of vehicle available to carry equipment.
type Vehicle struct {
	ID, Title string
	// Count is how many such vehicles there are (yaml "count", default 1).
	Count int
	// CapacityU is how many rack units of equipment one trip carries
	// (yaml "capacity_u"); CapacityItems how many pieces (yaml
	// "capacity_items"). Zero means no limit of that kind.
	CapacityU, CapacityItems int
	// Trip is how long one trip takes, loading to unloading (yaml "trip").
	Trip Duration
	Pos  Pos
}

// Resource is a renewable resource steps may need: dock slots, lifts.
type Resource struct {
	ID, Title string
	Capacity  int
	Pos       Pos
}

// Service is something the assets run for customers.
type Service struct {
	ID, Title string
	// Vital services stay up during degraded mode (yaml "vital").
	Vital bool
	// KeepUp keeps the service up while the machines move (yaml
	// "keep_up"): its hosts move in two waves, the second shut down only
	// once the first is powered on at the destination, so one wave always
	// serves. It has no stop and no start step, and is never down on
	// purpose. It needs at least two moved hosts.
	KeepUp bool
	// DependsOn are the ids of the services this one needs
	// (yaml "depends_on").
	DependsOn []string
	// RTO is the restoration time objective: how long the service may be
	// down (yaml "rto").
	RTO time.Duration
	// Checks validate the service (yaml "checks").
	Checks []Check
	Pos    Pos
}

// Check is an automated validation: a DNS answer, a TCP connect, an HTTP
// response.
type Check struct {
	ID string
	// Kind is dns, tcp, http or tls.
	Kind string
	// Target is a host name (dns), host:port (tcp, tls) or URL (http).
	Target string
	// Expect is what must be seen: the addresses or names a dns answer
	// holds (comma-separated), an http status (three digits) or a text
	// of the body; for tls, the fewest days the certificate must still be
	// valid (14 if empty).
	Expect string
	// From are the vantage points the check runs from (yaml "from").
	From []string
	// Type is the DNS record type asked (yaml "type": A, AAAA, CNAME, MX,
	// NS, TXT; A by default); Resolver the resolver asked, host[:port]
	// (yaml "resolver"; the vantage point's own when empty); MaxTTL the
	// longest TTL accepted in the answer (yaml "max_ttl"), for a TTL that
	// was to be lowered before the move.
	Type, Resolver string
	MaxTTL         time.Duration
	// Status is the HTTP status expected (yaml "status", 200 by default)
	// and Body a text the body must hold (yaml "body"): both may be given,
	// where Expect holds one or the other.
	Status int
	Body   string
	// ServerName is the name a TLS certificate must be valid for (yaml
	// "server_name"; the target's host by default) and MinDays the fewest
	// days it must still be valid (yaml "min_days").
	ServerName string
	MinDays    int
	// Timeout is how long one attempt may take (yaml "timeout") and
	// Retries the attempts after the first (yaml "retries"); zero leaves
	// them to the command's flags.
	Timeout time.Duration
	Retries int
	Pos     Pos
}

// FirewallRule is one rule exported from the source site's equipment.
type FirewallRule struct {
	ID, Title                            string
	Source, Destination, Ports, Protocol string
	// Action is allow or deny.
	Action string
	// Obsolete rules are removed rather than re-created (yaml "obsolete").
	Obsolete bool
	Pos      Pos
}

// Domain is a DNS name pointing at a moved service.
type Domain struct {
	Name    string
	Service string
	TTL     time.Duration
	// Checks validate the domain (yaml "checks"): a dns check's target is
	// the domain's name unless it says otherwise. A check-dns step of the
	// domain is done when they passed from every vantage point.
	Checks []Check
	Pos    Pos
}

// Backup says where the copies of an asset's data are kept.
type Backup struct {
	ID string
	// Of is the id of the asset backed up.
	Of string
	// StoredOn is the id of the asset holding the copies, or a place
	// outside the plan (yaml "stored_on", e.g. "offsite:s3-paris").
	StoredOn string
	// Verified says a restore from this backup was tested.
	Verified bool
	Pos      Pos
}

// OffSite reports whether the backup is stored outside every asset of the
// plan.
func (b *Backup) OffSite(p *Plan) bool {
	for i := range p.Assets {
		if p.Assets[i].ID == b.StoredOn {
			return false
		}
	}
	return true
}

// Stakeholder is someone who must be told of the move: a customer, a
// support desk, a provider.
type Stakeholder struct {
	ID, Title string
	Contact   string
	// Notice is how long before the window the notice must go out
	// (yaml "notice").
	Notice time.Duration
	// Ack says the stakeholder must acknowledge the notice (yaml "ack").
	Ack bool
	// Recipients are the people the notice is sent to (yaml "recipients":
	// {name, email} or "Name <email>"); RecipientsFile a CSV file of more
	// (yaml "recipients_file", relative to the plan; a header with
	// "email" and optionally "name"), read by [Plan.RecipientsOf].
	Recipients     []Recipient
	RecipientsFile string
	Pos            Pos
}

// Recipient is someone a notice is sent to.
type Recipient struct {
	Name, Email string
}

// Notices is how the plan's notices are sent (yaml "notices").
type Notices struct {
	// Contact is the single point of contact every notice names (yaml
	// "contact"), e.g. "Claire Martin, +33 1 84 88 00 00, move@workit.fr".
	Contact string
	// SMTP is the mail server, host:port (yaml "smtp"); From the sender
	// (yaml "from"); AckURL the address the war-room page is served at,
	// which acknowledgement links start with (yaml "ack_url", e.g.
	// https://move.workit.fr). Flags of dcmove notice send override them.
	// Credentials are never in the plan.
	SMTP, From, AckURL string
	Pos                Pos
}

// Step is one piece of work of the runbook.
type Step struct {
	// ID identifies the step; other steps name it in After.
	ID string
	// Title says what the team does, in their words.
	Title string
	// Kind says what the step is (yaml "kind"): lints, guards and status
	// treat every step of a kind alike, whatever its id. Empty for plain
	// work; a gate (yaml "gate: true") with no kind is [events.KindGate].
	Kind events.StepKind
	// Phase is free text grouping steps, e.g. before, move, after.
	Phase string
	// Duration is how long the step is expected to take.
	Duration Duration
	// After lists the ids of the steps that must finish before this one
	// starts.
	After []string
	// Asset is the id of the asset the step works on, if any.
	Asset string
	// Role is the crew role the step needs, if any.
	Role string
	// Gate marks a go/no-go decision that someone must sign.
	Gate bool
	// Needs are the resources the step holds while it runs, besides its
	// crew member (yaml "needs": {resource-or-vehicle-id: amount}).
	Needs []Need
	// Backout lists the ids of the steps that undo this one if the move
	// backs out (yaml "backout").
	Backout []string
	// BackoutOnly marks a step that only runs during a back-out.
	BackoutOnly bool
	// Timer is Kind when the step is a timer no one works on: "cooldown",
	// the wait after its asset's shutdown, ends by itself when the asset
	// has cooled down; "grace", a grace period, cannot end before its
	// duration. A plan may still write timer: cooldown or timer: grace,
	// which declares that kind.
	//
	// Deprecated: read Kind ([events.StepKind.IsTimer]).
	Timer string
	// Service, Rule, Stakeholder, Site name what an expanded step is about;
	// a plan's own step may name its service and firewall rule (yaml
	// "service", "rule").
	Service, Rule, Stakeholder, Site string
	// Domain is the DNS name an expanded step of a domain is about.
	Domain string
	// Require lists what must be true before a gate may be signed go
	// (yaml "require"): "firewall" (the destination's last export has
	// every rule kept and none retired, every rule the plan forgot reviewed),
	// "checks" (every check passed from every vantage point).
	Require []string
	// Template is the id of the runbook template step this step was
	// expanded from, if any.
	Template string
	// Pos is where the step is defined in the plan file (or template).
	Pos Pos
}

// Need is an amount of a resource a step holds while it runs.
type Need struct {
	Resource string
	Amount   int
}

// Duration is an estimate as a range: best case, most likely, worst case.
type Duration struct {
	Optimistic, Likely, Pessimistic time.Duration
}

// String returns "30m" when the three estimates are equal, else
// "optimistic/likely/pessimistic" such as "20m/30m/1h": the forms a plan
// file accepts.
func (d Duration) String() string {
	if d.Optimistic == d.Likely && d.Likely == d.Pessimistic {
		return shortDuration(d.Likely)
	}
	return shortDuration(d.Optimistic) + "/" + shortDuration(d.Likely) + "/" + shortDuration(d.Pessimistic)
}

// Span formats a duration the way a plan file and a crew write it, to the
// minute: "1h", "14h30m", "45m" (to the second below a minute).
func Span(d time.Duration) string {
	if d >= time.Minute || d <= -time.Minute {
		return shortDuration(d.Round(time.Minute))
	}
	return d.Round(time.Second).String()
}

// shortDuration formats d like time.Duration.String without the zero
// minutes and seconds that people do not write: "1h", "14h30m", "45m".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// RequiresKeys reports whether the plan's crew lists keys: then every
// member has one and every action of its runs must be signed.
func (p *Plan) RequiresKeys() bool {
	for _, c := range p.Crew {
		if c.Key != "" {
			return true
		}
	}
	return false
}

// Step returns the step with the given id.
func (p *Plan) Step(id string) (*Step, bool) {
	for i := range p.Steps {
		if p.Steps[i].ID == id {
			return &p.Steps[i], true
		}
	}
	return nil, false
}

// graph is the steps' dependencies by index: preds[i] are the steps that
// must finish before step i, succs[i] those that wait for it. References
// to unknown steps and to the step itself are left out.
type graph struct {
	preds, succs [][]int
}

func (p *Plan) graph() graph {
	index := make(map[string]int, len(p.Steps))
	for i, s := range p.Steps {
		if _, dup := index[s.ID]; !dup {
			index[s.ID] = i
		}
	}
	g := graph{preds: make([][]int, len(p.Steps)), succs: make([][]int, len(p.Steps))}
	for i, s := range p.Steps {
		seen := map[int]bool{}
		for _, a := range s.After {
			j, ok := index[a]
			if !ok || j == i || seen[j] {
				continue
			}
			seen[j] = true
			g.preds[i] = append(g.preds[i], j)
			g.succs[j] = append(g.succs[j], i)
		}
	}
	return g
}

// order returns step indexes in a topological order; among the steps ready
// at any point the one earliest in the file comes first. Steps on a cycle
// (possible only in a plan built by hand) come last, in file order.
func (p *Plan) order(g graph) []int {
	waiting := make([]int, len(p.Steps))
	ready := &intHeap{}
	for i := range p.Steps {
		waiting[i] = len(g.preds[i])
		if waiting[i] == 0 {
			heap.Push(ready, i)
		}
	}
	out := make([]int, 0, len(p.Steps))
	done := make([]bool, len(p.Steps))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		out = append(out, i)
		done[i] = true
		for _, j := range g.succs[i] {
			waiting[j]--
			if waiting[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	for i := range p.Steps {
		if !done[i] {
			out = append(out, i)
		}
	}
	return out
}

// Order returns the step ids in an order that respects every After: a step
// comes after all the steps it depends on. Among steps that are ready at the
// same point, the one written first in the file comes first, so the order is
// stable and reads like the file.
func (p *Plan) Order() []string {
	idx := p.order(p.graph())
	ids := make([]string, len(idx))
	for k, i := range idx {
		ids[k] = p.Steps[i].ID
	}
	return ids
}

// CriticalPath returns the length of the longest chain of dependent steps,
// using their likely durations, and the ids of the steps on it in execution
// order. With unlimited crew, the move cannot finish sooner than this.
func (p *Plan) CriticalPath() (time.Duration, []string) {
	if len(p.Steps) == 0 {
		return 0, nil
	}
	g := p.graph()
	finish := make([]time.Duration, len(p.Steps))
	via := make([]int, len(p.Steps)) // the predecessor on the longest chain, or -1
	last := -1
	for _, i := range p.order(g) {
		best := -1
		for _, j := range g.preds[i] {
			if best < 0 || finish[j] > finish[best] || (finish[j] == finish[best] && j < best) {
				best = j
			}
		}
		via[i] = best
		var start time.Duration
		if best >= 0 {
			start = finish[best]
		}
		finish[i] = start + p.Steps[i].Duration.Likely
		if last < 0 || finish[i] > finish[last] || (finish[i] == finish[last] && i < last) {
			last = i
		}
	}
	var path []string
	for i := last; i >= 0; i = via[i] {
		path = append(path, p.Steps[i].ID)
	}
	for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
		path[a], path[b] = path[b], path[a]
	}
	return finish[last], path
}

// Summary describes the plan in one line for people: its size, its window
// and its critical path.
func (p *Plan) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan %s", p.Name)
	if p.Title != "" {
		fmt.Fprintf(&b, " %q", p.Title)
	}
	if p.Runbook != "" {
		fmt.Fprintf(&b, ": runbook %s", p.Runbook)
		if len(p.Steps) > 0 {
			fmt.Fprintf(&b, " and %s of its own", count(len(p.Steps), "step"))
		}
		fmt.Fprintf(&b, ", %s, %s, %s", count(len(p.Assets), "asset"), count(len(p.Services), "service"), count(len(p.Crew), "crew"))
	} else {
		fmt.Fprintf(&b, ": %s, %s, %s", count(len(p.Steps), "step"), count(len(p.Assets), "asset"), count(len(p.Crew), "crew"))
	}
	w := p.Window
	if !w.Start.IsZero() && !w.End.IsZero() {
		start, end := w.Start, w.End
		if w.Location != nil {
			start, end = start.In(w.Location), end.In(w.Location)
		}
		const layout = "Mon 2 Jan 15:04"
		fmt.Fprintf(&b, "; window %s – %s %s (%s)", start.Format(layout), end.Format(layout), w.TimeZone, shortDuration(end.Sub(start)))
	}
	if p.Runbook == "" {
		d, _ := p.CriticalPath()
		fmt.Fprintf(&b, "; critical path %s (likely)", shortDuration(d))
	}
	return b.String()
}

// count returns "1 step", "2 steps"; "crew" is its own plural.
func count(n int, noun string) string {
	if n != 1 && noun != "crew" {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// intHeap is a min-heap of step indexes, i.e. of file positions.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
