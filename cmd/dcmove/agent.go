package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/urfave/cli/v2"
)

// agentRequest is what an asker sends a check agent: the checks to run
// from its vantage point.
type agentRequest struct {
	Checks  []events.CheckDef `json:"checks"`
	Timeout time.Duration     `json:"timeout"`
	Retries int               `json:"retries"`
}

// agentReply is the agent's answer: a result per check, in order.
type agentReply struct {
	Results []events.CheckRan `json:"results"`
}

// agentSubject is where the agent of a vantage point answers.
func agentSubject(site string) string { return jetstream.AgentSubjectPrefix + site + ".run" }

// maxAgentChecks bounds one request to an agent.
const maxAgentChecks = 1000

func (m *Main) agentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "run the plan's checks for this vantage point when asked (dcmove check run --agents), until interrupted",
		Flags: append(logFlags(), runFlag(),
			&cli.StringFlag{Name: "site", Required: true, Usage: "the vantage point this machine is, as the plan's checks name it (from: [...])"},
			&cli.StringFlag{Name: "resolver", Usage: "DNS resolver for dns checks, host[:port] (default: the first nameserver of /etc/resolv.conf)"},
			linesOutputFlag()),
		Action: m.asJSONLines("agent-line", m.agent),
	}
}

// agent serves the checks of its vantage point as a NATS micro service
// (name dcmove-agent, endpoint dcmove-agent.<site>.run), until interrupted.
// When the connection under the log changes (the holder of an embedded
// data directory changed), it serves again on the new one.
func (m *Main) agent(c *cli.Context) error {
	site := c.String("site")
	if err := checkIDArg("--site", site); err != nil {
		return err
	}
	lr, err := m.loadRun(c, false, false)
	if err != nil {
		return err
	}
	defer lr.l.Close()
	l, r, run := lr.l, lr.r, lr.r.ID
	known := map[string]bool{}
	for _, d := range r.Validation.Checks {
		for _, f := range d.From {
			known[f] = true
		}
	}
	if !known[site] {
		names := make([]string, 0, len(known))
		for k := range known {
			names = append(names, k)
		}
		slices.Sort(names)
		return usagef("no check of run %s is to run from %s; the plan's vantage points are: %v", run, site, names)
	}
	resolver, err := resolverFor(c.String("resolver"), r.Validation.Checks)
	if err != nil {
		return err
	}
	handler := micro.HandlerFunc(func(req micro.Request) {
		var q agentRequest
		if len(req.Data()) > 4<<20 || json.Unmarshal(req.Data(), &q) != nil || len(q.Checks) > maxAgentChecks ||
			q.Timeout <= 0 || q.Timeout > 5*time.Minute || q.Retries < 0 || q.Retries > 10 {
			req.Error("400", "not a dcmove check request", nil)
			return
		}
		ctx, cancel := context.WithTimeout(c.Context, checksBudget(q.Checks, q.Timeout, q.Retries))
		defer cancel()
		req.RespondJSON(agentReply{Results: runChecks(ctx, q.Checks, site, resolver, q.Timeout, q.Retries)})
	})
	var svc micro.Service
	var served *nats.Conn
	serve := func() error {
		nc := l.Conn()
		if nc == nil || nc == served {
			return nil
		}
		if svc != nil {
			svc.Stop()
		}
		s, err := micro.AddService(nc, micro.Config{Name: "dcmove-agent", Version: "1.0.0",
			Description: "runs dcmove's validation checks from one vantage point", Metadata: map[string]string{"site": site, "run": run}})
		if err == nil {
			err = s.AddEndpoint("run", handler, micro.WithEndpointSubject(agentSubject(site)))
		}
		if err == nil {
			err = nc.Flush()
		}
		if err != nil {
			return fmt.Errorf("agent: serve on NATS: %w", err)
		}
		svc, served = s, nc
		return nil
	}
	if err := serve(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "agent for %s: running the checks of run %s from %s when asked (dcmove check run --agents); Ctrl-C to stop\n", site, run, site)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-c.Context.Done():
			if svc != nil {
				svc.Stop()
			}
			return nil
		case <-t.C:
			// Follow the log to the connection it works on now.
			if _, err := l.LastRun(c.Context); err != nil && !errors.Is(err, events.ErrNoRun) && c.Context.Err() == nil {
				continue
			}
			if err := serve(); err != nil {
				fmt.Fprintln(m.Stderr, "dcmove:", err)
			}
		}
	}
}

// askAgents asks the agent of each vantage point for its checks' results,
// at once; it returns the results of those that answered and, by vantage
// point, why the others did not (not a failed check: no check ran).
func askAgents(ctx context.Context, nc *nats.Conn, defs []events.CheckDef, timeout time.Duration, retries int) ([]events.CheckRan, map[string]string) {
	byFrom := map[string][]events.CheckDef{}
	var order []string
	for _, d := range defs {
		for _, f := range d.From {
			if len(byFrom[f]) == 0 {
				order = append(order, f)
			}
			byFrom[f] = append(byFrom[f], d)
		}
	}
	type answer struct {
		from    string
		results []events.CheckRan
		err     string
	}
	answers := make(chan answer, len(order))
	for _, f := range order {
		wait := checksBudget(byFrom[f], timeout, retries) + 2*time.Second
		go func() {
			body, _ := json.Marshal(agentRequest{Checks: byFrom[f], Timeout: timeout, Retries: retries})
			actx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			msg, err := nc.RequestWithContext(actx, agentSubject(f), body)
			var reply agentReply
			switch {
			case errors.Is(err, nats.ErrNoResponders):
				answers <- answer{from: f, err: "no agent is running for it (dcmove agent --site " + f + ")"}
			case err != nil:
				answers <- answer{from: f, err: fmt.Sprintf("its agent did not answer within %s (%v)", wait, err)}
			case msg.Header.Get(micro.ErrorHeader) != "":
				answers <- answer{from: f, err: "its agent refused the request: " + msg.Header.Get(micro.ErrorHeader)}
			case json.Unmarshal(msg.Data, &reply) != nil || len(reply.Results) != len(byFrom[f]):
				answers <- answer{from: f, err: "its agent's answer is not a dcmove check reply"}
			default:
				for i := range reply.Results {
					// What the agent says it ran is what was asked, from
					// where it was asked.
					reply.Results[i].Check, reply.Results[i].From = byFrom[f][i].ID, f
				}
				answers <- answer{from: f, results: reply.Results}
			}
		}()
	}
	var results []events.CheckRan
	silent := map[string]string{}
	got := map[string][]events.CheckRan{}
	for range order {
		a := <-answers
		if a.err != "" {
			silent[a.from] = a.err
		} else {
			got[a.from] = a.results
		}
	}
	for _, f := range order {
		results = append(results, got[f]...)
	}
	return results, silent
}
