package posix

import (
	"encoding/binary"
	"io/fs"
	"os"
	"syscall"
)

// direntBufSize is the buffer eachEntry reads directory entries into: a
// few thousand entries per system call.
const direntBufSize = 64 << 10

// eachEntry calls fn with the name and type of every entry of the
// directory dir but "." and "..", reading them with getdents64 straight
// into a buffer: unlike os.File.ReadDir, it allocates nothing per entry,
// which matters for directories of a million names read on every page. The
// type is the fs.FileMode type bits (0 for a regular file). name is valid
// only during the call. fn's error stops the walk and is returned.
func eachEntry(dir *os.Root, fn func(name []byte, typ fs.FileMode) error) error {
	f, err := dir.Open(".")
	if err != nil {
		return err
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	buf := make([]byte, direntBufSize)
	for {
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			for {
				n, rerr = syscall.Getdents(int(fd), buf)
				if rerr != syscall.EINTR {
					return true
				}
			}
		}); err != nil {
			return err
		}
		if rerr != nil {
			return &os.PathError{Op: "getdents64", Path: f.Name(), Err: rerr}
		}
		if n <= 0 {
			return nil
		}
		// struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen;
		// u8 d_type; char d_name[]; } with d_name NUL-terminated.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < 19 || reclen > len(b) {
				return &os.PathError{Op: "getdents64", Path: f.Name(), Err: syscall.EIO}
			}
			rec := b[:reclen]
			b = b[reclen:]
			name := rec[19:]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if len(name) == 0 || string(name) == "." || string(name) == ".." {
				continue
			}
			var typ fs.FileMode
			switch rec[18] {
			case syscall.DT_REG:
			case syscall.DT_DIR:
				typ = fs.ModeDir
			case syscall.DT_LNK:
				typ = fs.ModeSymlink
			case syscall.DT_UNKNOWN:
				// Some file systems do not tell: ask.
				fi, err := dir.Lstat(string(name))
				if err != nil {
					continue // removed meanwhile
				}
				typ = fi.Mode().Type()
			default:
				typ = fs.ModeIrregular
			}
			if err := fn(name, typ); err != nil {
				return err
			}
		}
	}
}
