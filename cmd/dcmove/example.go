package main

import (
	"fmt"
	"os"

	"github.com/dcmove/dcmove/examples"
	"github.com/urfave/cli/v2"
)

// exampleCommand writes a plan to start from: the reference move, or a
// generated move of any size to try dcmove at scale.
func (m *Main) exampleCommand() *cli.Command {
	return &cli.Command{
		Name:  "example",
		Usage: "write a plan to start from: the reference weekend move, or with --assets N a generated move of N assets (about 7 steps each: 2,800 assets make 20,000 steps)",
		Description: "Examples:\n" +
			"   dcmove plan example --out my-move.yaml              # the reference move, to edit into yours\n" +
			"   dcmove plan example --assets 2800 --out big.yaml     # a 20,000-step move\n" +
			"   dcmove plan check big.yaml",
		Flags: []cli.Flag{
			intFlag("assets", 0, 0, examples.MaxLargeAssets, "generate a move of this many assets instead of the reference move"),
			&cli.StringFlag{Name: "out", TakesFile: true, Usage: "write to this file instead of standard output (refused if it exists, unless --force)"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite --out"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "text, or json: where the plan went (with --out), or the plan's YAML as a string"},
		},
		Action: func(c *cli.Context) error {
			if err := checkOutput(c, "text", "json"); err != nil {
				return err
			}
			if c.NArg() > 0 {
				return usagef("dcmove plan example takes no arguments; give --assets N for a generated move")
			}
			var data []byte
			var err error
			if n := c.Int("assets"); n > 0 {
				data, err = examples.Large(n)
			} else {
				data, err = examples.FS.ReadFile(examples.Demo)
			}
			if err != nil {
				return err
			}
			out := c.String("out")
			type doc struct {
				Assets int    `json:"assets"`
				File   string `json:"file,omitempty"`
				Plan   string `json:"plan,omitempty"`
			}
			if out == "" {
				if jsonOutput(c) {
					return writeDoc(m.Stdout, "plan-example", doc{Assets: c.Int("assets"), Plan: string(data)})
				}
				_, err := m.Stdout.Write(data)
				return err
			}
			if _, err := os.Stat(out); err == nil && !c.Bool("force") {
				return usagef("%s exists: give --force to overwrite it, or another --out", out)
			}
			if err := writeFileAtomic(out, data); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			if jsonOutput(c) {
				return writeDoc(m.Stdout, "plan-example", doc{Assets: c.Int("assets"), File: out})
			}
			fmt.Fprintf(m.Stdout, "wrote %s; check it with: dcmove plan check %s\n", out, out)
			return nil
		},
	}
}
