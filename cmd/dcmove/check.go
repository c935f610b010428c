package main

import (
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
				ArgsUsage: "[CHECK...]",
				Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(),
					&cli.StringFlag{Name: "from", Usage: "the vantage point this machine is, as the plan's checks name it (from: [...])"},
					&cli.BoolFlag{Name: "agents", Usage: "ask the agent of every vantage point (dcmove agent --site NAME) to run its checks, instead of running them here"},
					&cli.StringFlag{Name: "of", Usage: "only the checks of this service or asset"},
					&cli.StringFlag{Name: "resolver", Usage: "DNS resolver to ask, host[:port] (default: the first nameserver of /etc/resolv.conf)"},
					&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "per attempt"},
					intFlag("retries", 1, 0, 10, "attempts after the first, a second apart")),
				Action: m.checkRun,
			},
			{
				Name:   "status",
				Usage:  "the last result of each check from each vantage point",
				Flags:  append(logFlags(), runFlag()),
				Action: m.checkStatus,
			},
		},
	}
}

// checkRun runs the selected checks that are to run from --from, and
// records every result in one append.
func (m *Main) checkRun(c *cli.Context) error {
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
	for _, id := range c.Args().Slice() {
		if err := checkIDArg("check id", id); err != nil {
			return err
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
		defs, err := selectChecks(r, c.Args().Slice(), c.String("of"), "")
		if err != nil {
			return err
		}
		results, silent = askAgents(c.Context, lr.l.Conn(), defs, c.Duration("timeout"), c.Int("retries"))
		where = "the agents"
	} else {
		defs, err := selectChecks(r, c.Args().Slice(), c.String("of"), from)
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
		fmt.Fprintf(m.Stdout, "%s: nothing recorded: %s\n", f, silent[f])
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
	return nil
}

// resolverFor is the DNS resolver for checks run here: given, or the
// first nameserver of /etc/resolv.conf when a dns check needs one.
func resolverFor(given string, defs []events.CheckDef) (string, error) {
	if given != "" || !slices.ContainsFunc(defs, func(d events.CheckDef) bool { return d.Kind == "dns" }) {
		return given, nil
	}
	conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil || len(conf.Servers) == 0 {
		return "", usagef("no resolver: give --resolver HOST[:PORT] (reading /etc/resolv.conf: %v)", err)
	}
	return conf.Servers[0], nil
}

// selectChecks picks the run's checks to run from vantage point from: the
// ids given, or those of one service or asset, or all; each must name
// from among its vantage points (or name none, for "local"). An empty
// from picks them whatever their vantage points (the agents run them).
func selectChecks(r *runbooks.Run, ids []string, of, from string) ([]events.CheckDef, error) {
	var out []events.CheckDef
	runsFrom := func(d events.CheckDef) bool {
		return from == "" || slices.Contains(d.From, from) || (len(d.From) == 0 && from == "local")
	}
	if len(ids) > 0 {
		for _, id := range ids {
			d, ok := r.Validation.Check(id)
			if !ok {
				return nil, usagef("run %s has no check %s (dcmove check status lists them)", r.ID, id)
			}
			if !runsFrom(d) {
				return nil, usagef("check %s is to pass from %s, not from %s", id, strings.Join(d.From, ", "), from)
			}
			out = append(out, d)
		}
		return out, nil
	}
	vantages := map[string]bool{}
	for _, d := range r.Validation.Checks {
		for _, f := range d.From {
			vantages[f] = true
		}
		if (of == "" || d.Of == of) && runsFrom(d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		names := slices.Sorted(func(yield func(string) bool) {
			for v := range vantages {
				if !yield(v) {
					return
				}
			}
		})
		return nil, usagef("no check of run %s%s is to run from %s; the plan's vantage points are: %s", r.ID, map[bool]string{true: " for " + of}[of != ""], from, strings.Join(names, ", "))
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
// in expect when it is three digits, else that text in the body.
func toCheck(d events.CheckDef, resolver string, timeout time.Duration, retries int) checks.Check {
	c := checks.Check{ID: d.ID, Kind: checks.Kind(d.Kind), Target: d.Target, Timeout: timeout, Retries: retries}
	switch c.Kind {
	case checks.DNS:
		c.Resolver = resolver
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
	case checks.TLS:
		if n, err := strconv.Atoi(d.Expect); err == nil && n > 0 {
			c.MinDays = n
		}
	}
	return c
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
	lr, err := m.loadRun(c, true, false)
	if err != nil {
		return err
	}
	defer lr.l.Close()
	v := &lr.r.Validation
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
