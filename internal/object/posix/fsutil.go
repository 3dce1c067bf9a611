package posix

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// isEscape reports whether err is os.Root refusing a path that leaves its
// directory (through a symbolic link). os.Root reports it as a PathError
// whose cause is not a system error number.
func isEscape(err error) bool {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return false
	}
	var errno syscall.Errno
	return !errors.As(pe.Err, &errno)
}

// absent reports whether err means "nothing usable at this path": missing,
// below a non-directory, a symbolic link loop, or a symbolic link leading
// out of the bucket.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) ||
		errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.ELOOP) ||
		errors.Is(err, syscall.ENAMETOOLONG) ||
		isEscape(err)
}

// inTheWay reports whether err means that something else occupies the path
// (a file where a directory is needed or the reverse, a non-empty directory,
// a symbolic link leading out of the bucket).
func inTheWay(err error) bool {
	return errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.EISDIR) ||
		errors.Is(err, syscall.EEXIST) ||
		errors.Is(err, syscall.ENOTEMPTY) ||
		errors.Is(err, syscall.ELOOP) ||
		isEscape(err)
}

// mkdirAllSyncPath is os.MkdirAll for a path of the system folder that also
// fsyncs the parent of every directory it creates.
func mkdirAllSyncPath(p string) error {
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return nil
	}
	parent := filepath.Dir(p)
	if parent == p {
		return nil
	}
	if err := mkdirAllSyncPath(parent); err != nil {
		return err
	}
	if err := os.Mkdir(p, dirMode); err != nil {
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := os.Stat(p); serr == nil && fi.IsDir() {
				return nil // created concurrently
			}
		}
		return err
	}
	return syncDir(parent)
}
