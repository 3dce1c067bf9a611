package posix

import (
	"os"
	"syscall"
)

// smallFileSize is the buffer readSmall reads into; meta files are a few
// hundred bytes unless they carry much user metadata.
const smallFileSize = 4096

// readSmall returns the contents of the file at p, a meta file read for
// every object a listing returns. It uses three system calls (open, read,
// close) instead of os.ReadFile's seven or so (the os.File machinery sets
// up non-blocking I/O and a size hint); files that fill the buffer are read
// again with os.ReadFile.
func readSmall(p string) ([]byte, error) {
	var fd int
	var err error
	// O_NOATIME spares the file system an inode update per meta file on
	// the first listing after a write (relatime); only the file's owner
	// may ask for it.
	flags := syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOATIME
	for {
		fd, err = syscall.Open(p, flags, 0)
		if err == syscall.EPERM && flags&syscall.O_NOATIME != 0 {
			flags &^= syscall.O_NOATIME
			continue
		}
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	var buf [smallFileSize]byte
	n := 0
	for n < len(buf) {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			syscall.Close(fd)
			return nil, &os.PathError{Op: "read", Path: p, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	syscall.Close(fd)
	if n == len(buf) {
		return os.ReadFile(p)
	}
	return append([]byte(nil), buf[:n]...), nil
}
