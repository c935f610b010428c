package main

import (
	"context"
	"fmt"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
)

func (m *Main) backoutCommand() *cli.Command {
	return &cli.Command{
		Name:  "backout",
		Usage: "back the move out",
		Subcommands: []*cli.Command{{
			Name:  "start",
			Usage: "back out (the lead only): the back-out steps of everything started become the work; steps not started are cancelled",
			Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(), outputFlag(),
				&cli.StringFlag{Name: "reason", Required: true, Usage: "why: recorded with your name"}),
			Action: func(c *cli.Context) error {
				l, run, err := openRun(c)
				if err != nil {
					return err
				}
				defer l.Close()
				cut, actor, err := m.actingCutover(c, l, run)
				if err != nil {
					return fmt.Errorf("backout start: %w", err)
				}
				out, err := cut.StartBackout(c.Context, run, actor, c.String("reason"))
				if err != nil {
					return fmt.Errorf("backout start: %w", err)
				}
				return m.printOutcome(c, out)
			},
		}},
	}
}

func (m *Main) cooldownCommand() *cli.Command {
	return &cli.Command{
		Name:  "cooldown",
		Usage: "machines cooling down after shutdown",
		Subcommands: []*cli.Command{{
			Name:      "force",
			Usage:     "cut an asset's cool-down short (the lead only; recorded with the reason)",
			ArgsUsage: "ASSET",
			Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(), outputFlag(),
				&cli.StringFlag{Name: "reason", Required: true, Usage: "why it is safe to handle the asset now"}),
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usagef("give one asset id, e.g. %s web-1 --reason WHY", c.Command.HelpName)
				}
				if err := checkIDArg("asset id", c.Args().First()); err != nil {
					return err
				}
				l, run, err := openRun(c)
				if err != nil {
					return err
				}
				defer l.Close()
				cut, actor, err := m.actingCutover(c, l, run)
				if err != nil {
					return fmt.Errorf("cooldown force: %w", err)
				}
				out, err := cut.ForceCooldown(c.Context, run, c.Args().First(), actor, c.String("reason"))
				if err != nil {
					return fmt.Errorf("cooldown force: %w", err)
				}
				return m.printOutcome(c, out)
			},
		}},
	}
}

// cutover returns the command side on the log, starting from the run's
// checkpoint, with server timers if m.Timers says so.
func (m *Main) cutover(ctx context.Context, l *jetstream.Log) *runbooks.Cutover {
	return &runbooks.Cutover{Log: l, Clock: m.Clock, Checkpoints: m.checkpoints(ctx, l), Timers: m.Timers}
}

// checkpoints returns the log's checkpoint store, or nil when the server
// cannot give one (a user not allowed the bucket): commands then fold the
// whole run, which is slower but as right.
func (m *Main) checkpoints(ctx context.Context, l *jetstream.Log) events.CheckpointStore {
	store, err := l.Checkpoints(ctx)
	if err != nil {
		return nil
	}
	return store
}
