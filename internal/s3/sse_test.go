package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/object/posix"
	"github.com/sesame-s3/sesame/internal/sigv4"
	"github.com/sesame-s3/sesame/internal/sse"
)

// sseFixture is an API with SSE over a posix backend in a temporary directory.
type sseFixture struct {
	api  *API
	data string
}

func newSSEFixture(t *testing.T, edit func(*Options)) *sseFixture {
	t.Helper()
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	backend, err := posix.Open(data, posix.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	st := memory.New(memory.Options{})
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	mk, _ := sse.NewMasterKey(rand.Reader)
	named, _ := sse.NewMasterKey(rand.Reader)
	named.ID = "testkey-1"
	ring, _ := sse.NewKeyring(mk, named)
	opts := Options{Backend: backend, Auth: auth.New(sigv4.NewVerifier(sigv4.Options{}), auth.IAM(svc)), IAM: svc,
		SSEKeys: ring, SSECAllowInsecure: true}
	if edit != nil {
		edit(&opts)
	}
	fx := &sseFixture{api: New(opts), data: data}
	if err := backend.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *sseFixture) do(t *testing.T, method, path, query string, header map[string]string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	u := &url.URL{Scheme: "http", Host: "s3.local", Path: path, RawQuery: query}
	r, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	fx.api.ServeHTTP(rec, r)
	return rec
}

// want checks a response's status and, for errors, its S3 code.
func want(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body.String())
	}
	if code != "" {
		got := rec.Header().Get("X-Amz-Error-Code")
		if got == "" {
			var e errorResponse
			xml.Unmarshal(rec.Body.Bytes(), &e)
			got = e.Code
		}
		if got != code {
			t.Fatalf("code %q, want %q", got, code)
		}
	}
}

func customerHeaders(key []byte) map[string]string {
	sum := md5.Sum(key)
	return map[string]string{
		"X-Amz-Server-Side-Encryption-Customer-Algorithm": "AES256",
		"X-Amz-Server-Side-Encryption-Customer-Key":       base64.StdEncoding.EncodeToString(key),
		"X-Amz-Server-Side-Encryption-Customer-Key-Md5":   base64.StdEncoding.EncodeToString(sum[:]),
	}
}

// storedFiles returns the content of every object data file under the bucket.
func (fx *sseFixture) storedFiles(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	filepath.WalkDir(filepath.Join(fx.data, "bkt"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			out = append(out, b)
		}
		return nil
	})
	return out
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func TestSSE_S3RoundTrip(t *testing.T) {
	fx := newSSEFixture(t, nil)
	plain := bytes.Repeat([]byte("secret plaintext "), 10000) // 170 kB, 3 chunks
	rec := fx.do(t, http.MethodPut, "/bkt/k", "", map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}, plain)
	want(t, rec, 200, "")
	sum := md5.Sum(plain)
	if got := rec.Header().Get("ETag"); got != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("SSE-S3 ETag %s, want the plaintext MD5", got)
	}
	if rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Error("PUT does not report AES256")
	}
	for _, f := range fx.storedFiles(t) {
		if bytes.Contains(f, []byte("secret plaintext")) {
			t.Fatal("plaintext on disk")
		}
	}
	rec = fx.do(t, http.MethodGet, "/bkt/k", "", nil, nil)
	want(t, rec, 200, "")
	if !bytes.Equal(rec.Body.Bytes(), plain) || rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Fatal("GET did not return the plaintext with its SSE header")
	}
	if rec.Header().Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("GET ETag %s", rec.Header().Get("ETag"))
	}
	for _, rg := range [][2]int{{0, 0}, {65535, 65537}, {100000, len(plain) - 1}, {len(plain) - 5, len(plain) + 100}} {
		rec = fx.do(t, http.MethodGet, "/bkt/k", "", map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", rg[0], rg[1])}, nil)
		want(t, rec, 206, "")
		end := min(rg[1]+1, len(plain))
		if !bytes.Equal(rec.Body.Bytes(), plain[rg[0]:end]) {
			t.Errorf("range %v: wrong bytes", rg)
		}
		if cr := rec.Header().Get("Content-Range"); cr != fmt.Sprintf("bytes %d-%d/%d", rg[0], end-1, len(plain)) {
			t.Errorf("range %v: Content-Range %q", rg, cr)
		}
	}
	want(t, fx.do(t, http.MethodGet, "/bkt/k", "", map[string]string{"Range": fmt.Sprintf("bytes=%d-", len(plain))}, nil), 416, "InvalidRange")
	rec = fx.do(t, http.MethodHead, "/bkt/k", "", nil, nil)
	want(t, rec, 200, "")
	if rec.Header().Get("Content-Length") != fmt.Sprint(len(plain)) {
		t.Errorf("HEAD Content-Length %s, want the plaintext size", rec.Header().Get("Content-Length"))
	}
	// A read naming SSE-S3 is refused, as S3 does.
	want(t, fx.do(t, http.MethodHead, "/bkt/k", "", map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}, nil), 400, "InvalidArgument")
	// Listing sizes are plaintext sizes.
	rec = fx.do(t, http.MethodGet, "/bkt", "list-type=2", nil, nil)
	if !strings.Contains(rec.Body.String(), fmt.Sprintf("<Size>%d</Size>", len(plain))) {
		t.Errorf("listing: %s", rec.Body.String())
	}
}

func TestSSE_CustomerKey(t *testing.T) {
	fx := newSSEFixture(t, nil)
	key, other := randomBytes(32), randomBytes(32)
	plain := randomBytes(1000)
	rec := fx.do(t, http.MethodPut, "/bkt/c", "", customerHeaders(key), plain)
	want(t, rec, 200, "")
	sum := md5.Sum(plain)
	if rec.Header().Get("ETag") == `"`+hex.EncodeToString(sum[:])+`"` {
		t.Error("SSE-C ETag is the plaintext MD5")
	}
	if rec.Header().Get("X-Amz-Server-Side-Encryption-Customer-Key-Md5") != customerHeaders(key)["X-Amz-Server-Side-Encryption-Customer-Key-Md5"] {
		t.Error("PUT does not echo the key MD5")
	}
	want(t, fx.do(t, http.MethodGet, "/bkt/c", "", nil, nil), 400, "InvalidRequest")
	want(t, fx.do(t, http.MethodHead, "/bkt/c", "", nil, nil), 400, "InvalidRequest")
	want(t, fx.do(t, http.MethodGet, "/bkt/c", "", customerHeaders(other), nil), 403, "AccessDenied")
	rec = fx.do(t, http.MethodGet, "/bkt/c", "", customerHeaders(key), nil)
	want(t, rec, 200, "")
	if !bytes.Equal(rec.Body.Bytes(), plain) {
		t.Fatal("wrong plaintext")
	}
	rec = fx.do(t, http.MethodGet, "/bkt/c", "", mergeHeaders(customerHeaders(key), map[string]string{"Range": "bytes=10-19"}), nil)
	want(t, rec, 206, "")
	if !bytes.Equal(rec.Body.Bytes(), plain[10:20]) {
		t.Fatal("wrong range")
	}
	// Header errors.
	bad := customerHeaders(key)
	bad["X-Amz-Server-Side-Encryption-Customer-Key-Md5"] = base64.StdEncoding.EncodeToString(make([]byte, 16))
	want(t, fx.do(t, http.MethodPut, "/bkt/x", "", bad, plain), 400, "InvalidArgument")
	bad = customerHeaders(key)
	bad["X-Amz-Server-Side-Encryption-Customer-Algorithm"] = "AES128"
	want(t, fx.do(t, http.MethodPut, "/bkt/x", "", bad, plain), 400, "InvalidEncryptionAlgorithmError")
	bad = customerHeaders(key)
	delete(bad, "X-Amz-Server-Side-Encryption-Customer-Key")
	want(t, fx.do(t, http.MethodPut, "/bkt/x", "", bad, plain), 400, "InvalidArgument")
	// Customer-key headers on a plain object are refused.
	want(t, fx.do(t, http.MethodPut, "/bkt/p", "", nil, plain), 200, "")
	want(t, fx.do(t, http.MethodGet, "/bkt/p", "", customerHeaders(key), nil), 400, "InvalidRequest")

	// Copy: decrypt with the source key, encrypt under SSE-S3.
	rec = fx.do(t, http.MethodPut, "/bkt/copy", "", map[string]string{
		"X-Amz-Copy-Source": "/bkt/c", "X-Amz-Server-Side-Encryption": "AES256",
		"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Algorithm": "AES256",
		"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key":       customerHeaders(key)["X-Amz-Server-Side-Encryption-Customer-Key"],
		"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key-Md5":   customerHeaders(key)["X-Amz-Server-Side-Encryption-Customer-Key-Md5"],
	}, nil)
	want(t, rec, 200, "")
	rec = fx.do(t, http.MethodGet, "/bkt/copy", "", nil, nil)
	want(t, rec, 200, "")
	if !bytes.Equal(rec.Body.Bytes(), plain) || rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Fatal("copy did not re-encrypt the plaintext under SSE-S3")
	}
	// Copy without the source key fails.
	want(t, fx.do(t, http.MethodPut, "/bkt/copy2", "", map[string]string{"X-Amz-Copy-Source": "/bkt/c"}, nil), 400, "InvalidRequest")
}

func mergeHeaders(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestSSE_CustomerKeyNeedsTLS(t *testing.T) {
	fx := newSSEFixture(t, func(o *Options) { o.SSECAllowInsecure = false })
	rec := fx.do(t, http.MethodPut, "/bkt/c", "", customerHeaders(randomBytes(32)), []byte("x"))
	want(t, rec, 400, "InvalidRequest")
	if !strings.Contains(rec.Body.String(), "secure connection") {
		t.Errorf("message: %s", rec.Body.String())
	}
}

func TestSSE_NoKeyring(t *testing.T) {
	fx := newSSEFixture(t, func(o *Options) { o.SSEKeys = nil })
	want(t, fx.do(t, http.MethodPut, "/bkt/k", "", map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}, []byte("x")), 501, "NotImplemented")
	want(t, fx.do(t, http.MethodPut, "/bkt/k", "", map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "testkey-1"}, []byte("x")), 501, "NotImplemented")
}

func TestSSE_Multipart(t *testing.T) {
	fx := newSSEFixture(t, nil)
	key := randomBytes(32)
	h := customerHeaders(key)
	rec := fx.do(t, http.MethodPost, "/bkt/m", "uploads=", h, nil)
	want(t, rec, 200, "")
	var init initiateMultipartUploadResult
	xml.Unmarshal(rec.Body.Bytes(), &init)
	parts := [][]byte{randomBytes(5<<20 + 1), randomBytes(70000)}
	var etags []string
	for i, p := range parts {
		q := fmt.Sprintf("partNumber=%d&uploadId=%s", i+1, init.UploadID)
		// A part without the upload's key, or with another, is refused.
		want(t, fx.do(t, http.MethodPut, "/bkt/m", q, nil, p), 400, "InvalidRequest")
		want(t, fx.do(t, http.MethodPut, "/bkt/m", q, customerHeaders(randomBytes(32)), p), 400, "InvalidRequest")
		rec = fx.do(t, http.MethodPut, "/bkt/m", q, h, p)
		want(t, rec, 200, "")
		etags = append(etags, rec.Header().Get("ETag"))
	}
	rec = fx.do(t, http.MethodGet, "/bkt/m", "uploadId="+init.UploadID, nil, nil)
	if !strings.Contains(rec.Body.String(), fmt.Sprintf("<Size>%d</Size>", len(parts[1]))) {
		t.Errorf("ListParts sizes are not plaintext: %s", rec.Body.String())
	}
	doc := fmt.Sprintf("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>", etags[0], etags[1])
	want(t, fx.do(t, http.MethodPost, "/bkt/m", "uploadId="+init.UploadID, nil, []byte(doc)), 200, "")
	plain := append(bytes.Clone(parts[0]), parts[1]...)
	rec = fx.do(t, http.MethodGet, "/bkt/m", "", h, nil)
	want(t, rec, 200, "")
	if !bytes.Equal(rec.Body.Bytes(), plain) {
		t.Fatal("multipart plaintext differs")
	}
	for _, rg := range [][2]int{{5<<20 - 10, 5<<20 + 10}, {5 << 20, 5<<20 + 1}, {5<<20 + 1, len(plain) - 1}, {3, 4}} {
		rec = fx.do(t, http.MethodGet, "/bkt/m", "", mergeHeaders(h, map[string]string{"Range": fmt.Sprintf("bytes=%d-%d", rg[0], rg[1])}), nil)
		want(t, rec, 206, "")
		if !bytes.Equal(rec.Body.Bytes(), plain[rg[0]:rg[1]+1]) {
			t.Errorf("range %v across parts: wrong bytes", rg)
		}
	}
	rec = fx.do(t, http.MethodGet, "/bkt", "list-type=2", nil, nil)
	if !strings.Contains(rec.Body.String(), fmt.Sprintf("<Size>%d</Size>", len(plain))) {
		t.Errorf("listing: %s", rec.Body.String())
	}
}

func TestSSE_BucketDefault(t *testing.T) {
	fx := newSSEFixture(t, nil)
	want(t, fx.do(t, http.MethodGet, "/bkt", "encryption=", nil, nil), 404, "ServerSideEncryptionConfigurationNotFoundError")
	cfg := `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`
	want(t, fx.do(t, http.MethodPut, "/bkt", "encryption=", nil, []byte(strings.Replace(cfg, "AES256", "aws:kms:dsse", 1))), 501, "NotImplemented")
	want(t, fx.do(t, http.MethodPut, "/bkt", "encryption=", nil, []byte(strings.Replace(cfg, "AES256", "aws:kms", 1))), 400, "InvalidArgument")
	want(t, fx.do(t, http.MethodPut, "/bkt", "encryption=", nil, []byte(strings.Replace(cfg, "<SSEAlgorithm>AES256</SSEAlgorithm>", "<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>nokey</KMSMasterKeyID>", 1))), 400, "KMS.NotFoundException")
	want(t, fx.do(t, http.MethodPut, "/bkt", "encryption=", nil, []byte(strings.Replace(cfg, "AES256", "DES", 1))), 400, "MalformedXML")
	want(t, fx.do(t, http.MethodPut, "/bkt", "encryption=", nil, []byte(cfg)), 200, "")
	rec := fx.do(t, http.MethodGet, "/bkt", "encryption=", nil, nil)
	want(t, rec, 200, "")
	if !strings.Contains(rec.Body.String(), "<SSEAlgorithm>AES256</SSEAlgorithm>") {
		t.Errorf("GetBucketEncryption: %s", rec.Body.String())
	}
	rec = fx.do(t, http.MethodPut, "/bkt/d", "", nil, []byte("default encrypted"))
	want(t, rec, 200, "")
	if rec.Header().Get("X-Amz-Server-Side-Encryption") != "AES256" {
		t.Error("bucket default not applied")
	}
	for _, f := range fx.storedFiles(t) {
		if bytes.Contains(f, []byte("default encrypted")) {
			t.Fatal("plaintext on disk")
		}
	}
	want(t, fx.do(t, http.MethodDelete, "/bkt", "encryption=", nil, nil), 204, "")
	want(t, fx.do(t, http.MethodGet, "/bkt", "encryption=", nil, nil), 404, "ServerSideEncryptionConfigurationNotFoundError")
	rec = fx.do(t, http.MethodPut, "/bkt/e", "", nil, []byte("plain"))
	if rec.Header().Get("X-Amz-Server-Side-Encryption") != "" {
		t.Error("default still applied after delete")
	}
}

func TestSSE_KMS(t *testing.T) {
	fx := newSSEFixture(t, nil)
	kms := map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "testkey-1"}
	rec := fx.do(t, http.MethodPut, "/bkt/k", "", kms, []byte("kms secret"))
	want(t, rec, 200, "")
	if rec.Header().Get("X-Amz-Server-Side-Encryption") != "aws:kms" || rec.Header().Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != "testkey-1" {
		t.Errorf("PUT headers %v", rec.Header())
	}
	rec = fx.do(t, http.MethodGet, "/bkt/k", "", nil, nil)
	want(t, rec, 200, "")
	if rec.Body.String() != "kms secret" || rec.Header().Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id") != "testkey-1" {
		t.Errorf("GET: %q %v", rec.Body.String(), rec.Header())
	}
	for _, f := range fx.storedFiles(t) {
		if strings.Contains(string(f), "kms secret") {
			t.Fatal("plaintext on disk")
		}
	}
	want(t, fx.do(t, http.MethodGet, "/bkt/k", "", kms, nil), 400, "InvalidArgument")
	want(t, fx.do(t, http.MethodPut, "/bkt/k2", "", map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms"}, []byte("x")), 400, "InvalidArgument")
	want(t, fx.do(t, http.MethodPut, "/bkt/k2", "", mergeHeaders(kms, map[string]string{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "other"}), []byte("x")), 400, "KMS.NotFoundException")
	want(t, fx.do(t, http.MethodPut, "/bkt/k2", "", map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms:dsse"}, []byte("x")), 501, "NotImplemented")
	want(t, fx.do(t, http.MethodPut, "/bkt/k2", "", map[string]string{"X-Amz-Server-Side-Encryption": "AES256", "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "testkey-1"}, []byte("x")), 400, "InvalidArgument")
}

// TestSSE_WithoutOptionalInterfaces runs encrypted multipart uploads on a
// backend with neither MetadataUpdater nor UploadDescriber: sizes come
// from the segment headers.
func TestSSE_WithoutOptionalInterfaces(t *testing.T) {
	fx := newSSEFixture(t, func(o *Options) { o.Backend = plainBackend{o.Backend} })
	h := map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}
	// Without MetadataUpdater the plaintext MD5 cannot be recorded: PUT
	// and GET agree on the stored ETag instead.
	rec := fx.do(t, http.MethodPut, "/bkt/s", "", h, []byte("small"))
	want(t, rec, 200, "")
	if etag := fx.do(t, http.MethodGet, "/bkt/s", "", nil, nil).Header().Get("ETag"); etag != rec.Header().Get("ETag") {
		t.Errorf("PUT ETag %s, GET ETag %s", rec.Header().Get("ETag"), etag)
	}
	rec = fx.do(t, http.MethodPost, "/bkt/m", "uploads=", h, nil)
	want(t, rec, 200, "")
	var init initiateMultipartUploadResult
	xml.Unmarshal(rec.Body.Bytes(), &init)
	parts := [][]byte{randomBytes(5 << 20), randomBytes(1000)}
	doc := "<CompleteMultipartUpload>"
	for i, p := range parts {
		rec = fx.do(t, http.MethodPut, "/bkt/m", fmt.Sprintf("partNumber=%d&uploadId=%s", i+1, init.UploadID), nil, p)
		want(t, rec, 200, "")
		doc += fmt.Sprintf("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, rec.Header().Get("ETag"))
	}
	want(t, fx.do(t, http.MethodPost, "/bkt/m", "uploadId="+init.UploadID, nil, []byte(doc+"</CompleteMultipartUpload>")), 200, "")
	plain := append(bytes.Clone(parts[0]), parts[1]...)
	rec = fx.do(t, http.MethodHead, "/bkt/m", "", nil, nil)
	if rec.Header().Get("Content-Length") != fmt.Sprint(len(plain)) {
		t.Errorf("HEAD size %s, want %d", rec.Header().Get("Content-Length"), len(plain))
	}
	rec = fx.do(t, http.MethodGet, "/bkt/m", "", map[string]string{"Range": "bytes=5242000-5243000"}, nil)
	want(t, rec, 206, "")
	if !bytes.Equal(rec.Body.Bytes(), plain[5242000:5243001]) {
		t.Error("range across parts: wrong bytes")
	}
	rec = fx.do(t, http.MethodGet, "/bkt", "list-type=2", nil, nil)
	if !strings.Contains(rec.Body.String(), fmt.Sprintf("<Size>%d</Size>", len(plain))) {
		t.Errorf("listing: %s", rec.Body.String())
	}
}
