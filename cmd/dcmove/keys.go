package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/nats-io/nkeys"
	"github.com/urfave/cli/v2"
)

// maxKeyFile bounds what is read of a key file: a user seed is 58
// characters; a file much larger is not a key file.
const maxKeyFile = 4 << 10

// keyError is a key file that cannot be used: bad input (exit 2). Its text
// names the file and says how to make one; it never holds the seed.
type keyError struct{ reason string }

func (e *keyError) Error() string        { return e.reason }
func (e *keyError) Is(target error) bool { return target == planner.ErrInvalid }

func keyErrorf(format string, args ...any) error {
	return &keyError{reason: fmt.Sprintf(format, args...)}
}

// keyFlag names the key file that signs what a command records (a new
// flag each time, as runFlag).
func keyFlag() cli.Flag {
	return &cli.StringFlag{Name: "key", EnvVars: []string{"DCMOVE_KEY"}, TakesFile: true,
		Usage: "your key file (made with dcmove keys new): signs what you record and says who you are; required on a run whose plan lists keys"}
}

func (m *Main) keysCommand() *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "keys for people: each crew member signs what they record with a key of their own",
		Subcommands: []*cli.Command{{
			Name:      "new",
			Usage:     "make a key for a crew member: the seed goes to --out (mode 0600), the public key to paste into the plan is printed",
			ArgsUsage: "NAME",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Required: true, TakesFile: true, Usage: "the file to write the seed to (a new file: never overwritten)"},
				&cli.StringSliceFlag{Name: "role", Usage: "the member's roles, for the line to paste (e.g. --role lead)"},
				outputFlag(),
			},
			Action: func(c *cli.Context) error {
				if err := checkOutput(c, "text", "json"); err != nil {
					return err
				}
				if c.NArg() != 1 || strings.TrimSpace(c.Args().First()) == "" {
					return usagef("give the crew member's name as the plan spells it, e.g. dcmove keys new \"Claire Martin\" --out claire.nk")
				}
				name := c.Args().First()
				if err := planner.CheckName(name); err != nil {
					return usageError{err}
				}
				pub, err := newKeyFile(c.String("out"))
				if err != nil {
					return err
				}
				roles := c.StringSlice("role")
				if len(roles) == 0 {
					roles = []string{"..."}
				}
				if jsonOutput(c) {
					// The public key only: the seed stays in its file.
					return writeDoc(m.Stdout, "key", struct {
						Name      string   `json:"name"`
						Roles     []string `json:"roles"`
						PublicKey string   `json:"public_key"`
						File      string   `json:"file"`
					}{name, orEmpty(c.StringSlice("role")), pub, c.String("out")})
				}
				fmt.Fprintf(m.Stdout, "key of %s written to %s (keep it secret: it signs as %s)\n", name, c.String("out"), name)
				fmt.Fprintf(m.Stdout, "public key: %s\n", pub)
				fmt.Fprintf(m.Stdout, "paste into the plan's crew:\n  - {name: %s, roles: [%s], key: %s}\n", yamlName(name), strings.Join(roles, ", "), pub)
				fmt.Fprintf(m.Stdout, "then act with: --key %s (or DCMOVE_KEY=%s)\n", c.String("out"), c.String("out"))
				return nil
			},
		}},
	}
}

// yamlName quotes a name for a YAML flow mapping when it needs it.
func yamlName(s string) string {
	if strings.ContainsAny(s, ":{}[],#&*!|>'\"%@`") || strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// newKeyFile makes a user NKey, writes its seed to path (a new file of
// mode 0600) and returns its public key.
func newKeyFile(path string) (string, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return "", fmt.Errorf("make a key: %w", err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return "", fmt.Errorf("make a key: %w", err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return "", fmt.Errorf("make a key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return "", keyErrorf("key file %s already exists: dcmove never overwrites a key; choose another --out", path)
	}
	if err != nil {
		return "", fmt.Errorf("write the key file: %w", err)
	}
	_, err = f.Write(append(seed, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("write the key file %s: %w", path, err)
	}
	return pub, nil
}

// readKeyFile reads a user seed from path (at most maxKeyFile bytes).
func readKeyFile(path string) (nkeys.KeyPair, error) {
	const how = "make one with: dcmove keys new NAME --out FILE"
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, keyErrorf("key file %s does not exist; %s", path, how)
	}
	if err != nil {
		return nil, keyErrorf("key file %s cannot be read: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, keyErrorf("key file %s cannot be read: %v", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, keyErrorf("key file %s is larger than %d bytes: it is not a dcmove key file (a seed is one line of 58 characters); %s", path, maxKeyFile, how)
	}
	seed := bytes.TrimSpace(b)
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		if pub := string(seed); nkeys.IsValidPublicKey(pub) {
			return nil, keyErrorf("key file %s holds a public key, not a seed: --key takes the file dcmove keys new wrote (the public key goes into the plan)", path)
		}
		return nil, keyErrorf("key file %s does not hold an NKey seed; %s", path, how)
	}
	if pub, err := kp.PublicKey(); err != nil || !nkeys.IsValidPublicUserKey(pub) {
		return nil, keyErrorf("key file %s holds an NKey seed that is not a user's (an operator, account or server key?); %s", path, how)
	}
	return kp, nil
}

// actingCutover returns the executor for a command that records events on
// run, with the key of --key (DCMOVE_KEY) if given, and who acts: --as, or
// the key's owner on a run whose plan lists keys (see
// [runbooks.Cutover.Actor]).
func (m *Main) actingCutover(c *cli.Context, l *jetstream.Log, run string) (*runbooks.Cutover, string, error) {
	cut := m.cutover(c.Context, l)
	if err := withKey(c, cut); err != nil {
		return nil, "", err
	}
	actor, err := cut.Actor(c.Context, run, c.String("as"))
	if err != nil {
		return nil, "", err
	}
	return cut, actor, nil
}

// withKey sets the cutover's key from --key (DCMOVE_KEY), if given.
func withKey(c *cli.Context, cut *runbooks.Cutover) error {
	path := c.String("key")
	if path == "" {
		return nil
	}
	kp, err := readKeyFile(path)
	if err != nil {
		return err
	}
	cut.Key = kp
	return nil
}
