package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestConditionalWrites checks If-Match and If-None-Match on writes: the
// posix backend checks them atomically with the write, so a condition that
// holds writes and one that fails gets S3's answer (412, or 404 for
// If-Match on a missing key) and changes nothing.
func TestConditionalWrites(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	old := []byte("old content")
	etag := *putObject(t, c, bucket, "existing", old).ETag
	putObject(t, c, bucket, "src", []byte("source"))

	type cond struct {
		name        string
		exists      bool // the key holds old content before the write
		ifMatch     *string
		ifNoneMatch *string
		code        string // "" for success
		status      int
	}
	conds := []cond{
		{"If-None-Match * on an existing key", true, nil, aws.String("*"), "PreconditionFailed", 412},
		{"If-None-Match * on a new key", false, nil, aws.String("*"), "", 200},
		{"If-None-Match with the current ETag", true, nil, aws.String(etag), "PreconditionFailed", 412},
		{"If-None-Match with another ETag", true, nil, aws.String(`"0123456789abcdef0123456789abcdef"`), "", 200},
		{"If-Match with a wrong ETag", true, aws.String(`"0123456789abcdef0123456789abcdef"`), nil, "PreconditionFailed", 412},
		{"If-Match with the right ETag", true, aws.String(etag), nil, "", 200},
		{"If-Match * on an existing key", true, aws.String("*"), nil, "", 200},
		{"If-Match on a new key", false, aws.String(etag), nil, "NoSuchKey", 404},
	}
	n := 0
	// prepare returns a fresh key in the state the case starts from.
	prepare := func(t *testing.T, tc cond) string {
		n++
		key := fmt.Sprintf("case-%d", n)
		if tc.exists {
			putObject(t, c, bucket, key, old)
		}
		return key
	}
	// after checks the key holds want when the write succeeded, else what
	// it held before.
	after := func(t *testing.T, tc cond, key string, err error, want []byte) {
		t.Helper()
		switch {
		case tc.code != "":
			expectError(t, err, tc.code, tc.status)
			if tc.exists {
				expectObject(t, c, bucket, key, old)
			} else {
				expectNoObject(t, c, bucket, key)
			}
		case err != nil:
			t.Fatalf("write: %v, want success", err)
		default:
			expectObject(t, c, bucket, key, want)
		}
	}
	for _, tc := range conds {
		t.Run("PutObject/"+tc.name, func(t *testing.T) {
			key := prepare(t, tc)
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte("new content")),
				IfMatch: tc.ifMatch, IfNoneMatch: tc.ifNoneMatch})
			after(t, tc, key, err, []byte("new content"))
		})
		t.Run("CopyObject/"+tc.name, func(t *testing.T) {
			key := prepare(t, tc)
			_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: &key, CopySource: aws.String(bucket + "/src"),
				IfMatch: tc.ifMatch, IfNoneMatch: tc.ifNoneMatch})
			after(t, tc, key, err, []byte("source"))
		})
		t.Run("CompleteMultipartUpload/"+tc.name, func(t *testing.T) {
			key := prepare(t, tc)
			mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
			if err != nil {
				t.Fatalf("CreateMultipartUpload: %v", err)
			}
			defer c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: mpu.UploadId})
			part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: mpu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
			if err != nil {
				t.Fatalf("UploadPart: %v", err)
			}
			_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: mpu.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}},
				IfMatch:         tc.ifMatch, IfNoneMatch: tc.ifNoneMatch})
			after(t, tc, key, err, []byte("part"))
			if tc.code != "" {
				// The upload is left as it was: the client may retry without the condition.
				if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: &key, UploadId: mpu.UploadId}); err != nil {
					t.Errorf("ListParts after a refused completion: %v", err)
				}
			}
		})
	}

	// Of concurrent If-None-Match: * writers of one new key, exactly one wins.
	t.Run("PutObject/If-None-Match race", func(t *testing.T) {
		const writers = 12
		var wg sync.WaitGroup
		results := make(chan error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("race"),
					Body: bytes.NewReader(fmt.Appendf(nil, "writer %d", i)), IfNoneMatch: aws.String("*")})
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			if err == nil {
				won++
			} else {
				expectError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
			}
		}
		if won != 1 {
			t.Fatalf("%d of %d If-None-Match writers succeeded, want exactly 1", won, writers)
		}
	})

	t.Run("DeleteObject", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			key     string
			ifMatch string
			code    string
			status  int
		}{
			{"If-Match with a wrong ETag", "existing", `"0123456789abcdef0123456789abcdef"`, "PreconditionFailed", 412},
		} {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &tc.key, IfMatch: &tc.ifMatch})
			expectError(t, err, tc.code, tc.status)
			expectObject(t, c, bucket, tc.key, old)
		}
		putObject(t, c, bucket, "doomed", old)
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("doomed"), IfMatch: &etag}); err != nil {
			t.Fatalf("DeleteObject with the right If-Match: %v", err)
		}
		expectNoObject(t, c, bucket, "doomed")
		// S3 answers an If-Match delete of a missing key with success.
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("missing"), IfMatch: &etag}); err != nil {
			t.Errorf("DeleteObject If-Match of a missing key: %v, want 204", err)
		}
		for h, v := range map[string]string{"x-amz-if-match-size": "12", "x-amz-if-match-last-modified-time": "Thu, 01 Jan 2015 00:00:00 GMT"} {
			_, err := sdkClient(ep, withHeader(h, v)).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("existing")})
			expectError(t, err, "PreconditionFailed", 412)
			expectObject(t, c, bucket, "existing", old)
		}
	})

	t.Run("DeleteObjects", func(t *testing.T) {
		putObject(t, c, bucket, "plain", []byte("x"))
		putObject(t, c, bucket, "matched", old)
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("existing"), ETag: aws.String(`"0123456789abcdef0123456789abcdef"`)},
			{Key: aws.String("existing"), Size: aws.Int64(12)},
			{Key: aws.String("existing"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")},
			{Key: aws.String("missing"), ETag: aws.String(etag)},
			{Key: aws.String("plain")},
			{Key: aws.String("matched"), ETag: aws.String(etag)},
		}}})
		if err != nil {
			t.Fatalf("DeleteObjects: %v", err)
		}
		var codes []string
		for _, e := range out.Errors {
			codes = append(codes, aws.ToString(e.Code))
		}
		if want := "[PreconditionFailed PreconditionFailed InvalidArgument]"; fmt.Sprint(codes) != want {
			t.Errorf("DeleteObjects errors = %v, want %s", codes, want)
		}
		var deleted []string
		for _, d := range out.Deleted {
			deleted = append(deleted, aws.ToString(d.Key))
		}
		if want := "[missing plain matched]"; fmt.Sprint(deleted) != want {
			t.Errorf("DeleteObjects deleted = %v, want %s", deleted, want)
		}
		expectObject(t, c, bucket, "existing", old)
		expectNoObject(t, c, bucket, "plain")
		expectNoObject(t, c, bucket, "matched")
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
