//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package posix

import "os"

// flock is a no-op where flock(2) is missing: there one process only may
// use a root (the in-process stripe locks still order its goroutines).
func flock(*os.File) error { return nil }

func funlock(*os.File) {}
