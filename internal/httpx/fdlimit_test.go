//go:build unix

package httpx

import (
	"syscall"
	"testing"
)

// TestOpenFileLimit: Go has raised the soft limit to (about) the hard one.
func TestOpenFileLimit(t *testing.T) {
	n, ok := OpenFileLimit()
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		t.Skip(err)
	}
	if !ok || n <= 0 || uint64(n) < uint64(r.Cur) && uint64(n) != 1<<31-1 {
		t.Fatalf("OpenFileLimit() = %d, %v; RLIMIT_NOFILE is %d/%d", n, ok, r.Cur, r.Max)
	}
	t.Logf("open file limit %d (hard %d)", n, r.Max)
}
