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
	"os"
	"path/filepath"

	"github.com/sesame-s3/sesame/internal/object"
)

// In-place assembly. Clients split an upload at a fixed part size S, so
// part n of the object starts at (n-1)*S. The first part of at least
// MinPartSize fixes S for its upload (layout.json), and every part that
// fits is written straight into its slot of one data file per upload. When
// the completion names parts 1..k, all but the last of size S, the data
// file already holds the object: CompleteMultipartUpload links it into the
// temp folder and commits it like any write, without reading a byte. Any
// other upload is assembled by copying, as before.
//
// Who may write where:
//   - A part is written into its slot only by a request holding an open
//     file description lock on the slot (tryLockRange), taken without
//     waiting; a request that cannot get it spools the part to its own file.
//   - A slot whose part record says "slot" is never written again: a
//     re-upload of that part is spooled, so a failed retry leaves the old
//     part intact. The record of part n is checked, and written, under the
//     slot's lock.
//   - The data file is written only while it has one link and is still the
//     upload's: a completion links it into the temp folder while holding a
//     lock on the whole file, so no slot write is in flight then, and none
//     can start on a file that is, or may become, an object.
//   - A completion takes the fast path only when the data file ends
//     within the last named part's slot, so cutting it to the object's
//     size never cuts away a part the upload still lists.

const (
	// layoutRecordName is the upload's layout.json: the part size S.
	layoutRecordName = "layout.json"
	// dataFileName is the upload's data file: part n at (n-1)*S.
	dataFileName = "data"
)

// layoutRecord is the layout.json of a multipart upload.
type layoutRecord struct {
	PartSize int64 `json:"partSize"`
}

// readLayout loads the upload's layout; ok is false when it has none.
func readLayout(dir string) (l layoutRecord, ok bool) {
	data, err := os.ReadFile(filepath.Join(dir, layoutRecordName))
	if err != nil || json.Unmarshal(data, &l) != nil || l.PartSize < object.MinPartSize || l.PartSize > object.MaxPartSize {
		return layoutRecord{}, false
	}
	return l, true
}

// fixLayout returns the upload's layout, first creating it with part size
// size when there is none and size is at least MinPartSize. It creates the
// data file and then links layout.json into place, so that of two racing
// requests exactly one fixes the size. ok is false when the upload has no
// layout (or is gone).
func (b *Backend) fixLayout(dir string, size int64) (l layoutRecord, ok bool) {
	if l, ok := readLayout(dir); ok || size < object.MinPartSize {
		return l, ok
	}
	// The upload folder is never recreated: if it was removed, this fails.
	f, err := os.OpenFile(filepath.Join(dir, dataFileName), os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return layoutRecord{}, false
	}
	f.Close()
	data, err := json.Marshal(layoutRecord{PartSize: size})
	if err != nil {
		return layoutRecord{}, false
	}
	tmp, err := b.writeTemp(data)
	if err != nil {
		return layoutRecord{}, false
	}
	err = os.Link(tmp, filepath.Join(dir, layoutRecordName))
	os.Remove(tmp)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return layoutRecord{}, false
	}
	if err := syncDir(dir); err != nil {
		return layoutRecord{}, false
	}
	return readLayout(dir)
}

// isUploadData reports whether f, which the caller has locked, is still
// the data file at p and is linked nowhere else.
func isUploadData(f *os.File, p string) bool {
	fi, err := f.Stat()
	if err != nil || linkCount(fi) != 1 {
		return false
	}
	cur, err := os.Stat(p)
	return err == nil && os.SameFile(fi, cur)
}

// slot is the locked region of an upload's data file that part n is
// written into.
type slot struct {
	f   *os.File // holds the lock; closing it releases the lock
	off int64
}

// claimSlot opens the upload's data file and locks part n's slot for a
// body of size bytes. It returns nil, and the part is spooled to its own
// file instead, when the size is unknown or does not fit the layout, when
// the upload has no layout and the part cannot fix one, when another
// request holds the slot, when the slot holds a committed part, when the
// data file is linked elsewhere (being or having been published), or on
// any error.
func (b *Backend) claimSlot(dir string, n int, size int64) *slot {
	if !inPlaceParts || size < 0 {
		return nil
	}
	l, ok := b.fixLayout(dir, size)
	if !ok || size > l.PartSize {
		return nil
	}
	off := int64(n-1) * l.PartSize
	if off+size > object.MaxObjectSize {
		return nil
	}
	p := filepath.Join(dir, dataFileName)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	if tryLockRange(f, off, l.PartSize) != nil || !isUploadData(f, p) || slotTaken(dir, n) {
		f.Close()
		return nil
	}
	return &slot{f: f, off: off}
}

// slotTaken reports whether part n's record places it in its slot (or
// cannot be read, to be safe).
func slotTaken(dir string, n int) bool {
	m, err := readPartRecord(dir, n)
	if err != nil {
		return !absent(err)
	}
	return m.Slot
}

// errSlotFull is returned by slotWriter for bytes past the declared size.
var errSlotFull = errors.New("body longer than its slot")

// writebackChunk is how many bytes a slotWriter lets pile up in the page
// cache before it starts writing them to disk.
const writebackChunk = 1 << 20

// slotWriter writes sequentially from off, never more than left bytes, so
// a body longer than declared cannot reach the next slot. It starts the
// writeback of every writebackChunk bytes written, so the disk works while
// the body is still arriving and hashed, and the fsync that ends the part
// finds little left to write.
type slotWriter struct {
	f         *os.File
	off, left int64
	unflushed int64 // bytes before off whose writeback has not been started
}

func (w *slotWriter) Write(p []byte) (int, error) {
	var err error
	if int64(len(p)) > w.left {
		p, err = p[:w.left], errSlotFull
	}
	n, werr := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	w.left -= int64(n)
	if w.unflushed += int64(n); w.unflushed >= writebackChunk {
		startWriteback(w.f, w.off-w.unflushed, w.unflushed)
		w.unflushed = 0
	}
	if werr != nil {
		return n, werr
	}
	return n, err
}

// writeSlot streams a body of exactly opts.Size bytes into s, computing
// its MD5 on the way and enforcing opts as spool does, and fsyncs the data
// file. On error the slot holds garbage that no record points to.
func (b *Backend) writeSlot(ctx context.Context, s *slot, body io.Reader, opts object.PutOptions) ([]byte, error) {
	if body == nil {
		body = eofReader{}
	}
	h := md5.New()
	w := &slotWriter{f: s.f, off: s.off, left: opts.Size}
	bufp := b.bufs.Get().(*[]byte)
	n, err := io.CopyBuffer(io.MultiWriter(w, h), io.LimitReader(ctxReader{ctx, body}, opts.Size+1), *bufp)
	b.bufs.Put(bufp)
	switch {
	case errors.Is(err, errSlotFull):
		return nil, fmt.Errorf("posix: body longer than declared size %d: %w", opts.Size, object.ErrTooLarge)
	case err != nil:
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("posix: read body: %w", err)
	case n < opts.Size:
		return nil, fmt.Errorf("posix: body of %d bytes, declared %d: %w", n, opts.Size, object.ErrIncompleteBody)
	}
	sum := h.Sum(nil)
	if opts.MD5 != nil && !equalBytes(sum, opts.MD5) {
		return nil, fmt.Errorf("posix: body MD5 %x, expected %x: %w", sum, opts.MD5, object.ErrBadDigest)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.f.Sync(); err != nil {
		return nil, fmt.Errorf("posix: sync upload data: %w", err)
	}
	return sum, nil
}

// uploadPartInPlace stores part n in its slot of the upload's data file.
// ok is false, with the body untouched, when the part must be spooled.
func (b *Backend) uploadPartInPlace(ctx context.Context, bucket, key, uploadID, dir string, n int, body io.Reader, opts object.PutOptions) (info object.PartInfo, ok bool, err error) {
	s := b.claimSlot(dir, n, opts.Size)
	if s == nil {
		return object.PartInfo{}, false, nil
	}
	defer s.f.Close() // after the record is committed: releases the slot
	sum, err := b.writeSlot(ctx, s, body, opts)
	if err != nil {
		return object.PartInfo{}, true, err
	}
	m := partMeta{ETag: hex.EncodeToString(sum), Size: opts.Size, ModTime: b.now().UnixNano(), Slot: true}
	if err := finishChecksum(opts, &m.Checksum); err != nil {
		return object.PartInfo{}, true, err
	}
	if err := b.commitPart(bucket, key, uploadID, dir, n, m, ""); err != nil {
		return object.PartInfo{}, true, err
	}
	return m.info(n), true, nil
}

// completeInPlace commits the upload's data file as the object when it
// already holds it: the parts are 1..k, all of the layout's part size but
// the last, which is no larger; each is in its slot, or in its own file
// and then copied into its slot; and the data file ends within the last
// part's slot. ok is false, with nothing changed that a part record
// points to, when the upload must be assembled by copying instead.
func (b *Backend) completeInPlace(ctx context.Context, root *os.Root, bucket, key, dir string, rec uploadRecord, layout []object.ObjectPart, parts []object.CompletePart, metas []partMeta, total int64, opts object.PutOptions) (info object.ObjectInfo, ok bool, err error) {
	if !inPlaceParts {
		return object.ObjectInfo{}, false, nil
	}
	l, ok := readLayout(dir)
	if !ok {
		return object.ObjectInfo{}, false, nil
	}
	for i, p := range parts {
		last := i == len(parts)-1
		if p.PartNumber != i+1 || metas[i].Size > l.PartSize || !last && metas[i].Size != l.PartSize {
			return object.ObjectInfo{}, false, nil
		}
	}
	p := filepath.Join(dir, dataFileName)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return object.ObjectInfo{}, false, nil
	}
	defer f.Close()
	// The whole-file lock waits for no one: with a part still being
	// written into the data file, copy instead.
	if tryLockRange(f, 0, 0) != nil || !isUploadData(f, p) {
		return object.ObjectInfo{}, false, nil
	}
	// Bytes past the last part's slot may belong to parts the upload still
	// lists; bytes past the object inside that slot belong to no one (an
	// earlier, longer upload of the last part).
	if fi, err := f.Stat(); err != nil || fi.Size() > int64(len(parts))*l.PartSize {
		return object.ObjectInfo{}, false, nil
	}
	// Parts may have been replaced since the caller read their records.
	for i := range parts {
		if m, ok := b.readPart(dir, i+1); !ok || m != metas[i] {
			return object.ObjectInfo{}, false, nil
		}
	}
	bufp := b.bufs.Get().(*[]byte)
	defer b.bufs.Put(bufp)
	for i, m := range metas {
		if m.Slot {
			continue
		}
		// Spooled before the layout existed, or while its slot was busy
		// or held an earlier upload of the part.
		w := &slotWriter{f: f, off: int64(i) * l.PartSize, left: m.Size}
		if _, err := copyPartFile(ctx, w, dir, i+1, m, *bufp); err != nil {
			return object.ObjectInfo{}, true, partCopyError(ctx, i+1, err)
		}
	}
	// Shorter than the object means a part's bytes are missing (the file
	// was cut by hand): let the copy, which checks every MD5, report it.
	if fi, err := f.Stat(); err != nil || fi.Size() < total {
		return object.ObjectInfo{}, false, nil
	}
	if err := f.Truncate(total); err != nil {
		return object.ObjectInfo{}, true, fmt.Errorf("posix: truncate upload data: %w", err)
	}
	now := b.now()
	if err := os.Chtimes(p, now, now); err != nil {
		return object.ObjectInfo{}, true, fmt.Errorf("posix: stamp upload data: %w", err)
	}
	if err := f.Sync(); err != nil {
		return object.ObjectInfo{}, true, fmt.Errorf("posix: sync upload data: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return object.ObjectInfo{}, true, fmt.Errorf("posix: stat upload data: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return object.ObjectInfo{}, true, err
	}
	// A second name in the temp folder, renamed over the key by commit: a
	// crash before the rename leaves only that name, which Open removes.
	tmpName := randomName()
	if err := os.Link(p, filepath.Join(b.tmpPath(), tmpName)); err != nil {
		b.log.Info("posix: cannot link upload data, copying", "path", p, "err", err)
		return object.ObjectInfo{}, false, nil
	}
	m := completedMeta(rec, filepath.Base(dir), layout, metas, fi)
	if err := b.commit(root, bucket, key, tmpName, &m, opts); err != nil {
		b.removeTemp(tmpName)
		return object.ObjectInfo{}, true, err
	}
	return m.info(bucket, key), true, nil
}
