package main

import (
	"fmt"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/urfave/cli/v2"
)

func (m *Main) serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the embedded event store for a data directory until interrupted, so other dcmove processes share it",
		Flags: []cli.Flag{
			logFlags()[0],
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "address to accept other dcmove processes on (loopback by default; port 0 picks a free one)"},
		},
		Action: func(c *cli.Context) error {
			dir := c.String("data-dir")
			l, err := jetstream.Open(c.Context, jetstream.Options{DataDir: dir, Listen: c.String("listen")})
			if err != nil {
				return err
			}
			defer l.Close()
			if l.Served() == "" {
				return fmt.Errorf("data directory %s is already served by another dcmove process (see %s/%s); use that one", dir, dir, jetstream.ServerFileName)
			}
			fmt.Fprintf(m.Stdout, "serving data directory %s at %s\n", dir, l.Served())
			fmt.Fprintf(m.Stdout, "dcmove commands with --data-dir %s connect here on their own, with the crew credential of %s (no stream delete, purge or update, no checkpoint write); Ctrl-C to stop\n", dir, jetstream.ServerFileName)
			<-c.Context.Done()
			fmt.Fprintln(m.Stdout, "stopped")
			return nil
		},
	}
}
