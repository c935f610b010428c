package main

import (
	"fmt"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/urfave/cli/v2"
)

func (m *Main) serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run the embedded event store for a data directory until interrupted, so other dcmove processes share it",
		Flags: append(append(logFlags(),
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "host:port to accept other dcmove processes on (loopback by default; port 0 or none picks a free port, never 4222; an address the server cannot listen on is refused at once, with the server's reason)"},
			linesOutputFlag(),
		), pageFlags()...),
		Action: m.asJSONLines("serve-line", func(c *cli.Context) error {
			dir := c.String("data-dir")
			if _, _, err := jetstream.ParseListen(c.String("listen")); err != nil {
				return usageError{err}
			}
			pc, err := pageOptions(c)
			if err != nil {
				return err
			}
			if o, err := logOptions(c); err != nil {
				return err
			} else if o.ServerURL != "" {
				// A NATS server of the team's: nothing to hold here.
				if pc == nil {
					return usagef("serve holds a data directory for other dcmove processes; with --server (or a NATS context) there is none to hold: give --http ADDR to serve the war-room page of the server's runs")
				}
				return m.serveRoom(c, o, pc)
			}
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
			go keepCheckpoints(c.Context, l)
			if pc != nil {
				if err := m.serveRoom(c, jetstream.Options{DataDir: dir}, pc); err != nil {
					return err
				}
			}
			<-c.Context.Done()
			fmt.Fprintln(m.Stdout, "stopped")
			return nil
		}),
	}
}

// serveRoom serves the war-room page until interrupted.
func (m *Main) serveRoom(c *cli.Context, o jetstream.Options, pc *pageConfig) error {
	var key events.Signer
	if path := c.String("key"); path != "" {
		kp, err := readKeyFile(path)
		if err != nil {
			return err
		}
		key = kp
	}
	return m.servePage(c.Context, o, pc, key)
}
