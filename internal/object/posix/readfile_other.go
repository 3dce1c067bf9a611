//go:build !linux

package posix

import "os"

// readSmall returns the contents of the file at p.
func readSmall(p string) ([]byte, error) { return os.ReadFile(p) }
