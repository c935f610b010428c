//go:build linux

package jetstream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/events/jetstream"
	"github.com/dcmove/dcmove/internal/disktest"
)

// TestFullDiskRecovers fills the disk of a data directory that a process
// holds while another appends through it: the append fails with an error
// that says the disk is full and that nothing was recorded, the holder
// reports the store's health, and once room is made the holder restarts
// the store by itself and the same append goes through, exactly once.
func TestFullDiskRecovers(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(disktest.Small(t, "16m"), "data")
	holder, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	joiner, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer joiner.Close()
	var acked []string
	appendOne := func(l *jetstream.Log, e events.Envelope) error {
		last, err := l.LastSeq(ctx, "disk")
		if err != nil {
			return err
		}
		_, err = l.Append(ctx, "disk", last, e)
		if err == nil {
			acked = append(acked, e.ID)
		}
		return err
	}
	for range 5 {
		if err := appendOne(joiner, started(t, "disk")); err != nil {
			t.Fatal(err)
		}
	}

	filler := disktest.Fill(t, dir)
	e := started(t, "disk")
	var failed error
	// A write can still land in a block the store had room in: append
	// until the disk refuses one.
	for range 200 {
		if failed = appendOne(joiner, e); failed != nil {
			break
		}
		e = started(t, "disk")
	}
	if failed == nil {
		t.Fatal("200 appends on a full disk all succeeded")
	}
	if !errors.Is(failed, events.ErrUnavailable) || !strings.Contains(failed.Error(), "no space left") || !strings.Contains(failed.Error(), "nothing was recorded") {
		t.Fatalf("append on a full disk: %v; want unavailable, saying the disk is full and nothing was recorded", failed)
	}
	h, err := joiner.StoreHealth(ctx)
	if err != nil || !h.Failing() {
		t.Fatalf("store health on a full disk: %+v, %v; want failing", h, err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := appendOne(joiner, e) // the very event that failed
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after room was made, appends still fail: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := appendOne(holder, started(t, "disk")); err != nil {
		t.Fatalf("the holder's own append after the recovery: %v", err)
	}
	h, err = holder.StoreHealth(ctx)
	if err != nil || h.Failing() || h.RecoveredAt.IsZero() || h.LastError == "" {
		t.Fatalf("store health after the recovery: %+v, %v; want recovered, with the last error", h, err)
	}

	var stored []string
	for r, err := range joiner.Read(ctx, "disk", 0) {
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, r.ID)
	}
	slices.Sort(stored)
	for i := 1; i < len(stored); i++ {
		if stored[i] == stored[i-1] {
			t.Errorf("event %s stored twice", stored[i])
		}
	}
	for _, id := range acked {
		if _, found := slices.BinarySearch(stored, id); !found {
			t.Errorf("acknowledged event %s lost", id)
		}
	}
	t.Logf("%d events acknowledged around a full disk, %d stored, 0 lost, 0 duplicated; last error: %s", len(acked), len(stored), h.LastError)
}

// TestReadOnlyDataDirectory reads a data directory on a read-only file
// system (an archived log), and on a full disk, with nobody serving it: a
// log opened to read serves a copy of it, and nothing is written to the
// directory; a log opened to write says why it cannot.
func TestReadOnlyDataDirectory(t *testing.T) {
	ctx := context.Background()
	disk := disktest.Small(t, "16m")
	dir := filepath.Join(disk, "data")
	l, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	for range 3 {
		if seq, err = l.Append(ctx, "archived", seq, started(t, "archived")); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	before := listing(t, dir)

	check := func(what string) {
		t.Helper()
		if _, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir}); err == nil {
			t.Fatalf("%s: a log to write opened", what)
		}
		r, err := jetstream.Open(ctx, jetstream.Options{DataDir: dir, ReadOnly: true})
		if err != nil {
			t.Fatalf("%s: a log to read: %v", what, err)
		}
		if r.ReadOnlyCopy() == "" {
			t.Errorf("%s: the log does not say it reads a copy", what)
		}
		if n := count(t, r, "archived"); n != 3 {
			t.Errorf("%s: read %d events, want 3", what, n)
		}
		r.Close()
		if after := listing(t, dir); !slices.Equal(before, after) {
			t.Errorf("%s: the data directory changed:\nbefore %v\nafter  %v", what, before, after)
		}
	}

	filler := disktest.Fill(t, disk)
	check("full disk")
	os.Remove(filler)

	disktest.ReadOnly(t, disk)
	check("read-only file system")
}

// listing is every file under dir with its size and modification time.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !info.IsDir() {
			files = append(files, fmt.Sprintf("%s %d bytes %s", rel, info.Size(), info.ModTime().Format(time.RFC3339Nano)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}
