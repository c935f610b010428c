package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dcmove/dcmove/checks"
	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/miekg/dns"
	"github.com/urfave/cli/v2"
)

func (m *Main) checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "validation checks as facts: run the plan's checks from a vantage point and record what they saw",
		Subcommands: []*cli.Command{
			{
				Name:      "run",
				Usage:     "run checks of the plan from this vantage point (--from) and record each result; a validate step is done once its checks passed from every vantage point the plan names",
				ArgsUsage: "[SERVICE|ASSET|DOMAIN|CHECK...] [--all]",
				Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(),
					&cli.StringFlag{Name: "from", Usage: "the vantage point this machine is, as the plan's checks name it (from: [...])"},
					&cli.BoolFlag{Name: "agents", Usage: "ask the agent of every vantage point (dcmove agent --site NAME) to run its checks, instead of running them here"},
					&cli.BoolFlag{Name: "all", Usage: "every check of the plan (the default when no service, asset, domain or check is named)"},
					&cli.StringFlag{Name: "of", Usage: "only the checks of this service, asset or domain (the same as naming it)"},
					&cli.StringFlag{Name: "resolver", Usage: "DNS resolver to ask for the dns checks whose plan names none, host[:port] (default: the first nameserver of /etc/resolv.conf)"},
					&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "per attempt, for the checks whose plan gives no timeout"},
					intFlag("retries", 1, 0, 10, "attempts after the first, a second apart, for the checks whose plan gives no retries"),
					outputFlag()),
				Action: m.checkRun,
			},
			{
				Name:   "status",
				Usage:  "the last result of each check from each vantage point",
				Flags:  append(logFlags(), runFlag(), outputFlag()),
				Action: m.checkStatus,
			},
		},
	}
}

// checkRun runs the selected checks that are to run from --from, and
// records every result in one append.
func (m *Main) checkRun(c *cli.Context) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	from := c.String("from")
	agents := c.Bool("agents")
	if (from == "") == !agents {
		return usagef("give --from VANTAGE (run the checks here) or --agents (ask the agents of the vantage points)")
	}
	if !agents {
		if err := checkIDArg("--from", from); err != nil {
			return err
		}
	}
	names := c.Args().Slice()
	if of := c.String("of"); of != "" {
		names = append(names, of)
	}
	if c.Bool("all") && len(names) > 0 {
		return usagef("--all runs every check: name no service, asset, domain or check with it")
	}
	for _, n := range names {
		if n == "" || len(n) > 253 || strings.ContainsAny(n, " /\t\n*>") {
			return usagef("%q is not a service, asset, domain or check id", n)
		}
	}
	if c.Duration("timeout") <= 0 || c.Duration("timeout") > 5*time.Minute {
		return usagef("--timeout %s: give a duration from 1ms to 5m", c.Duration("timeout"))
	}
	lr, err := m.loadRun(c, false, true)
	if err != nil {
		return err
	}
	defer lr.l.Close()
	r := lr.r
	var results []events.CheckRan
	var silent map[string]string
	where := from
	if agents {
		defs, err := selectChecks(r, names, "")
		if err != nil {
			return err
		}
		results, silent = askAgents(c.Context, lr.l.Conn(), defs, c.Duration("timeout"), c.Int("retries"))
		where = "the agents"
	} else {
		defs, err := selectChecks(r, names, from)
		if err != nil {
			return err
		}
		resolver, err := resolverFor(c.String("resolver"), defs)
		if err != nil {
			return err
		}
		results = runChecks(c.Context, defs, from, resolver, c.Duration("timeout"), c.Int("retries"))
	}
	for _, f := range slices.Sorted(maps.Keys(silent)) {
		if !jsonOutput(c) {
			fmt.Fprintf(m.Stdout, "%s: nothing recorded: %s\n", f, silent[f])
		}
	}
	if len(results) == 0 {
		return fmt.Errorf("%w: no agent answered: start one on each vantage point (dcmove agent --site NAME)", events.ErrUnavailable)
	}
	out, err := lr.cut.Execute(c.Context, r.ID, func(r *runbooks.Run, now time.Time) ([]events.Envelope, error) {
		return r.RecordChecks(now, lr.actor, results)
	})
	if err != nil {
		return fmt.Errorf("check run: %w", err)
	}
	if jsonOutput(c) {
		doc := checkRunDoc{Run: r.ID, From: where, Silent: silent, Results: results, Pending: map[string][]string{}, Completed: []string{}, NowReady: orEmpty(out.NowReady)}
		for _, res := range results {
			if d, ok := out.Run.Validation.Check(res.Check); ok {
				doc.Pending[d.Of] = orEmpty(out.Run.Validation.Pending(d.Of))
			}
		}
		for _, e := range out.Appended {
			if ev, err := e.Decode(); err == nil {
				if done, ok := ev.(events.StepCompleted); ok {
					doc.Completed = append(doc.Completed, done.Step)
				}
			}
		}
		return writeDoc(m.Stdout, "check-run", doc)
	}
	failed := 0
	for _, res := range results {
		if !res.OK {
			failed++
		}
	}
	fmt.Fprintf(m.Stdout, "ran %d checks from %s, recorded: %d passed, %d did not\n", len(results), where, len(results)-failed, failed)
	writeResults(m.Stdout, results)
	var owners []string
	for _, res := range results {
		if d, ok := out.Run.Validation.Check(res.Check); ok && !slices.Contains(owners, d.Of) {
			owners = append(owners, d.Of)
		}
	}
	for _, of := range owners {
		if pending := out.Run.Validation.Pending(of); len(pending) > 0 {
			fmt.Fprintf(m.Stdout, "%s: still to pass: %s\n", of, strings.Join(pending, "; "))
		} else {
			fmt.Fprintf(m.Stdout, "%s: every check passed from every vantage point\n", of)
		}
	}
	completed := false
	for _, e := range out.Appended {
		if ev, err := e.Decode(); err == nil {
			if done, ok := ev.(events.StepCompleted); ok {
				fmt.Fprintf(m.Stdout, "step %s (%s) is done: its checks passed\n", done.Step, out.Run.StepTitle(done.Step))
				completed = true
			}
		}
	}
	if completed {
		m.printReady(out, "now ready")
	}
	return nil
}

// checkRunDoc is what check run recorded, as JSON.
type checkRunDoc struct {
	Run  string `json:"run"`
	From string `json:"from"`
	// Silent are the vantage points whose agents recorded nothing, and why.
	Silent  map[string]string `json:"silent,omitempty"`
	Results []events.CheckRan `json:"results"`
	// Pending are, per service, asset or domain checked, its checks still
	// to pass; Completed the steps the results completed.
	Pending   map[string][]string `json:"pending"`
	Completed []string            `json:"completed"`
	NowReady  []string            `json:"now_ready"`
}

// resolverFor is the DNS resolver for checks run here: given, or the
// first nameserver of /etc/resolv.conf when a dns check needs one.
func resolverFor(given string, defs []events.CheckDef) (string, error) {
	if given != "" || !slices.ContainsFunc(defs, func(d events.CheckDef) bool { return d.Kind == "dns" && d.Resolver == "" }) {
		return given, nil
	}
	conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(conf.Servers) == 0 {
		return "", usagef("no resolver: give --resolver HOST[:PORT] (reading /etc/resolv.conf: %v)", err)
	}
	return conf.Servers[0], nil
}

// selectChecks picks the run's checks to run from vantage point from:
// those named (a check's id, or a service, asset or domain whose checks
// all run), or all when none is named; each must name from among its
// vantage points (or name none, for "local"). An empty from picks them
// whatever their vantage points (the agents run them).
func selectChecks(r *runbooks.Run, names []string, from string) ([]events.CheckDef, error) {
	runsFrom := func(d events.CheckDef) bool {
		return from == "" || slices.Contains(d.Vantages(), from)
	}
	var picked []events.CheckDef
	if len(names) == 0 {
		picked = r.Validation.Checks
	}
	for _, n := range names {
		if d, ok := r.Validation.Check(n); ok {
			if !runsFrom(d) {
				return nil, usagef("check %s is to pass from %s, not from %s", n, strings.Join(d.From, ", "), from)
			}
			picked = append(picked, d)
			continue
		}
		of := r.Validation.Of(n)
		if len(of) == 0 {
			for _, d := range r.Validation.Checks { // a domain's name in another case
				if strings.EqualFold(d.Of, n) {
					of = append(of, d)
				}
			}
		}
		if len(of) == 0 {
			return nil, usagef("run %s has no check %s, and no service, asset or domain %s with checks; dcmove check status lists them", r.ID, n, n)
		}
		picked = append(picked, of...)
	}
	var out []events.CheckDef
	vantages := map[string]bool{}
	for _, d := range picked {
		for _, f := range d.From {
			vantages[f] = true
		}
		if runsFrom(d) && !slices.ContainsFunc(out, func(o events.CheckDef) bool { return o.ID == d.ID }) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		what := "no check of run " + r.ID
		if len(names) > 0 {
			what = "no check of " + strings.Join(names, ", ")
		}
		return nil, usagef("%s is to run from %s; their vantage points are: %s", what, from, strings.Join(slices.Sorted(maps.Keys(vantages)), ", "))
	}
	return out, nil
}

// runChecks runs the checks, eight at a time, and returns their results in
// the checks' order.
func runChecks(ctx context.Context, defs []events.CheckDef, from, resolver string, timeout time.Duration, retries int) []events.CheckRan {
	results := make([]events.CheckRan, len(defs))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, d := range defs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res := checks.Runner{}.Run(ctx, toCheck(d, resolver, timeout, retries))
			results[i] = events.CheckRan{Check: d.ID, From: from, OK: res.OK, Expected: res.Expected, Seen: res.Seen, Error: res.Error,
				Latency: events.Duration(res.Latency), Attempts: res.Attempts}
		}()
	}
	wg.Wait()
	return results
}

// toCheck turns a plan's check into one to run: a dns check expects the
// addresses or names in expect (comma-separated), an http check the status
// in expect when it is three digits, else that text in the body; what the
// plan says of the check's details (its status, body, resolver, timeout
// and retries) wins over expect and over the command's defaults.
func toCheck(d events.CheckDef, resolver string, timeout time.Duration, retries int) checks.Check {
	c := checks.Check{ID: d.ID, Kind: checks.Kind(d.Kind), Target: d.Target, Timeout: timeout, Retries: retries}
	if d.Timeout > 0 {
		c.Timeout = time.Duration(d.Timeout)
	}
	if d.Retries > 0 {
		c.Retries = d.Retries
	}
	switch c.Kind {
	case checks.DNS:
		c.Resolver, c.Type, c.MaxTTL = cmp.Or(d.Resolver, resolver), d.Type, time.Duration(d.MaxTTL)
		for _, a := range strings.Split(d.Expect, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.Answers = append(c.Answers, a)
			}
		}
	case checks.HTTP:
		if n, err := strconv.Atoi(d.Expect); err == nil && len(d.Expect) == 3 {
			c.Status = n
		} else {
			c.Body = d.Expect
		}
		c.Status, c.Body = cmp.Or(d.Status, c.Status), cmp.Or(d.Body, c.Body)
	case checks.TLS:
		if n, err := strconv.Atoi(d.Expect); err == nil && n > 0 {
			c.MinDays = n
		}
		c.MinDays, c.ServerName = cmp.Or(d.MinDays, c.MinDays), d.ServerName
	}
	return c
}

// checksBudget is how long running defs may take, eight at a time, each
// with its timeout and retries (the plan's, else timeout and retries).
func checksBudget(defs []events.CheckDef, timeout time.Duration, retries int) time.Duration {
	var longest time.Duration
	for _, d := range defs {
		c := toCheck(d, "", timeout, retries)
		longest = max(longest, time.Duration(c.Retries+1)*(c.Timeout+time.Second))
	}
	return time.Duration((len(defs)+7)/8)*longest + time.Second
}

func checkOwners(defs []events.CheckDef) []string {
	var out []string
	for _, d := range defs {
		if !slices.Contains(out, d.Of) {
			out = append(out, d.Of)
		}
	}
	return out
}

func writeResults(w io.Writer, results []events.CheckRan) {
	for _, res := range results {
		state := "ok"
		switch {
		case res.Error != "":
			state = "ERROR"
		case !res.OK:
			state = "FAILED"
		}
		seen := res.Seen
		if res.Error != "" {
			seen = res.Error
		}
		fmt.Fprintf(w, "  %-6s %-24s from %-14s %6s  expected %s; saw %s\n", state, res.Check, res.From, time.Duration(res.Latency).Round(time.Millisecond), res.Expected, seen)
	}
}

func (m *Main) checkStatus(c *cli.Context) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	lr, err := m.loadRun(c, true, false)
	if err != nil {
		return err
	}
	defer lr.l.Close()
	v := &lr.r.Validation
	if jsonOutput(c) {
		type owner struct {
			Of      string            `json:"of"`
			Up      bool              `json:"up"`
			Pending []string          `json:"pending"`
			Last    []events.CheckRan `json:"last"`
			Checks  []events.CheckDef `json:"checks"`
		}
		doc := struct {
			Run    string  `json:"run"`
			Owners []owner `json:"owners"`
		}{lr.r.ID, []owner{}}
		for _, of := range checkOwners(v.Checks) {
			o := owner{Of: of, Pending: orEmpty(v.Pending(of)), Last: []events.CheckRan{}, Checks: v.Of(of)}
			o.Up = len(o.Pending) == 0
			for _, d := range o.Checks {
				for _, f := range d.From {
					if last, ok := v.Last[d.ID][f]; ok {
						o.Last = append(o.Last, last.CheckRan)
					}
				}
			}
			doc.Owners = append(doc.Owners, o)
		}
		return writeDoc(m.Stdout, "check-status", doc)
	}
	if len(v.Checks) == 0 {
		fmt.Fprintf(m.Stdout, "run %s recorded no checks: its plan declares none (checks: under a service or asset), or it was started by a dcmove that did not record them\n", lr.r.ID)
		return nil
	}
	fmt.Fprintf(m.Stdout, "%d checks in the plan\n", len(v.Checks))
	for _, of := range checkOwners(v.Checks) {
		pending := v.Pending(of)
		if len(pending) == 0 {
			fmt.Fprintf(m.Stdout, "%s: up: every check passed from every vantage point\n", of)
		} else {
			fmt.Fprintf(m.Stdout, "%s: not validated: %s\n", of, strings.Join(pending, "; "))
		}
		for _, d := range v.Of(of) {
			for _, f := range d.From {
				if last, ok := v.Last[d.ID][f]; ok {
					writeResults(m.Stdout, []events.CheckRan{last.CheckRan})
				}
			}
		}
	}
	return nil
}
