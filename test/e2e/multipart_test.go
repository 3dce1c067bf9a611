package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

const mib = 1 << 20

func TestMultipart(t *testing.T) {
	ep := testEndpoint(t)
	t.Run("Complete", func(t *testing.T) { caseMultipartComplete(t, ep) })
	t.Run("UploadPartCopy", func(t *testing.T) { caseUploadPartCopy(t, ep) })
	t.Run("CompleteErrors", func(t *testing.T) { caseCompleteErrors(t, ep) })
	t.Run("Abort", func(t *testing.T) { caseMultipartAbort(t, ep) })
	t.Run("InvalidPartNumber", func(t *testing.T) { caseInvalidPartNumber(t, ep) })
	t.Run("MinioStream", func(t *testing.T) { caseMinioMultipartStream(t, ep) })
}

// startUpload creates a multipart upload and returns its id.
func startUpload(t *testing.T, c *s3.Client, bucket, key string, edits ...func(*s3.CreateMultipartUploadInput)) string {
	t.Helper()
	in := &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key}
	for _, e := range edits {
		e(in)
	}
	out, err := c.CreateMultipartUpload(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateMultipartUpload(%s): %v", key, err)
	}
	if aws.ToString(out.Bucket) != bucket || aws.ToString(out.Key) != key || aws.ToString(out.UploadId) == "" {
		t.Fatalf("CreateMultipartUpload = bucket %q key %q id %q", aws.ToString(out.Bucket), aws.ToString(out.Key), aws.ToString(out.UploadId))
	}
	return aws.ToString(out.UploadId)
}

// uploadPart uploads one part and checks its ETag.
func uploadPart(t *testing.T, c *s3.Client, bucket, key, id string, n int32, data []byte) types.CompletedPart {
	t.Helper()
	out, err := c.UploadPart(context.Background(), &s3.UploadPartInput{
		Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(n), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("UploadPart(%d): %v", n, err)
	}
	if want := `"` + md5Hex(data) + `"`; aws.ToString(out.ETag) != want {
		t.Errorf("UploadPart(%d) ETag = %s, want %s", n, aws.ToString(out.ETag), want)
	}
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag}
}

func complete(c *s3.Client, bucket, key, id string, parts ...types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	return c.CompleteMultipartUpload(context.Background(), &s3.CompleteMultipartUploadInput{
		Bucket: &bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
}

func caseMultipartComplete(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	key := "big/object.bin"
	id := startUpload(t, c, bucket, key, func(in *s3.CreateMultipartUploadInput) {
		in.ContentType = aws.String("application/x-multi")
		in.Metadata = map[string]string{"origin": "multipart"}
	})
	chunks := [][]byte{randomBytes(5 * mib), randomBytes(5*mib + 17), randomBytes(1000)}
	var parts []types.CompletedPart
	// Upload out of order, and part 2 twice: the later upload wins.
	parts = append(parts, uploadPart(t, c, bucket, key, id, 3, chunks[2]))
	uploadPart(t, c, bucket, key, id, 2, randomBytes(6*mib))
	parts = append(parts, uploadPart(t, c, bucket, key, id, 2, chunks[1]))
	parts = append(parts, uploadPart(t, c, bucket, key, id, 1, chunks[0]))
	parts[0], parts[2] = parts[2], parts[0]

	// ListParts sees three parts in order, and pages.
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(lp.Parts) != 3 || aws.ToBool(lp.IsTruncated) {
		t.Fatalf("ListParts: %d parts (truncated %v), want 3", len(lp.Parts), aws.ToBool(lp.IsTruncated))
	}
	for i, p := range lp.Parts {
		if aws.ToInt32(p.PartNumber) != int32(i+1) || aws.ToInt64(p.Size) != int64(len(chunks[i])) || aws.ToString(p.ETag) != `"`+md5Hex(chunks[i])+`"` {
			t.Errorf("part %d: number %d, size %d, ETag %s; want %d, %d, quoted MD5",
				i+1, aws.ToInt32(p.PartNumber), aws.ToInt64(p.Size), aws.ToString(p.ETag), i+1, len(chunks[i]))
		}
	}
	lp, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id, MaxParts: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 2 || !aws.ToBool(lp.IsTruncated) || aws.ToString(lp.NextPartNumberMarker) != "2" {
		t.Errorf("ListParts max-parts 2: %d parts, truncated %v, next marker %q; want 2, true, 2",
			len(lp.Parts), aws.ToBool(lp.IsTruncated), aws.ToString(lp.NextPartNumberMarker))
	}
	lp, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id, PartNumberMarker: aws.String("2")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lp.Parts) != 1 || aws.ToInt32(lp.Parts[0].PartNumber) != 3 || aws.ToBool(lp.IsTruncated) {
		t.Errorf("ListParts after marker 2: %d parts, want only part 3", len(lp.Parts))
	}

	// The object does not exist before completion.
	expectNoObject(t, c, bucket, key)

	out, err := complete(c, bucket, key, id, parts...)
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	want := multipartETag(t, md5Hex(chunks[0]), md5Hex(chunks[1]), md5Hex(chunks[2]))
	if aws.ToString(out.ETag) != want {
		t.Errorf("multipart ETag = %s, want %s", aws.ToString(out.ETag), want)
	}
	if aws.ToString(out.Key) != key || aws.ToString(out.Bucket) != bucket {
		t.Errorf("Complete result names %s/%s", aws.ToString(out.Bucket), aws.ToString(out.Key))
	}
	if !bytes.Equal(getObject(t, c, bucket, key), bytes.Join(chunks, nil)) {
		t.Error("completed object differs from its parts")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ETag) != want || aws.ToString(head.ContentType) != "application/x-multi" ||
		!equalMetadata(head.Metadata, map[string]string{"origin": "multipart"}) {
		t.Errorf("HeadObject: ETag %s, ContentType %q, Metadata %v; want %s, the upload's type and metadata",
			aws.ToString(head.ETag), aws.ToString(head.ContentType), head.Metadata, want)
	}
	// A completed upload is gone.
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id})
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
}

func caseUploadPartCopy(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	src := randomBytes(6*mib + 100)
	putObject(t, c, bucket, "source", src)

	key := "assembled"
	id := startUpload(t, c, bucket, key)
	// Part 1: the first 5 MiB; part 2: the whole source, without a range;
	// part 3 (the last, so it may be small): the rest after 5 MiB.
	var parts []types.CompletedPart
	var want []byte
	for i, rng := range [][2]int{{0, 5*mib - 1}, {-1, -1}, {5 * mib, len(src) - 1}} {
		n := int32(i + 1)
		in := &s3.UploadPartCopyInput{
			Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(n),
			CopySource: aws.String(bucket + "/source"),
		}
		piece := src
		if rng[0] >= 0 {
			in.CopySourceRange = aws.String(fmt.Sprintf("bytes=%d-%d", rng[0], rng[1]))
			piece = src[rng[0] : rng[1]+1]
		}
		out, err := c.UploadPartCopy(ctx, in)
		if err != nil {
			t.Fatalf("UploadPartCopy(%d): %v", n, err)
		}
		if out.CopyPartResult == nil || aws.ToString(out.CopyPartResult.ETag) != `"`+md5Hex(piece)+`"` {
			t.Fatalf("UploadPartCopy(%d) result %+v, want ETag %q", n, out.CopyPartResult, md5Hex(piece))
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.CopyPartResult.ETag})
		want = append(want, piece...)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range lp.Parts {
		if aws.ToString(p.ETag) != aws.ToString(parts[i].ETag) {
			t.Errorf("ListParts part %d ETag %s, want %s", i+1, aws.ToString(p.ETag), aws.ToString(parts[i].ETag))
		}
	}
	if _, err := complete(c, bucket, key, id, parts...); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if !bytes.Equal(getObject(t, c, bucket, key), want) {
		t.Error("object assembled from copied ranges differs from the source")
	}
	putObject(t, c, bucket, "tail", []byte("tail bytes"))

	id = startUpload(t, c, bucket, "other")
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket: &bucket, Key: aws.String("other"), UploadId: &id, PartNumber: aws.Int32(1),
		CopySource: aws.String(bucket + "/source"), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", len(src), len(src)+10)),
	})
	expectError(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket: &bucket, Key: aws.String("other"), UploadId: &id, PartNumber: aws.Int32(1),
		CopySource: aws.String(bucket + "/missing"),
	})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket: &bucket, Key: aws.String("other"), UploadId: aws.String("no-such-upload"), PartNumber: aws.Int32(1),
		CopySource: aws.String(bucket + "/tail"),
	})
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
}

func caseCompleteErrors(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	big, small := randomBytes(5*mib), []byte("last part")

	t.Run("WrongETag", func(t *testing.T) {
		id := startUpload(t, c, bucket, "wrong-etag")
		p1 := uploadPart(t, c, bucket, "wrong-etag", id, 1, big)
		p2 := uploadPart(t, c, bucket, "wrong-etag", id, 2, small)
		p2.ETag = aws.String(`"` + md5Hex([]byte("other")) + `"`)
		_, err := complete(c, bucket, "wrong-etag", id, p1, p2)
		expectError(t, err, "InvalidPart", http.StatusBadRequest)
		expectNoObject(t, c, bucket, "wrong-etag")
	})
	t.Run("MissingPart", func(t *testing.T) {
		id := startUpload(t, c, bucket, "missing-part")
		p1 := uploadPart(t, c, bucket, "missing-part", id, 1, big)
		_, err := complete(c, bucket, "missing-part", id, p1, types.CompletedPart{PartNumber: aws.Int32(2), ETag: aws.String(`"` + md5Hex(small) + `"`)})
		expectError(t, err, "InvalidPart", http.StatusBadRequest)
		expectNoObject(t, c, bucket, "missing-part")
	})
	t.Run("PartOrder", func(t *testing.T) {
		id := startUpload(t, c, bucket, "order")
		p1 := uploadPart(t, c, bucket, "order", id, 1, big)
		p2 := uploadPart(t, c, bucket, "order", id, 2, small)
		_, err := complete(c, bucket, "order", id, p2, p1)
		expectError(t, err, "InvalidPartOrder", http.StatusBadRequest)
		_, err = complete(c, bucket, "order", id, p1, p1)
		expectError(t, err, "InvalidPartOrder", http.StatusBadRequest)
		expectNoObject(t, c, bucket, "order")
		// The upload survives a refused completion.
		if _, err := complete(c, bucket, "order", id, p1, p2); err != nil {
			t.Errorf("completing in order after a refusal: %v", err)
		}
	})
	t.Run("EntityTooSmall", func(t *testing.T) {
		id := startUpload(t, c, bucket, "too-small")
		p1 := uploadPart(t, c, bucket, "too-small", id, 1, randomBytes(1*mib))
		p2 := uploadPart(t, c, bucket, "too-small", id, 2, small)
		_, err := complete(c, bucket, "too-small", id, p1, p2)
		expectError(t, err, "EntityTooSmall", http.StatusBadRequest)
		expectNoObject(t, c, bucket, "too-small")
		// A single small part is a valid (last) part.
		if _, err := complete(c, bucket, "too-small", id, p2); err != nil {
			t.Errorf("completing with only the small last part: %v", err)
		} else if got := getObject(t, c, bucket, "too-small"); !bytes.Equal(got, small) {
			t.Errorf("object = %q, want %q", got, small)
		}
	})
	t.Run("Subset", func(t *testing.T) {
		// Parts may be skipped: 1 and 3 of three uploaded.
		id := startUpload(t, c, bucket, "subset")
		p1 := uploadPart(t, c, bucket, "subset", id, 1, big)
		uploadPart(t, c, bucket, "subset", id, 2, []byte("skipped"))
		p3 := uploadPart(t, c, bucket, "subset", id, 3, small)
		out, err := complete(c, bucket, "subset", id, p1, p3)
		if err != nil {
			t.Fatalf("CompleteMultipartUpload: %v", err)
		}
		if want := multipartETag(t, md5Hex(big), md5Hex(small)); aws.ToString(out.ETag) != want {
			t.Errorf("ETag = %s, want %s", aws.ToString(out.ETag), want)
		}
		if !bytes.Equal(getObject(t, c, bucket, "subset"), append(bytes.Clone(big), small...)) {
			t.Error("object differs from parts 1 and 3")
		}
	})
}

func caseMultipartAbort(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	key := "aborted"
	id := startUpload(t, c, bucket, key)
	p1 := uploadPart(t, c, bucket, key, id, 1, []byte("part"))
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id}); err != nil {
		t.Fatalf("AbortMultipartUpload: %v", err)
	}
	_, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id})
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(2), Body: strings.NewReader("x")})
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = complete(c, bucket, key, id, p1)
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id})
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
	expectNoObject(t, c, bucket, key)

	// An upload id belongs to its key.
	other := startUpload(t, c, bucket, "owner")
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: aws.String("not-owner"), UploadId: &other})
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: aws.String("not-owner"), UploadId: &other})
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
	// Made-up and hostile upload ids.
	for _, bad := range []string{"made-up", "../../../etc", strings.Repeat("f", 300)} {
		_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: aws.String(bad)})
		expectError(t, err, "NoSuchUpload", http.StatusNotFound)
	}
}

func caseInvalidPartNumber(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	id := startUpload(t, c, bucket, "numbers")
	for _, n := range []int32{0, -1, 10001} {
		_, err := c.UploadPart(context.Background(), &s3.UploadPartInput{
			Bucket: &bucket, Key: aws.String("numbers"), UploadId: &id, PartNumber: aws.Int32(n), Body: strings.NewReader("x"),
		})
		expectError(t, err, "InvalidArgument", http.StatusBadRequest)
	}
	uploadPart(t, c, bucket, "numbers", id, 10000, []byte("highest"))
}

// caseMinioMultipartStream uploads a 70 MiB stream of unknown length with
// minio-go in 16 MiB parts (so five parts, all streaming-signed) and reads
// it back.
func caseMinioMultipartStream(t *testing.T, ep endpoint) {
	const size, partSize = 70 * mib, 16 * mib
	bucket := newBucket(t, ep)
	mc := minioClient(t, ep, nil)
	ctx := context.Background()

	// Expected digests, computed from the same deterministic stream.
	var partMD5s []string
	whole := sha256.New()
	src := newStream(size)
	buf := make([]byte, partSize)
	for {
		n, err := io.ReadFull(src, buf)
		if n > 0 {
			sum := md5.Sum(buf[:n])
			partMD5s = append(partMD5s, hex.EncodeToString(sum[:]))
			whole.Write(buf[:n])
		}
		if err != nil {
			break
		}
	}

	info, err := mc.PutObject(ctx, bucket, "stream/70mib.bin", newStream(size), -1, minio.PutObjectOptions{
		PartSize: partSize, ContentType: "application/x-stream",
	})
	if err != nil {
		t.Fatalf("minio PutObject: %v", err)
	}
	if info.Size != size {
		t.Errorf("uploaded %d bytes, want %d", info.Size, size)
	}
	want := multipartETag(t, partMD5s...)
	if len(partMD5s) != 5 || `"`+info.ETag+`"` != want && info.ETag != want {
		t.Errorf("ETag = %s, want %s (5 parts)", info.ETag, want)
	}

	obj, err := mc.GetObject(ctx, bucket, "stream/70mib.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	got := sha256.New()
	n, err := io.Copy(got, obj)
	if err != nil {
		t.Fatalf("reading back: %v", err)
	}
	if n != size || !bytes.Equal(got.Sum(nil), whole.Sum(nil)) {
		t.Errorf("read back %d bytes with SHA-256 %x, want %d bytes with %x", n, got.Sum(nil), size, whole.Sum(nil))
	}
	st, err := obj.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.ContentType != "application/x-stream" {
		t.Errorf("ContentType = %q", st.ContentType)
	}
}

// newStream returns a deterministic pseudo-random stream of size bytes
// that is neither a Seeker nor sized, as a pipe would be.
func newStream(size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{'s', 'e', 's', 'a', 'm', 'e'}), size)
}
