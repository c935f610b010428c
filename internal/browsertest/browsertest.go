// Package browsertest opens pages dcmove writes in a real headless
// browser, for tests: Debian's Chromium, which CI installs.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Chromium is where Debian's chromium package installs the browser.
const Chromium = "/usr/bin/chromium"

// flags run the browser headless, as root in a container, with nothing that
// reaches the network or the user's profile.
var flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// Require fails the test, saying how to install it, when the browser is
// missing.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Fatalf("%s is missing (%v): this test opens a page in a real browser; install it with: apt-get update && apt-get install -y chromium", Chromium, err)
	}
}

// Run runs the browser on the file page with extra flags (--dump-dom,
// --screenshot=FILE, ...) and a profile of its own under dir, and returns
// what it printed.
func Run(t testing.TB, dir, page string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append(append([]string{}, flags...), "--user-data-dir="+filepath.Join(dir, "profile"))
	args = append(append(args, extra...), "file://"+page)
	cmd := exec.CommandContext(ctx, Chromium, args...)
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", Chromium, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}
