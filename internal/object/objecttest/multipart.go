package objecttest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func multipartTests() []subtest {
	return []subtest{
		{"Multipart/Complete", testMultipartComplete},
		{"Multipart/SinglePart", testMultipartSinglePart},
		{"Multipart/CompleteErrors", testMultipartCompleteErrors},
		{"Multipart/PartNumbers", testMultipartPartNumbers},
		{"Multipart/PartBodies", testMultipartPartBodies},
		{"Multipart/Abort", testMultipartAbort},
		{"Multipart/WrongKey", testMultipartWrongKey},
		{"Multipart/ListParts", testMultipartListParts},
		{"Multipart/ListUploads", testMultipartListUploads},
		{"Multipart/KeyConflict", testMultipartKeyConflict},
	}
}

func createUpload(t *testing.T, b object.Backend, key string, opts object.PutOptions) string {
	t.Helper()
	id, err := b.CreateMultipartUpload(t.Context(), testBucket, key, opts)
	if err != nil {
		t.Fatalf("CreateMultipartUpload(%q): %v", key, err)
	}
	if id == "" {
		t.Fatalf("CreateMultipartUpload(%q) returned an empty upload ID", key)
	}
	return id
}

func uploadPart(t *testing.T, b object.Backend, key, id string, n int, data []byte) object.PartInfo {
	t.Helper()
	info, err := b.UploadPart(t.Context(), testBucket, key, id, n, bytes.NewReader(data), object.PutOptions{Size: int64(len(data))})
	if err != nil {
		t.Fatalf("UploadPart(%q, %d): %v", key, n, err)
	}
	if info.PartNumber != n || info.Size != int64(len(data)) || info.ETag != md5hex(data) {
		t.Fatalf("UploadPart(%q, %d) = %+v", key, n, info)
	}
	return info
}

// multipartETag is the S3 ETag of an object assembled from parts.
func multipartETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		sums = append(sums, md5bin(p)...)
	}
	sum := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(parts))
}

func testMultipartComplete(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	md := fullMetadata()
	id := createUpload(t, b, "big/object.bin", object.PutOptions{Metadata: md})
	p1 := pattern(object.MinPartSize, 7)
	p2 := []byte("the small last part")
	// Out of order, and part 2 is overwritten.
	uploadPart(t, b, "big/object.bin", id, 2, []byte("to be replaced"))
	uploadPart(t, b, "big/object.bin", id, 1, p1)
	uploadPart(t, b, "big/object.bin", id, 2, p2)
	wantMissing(t, b, "big/object.bin")

	res, err := b.ListParts(ctx, testBucket, "big/object.bin", id, object.ListPartsOptions{})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(res.Parts) != 2 || res.Parts[0].PartNumber != 1 || res.Parts[1].PartNumber != 2 ||
		res.Parts[0].ETag != md5hex(p1) || res.Parts[1].ETag != md5hex(p2) ||
		res.Parts[0].Size != int64(len(p1)) || res.Parts[1].Size != int64(len(p2)) || res.IsTruncated {
		t.Fatalf("ListParts = %+v", res.Parts)
	}
	if res.UploadID != id || res.Key != "big/object.bin" || res.Bucket != testBucket || !sameMetadata(res.Metadata, md) {
		t.Errorf("ListParts upload = %+v", res.Upload)
	}

	info, err := b.CompleteMultipartUpload(ctx, testBucket, "big/object.bin", id, []object.CompletePart{
		{PartNumber: 1, ETag: `"` + md5hex(p1) + `"`},
		{PartNumber: 2, ETag: md5hex(p2)},
	})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	want := multipartETag(p1, p2)
	if info.ETag != want || info.Size != int64(len(p1)+len(p2)) || info.Key != "big/object.bin" {
		t.Fatalf("CompleteMultipartUpload = %+v, want ETag %s", info, want)
	}
	got, r := get(t, b, "big/object.bin", nil)
	if got != string(p1)+string(p2) {
		t.Fatalf("assembled object differs (%d bytes, want %d)", len(got), len(p1)+len(p2))
	}
	if r.Info.ETag != want || !sameMetadata(r.Info.Metadata, md) {
		t.Errorf("GetObject info = %+v, want ETag %s and the upload's metadata", r.Info, want)
	}
	tail, _ := get(t, b, "big/object.bin", &object.Range{Suffix: int64(len(p2))})
	if tail != string(p2) {
		t.Errorf("last bytes = %q, want %q", tail, p2)
	}
	// The upload is gone.
	_, err = b.ListParts(ctx, testBucket, "big/object.bin", id, object.ListPartsOptions{})
	wantErr(t, err, object.ErrUploadNotFound, "ListParts after complete")
	uploads, err := b.ListMultipartUploads(ctx, testBucket, object.ListUploadsOptions{})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(uploads.Uploads) != 0 {
		t.Errorf("uploads after complete: %+v", uploads.Uploads)
	}
}

func testMultipartSinglePart(t *testing.T, b object.Backend) {
	newBucket(t, b)
	put(t, b, "k", "old content")
	id := createUpload(t, b, "k", object.PutOptions{})
	p := []byte("tiny")
	part := uploadPart(t, b, "k", id, 3, p)
	info, err := b.CompleteMultipartUpload(t.Context(), testBucket, "k", id, []object.CompletePart{{PartNumber: 3, ETag: part.ETag}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if info.ETag != multipartETag(p) {
		t.Errorf("ETag = %s, want %s", info.ETag, multipartETag(p))
	}
	got, _ := get(t, b, "k", nil)
	if got != "tiny" {
		t.Errorf("content = %q, want tiny", got)
	}
}

func testMultipartCompleteErrors(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	id := createUpload(t, b, "k", object.PutOptions{})
	a := uploadPart(t, b, "k", id, 1, []byte("aaa"))
	c := uploadPart(t, b, "k", id, 2, []byte("bbb"))
	complete := func(parts ...object.CompletePart) error {
		_, err := b.CompleteMultipartUpload(ctx, testBucket, "k", id, parts)
		return err
	}
	wantErr(t, complete(object.CompletePart{PartNumber: 1, ETag: md5hex([]byte("other"))}), object.ErrInvalidPart, "wrong ETag")
	wantErr(t, complete(object.CompletePart{PartNumber: 1, ETag: a.ETag}, object.CompletePart{PartNumber: 3, ETag: c.ETag}), object.ErrInvalidPart, "missing part")
	wantErr(t, complete(object.CompletePart{PartNumber: 5, ETag: a.ETag}), object.ErrInvalidPart, "only a missing part")
	wantErr(t, complete(object.CompletePart{PartNumber: 2, ETag: c.ETag}, object.CompletePart{PartNumber: 1, ETag: a.ETag}), object.ErrInvalidPartOrder, "descending parts")
	wantErr(t, complete(object.CompletePart{PartNumber: 1, ETag: a.ETag}, object.CompletePart{PartNumber: 1, ETag: a.ETag}), object.ErrInvalidPartOrder, "repeated part")
	wantErr(t, complete(object.CompletePart{PartNumber: 1, ETag: a.ETag}, object.CompletePart{PartNumber: 2, ETag: c.ETag}), object.ErrEntityTooSmall, "small first part")
	wantMissing(t, b, "k")
	// The failures left the upload usable.
	if err := complete(object.CompletePart{PartNumber: 2, ETag: c.ETag}); err != nil {
		t.Fatalf("CompleteMultipartUpload after failures: %v", err)
	}
	got, _ := get(t, b, "k", nil)
	if got != "bbb" {
		t.Fatalf("content = %q, want bbb", got)
	}
}

func testMultipartPartNumbers(t *testing.T, b object.Backend) {
	newBucket(t, b)
	id := createUpload(t, b, "k", object.PutOptions{})
	for _, n := range []int{0, -1, object.MaxPartNumber + 1} {
		_, err := b.UploadPart(t.Context(), testBucket, "k", id, n, strings.NewReader("x"), object.PutOptions{Size: 1})
		wantErr(t, err, object.ErrInvalidPartNumber, "UploadPart(%d)", n)
	}
	uploadPart(t, b, "k", id, object.MaxPartNumber, []byte("last"))
	uploadPart(t, b, "k", id, 1, []byte("first"))
	res, err := b.ListParts(t.Context(), testBucket, "k", id, object.ListPartsOptions{})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(res.Parts) != 2 || res.Parts[0].PartNumber != 1 || res.Parts[1].PartNumber != object.MaxPartNumber {
		t.Fatalf("ListParts = %+v", res.Parts)
	}
}

func testMultipartPartBodies(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	id := createUpload(t, b, "k", object.PutOptions{})
	up := func(body string, opts object.PutOptions) error {
		_, err := b.UploadPart(ctx, testBucket, "k", id, 1, strings.NewReader(body), opts)
		return err
	}
	wantErr(t, up("abc", object.PutOptions{Size: 3, MD5: md5bin([]byte("abd"))}), object.ErrBadDigest, "part with a wrong MD5")
	wantErr(t, up("abc", object.PutOptions{Size: 5}), object.ErrIncompleteBody, "short part")
	wantErr(t, up("abc", object.PutOptions{Size: 2}), object.ErrTooLarge, "long part")
	wantErr(t, up("abc", object.PutOptions{Size: object.MaxPartSize + 1}), object.ErrTooLarge, "part declaring more than MaxPartSize")
	res, err := b.ListParts(ctx, testBucket, "k", id, object.ListPartsOptions{})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(res.Parts) != 0 {
		t.Fatalf("failed uploads stored parts: %+v", res.Parts)
	}
	if err := up("abc", object.PutOptions{Size: -1, MD5: md5bin([]byte("abc"))}); err != nil {
		t.Fatalf("UploadPart of unknown size: %v", err)
	}
}

func testMultipartAbort(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	id := createUpload(t, b, "k", object.PutOptions{})
	p := uploadPart(t, b, "k", id, 1, []byte("data"))
	if err := b.AbortMultipartUpload(ctx, testBucket, "k", id); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err := b.UploadPart(ctx, testBucket, "k", id, 2, strings.NewReader("x"), object.PutOptions{Size: 1})
	wantErr(t, err, object.ErrUploadNotFound, "UploadPart after abort")
	_, err = b.ListParts(ctx, testBucket, "k", id, object.ListPartsOptions{})
	wantErr(t, err, object.ErrUploadNotFound, "ListParts after abort")
	_, err = b.CompleteMultipartUpload(ctx, testBucket, "k", id, []object.CompletePart{{PartNumber: 1, ETag: p.ETag}})
	wantErr(t, err, object.ErrUploadNotFound, "CompleteMultipartUpload after abort")
	wantErr(t, b.AbortMultipartUpload(ctx, testBucket, "k", id), object.ErrUploadNotFound, "AbortMultipartUpload twice")
	wantMissing(t, b, "k")
	res, err := b.ListMultipartUploads(ctx, testBucket, object.ListUploadsOptions{})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(res.Uploads) != 0 {
		t.Fatalf("uploads after abort: %+v", res.Uploads)
	}
}

func testMultipartWrongKey(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b, testBucket, "other-bucket")
	id := createUpload(t, b, "k1", object.PutOptions{})
	p := uploadPart(t, b, "k1", id, 1, []byte("data"))
	for _, c := range []struct{ bucket, key, id string }{
		{testBucket, "k2", id},
		{"other-bucket", "k1", id},
		{testBucket, "k1", "no-such-upload"},
		{testBucket, "k1", "../../../etc"},
		{testBucket, "k1", ""},
	} {
		_, err := b.UploadPart(ctx, c.bucket, c.key, c.id, 2, strings.NewReader("x"), object.PutOptions{Size: 1})
		wantErr(t, err, object.ErrUploadNotFound, "UploadPart(%s, %s, %q)", c.bucket, c.key, c.id)
		_, err = b.ListParts(ctx, c.bucket, c.key, c.id, object.ListPartsOptions{})
		wantErr(t, err, object.ErrUploadNotFound, "ListParts(%s, %s, %q)", c.bucket, c.key, c.id)
		_, err = b.CompleteMultipartUpload(ctx, c.bucket, c.key, c.id, []object.CompletePart{{PartNumber: 1, ETag: p.ETag}})
		wantErr(t, err, object.ErrUploadNotFound, "CompleteMultipartUpload(%s, %s, %q)", c.bucket, c.key, c.id)
		wantErr(t, b.AbortMultipartUpload(ctx, c.bucket, c.key, c.id), object.ErrUploadNotFound, "AbortMultipartUpload(%s, %s, %q)", c.bucket, c.key, c.id)
	}
	// The real upload is untouched.
	res, err := b.ListParts(ctx, testBucket, "k1", id, object.ListPartsOptions{})
	if err != nil || len(res.Parts) != 1 {
		t.Fatalf("ListParts of the real upload = %+v, %v", res.Parts, err)
	}
}

func testMultipartListParts(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	id := createUpload(t, b, "k", object.PutOptions{})
	for _, n := range []int{5, 1, 3, 2} {
		uploadPart(t, b, "k", id, n, []byte(fmt.Sprint("part ", n)))
	}
	var got []int
	marker := 0
	for page := 0; page < 10; page++ {
		res, err := b.ListParts(ctx, testBucket, "k", id, object.ListPartsOptions{PartNumberMarker: marker, MaxParts: 3})
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		if len(res.Parts) > 3 {
			t.Fatalf("ListParts returned %d parts for MaxParts 3", len(res.Parts))
		}
		for _, p := range res.Parts {
			got = append(got, p.PartNumber)
			if p.ETag != md5hex([]byte(fmt.Sprint("part ", p.PartNumber))) {
				t.Errorf("part %d ETag %s", p.PartNumber, p.ETag)
			}
		}
		if !res.IsTruncated {
			break
		}
		if res.NextPartNumberMarker != res.Parts[len(res.Parts)-1].PartNumber {
			t.Fatalf("NextPartNumberMarker = %d, last part %d", res.NextPartNumberMarker, res.Parts[len(res.Parts)-1].PartNumber)
		}
		marker = res.NextPartNumberMarker
	}
	if fmt.Sprint(got) != "[1 2 3 5]" {
		t.Fatalf("paged parts = %v, want [1 2 3 5]", got)
	}
	res, err := b.ListParts(ctx, testBucket, "k", id, object.ListPartsOptions{PartNumberMarker: 3})
	if err != nil || len(res.Parts) != 1 || res.Parts[0].PartNumber != 5 || res.IsTruncated {
		t.Fatalf("ListParts after marker 3 = %+v, %v", res.Parts, err)
	}
}

func testMultipartListUploads(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	type up struct{ key, id string }
	var all []up
	for _, k := range []string{"b", "a/1", "c/x/y", "a/2", "b", "d"} {
		all = append(all, up{k, createUpload(t, b, k, object.PutOptions{})})
	}
	list := func(opts object.ListUploadsOptions) object.ListUploadsResult {
		t.Helper()
		res, err := b.ListMultipartUploads(ctx, testBucket, opts)
		if err != nil {
			t.Fatalf("ListMultipartUploads(%+v): %v", opts, err)
		}
		return res
	}
	keysOf := func(us []object.Upload) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Key)
		}
		return out
	}
	res := list(object.ListUploadsOptions{})
	if got := keysOf(res.Uploads); !equalStrings(got, []string{"a/1", "a/2", "b", "b", "c/x/y", "d"}) || res.IsTruncated {
		t.Fatalf("ListMultipartUploads = %q", got)
	}
	for _, u := range res.Uploads {
		if u.Bucket != testBucket || u.UploadID == "" || u.Initiated.IsZero() {
			t.Errorf("upload %+v", u)
		}
	}
	res = list(object.ListUploadsOptions{Prefix: "a/"})
	if got := keysOf(res.Uploads); !equalStrings(got, []string{"a/1", "a/2"}) {
		t.Errorf("ListMultipartUploads(prefix a/) = %q", got)
	}
	res = list(object.ListUploadsOptions{Delimiter: "/"})
	if got := keysOf(res.Uploads); !equalStrings(got, []string{"b", "b", "d"}) || !equalStrings(res.CommonPrefixes, []string{"a/", "c/"}) {
		t.Errorf("ListMultipartUploads(delimiter /) = %q %q", got, res.CommonPrefixes)
	}
	res = list(object.ListUploadsOptions{Prefix: "c/", Delimiter: "/"})
	if len(res.Uploads) != 0 || !equalStrings(res.CommonPrefixes, []string{"c/x/"}) {
		t.Errorf("ListMultipartUploads(c/, /) = %+v", res)
	}
	res = list(object.ListUploadsOptions{KeyMarker: "b"})
	if got := keysOf(res.Uploads); !equalStrings(got, []string{"c/x/y", "d"}) {
		t.Errorf("ListMultipartUploads(key marker b) = %q", got)
	}

	// Paging one at a time returns every upload exactly once, in order.
	for _, delim := range []string{"", "/"} {
		var seen []string
		opts := object.ListUploadsOptions{MaxUploads: 1, Delimiter: delim}
		for page := 0; ; page++ {
			if page > 20 {
				t.Fatalf("paging does not end")
			}
			res := list(opts)
			if n := len(res.Uploads) + len(res.CommonPrefixes); n > 1 {
				t.Fatalf("page of %d entries for MaxUploads 1", n)
			}
			for _, u := range res.Uploads {
				seen = append(seen, u.Key+" "+u.UploadID)
			}
			seen = append(seen, res.CommonPrefixes...)
			if !res.IsTruncated {
				break
			}
			opts.KeyMarker, opts.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
		}
		want := map[string][]string{
			"":  {"a/1", "a/2", "b", "b", "c/x/y", "d"},
			"/": {"a/", "b", "b", "c/", "d"},
		}[delim]
		if len(seen) != len(want) {
			t.Fatalf("paged uploads (delimiter %q) = %q, want %q", delim, seen, want)
		}
		ids := map[string]bool{}
		for i, s := range seen {
			if !strings.HasPrefix(s, want[i]) || ids[s] {
				t.Fatalf("paged uploads (delimiter %q) = %q, want %q", delim, seen, want)
			}
			ids[s] = true
		}
	}
}

func testMultipartKeyConflict(t *testing.T, b object.Backend) {
	newBucket(t, b)
	put(t, b, "a/b", "x")
	id := createUpload(t, b, "a", object.PutOptions{})
	p := uploadPart(t, b, "a", id, 1, []byte("data"))
	_, err := b.CompleteMultipartUpload(t.Context(), testBucket, "a", id, []object.CompletePart{{PartNumber: 1, ETag: p.ETag}})
	wantErr(t, err, object.ErrKeyConflict, "CompleteMultipartUpload onto a prefix")
	wantContent(t, b, "a/b", "x")
}
