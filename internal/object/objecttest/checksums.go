package objecttest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func checksumTests() []subtest {
	return []subtest{
		{"Checksum/PutObject", testChecksumPutObject},
		{"Checksum/Multipart", testChecksumMultipart},
	}
}

// eofReader records whether its body was read to the end.
type eofReader struct {
	r    *bytes.Reader
	seen bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.seen = true
	}
	return n, err
}

func b64sum(alg string, data []byte) string {
	h, _ := object.NewChecksumHash(alg)
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// testChecksumPutObject checks the PutOptions.Checksum hook of PutObject:
// called once the body is read, its checksum stored with the object and
// its error aborting the write with nothing stored.
func testChecksumPutObject(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	data := []byte("checksummed body")
	body := &eofReader{r: bytes.NewReader(data)}
	want := object.Checksum{Algorithm: object.ChecksumSHA256, Type: object.ChecksumFullObject, Value: b64sum(object.ChecksumSHA256, data)}
	hook := func() (object.Checksum, error) {
		if !body.seen {
			t.Error("the Checksum hook ran before the body was read to its end")
		}
		return want, nil
	}
	info, err := b.PutObject(ctx, testBucket, "k", body, object.PutOptions{Size: int64(len(data)), Checksum: hook})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if info.Checksum != want {
		t.Errorf("PutObject info checksum = %+v, want %+v", info.Checksum, want)
	}
	head, err := b.HeadObject(ctx, testBucket, "k")
	if err != nil || head.Checksum != want || head.Parts != nil {
		t.Errorf("HeadObject = checksum %+v parts %v, %v; want %+v and no parts", head.Checksum, head.Parts, err, want)
	}
	boom := errors.New("checksum mismatch")
	_, err = b.PutObject(ctx, testBucket, "bad", bytes.NewReader(data), object.PutOptions{Size: int64(len(data)),
		Checksum: func() (object.Checksum, error) { return object.Checksum{}, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("PutObject with a failing hook = %v, want it wrapped", err)
	}
	_, err = b.HeadObject(ctx, testBucket, "bad")
	wantErr(t, err, object.ErrObjectNotFound, "HeadObject after a failed hook")
	// A write without a checksum replaces one with.
	put(t, b, "k", "plain")
	if head, _ := b.HeadObject(ctx, testBucket, "k"); !head.Checksum.IsZero() {
		t.Errorf("checksum after a plain overwrite = %+v", head.Checksum)
	}
}

// testChecksumMultipart checks part checksums (stored by UploadPart's hook
// and listed by ListParts), the checksum CompleteMultipartUpload computes
// from them with the upload's algorithm and type, and the part layout of
// the completed object.
func testChecksumMultipart(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	parts := [][]byte{bytes.Repeat([]byte("a"), object.MinPartSize), []byte("tail")}
	for _, typ := range []string{object.ChecksumComposite, object.ChecksumFullObject} {
		key := "mp-" + strings.ToLower(typ)
		alg := object.ChecksumCRC32C
		id := createUpload(t, b, key, object.PutOptions{Size: -1, Metadata: object.Metadata{Checksum: object.Checksum{Algorithm: alg, Type: typ}}})
		var done []object.CompletePart
		var layout []object.ObjectPart
		for i, p := range parts {
			c := object.Checksum{Algorithm: alg, Type: object.ChecksumFullObject, Value: b64sum(alg, p)}
			info, err := b.UploadPart(ctx, testBucket, key, id, i+1, bytes.NewReader(p), object.PutOptions{Size: int64(len(p)),
				Checksum: func() (object.Checksum, error) { return c, nil }})
			if err != nil {
				t.Fatalf("UploadPart(%d): %v", i+1, err)
			}
			if info.Checksum.Value != c.Value || info.Checksum.Algorithm != alg {
				t.Errorf("UploadPart(%d) checksum = %+v, want %+v", i+1, info.Checksum, c)
			}
			done = append(done, object.CompletePart{PartNumber: i + 1, ETag: info.ETag})
			layout = append(layout, object.ObjectPart{PartNumber: i + 1, Size: int64(len(p)), Checksum: c.Value})
		}
		lp, err := b.ListParts(ctx, testBucket, key, id, object.ListPartsOptions{})
		if err != nil || len(lp.Parts) != 2 || lp.Parts[1].Checksum.Value != layout[1].Checksum || lp.Upload.Metadata.Checksum.Type != typ {
			t.Fatalf("ListParts = %+v, %v", lp, err)
		}
		want, err := object.MultipartChecksum(alg, typ, layout)
		if err != nil {
			t.Fatal(err)
		}
		info, err := b.CompleteMultipartUpload(ctx, testBucket, key, id, done)
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		if info.Checksum != want {
			t.Errorf("%s: CompleteMultipartUpload checksum = %+v, want %+v", typ, info.Checksum, want)
		}
		head, err := b.HeadObject(ctx, testBucket, key)
		if err != nil || head.Checksum != want || len(head.Parts) != 2 || head.Parts[0] != layout[0] || head.Parts[1] != layout[1] {
			t.Errorf("%s: HeadObject = checksum %+v parts %+v, %v", typ, head.Checksum, head.Parts, err)
		}
		if typ == object.ChecksumFullObject && want.Value != b64sum(alg, append(append([]byte(nil), parts[0]...), parts[1]...)) {
			t.Errorf("full-object checksum %s is not the CRC of the object", want.Value)
		}
	}
	// Completing an upload with an algorithm whose part has none fails.
	id := createUpload(t, b, "nosum", object.PutOptions{Size: -1, Metadata: object.Metadata{Checksum: object.Checksum{Algorithm: object.ChecksumSHA1, Type: object.ChecksumComposite}}})
	p := uploadPart(t, b, "nosum", id, 1, []byte("x"))
	_, err := b.CompleteMultipartUpload(ctx, testBucket, "nosum", id, []object.CompletePart{{PartNumber: 1, ETag: p.ETag}})
	wantErr(t, err, object.ErrInvalidPart, "CompleteMultipartUpload with a part lacking the upload's checksum")
}
