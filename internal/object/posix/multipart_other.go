//go:build !linux

package posix

import (
	"errors"
	"io/fs"
	"os"
)

// inPlaceParts is false where open file description locks are missing:
// every part is then spooled to its own file and completion copies.
const inPlaceParts = false

func tryLockRange(f *os.File, off, n int64) error { return errors.ErrUnsupported }

func linkCount(fi fs.FileInfo) uint64 { return 0 }

func startWriteback(f *os.File, off, n int64) {}
