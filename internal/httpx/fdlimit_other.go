//go:build !unix

package httpx

// OpenFileLimit returns the process's limit on open files; ok is false
// where it cannot be read, as here.
func OpenFileLimit() (n int, ok bool) { return 0, false }
