//go:build !linux

package posix

import "io/fs"

// stampOf returns what the portable FileInfo tells about a directory: its
// modification time and size. Without a status change time, a change made
// by hand that also sets the directory's modification time back to the
// exact value it had is not noticed.
func stampOf(fi fs.FileInfo) dirStamp {
	return dirStamp{mtime: fi.ModTime().UnixNano(), size: fi.Size()}
}
