package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dcmove/dcmove/internal/redact"
	"github.com/dcmove/dcmove/inventory/netbox"
	"github.com/dcmove/dcmove/planner"
	"github.com/urfave/cli/v2"
)

// tokenEnv is the environment variable that holds the NetBox API token.
const tokenEnv = "NETBOX_TOKEN"

// planImportCommand is dcmove plan import: a plan from NetBox, through its
// REST API or its CSV exports, or a plan's steps: section from a
// spreadsheet runbook (--from-csv, the first import dcmove had).
func (m *Main) planImportCommand(output cli.Flag) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "make a plan from NetBox (--from-netbox URL or --from-netbox-csv DIR, with --site), or a plan's steps: section from a spreadsheet runbook (--from-csv FILE)",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from-csv", Usage: "a spreadsheet runbook as CSV (id, title, phase, duration, predecessors, role, gate): prints its steps: section"},
			output,
			&cli.StringFlag{Name: "from-netbox", Usage: "NetBox's root address, e.g. https://netbox.example.com: the plan is read from its REST API"},
			&cli.StringFlag{Name: "from-netbox-csv", Usage: "a folder of NetBox's CSV exports: netbox_devices.csv, and if you have them netbox_racks.csv, netbox_power_feeds.csv, netbox_power_ports.csv, netbox_device_types.csv, netbox_sites.csv"},
			&cli.StringFlag{Name: "site", Usage: "the source site, by slug (or name): its devices become the plan's assets"},
			&cli.StringFlag{Name: "to-site", Usage: "the destination site, by slug (or name): each asset goes to the same rack name and unit there, and its racks are checked"},
			&cli.StringFlag{Name: "tag", Usage: "only the devices with this tag (its slug), e.g. move-wave-1"},
			&cli.StringSliceFlag{Name: "rack-map", Usage: "SRC=DST: what stands in rack SRC goes to rack DST at the destination (repeat it; a rack not mapped keeps its name)"},
			&cli.StringFlag{Name: "rack-map-file", Usage: "a file of SRC=DST lines, one rack a line (# starts a comment)"},
			&cli.StringFlag{Name: "token-file", Usage: "a file holding the NetBox API token (else " + tokenEnv + "); safer than --token, which shell history and ps show"},
			&cli.StringFlag{Name: "token", Usage: "the NetBox API token; prefer " + tokenEnv + " or --token-file"},
			&cli.StringFlag{Name: "ca-cert", Usage: "a PEM file of the certificate authority that signed NetBox's certificate, trusted besides the system's"},
			&cli.DurationFlag{Name: "timeout", Value: netbox.DefaultTimeout, Usage: "how long one request to NetBox may take"},
			intFlag("page-size", netbox.DefaultPageSize, 1, 1000, "objects asked of NetBox per page"),
			intFlag("max-objects", netbox.DefaultMaxItems, 1, 1_000_000, "the most objects one list may hold (devices, power ports...)"),
			&cli.StringFlag{Name: "out", Usage: "write the plan to this file instead of standard output (refused if it exists, unless --force)"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite the file --out names"},
		},
		Action: m.planImportAny,
	}
}

// netboxFlags are the flags of an import from NetBox only.
var netboxFlags = []string{"site", "to-site", "tag", "rack-map", "rack-map-file", "token-file", "token", "ca-cert", "timeout", "page-size", "max-objects", "out", "force"}

func (m *Main) planImportAny(c *cli.Context) error {
	var from []string
	for _, f := range []string{"from-csv", "from-netbox", "from-netbox-csv"} {
		if c.IsSet(f) {
			from = append(from, "--"+f)
		}
	}
	switch {
	case len(from) != 1:
		what := "none"
		if len(from) > 1 {
			what = strings.Join(from, " and ")
		}
		return usagef("give one of --from-netbox URL or --from-netbox-csv DIR (a plan from NetBox), or --from-csv FILE (a plan's steps from a spreadsheet); found %s", what)
	case from[0] == "--from-csv":
		for _, f := range netboxFlags {
			if c.IsSet(f) {
				return usagef("--%s is for an import from NetBox (--from-netbox or --from-netbox-csv), not --from-csv", f)
			}
		}
		return m.planImport(c)
	}
	return m.planImportNetBox(c)
}

func (m *Main) planImportNetBox(c *cli.Context) error {
	if f := c.String("output"); f != "yaml" {
		if f == "json" {
			return usagef("--output json is for --from-csv; an import from NetBox writes a plan file (YAML)")
		}
		return usagef("--output %q: --output (-o) is the format, and a plan from NetBox is yaml; to write it to a file, give --out %s", f, f)
	}
	site := strings.TrimSpace(c.String("site"))
	if site == "" {
		return usagef("give --site SLUG, the NetBox site whose devices move (and --to-site SLUG, where they go)")
	}
	rackMap, err := rackMap(c.StringSlice("rack-map"), c.String("rack-map-file"))
	if err != nil {
		return err
	}
	out := c.String("out")
	if out != "" && !c.Bool("force") {
		if _, err := os.Stat(out); err == nil {
			return usagef("%s exists: give --force to overwrite it (a plan you completed would be lost), or another --out", out)
		}
	}
	opt := netbox.Options{Site: site, ToSite: strings.TrimSpace(c.String("to-site")), Tag: strings.TrimSpace(c.String("tag"))}
	var inv *netbox.Inventory
	if dir := c.String("from-netbox-csv"); dir != "" {
		for _, f := range []string{"token", "token-file", "ca-cert", "timeout", "page-size", "max-objects"} {
			if c.IsSet(f) {
				return usagef("--%s is for --from-netbox (the API); --from-netbox-csv reads files", f)
			}
		}
		if inv, err = netbox.ReadCSV(dir, opt); err != nil {
			return importError(err)
		}
	} else {
		client, err := m.netboxClient(c)
		if err != nil {
			return err
		}
		if inv, err = client.Read(c.Context, opt); err != nil {
			return importError(err)
		}
	}
	if opt.ToSite == "" && len(rackMap) > 0 {
		return usagef("--rack-map says where racks go: give --to-site too")
	}
	now := time.Now()
	if m.Clock != nil {
		now = m.Clock.Now()
	}
	res, err := netbox.WritePlan(inv, netbox.PlanOptions{RackMap: rackMap, Now: now})
	if err != nil {
		return err
	}
	// The plan must read back: never hand the lead a file dcmove refuses.
	name := "plan.yaml"
	if out != "" {
		name = filepath.Base(out)
	}
	if _, err := planner.Parse(name, res.YAML); err != nil {
		return fmt.Errorf("internal error (please report it): the plan written from NetBox does not read back: %w", err)
	}
	m.importSummary(inv, res, opt)
	if out == "" {
		_, err := m.Stdout.Write(res.YAML)
		return err
	}
	if err := writeFileAtomic(out, res.YAML); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "wrote %s; next: dcmove plan check %s\n", out, out)
	return nil
}

// importError makes the errors of a bad export or site usage errors (exit
// status 2); the others stay as they are.
func importError(err error) error {
	if errors.Is(err, netbox.ErrNotFound) || errors.Is(err, netbox.ErrTooMany) {
		return usageError{err}
	}
	return err
}

// netboxClient builds the API client of the command line: the token from
// --token, --token-file or NETBOX_TOKEN, TLS verified (with --ca-cert's
// authority too), bounded in time and size.
func (m *Main) netboxClient(c *cli.Context) (*netbox.Client, error) {
	token, err := netboxToken(c)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if path := c.String("ca-cert"); path != "" {
		pem, err := planner.ReadFile("CA certificate", path)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("--ca-cert %s holds no PEM certificate", path)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &netbox.Client{
		BaseURL:  c.String("from-netbox"),
		Token:    token,
		HTTP:     &http.Client{Transport: tr, Timeout: c.Duration("timeout")},
		PageSize: c.Int("page-size"),
		MaxItems: c.Int("max-objects"),
	}, nil
}

// netboxToken returns the token of --token, --token-file or NETBOX_TOKEN,
// registered to be masked in everything dcmove prints.
func netboxToken(c *cli.Context) (string, error) {
	token := c.String("token")
	if path := c.String("token-file"); path != "" {
		if c.IsSet("token") {
			return "", usagef("give the token once: --token-file or --token")
		}
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		if len(b) > maxTokenFile {
			return "", usagef("--token-file %s is larger than %d bytes: it should hold the token alone", path, maxTokenFile)
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", usagef("--token-file %s is empty: put the NetBox API token in it", path)
		}
	}
	if token == "" {
		token = strings.TrimSpace(os.Getenv(tokenEnv))
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", usagef("the NetBox token holds a space or a line break: give the token alone (not \"Token ...\" or \"Bearer ...\")")
	}
	redact.Secret(token)
	return token, nil
}

// rackMap reads the --rack-map pairs and the lines of --rack-map-file.
func rackMap(pairs []string, file string) (map[string]string, error) {
	out := map[string]string{}
	add := func(where, s string) error {
		src, dst, ok := strings.Cut(s, "=")
		src, dst = strings.TrimSpace(src), strings.TrimSpace(dst)
		if !ok || src == "" || dst == "" {
			return usagef("%s: %q is not SRC=DST (a source rack, '=', the destination rack)", where, s)
		}
		if old, dup := out[src]; dup && old != dst {
			return usagef("%s: rack %s is mapped twice, to %s and to %s; keep one", where, src, old, dst)
		}
		out[src] = dst
		return nil
	}
	for _, p := range pairs {
		if err := add("--rack-map", p); err != nil {
			return nil, err
		}
	}
	if file != "" {
		b, err := planner.ReadFile("rack map", file)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if i := strings.Index(line, "#"); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line == "" {
				continue
			}
			if err := add(fmt.Sprintf("%s:%d", file, n), line); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// importSummary tells the lead on stderr what was imported, and what
// needs a decision.
func (m *Main) importSummary(inv *netbox.Inventory, res *netbox.Result, opt netbox.Options) {
	w := m.Stderr
	what := "site " + inv.From.Slug
	if opt.Tag != "" {
		what += " (tag " + opt.Tag + ")"
	}
	if inv.To != nil {
		what += " to site " + inv.To.Slug
	}
	fmt.Fprintf(w, "imported %d of %d devices as assets from %s, %s\n", res.Assets, len(inv.Devices), inv.Source, what)
	if len(res.Decisions) > 0 {
		fmt.Fprintf(w, "needs a decision (%d, listed at the top of the plan too):\n", len(res.Decisions))
		for _, d := range res.Decisions {
			fmt.Fprintf(w, "  - %s\n", d)
		}
	}
	if len(res.Notes) > 0 {
		fmt.Fprintln(w, "check also:")
		for _, n := range res.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	fmt.Fprintln(w, "TODO in the plan: lead, crew and window are placeholders; add cool-downs, services, checks and stakeholders")
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder, renamed once whole: a failure leaves no partial plan.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
