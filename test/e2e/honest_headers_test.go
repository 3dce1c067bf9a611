package e2e

// Headers that ask for a feature Sesame lacks (encryption, object lock,
// tagging, ACLs, storage classes, ...) must be refused with S3's error,
// and nothing written: a client must never believe its data is encrypted,
// locked or protected when it is not. These tests assert Sesame's
// decisions (docs/S3.md, "Headers Sesame refuses"), some of which differ
// from AWS's success, so they always run against an in-process server.

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// An SSE-C key as SDKs send it: base64 of 32 bytes and of their MD5.
var (
	sseCKey    = bytes.Repeat([]byte{0x42}, 32)
	sseCKeyB64 = base64.StdEncoding.EncodeToString(sseCKey)
	sseCKeyMD5 = func() string { s := md5.Sum(sseCKey); return base64.StdEncoding.EncodeToString(s[:]) }()
)

// withHeader adds a header to an SDK request before it is signed.
func withHeader(name, value string) func(*s3.Options) {
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue(name, value))
	}
}

// refusedHeader is a header set on an object write and the error it gets.
type refusedHeader struct {
	name    string
	headers map[string]string
	// put sets the same request through the SDK's own PutObject fields.
	put    func(*s3.PutObjectInput)
	code   string
	status int
}

// objectWriteRefusals are the header classes refused on PutObject,
// CopyObject and CreateMultipartUpload.
var objectWriteRefusals = []refusedHeader{
	{"SSE-KMS", map[string]string{"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "alias/k"},
		func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String("alias/k")
		}, "KMS.NotFoundException", 400}, // no such key in the server's keyring
	{"DSSE-KMS", map[string]string{"x-amz-server-side-encryption": "aws:kms:dsse"},
		func(in *s3.PutObjectInput) { in.ServerSideEncryption = types.ServerSideEncryptionAwsKmsDsse }, "NotImplemented", 501},
	{"SSE-KMS key id alone", map[string]string{"x-amz-server-side-encryption-aws-kms-key-id": "alias/k"},
		func(in *s3.PutObjectInput) { in.SSEKMSKeyId = aws.String("alias/k") }, "InvalidArgument", 400},
	{"SSE-KMS context", map[string]string{"x-amz-server-side-encryption-context": "e30="},
		func(in *s3.PutObjectInput) { in.SSEKMSEncryptionContext = aws.String("e30=") }, "InvalidArgument", 400},
	{"SSE unknown", map[string]string{"x-amz-server-side-encryption": "rot13"},
		func(in *s3.PutObjectInput) { in.ServerSideEncryption = "rot13" }, "InvalidArgument", 400},
	{"SSE-C", map[string]string{
		"x-amz-server-side-encryption-customer-algorithm": "AES256",
		"x-amz-server-side-encryption-customer-key":       sseCKeyB64,
		"x-amz-server-side-encryption-customer-key-MD5":   sseCKeyMD5,
	}, func(in *s3.PutObjectInput) {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(sseCKeyB64), aws.String(sseCKeyMD5)
	}, "InvalidRequest", 400}, // over plain http: the key crossed the network in clear
	{"canned ACL public-read", map[string]string{"x-amz-acl": "public-read"},
		func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPublicRead }, "AccessControlListNotSupported", 400},
	{"canned ACL authenticated-read", map[string]string{"x-amz-acl": "authenticated-read"},
		func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLAuthenticatedRead }, "AccessControlListNotSupported", 400},
	{"canned ACL unknown", map[string]string{"x-amz-acl": "everyone"},
		func(in *s3.PutObjectInput) { in.ACL = "everyone" }, "InvalidArgument", 400},
	{"grant read", map[string]string{"x-amz-grant-read": `uri="http://acs.amazonaws.com/groups/global/AllUsers"`},
		func(in *s3.PutObjectInput) {
			in.GrantRead = aws.String(`uri="http://acs.amazonaws.com/groups/global/AllUsers"`)
		}, "AccessControlListNotSupported", 400},
	{"grant full control", map[string]string{"x-amz-grant-full-control": "id=someone"},
		func(in *s3.PutObjectInput) { in.GrantFullControl = aws.String("id=someone") }, "AccessControlListNotSupported", 400},
	{"tagging with a reserved key", map[string]string{"x-amz-tagging": "aws:team=a"},
		func(in *s3.PutObjectInput) { in.Tagging = aws.String("aws:team=a") }, "InvalidTag", 400},
	{"tagging with 11 tags", map[string]string{"x-amz-tagging": "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11"},
		func(in *s3.PutObjectInput) { in.Tagging = aws.String("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11") }, "InvalidTag", 400},
	{"storage class GLACIER", map[string]string{"x-amz-storage-class": "GLACIER"},
		func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassGlacier }, "InvalidStorageClass", 400},
	{"storage class DEEP_ARCHIVE", map[string]string{"x-amz-storage-class": "DEEP_ARCHIVE"},
		func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassDeepArchive }, "InvalidStorageClass", 400},
	{"storage class REDUCED_REDUNDANCY", map[string]string{"x-amz-storage-class": "REDUCED_REDUNDANCY"},
		func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassReducedRedundancy }, "InvalidStorageClass", 400},
	{"object lock retention", map[string]string{"x-amz-object-lock-mode": "COMPLIANCE", "x-amz-object-lock-retain-until-date": "2099-01-01T00:00:00Z"},
		func(in *s3.PutObjectInput) {
			in.ObjectLockMode, in.ObjectLockRetainUntilDate = types.ObjectLockModeCompliance, aws.Time(time.Now().Add(24*time.Hour))
		}, "InvalidRequest", 400}, // the bucket has no Object Lock configuration
	{"object lock legal hold", map[string]string{"x-amz-object-lock-legal-hold": "ON"},
		func(in *s3.PutObjectInput) { in.ObjectLockLegalHoldStatus = types.ObjectLockLegalHoldStatusOn }, "InvalidRequest", 400},
	{"website redirect", map[string]string{"x-amz-website-redirect-location": "/elsewhere"},
		func(in *s3.PutObjectInput) { in.WebsiteRedirectLocation = aws.String("/elsewhere") }, "NotImplemented", 501},
	{"append", map[string]string{"x-amz-write-offset-bytes": "3"},
		func(in *s3.PutObjectInput) { in.WriteOffsetBytes = aws.Int64(3) }, "NotImplemented", 501},
	{"expected bucket owner", map[string]string{"x-amz-expected-bucket-owner": "111122223333"},
		func(in *s3.PutObjectInput) { in.ExpectedBucketOwner = aws.String("111122223333") }, "AccessDenied", 403},
}

// headerEdits returns client options adding headers.
func headerEdits(headers map[string]string) []func(*s3.Options) {
	var edits []func(*s3.Options)
	for k, v := range headers {
		edits = append(edits, withHeader(k, v))
	}
	return edits
}

// expectObject fails the test unless key holds data.
func expectObject(t testing.TB, c *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	if got := getObject(t, c, bucket, key); !bytes.Equal(got, data) {
		t.Errorf("%s/%s after a refused write = %q, want %q", bucket, key, got, data)
	}
}

// expectNoUploads fails the test unless bucket has no multipart upload.
func expectNoUploads(t testing.TB, c *s3.Client, bucket string) {
	t.Helper()
	out, err := c.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(out.Uploads) != 0 {
		t.Errorf("a refused CreateMultipartUpload left %d uploads", len(out.Uploads))
	}
}

func TestHonest_ObjectWriteHeaders(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	old := []byte("old content")
	putObject(t, c, bucket, "src", []byte("source"))

	for _, tc := range objectWriteRefusals {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("PutObject/new", func(t *testing.T) {
				key := "new"
				in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte("data"))}
				tc.put(in)
				_, err := c.PutObject(ctx, in)
				expectError(t, err, tc.code, tc.status)
				expectNoObject(t, c, bucket, key)
			})
			t.Run("PutObject/existing", func(t *testing.T) {
				key := "existing"
				putObject(t, c, bucket, key, old)
				in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte("new content"))}
				tc.put(in)
				_, err := c.PutObject(ctx, in)
				expectError(t, err, tc.code, tc.status)
				expectObject(t, c, bucket, key, old)
			})
			t.Run("CopyObject", func(t *testing.T) {
				_, err := sdkClient(ep, headerEdits(tc.headers)...).CopyObject(ctx, &s3.CopyObjectInput{
					Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/src"),
				})
				expectError(t, err, tc.code, tc.status)
				expectNoObject(t, c, bucket, "copy")
			})
			t.Run("CreateMultipartUpload", func(t *testing.T) {
				_, err := sdkClient(ep, headerEdits(tc.headers)...).CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
					Bucket: &bucket, Key: aws.String("mpu"),
				})
				expectError(t, err, tc.code, tc.status)
				expectNoUploads(t, c, bucket)
			})
		})
	}

	// What every SDK may send, and what is true of every object here.
	for _, tc := range []struct {
		name string
		put  func(*s3.PutObjectInput)
	}{
		{"canned ACL private", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLPrivate }},
		{"canned ACL bucket-owner-full-control", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl }},
		{"storage class STANDARD", func(in *s3.PutObjectInput) { in.StorageClass = types.StorageClassStandard }},
		{"request payer", func(in *s3.PutObjectInput) { in.RequestPayer = types.RequestPayerRequester }},
		{"expected bucket owner", func(in *s3.PutObjectInput) { in.ExpectedBucketOwner = aws.String("000000000000") }},
	} {
		t.Run("accepted/"+tc.name, func(t *testing.T) {
			putObject(t, c, bucket, "accepted", []byte(tc.name), tc.put)
			expectObject(t, c, bucket, "accepted", []byte(tc.name))
		})
	}
	t.Run("accepted/multipart and copy with bucket-owner-full-control", func(t *testing.T) {
		mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu-ok"), ACL: types.ObjectCannedACLBucketOwnerFullControl, StorageClass: types.StorageClassStandard})
		if err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu-ok"), UploadId: mpu.UploadId})
		if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy-ok"), CopySource: aws.String(bucket + "/src"), ACL: types.ObjectCannedACLPrivate, TaggingDirective: types.TaggingDirectiveCopy}); err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
	})
}

func TestHonest_CreateBucketHeaders(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		edit   func(*s3.CreateBucketInput)
		code   string
		status int
	}{
		{"canned ACL public-read", func(in *s3.CreateBucketInput) { in.ACL = types.BucketCannedACLPublicRead }, "InvalidBucketAclWithObjectOwnership", 400},
		{"canned ACL public-read-write", func(in *s3.CreateBucketInput) { in.ACL = types.BucketCannedACLPublicReadWrite }, "InvalidBucketAclWithObjectOwnership", 400},
		{"canned ACL unknown", func(in *s3.CreateBucketInput) { in.ACL = "everyone" }, "InvalidArgument", 400},
		{"grant read", func(in *s3.CreateBucketInput) {
			in.GrantRead = aws.String(`uri="http://acs.amazonaws.com/groups/global/AllUsers"`)
		}, "InvalidBucketAclWithObjectOwnership", 400},
		{"grant write", func(in *s3.CreateBucketInput) { in.GrantWrite = aws.String("id=someone") }, "InvalidBucketAclWithObjectOwnership", 400},
		{"object ownership ObjectWriter", func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipObjectWriter }, "NotImplemented", 501},
		{"object ownership BucketOwnerPreferred", func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipBucketOwnerPreferred }, "NotImplemented", 501},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueBucket()
			in := &s3.CreateBucketInput{Bucket: &name}
			tc.edit(in)
			_, err := c.CreateBucket(ctx, in)
			expectError(t, err, tc.code, tc.status)
			if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &name}); httpStatus(err) != http.StatusNotFound {
				t.Errorf("HeadBucket after a refused CreateBucket: %v, want 404", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		edit func(*s3.CreateBucketInput)
	}{
		{"canned ACL private", func(in *s3.CreateBucketInput) { in.ACL = types.BucketCannedACLPrivate }},
		{"object lock disabled", func(in *s3.CreateBucketInput) { in.ObjectLockEnabledForBucket = aws.Bool(false) }},
		{"object lock enabled", func(in *s3.CreateBucketInput) { in.ObjectLockEnabledForBucket = aws.Bool(true) }},
		{"object ownership BucketOwnerEnforced", func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipBucketOwnerEnforced }},
	} {
		t.Run("accepted/"+tc.name, func(t *testing.T) {
			name := uniqueBucket()
			in := &s3.CreateBucketInput{Bucket: &name}
			tc.edit(in)
			if _, err := c.CreateBucket(ctx, in); err != nil {
				t.Fatalf("CreateBucket: %v", err)
			}
			t.Cleanup(func() { removeBucket(ctx, c, name) })
		})
	}
}

// TestHonest_SSECOnReads checks that customer-key headers naming an
// object, a copy source or an upload over plain http are refused
// (InvalidRequest, as S3 refuses any SSE-C key sent in clear), rather than
// answered with plaintext. sse_test.go has them over TLS.
func TestHonest_SSECOnReads(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	data := []byte("stored in plaintext")
	putObject(t, c, bucket, "obj", data)
	alg, key, keyMD5 := aws.String("AES256"), aws.String(sseCKeyB64), aws.String(sseCKeyMD5)

	t.Run("GetObject", func(t *testing.T) {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("obj"), SSECustomerAlgorithm: alg, SSECustomerKey: key, SSECustomerKeyMD5: keyMD5})
		expectError(t, err, "InvalidRequest", http.StatusBadRequest)
		// A missing key is still NoSuchKey.
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("missing"), SSECustomerAlgorithm: alg, SSECustomerKey: key, SSECustomerKeyMD5: keyMD5})
		expectError(t, err, "NoSuchKey", http.StatusNotFound)
	})
	t.Run("HeadObject", func(t *testing.T) {
		_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("obj"), SSECustomerAlgorithm: alg, SSECustomerKey: key, SSECustomerKeyMD5: keyMD5})
		if httpStatus(err) != http.StatusBadRequest {
			t.Errorf("HeadObject with SSE-C: %v, want 400", err)
		}
		req := ep.newRequest(t, http.MethodHead, "/"+bucket+"/obj", "", nil)
		req.Header.Set("X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256")
		ep.sign(t, req, sha256Hex(nil), time.Now())
		if resp := ep.do(t, req); resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amz-Error-Code") != "InvalidRequest" {
			t.Errorf("HEAD with SSE-C: %d %q, want 400 InvalidRequest", resp.StatusCode, resp.Header.Get("X-Amz-Error-Code"))
		}
	})
	t.Run("CopyObject source", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/obj"),
			CopySourceSSECustomerAlgorithm: alg, CopySourceSSECustomerKey: key, CopySourceSSECustomerKeyMD5: keyMD5})
		expectError(t, err, "InvalidRequest", http.StatusBadRequest)
		expectNoObject(t, c, bucket, "copy")
	})

	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	listParts := func(t *testing.T) int {
		t.Helper()
		out, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId})
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		return len(out.Parts)
	}
	t.Run("UploadPart", func(t *testing.T) {
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId, PartNumber: aws.Int32(1),
			Body: bytes.NewReader([]byte("part")), SSECustomerAlgorithm: alg, SSECustomerKey: key, SSECustomerKeyMD5: keyMD5})
		expectError(t, err, "InvalidRequest", http.StatusBadRequest)
		if n := listParts(t); n != 0 {
			t.Errorf("a refused UploadPart stored %d parts", n)
		}
	})
	t.Run("UploadPartCopy", func(t *testing.T) {
		_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId, PartNumber: aws.Int32(1),
			CopySource: aws.String(bucket + "/obj"), CopySourceSSECustomerAlgorithm: alg, CopySourceSSECustomerKey: key, CopySourceSSECustomerKeyMD5: keyMD5})
		expectError(t, err, "InvalidRequest", http.StatusBadRequest)
		_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId, PartNumber: aws.Int32(1),
			CopySource: aws.String(bucket + "/obj"), SSECustomerAlgorithm: alg, SSECustomerKey: key, SSECustomerKeyMD5: keyMD5})
		expectError(t, err, "InvalidRequest", http.StatusBadRequest)
		if n := listParts(t); n != 0 {
			t.Errorf("a refused UploadPartCopy stored %d parts", n)
		}
	})
	t.Run("CompleteMultipartUpload", func(t *testing.T) {
		part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
		if err != nil {
			t.Fatalf("UploadPart: %v", err)
		}
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId,
			MultipartUpload:      &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}},
			SSECustomerAlgorithm: alg, SSECustomerKey: key, SSECustomerKeyMD5: keyMD5})
		expectError(t, err, "InvalidRequest", http.StatusBadRequest)
		expectNoObject(t, c, bucket, "mpu")
	})
	// Without the headers, the plain object is served as before.
	expectObject(t, c, bucket, "obj", data)
}

// TestHonest_CopyRanges checks that a copy range outside the source is
// refused (InvalidRange, what the Ceph s3-tests suite expects) rather than
// copied short, and that CopyObject,
// which copies whole objects, refuses a range instead of ignoring it.
func TestHonest_CopyRanges(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "src", []byte("0123456789"))
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	copyPart := func(rng string) error {
		_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String(bucket + "/src"), CopySourceRange: aws.String(rng)})
		return err
	}
	for _, rng := range []string{"bytes=0-10", "bytes=5-100", "bytes=10-12", "bytes=20-30"} {
		t.Run("UploadPartCopy "+rng, func(t *testing.T) {
			err := copyPart(rng)
			expectError(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)
			out, lerr := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId})
			if lerr != nil || len(out.Parts) != 0 {
				t.Errorf("after a refused UploadPartCopy: parts %v, err %v; want none", out, lerr)
			}
		})
	}
	t.Run("UploadPartCopy malformed", func(t *testing.T) {
		for _, rng := range []string{"0-2", "bytes=0", "bytes=hello-world", "bytes=0-bar", "bytes=hello-", "bytes=0-2,3-5", "bytes=-3", "bytes=4-2"} {
			expectError(t, copyPart(rng), "InvalidArgument", http.StatusBadRequest)
		}
	})
	t.Run("UploadPartCopy bytes=2-9", func(t *testing.T) {
		if err := copyPart("bytes=2-9"); err != nil {
			t.Fatalf("UploadPartCopy of the last bytes: %v", err)
		}
		out, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId})
		if err != nil || len(out.Parts) != 1 || aws.ToInt64(out.Parts[0].Size) != 8 {
			t.Errorf("ListParts: %v, %v; want one part of 8 bytes", out, err)
		}
	})
	for _, h := range []string{"x-amz-copy-source-range", "Range"} {
		t.Run("CopyObject with "+h, func(t *testing.T) {
			_, err := sdkClient(ep, withHeader(h, "bytes=0-4")).CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/src"),
			})
			expectError(t, err, "InvalidArgument", http.StatusBadRequest)
			expectNoObject(t, c, bucket, "copy")
		})
	}
}

// TestHonest_PromptRefusal checks that a refused small upload is answered at
// once to a client that waits for "100 Continue" before sending the body,
// as boto3 and the aws cli do, instead of after that client's wait.
func TestHonest_PromptRefusal(t *testing.T) {
	ep := startServer(t, nil)
	bucket := newBucket(t, ep)
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 3 * time.Second}}
	for _, path := range []string{"/" + bucket + "/k", "/no-such-bucket-here/k"} {
		body := []byte("data")
		req := ep.newRequest(t, http.MethodPut, path, "", body)
		req.Header.Set("X-Amz-Website-Redirect-Location", "/elsewhere")
		ep.sign(t, req, sha256Hex(body), time.Now())
		req.Header.Set("Expect", "100-continue")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("PUT %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotImplemented && resp.StatusCode != http.StatusNotFound {
			t.Errorf("PUT %s: %d, want 501 or 404", path, resp.StatusCode)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("PUT %s answered after %v: the server waited for the body", path, d)
		}
	}
}

// TestHonest_HoistedHeaders checks that x-amz-* parameters in a presigned
// URL's query, which S3 takes as headers and presigners such as
// aws-sdk-js-v3's put there, are refused like the headers themselves.
func TestHonest_HoistedHeaders(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	for _, tc := range []struct {
		param, value, code string
		status             int
	}{
		{"x-amz-acl", "public-read", "AccessControlListNotSupported", 400},
		{"x-amz-storage-class", "GLACIER", "InvalidStorageClass", 400},
		{"x-amz-tagging", "aws:team=a", "InvalidTag", 400},
		{"x-amz-server-side-encryption", "aws:kms:dsse", "NotImplemented", 501},
		{"X-Amz-Object-Lock-Legal-Hold", "ON", "InvalidRequest", 400}, // no Object Lock on the bucket,
		{"x-amz-grant-read", "id=someone", "AccessControlListNotSupported", 400},
	} {
		t.Run(tc.param, func(t *testing.T) {
			req := ep.newRequest(t, http.MethodPut, "/"+bucket+"/hoisted", url.Values{tc.param: {tc.value}}.Encode(), nil)
			u := ep.presign(t, req, "300", time.Now())
			put, err := http.NewRequest(http.MethodPut, u, bytes.NewReader([]byte("data")))
			if err != nil {
				t.Fatal(err)
			}
			expectXMLError(t, ep.do(t, put), tc.status, tc.code)
			expectNoObject(t, c, bucket, "hoisted")
		})
	}
	// An accepted header does not hide a refused parameter of the same name.
	t.Run("x-amz-acl header and parameter", func(t *testing.T) {
		req := ep.newRequest(t, http.MethodPut, "/"+bucket+"/hoisted", "x-amz-acl=public-read", nil)
		req.Header.Set("X-Amz-Acl", "private")
		u := ep.presign(t, req, "300", time.Now())
		put, err := http.NewRequest(http.MethodPut, u, bytes.NewReader([]byte("data")))
		if err != nil {
			t.Fatal(err)
		}
		put.Header.Set("X-Amz-Acl", "private")
		expectXMLError(t, ep.do(t, put), http.StatusBadRequest, "AccessControlListNotSupported")
		expectNoObject(t, c, bucket, "hoisted")
	})
	// A presigned PUT with only the signature's parameters still works.
	u := ep.presign(t, ep.newRequest(t, http.MethodPut, "/"+bucket+"/plain", "", nil), "300", time.Now())
	put, err := http.NewRequest(http.MethodPut, u, bytes.NewReader([]byte("data")))
	if err != nil {
		t.Fatal(err)
	}
	if resp := ep.do(t, put); resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %d %s", resp.StatusCode, resp.Body)
	}
	expectObject(t, c, bucket, "plain", []byte("data"))
}

// TestHonest_MultipartObjectSize checks that x-amz-mp-object-size, the
// size the client expects of the completed object, is checked rather than
// ignored.
func TestHonest_MultipartObjectSize(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	mpu, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("four"))})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	complete := func(size int64) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu"), UploadId: mpu.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}},
			MpuObjectSize:   aws.Int64(size)})
		return err
	}
	expectError(t, complete(5), "InvalidRequest", http.StatusBadRequest)
	expectNoObject(t, c, bucket, "mpu")
	if err := complete(4); err != nil {
		t.Fatalf("CompleteMultipartUpload with the right size: %v", err)
	}
	expectObject(t, c, bucket, "mpu", []byte("four"))
}
