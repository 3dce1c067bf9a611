package s3backend

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/sesame-s3/sesame/internal/object"
)

// bodyError is a refusal of the body by our own reader; the client hands
// it back wrapped, and mapError unwraps it to its sentinel.
type bodyError struct{ sentinel error }

func (e *bodyError) Error() string   { return e.sentinel.Error() }
func (e *bodyError) Sentinel() error { return e.sentinel }

// Unwrap keeps the sentinel recognizable where the error passes through
// another guard's source (putLarge's parts read from the whole body's).
func (e *bodyError) Unwrap() error { return e.sentinel }

// guard streams a body of a declared size to the upstream and makes sure
// the upstream never receives all of a body that is wrong: before it
// yields the last bytes it checks that no byte follows them and that the
// MD5 matches, and fails instead, so the upstream sees a short body and
// stores nothing. An error of the source itself is kept in srcErr.
type guard struct {
	ctx    context.Context
	src    io.Reader
	left   int64
	want   []byte // expected MD5, or nil
	sum    hash.Hash
	srcErr error
	done   bool
	// hook is PutOptions.Checksum: called in finish, its error refusing
	// the body; checksum is its result.
	hook     func() (object.Checksum, error)
	checksum object.Checksum
}

func newGuard(ctx context.Context, src io.Reader, size int64, wantMD5 []byte, hook func() (object.Checksum, error)) *guard {
	g := &guard{ctx: ctx, src: src, left: size, want: wantMD5, hook: hook}
	if wantMD5 != nil {
		g.sum = md5.New()
	}
	return g
}

func (g *guard) Read(p []byte) (int, error) {
	if g.done {
		return 0, io.EOF
	}
	if g.left == 0 {
		if err := g.finish(); err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n, err := g.src.Read(p)
	g.left -= int64(n)
	if g.sum != nil {
		g.sum.Write(p[:n])
	}
	switch {
	case err != nil && err != io.EOF:
		// Also with the last bytes: a source that checks the body as it
		// ends (a checksum) fails on the read that brings them.
		g.srcErr = err
		return 0, err
	case g.left == 0:
		// Hold the last bytes back until the body is known good.
		if ferr := g.finish(); ferr != nil {
			return 0, ferr
		}
		return n, nil
	case err == io.EOF:
		return 0, &bodyError{object.ErrIncompleteBody}
	}
	return n, nil
}

// finish checks, once the declared size is read, that the body ends there
// and matches its MD5 and the caller's checksum (the PutOptions.Checksum
// hook, whose error comes back as the write's), and that the caller still
// wants it stored (an upstream may store a body that arrived whole before
// the connection was dropped).
func (g *guard) finish() error {
	var probe [1]byte
	for {
		n, err := g.src.Read(probe[:])
		if n > 0 {
			return &bodyError{object.ErrTooLarge}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			g.srcErr = err
			return err
		}
	}
	if g.sum != nil && !bytes.Equal(g.sum.Sum(nil), g.want) {
		return &bodyError{object.ErrBadDigest}
	}
	if g.hook != nil {
		c, err := g.hook()
		if err != nil {
			return &bodyError{fmt.Errorf("checksum: %w", err)}
		}
		g.checksum, g.hook = c, nil
	}
	if err := g.ctx.Err(); err != nil {
		g.srcErr = err
		return err
	}
	g.done = true
	return nil
}

// spool copies a body of unknown size into a temporary file of dir, so it
// goes upstream with a known length, from disk rather than memory; at most
// limit bytes (ErrTooLarge beyond). The caller closes and removes the file.
func spool(dir string, src io.Reader, limit int64) (*os.File, int64, error) {
	f, err := os.CreateTemp(dir, ".spool-*")
	if err != nil {
		return nil, 0, fmt.Errorf("s3 backend: spool: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(src, limit+1))
	if err == nil && n > limit {
		err = object.ErrTooLarge
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, n, nil
}

// dropSpool closes and removes a spooled body.
func dropSpool(f *os.File) {
	if f != nil {
		f.Close()
		os.Remove(f.Name())
	}
}

// sentinelOf returns the sentinel a bodyError carries, or nil.
func sentinelOf(err error) error {
	var be *bodyError
	if errors.As(err, &be) {
		return be.sentinel
	}
	return nil
}

// bodySentinel returns the sentinel of a bodyError, else err.
func bodySentinel(err error) error {
	if s := sentinelOf(err); s != nil {
		return s
	}
	return err
}
