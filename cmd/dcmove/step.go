package main

import (
	"context"
	"fmt"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/projections"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

// stepCommand is a team action on one step (or gate).
type stepCommand func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error)

func (m *Main) stepCommand() *cli.Command {
	flags := func(extra ...cli.Flag) []cli.Flag {
		return append(append(logFlags(), runFlag(), actorFlag(), keyFlag(), outputFlag()), extra...)
	}
	reason := func(required bool) cli.Flag {
		return &cli.StringFlag{Name: "reason", Required: required, Usage: "why, in words: recorded with your name for the audit"}
	}
	sub := func(name, usage string, cmd stepCommand, extra ...cli.Flag) *cli.Command {
		return &cli.Command{Name: name, Usage: usage, ArgsUsage: "STEP", Flags: flags(extra...),
			Action: func(c *cli.Context) error { return m.stepAction(c, cmd) }}
	}
	return &cli.Command{
		Name:  "step",
		Usage: "record the team's work on a step",
		Subcommands: []*cli.Command{
			sub("start", "start a step (refused until its dependencies are done)",
				func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error) {
					return cut.StartStep(c.Context, run, id, actor)
				}),
			sub("done", "finish a started step (a validation or firewall step is finished by its facts; the lead may --override them, with the reason)",
				func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error) {
					if c.IsSet("override") {
						return cut.OverrideStep(c.Context, run, id, actor, c.String("override"))
					}
					return cut.CompleteStep(c.Context, run, id, actor)
				}, &cli.StringFlag{Name: "override", Usage: "the lead finishes a step whose facts are missing (checks not all passed, a rule not verified), and says why: recorded as a deviation"}),
			sub("fail", "record that a started step failed; its dependents wait",
				func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error) {
					return cut.FailStep(c.Context, run, id, actor, c.String("reason"))
				}, reason(true)),
			sub("retry", "put a failed step back, to start it again",
				func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error) {
					return cut.RetryStep(c.Context, run, id, actor, c.String("reason"))
				}, reason(false)),
			sub("skip", "skip a step (the lead only); its dependents go on",
				func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error) {
					return cut.SkipStep(c.Context, run, id, actor, c.String("reason"))
				}, reason(true)),
			sub("block", "stop a step from starting or going on, for a reason outside the plan",
				func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error) {
					return cut.BlockStep(c.Context, run, id, actor, c.String("reason"))
				}, reason(true)),
			sub("unblock", "let a blocked step go on",
				func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error) {
					return cut.UnblockStep(c.Context, run, id, actor, c.String("reason"))
				}, reason(false)),
		},
	}
}

func (m *Main) gateCommand() *cli.Command {
	return &cli.Command{
		Name:  "gate",
		Usage: "go/no-go decisions",
		Subcommands: []*cli.Command{{
			Name:      "sign",
			Usage:     "sign a go/no-go gate for your roles; it is done when every role of the crew signed go, and one no-go fails it",
			ArgsUsage: "GATE",
			Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(), outputFlag(),
				&cli.StringFlag{Name: "decision", Required: true, Usage: "go or no-go"},
				&cli.StringFlag{Name: "reason", Usage: "why (required for a no-go)"}),
			Action: func(c *cli.Context) error {
				return m.stepAction(c, func(cut *runbooks.Cutover, c *cli.Context, run, id, actor string) (*runbooks.Outcome, error) {
					return cut.SignGate(c.Context, run, id, actor, c.String("decision"), c.String("reason"))
				})
			},
		}},
	}
}

func (m *Main) degradedCommand() *cli.Command {
	sub := func(name, usage string, cmd func(cut *runbooks.Cutover, ctx context.Context, run, actor, reason string) (*runbooks.Outcome, error)) *cli.Command {
		return &cli.Command{
			Name: name, Usage: usage,
			Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(), outputFlag(),
				&cli.StringFlag{Name: "reason", Required: true, Usage: "why: recorded with your name"}),
			Action: func(c *cli.Context) error {
				if c.NArg() != 0 {
					return usagef("%s takes no argument", c.Command.HelpName)
				}
				l, run, err := openRun(c)
				if err != nil {
					return err
				}
				defer l.Close()
				cut, actor, err := m.actingCutover(c, l, run)
				if err != nil {
					return fmt.Errorf("degraded %s: %w", name, err)
				}
				out, err := cmd(cut, c.Context, run, actor, c.String("reason"))
				if err != nil {
					return fmt.Errorf("degraded %s: %w", name, err)
				}
				return m.printOutcome(c, out)
			},
		}
	}
	return &cli.Command{
		Name:  "degraded",
		Usage: "degraded mode: only vital services stay up while the move goes on",
		Subcommands: []*cli.Command{
			sub("on", "enter degraded mode: every service that is not vital is down on purpose", (*runbooks.Cutover).EnterDegraded),
			sub("off", "leave degraded mode", (*runbooks.Cutover).LeaveDegraded),
		},
	}
}

func outputFlag() cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text, or json for scripts"}
}

func (m *Main) stepAction(c *cli.Context, cmd stepCommand) error {
	if c.NArg() != 1 {
		return usagef("give one step id, e.g. %s capture-fw-rules --as NAME", c.Command.HelpName)
	}
	id := c.Args().First()
	if err := checkIDArg("step id", id); err != nil {
		return err
	}
	return m.record(c, c.Command.Name+" "+id, func(cut *runbooks.Cutover, run, actor string) (*runbooks.Outcome, error) {
		return cmd(cut, c, run, id, actor)
	})
}

// record runs a command that records on the run as the person acting
// (what names it in errors), and prints what it recorded and what is now
// ready; --output json gives the same to scripts.
func (m *Main) record(c *cli.Context, what string, cmd func(cut *runbooks.Cutover, run, actor string) (*runbooks.Outcome, error)) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	l, run, err := openRun(c)
	if err != nil {
		return err
	}
	defer l.Close()
	cut, actor, err := m.actingCutover(c, l, run)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	out, err := cmd(cut, run, actor)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return m.printOutcome(c, out)
}

// printOutcome prints what a command changed and what is now ready, or
// the same as JSON, then the warning of a timer not scheduled.
func (m *Main) printOutcome(c *cli.Context, out *runbooks.Outcome) error {
	defer m.warnTimer(out)
	if jsonOutput(c) {
		return writeDoc(m.Stdout, "outcome", outcomeDoc(out))
	}
	loc := out.Run.Location()
	for _, e := range out.Appended {
		ev, err := e.Decode()
		what := e.Type
		if err == nil {
			what = projections.Describe(e.Actor, ev, func(id string) string { return id + " (" + out.Run.StepTitle(id) + ")" })
		}
		fmt.Fprintf(m.Stdout, "%s  %s, by %s\n", e.Time.In(loc).Format("Mon 2 Jan 15:04 MST"), what, e.Actor)
	}
	m.printReady(out, "now ready")
	return nil
}

// outcomeDoc is what a command recorded, as JSON: the events it appended
// (CloudEvents, as stored) and the steps ready and started after it.
func outcomeDoc(out *runbooks.Outcome) any {
	recorded := out.Appended
	if recorded == nil {
		recorded = []events.Envelope{}
	}
	return struct {
		Run      string            `json:"run"`
		Recorded []events.Envelope `json:"recorded"`
		NowReady []string          `json:"now_ready"`
		Ready    []string          `json:"ready"`
		Started  []string          `json:"started"`
	}{out.Run.ID, recorded, orEmpty(out.NowReady), orEmpty(out.Run.Ready()), orEmpty(out.Run.Started())}
}

func orEmpty(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// warnTimer warns, after the command's output, that a timer the command
// started could not be handed to the server (the error says what the
// user needs to know). The command succeeded all the same: its events are
// recorded, and the exit status is 0.
func (m *Main) warnTimer(out *runbooks.Outcome) {
	if out.TimerError != nil {
		fmt.Fprintf(m.Stderr, "dcmove: warning: %v\n", out.TimerError)
	}
}
