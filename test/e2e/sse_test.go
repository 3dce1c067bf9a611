package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// sseCustomer returns an SSE-C key's base64 and base64 MD5.
func sseCustomer() (key, keyMD5 string) {
	k := make([]byte, 32)
	rand.Read(k)
	sum := md5.Sum(k)
	return base64.StdEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(sum[:])
}

func readAll(t *testing.T, out *s3.GetObjectOutput, err error) []byte {
	t.Helper()
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return b
}

// TestSSE_CustomerKeyOverTLS stores, reads, ranges, copies and uploads in
// parts with SSE-C through aws-sdk-go-v2 over HTTPS, and checks S3's
// answers to a missing or wrong key.
func TestSSE_CustomerKeyOverTLS(t *testing.T) {
	ep := startTLSServer(t)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	key, keyMD5 := sseCustomer()
	other, otherMD5 := sseCustomer()
	alg := aws.String("AES256")
	data := bytes.Repeat([]byte("customer secret "), 9000)

	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("obj"), Body: bytes.NewReader(data),
		SSECustomerAlgorithm: alg, SSECustomerKey: &key, SSECustomerKeyMD5: &keyMD5})
	if err != nil {
		t.Fatalf("PutObject SSE-C: %v", err)
	}
	sum := md5.Sum(data)
	if strings.Trim(aws.ToString(put.ETag), `"`) == hex.EncodeToString(sum[:]) {
		t.Error("SSE-C ETag is the plaintext MD5")
	}
	if aws.ToString(put.SSECustomerKeyMD5) != keyMD5 {
		t.Errorf("PutObject key MD5 %q, want %q", aws.ToString(put.SSECustomerKeyMD5), keyMD5)
	}

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("obj")})
	expectError(t, err, "InvalidRequest", http.StatusBadRequest)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("obj"), SSECustomerAlgorithm: alg, SSECustomerKey: &other, SSECustomerKeyMD5: &otherMD5})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("obj"), SSECustomerAlgorithm: alg, SSECustomerKey: &other, SSECustomerKeyMD5: &otherMD5})
	if httpStatus(err) != http.StatusForbidden {
		t.Errorf("HeadObject with another key: %v, want 403", err)
	}

	get := func(rg *string) []byte {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("obj"), Range: rg,
			SSECustomerAlgorithm: alg, SSECustomerKey: &key, SSECustomerKeyMD5: &keyMD5})
		return readAll(t, out, err)
	}
	if !bytes.Equal(get(nil), data) {
		t.Fatal("GetObject SSE-C: wrong plaintext")
	}
	if got := get(aws.String("bytes=70000-70009")); !bytes.Equal(got, data[70000:70010]) {
		t.Errorf("ranged GetObject SSE-C: %q", got)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("obj"), SSECustomerAlgorithm: alg, SSECustomerKey: &key, SSECustomerKeyMD5: &keyMD5})
	if err != nil || aws.ToInt64(head.ContentLength) != int64(len(data)) || aws.ToString(head.SSECustomerAlgorithm) != "AES256" {
		t.Fatalf("HeadObject SSE-C: %v %+v", err, head)
	}

	// Copy with a new key.
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/obj"),
		CopySourceSSECustomerAlgorithm: alg, CopySourceSSECustomerKey: &key, CopySourceSSECustomerKeyMD5: &keyMD5,
		SSECustomerAlgorithm: alg, SSECustomerKey: &other, SSECustomerKeyMD5: &otherMD5})
	if err != nil {
		t.Fatalf("CopyObject SSE-C: %v", err)
	}
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("copy"), SSECustomerAlgorithm: alg, SSECustomerKey: &other, SSECustomerKeyMD5: &otherMD5})
	if !bytes.Equal(readAll(t, out, err), data) {
		t.Fatal("copy under a new key: wrong plaintext")
	}

	// Multipart: 5 MiB + a tail, ranged read across the part boundary.
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu"),
		SSECustomerAlgorithm: alg, SSECustomerKey: &key, SSECustomerKeyMD5: &keyMD5})
	if err != nil {
		t.Fatalf("CreateMultipartUpload SSE-C: %v", err)
	}
	p1, p2 := make([]byte, 5<<20), []byte("the tail part")
	rand.Read(p1)
	var parts []types.CompletedPart
	for i, p := range [][]byte{p1, p2} {
		up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId, PartNumber: aws.Int32(int32(i + 1)),
			Body: bytes.NewReader(p), SSECustomerAlgorithm: alg, SSECustomerKey: &key, SSECustomerKeyMD5: &keyMD5})
		if err != nil {
			t.Fatalf("UploadPart %d: %v", i+1, err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: up.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	out, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("mpu"), Range: aws.String("bytes=5242870-5242889"),
		SSECustomerAlgorithm: alg, SSECustomerKey: &key, SSECustomerKeyMD5: &keyMD5})
	whole := append(p1, p2...)
	if got := readAll(t, out, err); !bytes.Equal(got, whole[5242870:5242890]) {
		t.Errorf("range across parts: %q", got)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("mpu")})
	if err != nil || len(list.Contents) != 1 || aws.ToInt64(list.Contents[0].Size) != int64(len(whole)) {
		t.Fatalf("listing of the SSE-C multipart object: %v %+v", err, list)
	}
}

// TestSSE_BucketDefaultAndLifecycle sets a bucket's default encryption and
// lifecycle through the SDK and checks their effects on PutObject.
func TestSSE_BucketDefaultAndLifecycle(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)

	_, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket})
	expectError(t, err, "ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound)
	_, err = c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &bucket, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
		Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
	if err != nil {
		t.Fatalf("PutBucketEncryption: %v", err)
	}
	enc, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket})
	if err != nil || enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != types.ServerSideEncryptionAes256 {
		t.Fatalf("GetBucketEncryption: %v", err)
	}
	out := putObject(t, c, bucket, "logs/a", []byte("encrypted by default"))
	if out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Errorf("PutObject under a default: ServerSideEncryption %q", out.ServerSideEncryption)
	}
	sum := md5.Sum([]byte("encrypted by default"))
	if strings.Trim(aws.ToString(out.ETag), `"`) != hex.EncodeToString(sum[:]) {
		t.Errorf("SSE-S3 ETag %s is not the plaintext MD5", aws.ToString(out.ETag))
	}
	expectObject(t, c, bucket, "logs/a", []byte("encrypted by default"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("k"), Body: strings.NewReader("x"), ServerSideEncryption: types.ServerSideEncryptionAwsKmsDsse})
	expectError(t, err, "NotImplemented", http.StatusNotImplemented)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("k"), Body: strings.NewReader("x"), ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("no-such-key")})
	expectError(t, err, "KMS.NotFoundException", http.StatusBadRequest)

	_, err = c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &bucket})
	expectError(t, err, "NoSuchLifecycleConfiguration", http.StatusNotFound)
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &bucket, LifecycleConfiguration: &types.BucketLifecycleConfiguration{
		Rules: []types.LifecycleRule{{ID: aws.String("logs"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("logs/")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(7)}}}}})
	if err != nil {
		t.Fatalf("PutBucketLifecycleConfiguration: %v", err)
	}
	lc, err := c.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &bucket})
	if err != nil || len(lc.Rules) != 1 || aws.ToString(lc.Rules[0].ID) != "logs" || aws.ToInt32(lc.Rules[0].Expiration.Days) != 7 {
		t.Fatalf("GetBucketLifecycleConfiguration: %v %+v", err, lc)
	}
	out = putObject(t, c, bucket, "logs/b", []byte("x"))
	if exp := aws.ToString(out.Expiration); !strings.Contains(exp, `rule-id="logs"`) {
		t.Errorf("PutObject Expiration %q", exp)
	}
	_, err = c.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: &bucket, LifecycleConfiguration: &types.BucketLifecycleConfiguration{
		Rules: []types.LifecycleRule{{ID: aws.String("zero"), Status: types.ExpirationStatusEnabled, Filter: &types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration: &types.LifecycleExpiration{Days: aws.Int32(0)}}}}})
	expectError(t, err, "InvalidArgument", http.StatusBadRequest)
	if _, err := c.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: &bucket}); err != nil {
		t.Fatalf("DeleteBucketLifecycle: %v", err)
	}
	if _, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: &bucket}); err != nil {
		t.Fatalf("DeleteBucketEncryption: %v", err)
	}
}
