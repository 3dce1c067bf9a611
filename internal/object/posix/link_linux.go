package posix

import (
	"os"
	"syscall"
	"unsafe"
)

// atFDCWD is Linux's AT_FDCWD: a path relative to the working directory.
const atFDCWD = -100

// linkInto makes dstPath (absolute) a second name of the file name in
// directory dir, with linkat(2) on the open handle, so a symbolic link
// swapped in above it cannot redirect it; a link at name itself is not
// followed.
func linkInto(dir *os.File, name, dstPath string) error {
	oldp, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	newp, err := syscall.BytePtrFromString(dstPath)
	if err != nil {
		return err
	}
	dfd := atFDCWD
	_, _, errno := syscall.Syscall6(syscall.SYS_LINKAT, dir.Fd(), uintptr(unsafe.Pointer(oldp)), uintptr(dfd), uintptr(unsafe.Pointer(newp)), 0, 0)
	if errno != 0 {
		return &os.LinkError{Op: "linkat", Old: name, New: dstPath, Err: errno}
	}
	return nil
}
