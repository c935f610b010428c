package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// pretendBuild makes the binary's build information info until the test
// ends.
func pretendBuild(t *testing.T, info *debug.BuildInfo) {
	t.Helper()
	was := readBuildInfo
	readBuildInfo = func() (*debug.BuildInfo, bool) { return info, info != nil }
	t.Cleanup(func() { readBuildInfo = was })
}

// dcmove --version and dcmove version say what the Go toolchain recorded:
// the module's version, the commit, its time, whether the tree had
// uncommitted changes, the toolchain and platform.
func TestVersionFromBuildInfo(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	pretendBuild(t, &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/dcmove/dcmove", Version: "v0.0.0-20261205070000-0123456789ab+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-05T07:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	})
	want := "dcmove version v0.0.0-20261205070000-0123456789ab+dirty (commit 0123456789ab of 2026-12-05T07:00:00Z, with uncommitted changes; go1.26.8 " + platform + ")\n"
	for _, flag := range []string{"--version", "-v"} {
		if got := mustRun(t, nil, flag); got != want {
			t.Errorf("dcmove %s:\n%s\nwant:\n%s", flag, got, want)
		}
	}
	got := mustRun(t, nil, "version")
	wantLines := "dcmove v0.0.0-20261205070000-0123456789ab+dirty\n" +
		"commit    0123456789abcdef0123456789abcdef01234567 (built with uncommitted changes)\n" +
		"committed 2026-12-05T07:00:00Z\n" +
		"go        go1.26.8 " + platform + "\n"
	if got != wantLines {
		t.Errorf("dcmove version:\n%s\nwant:\n%s", got, wantLines)
	}
	// A release: go install github.com/dcmove/dcmove/cmd/dcmove@v1.2.0
	// records the tag and no version control information.
	pretendBuild(t, &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}})
	if got := mustRun(t, nil, "--version"); got != "dcmove version v1.2.0 (go1.26.8 "+platform+")\n" {
		t.Errorf("a release: %s", got)
	}
}

// go run, a test binary or go build -buildvcs=false record no version:
// dcmove says so rather than make one up.
func TestVersionDevel(t *testing.T) {
	pretendBuild(t, &debug.BuildInfo{GoVersion: runtime.Version(), Main: debug.Module{Version: "(devel)"}})
	wantContains(t, "dcmove --version", mustRun(t, nil, "--version"), "dcmove version (devel) (no version recorded: built by go run, a test, or without version control; "+runtime.Version())
	wantContains(t, "dcmove version", mustRun(t, nil, "version"), "dcmove (devel)\ncommit    unknown: ", "go        "+runtime.Version())
	pretendBuild(t, nil) // no build information at all
	wantContains(t, "dcmove --version", mustRun(t, nil, "--version"), "dcmove version (devel) (no version recorded")
	// This test binary's own, unpretended, is read too.
	readBuildInfo = debug.ReadBuildInfo
	if got := mustRun(t, nil, "--version"); !strings.HasPrefix(got, "dcmove version ") {
		t.Errorf("dcmove --version: %s", got)
	}
	if msg := mustFail(t, nil, exitBadInput, "version", "extra"); !strings.Contains(msg, "takes no arguments") {
		t.Errorf("dcmove version extra: %s", msg)
	}
}
