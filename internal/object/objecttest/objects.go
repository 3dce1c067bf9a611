package objecttest

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

func objectTests() []subtest {
	return []subtest{
		{"Object/PutGetHead", testObjectPutGetHead},
		{"Object/Overwrite", testObjectOverwrite},
		{"Object/Empty", testObjectEmpty},
		{"Object/UnknownSize", testObjectUnknownSize},
		{"Object/BadDigest", testObjectBadDigest},
		{"Object/SizeMismatch", testObjectSizeMismatch},
		{"Object/DeclaredTooLarge", testObjectDeclaredTooLarge},
		{"Object/BodyError", testObjectBodyError},
		{"Object/ContextCanceled", testObjectContextCanceled},
		{"Object/Ranges", testObjectRanges},
		{"Object/EmptyRanges", testObjectEmptyRanges},
		{"Object/Delete", testObjectDelete},
		{"Object/Missing", testObjectMissing},
	}
}

func fullMetadata() object.Metadata {
	return object.Metadata{
		ContentType:        "text/plain; charset=utf-8",
		ContentEncoding:    "identity",
		ContentDisposition: `attachment; filename="hello.txt"`,
		ContentLanguage:    "en-GB",
		CacheControl:       "max-age=60",
		Expires:            "Wed, 21 Oct 2037 07:28:00 GMT",
		User:               map[string]string{"color": "blue", "owner": "Zoë"},
	}
}

func sameMetadata(a, b object.Metadata) bool {
	return a.ContentType == b.ContentType &&
		a.ContentEncoding == b.ContentEncoding &&
		a.ContentDisposition == b.ContentDisposition &&
		a.ContentLanguage == b.ContentLanguage &&
		a.CacheControl == b.CacheControl &&
		a.Expires == b.Expires &&
		maps.Equal(a.User, b.User)
}

func testObjectPutGetHead(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	const data = "hello, world\n"
	md := fullMetadata()
	start := time.Now()
	info := putOpts(t, b, "hello.txt", data, object.PutOptions{Size: int64(len(data)), Metadata: md, MD5: md5bin([]byte(data))})
	end := time.Now()
	if info.Bucket != testBucket || info.Key != "hello.txt" || info.Size != int64(len(data)) || info.ETag != md5hex([]byte(data)) {
		t.Fatalf("PutObject info = %+v", info)
	}
	if info.ModTime.Before(start.Add(-2*time.Second)) || info.ModTime.After(end.Add(2*time.Second)) {
		t.Errorf("PutObject ModTime = %v, want between %v and %v", info.ModTime, start, end)
	}
	if !sameMetadata(info.Metadata, md) {
		t.Errorf("PutObject metadata = %+v, want %+v", info.Metadata, md)
	}
	head, err := b.HeadObject(ctx, testBucket, "hello.txt")
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if head.Key != info.Key || head.Bucket != info.Bucket || head.Size != info.Size || head.ETag != info.ETag || !head.ModTime.Equal(info.ModTime) {
		t.Errorf("HeadObject = %+v, want %+v", head, info)
	}
	if !sameMetadata(head.Metadata, md) {
		t.Errorf("HeadObject metadata = %+v, want %+v", head.Metadata, md)
	}
	got, r := get(t, b, "hello.txt", nil)
	if got != data {
		t.Errorf("GetObject = %q, want %q", got, data)
	}
	if r.Offset != 0 || r.Length != int64(len(data)) || r.Info.ETag != info.ETag || r.Info.Size != info.Size || !sameMetadata(r.Info.Metadata, md) {
		t.Errorf("GetObject reader = offset %d length %d info %+v", r.Offset, r.Length, r.Info)
	}
}

func testObjectOverwrite(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	putOpts(t, b, "k", "version one", object.PutOptions{Size: -1, Metadata: fullMetadata()})
	md2 := object.Metadata{ContentType: "application/json", User: map[string]string{"v": "2"}}
	info := putOpts(t, b, "k", "v2", object.PutOptions{Size: 2, Metadata: md2})
	if info.ETag != md5hex([]byte("v2")) || info.Size != 2 {
		t.Fatalf("overwrite info = %+v", info)
	}
	wantContent(t, b, "k", "v2")
	head, err := b.HeadObject(ctx, testBucket, "k")
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if !sameMetadata(head.Metadata, md2) {
		t.Errorf("metadata after overwrite = %+v, want %+v (replaced, not merged)", head.Metadata, md2)
	}
}

func testObjectEmpty(t *testing.T, b object.Backend) {
	newBucket(t, b)
	info := put(t, b, "empty", "")
	if info.Size != 0 || info.ETag != emptyETag {
		t.Fatalf("empty object info = %+v", info)
	}
	wantContent(t, b, "empty", "")
}

func testObjectUnknownSize(t *testing.T, b object.Backend) {
	newBucket(t, b)
	data := string(pattern(100_000, 1))
	info, err := b.PutObject(t.Context(), testBucket, "k", &chunkReader{data: []byte(data), chunk: 777}, object.PutOptions{Size: -1})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if info.Size != int64(len(data)) || info.ETag != md5hex([]byte(data)) {
		t.Fatalf("PutObject info = %+v", info)
	}
	wantContent(t, b, "k", data)
}

func testObjectBadDigest(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	put(t, b, "k", "old")
	for _, key := range []string{"k", "new"} {
		_, err := b.PutObject(ctx, testBucket, key, strings.NewReader("new body"), object.PutOptions{Size: 8, MD5: md5bin([]byte("other body"))})
		wantErr(t, err, object.ErrBadDigest, "PutObject(%q) with a wrong MD5", key)
	}
	wantContent(t, b, "k", "old")
	wantMissing(t, b, "new")
}

func testObjectSizeMismatch(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	put(t, b, "k", "old")
	for _, key := range []string{"k", "new"} {
		_, err := b.PutObject(ctx, testBucket, key, strings.NewReader("12345"), object.PutOptions{Size: 10})
		wantErr(t, err, object.ErrIncompleteBody, "PutObject(%q) with a short body", key)
		_, err = b.PutObject(ctx, testBucket, key, strings.NewReader("12345"), object.PutOptions{Size: 3})
		wantErr(t, err, object.ErrTooLarge, "PutObject(%q) with a long body", key)
		_, err = b.PutObject(ctx, testBucket, key, strings.NewReader("12345"), object.PutOptions{Size: 0})
		wantErr(t, err, object.ErrTooLarge, "PutObject(%q) with a body and size 0", key)
	}
	wantContent(t, b, "k", "old")
	wantMissing(t, b, "new")
}

func testObjectDeclaredTooLarge(t *testing.T, b object.Backend) {
	newBucket(t, b)
	_, err := b.PutObject(t.Context(), testBucket, "k", strings.NewReader("small"), object.PutOptions{Size: object.MaxObjectSize + 1})
	wantErr(t, err, object.ErrTooLarge, "PutObject declaring more than MaxObjectSize")
	wantMissing(t, b, "k")
}

func testObjectBodyError(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	put(t, b, "k", "old")
	boom := errors.New("connection reset")
	for _, key := range []string{"k", "new"} {
		body := &chunkReader{data: pattern(50_000, 2), chunk: 1000, err: boom}
		_, err := b.PutObject(ctx, testBucket, key, body, object.PutOptions{Size: 100_000})
		wantErr(t, err, boom, "PutObject(%q) with a failing body", key)
		body = &chunkReader{data: pattern(50_000, 2), chunk: 1000, err: boom}
		_, err = b.PutObject(ctx, testBucket, key, body, object.PutOptions{Size: -1})
		wantErr(t, err, boom, "PutObject(%q) with a failing body of unknown size", key)
	}
	wantContent(t, b, "k", "old")
	wantMissing(t, b, "new")
}

func testObjectContextCanceled(t *testing.T, b object.Backend) {
	newBucket(t, b)
	put(t, b, "k", "old")
	for _, key := range []string{"k", "new"} {
		ctx, cancel := context.WithCancel(t.Context())
		body := &chunkReader{data: pattern(200_000, 3), chunk: 1000, hook: cancel}
		_, err := b.PutObject(ctx, testBucket, key, body, object.PutOptions{Size: 200_000})
		cancel()
		wantErr(t, err, context.Canceled, "PutObject(%q) canceled midway", key)
	}
	wantContent(t, b, "k", "old")
	wantMissing(t, b, "new")
}

func testObjectRanges(t *testing.T, b object.Backend) {
	newBucket(t, b)
	const data = "0123456789"
	put(t, b, "digits", data)
	cases := []struct {
		rng       object.Range
		want      string
		off, size int64
	}{
		{object.Range{First: 0, Last: 4}, "01234", 0, 5},
		{object.Range{First: 3, Last: 3}, "3", 3, 1},
		{object.Range{First: 5, Last: -1}, "56789", 5, 5},
		{object.Range{First: 0, Last: -1}, data, 0, 10},
		{object.Range{Suffix: 3}, "789", 7, 3},
		{object.Range{Suffix: 10}, data, 0, 10},
		{object.Range{Suffix: 100}, data, 0, 10},
		{object.Range{First: 8, Last: 100}, "89", 8, 2},
		{object.Range{First: 9, Last: 9}, "9", 9, 1},
	}
	for _, c := range cases {
		got, r := get(t, b, "digits", &c.rng)
		if got != c.want || r.Offset != c.off || r.Length != c.size || r.Info.Size != int64(len(data)) {
			t.Errorf("range %+v = %q (offset %d length %d size %d), want %q (offset %d length %d size %d)",
				c.rng, got, r.Offset, r.Length, r.Info.Size, c.want, c.off, c.size, len(data))
		}
	}
	for _, rng := range []object.Range{{First: 10, Last: -1}, {First: 10, Last: 20}, {First: 1000, Last: 2000}} {
		r, err := b.GetObject(t.Context(), testBucket, "digits", object.GetOptions{Range: &rng})
		if err == nil {
			r.Close()
		}
		wantErr(t, err, object.ErrInvalidRange, "range %+v of 10 bytes", rng)
	}
}

func testObjectEmptyRanges(t *testing.T, b object.Backend) {
	newBucket(t, b)
	put(t, b, "empty", "")
	for _, rng := range []object.Range{{First: 0, Last: -1}, {First: 0, Last: 0}, {Suffix: 1}} {
		r, err := b.GetObject(t.Context(), testBucket, "empty", object.GetOptions{Range: &rng})
		if err == nil {
			r.Close()
		}
		wantErr(t, err, object.ErrInvalidRange, "range %+v of an empty object", rng)
	}
}

func testObjectDelete(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	put(t, b, "k", "data")
	put(t, b, "keep", "data")
	if err := b.DeleteObject(ctx, testBucket, "k"); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	wantMissing(t, b, "k")
	wantContent(t, b, "keep", "data")
	for _, key := range []string{"k", "never", "x/y/z", "keep/sub"} {
		if err := b.DeleteObject(ctx, testBucket, key); err != nil {
			t.Errorf("DeleteObject(%q) of a missing key: %v", key, err)
		}
	}
	wantContent(t, b, "keep", "data")
	// A key re-created after deletion is a new object.
	put(t, b, "k", "again")
	wantContent(t, b, "k", "again")
}

func testObjectMissing(t *testing.T, b object.Backend) {
	newBucket(t, b)
	put(t, b, "file", "x")
	put(t, b, "dir/child", "y")
	for _, key := range []string{"nothing", "file/below", "dir", "dir/", "dir/child/x", "fil"} {
		wantMissing(t, b, key)
	}
}
