package posix

import (
	"os"
	"syscall"
)

// renameInto moves the file srcName of directory src to dstName in
// directory dst. Both directories are open handles, so the rename happens
// exactly where os.Root resolved dst, whatever symbolic links appear
// meanwhile.
func renameInto(src *os.File, srcName string, dst *os.File, dstName string) error {
	err := syscall.Renameat(int(src.Fd()), srcName, int(dst.Fd()), dstName)
	if err != nil {
		return &os.LinkError{Op: "renameat", Old: srcName, New: dstName, Err: err}
	}
	return nil
}
