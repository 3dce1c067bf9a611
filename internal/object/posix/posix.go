package posix

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// Names of the system folder and its subfolders, relative to the root.
const (
	sysDirName    = ".sesame.sys"
	tmpDirName    = "tmp"
	metaDirName   = "meta"
	uploadDirName = "multipart"
	bucketDirName = "buckets"
	versionsName  = "versions"
)

// File modes for what the backend creates. The umask still applies.
const (
	dirMode    = 0o755
	fileMode   = 0o644
	sysDirMode = 0o700
)

// lockStripes is the number of striped locks that serialize the commit of a
// data file with its meta file.
const lockStripes = 256

// copyBufferSize is the size of the buffers used to move bodies to disk.
const copyBufferSize = 256 << 10

// emptyMD5 is the hex MD5 of no bytes, the ETag of every folder marker.
const emptyMD5 = "d41d8cd98f00b204e9800998ecf8427e"

// Options tune a Backend. The zero value is ready to use.
type Options struct {
	// Now returns the current time; it stamps objects, parts, uploads and
	// buckets. Nil means time.Now.
	Now func() time.Time
	// Logger receives diagnostics (crash leftovers removed, metadata that
	// could not be cached). Nil discards them.
	Logger *slog.Logger
	// ListCacheSize is the memory, in bytes, that ListObjects may keep for
	// sorted directory listings shared between requests (see doc.go,
	// "Listing"). 0 means DefaultListCacheSize. A negative size disables
	// the cache: every page then scans its directories, in memory bounded
	// by the page but in time proportional to the directory's size.
	ListCacheSize int64
}

// Backend is an object.Backend that keeps objects as plain files in a
// directory tree. Create one with Open and release it with Close.
type Backend struct {
	root   string   // absolute path of the root directory
	sys    string   // root/.sesame.sys
	top    *os.Root // the root directory
	tmpDir *os.File // root/.sesame.sys/tmp, for renameat
	now    func() time.Time
	log    *slog.Logger
	bufs   sync.Pool // *[]byte of copyBufferSize
	locks  [lockStripes]sync.RWMutex
	flocks fileLocks    // the stripes' lock files, across processes
	seq    atomic.Int64 // the last version sequence number issued (versioning.go)
	lists  *listCache
	metas  metaCache // decoded meta files, checked by stat
	roots  rootCache // open bucket directories of the read path
}

var _ object.Backend = (*Backend)(nil)

// Open opens (creating it if needed) the backend rooted at root. It creates
// the system folder and removes the leftovers of interrupted writes from it.
func Open(root string, opts Options) (*Backend, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("posix: root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, dirMode); err != nil {
		return nil, fmt.Errorf("posix: create root: %w", err)
	}
	b := &Backend{
		root: abs,
		sys:  filepath.Join(abs, sysDirName),
		now:  opts.Now,
		log:  opts.Logger,
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	cacheSize := opts.ListCacheSize
	if cacheSize == 0 {
		cacheSize = DefaultListCacheSize
	}
	b.lists = newListCache(cacheSize)
	b.bufs.New = func() any {
		buf := make([]byte, copyBufferSize)
		return &buf
	}
	if err := os.Mkdir(b.sys, sysDirMode); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("posix: create system folder: %w", err)
	}
	if fi, err := os.Lstat(b.sys); err != nil {
		return nil, fmt.Errorf("posix: system folder: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("posix: system folder %s is not a directory", b.sys)
	}
	for _, name := range []string{tmpDirName, metaDirName, uploadDirName, bucketDirName} {
		if err := os.MkdirAll(filepath.Join(b.sys, name), dirMode); err != nil {
			return nil, fmt.Errorf("posix: create system folder: %w", err)
		}
	}
	if err := b.cleanTmp(); err != nil {
		return nil, err
	}
	if b.top, err = os.OpenRoot(abs); err != nil {
		return nil, fmt.Errorf("posix: open root: %w", err)
	}
	if b.tmpDir, err = os.Open(b.tmpPath()); err != nil {
		b.top.Close()
		return nil, fmt.Errorf("posix: open temp folder: %w", err)
	}
	return b, nil
}

// Close releases the directory handles and the listing cache. The Backend
// must not be used after.
func (b *Backend) Close() error {
	b.lists.close()
	b.roots.closeAll()
	b.flocks.close()
	return errors.Join(b.tmpDir.Close(), b.top.Close())
}

// cleanTmp removes everything in the temp folder: at Open nothing can be in
// flight, so whatever is there was left by a crash.
func (b *Backend) cleanTmp() error {
	entries, err := os.ReadDir(b.tmpPath())
	if err != nil {
		return fmt.Errorf("posix: read temp folder: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join(b.tmpPath(), e.Name())
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("posix: clean temp folder: %w", err)
		}
		b.log.Info("posix: removed leftover of an interrupted write", "path", p)
	}
	return nil
}

func (b *Backend) tmpPath() string { return filepath.Join(b.sys, tmpDirName) }

// lock returns the striped lock guarding the given names (for example a
// bucket and a key).
func (b *Backend) lock(names ...string) *sync.RWMutex {
	return &b.locks[b.stripe(names...)]
}

func (b *Backend) stripe(names ...string) int {
	h := fnv.New32a()
	for _, n := range names {
		io.WriteString(h, n)
		h.Write([]byte{0})
	}
	return int(h.Sum32() % lockStripes)
}

// lockBoth locks the stripes of two keys of a bucket without deadlocking
// when they share a stripe, and returns the unlock function.
func (b *Backend) lockBoth(bucket, k1, k2 string) func() {
	i, j := b.stripe(bucket, k1), b.stripe(bucket, k2)
	if i == j {
		b.locks[i].Lock()
		return b.locks[i].Unlock
	}
	if i > j {
		i, j = j, i
	}
	b.locks[i].Lock()
	b.locks[j].Lock()
	return func() {
		b.locks[j].Unlock()
		b.locks[i].Unlock()
	}
}

// randomName returns a fresh random name for a temp file.
func randomName() string {
	var buf [16]byte
	rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}

// newTemp creates an empty file in the temp folder and returns it with its
// name inside that folder.
func (b *Backend) newTemp() (*os.File, string, error) {
	for {
		name := randomName()
		f, err := os.OpenFile(filepath.Join(b.tmpPath(), name), os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("posix: create temp file: %w", err)
		}
		return f, name, nil
	}
}

// removeTemp deletes a temp file by name, ignoring errors.
func (b *Backend) removeTemp(name string) {
	os.Remove(filepath.Join(b.tmpPath(), name))
}

// writeTemp writes data to a new fsynced temp file and returns its path.
func (b *Backend) writeTemp(data []byte) (string, error) {
	f, name, err := b.newTemp()
	if err != nil {
		return "", err
	}
	tmp := filepath.Join(b.tmpPath(), name)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("posix: write temp file: %w", err)
	}
	return tmp, nil
}

// writeFileAtomic replaces the file at p (a path in the system folder) with
// data: temp file, fsync, rename, fsync of the parent directory. Missing
// parent directories are created.
func (b *Backend) writeFileAtomic(p string, data []byte) error {
	tmp, err := b.writeTemp(data)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	for attempt := 0; ; attempt++ {
		if err = mkdirAllSyncPath(dir); err == nil {
			err = os.Rename(tmp, p)
		}
		// A concurrent cleanup may remove the parent between MkdirAll and
		// Rename; try again.
		if err == nil || !errors.Is(err, os.ErrNotExist) || attempt == maxRetries {
			break
		}
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("posix: write %s: %w", p, err)
	}
	return syncDir(dir)
}

// replaceFile is writeFileAtomic for a file whose directory must already
// exist (it is not recreated if it was removed meanwhile).
func (b *Backend) replaceFile(p string, data []byte) error {
	tmp, err := b.writeTemp(data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("posix: write %s: %w", p, err)
	}
	return syncDir(filepath.Dir(p))
}

// maxRetries bounds the retries of a rename that raced with the removal of
// its (empty) parent directory.
const maxRetries = 8

// syncDir fsyncs the directory at p so a rename into it is durable.
func syncDir(p string) error {
	d, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("posix: sync %s: %w", p, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("posix: sync %s: %w", p, err)
	}
	return nil
}

// removeTree removes the directory at p (in the system folder) and all it
// contains. It first renames it into the temp folder so it disappears at
// once; a crash leaves the remains there for the next Open to clean.
func (b *Backend) removeTree(p string) error {
	dst := filepath.Join(b.tmpPath(), randomName())
	if err := os.Rename(p, dst); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("posix: remove %s: %w", p, err)
	}
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("posix: remove %s: %w", p, err)
	}
	return nil
}

// spooled is a body written to a temp file.
type spooled struct {
	name string      // in the temp folder
	sum  []byte      // binary MD5
	info os.FileInfo // after the final fsync
}

// spool copies body to a new temp file, enforcing the PutOptions.Size
// semantics and limit, checking opts.MD5 and ctx, stamping the file's
// modification time with Now and fsyncing it. On error nothing is left behind.
func (b *Backend) spool(ctx context.Context, body io.Reader, opts object.PutOptions, limit int64) (*spooled, error) {
	if opts.Size > limit {
		return nil, fmt.Errorf("posix: declared size %d exceeds %d: %w", opts.Size, limit, object.ErrTooLarge)
	}
	if body == nil {
		body = eofReader{}
	}
	max := limit
	if opts.Size >= 0 {
		max = opts.Size
	}
	f, name, err := b.newTemp()
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			b.removeTemp(name)
		}
	}()
	h := md5.New()
	bufp := b.bufs.Get().(*[]byte)
	n, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, body}, max+1), *bufp)
	b.bufs.Put(bufp)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("posix: read body: %w", err)
	}
	switch {
	case n > max && opts.Size >= 0:
		return nil, fmt.Errorf("posix: body longer than declared size %d: %w", opts.Size, object.ErrTooLarge)
	case n > max:
		return nil, fmt.Errorf("posix: body longer than %d bytes: %w", limit, object.ErrTooLarge)
	case opts.Size >= 0 && n < opts.Size:
		return nil, fmt.Errorf("posix: body of %d bytes, declared %d: %w", n, opts.Size, object.ErrIncompleteBody)
	}
	sum := h.Sum(nil)
	if opts.MD5 != nil && !equalBytes(sum, opts.MD5) {
		return nil, fmt.Errorf("posix: body MD5 %x, expected %x: %w", sum, opts.MD5, object.ErrBadDigest)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := b.now()
	if err := os.Chtimes(f.Name(), now, now); err != nil {
		return nil, fmt.Errorf("posix: stamp temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("posix: sync temp file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("posix: stat temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("posix: close temp file: %w", err)
	}
	ok = true
	return &spooled{name: name, sum: sum, info: fi}, nil
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// normalizeETag strips quotes and lower-cases an ETag for comparison.
func normalizeETag(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), `"`))
}
