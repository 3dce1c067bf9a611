package posix

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// objectMeta is the JSON meta file of an object. It is valid only while
// Size and ModTime match the data file (for a folder marker: while the
// directory exists).
type objectMeta struct {
	ETag     string          `json:"etag"`
	Size     int64           `json:"size"`
	ModTime  int64           `json:"mtime"` // Unix nanoseconds of the data file
	Metadata object.Metadata `json:"metadata"`
	// Parts is the part layout of a multipart object.
	Parts []object.ObjectPart `json:"parts,omitempty"`
	// UploadID names the multipart upload that made the object, so that
	// a retried completion of it can be answered (multipart_retry.go).
	UploadID string `json:"uploadId,omitempty"`
	// Version bookkeeping (versioning.go): the version ID ("" for an
	// object written without versioning, which is the null version), its
	// order among the key's versions, and, in a noncurrent version's meta
	// file, the key and whether it is a delete marker.
	VersionID    string `json:"versionId,omitempty"`
	Seq          int64  `json:"seq,omitempty"`
	Key          string `json:"key,omitempty"`
	DeleteMarker bool   `json:"deleteMarker,omitempty"`
}

func (m *objectMeta) info(bucket, key string) object.ObjectInfo {
	return object.ObjectInfo{
		Bucket:    bucket,
		Key:       key,
		Size:      m.Size,
		ETag:      m.ETag,
		ModTime:   time.Unix(0, m.ModTime),
		VersionID: m.VersionID,
		Metadata:  m.Metadata,
		Parts:     m.Parts,
	}
}

// matches reports whether the meta describes the data file fi.
func (m *objectMeta) matches(fi fs.FileInfo) bool {
	return m.Size == fi.Size() && m.ModTime == fi.ModTime().UnixNano()
}

func (b *Backend) metaPath(bucket, key string) string {
	return filepath.Join(b.metaBucketPath(bucket), metaRel(key))
}

// readMeta loads key's meta file; ok is false when there is none usable.
func (b *Backend) readMeta(bucket, key string) (objectMeta, bool) {
	return b.readMetaFile(b.metaPath(bucket, key))
}

// decodeMeta decodes a meta file's content; one without an ETag is not valid.
func decodeMeta(data []byte) (m objectMeta, ok bool) {
	if err := json.Unmarshal(data, &m); err != nil || m.ETag == "" {
		return m, false
	}
	return m, true
}

func (b *Backend) writeMeta(bucket, key string, m objectMeta) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("posix: encode meta: %w", err)
	}
	return b.writeFileAtomic(b.metaPath(bucket, key), data)
}

// isMarker reports whether dirKey (ending in "/") is a folder marker: its
// meta file exists. The caller checks that the directory exists.
func (b *Backend) isMarker(bucket, dirKey string) bool {
	_, err := os.Stat(b.metaPath(bucket, dirKey))
	return err == nil
}

// guessType returns the Content-Type of a foreign file from its extension.
func guessType(key string) string {
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func (b *Backend) checkObject(bucket, key string) (*os.Root, error) {
	if err := checkBucketName(bucket); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	return b.openBucket(bucket)
}

// readObjectRoot is checkObject for the read path: the bucket's root comes
// from the cache of open roots, and release gives it back.
func (b *Backend) readObjectRoot(bucket, key string) (*os.Root, func(), error) {
	if err := checkBucketName(bucket); err != nil {
		return nil, nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	return b.bucketRoot(bucket)
}

// PutObject stores body under key. See doc.go for the write protocol.
func (b *Backend) PutObject(ctx context.Context, bucket, key string, body io.Reader, opts object.PutOptions) (object.ObjectInfo, error) {
	root, err := b.checkObject(bucket, key)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	defer root.Close()
	if err := ctx.Err(); err != nil {
		return object.ObjectInfo{}, err
	}
	if isMarkerKey(key) {
		return b.putMarker(ctx, root, bucket, key, body, opts)
	}
	sp, err := b.spool(ctx, body, opts, object.MaxObjectSize)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	m := objectMeta{
		ETag:     hex.EncodeToString(sp.sum),
		Size:     sp.info.Size(),
		ModTime:  sp.info.ModTime().UnixNano(),
		Metadata: opts.Metadata,
	}
	if err := finishChecksum(opts, &m.Metadata.Checksum); err != nil {
		b.removeTemp(sp.name)
		return object.ObjectInfo{}, err
	}
	if err := b.commit(root, bucket, key, sp.name, &m, opts); err != nil {
		b.removeTemp(sp.name)
		return object.ObjectInfo{}, err
	}
	return m.info(bucket, key), nil
}

// finishChecksum calls opts.Checksum, if set, once the body has been read,
// and stores its result in dst.
func finishChecksum(opts object.PutOptions, dst *object.Checksum) error {
	if opts.Checksum == nil {
		return nil
	}
	c, err := opts.Checksum()
	if err != nil {
		return fmt.Errorf("posix: checksum: %w", err)
	}
	*dst = c
	return nil
}

// putMarker stores a folder marker: a directory and its meta file.
func (b *Backend) putMarker(ctx context.Context, root *os.Root, bucket, key string, body io.Reader, opts object.PutOptions) (object.ObjectInfo, error) {
	if opts.Size > 0 {
		return object.ObjectInfo{}, fmt.Errorf("posix: %d bytes under folder key %q: %w", opts.Size, key, object.ErrInvalidKey)
	}
	if body != nil {
		n, err := io.Copy(io.Discard, io.LimitReader(ctxReader{ctx, body}, 1))
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return object.ObjectInfo{}, cerr
			}
			return object.ObjectInfo{}, fmt.Errorf("posix: read body: %w", err)
		}
		if n > 0 {
			return object.ObjectInfo{}, fmt.Errorf("posix: data under folder key %q: %w", key, object.ErrInvalidKey)
		}
	}
	if opts.MD5 != nil && hex.EncodeToString(opts.MD5) != emptyMD5 {
		return object.ObjectInfo{}, fmt.Errorf("posix: folder marker MD5: %w", object.ErrBadDigest)
	}
	m := objectMeta{ETag: emptyMD5, ModTime: b.now().UnixNano(), Metadata: opts.Metadata}
	if err := finishChecksum(opts, &m.Metadata.Checksum); err != nil {
		return object.ObjectInfo{}, err
	}
	unlock, err := b.lockKey(bucket, key)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	defer unlock()
	if err := b.beforeCommit(root, bucket, key, &m, opts); err != nil {
		return object.ObjectInfo{}, err
	}
	for attempt := 0; ; attempt++ {
		chain, err := b.openDirs(root, bucket, strings.TrimSuffix(key, "/"), true)
		if err == nil {
			chain.close()
			break
		}
		if attempt < maxRetries && errors.Is(err, fs.ErrNotExist) {
			continue // a concurrent delete removed an empty parent
		}
		return object.ObjectInfo{}, b.placeError(bucket, key, err)
	}
	if err := b.writeMeta(bucket, key, m); err != nil {
		return object.ObjectInfo{}, err
	}
	return m.info(bucket, key), nil
}

// placeError maps the failure to create key's path to a sentinel.
func (b *Backend) placeError(bucket, key string, err error) error {
	switch {
	case inTheWay(err):
		return fmt.Errorf("posix: key %q: %w", key, object.ErrKeyConflict)
	case errors.Is(err, fs.ErrNotExist):
		// Only the bucket directory itself can be missing: openDirs creates
		// the rest.
		return fmt.Errorf("posix: bucket %q: %w", bucket, object.ErrBucketNotFound)
	}
	return fmt.Errorf("posix: store %q: %w", key, err)
}

// commit renames the temp file tmpName to key's path and then writes its
// meta file, under key's lock so the pair is never interleaved with another
// commit or a reader. The caller removes the temp file on error.
func (b *Backend) commit(root *os.Root, bucket, key, tmpName string, m *objectMeta, opts object.PutOptions) error {
	unlock, err := b.lockKey(bucket, key)
	if err != nil {
		return err
	}
	defer unlock()
	if err := b.beforeCommit(root, bucket, key, m, opts); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := b.place(root, bucket, key, tmpName)
		if err == nil {
			break
		}
		if errors.Is(err, errSync) {
			return fmt.Errorf("posix: store %q: %w", key, err)
		}
		if attempt < maxRetries && (errors.Is(err, fs.ErrNotExist) || inTheWay(err) && b.removeStrayDir(root, bucket, key)) {
			// A concurrent delete removed an empty parent, or an empty
			// directory that is not a folder marker was in the way.
			continue
		}
		return b.placeError(bucket, key, err)
	}
	if err := b.writeMeta(bucket, key, *m); err != nil {
		// The data is in place but its meta is not: drop the old meta so
		// the file is served as a foreign one rather than with a wrong ETag.
		os.Remove(b.metaPath(bucket, key))
		return err
	}
	b.afterCommit(bucket, key, opts)
	return nil
}

// errSync marks a failed fsync after a successful rename: not retried.
var errSync = errors.New("sync failed")

// place creates key's parent directories and renames the temp file there,
// replacing whatever file or symbolic link is at the key.
func (b *Backend) place(root *os.Root, bucket, key, tmpName string) error {
	chain, err := b.openDirs(root, bucket, parentDir(key), true)
	if err != nil {
		return err
	}
	defer chain.close()
	dir, err := chain.last().Open(".")
	if err != nil {
		return err
	}
	defer dir.Close()
	err = renameInto(b.tmpDir, tmpName, dir, path.Base(key))
	b.lists.bump(bucket, chain.dirKey())
	if err != nil {
		return err
	}
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("%w: %w", errSync, err)
	}
	return nil
}

// removeStrayDir removes the directory at key's path when it is empty and
// not a folder marker, and reports whether it did.
func (b *Backend) removeStrayDir(root *os.Root, bucket, key string) bool {
	chain, err := b.openDirs(root, bucket, parentDir(key), false)
	if err != nil {
		return false
	}
	defer chain.close()
	dir, name := chain.last(), path.Base(key)
	fi, err := dir.Lstat(name)
	if err != nil || !fi.IsDir() || b.isMarker(bucket, key+"/") {
		return false
	}
	if dir.Remove(name) != nil {
		return false
	}
	b.lists.bump(bucket, chain.dirKey())
	return true
}

// GetObject opens key's data file (or folder marker) and resolves the range.
func (b *Backend) GetObject(ctx context.Context, bucket, key string, opts object.GetOptions) (*object.Reader, error) {
	root, release, err := b.readObjectRoot(bucket, key)
	if err != nil {
		return nil, err
	}
	defer release()
	f, info, err := b.openObject(ctx, root, bucket, key)
	if err != nil {
		return nil, err
	}
	off, n, err := resolveRange(opts.Range, info.Size)
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, err
	}
	r := &object.Reader{Info: info, Offset: off, Length: n}
	if f == nil {
		r.ReadCloser = io.NopCloser(eofReader{})
	} else {
		r.ReadCloser = sectionReadCloser{io.NewSectionReader(f, off, n), f}
	}
	return r, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

type sectionReadCloser struct {
	*io.SectionReader
	f *os.File
}

func (s sectionReadCloser) Close() error { return s.f.Close() }

// resolveRange turns rng into an offset and length within size bytes.
func resolveRange(rng *object.Range, size int64) (off, n int64, err error) {
	if rng == nil {
		return 0, size, nil
	}
	bad := fmt.Errorf("posix: range %+v of %d bytes: %w", *rng, size, object.ErrInvalidRange)
	if size == 0 {
		return 0, 0, bad
	}
	if rng.Suffix > 0 {
		n = min(rng.Suffix, size)
		return size - n, n, nil
	}
	if rng.First < 0 || rng.First >= size || rng.Last != -1 && rng.Last < rng.First {
		return 0, 0, bad
	}
	last := rng.Last
	if last == -1 || last >= size {
		last = size - 1
	}
	return rng.First, last - rng.First + 1, nil
}

// HeadObject describes key.
func (b *Backend) HeadObject(ctx context.Context, bucket, key string) (object.ObjectInfo, error) {
	root, release, err := b.readObjectRoot(bucket, key)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	defer release()
	return b.describe(ctx, root, bucket, key)
}

// openObject opens key's data file and describes it. For a folder marker the
// file is nil. See openObjectIn.
func (b *Backend) openObject(ctx context.Context, root *os.Root, bucket, key string) (*os.File, object.ObjectInfo, error) {
	chain, err := b.openDirs(root, bucket, parentDir(key), false)
	if err != nil {
		if absent(err) {
			return nil, object.ObjectInfo{}, fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
		}
		return nil, object.ObjectInfo{}, fmt.Errorf("posix: open %s/%s: %w", bucket, key, err)
	}
	defer chain.close()
	return b.openObjectIn(ctx, root, chain.last(), baseName(key), bucket, key)
}

// baseName is the last segment of key, without the trailing "/" of a
// folder marker.
func baseName(key string) string { return path.Base(strings.TrimSuffix(key, "/")) }

// openObjectIn is openObject for the entry name of key's directory dir.
// Under key's read lock it opens the file and reads the meta, so both belong
// to the same commit; a file without valid meta is foreign: its MD5 is
// computed from the open file and cached (best effort).
func (b *Backend) openObjectIn(ctx context.Context, root, dir *os.Root, name, bucket, key string) (*os.File, object.ObjectInfo, error) {
	notFound := func() (*os.File, object.ObjectInfo, error) {
		return nil, object.ObjectInfo{}, fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
	}
	mu := b.lock(bucket, key)
	mu.RLock()
	if isMarkerKey(key) {
		defer mu.RUnlock()
		fi, err := dir.Lstat(name)
		if err != nil && !absent(err) {
			return nil, object.ObjectInfo{}, fmt.Errorf("posix: stat %s/%s: %w", bucket, key, err)
		}
		if err != nil || !fi.IsDir() {
			return notFound()
		}
		m, ok := b.readMeta(bucket, key)
		if !ok {
			return notFound()
		}
		m.Size = 0
		return nil, m.info(bucket, key), nil
	}
	f, fi, err := openData(root, dir, name, key)
	if err != nil {
		mu.RUnlock()
		if absent(err) || errors.Is(err, syscall.ENXIO) {
			return notFound()
		}
		return nil, object.ObjectInfo{}, fmt.Errorf("posix: open %s/%s: %w", bucket, key, err)
	}
	m, ok := b.readMeta(bucket, key)
	mu.RUnlock()
	if ok && m.matches(fi) {
		return f, m.info(bucket, key), nil
	}
	m, err = b.foreignMeta(ctx, root, dir, name, bucket, key, f, fi)
	if err != nil {
		f.Close()
		return nil, object.ObjectInfo{}, err
	}
	return f, m.info(bucket, key), nil
}

// foreignMeta computes the meta of a file that has none (or a stale one) by
// reading it, and caches it if the file at key is still the one read.
func (b *Backend) foreignMeta(ctx context.Context, root, dir *os.Root, name, bucket, key string, f *os.File, fi fs.FileInfo) (objectMeta, error) {
	h := md5.New()
	bufp := b.bufs.Get().(*[]byte)
	_, err := io.CopyBuffer(h, ctxReader{ctx, io.NewSectionReader(f, 0, fi.Size())}, *bufp)
	b.bufs.Put(bufp)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return objectMeta{}, cerr
		}
		return objectMeta{}, fmt.Errorf("posix: read %s/%s: %w", bucket, key, err)
	}
	m := objectMeta{
		ETag:     hex.EncodeToString(h.Sum(nil)),
		Size:     fi.Size(),
		ModTime:  fi.ModTime().UnixNano(),
		Metadata: object.Metadata{ContentType: guessType(key)},
	}
	mu := b.lock(bucket, key)
	mu.Lock()
	defer mu.Unlock()
	cur, err := dataInfo(root, dir, name, key)
	if err == nil && os.SameFile(cur, fi) && m.matches(cur) {
		if err := b.writeMeta(bucket, key, m); err != nil {
			b.log.Warn("posix: cannot cache metadata", "bucket", bucket, "key", key, "err", err)
		}
	}
	return m, nil
}

// DeleteObject removes key's file and meta, then the parent directories
// left empty. A missing key is not an error. A key that is a symbolic link
// loses the link, never its target; a key below a linked directory does
// not exist, so nothing is removed through the link.
func (b *Backend) DeleteObject(ctx context.Context, bucket, key string) error {
	root, err := b.checkObject(bucket, key)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock, err := b.lockKey(bucket, key)
	if err != nil {
		return err
	}
	chain, err := b.openDirs(root, bucket, parentDir(key), false)
	if err != nil {
		if !absent(err) {
			unlock()
			return fmt.Errorf("posix: delete %s/%s: %w", bucket, key, err)
		}
		// No object: a meta file at its place is stale, drop it.
		os.Remove(b.metaPath(bucket, key))
		unlock()
		return nil
	}
	defer chain.close()
	dir, name := chain.last(), baseName(key)
	if isMarkerKey(key) {
		err = os.Remove(b.metaPath(bucket, key))
		if fi, lerr := dir.Lstat(name); lerr == nil && fi.IsDir() {
			if dir.Remove(name) == nil { // fails, as it should, when not empty
				b.lists.bump(bucket, chain.dirKey())
			}
		}
	} else {
		if _, serr := dataInfo(root, dir, name, key); serr == nil {
			err = dir.Remove(name)
			b.lists.bump(bucket, chain.dirKey())
			if absent(err) {
				err = nil
			}
		}
		if err == nil {
			err = os.Remove(b.metaPath(bucket, key))
		}
	}
	unlock()
	if err != nil && !absent(err) {
		return fmt.Errorf("posix: delete %s/%s: %w", bucket, key, err)
	}
	b.removeEmptyParents(chain, bucket, key)
	return nil
}

// removeEmptyParents removes the directories of chain (key's parents) that
// are left empty and are not folder markers, deepest first, up to the bucket
// directory; then the same in the meta tree. Failures only mean a directory
// stays.
func (b *Backend) removeEmptyParents(chain *dirChain, bucket, key string) {
	for i := len(chain.segs) - 1; i >= 0; i-- {
		d := strings.Join(chain.segs[:i+1], "/")
		// Hold the locks of "d" (an object may replace the directory) and
		// "d/" (a folder marker may be created in it).
		unlock := b.lockBoth(bucket, d, d+"/")
		parent, seg := chain.parent(i), chain.segs[i]
		fi, err := parent.Lstat(seg)
		removed := err == nil && fi.IsDir() && !b.isMarker(bucket, d+"/") && parent.Remove(seg) == nil
		unlock()
		if !removed {
			break
		}
		b.lists.bump(bucket, dirKeyOf(strings.Join(chain.segs[:i], "/")))
	}
	// Meta directories are never files (see metaSegment), so os.Remove only
	// removes empty directories here. A folder marker's own meta directory
	// may be empty too.
	start := parentDir(key)
	if isMarkerKey(key) {
		start = strings.TrimSuffix(key, "/")
	}
	for d := start; d != ""; d = parentDir(d) {
		if os.Remove(filepath.Join(b.metaBucketPath(bucket), metaDirRel(d))) != nil {
			break
		}
	}
}
