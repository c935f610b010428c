package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// buildVersion is what the Go toolchain recorded in the binary about the
// source it was built from (runtime/debug.ReadBuildInfo): nothing is
// written by hand, so it cannot go stale.
type buildVersion struct {
	// Version is the module's version: a tag (go install …@v1.2.0), a
	// pseudo-version of the commit (go build in a clone, Go 1.24 and
	// later: v0.0.0-20261205070000-0123456789ab, +dirty with uncommitted
	// changes), or "(devel)" when the toolchain knew none (go run, go
	// build -buildvcs=false, a test binary).
	Version string `json:"version"`
	// Commit, Time and Modified come from version control (vcs.revision,
	// vcs.time, vcs.modified), when the binary was built in a clone:
	// empty otherwise.
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified"`
	// Go is the toolchain, Platform the GOOS/GOARCH built for.
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// readBuildInfo is the binary's build information (tests pretend).
var readBuildInfo = debug.ReadBuildInfo

// binaryVersion reads the binary's build information.
func binaryVersion() buildVersion {
	v := buildVersion{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := readBuildInfo()
	if !ok {
		return v
	}
	if info.Main.Version != "" {
		v.Version = info.Main.Version
	}
	if info.GoVersion != "" {
		v.Go = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the version on one line, as --version prints it after
// "dcmove version ".
func (v buildVersion) String() string {
	var about []string
	if v.Commit != "" {
		c := "commit " + short(v.Commit)
		if v.Time != "" {
			c += " of " + v.Time
		}
		if v.Modified {
			c += ", with uncommitted changes"
		}
		about = append(about, c)
	} else if v.Version == "(devel)" {
		about = append(about, "no version recorded: built by go run, a test, or without version control")
	}
	about = append(about, v.Go+" "+v.Platform)
	return v.Version + " (" + strings.Join(about, "; ") + ")"
}

// write prints the version, one fact a line, as dcmove version does.
func (v buildVersion) write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "dcmove %s\n", v.Version)
	switch {
	case v.Commit != "":
		modified := ""
		if v.Modified {
			modified = " (built with uncommitted changes)"
		}
		fmt.Fprintf(&b, "commit    %s%s\n", v.Commit, modified)
		if v.Time != "" {
			fmt.Fprintf(&b, "committed %s\n", v.Time)
		}
	case v.Version == "(devel)":
		b.WriteString("commit    unknown: the Go toolchain recorded no version control information\n" +
			"          (go run and test binaries never do; go build in a clone of the repository does)\n")
	}
	fmt.Fprintf(&b, "go        %s %s\n", v.Go, v.Platform)
	_, err := io.WriteString(w, b.String())
	return err
}

func (m *Main) versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version of dcmove, the commit it was built from, and the Go toolchain",
		Description: "The same as dcmove --version, one fact a line. From runtime/debug.ReadBuildInfo:\n" +
			"a release installed with go install …@vX.Y.Z says its tag; a binary built with go build in a\n" +
			"clone says the commit (and whether it had uncommitted changes); go run says (devel).\n" +
			"Examples:\n" +
			"   dcmove version\n" +
			"   dcmove --version\n" +
			"   dcmove version -o json",
		Flags: []cli.Flag{outputFlag()},
		Action: func(c *cli.Context) error {
			if err := checkOutput(c, "text", "json"); err != nil {
				return err
			}
			if c.NArg() > 0 {
				return usagef("dcmove version takes no arguments")
			}
			if jsonOutput(c) {
				// Under "build": the document's own version is its format's.
				return writeDoc(m.Stdout, "version", struct {
					Build buildVersion `json:"build"`
				}{binaryVersion()})
			}
			return binaryVersion().write(m.Stdout)
		},
	}
}
