//go:build !unix

package jetstream

import (
	"errors"
	"os"
)

// tryLock takes the data directory with an exclusive-create lock file. Unlike
// the unix lock, a file left by a killed process must be removed by hand;
// the error says so.
func tryLock(path string) (func(), error) {
	f, err := os.OpenFile(path+".pid", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f.Close()
	return func() { os.Remove(path + ".pid") }, nil
}
