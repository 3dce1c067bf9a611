package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/server"
)

// Credentials and region of the in-process servers.
const (
	rootUser     = "admin"
	rootPassword = "adminsecret"
	testRegion   = "us-east-1"
)

// endpoint is an S3 endpoint the case functions run against: an in-process
// Sesame server, or any S3 service named by SESAME_E2E_ENDPOINT.
type endpoint struct {
	URL       string // "http://host:port", no trailing slash
	AccessKey string
	SecretKey string
	Region    string
	// Client is the HTTP client raw requests go through.
	Client *http.Client
}

// Host returns the host:port of the endpoint.
func (ep endpoint) Host() string {
	u, err := url.Parse(ep.URL)
	if err != nil {
		panic(err)
	}
	return u.Host
}

// startServer opens a Sesame server on a fresh data directory, serves its
// handler on a random port and stops it when the test ends. edit, when not
// nil, adjusts the configuration first.
func startServer(t testing.TB, edit func(*config.Config)) endpoint {
	t.Helper()
	cfg := config.Config{
		Dir:          t.TempDir(),
		RootUser:     rootUser,
		RootPassword: rootPassword,
		Region:       testRegion,
	}
	if edit != nil {
		edit(&cfg)
	}
	useBackend(t, &cfg)
	srv, err := server.Open(cfg, server.Options{})
	if err != nil {
		t.Fatalf("server.Open: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("server.Close: %v", err)
		}
	})
	return endpoint{URL: ts.URL, AccessKey: cfg.RootUser, SecretKey: cfg.RootPassword, Region: cfg.Region, Client: ts.Client()}
}

// startTLSServer is startServer over HTTPS, where SDKs switch to
// aws-chunked bodies with trailing checksums.
func startTLSServer(t testing.TB) endpoint {
	t.Helper()
	cfg := config.Config{Dir: t.TempDir(), RootUser: rootUser, RootPassword: rootPassword, Region: testRegion}
	useBackend(t, &cfg)
	srv, err := server.Open(cfg, server.Options{})
	if err != nil {
		t.Fatalf("server.Open: %v", err)
	}
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("server.Close: %v", err)
		}
	})
	return endpoint{URL: ts.URL, AccessKey: rootUser, SecretKey: rootPassword, Region: testRegion, Client: ts.Client()}
}

// testEndpoint returns the endpoint named by SESAME_E2E_ENDPOINT (with
// SESAME_E2E_ACCESS_KEY, SESAME_E2E_SECRET_KEY and SESAME_E2E_REGION) when set,
// so the case functions can run against another S3 service; otherwise it
// starts an in-process server.
func testEndpoint(t testing.TB) endpoint {
	t.Helper()
	if u := os.Getenv("SESAME_E2E_ENDPOINT"); u != "" {
		region := os.Getenv("SESAME_E2E_REGION")
		if region == "" {
			region = testRegion
		}
		return endpoint{
			URL:       strings.TrimSuffix(u, "/"),
			AccessKey: os.Getenv("SESAME_E2E_ACCESS_KEY"),
			SecretKey: os.Getenv("SESAME_E2E_SECRET_KEY"),
			Region:    region,
			Client:    &http.Client{},
		}
	}
	return startServer(t, nil)
}

// sdkClient returns an aws-sdk-go-v2 client for ep using path-style
// addressing and no retries, so that every error reaches the test.
func sdkClient(ep endpoint, edits ...func(*s3.Options)) *s3.Client {
	cfg := aws.Config{
		Region:      ep.Region,
		Credentials: credentials.NewStaticCredentialsProvider(ep.AccessKey, ep.SecretKey, ""),
		// What config.LoadDefaultConfig sets: checksums whenever an
		// operation supports them (trailing ones over HTTPS).
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) {
		o.BaseEndpoint = aws.String(ep.URL)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
		if ep.Client != nil {
			o.HTTPClient = ep.Client
		}
	}}, edits...)...)
}

// withKeys returns ep with other credentials.
func (ep endpoint) withKeys(accessKey, secretKey string) endpoint {
	ep.AccessKey, ep.SecretKey = accessKey, secretKey
	return ep
}

// minioClient returns a minio-go client for ep. transport, when not nil,
// carries its requests.
func minioClient(t testing.TB, ep endpoint, transport http.RoundTripper) *minio.Client {
	t.Helper()
	u, err := url.Parse(ep.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:      minioCreds(ep),
		Secure:     u.Scheme == "https",
		Region:     ep.Region,
		Transport:  transport,
		MaxRetries: 1,
	})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	return c
}

// minioCreds returns ep's credentials for minio-go; empty keys make an
// anonymous client.
func minioCreds(ep endpoint) *miniocreds.Credentials {
	return miniocreds.NewStaticV4(ep.AccessKey, ep.SecretKey, "")
}

// uniqueBucket returns a fresh bucket name.
func uniqueBucket() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "e2e-" + hex.EncodeToString(b[:])
}

// newBucket creates a fresh bucket and, when the test ends, empties and
// deletes it (which matters only for shared endpoints).
func newBucket(t testing.TB, ep endpoint) string {
	t.Helper()
	c := sdkClient(ep)
	ctx := context.Background()
	name := uniqueBucket()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("CreateBucket(%s): %v", name, err)
	}
	t.Cleanup(func() { removeBucket(ctx, c, name) })
	return name
}

// removeBucket deletes a bucket with everything in it, ignoring errors.
func removeBucket(ctx context.Context, c *s3.Client, bucket string) {
	uploads, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err == nil {
		for _, u := range uploads.Uploads {
			_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId})
		}
	}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, o := range page.Contents {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: o.Key})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
}

// putObject stores data under key with the SDK and fails the test on error.
func putObject(t testing.TB, c *s3.Client, bucket, key string, data []byte, edits ...func(*s3.PutObjectInput)) *s3.PutObjectOutput {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(data)}
	for _, e := range edits {
		e(in)
	}
	out, err := c.PutObject(context.Background(), in)
	if err != nil {
		t.Fatalf("PutObject(%s/%s): %v", bucket, key, err)
	}
	return out
}

// getObject reads an object back with the SDK and fails the test on error.
func getObject(t testing.TB, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObject(%s/%s): %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject(%s/%s): reading body: %v", bucket, key, err)
	}
	return data
}

// expectNoObject fails the test unless key is absent from bucket.
func expectNoObject(t testing.TB, c *s3.Client, bucket, key string) {
	t.Helper()
	_, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if status := httpStatus(err); status != http.StatusNotFound {
		t.Errorf("HeadObject(%s/%s) after a failed write: status %d (err %v), want 404", bucket, key, status, err)
	}
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// md5Hex returns the hex MD5 of data.
func md5Hex(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// sha256Hex returns the hex SHA-256 of data.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// multipartETag computes S3's ETag of a multipart object from its parts'
// hex MD5s: the MD5 of the concatenated binary MD5s, "-", the part count.
func multipartETag(t testing.TB, partMD5s ...string) string {
	t.Helper()
	h := md5.New()
	for _, p := range partMD5s {
		b, err := hex.DecodeString(strings.Trim(p, `"`))
		if err != nil {
			t.Fatalf("part ETag %q is not hex: %v", p, err)
		}
		h.Write(b)
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(partMD5s)) + `"`
}

// errorCode returns the S3 error code of an SDK or minio-go error, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if r := minio.ToErrorResponse(err); r.Code != "" {
		return r.Code
	}
	return ""
}

// httpStatus returns the HTTP status behind an SDK error, or 0.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	if r := minio.ToErrorResponse(err); r.StatusCode != 0 {
		return r.StatusCode
	}
	return 0
}

// expectError fails the test unless err carries the S3 error code and HTTP status.
func expectError(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %d %s", status, code)
	}
	if got := errorCode(err); got != code {
		t.Errorf("error code = %q, want %q (err: %v)", got, code, err)
	}
	if got := httpStatus(err); got != status {
		t.Errorf("HTTP status = %d, want %d (err: %v)", got, status, err)
	}
}

// errorDoc is S3's <Error> document.
type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
}

// rawResponse is a response read in full.
type rawResponse struct {
	*http.Response
	Body []byte
}

// do sends req with ep's HTTP client and reads the whole response.
func (ep endpoint) do(t testing.TB, req *http.Request) rawResponse {
	t.Helper()
	resp, err := ep.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return rawResponse{Response: resp, Body: body}
}

// expectXMLError fails the test unless resp is an S3 error document with
// the status and code, a message, a resource and the request id of the
// x-amz-request-id header.
func expectXMLError(t testing.TB, resp rawResponse, status int, code string) errorDoc {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d; body: %s", resp.StatusCode, status, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "xml") {
		t.Errorf("Content-Type = %q, want an XML type", ct)
	}
	var doc errorDoc
	if err := xml.Unmarshal(resp.Body, &doc); err != nil {
		t.Fatalf("body is not an S3 <Error> document: %v; body: %q", err, resp.Body)
	}
	if doc.Code != code {
		t.Errorf("<Code> = %q, want %q; message: %s", doc.Code, code, doc.Message)
	}
	if doc.Message == "" {
		t.Error("<Message> is empty")
	}
	if doc.Resource == "" {
		t.Error("<Resource> is empty")
	}
	id := resp.Header.Get("X-Amz-Request-Id")
	if id == "" {
		t.Error("x-amz-request-id header is missing")
	}
	if doc.RequestID != id {
		t.Errorf("<RequestId> = %q, want the x-amz-request-id header %q", doc.RequestID, id)
	}
	return doc
}

// newRequest builds a request to ep with a path that is sent exactly as
// given (not cleaned or re-escaped) and an optional body.
func (ep endpoint) newRequest(t testing.TB, method, rawPath, rawQuery string, body []byte) *http.Request {
	t.Helper()
	u, err := url.Parse(ep.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.RawPath = rawPath
	u.Path, err = url.PathUnescape(rawPath)
	if err != nil {
		t.Fatal(err)
	}
	u.RawQuery = rawQuery
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u.String(), r)
	if err != nil {
		t.Fatal(err)
	}
	// Keep the path byte for byte, "." and ".." segments included.
	req.URL = u
	return req
}

// sign signs req with SigV4 as of at, declaring payloadHash (the hex
// SHA-256 of the body, or an S3 payload mode) in X-Amz-Content-Sha256.
func (ep endpoint) sign(t testing.TB, req *http.Request, payloadHash string, at time.Time) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	// S3 signs the decoded path encoded once the AWS way, whatever escaping
	// the request line uses, so sign a copy whose path is written so.
	canon := req.Clone(req.Context())
	u := *req.URL
	u.RawPath = awsEscapePath(u.Path)
	canon.URL = &u
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}
	if err := signer.SignHTTP(context.Background(), creds, canon, payloadHash, "s3", ep.Region, at); err != nil {
		t.Fatalf("SignHTTP: %v", err)
	}
	req.Header = canon.Header
}

// awsEscapePath percent-encodes every byte of path but '/' and the
// unreserved characters A-Z a-z 0-9 - . _ ~, as SigV4 does.
func awsEscapePath(path string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '/' || c == '-' || c == '.' || c == '_' || c == '~' ||
			'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// signed builds and signs a request whose body hash is declared correctly.
func (ep endpoint) signed(t testing.TB, method, rawPath, rawQuery string, body []byte) *http.Request {
	t.Helper()
	req := ep.newRequest(t, method, rawPath, rawQuery, body)
	ep.sign(t, req, sha256Hex(body), time.Now())
	return req
}

// presign returns a presigned URL for req as of at, valid for expires
// seconds (written as given, so invalid values can be sent).
func (ep endpoint) presign(t testing.TB, req *http.Request, expires string, at time.Time) string {
	t.Helper()
	q := req.URL.Query()
	q.Set("X-Amz-Expires", expires)
	req.URL.RawQuery = q.Encode()
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}
	u, _, err := signer.PresignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", ep.Region, at)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	return u
}

// shiftedSigner signs SDK requests as if the clock were off by offset.
type shiftedSigner struct {
	signer *v4.Signer
	offset time.Duration
}

func (s shiftedSigner) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, at time.Time, optFns ...func(*v4.SignerOptions)) error {
	return s.signer.SignHTTP(ctx, creds, r, payloadHash, service, region, at.Add(s.offset), optFns...)
}

func (s shiftedSigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, at time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return s.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, at.Add(s.offset), optFns...)
}

// objectKeys returns the keys of listed objects.
func objectKeys(objs []types.Object) []string {
	keys := make([]string, 0, len(objs))
	for _, o := range objs {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// prefixes returns the prefixes of listed common prefixes.
func prefixes(cps []types.CommonPrefix) []string {
	out := make([]string, 0, len(cps))
	for _, p := range cps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}
