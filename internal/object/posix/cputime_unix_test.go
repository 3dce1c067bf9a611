//go:build unix

package posix

import (
	"syscall"
	"time"
)

// cpuTime returns the user and system time the process has used, which,
// unlike the elapsed time, does not depend on what else runs on the
// machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// syncAll writes all file system buffers back to disk.
func syncAll() { syscall.Sync() }
