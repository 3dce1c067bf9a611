//go:build !unix

package posix

import "io/fs"

// fileID reports no identity outside Unix: bucket roots are then not kept.
func fileID(fs.FileInfo) (dev, ino uint64, ok bool) { return 0, 0, false }
