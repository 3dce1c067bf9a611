package e2e

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestChecksums covers additional checksums (x-amz-checksum-*),
// GetObjectAttributes and GetObject/HeadObject by partNumber with
// aws-sdk-go-v2, its default checksum behaviour included.
func TestChecksums(t *testing.T) {
	ep := testEndpoint(t)
	t.Run("PutObject", func(t *testing.T) { caseChecksumPut(t, ep) })
	t.Run("PutObjectDefault", func(t *testing.T) { caseChecksumPutDefault(t, ep) })
	t.Run("PutObjectMismatch", func(t *testing.T) { caseChecksumPutMismatch(t, ep) })
	t.Run("Trailer", func(t *testing.T) { caseChecksumTrailer(t, ep) })
	t.Run("MultipartComposite", func(t *testing.T) { caseChecksumMultipartComposite(t, ep) })
	t.Run("MultipartFullObject", func(t *testing.T) { caseChecksumMultipartFullObject(t, ep) })
	t.Run("Copy", func(t *testing.T) { caseChecksumCopy(t, ep) })
	t.Run("ObjectAttributes", func(t *testing.T) { caseObjectAttributes(t, ep) })
	t.Run("PartNumber", func(t *testing.T) { casePartNumber(t, ep) })
}

// checksumOf is the base64 checksum of data that S3 computes for alg.
func checksumOf(alg types.ChecksumAlgorithm, data []byte) string {
	var h hash.Hash
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		h = crc32.NewIEEE()
	case types.ChecksumAlgorithmCrc32c:
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case types.ChecksumAlgorithmCrc64nvme:
		h = crc64.New(crc64.MakeTable(0x9a6c9329ac4bc9b5))
	case types.ChecksumAlgorithmSha1:
		h = sha1.New()
	case types.ChecksumAlgorithmSha256:
		h = sha256.New()
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// checksumField returns the value of alg among an SDK output's fields.
func checksumField(alg types.ChecksumAlgorithm, crc32v, crc32c, crc64, sha1v, sha256v *string) string {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return aws.ToString(crc32v)
	case types.ChecksumAlgorithmCrc32c:
		return aws.ToString(crc32c)
	case types.ChecksumAlgorithmCrc64nvme:
		return aws.ToString(crc64)
	case types.ChecksumAlgorithmSha1:
		return aws.ToString(sha1v)
	}
	return aws.ToString(sha256v)
}

var allChecksums = []types.ChecksumAlgorithm{
	types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme,
	types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256,
}

func headChecksum(t *testing.T, c *s3.Client, bucket, key string, alg types.ChecksumAlgorithm, enabled bool) string {
	t.Helper()
	in := &s3.HeadObjectInput{Bucket: &bucket, Key: &key}
	if enabled {
		in.ChecksumMode = types.ChecksumModeEnabled
	}
	out, err := c.HeadObject(context.Background(), in)
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	return checksumField(alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256)
}

func caseChecksumPut(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	data := randomBytes(100_000)
	for _, alg := range allChecksums {
		key := "obj-" + string(alg)
		out := putObject(t, c, bucket, key, data, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = alg })
		want := checksumOf(alg, data)
		if got := checksumField(alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256); got != want {
			t.Errorf("%s: PutObject checksum = %q, want %q", alg, got, want)
		}
		if got := headChecksum(t, c, bucket, key, alg, false); got != "" {
			t.Errorf("%s: HeadObject without checksum mode returned %q", alg, got)
		}
		if got := headChecksum(t, c, bucket, key, alg, true); got != want {
			t.Errorf("%s: HeadObject checksum = %q, want %q", alg, got, want)
		}
		g, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key, ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("%s: GetObject: %v", alg, err)
		}
		body, err := io.ReadAll(g.Body) // the SDK validates the checksum as it reads
		g.Body.Close()
		if err != nil || !bytes.Equal(body, data) {
			t.Errorf("%s: GetObject body: %v", alg, err)
		}
		if g.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("%s: ChecksumType = %q, want FULL_OBJECT", alg, g.ChecksumType)
		}
	}
}

// caseChecksumPutDefault: the SDK's default (a CRC32 when supported) is stored.
func caseChecksumPutDefault(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	data := randomBytes(5000)
	putObject(t, c, bucket, "k", data)
	if got, want := headChecksum(t, c, bucket, "k", types.ChecksumAlgorithmCrc32, true), checksumOf(types.ChecksumAlgorithmCrc32, data); got != want {
		t.Errorf("default checksum = %q, want CRC32 %q", got, want)
	}
}

func caseChecksumPutMismatch(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	data := []byte("hello, checksums")
	for _, alg := range allChecksums {
		wrong := checksumOf(alg, []byte("something else"))
		in := &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bad"), Body: bytes.NewReader(data)}
		switch alg {
		case types.ChecksumAlgorithmCrc32:
			in.ChecksumCRC32 = &wrong
		case types.ChecksumAlgorithmCrc32c:
			in.ChecksumCRC32C = &wrong
		case types.ChecksumAlgorithmCrc64nvme:
			in.ChecksumCRC64NVME = &wrong
		case types.ChecksumAlgorithmSha1:
			in.ChecksumSHA1 = &wrong
		case types.ChecksumAlgorithmSha256:
			in.ChecksumSHA256 = &wrong
		}
		_, err := c.PutObject(context.Background(), in)
		expectError(t, err, "BadDigest", http.StatusBadRequest)
		expectNoObject(t, c, bucket, "bad")
	}
}

// caseChecksumTrailer sends aws-chunked bodies with a trailing checksum
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER) by hand: a right one is stored, a
// wrong one is BadDigest with nothing stored.
func caseChecksumTrailer(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	data := []byte("trailing checksum body")
	send := func(key, value string) rawResponse {
		body := fmt.Sprintf("%x\r\n%s\r\n0\r\nx-amz-checksum-crc32c:%s\r\n\r\n", len(data), data, value)
		req := ep.newRequest(t, http.MethodPut, "/"+bucket+"/"+key, "", []byte(body))
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		req.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		ep.sign(t, req, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", time.Now())
		return ep.do(t, req)
	}
	want := checksumOf(types.ChecksumAlgorithmCrc32c, data)
	if resp := send("good", want); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT with a right trailer: %d %s", resp.StatusCode, resp.Body)
	} else if got := resp.Header.Get("X-Amz-Checksum-Crc32c"); got != want {
		t.Errorf("PUT response x-amz-checksum-crc32c = %q, want %q", got, want)
	}
	if got := headChecksum(t, c, bucket, "good", types.ChecksumAlgorithmCrc32c, true); got != want {
		t.Errorf("stored trailing checksum = %q, want %q", got, want)
	}
	expectXMLError(t, send("bad", checksumOf(types.ChecksumAlgorithmCrc32c, []byte("x"))), http.StatusBadRequest, "BadDigest")
	expectNoObject(t, c, bucket, "bad")
}

// uploadChecksummedParts uploads parts with alg and returns them as
// CompleteMultipartUpload lists them.
func uploadChecksummedParts(t *testing.T, c *s3.Client, bucket, key, id string, alg types.ChecksumAlgorithm, parts [][]byte) []types.CompletedPart {
	t.Helper()
	var out []types.CompletedPart
	for i, p := range parts {
		n := int32(i + 1)
		res, err := c.UploadPart(context.Background(), &s3.UploadPartInput{
			Bucket: &bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(n), Body: bytes.NewReader(p), ChecksumAlgorithm: alg,
		})
		if err != nil {
			t.Fatalf("UploadPart(%d): %v", n, err)
		}
		got := checksumField(alg, res.ChecksumCRC32, res.ChecksumCRC32C, res.ChecksumCRC64NVME, res.ChecksumSHA1, res.ChecksumSHA256)
		if want := checksumOf(alg, p); got != want {
			t.Errorf("UploadPart(%d) checksum = %q, want %q", n, got, want)
		}
		cp := types.CompletedPart{PartNumber: aws.Int32(n), ETag: res.ETag}
		switch alg {
		case types.ChecksumAlgorithmCrc32:
			cp.ChecksumCRC32 = &got
		case types.ChecksumAlgorithmCrc32c:
			cp.ChecksumCRC32C = &got
		case types.ChecksumAlgorithmCrc64nvme:
			cp.ChecksumCRC64NVME = &got
		case types.ChecksumAlgorithmSha1:
			cp.ChecksumSHA1 = &got
		case types.ChecksumAlgorithmSha256:
			cp.ChecksumSHA256 = &got
		}
		out = append(out, cp)
	}
	return out
}

func caseChecksumMultipartComposite(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	ctx := context.Background()
	parts := [][]byte{randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(1000)}
	var raw []byte
	for _, p := range parts {
		v, _ := base64.StdEncoding.DecodeString(checksumOf(types.ChecksumAlgorithmSha256, p))
		raw = append(raw, v...)
	}
	want := checksumOf(types.ChecksumAlgorithmSha256, raw) + "-3"
	key := "composite"
	id := startUpload(t, c, bucket, key, func(in *s3.CreateMultipartUploadInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
	done := uploadChecksummedParts(t, c, bucket, key, id, types.ChecksumAlgorithmSha256, parts)

	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil || len(lu.Uploads) != 1 || lu.Uploads[0].ChecksumAlgorithm != types.ChecksumAlgorithmSha256 || lu.Uploads[0].ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("ListMultipartUploads = %+v, %v; want the upload with SHA256 COMPOSITE", lu, err)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: &id})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if lp.ChecksumAlgorithm != types.ChecksumAlgorithmSha256 || len(lp.Parts) != 3 || aws.ToString(lp.Parts[0].ChecksumSHA256) != aws.ToString(done[0].ChecksumSHA256) {
		t.Errorf("ListParts: algorithm %q, %d parts", lp.ChecksumAlgorithm, len(lp.Parts))
	}

	// A part checksum that is not the part's, then a wrong object checksum.
	bad := append([]types.CompletedPart(nil), done...)
	bad[1].ChecksumSHA256 = done[0].ChecksumSHA256
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: bad}})
	expectError(t, err, "InvalidPart", http.StatusBadRequest)
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
		ChecksumSHA256:  aws.String(checksumOf(types.ChecksumAlgorithmSha256, []byte("x")) + "-3"),
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	expectError(t, err, "BadDigest", http.StatusBadRequest)
	expectNoObject(t, c, bucket, key)

	out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
		ChecksumSHA256: &want, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if aws.ToString(out.ChecksumSHA256) != want || out.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("CompleteMultipartUpload checksum = %q %q, want %q COMPOSITE", aws.ToString(out.ChecksumSHA256), out.ChecksumType, want)
	}
	if got := headChecksum(t, c, bucket, key, types.ChecksumAlgorithmSha256, true); got != want {
		t.Errorf("HeadObject checksum = %q, want %q", got, want)
	}
	// A retried completion gets the same answer; other parts do not.
	again, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
		ChecksumSHA256: &want, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload again: %v", err)
	}
	if aws.ToString(again.ETag) != aws.ToString(out.ETag) || aws.ToString(again.ChecksumSHA256) != want {
		t.Errorf("retried completion = %s %s, want %s %s", aws.ToString(again.ETag), aws.ToString(again.ChecksumSHA256), aws.ToString(out.ETag), want)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done[:2]}})
	expectError(t, err, "NoSuchUpload", http.StatusNotFound)
}

func caseChecksumMultipartFullObject(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	ctx := context.Background()
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme} {
		parts := [][]byte{randomBytes(5 * mib), randomBytes(12345)}
		whole := append(append([]byte(nil), parts[0]...), parts[1]...)
		want := checksumOf(alg, whole)
		key := "full-" + string(alg)
		id := startUpload(t, c, bucket, key, func(in *s3.CreateMultipartUploadInput) {
			in.ChecksumAlgorithm, in.ChecksumType = alg, types.ChecksumTypeFullObject
		})
		done := uploadChecksummedParts(t, c, bucket, key, id, alg, parts)
		in := &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id, ChecksumType: types.ChecksumTypeFullObject,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}
		switch alg {
		case types.ChecksumAlgorithmCrc32:
			in.ChecksumCRC32 = &want
		case types.ChecksumAlgorithmCrc32c:
			in.ChecksumCRC32C = &want
		default:
			in.ChecksumCRC64NVME = &want
		}
		out, err := c.CompleteMultipartUpload(ctx, in)
		if err != nil {
			t.Fatalf("%s: CompleteMultipartUpload: %v", alg, err)
		}
		if got := checksumField(alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, nil, nil); got != want || out.ChecksumType != types.ChecksumTypeFullObject {
			t.Errorf("%s: CompleteMultipartUpload checksum = %q %q, want %q FULL_OBJECT", alg, got, out.ChecksumType, want)
		}
	}
	// SHA256 has no full-object form.
	_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("x"),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256, ChecksumType: types.ChecksumTypeFullObject})
	expectError(t, err, "InvalidRequest", http.StatusBadRequest)
}

func caseChecksumCopy(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	data := randomBytes(3000)
	putObject(t, c, bucket, "src", data)
	out, err := c.CopyObject(context.Background(), &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("dst"),
		CopySource: aws.String(bucket + "/src"), ChecksumAlgorithm: types.ChecksumAlgorithmSha1})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	want := checksumOf(types.ChecksumAlgorithmSha1, data)
	if got := aws.ToString(out.CopyObjectResult.ChecksumSHA1); got != want {
		t.Errorf("CopyObject checksum = %q, want %q", got, want)
	}
	if got := headChecksum(t, c, bucket, "dst", types.ChecksumAlgorithmSha1, true); got != want {
		t.Errorf("copy's stored checksum = %q, want %q", got, want)
	}
}

func caseObjectAttributes(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	ctx := context.Background()
	all := []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts,
		types.ObjectAttributesStorageClass, types.ObjectAttributesObjectSize}
	data := randomBytes(777)
	put := putObject(t, c, bucket, "single", data, func(in *s3.PutObjectInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmSha256 })
	out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("single"), ObjectAttributes: all})
	if err != nil {
		t.Fatalf("GetObjectAttributes: %v", err)
	}
	if `"`+aws.ToString(out.ETag)+`"` != aws.ToString(put.ETag) || aws.ToInt64(out.ObjectSize) != 777 || out.StorageClass != types.StorageClassStandard ||
		out.ObjectParts != nil || out.Checksum == nil || aws.ToString(out.Checksum.ChecksumSHA256) != checksumOf(types.ChecksumAlgorithmSha256, data) {
		t.Errorf("GetObjectAttributes(single) = etag %q size %d class %q parts %v checksum %v", aws.ToString(out.ETag), aws.ToInt64(out.ObjectSize), out.StorageClass, out.ObjectParts, out.Checksum)
	}

	key := "multi"
	id := startUpload(t, c, bucket, key, func(in *s3.CreateMultipartUploadInput) { in.ChecksumAlgorithm = types.ChecksumAlgorithmCrc32c })
	parts := [][]byte{randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(10)}
	done := uploadChecksummedParts(t, c, bucket, key, id, types.ChecksumAlgorithmCrc32c, parts)
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	out, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: &key, ObjectAttributes: all,
		MaxParts: aws.Int32(2), PartNumberMarker: aws.String("1")})
	if err != nil {
		t.Fatalf("GetObjectAttributes(multi): %v", err)
	}
	op := out.ObjectParts
	if op == nil || aws.ToInt32(op.TotalPartsCount) != 4 || !aws.ToBool(op.IsTruncated) || aws.ToString(op.NextPartNumberMarker) != "3" || len(op.Parts) != 2 {
		t.Fatalf("ObjectParts = %+v", op)
	}
	if aws.ToInt32(op.Parts[0].PartNumber) != 2 || aws.ToInt64(op.Parts[0].Size) != 5*mib ||
		aws.ToString(op.Parts[0].ChecksumCRC32C) != checksumOf(types.ChecksumAlgorithmCrc32c, parts[1]) {
		t.Errorf("ObjectParts.Parts[0] = %+v", op.Parts[0])
	}
	if out.Checksum == nil || out.Checksum.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("Checksum = %+v, want a COMPOSITE one", out.Checksum)
	}
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("missing"), ObjectAttributes: all})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
}

func casePartNumber(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	ctx := context.Background()
	key := "mp"
	parts := [][]byte{randomBytes(5 * mib), randomBytes(5 * mib), randomBytes(4321)}
	id := startUpload(t, c, bucket, key)
	var done []types.CompletedPart
	for i, p := range parts {
		done = append(done, uploadPart(t, c, bucket, key, id, int32(i+1), p))
	}
	res, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	var offset int
	for i, p := range parts {
		n := aws.Int32(int32(i + 1))
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key, PartNumber: n})
		if err != nil {
			t.Fatalf("HeadObject(part %d): %v", i+1, err)
		}
		if aws.ToInt32(h.PartsCount) != 3 || aws.ToInt64(h.ContentLength) != int64(len(p)) || aws.ToString(h.ETag) != aws.ToString(res.ETag) {
			t.Errorf("HeadObject(part %d) = count %d length %d etag %s", i+1, aws.ToInt32(h.PartsCount), aws.ToInt64(h.ContentLength), aws.ToString(h.ETag))
		}
		g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, PartNumber: n})
		if err != nil {
			t.Fatalf("GetObject(part %d): %v", i+1, err)
		}
		body, _ := io.ReadAll(g.Body)
		g.Body.Close()
		wantRange := fmt.Sprintf("bytes %d-%d/%d", offset, offset+len(p)-1, 10*mib+4321)
		if !bytes.Equal(body, p) || aws.ToInt32(g.PartsCount) != 3 || aws.ToString(g.ContentRange) != wantRange {
			t.Errorf("GetObject(part %d): %d bytes, count %d, range %q (want %q)", i+1, len(body), aws.ToInt32(g.PartsCount), aws.ToString(g.ContentRange), wantRange)
		}
		offset += len(p)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, PartNumber: aws.Int32(4)})
	expectError(t, err, "InvalidPart", http.StatusBadRequest)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key, PartNumber: aws.Int32(1), Range: aws.String("bytes=0-1")})
	expectError(t, err, "InvalidRequest", http.StatusBadRequest)

	putObject(t, c, bucket, "single", []byte("body"))
	g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("single"), PartNumber: aws.Int32(1)})
	if err != nil {
		t.Fatalf("GetObject(single, part 1): %v", err)
	}
	body, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if string(body) != "body" {
		t.Errorf("GetObject(single, part 1) = %q", body)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("single"), PartNumber: aws.Int32(2)})
	expectError(t, err, "InvalidPart", http.StatusBadRequest)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("missing"), PartNumber: aws.Int32(1)})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
}
