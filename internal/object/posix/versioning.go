package posix

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// Versions (see doc.go, "Versions"): the current version of a key is the
// plain file at its path, as without versioning; noncurrent versions and
// delete markers live in .sesame.sys/versions/<bucket>/<metaRel(key)>/, one
// "<versionID>.json" meta file each and, for a version with data,
// "<versionID>" beside it.

var (
	_ object.ConditionalWriter = (*Backend)(nil)
	_ object.Versioned         = (*Backend)(nil)
)

// nextSeq returns a sequence number above both the clock and after.
func (b *Backend) nextSeq(after int64) int64 {
	for {
		last := b.seq.Load()
		n := max(b.now().UnixNano(), last+1, after+1)
		if b.seq.CompareAndSwap(last, n) {
			return n
		}
	}
}

// newVersionID returns a version ID: the sequence number in 16 hex digits
// (so IDs sort by age) and 16 random hex digits.
func newVersionID(seq int64) string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("%016x%s", seq, hex.EncodeToString(r[:]))
}

// validVersionID reports whether id is "null" or has the shape of an ID
// from newVersionID, so it is safe as a file name.
func validVersionID(id string) bool {
	if id == object.NullVersionID {
		return true
	}
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// versionOf returns the version ID of a meta: "" is the null version.
func versionOf(m objectMeta) string {
	if m.VersionID == "" {
		return object.NullVersionID
	}
	return m.VersionID
}

// versionsDir is the folder of key's noncurrent versions.
func (b *Backend) versionsDir(bucket, key string) string {
	return filepath.Join(b.sys, versionsName, bucket, metaRel(key))
}

func (b *Backend) versionsBucketPath(bucket string) string {
	return filepath.Join(b.sys, versionsName, bucket)
}

// readVersions returns the noncurrent versions of key, newest first.
func (b *Backend) readVersions(bucket, key string) ([]objectMeta, error) {
	dir := b.versionsDir(bucket, key)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if absent(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("posix: versions of %s/%s: %w", bucket, key, err)
	}
	var out []objectMeta
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validVersionID(id) {
			continue
		}
		data, err := readSmall(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		m, ok := decodeMeta(data)
		if !ok || versionOf(m) != id {
			continue
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(x, y objectMeta) int {
		if c := cmpInt(y.order(), x.order()); c != 0 {
			return c
		}
		return strings.Compare(y.VersionID, x.VersionID)
	})
	return out, nil
}

// order is the position of a version among its key's: its sequence
// number, or for one written before versioning its modification time.
func (m *objectMeta) order() int64 {
	if m.Seq != 0 {
		return m.Seq
	}
	return m.ModTime
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// emptyMarkerMeta is the ETag recorded for delete markers, which decodeMeta
// requires to be non-empty.
const markerETag = "-"

// current describes key's current object while its lock is held; ok is
// false when there is none (no file, or a folder marker key).
func (b *Backend) current(root *os.Root, bucket, key string) (m objectMeta, ok bool, err error) {
	if isMarkerKey(key) {
		m, ok := b.readMeta(bucket, key)
		return m, ok, nil
	}
	chain, err := b.openDirs(root, bucket, parentDir(key), false)
	if err != nil {
		if absent(err) || inTheWay(err) {
			return objectMeta{}, false, nil
		}
		return objectMeta{}, false, err
	}
	defer chain.close()
	f, fi, err := openData(root, chain.last(), baseName(key), key)
	if err != nil {
		if absent(err) || inTheWay(err) {
			return objectMeta{}, false, nil
		}
		return objectMeta{}, false, err
	}
	defer f.Close()
	if m, ok := b.readMeta(bucket, key); ok && m.matches(fi) {
		return m, true, nil
	}
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, fi.Size())); err != nil {
		return objectMeta{}, false, fmt.Errorf("posix: read %s/%s: %w", bucket, key, err)
	}
	return objectMeta{
		ETag:     hex.EncodeToString(h.Sum(nil)),
		Size:     fi.Size(),
		ModTime:  fi.ModTime().UnixNano(),
		Metadata: object.Metadata{ContentType: guessType(key)},
	}, true, nil
}

// etagIn reports whether the If-Match list names etag (or is "*").
func etagIn(list, etag string) bool {
	for e := range strings.SplitSeq(list, ",") {
		e = strings.TrimPrefix(strings.TrimSpace(e), "W/")
		if e == "*" || normalizeETag(e) == etag {
			return true
		}
	}
	return false
}

// beforeCommit runs under key's lock just before a new object is placed:
// it checks the write conditions against the current object and applies
// versioning, keeping the current object as a noncurrent version when it
// must survive, and gives m its version ID.
func (b *Backend) beforeCommit(root *os.Root, bucket, key string, m *objectMeta, opts object.PutOptions) error {
	if opts.IfNoneMatch == "" && opts.IfMatch == "" && opts.Versioning == object.VersioningOff {
		return nil
	}
	cur, exists, err := b.current(root, bucket, key)
	if err != nil {
		return err
	}
	switch {
	case opts.IfNoneMatch != "" && exists && etagIn(opts.IfNoneMatch, cur.ETag):
		return fmt.Errorf("posix: %s/%s has ETag %s: %w", bucket, key, cur.ETag, object.ErrPreconditionFailed)
	case opts.IfMatch != "" && !exists:
		return fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
	case opts.IfMatch != "" && !etagIn(opts.IfMatch, cur.ETag):
		return fmt.Errorf("posix: %s/%s has ETag %s: %w", bucket, key, cur.ETag, object.ErrPreconditionFailed)
	}
	if opts.Versioning == object.VersioningOff || isMarkerKey(key) {
		return nil
	}
	m.Seq = b.nextSeq(cur.order())
	m.VersionID = object.NullVersionID
	if opts.Versioning == object.VersioningEnabled {
		m.VersionID = newVersionID(m.Seq)
	}
	if exists && (opts.Versioning == object.VersioningEnabled || versionOf(cur) != object.NullVersionID) {
		return b.archive(root, bucket, key, cur)
	}
	return nil
}

// afterCommit runs under key's lock once a new object is in place: a new
// null version replaces any noncurrent null version.
func (b *Backend) afterCommit(bucket, key string, opts object.PutOptions) {
	if opts.Versioning == object.VersioningSuspended && !isMarkerKey(key) {
		b.removeVersion(bucket, key, object.NullVersionID)
	}
}

// archive keeps the current object cur of key as a noncurrent version: a
// second name of its data file in the versions folder, then its meta file
// there. Until the new object replaces it, the version is both current and
// noncurrent; readers count it once.
func (b *Backend) archive(root *os.Root, bucket, key string, cur objectMeta) error {
	dir := b.versionsDir(bucket, key)
	if err := mkdirAllSyncPath(dir); err != nil {
		return fmt.Errorf("posix: versions folder: %w", err)
	}
	id := versionOf(cur)
	dst := filepath.Join(dir, id)
	os.Remove(dst)
	chain, err := b.openDirs(root, bucket, parentDir(key), false)
	if err != nil {
		return fmt.Errorf("posix: keep version of %s/%s: %w", bucket, key, err)
	}
	defer chain.close()
	d, err := chain.last().Open(".")
	if err != nil {
		return fmt.Errorf("posix: keep version of %s/%s: %w", bucket, key, err)
	}
	defer d.Close()
	name := baseName(key)
	fi, err := chain.last().Lstat(name)
	if err == nil && fi.Mode().IsRegular() {
		err = linkInto(d, name, dst)
	} else {
		err = b.copyVersion(root, chain.last(), name, key, dst)
	}
	if err != nil {
		return fmt.Errorf("posix: keep version of %s/%s: %w", bucket, key, err)
	}
	cur.Key, cur.DeleteMarker, cur.VersionID = key, false, id
	if cur.Seq == 0 {
		cur.Seq = cur.ModTime
	}
	return b.writeVersionMeta(bucket, key, cur)
}

// copyVersion copies the data of a served symbolic link to dst.
func (b *Backend) copyVersion(root, dir *os.Root, name, key, dst string) error {
	src, fi, err := openData(root, dir, name, key)
	if err != nil {
		return err
	}
	defer src.Close()
	f, tmpName, err := b.newTemp()
	if err != nil {
		return err
	}
	_, err = io.Copy(f, src)
	if err == nil {
		err = os.Chtimes(f.Name(), fi.ModTime(), fi.ModTime())
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(filepath.Join(b.tmpPath(), tmpName), dst)
	}
	if err != nil {
		b.removeTemp(tmpName)
	}
	return err
}

func (b *Backend) writeVersionMeta(bucket, key string, m objectMeta) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return b.writeFileAtomic(filepath.Join(b.versionsDir(bucket, key), versionOf(m)+".json"), data)
}

// removeVersion removes a noncurrent version's meta file, then its data,
// then the versions folder if it is left empty.
func (b *Backend) removeVersion(bucket, key, id string) {
	dir := b.versionsDir(bucket, key)
	os.Remove(filepath.Join(dir, id+".json"))
	os.Remove(filepath.Join(dir, id))
	if os.Remove(dir) == nil {
		base := b.versionsBucketPath(bucket)
		for d := filepath.Dir(dir); d != base && strings.HasPrefix(d, base); d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
	}
}

// DeleteObjectWith deletes key as DeleteObject does, or as opts asks: a
// delete marker when versioning is on, a given version for good.
func (b *Backend) DeleteObjectWith(ctx context.Context, bucket, key string, opts object.DeleteOptions) (object.DeleteResult, error) {
	if opts.VersionID == "" && !deleteConditional(opts) && opts.Versioning == object.VersioningOff {
		return object.DeleteResult{}, b.DeleteObject(ctx, bucket, key)
	}
	if opts.VersionID != "" && !validVersionID(opts.VersionID) {
		return object.DeleteResult{}, fmt.Errorf("posix: version %q: %w", opts.VersionID, object.ErrInvalidVersionID)
	}
	root, err := b.checkObject(bucket, key)
	if err != nil {
		return object.DeleteResult{}, err
	}
	defer root.Close()
	if err := ctx.Err(); err != nil {
		return object.DeleteResult{}, err
	}
	unlock, err := b.lockKey(bucket, key)
	if err != nil {
		return object.DeleteResult{}, err
	}
	res, removed, err := b.deleteLocked(root, bucket, key, opts)
	unlock()
	if err != nil {
		return object.DeleteResult{}, err
	}
	if removed && !isMarkerKey(key) {
		if chain, err := b.openDirs(root, bucket, parentDir(key), false); err == nil {
			b.removeEmptyParents(chain, bucket, key)
			chain.close()
		}
	}
	return res, nil
}

// deleteLocked is DeleteObjectWith under key's lock; removed reports that
// the file at key's path went.
func (b *Backend) deleteLocked(root *os.Root, bucket, key string, opts object.DeleteOptions) (res object.DeleteResult, removed bool, err error) {
	cur, exists, err := b.current(root, bucket, key)
	if err != nil {
		return res, false, err
	}
	if deleteConditional(opts) {
		target, found := cur, exists
		if opts.VersionID != "" && (!exists || versionOf(cur) != opts.VersionID) || !exists {
			target, found, err = b.deleteTarget(bucket, key, opts.VersionID)
			if err != nil {
				return res, false, err
			}
		}
		if !found {
			return res, false, nil
		}
		if err := deleteMatches(target, opts); err != nil {
			return res, false, fmt.Errorf("posix: %s/%s: %w", bucket, key, err)
		}
		if opts.VersionID == "" && !exists {
			return res, false, nil // the latest version is a delete marker
		}
	}
	if opts.VersionID != "" {
		return b.deleteVersion(root, bucket, key, opts, cur, exists)
	}
	if opts.Versioning == object.VersioningOff || isMarkerKey(key) {
		if exists {
			err = b.removeCurrent(root, bucket, key)
		}
		return res, exists, err
	}
	seq := b.nextSeq(cur.order())
	marker := objectMeta{ETag: markerETag, ModTime: b.now().UnixNano(), Seq: seq, Key: key, DeleteMarker: true,
		VersionID: object.NullVersionID}
	if opts.Versioning == object.VersioningEnabled {
		marker.VersionID = newVersionID(seq)
	}
	if exists && (opts.Versioning == object.VersioningEnabled || versionOf(cur) != object.NullVersionID) {
		if err := b.archive(root, bucket, key, cur); err != nil {
			return res, false, err
		}
	}
	if marker.VersionID == object.NullVersionID {
		// The marker replaces a noncurrent null version: drop its data.
		os.Remove(filepath.Join(b.versionsDir(bucket, key), object.NullVersionID))
	}
	if err := b.writeVersionMeta(bucket, key, marker); err != nil {
		return res, false, err
	}
	if exists {
		if err := b.removeCurrent(root, bucket, key); err != nil {
			return res, false, err
		}
	}
	return object.DeleteResult{VersionID: marker.VersionID, DeleteMarker: true}, exists, nil
}

// deleteVersion removes version id of key for good. When the current
// object goes, the newest noncurrent version becomes current again unless
// it is a delete marker.
func (b *Backend) deleteVersion(root *os.Root, bucket, key string, opts object.DeleteOptions, cur objectMeta, exists bool) (object.DeleteResult, bool, error) {
	id := opts.VersionID
	res := object.DeleteResult{VersionID: id}
	allow := func(m objectMeta) error {
		if opts.Allow == nil {
			return nil
		}
		info := m.info(bucket, key)
		info.VersionID = versionOf(m)
		return opts.Allow(info)
	}
	removed := false
	if exists && versionOf(cur) == id {
		if err := allow(cur); err != nil {
			return res, false, err
		}
		if err := b.removeCurrent(root, bucket, key); err != nil {
			return res, false, err
		}
		removed, exists = true, false
	}
	versions, err := b.readVersions(bucket, key)
	if err != nil {
		return res, removed, err
	}
	if i := slices.IndexFunc(versions, func(m objectMeta) bool { return versionOf(m) == id }); i >= 0 && !removed {
		if err := allow(versions[i]); err != nil {
			return res, false, err
		}
		res.DeleteMarker = versions[i].DeleteMarker
		b.removeVersion(bucket, key, id)
		versions = slices.Delete(versions, i, i+1)
	}
	if !exists && len(versions) > 0 && !versions[0].DeleteMarker {
		if err := b.promote(root, bucket, key, versions[0]); err != nil {
			return res, removed, err
		}
		removed = false
	}
	return res, removed, nil
}

// promote makes the noncurrent version v of key current again: a second
// name of its data is placed at key's path, its meta written, and only
// then is the noncurrent copy removed.
func (b *Backend) promote(root *os.Root, bucket, key string, v objectMeta) error {
	tmpName := randomName()
	if err := os.Link(filepath.Join(b.versionsDir(bucket, key), versionOf(v)), filepath.Join(b.tmpPath(), tmpName)); err != nil {
		return fmt.Errorf("posix: restore version of %s/%s: %w", bucket, key, err)
	}
	if err := b.place(root, bucket, key, tmpName); err != nil {
		b.removeTemp(tmpName)
		return b.placeError(bucket, key, err)
	}
	v.Key = ""
	if err := b.writeMeta(bucket, key, v); err != nil {
		os.Remove(b.metaPath(bucket, key))
		return err
	}
	b.removeVersion(bucket, key, versionOf(v))
	return nil
}

// removeCurrent removes the file at key's path and its meta file.
func (b *Backend) removeCurrent(root *os.Root, bucket, key string) error {
	if isMarkerKey(key) {
		return b.removeMarkerLocked(root, bucket, key)
	}
	chain, err := b.openDirs(root, bucket, parentDir(key), false)
	if err != nil {
		return fmt.Errorf("posix: delete %s/%s: %w", bucket, key, err)
	}
	defer chain.close()
	err = chain.last().Remove(baseName(key))
	b.lists.bump(bucket, chain.dirKey())
	if err != nil && !absent(err) {
		return fmt.Errorf("posix: delete %s/%s: %w", bucket, key, err)
	}
	if err := os.Remove(b.metaPath(bucket, key)); err != nil && !absent(err) {
		return fmt.Errorf("posix: delete %s/%s: %w", bucket, key, err)
	}
	return nil
}

// removeMarkerLocked removes a folder marker's meta file and its directory
// if empty.
func (b *Backend) removeMarkerLocked(root *os.Root, bucket, key string) error {
	if err := os.Remove(b.metaPath(bucket, key)); err != nil && !absent(err) {
		return fmt.Errorf("posix: delete %s/%s: %w", bucket, key, err)
	}
	chain, err := b.openDirs(root, bucket, parentDir(key), false)
	if err != nil {
		return nil
	}
	defer chain.close()
	if chain.last().Remove(baseName(key)) == nil {
		b.lists.bump(bucket, chain.dirKey())
	}
	return nil
}

// GetObjectVersion opens version id of key ("" for the latest).
func (b *Backend) GetObjectVersion(ctx context.Context, bucket, key, id string, opts object.GetOptions) (*object.Reader, error) {
	if id != "" && !validVersionID(id) {
		return nil, fmt.Errorf("posix: version %q: %w", id, object.ErrInvalidVersionID)
	}
	if id == "" {
		r, err := b.GetObject(ctx, bucket, key, opts)
		if !errors.Is(err, object.ErrObjectNotFound) {
			return r, err
		}
	} else if info, err := b.HeadObject(ctx, bucket, key); err == nil && versionOf(objectMeta{VersionID: info.VersionID}) == id {
		r, err := b.GetObject(ctx, bucket, key, opts)
		if err == nil && r.Info.VersionID == info.VersionID || !errors.Is(err, object.ErrObjectNotFound) && err != nil {
			return r, err
		}
		if err == nil {
			r.Close()
		}
	} else if err != nil && !errors.Is(err, object.ErrObjectNotFound) {
		return nil, err
	}
	v, err := b.noncurrent(bucket, key, id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(b.versionsDir(bucket, key), versionOf(v)))
	if err != nil {
		return nil, fmt.Errorf("posix: open version %s of %s/%s: %w", id, bucket, key, err)
	}
	off, n, err := resolveRange(opts.Range, v.Size)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &object.Reader{ReadCloser: sectionReadCloser{io.NewSectionReader(f, off, n), f},
		Info: v.info(bucket, key), Offset: off, Length: n}, nil
}

// HeadObjectVersion describes version id of key ("" for the latest).
func (b *Backend) HeadObjectVersion(ctx context.Context, bucket, key, id string) (object.ObjectInfo, error) {
	if id != "" && !validVersionID(id) {
		return object.ObjectInfo{}, fmt.Errorf("posix: version %q: %w", id, object.ErrInvalidVersionID)
	}
	info, err := b.HeadObject(ctx, bucket, key)
	switch {
	case err == nil && (id == "" || versionOf(objectMeta{VersionID: info.VersionID}) == id):
		return info, nil
	case err != nil && !errors.Is(err, object.ErrObjectNotFound):
		return object.ObjectInfo{}, err
	}
	v, err := b.noncurrent(bucket, key, id)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	return v.info(bucket, key), nil
}

// noncurrent finds version id among key's noncurrent versions ("" for the
// newest, asked when there is no current object). A delete marker is a
// *DeleteMarkerError.
func (b *Backend) noncurrent(bucket, key, id string) (objectMeta, error) {
	if _, err := b.statBucket(bucket); err != nil {
		return objectMeta{}, err
	}
	versions, err := b.readVersions(bucket, key)
	if err != nil {
		return objectMeta{}, err
	}
	for _, v := range versions {
		if id != "" && versionOf(v) != id {
			continue
		}
		if v.DeleteMarker {
			return objectMeta{}, &object.DeleteMarkerError{VersionID: versionOf(v), ModTime: time.Unix(0, v.ModTime)}
		}
		if id == "" {
			break // a version newer than any marker, about to be promoted
		}
		return v, nil
	}
	if id == "" {
		return objectMeta{}, fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
	}
	return objectMeta{}, fmt.Errorf("posix: version %s of %s/%s: %w", id, bucket, key, object.ErrVersionNotFound)
}

// hasVersions reports whether bucket keeps any noncurrent version or
// delete marker (a bucket holding one is not empty).
func (b *Backend) hasVersions(bucket string) bool {
	found := false
	_ = filepath.WalkDir(b.versionsBucketPath(bucket), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

var _ object.ObjectLocker = (*Backend)(nil)

// UpdateObjectLock changes the Object Lock state of a version in its meta
// file, under the key's lock.
func (b *Backend) UpdateObjectLock(ctx context.Context, bucket, key, id string, update func(object.ObjectInfo, *object.ObjectLock) error) (object.ObjectInfo, error) {
	if id != "" && !validVersionID(id) {
		return object.ObjectInfo{}, fmt.Errorf("posix: version %q: %w", id, object.ErrInvalidVersionID)
	}
	root, err := b.checkObject(bucket, key)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	defer root.Close()
	unlock, err := b.lockKey(bucket, key)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	defer unlock()
	cur, exists, err := b.current(root, bucket, key)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	apply := func(m *objectMeta) error {
		info := m.info(bucket, key)
		info.VersionID = versionOf(*m)
		lock := m.Metadata.Lock
		if err := update(info, &lock); err != nil {
			return err
		}
		m.Metadata.Lock = lock
		return nil
	}
	if exists && (id == "" || versionOf(cur) == id) {
		if err := apply(&cur); err != nil {
			return object.ObjectInfo{}, err
		}
		if err := b.writeMeta(bucket, key, cur); err != nil {
			return object.ObjectInfo{}, err
		}
		return cur.info(bucket, key), nil
	}
	v, err := b.noncurrent(bucket, key, id)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	if err := apply(&v); err != nil {
		return object.ObjectInfo{}, err
	}
	if err := b.writeVersionMeta(bucket, key, v); err != nil {
		return object.ObjectInfo{}, err
	}
	return v.info(bucket, key), nil
}

// deleteConditional reports whether a delete has conditions.
func deleteConditional(opts object.DeleteOptions) bool {
	return opts.IfMatch != "" || opts.IfMatchSize != nil || opts.IfMatchModTime != nil
}

// deleteTarget finds the noncurrent version id of key ("" for the newest).
func (b *Backend) deleteTarget(bucket, key, id string) (objectMeta, bool, error) {
	versions, err := b.readVersions(bucket, key)
	if err != nil {
		return objectMeta{}, false, err
	}
	for _, v := range versions {
		if id == "" || versionOf(v) == id {
			return v, true, nil
		}
	}
	return objectMeta{}, false, nil
}

// deleteMatches checks the conditions of a delete against its target.
func deleteMatches(m objectMeta, opts object.DeleteOptions) error {
	etag := m.ETag
	if m.DeleteMarker {
		etag, m.Size = "", 0
	}
	switch {
	case opts.IfMatch != "" && !etagIn(opts.IfMatch, etag):
		return fmt.Errorf("ETag %q: %w", etag, object.ErrPreconditionFailed)
	case opts.IfMatchSize != nil && *opts.IfMatchSize != m.Size:
		return fmt.Errorf("size %d: %w", m.Size, object.ErrPreconditionFailed)
	case opts.IfMatchModTime != nil && !opts.IfMatchModTime.Truncate(time.Second).Equal(time.Unix(0, m.ModTime).Truncate(time.Second)):
		return fmt.Errorf("modified %v: %w", time.Unix(0, m.ModTime), object.ErrPreconditionFailed)
	}
	return nil
}
