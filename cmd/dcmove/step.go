package main

import (
	"context"
	"fmt"

	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

func (m *Main) stepCommand() *cli.Command {
	flags := func() []cli.Flag { return append(logFlags(), runFlag(), actorFlag()) }
	return &cli.Command{
		Name:  "step",
		Usage: "record the team's work on a step",
		Subcommands: []*cli.Command{
			{
				Name:      "start",
				Usage:     "start a step (refused until its dependencies are done)",
				ArgsUsage: "STEP",
				Flags:     flags(),
				Action: func(c *cli.Context) error {
					return m.stepAction(c, "started", (*runbooks.Cutover).StartStep)
				},
			},
			{
				Name:      "done",
				Usage:     "finish a started step",
				ArgsUsage: "STEP",
				Flags:     flags(),
				Action: func(c *cli.Context) error {
					return m.stepAction(c, "finished", (*runbooks.Cutover).CompleteStep)
				},
			},
		},
	}
}

type stepCommand func(c *runbooks.Cutover, ctx context.Context, run, step, actor string) (*runbooks.Outcome, error)

func (m *Main) stepAction(c *cli.Context, verb string, cmd stepCommand) error {
	if c.NArg() != 1 {
		return usagef("give one step id, e.g. %s capture-fw-rules --as NAME", c.Command.HelpName)
	}
	id := c.Args().First()
	l, run, err := openRun(c)
	if err != nil {
		return err
	}
	defer l.Close()
	out, err := cmd(&runbooks.Cutover{Log: l, Clock: m.Clock}, c.Context, run, id, c.String("as"))
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.Command.Name, id, err)
	}
	e := out.Appended[0]
	fmt.Fprintf(m.Stdout, "%s %s (%s) by %s at %s\n", verb, id, out.Run.Title(id), e.Actor,
		e.Time.In(out.Run.Location()).Format("Mon 2 Jan 15:04 MST"))
	m.printReady(out, "now ready")
	return nil
}
