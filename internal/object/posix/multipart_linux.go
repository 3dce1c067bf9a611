package posix

import (
	"io"
	"io/fs"
	"os"
	"syscall"
)

// inPlaceParts reports whether parts can be written in place into an
// upload's data file: that needs open file description locks.
const inPlaceParts = true

// fOFDSetLk is F_OFD_SETLK of <fcntl.h> (Linux 3.15 and later), which the
// syscall package does not name.
const fOFDSetLk = 37

// tryLockRange takes a write lock on n bytes of f from off (n == 0: up to
// any end) without waiting, and fails if another open file description
// holds a lock there. The lock belongs to f's open file description, so
// two goroutines of one process, each with its own os.File, exclude each
// other; it is released when f is closed, or by the kernel when the
// process dies.
func tryLockRange(f *os.File, off, n int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: off, Len: n}
	if cerr := rc.Control(func(fd uintptr) { err = syscall.FcntlFlock(fd, fOFDSetLk, &lk) }); cerr != nil {
		return cerr
	}
	return err
}

// linkCount returns the number of hard links of the file fi describes.
func linkCount(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}

// startWriteback starts writing n bytes of f from off to disk, without
// waiting for them (sync_file_range with SYNC_FILE_RANGE_WRITE). It only
// schedules work: durability still comes from fsync.
func startWriteback(f *os.File, off, n int64) {
	const syncFileRangeWrite = 2 // SYNC_FILE_RANGE_WRITE of <fcntl.h>
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) { _ = syscall.SyncFileRange(int(fd), off, n, syncFileRangeWrite) })
}
