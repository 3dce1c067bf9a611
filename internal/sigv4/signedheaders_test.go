package sigv4

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// headerClass is a group of x-amz-* headers that change what a request does
// or what it stores, and so must never be accepted unsigned.
type headerClass struct {
	name   string
	header http.Header
}

// mustSignClasses lists the header classes of S3 requests, one per way an
// unsigned header could change a signed request.
func mustSignClasses() []headerClass {
	return []headerClass{
		{"copy source", http.Header{
			"X-Amz-Copy-Source":          {"/other/secret"},
			"X-Amz-Copy-Source-Range":    {"bytes=0-9"},
			"X-Amz-Copy-Source-If-Match": {`"etag"`},
		}},
		{"user metadata", http.Header{"X-Amz-Meta-Owner": {"mallory"}}},
		{"metadata directive", http.Header{"X-Amz-Metadata-Directive": {"REPLACE"}}},
		{"tagging", http.Header{"X-Amz-Tagging": {"public=yes"}, "X-Amz-Tagging-Directive": {"REPLACE"}}},
		{"acl", http.Header{"X-Amz-Acl": {"public-read"}, "X-Amz-Grant-Read": {`uri="http://acs.amazonaws.com/groups/global/AllUsers"`}}},
		{"sse", http.Header{
			"X-Amz-Server-Side-Encryption":                    {"aws:kms"},
			"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id":     {"arn:aws:kms:us-east-1:111122223333:key/attacker"},
			"X-Amz-Server-Side-Encryption-Context":            {"eyJhIjoiYiJ9"},
			"X-Amz-Server-Side-Encryption-Bucket-Key-Enabled": {"false"},
		}},
		{"sse-c", http.Header{
			"X-Amz-Server-Side-Encryption-Customer-Algorithm": {"AES256"},
			"X-Amz-Server-Side-Encryption-Customer-Key":       {"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
			"X-Amz-Server-Side-Encryption-Customer-Key-Md5":   {"hL4ytr6sJAT1Fg4qNzWqfg=="},
		}},
		{"sse-c of the copy source", http.Header{
			"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Algorithm": {"AES256"},
			"X-Amz-Copy-Source-Server-Side-Encryption-Customer-Key":       {"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
		}},
		{"storage class", http.Header{"X-Amz-Storage-Class": {"GLACIER"}}},
		{"object lock", http.Header{
			"X-Amz-Object-Lock-Mode":              {"COMPLIANCE"},
			"X-Amz-Object-Lock-Retain-Until-Date": {"2099-01-01T00:00:00Z"},
			"X-Amz-Object-Lock-Legal-Hold":        {"ON"},
			"X-Amz-Bypass-Governance-Retention":   {"true"},
		}},
		{"checksums", http.Header{
			"X-Amz-Checksum-Sha256":        {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
			"X-Amz-Checksum-Crc32":         {"AAAAAA=="},
			"X-Amz-Sdk-Checksum-Algorithm": {"SHA256"},
		}},
		{"website redirect", http.Header{"X-Amz-Website-Redirect-Location": {"https://evil.example.com/"}}},
		{"aws-chunked framing", http.Header{"X-Amz-Decoded-Content-Length": {"5"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}},
		{"conditional write", http.Header{"X-Amz-Expected-Bucket-Owner": {"111122223333"}}},
		{"unknown x-amz header", http.Header{"X-Amz-Some-Future-Feature": {"on"}}},
	}
}

// unsignedNames returns the lower-case names of h, sorted.
func unsignedNames(h http.Header) []string {
	var names []string
	for k := range h {
		names = append(names, strings.ToLower(k))
	}
	slices.Sort(names)
	return names
}

// mustBeUnsignedError fails unless err is an *UnsignedHeadersError naming
// exactly want and none of the values of h.
func mustBeUnsignedError(t *testing.T, err error, want []string, h http.Header) {
	t.Helper()
	mustIs(t, err, ErrUnsignedHeaders, "Verify")
	var ue *UnsignedHeadersError
	if !errors.As(err, &ue) {
		t.Fatalf("Verify: %T %v is not an *UnsignedHeadersError", err, err)
	}
	if !slices.Equal(ue.Headers, want) {
		t.Fatalf("Headers = %q, want %q", ue.Headers, want)
	}
	for _, name := range want {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("message %q does not name %s", err, name)
		}
	}
	for _, vs := range h {
		for _, v := range vs {
			if strings.Contains(err.Error(), v) {
				t.Errorf("message %q contains the header value %q", err, v)
			}
		}
	}
}

// TestVerifier_Verify_UnsignedHeaders adds each class of x-amz-* headers,
// unsigned, to a request signed by the AWS SDK (header authentication and
// presigned URL) and checks that Verify refuses it, while the same headers
// signed are accepted.
func TestVerifier_Verify_UnsignedHeaders(t *testing.T) {
	v := testVerifier(testTime)
	body := []byte("upload")
	for _, presign := range []bool{false, true} {
		mode := "header"
		if presign {
			mode = "presigned"
		}
		for _, hc := range mustSignClasses() {
			base := sdkCase{method: "PUT", key: "uploads/target", body: body, presign: presign, expires: 3600}
			t.Run(mode+"/"+hc.name+"/unsigned", func(t *testing.T) {
				r := fromWire(t, signWithSDK(t, base, testSecretKey, testTime))
				for k, vs := range hc.header {
					r.Header[k] = vs
				}
				a, err := Parse(r)
				mustIs(t, err, nil, "Parse")
				mustBeUnsignedError(t, v.Verify(r, a, testSecretKey), unsignedNames(hc.header), hc.header)
			})
			t.Run(mode+"/"+hc.name+"/signed", func(t *testing.T) {
				c := base
				c.header = hc.header
				r := fromWire(t, signWithSDK(t, c, testSecretKey, testTime))
				a, err := Parse(r)
				mustIs(t, err, nil, "Parse")
				mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify")
			})
		}
	}
}

// TestVerifier_Verify_UnsignedAuthHeaders covers the authentication
// headers themselves.
func TestVerifier_Verify_UnsignedAuthHeaders(t *testing.T) {
	v := testVerifier(testTime)
	get := sdkCase{method: "GET", key: "k"}
	presigned := sdkCase{method: "GET", key: "k", presign: true, expires: 3600}
	tests := []struct {
		name   string
		wire   []byte
		header http.Header
		want   error
	}{
		{"header auth, unsigned security token", signWithSDK(t, get, testSecretKey, testTime),
			http.Header{"X-Amz-Security-Token": {"token"}}, ErrUnsignedHeaders},
		{"presigned, security token as unsigned header", signWithSDK(t, presigned, testSecretKey, testTime),
			http.Header{"X-Amz-Security-Token": {"token"}}, ErrUnsignedHeaders},
		{"presigned, date as unsigned header", signWithSDK(t, presigned, testSecretKey, testTime),
			http.Header{"X-Amz-Date": {testTime.Format(amzDateLayout)}}, ErrUnsignedHeaders},
		// A presigned URL signs UNSIGNED-PAYLOAD; the header restates it.
		{"presigned, content sha256 restating the payload mode", signWithSDK(t, presigned, testSecretKey, testTime),
			http.Header{"X-Amz-Content-Sha256": {UnsignedPayload}}, nil},
		// Any other value becomes the payload hash, which was not signed.
		{"presigned, content sha256 changing the payload mode", signWithSDK(t, presigned, testSecretKey, testTime),
			http.Header{"X-Amz-Content-Sha256": {StreamingUnsignedPayloadTrailer}}, ErrSignatureMismatch},
		{"presigned, content sha256 given twice", signWithSDK(t, presigned, testSecretKey, testTime),
			http.Header{"X-Amz-Content-Sha256": {UnsignedPayload, UnsignedPayload}}, ErrUnsignedHeaders},
		{"x-amzn-trace-id is not x-amz-*", signWithSDK(t, get, testSecretKey, testTime),
			http.Header{"X-Amzn-Trace-Id": {"Root=1-5759e988-bd862e3fe1be46a994272793"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fromWire(t, tt.wire)
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			a, err := Parse(r)
			mustIs(t, err, nil, "Parse")
			mustIs(t, v.Verify(r, a, testSecretKey), tt.want, "Verify")
		})
	}

	t.Run("header auth, unsigned content sha256", func(t *testing.T) {
		// The SDK signs the hash as the payload line but not the header.
		req, err := http.NewRequest("GET", "http://s3.example.com/bucket/k", nil)
		if err != nil {
			t.Fatal(err)
		}
		creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, emptySHA256, "s3", testRegion, testTime); err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		r := serverRequest(t, req)
		a, err := Parse(r)
		mustIs(t, err, nil, "Parse")
		mustBeUnsignedError(t, v.Verify(r, a, testSecretKey), []string{"x-amz-content-sha256"}, nil)
		// Without the check, the signature itself would verify.
		r.Header.Del("X-Amz-Content-Sha256")
		a.PayloadHash = emptySHA256
		mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify without the header")
	})

	t.Run("presigned with the payload mode in the query", func(t *testing.T) {
		extra := url.Values{"X-Amz-Content-Sha256": {UnsignedPayload}}
		for _, tt := range []struct {
			header string
			want   error
		}{
			{"", nil},
			{UnsignedPayload, nil},
			{emptySHA256, ErrUnsignedHeaders},
			{StreamingUnsignedPayloadTrailer, ErrUnsignedHeaders},
		} {
			r := refPresigned(t, "PUT", "/bucket/k", extra)
			if tt.header != "" {
				r.Header.Set("X-Amz-Content-Sha256", tt.header)
			}
			a, err := Parse(r)
			mustIs(t, err, nil, "Parse")
			mustIs(t, v.Verify(r, a, testSecretKey), tt.want, "Verify with header "+tt.header)
		}
	})
}

// TestVerifier_Verify_UnsignedOtherHeaders checks that headers outside
// x-amz-* may be unsigned, as S3 accepts.
func TestVerifier_Verify_UnsignedOtherHeaders(t *testing.T) {
	v := testVerifier(testTime)
	extra := http.Header{
		"Content-Type":        {"text/html"},
		"Content-Md5":         {"1B2M2Y8AsgTpgAmY7PhCfg=="},
		"Cache-Control":       {"no-cache"},
		"Content-Disposition": {"attachment"},
		"Content-Encoding":    {"gzip"},
		"Content-Language":    {"en"},
		"Expires":             {"Thu, 01 Dec 2099 16:00:00 GMT"},
		"X-Amzn-Trace-Id":     {"Root=1-5759e988-bd862e3fe1be46a994272793"},
		"User-Agent":          {"curl/8.0"},
	}
	for _, presign := range []bool{false, true} {
		c := sdkCase{method: "PUT", key: "k", body: []byte("x"), presign: presign, expires: 60}
		r := fromWire(t, signWithSDK(t, c, testSecretKey, testTime))
		for k, vs := range extra {
			r.Header[k] = vs
		}
		a, err := Parse(r)
		mustIs(t, err, nil, "Parse")
		mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify")
	}
}

// TestUnsignedHeadersError lists every unsigned header once, lower-cased
// and sorted, whatever the case of the map keys.
func TestUnsignedHeadersError(t *testing.T) {
	r := fromWire(t, signWithSDK(t, sdkCase{method: "PUT", key: "k", body: []byte("x")}, testSecretKey, testTime))
	h := http.Header{
		"X-Amz-Meta-B":      {"secret-value-1"},
		"x-amz-meta-b":      {"secret-value-2"},
		"X-AMZ-ACL":         {"secret-value-3"},
		"X-Amz-Copy-Source": {"/secret-value-4"},
	}
	for k, vs := range h {
		r.Header[k] = vs
	}
	a, err := Parse(r)
	mustIs(t, err, nil, "Parse")
	err = testVerifier(testTime).Verify(r, a, testSecretKey)
	mustBeUnsignedError(t, err, []string{"x-amz-acl", "x-amz-copy-source", "x-amz-meta-b"}, h)
	const want = "sigv4: headers present in the request were not signed: x-amz-acl, x-amz-copy-source, x-amz-meta-b"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

// refPresigned returns a server request presigned by the reference signer,
// with the extra query parameters signed too and UNSIGNED-PAYLOAD (or the
// X-Amz-Content-Sha256 of extra) as the payload hash.
func refPresigned(t *testing.T, method, path string, extra url.Values) *http.Request {
	t.Helper()
	scope := fmtScope(testTime, "s3")
	q := url.Values{
		"X-Amz-Algorithm":     {"AWS4-HMAC-SHA256"},
		"X-Amz-Credential":    {testAccessKey + "/" + scope},
		"X-Amz-Date":          {testTime.Format(amzDateLayout)},
		"X-Amz-Expires":       {"3600"},
		"X-Amz-SignedHeaders": {"host"},
	}
	for k, vs := range extra {
		q[k] = vs
	}
	payload := UnsignedPayload
	if p := q.Get("X-Amz-Content-Sha256"); p != "" {
		payload = p
	}
	const host = "s3.example.com"
	canonicalQuery := strings.ReplaceAll(q.Encode(), "+", "%20")
	canonical := strings.Join([]string{method, path, canonicalQuery, "host:" + host, "", "host", payload}, "\n")
	sts := strings.Join([]string{"AWS4-HMAC-SHA256", testTime.Format(amzDateLayout), scope, hexSHA256([]byte(canonical))}, "\n")
	q.Set("X-Amz-Signature", hex.EncodeToString(refHMAC(refSigningKey(testSecretKey, "20240501", testRegion, "s3"), sts)))
	req, err := http.NewRequest(method, "http://"+host+path+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return serverRequest(t, req)
}

// TestVerifier_RealClientsSignTheirHeaders sends requests full of x-amz-*
// headers with the AWS SDK and minio-go, which must sign all of them.
func TestVerifier_RealClientsSignTheirHeaders(t *testing.T) {
	ctx := context.Background()
	data := payload(10 << 10)
	checkServer := func(t *testing.T, srv *s3Stub, what string) {
		t.Helper()
		reqs := srv.take()
		if len(reqs) == 0 {
			t.Fatalf("%s: no request reached the server", what)
		}
		for _, r := range reqs {
			if r.err != nil {
				t.Fatalf("%s: %s %s: %v", what, r.method, r.path, r.err)
			}
		}
	}
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("aws-sdk tls=%v", tls), func(t *testing.T) {
			srv := newS3Stub(t, tls, 0)
			client := s3.NewFromConfig(aws.Config{
				Region:                     testRegion,
				Credentials:                awscreds.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "session-token"),
				HTTPClient:                 srv.Client(),
				RetryMaxAttempts:           1,
				RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
			}, func(o *s3.Options) {
				o.BaseEndpoint = aws.String(srv.URL)
				o.UsePathStyle = true
			})
			put := &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String(clientKey), Body: bytes.NewReader(data),
				Metadata:                  map[string]string{"owner": "ada", "note": "x y"},
				Tagging:                   aws.String("a=b&c=d"),
				StorageClass:              s3types.StorageClassStandardIa,
				ACL:                       s3types.ObjectCannedACLPrivate,
				ServerSideEncryption:      s3types.ServerSideEncryptionAes256,
				WebsiteRedirectLocation:   aws.String("/other"),
				ObjectLockMode:            s3types.ObjectLockModeGovernance,
				ObjectLockRetainUntilDate: aws.Time(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)),
				ObjectLockLegalHoldStatus: s3types.ObjectLockLegalHoldStatusOn,
				ExpectedBucketOwner:       aws.String("111122223333"),
				ChecksumAlgorithm:         s3types.ChecksumAlgorithmCrc32c,
				ContentType:               aws.String("text/plain"),
				CacheControl:              aws.String("no-cache"),
			}
			if _, err := client.PutObject(ctx, put); err != nil {
				t.Fatalf("PutObject: %v (server saw %+v)", err, srv.take())
			}
			checkServer(t, srv, "PutObject")

			_, _ = client.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String("copy"), CopySource: aws.String("bucket/" + url.PathEscape(clientKey)),
				MetadataDirective: s3types.MetadataDirectiveReplace, Metadata: map[string]string{"k": "v"},
				TaggingDirective: s3types.TaggingDirectiveReplace, Tagging: aws.String("x=y"),
				CopySourceIfMatch: aws.String(`"etag"`),
			})
			checkServer(t, srv, "CopyObject") // the stub's reply need not satisfy the SDK

			ssec := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
			if _, err := client.HeadObject(ctx, &s3.HeadObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String(clientKey),
				SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(ssec),
				ChecksumMode: s3types.ChecksumModeEnabled,
			}); err != nil {
				t.Fatalf("HeadObject: %v (server saw %+v)", err, srv.take())
			}
			checkServer(t, srv, "HeadObject")

			// A presigned PUT carries, as headers, what the presigner signed.
			pre, err := s3.NewPresignClient(client).PresignPutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String("bucket"), Key: aws.String(clientKey),
				Metadata: map[string]string{"owner": "ada"}, Tagging: aws.String("a=b"),
				StorageClass: s3types.StorageClassStandardIa, ContentType: aws.String("text/plain"),
			})
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest(pre.Method, pre.URL, bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range pre.SignedHeader {
				if !strings.EqualFold(k, "Host") {
					req.Header[k] = vs
				}
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			checkServer(t, srv, "presigned PutObject")
		})
	}
	t.Run("minio-go", func(t *testing.T) {
		srv := newS3Stub(t, false, 0)
		client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
			Creds: miniocreds.NewStaticV4(testAccessKey, testSecretKey, "session-token"), Region: testRegion, TrailingHeaders: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		opts := minio.PutObjectOptions{
			UserMetadata: map[string]string{"owner": "ada"}, UserTags: map[string]string{"a": "b"},
			StorageClass: "STANDARD_IA", ContentType: "text/plain", WebsiteRedirectLocation: "/other",
			Mode: minio.Governance, RetainUntilDate: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
			LegalHold: minio.LegalHoldEnabled, Checksum: minio.ChecksumCRC32C,
		}
		if _, err := client.PutObject(ctx, "bucket", clientKey, bytes.NewReader(data), int64(len(data)), opts); err != nil {
			t.Fatalf("PutObject: %v (server saw %+v)", err, srv.take())
		}
		checkServer(t, srv, "PutObject")
		_, _ = client.CopyObject(ctx,
			minio.CopyDestOptions{Bucket: "bucket", Object: "copy", ReplaceMetadata: true, UserMetadata: map[string]string{"k": "v"},
				ReplaceTags: true, UserTags: map[string]string{"x": "y"}},
			minio.CopySrcOptions{Bucket: "bucket", Object: clientKey, MatchETag: "etag"})
		checkServer(t, srv, "CopyObject")
		u, err := client.PresignHeader(ctx, "PUT", "bucket", clientKey, time.Hour, nil,
			http.Header{"X-Amz-Meta-Owner": {"ada"}, "X-Amz-Acl": {"private"}})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest("PUT", u.String(), bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Meta-Owner", "ada")
		req.Header.Set("X-Amz-Acl", "private")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		checkServer(t, srv, "presigned PutObject")
	})
}
