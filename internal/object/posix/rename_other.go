//go:build !linux

package posix

import (
	"fmt"
	"os"
	"path/filepath"
)

// renameInto moves the file srcName of directory src to dstName in
// directory dst. Without renameat it renames by path, after checking that
// dst's path still leads to the directory os.Root resolved.
func renameInto(src *os.File, srcName string, dst *os.File, dstName string) error {
	want, err := dst.Stat()
	if err != nil {
		return err
	}
	got, err := os.Stat(dst.Name())
	if err != nil {
		return err
	}
	if !os.SameFile(want, got) {
		return fmt.Errorf("posix: directory %s moved during rename: %w", dst.Name(), os.ErrNotExist)
	}
	return os.Rename(filepath.Join(src.Name(), srcName), filepath.Join(dst.Name(), dstName))
}
