package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestGateway_ChecksumsTagging runs additional checksums and object tags
// through the S3 backend: a multipart upload by the SDK's transfer
// manager with its default per-part checksums (CRC32), a PutObject whose
// x-amz-checksum-crc32 is wrong (BadDigest, and nothing upstream), and
// tags set at PutObject and by PutObjectTagging.
func TestGateway_ChecksumsTagging(t *testing.T) { runGatewayChecksums(t) }

// TestGatewaySingle_ChecksumsTagging is the same in single-bucket mode.
func TestGatewaySingle_ChecksumsTagging(t *testing.T) { runGatewayChecksums(t) }

func runGatewayChecksums(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ep, _ := startServerOn(t, dir)
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	up := upstreamFor(t, dir)
	upc := sdkClient(endpoint{URL: up.Endpoint, AccessKey: up.AccessKey, SecretKey: up.SecretKey, Region: testRegion})
	upLoc := func(key string) (string, string) {
		if up.Bucket != "" {
			return up.Bucket, bucket + "/" + key
		}
		return up.BucketPrefix + bucket, key
	}

	t.Run("ManagerMultipart", func(t *testing.T) {
		data := randomBytes(12<<20 + 12345)
		u := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 3 })
		out, err := u.Upload(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("big"), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatalf("Upload: %v", err)
		}
		if aws.ToString(out.ChecksumCRC32) == "" {
			t.Errorf("Upload: no CRC32 checksum in the completion (the SDK's default)")
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("big"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt64(head.ContentLength) != int64(len(data)) || aws.ToString(head.ChecksumCRC32) != aws.ToString(out.ChecksumCRC32) {
			t.Errorf("HeadObject = %d bytes, CRC32 %q; want %d, %q", aws.ToInt64(head.ContentLength), aws.ToString(head.ChecksumCRC32), len(data), aws.ToString(out.ChecksumCRC32))
		}
		// The SDK's default for multipart uploads is a full-object CRC32.
		if head.ChecksumType == types.ChecksumTypeFullObject && aws.ToString(head.ChecksumCRC32) != checksumOf(types.ChecksumAlgorithmCrc32, data) {
			t.Errorf("full-object CRC32 = %q, want %q", aws.ToString(head.ChecksumCRC32), checksumOf(types.ChecksumAlgorithmCrc32, data))
		}
		attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("big"),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts, types.ObjectAttributesChecksum}})
		if err != nil {
			t.Fatalf("GetObjectAttributes: %v", err)
		}
		if attrs.ObjectParts == nil || aws.ToInt32(attrs.ObjectParts.TotalPartsCount) != 3 {
			t.Errorf("GetObjectAttributes parts = %+v, want 3", attrs.ObjectParts)
		}
		got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("big"), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, data) {
			t.Errorf("GetObject: %d bytes differ from the %d uploaded", len(body), len(data))
		}
	})

	t.Run("WrongCRC32", func(t *testing.T) {
		wrong := checksumOf(types.ChecksumAlgorithmCrc32, []byte("something else"))
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bad"), Body: bytes.NewReader([]byte("the body")), ChecksumCRC32: &wrong})
		expectError(t, err, "BadDigest", http.StatusBadRequest)
		expectNoObject(t, c, bucket, "bad")
		upBucket, upKey := upLoc("bad")
		if _, err := upc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &upBucket, Key: &upKey}); httpStatus(err) != http.StatusNotFound {
			t.Errorf("upstream HeadObject of a refused body: %v, want 404", err)
		}
	})

	t.Run("Tagging", func(t *testing.T) {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("tagged"), Body: bytes.NewReader([]byte("x")), Tagging: aws.String("a=1&b=2")}); err != nil {
			t.Fatal(err)
		}
		tags := func() []types.Tag {
			t.Helper()
			out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: aws.String("tagged")})
			if err != nil {
				t.Fatalf("GetObjectTagging: %v", err)
			}
			return out.TagSet
		}
		if ts := tags(); len(ts) != 2 || aws.ToString(ts[0].Key) != "a" || aws.ToString(ts[1].Value) != "2" {
			t.Errorf("tags from PutObject = %+v", ts)
		}
		if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("tagged"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("c"), Value: aws.String("3")}}}}); err != nil {
			t.Fatalf("PutObjectTagging: %v", err)
		}
		if ts := tags(); len(ts) != 1 || aws.ToString(ts[0].Key) != "c" {
			t.Errorf("tags after PutObjectTagging = %+v", ts)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("tagged")})
		if err != nil || aws.ToInt32(head.TagCount) != 1 {
			t.Errorf("HeadObject tag count = %d, %v; want 1", aws.ToInt32(head.TagCount), err)
		}
		if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &bucket, Key: aws.String("tagged")}); err != nil {
			t.Fatalf("DeleteObjectTagging: %v", err)
		}
		if ts := tags(); len(ts) != 0 {
			t.Errorf("tags after DeleteObjectTagging = %+v", ts)
		}
	})
}
