package main

import (
	"fmt"

	"github.com/dcmove/dcmove/planner"
	"github.com/urfave/cli/v2"
)

func (m *Main) planCommand() *cli.Command {
	return &cli.Command{
		Name:  "plan",
		Usage: "work on a plan file before the move",
		Subcommands: []*cli.Command{{
			Name:      "check",
			Usage:     "check a plan file: ok and a summary, or every error with file:line:col",
			ArgsUsage: "FILE",
			Action: func(c *cli.Context) error {
				p, err := loadPlan(c)
				if err != nil {
					return err
				}
				fmt.Fprintln(m.Stdout, "ok:", p.Summary())
				return nil
			},
		}},
	}
}

// loadPlan loads the plan file named by the command's only argument.
func loadPlan(c *cli.Context) (*planner.Plan, error) {
	if c.NArg() != 1 {
		return nil, usagef("give one plan file, e.g. %s examples/weekend.yaml", c.Command.HelpName)
	}
	return planner.Load(c.Args().First())
}
