//go:build linux

// Package disktest gives tests a small disk they can fill up and make
// read-only: a tmpfs mounted on a temp directory (which needs root).
package disktest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Small mounts a tmpfs of size (e.g. "16m") on a temp directory and
// returns it; it is unmounted when the test ends. It skips the test where
// the process may not mount (not root, or a container without the right).
func Small(t testing.TB, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small disk to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// Fill writes a file on dir's disk until the disk is full, and returns the
// file's path: removing it makes the room again.
func Fill(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 64<<10)
	for {
		if _, err := f.Write(b); err != nil {
			if !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("filling the disk: %v", err)
			}
			return path
		}
	}
}

// ReadOnly remounts the disk Small mounted on dir read-only.
func ReadOnly(t testing.TB, dir string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s read-only: %v %s", dir, err, out)
	}
}
