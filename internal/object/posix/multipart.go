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
	"strconv"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

const (
	uploadRecordName = "upload.json"
	// uploadIDLen is the length of an upload ID: 16 hex digits of the
	// initiation time, so IDs sort by age, then 26 random base32 characters.
	uploadIDLen = 16 + 26
	// defaultMaxParts is the page size when MaxParts or MaxUploads is 0.
	defaultMaxParts = 1000
)

// uploadRecord is the upload.json of a multipart upload.
type uploadRecord struct {
	Key       string          `json:"key"`
	Initiated int64           `json:"initiated"` // Unix nanoseconds
	Metadata  object.Metadata `json:"metadata"`
}

// partMeta is the "<n>.json" of part n. A part spooled to its own file
// "<n>" is, like objectMeta, valid only while Size and ModTime match that
// file. A part written in place (Slot) lives at (n-1)*S in the upload's
// data file (see multipart_inplace.go); its ModTime is when it was stored.
type partMeta struct {
	ETag    string `json:"etag"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"` // Unix nanoseconds
	Slot    bool   `json:"slot,omitempty"`
	// Checksum is the part's additional checksum, if it was given one.
	Checksum object.Checksum `json:"checksum,omitzero"`
}

func (m *partMeta) matches(fi fs.FileInfo) bool {
	return m.Size == fi.Size() && m.ModTime == fi.ModTime().UnixNano()
}

func (m *partMeta) info(n int) object.PartInfo {
	return object.PartInfo{PartNumber: n, ETag: m.ETag, Size: m.Size, ModTime: time.Unix(0, m.ModTime), Checksum: m.Checksum}
}

// multipartETag is S3's ETag of an object assembled from parts: the hex
// MD5 of the binary part MD5s, "-", the number of parts.
func multipartETag(metas []partMeta) string {
	sums := make([]byte, 0, md5.Size*len(metas))
	for _, m := range metas {
		sum, _ := hex.DecodeString(m.ETag)
		sums = append(sums, sum...)
	}
	sum := md5.Sum(sums)
	return hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(metas))
}

func (b *Backend) newUploadID() string {
	return fmt.Sprintf("%016x", uint64(b.now().UnixNano())) + rand.Text()
}

func (b *Backend) uploadPath(bucket, id string) string {
	return filepath.Join(b.uploadsPath(bucket), id)
}

func uploadNotFound(bucket, key, id string) error {
	return fmt.Errorf("posix: upload %q of %s/%s: %w", id, bucket, key, object.ErrUploadNotFound)
}

// checkUpload validates the names and loads the upload, which must belong to key.
func (b *Backend) checkUpload(bucket, key, id string) (uploadRecord, string, error) {
	if _, err := b.statBucket(bucket); err != nil {
		return uploadRecord{}, "", err
	}
	if err := checkKey(key); err != nil {
		return uploadRecord{}, "", err
	}
	if !validUploadID(id) {
		return uploadRecord{}, "", uploadNotFound(bucket, key, id)
	}
	dir := b.uploadPath(bucket, id)
	rec, err := readUpload(dir)
	if err != nil {
		if absent(err) {
			return uploadRecord{}, "", uploadNotFound(bucket, key, id)
		}
		return uploadRecord{}, "", err
	}
	if rec.Key != key {
		return uploadRecord{}, "", uploadNotFound(bucket, key, id)
	}
	return rec, dir, nil
}

func readUpload(dir string) (uploadRecord, error) {
	var rec uploadRecord
	data, err := os.ReadFile(filepath.Join(dir, uploadRecordName))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("posix: %s: %w", dir, err)
	}
	return rec, nil
}

func (rec *uploadRecord) upload(bucket, id string) object.Upload {
	return object.Upload{
		Bucket:    bucket,
		Key:       rec.Key,
		UploadID:  id,
		Initiated: time.Unix(0, rec.Initiated),
		Metadata:  rec.Metadata,
	}
}

// CreateMultipartUpload records a new upload. Its folder is assembled in the
// temp folder and renamed into place, so it appears whole or not at all.
func (b *Backend) CreateMultipartUpload(ctx context.Context, bucket, key string, opts object.PutOptions) (string, error) {
	if _, err := b.statBucket(bucket); err != nil {
		return "", err
	}
	if err := checkKey(key); err != nil {
		return "", err
	}
	if isMarkerKey(key) {
		return "", fmt.Errorf("posix: multipart upload to folder key %q: %w", key, object.ErrInvalidKey)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	id := b.newUploadID()
	rec, err := json.Marshal(uploadRecord{Key: key, Initiated: b.now().UnixNano(), Metadata: opts.Metadata})
	if err != nil {
		return "", fmt.Errorf("posix: encode upload: %w", err)
	}
	tmp := filepath.Join(b.tmpPath(), randomName())
	if err := os.Mkdir(tmp, dirMode); err != nil {
		return "", fmt.Errorf("posix: create upload: %w", err)
	}
	if err := b.replaceFile(filepath.Join(tmp, uploadRecordName), rec); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	parent := b.uploadsPath(bucket)
	if err = mkdirAllSyncPath(parent); err == nil {
		err = os.Rename(tmp, filepath.Join(parent, id))
	}
	if err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("posix: create upload: %w", err)
	}
	if err := syncDir(parent); err != nil {
		return "", err
	}
	return id, nil
}

// UploadPart stores part partNumber of the upload, replacing any earlier
// one: in place in the upload's data file when it fits (see
// multipart_inplace.go), else spooled to its own file.
func (b *Backend) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, opts object.PutOptions) (object.PartInfo, error) {
	if partNumber < 1 || partNumber > object.MaxPartNumber {
		return object.PartInfo{}, fmt.Errorf("posix: part %d: %w", partNumber, object.ErrInvalidPartNumber)
	}
	_, dir, err := b.checkUpload(bucket, key, uploadID)
	if err != nil {
		return object.PartInfo{}, err
	}
	if opts.Size > object.MaxPartSize {
		return object.PartInfo{}, fmt.Errorf("posix: declared size %d exceeds %d: %w", opts.Size, int64(object.MaxPartSize), object.ErrTooLarge)
	}
	opts = object.PutOptions{Size: opts.Size, MD5: opts.MD5, Checksum: opts.Checksum}
	if info, ok, err := b.uploadPartInPlace(ctx, bucket, key, uploadID, dir, partNumber, body, opts); ok {
		return info, err
	}
	sp, err := b.spool(ctx, body, opts, object.MaxPartSize)
	if err != nil {
		return object.PartInfo{}, err
	}
	m := partMeta{ETag: hex.EncodeToString(sp.sum), Size: sp.info.Size(), ModTime: sp.info.ModTime().UnixNano()}
	if err := finishChecksum(opts, &m.Checksum); err != nil {
		b.removeTemp(sp.name)
		return object.PartInfo{}, err
	}
	if err := b.commitPart(bucket, key, uploadID, dir, partNumber, m, sp.name); err != nil {
		return object.PartInfo{}, err
	}
	return m.info(partNumber), nil
}

// commitPart records part n: it renames the spooled temp file tmpName (if
// any) to "<n>" and then writes "<n>.json", under the part's lock so two
// uploads of one part never interleave their steps; the last one to commit
// wins. A part stored in place then removes the file of an earlier upload.
// The upload folder is never recreated, so a part racing an abort fails
// with ErrUploadNotFound. A temp file is removed on error.
func (b *Backend) commitPart(bucket, key, uploadID, dir string, n int, m partMeta, tmpName string) error {
	name := strconv.Itoa(n)
	mu := b.lock(bucket, uploadID, name)
	mu.Lock()
	defer mu.Unlock()
	if tmpName != "" {
		if err := os.Rename(filepath.Join(b.tmpPath(), tmpName), filepath.Join(dir, name)); err != nil {
			b.removeTemp(tmpName)
			if absent(err) {
				return uploadNotFound(bucket, key, uploadID)
			}
			return fmt.Errorf("posix: store part: %w", err)
		}
	}
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("posix: encode part: %w", err)
	}
	if err := b.replaceFile(filepath.Join(dir, name+metaFileSuffix), data); err != nil {
		if absent(err) {
			return uploadNotFound(bucket, key, uploadID)
		}
		return err
	}
	if m.Slot {
		os.Remove(filepath.Join(dir, name))
	}
	return nil
}

// readPartRecord loads the record of part n as stored.
func readPartRecord(dir string, n int) (partMeta, error) {
	var m partMeta
	data, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(n)+metaFileSuffix))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("posix: part %d record: %w", n, err)
	}
	return m, nil
}

// readPart loads the record of part n and, for a part in its own file,
// checks it against that file.
func (b *Backend) readPart(dir string, n int) (partMeta, bool) {
	m, err := readPartRecord(dir, n)
	if err != nil || m.ETag == "" {
		return m, false
	}
	if m.Slot {
		return m, true
	}
	fi, err := os.Stat(filepath.Join(dir, strconv.Itoa(n)))
	if err != nil || !m.matches(fi) {
		return m, false
	}
	return m, true
}

// ListParts lists the upload's parts in ascending part number order.
func (b *Backend) ListParts(ctx context.Context, bucket, key, uploadID string, opts object.ListPartsOptions) (object.ListPartsResult, error) {
	rec, dir, err := b.checkUpload(bucket, key, uploadID)
	if err != nil {
		return object.ListPartsResult{}, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if absent(err) {
			return object.ListPartsResult{}, uploadNotFound(bucket, key, uploadID)
		}
		return object.ListPartsResult{}, fmt.Errorf("posix: list parts: %w", err)
	}
	var numbers []int
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), metaFileSuffix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(name)
		if err != nil || n < 1 || n > object.MaxPartNumber || strconv.Itoa(n) != name || n <= opts.PartNumberMarker {
			continue
		}
		numbers = append(numbers, n)
	}
	slices.Sort(numbers)
	max := opts.MaxParts
	if max <= 0 {
		max = defaultMaxParts
	}
	res := object.ListPartsResult{Upload: rec.upload(bucket, uploadID), Parts: []object.PartInfo{}}
	for _, n := range numbers {
		m, ok := b.readPart(dir, n)
		if !ok {
			continue
		}
		if len(res.Parts) == max {
			res.IsTruncated = true
			break
		}
		res.Parts = append(res.Parts, m.info(n))
		res.NextPartNumberMarker = n
	}
	return res, nil
}

// CompleteMultipartUpload checks the named parts and commits the object
// like PutObject: the upload's data file itself when it already holds the
// object (see completeInPlace), else a temp file the parts are copied into
// (verifying each part's MD5 on the way). Then it removes the upload.
func (b *Backend) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart) (object.ObjectInfo, error) {
	return b.CompleteMultipartUploadWith(ctx, bucket, key, uploadID, parts, object.PutOptions{})
}

// CompleteMultipartUploadWith is CompleteMultipartUpload honouring the
// conditions and versioning of opts (object.ConditionalWriter).
func (b *Backend) CompleteMultipartUploadWith(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart, opts object.PutOptions) (object.ObjectInfo, error) {
	opts = object.PutOptions{IfMatch: opts.IfMatch, IfNoneMatch: opts.IfNoneMatch, Versioning: opts.Versioning}
	rec, dir, err := b.checkUpload(bucket, key, uploadID)
	if errors.Is(err, object.ErrUploadNotFound) {
		if info, ok := b.completedBefore(ctx, bucket, key, uploadID, parts); ok {
			return info, nil
		}
	}
	if err != nil {
		return object.ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return object.ObjectInfo{}, fmt.Errorf("posix: no parts: %w", object.ErrInvalidPart)
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].PartNumber <= parts[i-1].PartNumber {
			return object.ObjectInfo{}, fmt.Errorf("posix: part %d after %d: %w", parts[i].PartNumber, parts[i-1].PartNumber, object.ErrInvalidPartOrder)
		}
	}
	metas := make([]partMeta, len(parts))
	var total int64
	for i, p := range parts {
		m, ok := partMeta{}, false
		if p.PartNumber >= 1 && p.PartNumber <= object.MaxPartNumber {
			m, ok = b.readPart(dir, p.PartNumber)
		}
		if !ok {
			return object.ObjectInfo{}, fmt.Errorf("posix: part %d not uploaded: %w", p.PartNumber, object.ErrInvalidPart)
		}
		if normalizeETag(p.ETag) != m.ETag {
			return object.ObjectInfo{}, fmt.Errorf("posix: part %d has ETag %s, not %s: %w", p.PartNumber, m.ETag, p.ETag, object.ErrInvalidPart)
		}
		metas[i] = m
		total += m.Size
	}
	for i, m := range metas[:len(metas)-1] {
		if m.Size < object.MinPartSize {
			return object.ObjectInfo{}, fmt.Errorf("posix: part %d of %d bytes: %w", parts[i].PartNumber, m.Size, object.ErrEntityTooSmall)
		}
	}
	if total > object.MaxObjectSize {
		return object.ObjectInfo{}, fmt.Errorf("posix: %d bytes: %w", total, object.ErrTooLarge)
	}
	rec, layout, err := completedParts(rec, parts, metas)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	root, err := b.openBucket(bucket)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	defer root.Close()
	info, ok, err := b.completeInPlace(ctx, root, bucket, key, dir, rec, layout, parts, metas, total, opts)
	if !ok {
		info, err = b.completeByCopy(ctx, root, bucket, key, dir, rec, layout, parts, metas, opts)
	}
	if err != nil {
		return object.ObjectInfo{}, err
	}
	if err := b.removeTree(dir); err != nil {
		b.log.Warn("posix: cannot remove completed upload", "bucket", bucket, "upload", uploadID, "err", err)
	}
	return info, nil
}

// completedParts returns the part layout of the object the parts make
// and rec with, when the upload has a checksum algorithm, the object's
// multipart checksum in place of the algorithm asked for.
func completedParts(rec uploadRecord, parts []object.CompletePart, metas []partMeta) (uploadRecord, []object.ObjectPart, error) {
	layout := make([]object.ObjectPart, len(parts))
	alg := rec.Metadata.Checksum.Algorithm
	for i, p := range parts {
		layout[i] = object.ObjectPart{PartNumber: p.PartNumber, Size: metas[i].Size}
		if alg != "" && metas[i].Checksum.Algorithm == alg {
			layout[i].Checksum = metas[i].Checksum.Value
		}
	}
	if alg != "" {
		c, err := object.MultipartChecksum(alg, rec.Metadata.Checksum.Type, layout)
		if err != nil {
			return rec, nil, fmt.Errorf("posix: %w: %w", err, object.ErrInvalidPart)
		}
		rec.Metadata.Checksum = c
	}
	return rec, layout, nil
}

// completedMeta is the meta of the object the parts make, committed as
// the file fi.
func completedMeta(rec uploadRecord, uploadID string, layout []object.ObjectPart, metas []partMeta, fi fs.FileInfo) objectMeta {
	return objectMeta{
		UploadID: uploadID,
		ETag:     multipartETag(metas),
		Size:     fi.Size(),
		ModTime:  fi.ModTime().UnixNano(),
		Metadata: rec.Metadata,
		Parts:    layout,
	}
}

// completeByCopy concatenates the parts into a new temp file and commits it.
func (b *Backend) completeByCopy(ctx context.Context, root *os.Root, bucket, key, dir string, rec uploadRecord, layout []object.ObjectPart, parts []object.CompletePart, metas []partMeta, opts object.PutOptions) (object.ObjectInfo, error) {
	tmpName, fi, err := b.concatParts(ctx, dir, parts, metas)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	m := completedMeta(rec, filepath.Base(dir), layout, metas, fi)
	if err := b.commit(root, bucket, key, tmpName, &m, opts); err != nil {
		b.removeTemp(tmpName)
		return object.ObjectInfo{}, err
	}
	return m.info(bucket, key), nil
}

// concatParts writes the parts one after the other into a new temp file,
// checking each against its MD5, and returns its name and final info.
func (b *Backend) concatParts(ctx context.Context, dir string, parts []object.CompletePart, metas []partMeta) (string, fs.FileInfo, error) {
	f, name, err := b.newTemp()
	if err != nil {
		return "", nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			b.removeTemp(name)
		}
	}()
	var data *os.File // the upload's data file, opened for the first part in place
	defer func() {
		if data != nil {
			data.Close()
		}
	}()
	var lay layoutRecord
	bufp := b.bufs.Get().(*[]byte)
	defer b.bufs.Put(bufp)
	for i, p := range parts {
		m := metas[i]
		if !m.Slot {
			if _, err := copyPartFile(ctx, f, dir, p.PartNumber, m, *bufp); err != nil {
				return "", nil, partCopyError(ctx, p.PartNumber, err)
			}
			continue
		}
		if data == nil {
			var ok bool
			if lay, ok = readLayout(dir); !ok {
				return "", nil, fmt.Errorf("posix: part %d: upload layout gone: %w", p.PartNumber, object.ErrInvalidPart)
			}
			if data, err = os.Open(filepath.Join(dir, dataFileName)); err != nil {
				if absent(err) {
					err = fmt.Errorf("upload data gone: %w", object.ErrInvalidPart)
				}
				return "", nil, partCopyError(ctx, p.PartNumber, err)
			}
		}
		src := io.NewSectionReader(data, int64(p.PartNumber-1)*lay.PartSize, m.Size)
		if _, err := copyPart(ctx, f, src, m, *bufp); err != nil {
			return "", nil, partCopyError(ctx, p.PartNumber, err)
		}
	}
	now := b.now()
	if err := os.Chtimes(f.Name(), now, now); err != nil {
		return "", nil, fmt.Errorf("posix: stamp temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", nil, fmt.Errorf("posix: sync temp file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return "", nil, fmt.Errorf("posix: stat temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", nil, fmt.Errorf("posix: close temp file: %w", err)
	}
	ok = true
	return name, fi, nil
}

// partCopyError wraps the failure to copy part n.
func partCopyError(ctx context.Context, n int, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, object.ErrInvalidPart) {
		return fmt.Errorf("posix: part %d: %w", n, err)
	}
	return fmt.Errorf("posix: copy part %d: %w", n, err)
}

// copyPartFile copies the file of spooled part n to w and returns its MD5,
// failing with ErrInvalidPart when the file no longer matches its record.
func copyPartFile(ctx context.Context, w io.Writer, dir string, n int, m partMeta, buf []byte) ([]byte, error) {
	pf, err := os.Open(filepath.Join(dir, strconv.Itoa(n)))
	if err != nil {
		if absent(err) {
			return nil, fmt.Errorf("part file gone: %w", object.ErrInvalidPart)
		}
		return nil, err
	}
	defer pf.Close()
	fi, err := pf.Stat()
	if err != nil {
		return nil, err
	}
	if !m.matches(fi) {
		return nil, fmt.Errorf("part file replaced: %w", object.ErrInvalidPart)
	}
	return copyPart(ctx, w, pf, m, buf)
}

// copyPart copies the part's bytes from r to w and returns their MD5,
// failing with ErrInvalidPart when they do not match the part's record.
func copyPart(ctx context.Context, w io.Writer, r io.Reader, m partMeta, buf []byte) ([]byte, error) {
	h := md5.New()
	n, err := io.CopyBuffer(io.MultiWriter(w, h), ctxReader{ctx, r}, buf)
	if err != nil {
		return nil, err
	}
	sum := h.Sum(nil)
	if n != m.Size || hex.EncodeToString(sum) != m.ETag {
		return nil, fmt.Errorf("part data changed: %w", object.ErrInvalidPart)
	}
	return sum, nil
}

// AbortMultipartUpload removes the upload and its parts.
func (b *Backend) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	_, dir, err := b.checkUpload(bucket, key, uploadID)
	if err != nil {
		return err
	}
	return b.removeTree(dir)
}

// ListMultipartUploads lists the bucket's uploads sorted by key and then by
// upload ID, which is initiation order.
func (b *Backend) ListMultipartUploads(ctx context.Context, bucket string, opts object.ListUploadsOptions) (object.ListUploadsResult, error) {
	if _, err := b.statBucket(bucket); err != nil {
		return object.ListUploadsResult{}, err
	}
	entries, err := os.ReadDir(b.uploadsPath(bucket))
	if err != nil && !absent(err) {
		return object.ListUploadsResult{}, fmt.Errorf("posix: list uploads: %w", err)
	}
	var all []object.Upload
	for _, e := range entries {
		if !e.IsDir() || !validUploadID(e.Name()) {
			continue
		}
		rec, err := readUpload(filepath.Join(b.uploadsPath(bucket), e.Name()))
		if err != nil || !strings.HasPrefix(rec.Key, opts.Prefix) {
			continue
		}
		all = append(all, rec.upload(bucket, e.Name()))
	}
	slices.SortFunc(all, func(x, y object.Upload) int {
		if c := strings.Compare(x.Key, y.Key); c != 0 {
			return c
		}
		return strings.Compare(x.UploadID, y.UploadID)
	})
	max := opts.MaxUploads
	if max <= 0 {
		max = defaultMaxParts
	}
	res := object.ListUploadsResult{Uploads: []object.Upload{}}
	full := func() bool {
		if len(res.Uploads)+len(res.CommonPrefixes) < max {
			return false
		}
		res.IsTruncated = true
		return true
	}
	lastCP := ""
	for _, u := range all {
		switch {
		case u.Key < opts.KeyMarker:
			continue
		case u.Key == opts.KeyMarker && (opts.UploadIDMarker == "" || u.UploadID <= opts.UploadIDMarker):
			continue
		}
		if opts.Delimiter != "" {
			rest := u.Key[len(opts.Prefix):]
			if i := strings.Index(rest, opts.Delimiter); i >= 0 {
				cp := opts.Prefix + rest[:i+len(opts.Delimiter)]
				if cp == lastCP || cp <= opts.KeyMarker {
					continue
				}
				if full() {
					break
				}
				lastCP = cp
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
				continue
			}
		}
		if full() {
			break
		}
		res.Uploads = append(res.Uploads, u)
		res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.UploadID
	}
	return res, nil
}
