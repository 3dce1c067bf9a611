package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

// TestChecksums_AttributesAuthz checks that GetObjectAttributes needs both
// s3:GetObjectAttributes and s3:GetObject, as on S3: either alone is
// AccessDenied.
func TestChecksums_AttributesAuthz(t *testing.T) {
	ctx := context.Background()
	root, _ := startServerOn(t, t.TempDir())
	admin := iamClient(root)
	rootS3 := sdkClient(root)
	bucket := newBucket(t, root)
	putObject(t, rootS3, bucket, "k", []byte("data"))
	attrs := &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("k"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}}
	for i, tc := range []struct {
		actions string
		allowed bool
	}{
		{`"s3:GetObject"`, false},
		{`"s3:GetObjectAttributes"`, false},
		{`"s3:GetObject","s3:GetObjectAttributes"`, true},
	} {
		user := fmt.Sprintf("attr-user-%d", i)
		if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: &user}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: &user})
		if err != nil {
			t.Fatalf("CreateAccessKey: %v", err)
		}
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[%s],"Resource":"arn:aws:s3:::%s/*"}]}`, tc.actions, bucket)
		pol, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(user + "-policy"), PolicyDocument: &doc})
		if err != nil {
			t.Fatalf("CreatePolicy: %v", err)
		}
		if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: &user, PolicyArn: pol.Policy.Arn}); err != nil {
			t.Fatalf("AttachUserPolicy: %v", err)
		}
		c := sdkClient(root.withKeys(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
		out, err := c.GetObjectAttributes(ctx, attrs)
		switch {
		case tc.allowed && err != nil:
			t.Errorf("%s: GetObjectAttributes: %v", tc.actions, err)
		case tc.allowed && aws.ToInt64(out.ObjectSize) != 4:
			t.Errorf("%s: ObjectSize = %d", tc.actions, aws.ToInt64(out.ObjectSize))
		case !tc.allowed:
			expectError(t, err, "AccessDenied", http.StatusForbidden)
		}
	}
}

// TestChecksums_Boto3 runs test/boto3/test_checksums.py: boto3's default
// checksums, s3transfer's multipart uploads, GetObjectAttributes and
// partNumber.
func TestChecksums_Boto3(t *testing.T) { runBoto3(t, "test_checksums.py") }

// TestChecksums_MinioTrailer uploads with minio-go's trailing checksums
// (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER over plain http, the signed
// form) in one PUT and in a multipart upload, and reads the checksums back.
func TestChecksums_MinioTrailer(t *testing.T) {
	ep := testEndpoint(t)
	u, err := url.Parse(ep.URL)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := minio.New(u.Host, &minio.Options{Creds: minioCreds(ep), Secure: u.Scheme == "https", Region: ep.Region,
		MaxRetries: 1, TrailingHeaders: true})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	bucket := newBucket(t, ep)
	c := sdkClient(ep)
	ctx := context.Background()
	data := randomBytes(300_000)
	if _, err := mc.PutObject(ctx, bucket, "one", bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C, DisableMultipart: true}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if got, want := headChecksum(t, c, bucket, "one", types.ChecksumAlgorithmCrc32c, true), checksumOf(types.ChecksumAlgorithmCrc32c, data); got != want {
		t.Errorf("stored CRC32C = %q, want %q", got, want)
	}
	big := randomBytes(11 * mib)
	if _, err := mc.PutObject(ctx, bucket, "multi", bytes.NewReader(big), int64(len(big)),
		minio.PutObjectOptions{Checksum: minio.ChecksumSHA256, PartSize: 5 * mib}); err != nil {
		t.Fatalf("PutObject (multipart): %v", err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("multi"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if v := aws.ToString(h.ChecksumSHA256); !strings.HasSuffix(v, "-3") {
		t.Errorf("multipart SHA256 checksum = %q, want a composite of 3 parts", v)
	}
	if got := getObject(t, c, bucket, "multi"); !bytes.Equal(got, big) {
		t.Error("multipart object differs")
	}
}
