package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// notSignedMessage is S3's message for requests with unsigned x-amz-* headers.
const notSignedMessage = "There were headers present in the request which were not signed"

// TestUnsignedHeaders checks that an x-amz-* header added to a signed
// request (a presigned URL, or a header-signed request replayed) is refused
// instead of changing what the request does.
func TestUnsignedHeaders(t *testing.T) {
	ep := testEndpoint(t)
	bucket := newBucket(t, ep)
	putObject(t, sdkClient(ep), bucket, "secret.txt", []byte("top secret"))

	t.Run("PresignedPutCopySource", func(t *testing.T) { caseUnsignedPresignedCopySource(t, ep, bucket) })
	t.Run("PresignedPutStoredHeaders", func(t *testing.T) { caseUnsignedPresignedStoredHeaders(t, ep, bucket) })
	t.Run("HeaderSignedReplay", func(t *testing.T) { caseUnsignedHeaderSignedReplay(t, ep, bucket) })
	t.Run("PresignedPutAllowedHeaders", func(t *testing.T) { caseUnsignedPresignedAllowedHeaders(t, ep, bucket) })
	t.Run("PresignedPutSignedMetadata", func(t *testing.T) { caseUnsignedPresignedSignedMetadata(t, ep, bucket) })
}

// presignedPut returns the URL and signed headers of a presigned PutObject
// of bucket/key made by the SDK's presigner.
func presignedPut(t *testing.T, ep endpoint, in *s3.PutObjectInput) (string, http.Header) {
	t.Helper()
	req, err := presignClient(ep).PresignPutObject(context.Background(), in, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	return req.URL, req.SignedHeader
}

// putRequest builds a PUT of body to rawURL with the signed headers of a
// presigned URL (Host aside).
func putRequest(t *testing.T, rawURL string, signed http.Header, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range signed {
		if !strings.EqualFold(k, "Host") {
			req.Header[k] = v
		}
	}
	return req
}

// expectNotSigned fails unless resp is S3's 403 AccessDenied for unsigned
// headers naming header.
func expectNotSigned(t *testing.T, resp rawResponse, header string) {
	t.Helper()
	doc := expectXMLError(t, resp, http.StatusForbidden, "AccessDenied")
	if !strings.HasPrefix(doc.Message, notSignedMessage) || !strings.Contains(doc.Message, strings.ToLower(header)) {
		t.Errorf("message %q, want %q naming %s", doc.Message, notSignedMessage, strings.ToLower(header))
	}
}

func caseUnsignedPresignedCopySource(t *testing.T, ep endpoint, bucket string) {
	key := "uploads/copy-target"
	u, signed := presignedPut(t, ep, &s3.PutObjectInput{Bucket: &bucket, Key: &key})
	req := putRequest(t, u, signed, nil)
	req.Header.Set("X-Amz-Copy-Source", "/"+bucket+"/secret.txt")
	expectNotSigned(t, ep.do(t, req), "X-Amz-Copy-Source")
	expectNoObject(t, sdkClient(ep), bucket, key)

	// The URL itself is good: without the added header it uploads.
	body := []byte("uploaded as presigned")
	if resp := ep.do(t, putRequest(t, u, signed, body)); resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT without the added header: %d %s", resp.StatusCode, resp.Body)
	}
	if got := getObject(t, sdkClient(ep), bucket, key); !bytes.Equal(got, body) {
		t.Errorf("object = %q, want %q", got, body)
	}
}

func caseUnsignedPresignedStoredHeaders(t *testing.T, ep endpoint, bucket string) {
	for _, h := range []struct{ name, value string }{
		{"X-Amz-Meta-Owner", "mallory"},
		{"X-Amz-Tagging", "public=yes"},
		{"X-Amz-Acl", "public-read"},
		{"X-Amz-Storage-Class", "STANDARD_IA"},
		{"X-Amz-Website-Redirect-Location", "https://evil.example.com/"},
		{"X-Amz-Server-Side-Encryption", "AES256"},
		{"X-Amz-Server-Side-Encryption-Customer-Algorithm", "AES256"},
		{"X-Amz-Object-Lock-Mode", "COMPLIANCE"},
		{"X-Amz-Checksum-Crc32", "AAAAAA=="},
		{"X-Amz-Metadata-Directive", "REPLACE"},
	} {
		t.Run(h.name, func(t *testing.T) {
			key := "uploads/stored-" + strings.ToLower(h.name)
			u, signed := presignedPut(t, ep, &s3.PutObjectInput{Bucket: &bucket, Key: &key})
			req := putRequest(t, u, signed, []byte("data"))
			req.Header.Set(h.name, h.value)
			expectNotSigned(t, ep.do(t, req), h.name)
			expectNoObject(t, sdkClient(ep), bucket, key)
		})
	}
}

func caseUnsignedHeaderSignedReplay(t *testing.T, ep endpoint, bucket string) {
	key := "uploads/replayed"
	body := []byte("a header-signed upload")
	captured := ep.signed(t, http.MethodPut, "/"+bucket+"/"+key, "", body)

	replay := ep.newRequest(t, http.MethodPut, "/"+bucket+"/"+key, "", body)
	replay.Header = captured.Header.Clone()
	replay.Header.Set("X-Amz-Copy-Source", "/"+bucket+"/secret.txt")
	replay.Header.Set("X-Amz-Metadata-Directive", "REPLACE")
	expectNotSigned(t, ep.do(t, replay), "X-Amz-Copy-Source")
	expectNoObject(t, sdkClient(ep), bucket, key)

	if resp := ep.do(t, captured); resp.StatusCode != http.StatusOK {
		t.Fatalf("the captured request itself: %d %s", resp.StatusCode, resp.Body)
	}
	if got := getObject(t, sdkClient(ep), bucket, key); !bytes.Equal(got, body) {
		t.Errorf("object = %q, want %q", got, body)
	}
}

// caseUnsignedPresignedAllowedHeaders sends headers S3 accepts unsigned:
// Content-Type (which AWS's JavaScript presigner never signs), Content-MD5,
// and an X-Amz-Content-Sha256 restating the presigned payload mode.
func caseUnsignedPresignedAllowedHeaders(t *testing.T, ep endpoint, bucket string) {
	key := "uploads/allowed"
	body := []byte("<p>hello</p>")
	u, signed := presignedPut(t, ep, &s3.PutObjectInput{Bucket: &bucket, Key: &key})
	req := putRequest(t, u, signed, body)
	sum := md5.Sum(body)
	req.Header.Set("Content-Type", "text/html")
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	req.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")
	if resp := ep.do(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT with unsigned Content-Type and Content-MD5: %d %s", resp.StatusCode, resp.Body)
	}
	out, err := sdkClient(ep).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := aws.ToString(out.ContentType); got != "text/html" {
		t.Errorf("Content-Type = %q, want text/html", got)
	}

	// A wrong Content-MD5, signed or not, still fails the upload.
	req = putRequest(t, u, signed, body)
	req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(make([]byte, md5.Size)))
	expectXMLError(t, ep.do(t, req), http.StatusBadRequest, "BadDigest")
}

func caseUnsignedPresignedSignedMetadata(t *testing.T, ep endpoint, bucket string) {
	key := "uploads/signed-metadata"
	u, signed := presignedPut(t, ep, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Metadata: map[string]string{"owner": "ada"}, ContentType: aws.String("text/plain"),
	})
	if signed.Get("X-Amz-Meta-Owner") != "ada" {
		t.Fatalf("the presigner did not sign x-amz-meta-owner as a header: %v", signed)
	}
	if resp := ep.do(t, putRequest(t, u, signed, []byte("data"))); resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT with signed metadata: %d %s", resp.StatusCode, resp.Body)
	}
	out, err := sdkClient(ep).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if got := out.Metadata["owner"]; got != "ada" {
		t.Errorf("metadata owner = %q, want ada", got)
	}
}

// TestUnsignedHeaders_QueryAPIs checks that STS and IAM refuse unsigned
// x-amz-* headers too.
func TestUnsignedHeaders_QueryAPIs(t *testing.T) {
	ep := startServer(t, nil)
	for _, tc := range []struct{ service, form string }{
		{"sts", "Action=GetCallerIdentity&Version=2011-06-15"},
		{"iam", "Action=ListUsers&Version=2010-05-08"},
	} {
		t.Run(tc.service, func(t *testing.T) {
			if resp := ep.do(t, ep.signedForm(t, tc.service, tc.form)); resp.StatusCode != http.StatusOK {
				t.Fatalf("signed %s request: %d %s", tc.service, resp.StatusCode, resp.Body)
			}
			req := ep.signedForm(t, tc.service, tc.form)
			req.Header.Set("X-Amz-Source-Account", "111122223333")
			resp := ep.do(t, req)
			if resp.StatusCode != http.StatusForbidden || !bytes.Contains(resp.Body, []byte("<Code>AccessDenied</Code>")) ||
				!bytes.Contains(resp.Body, []byte(notSignedMessage)) {
				t.Errorf("%s request with an unsigned x-amz-source-account: %d %s, want 403 AccessDenied", tc.service, resp.StatusCode, resp.Body)
			}
		})
	}
}
