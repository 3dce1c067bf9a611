package posix

import (
	"io/fs"
	"syscall"
)

// stampOf returns the identity and change times of a directory. The
// status change time (ctime) moves on every change of the directory's
// entries and cannot be set back by hand, unlike the modification time
// (rsync and tar restore that one).
func stampOf(fi fs.FileInfo) dirStamp {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return dirStamp{mtime: fi.ModTime().UnixNano(), size: fi.Size()}
	}
	return dirStamp{
		dev:   uint64(st.Dev),
		ino:   uint64(st.Ino),
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
		size:  st.Size,
	}
}
