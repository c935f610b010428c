//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/internal/disktest"
	"github.com/dcmove/dcmove/runbooks"
)

// TestStatusOnAFullDisk: with dcmove serve holding a data directory whose
// disk fills up, a step fails saying why, status says the store cannot
// write, and once room is made the step goes through and status says the
// writes failed and work again.
func TestStatusOnAFullDisk(t *testing.T) {
	disk := disktest.Small(t, "16m")
	dir := filepath.Join(disk, "data")
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	var served syncBuffer
	stopServe := background(t, &served, clock, "serve", "--data-dir", dir)
	defer stopServe()
	waitFor(t, &served, "serving data directory")
	mustRun(t, clock, "cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	var watch syncBuffer
	stopWatch := background(t, &watch, clock, "status", "--watch", "--data-dir", dir)
	defer stopWatch()
	waitFor(t, &watch, "progress 0/25 steps done")

	filler := disktest.Fill(t, disk)
	clock.Set(paris(t, 5, "07:00"))
	// Block and unblock a step until the disk refuses an event.
	var failed result
	for i := range 100 {
		verb := []string{"step", "block", "capture-fw-rules", "--reason", "waiting for the provider"}
		if i%2 == 1 {
			verb = []string{"step", "unblock", "capture-fw-rules"}
		}
		if failed = dcmove(t.Context(), clock, append(verb, "--data-dir", dir, "--as", "Karim Haddad")...); failed.err != nil {
			break
		}
	}
	if code := exitCode(failed.err); code != exitUnavailable {
		t.Fatalf("a step on a full disk: exit %d (%v), want %d", code, failed.err, exitUnavailable)
	}
	wantContains(t, "stderr", failed.errOut, "no space left on device")
	wantContains(t, "stderr", failed.errOut, "nothing was recorded")
	status := mustRun(t, clock, "status", "--data-dir", dir)
	wantContains(t, "status", status, "STORE CANNOT WRITE since")
	t.Logf("on a full disk: %s%s", failed.errOut, status[:strings.Index(status, "\n")])

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := dcmove(t.Context(), clock, "step", "start", "capture-switch-config", "--data-dir", dir, "--as", "Karim Haddad")
		if r.err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after room was made, steps still fail: %v\n%s", r.err, r.errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out := mustRun(t, clock, "status", "--data-dir", dir)
	wantContains(t, "status after the recovery", out, "store: writes failed at")
	wantContains(t, "status after the recovery", out, "they work again since")

	// The watch asks again as it goes: its next screens say so too.
	deadline = time.Now().Add(20 * time.Second)
	for i := 0; !strings.Contains(watch.String(), "they work again since"); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("the watch never showed the store's recovery:\n%s", watch.String())
		}
		verb := []string{"step", "block", "prepare-pa3", "--reason", "waiting for the racks"}
		if i%2 == 1 {
			verb = []string{"step", "unblock", "prepare-pa3"}
		}
		mustRun(t, clock, append(verb, "--data-dir", dir, "--as", "Julien Petit")...)
		time.Sleep(500 * time.Millisecond)
	}
}

// TestAuditAReadOnlyArchive: a data directory copied to a read-only disk
// (an archive handed to auditors) can be audited, verified and shown, and
// nothing is written to it; a command that writes says why it cannot.
func TestAuditAReadOnlyArchive(t *testing.T) {
	disk := disktest.Small(t, "16m")
	dir := filepath.Join(disk, "data")
	clock := runbooks.NewManualClock(paris(t, 5, "06:30"))
	mustRun(t, clock, "cutover", "start", weekend, "--data-dir", dir, "--as", "Claire Martin", "--accept", "L013", "--reason", "demo crew without shifts")
	clock.Set(paris(t, 5, "07:00"))
	mustRun(t, clock, "step", "start", "capture-fw-rules", "--data-dir", dir, "--as", "Karim Haddad")
	disktest.ReadOnly(t, disk)

	for _, args := range [][]string{{"status"}, {"audit"}, {"audit", "verify"}} {
		r := dcmove(t.Context(), clock, append(args, "--data-dir", dir)...)
		if r.err != nil {
			t.Fatalf("dcmove %s on a read-only archive: %v\n%s", strings.Join(args, " "), r.err, r.errOut)
		}
		wantContains(t, strings.Join(args, " ")+" stderr", r.errOut, "cannot be written")
		wantContains(t, strings.Join(args, " ")+" stderr", r.errOut, "reading a copy of it")
	}
	r := dcmove(t.Context(), clock, "step", "done", "capture-fw-rules", "--data-dir", dir, "--as", "Karim Haddad")
	if r.err == nil {
		t.Fatal("a step was recorded on a read-only archive")
	}
	wantContains(t, "step on a read-only archive", r.errOut, "read-only file system")
}
