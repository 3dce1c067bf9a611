//go:build !linux

package posix

import (
	"os"
	"path/filepath"
)

// linkInto makes dstPath a second name of the file name in directory dir.
func linkInto(dir *os.File, name, dstPath string) error {
	return os.Link(filepath.Join(dir.Name(), name), dstPath)
}
