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

// partMeta is the "<n>.json" of part n. Like objectMeta, it is valid only
// while Size and ModTime match the part file.
type partMeta struct {
	ETag    string `json:"etag"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime"` // Unix nanoseconds of the part file
}

func (m *partMeta) matches(fi fs.FileInfo) bool {
	return m.Size == fi.Size() && m.ModTime == fi.ModTime().UnixNano()
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

// UploadPart stores part partNumber of the upload, replacing any earlier one.
func (b *Backend) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, opts object.PutOptions) (object.PartInfo, error) {
	if partNumber < 1 || partNumber > object.MaxPartNumber {
		return object.PartInfo{}, fmt.Errorf("posix: part %d: %w", partNumber, object.ErrInvalidPartNumber)
	}
	_, dir, err := b.checkUpload(bucket, key, uploadID)
	if err != nil {
		return object.PartInfo{}, err
	}
	sp, err := b.spool(ctx, body, object.PutOptions{Size: opts.Size, MD5: opts.MD5}, object.MaxPartSize)
	if err != nil {
		return object.PartInfo{}, err
	}
	m := partMeta{ETag: hex.EncodeToString(sp.sum), Size: sp.info.Size(), ModTime: sp.info.ModTime().UnixNano()}
	name := strconv.Itoa(partNumber)
	mu := b.lock(bucket, uploadID, name)
	mu.Lock()
	defer mu.Unlock()
	// Rename the part and then its meta file; the upload folder is never
	// recreated, so a concurrent abort wins.
	if err := os.Rename(filepath.Join(b.tmpPath(), sp.name), filepath.Join(dir, name)); err != nil {
		b.removeTemp(sp.name)
		if absent(err) {
			return object.PartInfo{}, uploadNotFound(bucket, key, uploadID)
		}
		return object.PartInfo{}, fmt.Errorf("posix: store part: %w", err)
	}
	data, _ := json.Marshal(m)
	if err := b.replaceFile(filepath.Join(dir, name+metaFileSuffix), data); err != nil {
		if absent(err) {
			return object.PartInfo{}, uploadNotFound(bucket, key, uploadID)
		}
		return object.PartInfo{}, err
	}
	return object.PartInfo{PartNumber: partNumber, ETag: m.ETag, Size: m.Size, ModTime: time.Unix(0, m.ModTime)}, nil
}

// readPart loads the meta of part n and checks it against the part file.
func (b *Backend) readPart(dir string, n int) (partMeta, bool) {
	var m partMeta
	name := strconv.Itoa(n)
	data, err := os.ReadFile(filepath.Join(dir, name+metaFileSuffix))
	if err != nil || json.Unmarshal(data, &m) != nil {
		return m, false
	}
	fi, err := os.Stat(filepath.Join(dir, name))
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
		res.Parts = append(res.Parts, object.PartInfo{PartNumber: n, ETag: m.ETag, Size: m.Size, ModTime: time.Unix(0, m.ModTime)})
		res.NextPartNumberMarker = n
	}
	return res, nil
}

// CompleteMultipartUpload checks the named parts, concatenates them into a
// temp file (verifying each part's MD5 on the way), commits it like
// PutObject and removes the upload.
func (b *Backend) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart) (object.ObjectInfo, error) {
	rec, dir, err := b.checkUpload(bucket, key, uploadID)
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
	root, err := b.openBucket(bucket)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	defer root.Close()
	tmpName, fi, sums, err := b.concatParts(ctx, dir, parts, metas)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	sum := md5.Sum(sums)
	m := objectMeta{
		ETag:     hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(parts)),
		Size:     fi.Size(),
		ModTime:  fi.ModTime().UnixNano(),
		Metadata: rec.Metadata,
	}
	if err := b.commit(root, bucket, key, tmpName, m); err != nil {
		b.removeTemp(tmpName)
		return object.ObjectInfo{}, err
	}
	if err := b.removeTree(dir); err != nil {
		b.log.Warn("posix: cannot remove completed upload", "bucket", bucket, "upload", uploadID, "err", err)
	}
	return m.info(bucket, key), nil
}

// concatParts writes the parts one after the other into a new temp file and
// returns its name, its final info and the concatenated binary part MD5s.
func (b *Backend) concatParts(ctx context.Context, dir string, parts []object.CompletePart, metas []partMeta) (string, fs.FileInfo, []byte, error) {
	f, name, err := b.newTemp()
	if err != nil {
		return "", nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			b.removeTemp(name)
		}
	}()
	bufp := b.bufs.Get().(*[]byte)
	defer b.bufs.Put(bufp)
	sums := make([]byte, 0, md5.Size*len(parts))
	for i, p := range parts {
		sum, err := copyPart(ctx, f, filepath.Join(dir, strconv.Itoa(p.PartNumber)), metas[i], *bufp)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return "", nil, nil, cerr
			}
			if errors.Is(err, object.ErrInvalidPart) {
				return "", nil, nil, fmt.Errorf("posix: part %d: %w", p.PartNumber, err)
			}
			return "", nil, nil, fmt.Errorf("posix: copy part %d: %w", p.PartNumber, err)
		}
		sums = append(sums, sum...)
	}
	now := b.now()
	if err := os.Chtimes(f.Name(), now, now); err != nil {
		return "", nil, nil, fmt.Errorf("posix: stamp temp file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", nil, nil, fmt.Errorf("posix: sync temp file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return "", nil, nil, fmt.Errorf("posix: stat temp file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", nil, nil, fmt.Errorf("posix: close temp file: %w", err)
	}
	ok = true
	return name, fi, sums, nil
}

// copyPart appends the part file at p to w and returns its MD5, failing
// with ErrInvalidPart when the file no longer matches its meta.
func copyPart(ctx context.Context, w io.Writer, p string, m partMeta, buf []byte) ([]byte, error) {
	pf, err := os.Open(p)
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
	h := md5.New()
	n, err := io.CopyBuffer(io.MultiWriter(w, h), ctxReader{ctx, pf}, buf)
	if err != nil {
		return nil, err
	}
	sum := h.Sum(nil)
	if n != m.Size || hex.EncodeToString(sum) != m.ETag {
		return nil, fmt.Errorf("part file changed: %w", object.ErrInvalidPart)
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
