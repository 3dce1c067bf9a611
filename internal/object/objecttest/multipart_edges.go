package objecttest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

// multipartEdgeTests check multipart uploads as clients really send them:
// fixed-size parts of at least MinPartSize, in any order, concurrently,
// retried, and completions that list only some of them. A backend that
// assembles in place must get every one of these right byte for byte.
func multipartEdgeTests() []subtest {
	return []subtest{
		{"Multipart/OutOfOrder", testMultipartOutOfOrder},
		{"Multipart/PartRetried", testMultipartPartRetried},
		{"Multipart/FailedRetryKeepsPart", testMultipartFailedRetryKeepsPart},
		{"Multipart/LongBodyKeepsNeighbour", testMultipartLongBodyKeepsNeighbour},
		{"Multipart/UnevenParts", testMultipartUnevenParts},
		{"Multipart/UnknownSizeParts", testMultipartUnknownSizeParts},
		{"Multipart/OmittedParts", testMultipartOmittedParts},
		{"Multipart/InvalidPartOrder", testMultipartInvalidPartOrder},
		{"Multipart/AbortAfterParts", testMultipartAbortAfterParts},
		{"Multipart/ConcurrentParts", testMultipartConcurrentParts},
		{"Multipart/LaterUploadsLeaveObject", testMultipartLaterUploadsLeaveObject},
		{"Multipart/CompleteTwice", testMultipartCompleteTwice},
		{"Multipart/FailedCompleteKeepsUpload", testMultipartFailedCompleteKeepsUpload},
	}
}

// partSize is the part size of the edge tests: S3's minimum.
const partSize = object.MinPartSize

// partBody returns size bytes unique to a part number and a version.
func partBody(size, part, version int) []byte {
	return pattern(size, byte(part*8+version))
}

// mpUpload is a multipart upload under test with the data of its parts.
type mpUpload struct {
	t    *testing.T
	b    object.Backend
	key  string
	id   string
	data map[int][]byte // last successful upload of each part
	info map[int]object.PartInfo
}

func newUpload(t *testing.T, b object.Backend, key string) *mpUpload {
	t.Helper()
	return &mpUpload{t: t, b: b, key: key, id: createUpload(t, b, key, object.PutOptions{}), data: map[int][]byte{}, info: map[int]object.PartInfo{}}
}

// put uploads part n and records it.
func (u *mpUpload) put(n int, data []byte) {
	u.t.Helper()
	u.info[n] = uploadPart(u.t, u.b, u.key, u.id, n, data)
	u.data[n] = data
}

// complete completes the upload with the given parts (their last ETags)
// and checks the result byte for byte.
func (u *mpUpload) complete(parts ...int) {
	u.t.Helper()
	var list []object.CompletePart
	var want [][]byte
	for _, n := range parts {
		list = append(list, object.CompletePart{PartNumber: n, ETag: u.info[n].ETag})
		want = append(want, u.data[n])
	}
	info, err := u.b.CompleteMultipartUpload(u.t.Context(), testBucket, u.key, u.id, list)
	if err != nil {
		u.t.Fatalf("CompleteMultipartUpload(%v): %v", parts, err)
	}
	etag := multipartETag(want...)
	if info.ETag != etag || info.Size != int64(len(bytes.Join(want, nil))) {
		u.t.Fatalf("CompleteMultipartUpload(%v) = ETag %s size %d, want %s and %d", parts, info.ETag, info.Size, etag, len(bytes.Join(want, nil)))
	}
	wantObject(u.t, u.b, u.key, bytes.Join(want, nil), etag)
}

// completeErr completes the upload with an explicit list and returns the error.
func (u *mpUpload) completeErr(list ...object.CompletePart) error {
	_, err := u.b.CompleteMultipartUpload(u.t.Context(), testBucket, u.key, u.id, list)
	return err
}

func (u *mpUpload) part(n int) object.CompletePart {
	return object.CompletePart{PartNumber: n, ETag: u.info[n].ETag}
}

// wantObject checks key's bytes, size and ETag, through GetObject and HeadObject.
func wantObject(t *testing.T, b object.Backend, key string, want []byte, etag string) {
	t.Helper()
	got, r := get(t, b, key, nil)
	if !bytes.Equal([]byte(got), want) {
		at := 0
		for at < min(len(got), len(want)) && got[at] == want[at] {
			at++
		}
		t.Fatalf("GetObject(%q): %d bytes, want %d; first difference at byte %d", key, len(got), len(want), at)
	}
	if r.Info.ETag != etag || r.Info.Size != int64(len(want)) {
		t.Fatalf("GetObject(%q) info = ETag %s size %d, want %s and %d", key, r.Info.ETag, r.Info.Size, etag, len(want))
	}
	info, err := b.HeadObject(t.Context(), testBucket, key)
	if err != nil || info.ETag != etag || info.Size != int64(len(want)) {
		t.Fatalf("HeadObject(%q) = %+v, %v; want ETag %s size %d", key, info, err, etag, len(want))
	}
}

// wantParts checks that ListParts lists exactly the parts recorded in u.
func (u *mpUpload) wantParts() {
	u.t.Helper()
	res, err := u.b.ListParts(u.t.Context(), testBucket, u.key, u.id, object.ListPartsOptions{})
	if err != nil {
		u.t.Fatalf("ListParts: %v", err)
	}
	if len(res.Parts) != len(u.info) {
		u.t.Fatalf("ListParts = %d parts, want %d", len(res.Parts), len(u.info))
	}
	for _, p := range res.Parts {
		want, ok := u.info[p.PartNumber]
		if !ok || p.ETag != want.ETag || p.Size != want.Size {
			u.t.Fatalf("ListParts: part %d = ETag %s size %d, want ETag %s size %d", p.PartNumber, p.ETag, p.Size, want.ETag, want.Size)
		}
	}
}

func testMultipartOutOfOrder(t *testing.T, b object.Backend) {
	newBucket(t, b)
	// The short last part first, then the others backwards.
	u := newUpload(t, b, "backwards")
	u.put(4, partBody(1000, 4, 0))
	u.put(3, partBody(partSize, 3, 0))
	u.put(2, partBody(partSize, 2, 0))
	u.put(1, partBody(partSize, 1, 0))
	u.wantParts()
	u.complete(1, 2, 3, 4)

	// A middle part first, the first part last.
	u = newUpload(t, b, "middle-first")
	u.put(2, partBody(partSize, 2, 1))
	u.put(3, partBody(partSize/2, 3, 1))
	u.put(1, partBody(partSize, 1, 1))
	u.complete(1, 2, 3)

	// One part of exactly the part size, alone.
	u = newUpload(t, b, "single")
	u.put(1, partBody(partSize, 1, 2))
	u.complete(1)
}

func testMultipartPartRetried(t *testing.T, b object.Backend) {
	newBucket(t, b)
	u := newUpload(t, b, "k")
	u.put(1, partBody(partSize, 1, 0))
	u.put(2, partBody(partSize, 2, 0))
	u.put(3, partBody(100, 3, 0))
	old := u.part(1)
	// Retries replace data and ETag, also with another size for the last part.
	u.put(1, partBody(partSize, 1, 1))
	u.put(3, partBody(partSize/3, 3, 1))
	u.put(1, partBody(partSize, 1, 2))
	u.wantParts()
	wantErr(t, u.completeErr(old, u.part(2), u.part(3)), object.ErrInvalidPart, "completion with a replaced part's ETag")
	u.complete(1, 2, 3)
}

func testMultipartFailedRetryKeepsPart(t *testing.T, b object.Backend) {
	newBucket(t, b)
	u := newUpload(t, b, "k")
	u.put(1, partBody(partSize, 1, 0))
	u.put(2, partBody(partSize, 2, 0))
	u.put(3, partBody(10, 3, 0))
	retry := partBody(partSize, 1, 1)
	up := func(ctx context.Context, data []byte, opts object.PutOptions) error {
		_, err := b.UploadPart(ctx, testBucket, "k", u.id, 1, bytes.NewReader(data), opts)
		return err
	}
	wantErr(t, up(t.Context(), retry, object.PutOptions{Size: partSize, MD5: md5bin([]byte("other"))}), object.ErrBadDigest, "retry with a wrong MD5")
	wantErr(t, up(t.Context(), retry[:partSize-1], object.PutOptions{Size: partSize}), object.ErrIncompleteBody, "retry with a short body")
	wantErr(t, up(t.Context(), append(retry, 'x'), object.PutOptions{Size: partSize}), object.ErrTooLarge, "retry with a long body")
	ctx, cancel := context.WithCancel(t.Context())
	r := &chunkReader{data: retry, chunk: 4096, hook: cancel}
	if _, err := b.UploadPart(ctx, testBucket, "k", u.id, 1, r, object.PutOptions{Size: partSize}); err == nil {
		t.Fatalf("retry with a canceled context succeeded")
	}
	u.wantParts()
	u.complete(1, 2, 3)
}

func testMultipartLongBodyKeepsNeighbour(t *testing.T, b object.Backend) {
	newBucket(t, b)
	u := newUpload(t, b, "k")
	u.put(2, partBody(partSize, 2, 0))
	u.put(3, partBody(partSize, 3, 0))
	// A first upload of part 1 whose body runs past its declared size, and
	// one that stops short: neither may touch part 2.
	long := partBody(partSize+partSize/2, 1, 1)
	_, err := b.UploadPart(t.Context(), testBucket, "k", u.id, 1, bytes.NewReader(long), object.PutOptions{Size: partSize})
	wantErr(t, err, object.ErrTooLarge, "part 1 longer than declared")
	_, err = b.UploadPart(t.Context(), testBucket, "k", u.id, 2, bytes.NewReader(long[:100]), object.PutOptions{Size: partSize})
	wantErr(t, err, object.ErrIncompleteBody, "part 2 shorter than declared")
	u.wantParts()
	wantErr(t, u.completeErr(object.CompletePart{PartNumber: 1, ETag: md5hex(long[:partSize])}, u.part(2)), object.ErrInvalidPart, "completion with the failed part")
	u.put(1, partBody(partSize, 1, 2))
	u.complete(1, 2, 3)
}

func testMultipartUnevenParts(t *testing.T, b object.Backend) {
	newBucket(t, b)
	// A shorter part in the middle.
	u := newUpload(t, b, "short-middle")
	u.put(1, partBody(partSize+4096, 1, 0))
	u.put(2, partBody(partSize, 2, 0))
	u.put(3, partBody(partSize+4096, 3, 0))
	u.put(4, partBody(77, 4, 0))
	u.complete(1, 2, 3, 4)

	// Parts growing: the last one is the largest.
	u = newUpload(t, b, "growing")
	u.put(1, partBody(partSize, 1, 1))
	u.put(2, partBody(partSize+1, 2, 1))
	u.put(3, partBody(partSize+partSize/2, 3, 1))
	u.complete(1, 2, 3)

	// The last part arrives first and is at least MinPartSize too.
	u = newUpload(t, b, "big-last-first")
	u.put(3, partBody(partSize, 3, 2))
	u.put(1, partBody(partSize+8192, 1, 2))
	u.put(2, partBody(partSize+8192, 2, 2))
	u.complete(1, 2, 3)
}

func testMultipartUnknownSizeParts(t *testing.T, b object.Backend) {
	newBucket(t, b)
	u := newUpload(t, b, "k")
	u.put(1, partBody(partSize, 1, 0))
	p2 := partBody(partSize, 2, 0)
	info, err := b.UploadPart(t.Context(), testBucket, "k", u.id, 2, bytes.NewReader(p2), object.PutOptions{Size: -1})
	if err != nil || info.ETag != md5hex(p2) || info.Size != partSize {
		t.Fatalf("UploadPart of unknown size = %+v, %v", info, err)
	}
	u.info[2], u.data[2] = info, p2
	u.put(3, partBody(5, 3, 0))
	u.complete(1, 2, 3)
}

func testMultipartOmittedParts(t *testing.T, b object.Backend) {
	newBucket(t, b)
	// A gap in the middle.
	u := newUpload(t, b, "gap")
	for n := 1; n <= 4; n++ {
		u.put(n, partBody(partSize, n, 0))
	}
	u.complete(1, 2, 4)

	// The trailing parts left out: the object ends with a full-size part.
	u = newUpload(t, b, "head")
	for n := 1; n <= 3; n++ {
		u.put(n, partBody(partSize, n, 1))
	}
	u.put(4, partBody(10, 4, 1))
	u.complete(1, 2)

	// The first part left out.
	u = newUpload(t, b, "tail")
	for n := 1; n <= 3; n++ {
		u.put(n, partBody(partSize, n, 2))
	}
	u.complete(2, 3)

	// Part numbers with holes that were never uploaded.
	u = newUpload(t, b, "sparse")
	u.put(2, partBody(partSize, 2, 3))
	u.put(5, partBody(partSize, 5, 3))
	u.put(9, partBody(1, 9, 3))
	u.complete(2, 5, 9)
}

func testMultipartInvalidPartOrder(t *testing.T, b object.Backend) {
	newBucket(t, b)
	u := newUpload(t, b, "k")
	for n := 1; n <= 3; n++ {
		u.put(n, partBody(partSize, n, 0))
	}
	for _, list := range [][]object.CompletePart{
		{u.part(1), u.part(1), u.part(2), u.part(3)},
		{u.part(1), u.part(2), u.part(3), u.part(3)},
		{u.part(2), u.part(1), u.part(3)},
		{u.part(1), u.part(3), u.part(2)},
		{u.part(3), u.part(2), u.part(1)},
	} {
		var ns []int
		for _, p := range list {
			ns = append(ns, p.PartNumber)
		}
		wantErr(t, u.completeErr(list...), object.ErrInvalidPartOrder, "completion with parts %v", ns)
	}
	wantMissing(t, b, "k")
	u.wantParts()
	u.complete(1, 2, 3)
}

func testMultipartAbortAfterParts(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	put(t, b, "k", "the old object")
	u := newUpload(t, b, "k")
	u.put(2, partBody(partSize, 2, 0))
	u.put(1, partBody(partSize, 1, 0))
	u.put(3, partBody(1234, 3, 0))
	if err := b.AbortMultipartUpload(ctx, testBucket, "k", u.id); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err := b.ListParts(ctx, testBucket, "k", u.id, object.ListPartsOptions{})
	wantErr(t, err, object.ErrUploadNotFound, "ListParts after abort")
	_, err = b.UploadPart(ctx, testBucket, "k", u.id, 4, bytes.NewReader(partBody(partSize, 4, 0)), object.PutOptions{Size: partSize})
	wantErr(t, err, object.ErrUploadNotFound, "UploadPart after abort")
	wantErr(t, u.completeErr(u.part(1), u.part(2), u.part(3)), object.ErrUploadNotFound, "CompleteMultipartUpload after abort")
	wantContent(t, b, "k", "the old object")
	res, err := b.ListMultipartUploads(ctx, testBucket, object.ListUploadsOptions{})
	if err != nil || len(res.Uploads) != 0 {
		t.Fatalf("ListMultipartUploads after abort = %+v, %v", res.Uploads, err)
	}
	// A new upload of the key starts afresh.
	u = newUpload(t, b, "k")
	u.put(1, partBody(partSize, 1, 1))
	u.put(2, partBody(3, 2, 1))
	u.complete(1, 2)
}

func testMultipartConcurrentParts(t *testing.T, b object.Backend) {
	newBucket(t, b)
	const parts, versions = 6, 2
	id := createUpload(t, b, "k", object.PutOptions{})
	data := map[string][]byte{} // by ETag
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	// Every part is sent twice at once, with different data; the last part
	// is short.
	for n := 1; n <= parts; n++ {
		for v := range versions {
			size := partSize
			if n == parts {
				size = 1000 * (v + 1)
			}
			d := partBody(size, n, v)
			data[md5hex(d)] = d
			wg.Go(func() {
				info, err := b.UploadPart(t.Context(), testBucket, "k", id, n, bytes.NewReader(d), object.PutOptions{Size: int64(len(d))})
				if err == nil && info.ETag != md5hex(d) {
					err = fmt.Errorf("part %d: ETag %s, want %s", n, info.ETag, md5hex(d))
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent UploadPart: %v", err)
	}
	if t.Failed() {
		return
	}
	res, err := b.ListParts(t.Context(), testBucket, "k", id, object.ListPartsOptions{})
	if err != nil || len(res.Parts) != parts {
		t.Fatalf("ListParts = %+v, %v", res.Parts, err)
	}
	// Whichever upload of a part won, its ETag, size and data go together.
	var list []object.CompletePart
	var want [][]byte
	for _, p := range res.Parts {
		d, ok := data[p.ETag]
		if !ok || int64(len(d)) != p.Size {
			t.Fatalf("ListParts: part %d has ETag %s and size %d, which no upload sent", p.PartNumber, p.ETag, p.Size)
		}
		list = append(list, object.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag})
		want = append(want, d)
	}
	info, err := b.CompleteMultipartUpload(t.Context(), testBucket, "k", id, list)
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if etag := multipartETag(want...); info.ETag != etag {
		t.Fatalf("CompleteMultipartUpload ETag = %s, want %s", info.ETag, etag)
	}
	wantObject(t, b, "k", bytes.Join(want, nil), info.ETag)
}

func testMultipartLaterUploadsLeaveObject(t *testing.T, b object.Backend) {
	newBucket(t, b)
	u := newUpload(t, b, "k")
	u.put(1, partBody(partSize, 1, 0))
	u.put(2, partBody(partSize, 2, 0))
	u.complete(1, 2)
	want := bytes.Join([][]byte{u.data[1], u.data[2]}, nil)
	etag := multipartETag(u.data[1], u.data[2])
	// Parts of new uploads of the same key, of the same size, change
	// nothing until one completes.
	v := newUpload(t, b, "k")
	v.put(1, partBody(partSize, 1, 1))
	v.put(3, partBody(partSize, 3, 1))
	w := newUpload(t, b, "k")
	w.put(2, partBody(partSize, 2, 2))
	wantObject(t, b, "k", want, etag)
	if err := b.AbortMultipartUpload(t.Context(), testBucket, "k", v.id); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	wantObject(t, b, "k", want, etag)
	w.put(1, partBody(partSize, 1, 2))
	w.complete(1, 2)
	// Replacing and deleting the object leaves no trace of the upload.
	put(t, b, "k", "small")
	wantContent(t, b, "k", "small")
	if err := b.DeleteObject(t.Context(), testBucket, "k"); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	wantMissing(t, b, "k")
}

func testMultipartCompleteTwice(t *testing.T, b object.Backend) {
	newBucket(t, b)
	u := newUpload(t, b, "k")
	u.put(1, partBody(partSize, 1, 0))
	u.put(2, partBody(99, 2, 0))
	u.complete(1, 2)
	// A retry may get the object it made (as on S3), or ErrUploadNotFound;
	// other parts never complete it again.
	if err := u.completeErr(u.part(1), u.part(2)); err != nil {
		wantErr(t, err, object.ErrUploadNotFound, "second CompleteMultipartUpload")
	}
	wantErr(t, u.completeErr(u.part(1)), object.ErrUploadNotFound, "second CompleteMultipartUpload with other parts")
	_, err := b.UploadPart(t.Context(), testBucket, "k", u.id, 3, bytes.NewReader(partBody(partSize, 3, 0)), object.PutOptions{Size: partSize})
	wantErr(t, err, object.ErrUploadNotFound, "UploadPart after completion")
	wantObject(t, b, "k", append(append([]byte{}, u.data[1]...), u.data[2]...), multipartETag(u.data[1], u.data[2]))
}

func testMultipartFailedCompleteKeepsUpload(t *testing.T, b object.Backend) {
	newBucket(t, b)
	put(t, b, "a/b", "in the way")
	u := newUpload(t, b, "a")
	for n := 1; n <= 3; n++ {
		u.put(n, partBody(partSize, n, 0))
	}
	u.put(4, partBody(500, 4, 0))
	// A completion that fails after the checks (the key is taken by a
	// prefix), listing only the first parts, must leave all of them usable.
	wantErr(t, u.completeErr(u.part(1), u.part(2)), object.ErrKeyConflict, "completion onto a prefix")
	u.wantParts()
	if err := b.DeleteObject(t.Context(), testBucket, "a/b"); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	u.complete(1, 2, 3, 4)
}
