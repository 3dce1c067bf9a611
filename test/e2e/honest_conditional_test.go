package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestHonest_ConditionalWrites checks If-Match and If-None-Match on
// writes. Sesame's backend cannot check and write atomically, so a
// condition that fails gets S3's answer (412, or 404 for If-Match on a
// missing key) and one that holds gets 501: never an unconditional write.
func TestHonest_ConditionalWrites(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	old := []byte("old content")
	etag := *putObject(t, c, bucket, "existing", old).ETag
	putObject(t, c, bucket, "src", []byte("source"))

	type cond struct {
		name          string
		key           string
		ifMatch       *string
		ifNoneMatch   *string
		code          string
		status        int
		existingAfter bool // the key holds old content afterwards (else: no object)
	}
	conds := []cond{
		{"If-None-Match * on an existing key", "existing", nil, aws.String("*"), "PreconditionFailed", 412, true},
		{"If-None-Match * on a new key", "new", nil, aws.String("*"), "NotImplemented", 501, false},
		{"If-None-Match with an ETag", "new", nil, aws.String(etag), "NotImplemented", 501, false},
		{"If-Match with a wrong ETag", "existing", aws.String(`"0123456789abcdef0123456789abcdef"`), nil, "PreconditionFailed", 412, true},
		{"If-Match with the right ETag", "existing", aws.String(etag), nil, "NotImplemented", 501, true},
		{"If-Match on a new key", "new", aws.String(etag), nil, "NoSuchKey", 404, false},
	}
	after := func(t *testing.T, tc cond) {
		t.Helper()
		if tc.existingAfter {
			expectObject(t, c, bucket, tc.key, old)
		} else {
			expectNoObject(t, c, bucket, tc.key)
		}
	}
	for _, tc := range conds {
		t.Run("PutObject/"+tc.name, func(t *testing.T) {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &tc.key, Body: bytes.NewReader([]byte("new content")),
				IfMatch: tc.ifMatch, IfNoneMatch: tc.ifNoneMatch})
			expectError(t, err, tc.code, tc.status)
			after(t, tc)
		})
		t.Run("CopyObject/"+tc.name, func(t *testing.T) {
			_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: &tc.key, CopySource: aws.String(bucket + "/src"),
				IfMatch: tc.ifMatch, IfNoneMatch: tc.ifNoneMatch})
			expectError(t, err, tc.code, tc.status)
			after(t, tc)
		})
		t.Run("CompleteMultipartUpload/"+tc.name, func(t *testing.T) {
			mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &tc.key})
			if err != nil {
				t.Fatalf("CreateMultipartUpload: %v", err)
			}
			defer c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &tc.key, UploadId: mpu.UploadId})
			part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &tc.key, UploadId: mpu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
			if err != nil {
				t.Fatalf("UploadPart: %v", err)
			}
			_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &tc.key, UploadId: mpu.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}},
				IfMatch:         tc.ifMatch, IfNoneMatch: tc.ifNoneMatch})
			expectError(t, err, tc.code, tc.status)
			after(t, tc)
			// The upload is left as it was: the client may retry without the condition.
			if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &tc.key, UploadId: mpu.UploadId}); err != nil {
				t.Errorf("ListParts after a refused completion: %v", err)
			}
		})
	}

	t.Run("DeleteObject", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			key     string
			ifMatch string
			code    string
			status  int
		}{
			{"If-Match with a wrong ETag", "existing", `"0123456789abcdef0123456789abcdef"`, "PreconditionFailed", 412},
			{"If-Match with the right ETag", "existing", etag, "NotImplemented", 501},
		} {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &tc.key, IfMatch: &tc.ifMatch})
			expectError(t, err, tc.code, tc.status)
			expectObject(t, c, bucket, tc.key, old)
		}
		// S3 answers an If-Match delete of a missing key with success.
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("missing"), IfMatch: &etag}); err != nil {
			t.Errorf("DeleteObject If-Match of a missing key: %v, want 204", err)
		}
		for _, h := range []string{"x-amz-if-match-size", "x-amz-if-match-last-modified-time"} {
			_, err := sdkClient(ep, withHeader(h, "11")).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("existing")})
			expectError(t, err, "NotImplemented", 501)
			expectObject(t, c, bucket, "existing", old)
		}
	})

	t.Run("DeleteObjects", func(t *testing.T) {
		putObject(t, c, bucket, "plain", []byte("x"))
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("existing"), ETag: aws.String(`"0123456789abcdef0123456789abcdef"`)},
			{Key: aws.String("existing"), ETag: aws.String(etag)},
			{Key: aws.String("existing"), Size: aws.Int64(11)},
			{Key: aws.String("existing"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")},
			{Key: aws.String("missing"), ETag: aws.String(etag)},
			{Key: aws.String("plain")},
		}}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		var codes []string
		for _, e := range out.Errors {
			codes = append(codes, aws.ToString(e.Code))
		}
		if want := "[PreconditionFailed NotImplemented NotImplemented NotImplemented]"; fmt.Sprint(codes) != want {
			t.Errorf("DeleteObjects errors = %v, want %s", codes, want)
		}
		var deleted []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		if want := "[missing plain]"; fmt.Sprint(deleted) != want {
			t.Errorf("DeleteObjects deleted = %v, want %s", deleted, want)
		}
		expectObject(t, c, bucket, "existing", old)
		expectNoObject(t, c, bucket, "plain")
	})

	// If-Match reveals whether the ETag matches: S3 requires s3:GetObject
	// as well as s3:PutObject for it.
	t.Run("If-Match needs s3:GetObject", func(t *testing.T) {
		admin := iamClient(ep)
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::%s/*"}]}`, bucket)
		if _, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("write-only"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
		writer := sdkClient(newUser(t, ep, "writer", "arn:aws:iam::000000000000:policy/write-only"))
		_, err := writer.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("existing"), Body: bytes.NewReader([]byte("x")), IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = writer.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("existing"), IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		// If-None-Match needs only the write permission.
		_, err = writer.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("existing"), Body: bytes.NewReader([]byte("x")), IfNoneMatch: aws.String("*")})
		expectError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
		expectObject(t, c, bucket, "existing", old)
	})
}
