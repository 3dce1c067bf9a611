//go:build unix

package httpx

import (
	"math"
	"syscall"
)

// OpenFileLimit returns the process's limit on open files (the soft
// RLIMIT_NOFILE); ok is false where it cannot be read. Go raises the soft
// limit to the hard limit (less one) itself when the process starts on
// Unix systems (since Go 1.19; on macOS up to kern.maxfilesperproc), so
// this is already as high as the system lets the process go.
func OpenFileLimit() (n int, ok bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, false
	}
	if uint64(r.Cur) > math.MaxInt32 { // RLIM_INFINITY, or near enough
		return math.MaxInt32, true
	}
	return int(r.Cur), true
}
