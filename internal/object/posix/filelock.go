package posix

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// locksDirName holds the lock files of the key stripes (see doc.go, "Writes").
const locksDirName = "locks"

// fileLocks are the open lock files of the key stripes, opened on first
// use and kept until Close. A stripe's in-process mutex is always taken
// before its file lock: the file lock (flock) belongs to the open file
// description, which this process shares between its goroutines, so it
// orders processes, and the mutex orders the goroutines of one process.
type fileLocks struct {
	mu    sync.Mutex
	files [lockStripes]*os.File
}

// file returns the lock file of stripe i, opening (creating) it if needed.
func (l *fileLocks) file(sys string, i int) (*os.File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.files[i]; f != nil {
		return f, nil
	}
	dir := filepath.Join(sys, locksDirName)
	if err := os.MkdirAll(dir, sysDirMode); err != nil {
		return nil, fmt.Errorf("posix: lock folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(i)), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("posix: lock file: %w", err)
	}
	l.files[i] = f
	return f, nil
}

func (l *fileLocks) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, f := range l.files {
		if f != nil {
			f.Close()
			l.files[i] = nil
		}
	}
}

// lockKey takes the write lock of key's stripe, in this process and across
// every process sharing the root, and returns its release. Every commit and
// delete of an object holds it from the check of the key's current state
// through the rename, so conditional writes and version bookkeeping see no
// other write of the key in between.
func (b *Backend) lockKey(bucket, key string) (func(), error) {
	i := b.stripe(bucket, key)
	b.locks[i].Lock()
	f, err := b.flocks.file(b.sys, i)
	if err == nil {
		err = flock(f)
	}
	if err != nil {
		b.locks[i].Unlock()
		return nil, fmt.Errorf("posix: lock %s/%s: %w", bucket, key, err)
	}
	return func() {
		funlock(f)
		b.locks[i].Unlock()
	}, nil
}
