package events

// TypeCheckRan is the wire type of a validation check's result.
const TypeCheckRan = "dcmove.check.ran"

// CheckDef is a validation check of the plan as recorded when the cutover
// started: what it tests (Kind, Target, Expect), for which service or
// asset (Of), and from which vantage points it must pass (From).
//
// The details (Type to Retries) were added to version 1 without a new
// version: a check recorded without them runs with the defaults and the
// command's flags.
type CheckDef struct {
	ID     string   `json:"id"`
	Of     string   `json:"of"`
	Kind   string   `json:"kind"`
	Target string   `json:"target"`
	Expect string   `json:"expect,omitempty"`
	From   []string `json:"from,omitempty"`
	// Type, Resolver and MaxTTL are a dns check's record type, resolver
	// and longest TTL accepted.
	Type     string   `json:"type,omitempty"`
	Resolver string   `json:"resolver,omitempty"`
	MaxTTL   Duration `json:"max_ttl,omitempty"`
	// Status and Body are what an http check expects.
	Status int    `json:"status,omitempty"`
	Body   string `json:"body,omitempty"`
	// ServerName and MinDays are what a tls check expects.
	ServerName string `json:"server_name,omitempty"`
	MinDays    int    `json:"min_days,omitempty"`
	// Timeout is for each attempt and Retries the attempts after the
	// first; zero leaves them to the command that runs the check.
	Timeout Duration `json:"timeout,omitempty"`
	Retries int      `json:"retries,omitempty"`
}

// Vantages are the vantage points a check must pass from: From, or
// "local" (where dcmove check run runs) when the plan names none.
func (c CheckDef) Vantages() []string {
	if len(c.From) == 0 {
		return []string{"local"}
	}
	return c.From
}

// CheckRan records one run of a validation check from a vantage point:
// what it expected, what it saw, and whether that passed. Error is set
// when the check could not tell (a resolver that did not answer, a
// timeout): a check that could not run is not a check that failed.
type CheckRan struct {
	Check    string   `json:"check"`
	From     string   `json:"from"`
	OK       bool     `json:"ok"`
	Expected string   `json:"expected"`
	Seen     string   `json:"seen,omitempty"`
	Error    string   `json:"error,omitempty"`
	Latency  Duration `json:"latency"`
	Attempts int      `json:"attempts"`
}

func (CheckRan) EventType() string { return TypeCheckRan }
func (CheckRan) EventVersion() int { return 1 }

// CheckSubject is the subject of a check's results.
func CheckSubject(check string) string { return "check/" + check }
