package jetstream

import (
	"os"

	"github.com/gofrs/flock"
)

// tryLock takes an exclusive advisory lock on path without waiting (flock
// on Unix, LockFileEx on Windows). It returns the function that releases
// it, or nil if another process holds it. The system releases the lock
// when the holder dies, so a lock never goes stale, on any system.
func tryLock(path string) (func(), error) {
	// Opened for writing, as the store will be: a read-only data directory
	// fails here, and is served from a copy (see openReadOnlyCopy).
	l := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	return func() { l.Unlock() }, nil
}
