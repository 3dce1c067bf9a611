package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
)

func TestAuth(t *testing.T) {
	ep := testEndpoint(t)
	bucket := newBucket(t, ep)
	putObject(t, sdkClient(ep), bucket, "secret.txt", []byte("top secret"))

	t.Run("PresignedGet", func(t *testing.T) { casePresignedGet(t, ep, bucket) })
	t.Run("PresignedPut", func(t *testing.T) { casePresignedPut(t, ep, bucket) })
	t.Run("PresignedTampered", func(t *testing.T) { casePresignedTampered(t, ep, bucket) })
	t.Run("PresignedExpired", func(t *testing.T) { casePresignedExpired(t, ep, bucket) })
	t.Run("PresignedExpiresTooLong", func(t *testing.T) { casePresignedExpiresTooLong(t, ep, bucket) })
	t.Run("WrongSecret", func(t *testing.T) { caseWrongSecret(t, ep, bucket) })
	t.Run("UnknownAccessKey", func(t *testing.T) { caseUnknownAccessKey(t, ep, bucket) })
	t.Run("TimeSkewed", func(t *testing.T) { caseTimeSkewed(t, ep, bucket) })
	t.Run("MalformedAuthorization", func(t *testing.T) { caseMalformedAuthorization(t, ep, bucket) })
	t.Run("Anonymous", func(t *testing.T) { caseAnonymous(t, ep, bucket) })
	t.Run("PayloadHashMismatch", func(t *testing.T) { casePayloadHashMismatch(t, ep, bucket) })
	t.Run("PayloadModes", func(t *testing.T) { casePayloadModes(t, ep, bucket) })
	t.Run("StreamingPut", func(t *testing.T) { caseStreamingPut(t, ep, bucket) })
	t.Run("StreamingTrailer", func(t *testing.T) { caseStreamingTrailer(t, ep, bucket) })
	t.Run("StreamingTampered", func(t *testing.T) { caseStreamingTampered(t, ep, bucket) })
}

func presignClient(ep endpoint, optFns ...func(*s3.PresignOptions)) *s3.PresignClient {
	return s3.NewPresignClient(sdkClient(ep), optFns...)
}

func casePresignedGet(t *testing.T, ep endpoint, bucket string) {
	req, err := presignClient(ep).PresignGetObject(context.Background(), &s3.GetObjectInput{
		Bucket: &bucket, Key: aws.String("secret.txt"),
		ResponseContentDisposition: aws.String(`attachment; filename="s.txt"`),
	}, s3.WithPresignExpires(5*time.Minute))
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	if strings.Contains(req.URL, "Authorization") || !strings.Contains(req.URL, "X-Amz-Signature=") {
		t.Fatalf("presigned URL %s does not carry a query signature", req.URL)
	}
	resp, err := ep.Client.Get(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "top secret" {
		t.Fatalf("GET presigned URL: %d %q, want 200 %q", resp.StatusCode, body, "top secret")
	}
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="s.txt"` {
		t.Errorf("Content-Disposition = %q, want the signed override", got)
	}
	// The URL signs a GET, not a PUT to the same key.
	hreq, _ := http.NewRequest(http.MethodPut, req.URL, strings.NewReader("overwrite"))
	resp, err = ep.Client.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("PUT with a GET-presigned URL: status %d, want 403", resp.StatusCode)
	}
}

func casePresignedPut(t *testing.T, ep endpoint, bucket string) {
	req, err := presignClient(ep).PresignPutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("uploaded/via presign.txt"),
	})
	if err != nil {
		t.Fatalf("PresignPutObject: %v", err)
	}
	body := []byte("uploaded with a presigned URL")
	hreq, err := http.NewRequest(req.Method, req.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range req.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			hreq.Header[k] = v
		}
	}
	resp, err := ep.Client.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT presigned URL: %d %s", resp.StatusCode, respBody)
	}
	if got, want := resp.Header.Get("ETag"), `"`+md5Hex(body)+`"`; got != want {
		t.Errorf("ETag = %s, want %s", got, want)
	}
	if got := getObject(t, sdkClient(ep), bucket, "uploaded/via presign.txt"); !bytes.Equal(got, body) {
		t.Errorf("object = %q, want %q", got, body)
	}
}

// presignedGet returns a presigned GET URL for bucket/secret.txt.
func presignedGet(t *testing.T, ep endpoint, bucket string, optFns ...func(*s3.PresignOptions)) string {
	t.Helper()
	req, err := presignClient(ep, optFns...).PresignGetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("secret.txt")})
	if err != nil {
		t.Fatalf("PresignGetObject: %v", err)
	}
	return req.URL
}

// getURL GETs a URL without any signing of its own.
func getURL(t *testing.T, ep endpoint, rawURL string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ep.do(t, req)
}

func casePresignedTampered(t *testing.T, ep endpoint, bucket string) {
	good := presignedGet(t, ep, bucket)
	u, err := url.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sig := []byte(q.Get("X-Amz-Signature"))
	if sig[0] == '0' {
		sig[0] = '1'
	} else {
		sig[0] = '0'
	}
	q.Set("X-Amz-Signature", string(sig))
	u.RawQuery = q.Encode()
	expectXMLError(t, getURL(t, ep, u.String()), http.StatusForbidden, "SignatureDoesNotMatch")

	// Changing a signed parameter invalidates the signature too.
	u, _ = url.Parse(good)
	q = u.Query()
	q.Set("response-content-type", "text/html")
	u.RawQuery = q.Encode()
	expectXMLError(t, getURL(t, ep, u.String()), http.StatusForbidden, "SignatureDoesNotMatch")

	// So does pointing the URL at another key.
	u, _ = url.Parse(good)
	u.Path = strings.Replace(u.Path, "secret.txt", "other.txt", 1)
	u.RawPath = ""
	expectXMLError(t, getURL(t, ep, u.String()), http.StatusForbidden, "SignatureDoesNotMatch")

	if resp := getURL(t, ep, good); resp.StatusCode != http.StatusOK {
		t.Errorf("untampered URL: status %d, want 200", resp.StatusCode)
	}
}

func casePresignedExpired(t *testing.T, ep endpoint, bucket string) {
	// Signed an hour ago, valid for a minute: long expired.
	expired := presignedGet(t, ep, bucket, func(o *s3.PresignOptions) {
		o.Presigner = shiftedSigner{signer: v4.NewSigner(), offset: -time.Hour}
		o.Expires = time.Minute
	})
	doc := expectXMLError(t, getURL(t, ep, expired), http.StatusForbidden, "AccessDenied")
	if !strings.Contains(strings.ToLower(doc.Message), "expired") {
		t.Errorf("message %q does not say the request expired", doc.Message)
	}
	// Signed an hour ago, valid for two: still fine.
	valid := presignedGet(t, ep, bucket, func(o *s3.PresignOptions) {
		o.Presigner = shiftedSigner{signer: v4.NewSigner(), offset: -time.Hour}
		o.Expires = 2 * time.Hour
	})
	if resp := getURL(t, ep, valid); resp.StatusCode != http.StatusOK {
		t.Errorf("URL signed an hour ago for two hours: status %d, want 200; %s", resp.StatusCode, resp.Body)
	}
	// Signed for a day from now: not valid yet.
	future := presignedGet(t, ep, bucket, func(o *s3.PresignOptions) {
		o.Presigner = shiftedSigner{signer: v4.NewSigner(), offset: 24 * time.Hour}
	})
	expectXMLError(t, getURL(t, ep, future), http.StatusForbidden, "AccessDenied")
}

func casePresignedExpiresTooLong(t *testing.T, ep endpoint, bucket string) {
	for _, tc := range []struct {
		expires string
		status  int
		code    string
	}{
		{"604801", http.StatusBadRequest, "AuthorizationQueryParametersError"}, // 7 days + 1 s
		{"691200", http.StatusBadRequest, "AuthorizationQueryParametersError"}, // 8 days
		{"0", http.StatusBadRequest, "AuthorizationQueryParametersError"},
		{"-5", http.StatusBadRequest, "AuthorizationQueryParametersError"},
		{"soon", http.StatusBadRequest, "AuthorizationQueryParametersError"},
		{"604800", http.StatusOK, ""}, // exactly 7 days is allowed
	} {
		t.Run(tc.expires, func(t *testing.T) {
			req := ep.newRequest(t, http.MethodGet, "/"+bucket+"/secret.txt", "", nil)
			resp := getURL(t, ep, ep.presign(t, req, tc.expires, time.Now()))
			if tc.code == "" {
				if resp.StatusCode != tc.status {
					t.Errorf("status %d, want %d; %s", resp.StatusCode, tc.status, resp.Body)
				}
				return
			}
			expectXMLError(t, resp, tc.status, tc.code)
		})
	}
}

func caseWrongSecret(t *testing.T, ep endpoint, bucket string) {
	c := sdkClient(ep.withKeys(ep.AccessKey, ep.SecretKey+"x"))
	_, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("secret.txt")})
	expectError(t, err, "SignatureDoesNotMatch", http.StatusForbidden)
	_, err = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("intruder"), Body: strings.NewReader("x")})
	expectError(t, err, "SignatureDoesNotMatch", http.StatusForbidden)
	expectNoObject(t, sdkClient(ep), bucket, "intruder")
	// Raw, to see the whole document.
	bad := ep.withKeys(ep.AccessKey, "wrong-secret-key")
	expectXMLError(t, ep.do(t, bad.signed(t, http.MethodGet, "/"+bucket+"/secret.txt", "", nil)), http.StatusForbidden, "SignatureDoesNotMatch")
}

func caseUnknownAccessKey(t *testing.T, ep endpoint, bucket string) {
	c := sdkClient(ep.withKeys("NOSUCHACCESSKEY", ep.SecretKey))
	_, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	expectError(t, err, "InvalidAccessKeyId", http.StatusForbidden)
	_, err = c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("secret.txt")})
	expectError(t, err, "InvalidAccessKeyId", http.StatusForbidden)
	// Presigned with an unknown key.
	u := presignedGet(t, ep.withKeys("NOSUCHACCESSKEY", ep.SecretKey), bucket)
	expectXMLError(t, getURL(t, ep, u), http.StatusForbidden, "InvalidAccessKeyId")
}

func caseTimeSkewed(t *testing.T, ep endpoint, bucket string) {
	for _, offset := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
		req := ep.newRequest(t, http.MethodGet, "/"+bucket+"/secret.txt", "", nil)
		ep.sign(t, req, sha256Hex(nil), time.Now().Add(offset))
		expectXMLError(t, ep.do(t, req), http.StatusForbidden, "RequestTimeTooSkewed")
	}
	// Within the allowed skew (S3 allows 15 minutes) the request works.
	req := ep.newRequest(t, http.MethodGet, "/"+bucket+"/secret.txt", "", nil)
	ep.sign(t, req, sha256Hex(nil), time.Now().Add(-5*time.Minute))
	if resp := ep.do(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("request dated 5 minutes ago: status %d, want 200; %s", resp.StatusCode, resp.Body)
	}
	// The SDK, with its clock 20 minutes slow.
	c := sdkClient(ep, func(o *s3.Options) { o.HTTPSignerV4 = shiftedSigner{signer: v4.NewSigner(), offset: -20 * time.Minute} })
	_, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: &bucket})
	if status := httpStatus(err); status != http.StatusForbidden {
		t.Errorf("HeadBucket from a skewed clock: status %d (err %v), want 403", status, err)
	}
	_, err = c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("secret.txt")})
	expectError(t, err, "RequestTimeTooSkewed", http.StatusForbidden)
}

func caseMalformedAuthorization(t *testing.T, ep endpoint, bucket string) {
	good := ep.signed(t, http.MethodGet, "/"+bucket+"/secret.txt", "", nil)
	auth := good.Header.Get("Authorization")
	for name, value := range map[string]string{
		"garbage credential":  "AWS4-HMAC-SHA256 Credential=garbage, SignedHeaders=host, Signature=abc",
		"no signature":        strings.Split(auth, ", Signature=")[0],
		"no signed headers":   strings.Replace(auth, "SignedHeaders=", "Unsigned=", 1),
		"short scope":         strings.Replace(auth, "/s3/aws4_request", "/aws4_request", 1),
		"only the algorithm":  "AWS4-HMAC-SHA256",
		"empty credential":    "AWS4-HMAC-SHA256 Credential=, SignedHeaders=host;x-amz-date, Signature=00",
		"wrong scope service": strings.Replace(auth, "/s3/aws4_request", "/s3/aws5_request", 1),
	} {
		t.Run(name, func(t *testing.T) {
			req := ep.newRequest(t, http.MethodGet, "/"+bucket+"/secret.txt", "", nil)
			req.Header = good.Header.Clone()
			req.Header.Set("Authorization", value)
			expectXMLError(t, ep.do(t, req), http.StatusBadRequest, "AuthorizationHeaderMalformed")
		})
	}
}

func caseAnonymous(t *testing.T, ep endpoint, bucket string) {
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/" + bucket + "/secret.txt"},
		{http.MethodHead, "/" + bucket + "/secret.txt"},
		{http.MethodPut, "/" + bucket + "/anonymous.txt"},
		{http.MethodDelete, "/" + bucket + "/secret.txt"},
		{http.MethodGet, "/" + bucket},
		{http.MethodGet, "/"},
		{http.MethodPut, "/" + uniqueBucket()},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body []byte
			if tc.method == http.MethodPut {
				body = []byte("anonymous data")
			}
			resp := ep.do(t, ep.newRequest(t, tc.method, tc.path, "", body))
			if tc.method == http.MethodHead {
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("status %d, want 403", resp.StatusCode)
				}
				return
			}
			expectXMLError(t, resp, http.StatusForbidden, "AccessDenied")
		})
	}
	c := sdkClient(ep)
	expectNoObject(t, c, bucket, "anonymous.txt")
	if got := getObject(t, c, bucket, "secret.txt"); string(got) != "top secret" {
		t.Errorf("object after anonymous DELETE = %q", got)
	}
	// minio-go with no credentials gets the same answer.
	anon := minioClient(t, ep.withKeys("", ""), nil)
	_, err := anon.PutObject(context.Background(), bucket, "anonymous.txt", strings.NewReader("x"), 1, minio.PutObjectOptions{})
	if got := errorCode(err); got != "AccessDenied" {
		t.Errorf("anonymous minio-go PutObject: code %q (err %v), want AccessDenied", got, err)
	}
}

func casePayloadHashMismatch(t *testing.T, ep endpoint, bucket string) {
	signedBody := []byte("the body that was signed")
	sentBody := []byte("the body that was sent!!") // same length
	if len(signedBody) != len(sentBody) {
		t.Fatal("test bodies must have the same length")
	}
	req := ep.newRequest(t, http.MethodPut, "/"+bucket+"/mismatch", "", sentBody)
	ep.sign(t, req, sha256Hex(signedBody), time.Now())
	expectXMLError(t, ep.do(t, req), http.StatusBadRequest, "XAmzContentSHA256Mismatch")
	expectNoObject(t, sdkClient(ep), bucket, "mismatch")

	// A bigger body, so the mismatch shows only after much was read.
	signedBody, sentBody = randomBytes(3*mib), randomBytes(3*mib)
	req = ep.newRequest(t, http.MethodPut, "/"+bucket+"/mismatch", "", sentBody)
	ep.sign(t, req, sha256Hex(signedBody), time.Now())
	expectXMLError(t, ep.do(t, req), http.StatusBadRequest, "XAmzContentSHA256Mismatch")
	expectNoObject(t, sdkClient(ep), bucket, "mismatch")

	// An overwrite with a mismatched body leaves the old object in place.
	putObject(t, sdkClient(ep), bucket, "mismatch", []byte("original"))
	req = ep.newRequest(t, http.MethodPut, "/"+bucket+"/mismatch", "", []byte("replaced"))
	ep.sign(t, req, sha256Hex([]byte("REPLACED")), time.Now())
	expectXMLError(t, ep.do(t, req), http.StatusBadRequest, "XAmzContentSHA256Mismatch")
	if got := getObject(t, sdkClient(ep), bucket, "mismatch"); string(got) != "original" {
		t.Errorf("object after a refused overwrite = %q, want %q", got, "original")
	}
}

// recordingTransport remembers the payload mode of every PUT it carries and
// can change one byte of aws-chunked bodies at a given offset.
type recordingTransport struct {
	mu        sync.Mutex
	modes     []string
	flipAt    int64 // < 0: leave bodies alone
	flipped   bool
	transport http.RoundTripper
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut {
		mode := req.Header.Get("X-Amz-Content-Sha256")
		rt.mu.Lock()
		rt.modes = append(rt.modes, mode)
		rt.mu.Unlock()
		if rt.flipAt >= 0 && strings.HasPrefix(mode, "STREAMING-") && req.Body != nil {
			req = req.Clone(req.Context())
			req.Body = &flipReader{ReadCloser: req.Body, at: rt.flipAt, done: func() {
				rt.mu.Lock()
				rt.flipped = true
				rt.mu.Unlock()
			}}
		}
	}
	return rt.transport.RoundTrip(req)
}

func (rt *recordingTransport) payloadModes() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]string(nil), rt.modes...)
}

// flipReader changes the byte at offset at of the stream: to '0', or to '1'
// if it was '0', so that a hex digit stays a hex digit.
type flipReader struct {
	io.ReadCloser
	at, off int64
	done    func()
}

func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if f.at >= f.off && f.at < f.off+int64(n) {
		if b := &p[f.at-f.off]; *b == '0' {
			*b = '1'
		} else {
			*b = '0'
		}
		f.done()
	}
	f.off += int64(n)
	return n, err
}

func caseStreamingPut(t *testing.T, ep endpoint, bucket string) {
	rt := &recordingTransport{flipAt: -1, transport: http.DefaultTransport}
	mc := minioClient(t, ep, rt)
	data := randomBytes(3 * mib)
	info, err := mc.PutObject(context.Background(), bucket, "streamed/3mib", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:  "application/x-streamed",
		UserMetadata: map[string]string{"via": "minio-go"},
	})
	if err != nil {
		t.Fatalf("minio PutObject: %v", err)
	}
	if modes := rt.payloadModes(); len(modes) != 1 || modes[0] != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" {
		t.Fatalf("minio-go sent payload modes %q, want one STREAMING-AWS4-HMAC-SHA256-PAYLOAD PUT", modes)
	}
	if strings.Trim(info.ETag, `"`) != md5Hex(data) {
		t.Errorf("ETag = %s, want the MD5 of the decoded data %s", info.ETag, md5Hex(data))
	}
	got := getObject(t, sdkClient(ep), bucket, "streamed/3mib")
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ from the %d sent", len(got), len(data))
	}
	head, err := sdkClient(ep).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("streamed/3mib")})
	if err != nil {
		t.Fatal(err)
	}
	// aws-chunked is a transfer detail and must not be stored as the encoding.
	if head.ContentEncoding != nil || aws.ToString(head.ContentType) != "application/x-streamed" ||
		!equalMetadata(head.Metadata, map[string]string{"via": "minio-go"}) {
		t.Errorf("HeadObject: ContentEncoding %v, ContentType %q, Metadata %v",
			head.ContentEncoding, aws.ToString(head.ContentType), head.Metadata)
	}
	// An empty streamed object.
	if _, err := mc.PutObject(context.Background(), bucket, "streamed/empty", bytes.NewReader(nil), 0, minio.PutObjectOptions{}); err != nil {
		t.Fatalf("minio PutObject of 0 bytes: %v", err)
	}
	if got := getObject(t, sdkClient(ep), bucket, "streamed/empty"); len(got) != 0 {
		t.Errorf("empty object read back as %d bytes", len(got))
	}
}

func caseStreamingTampered(t *testing.T, ep endpoint, bucket string) {
	// minio-go signs 64 KiB chunks, each framed as
	// "<hex size>;chunk-signature=<64 hex digits>\r\n" + data + "\r\n",
	// and ends with a signed zero-length chunk.
	const (
		size      = 3<<16 + 8<<10              // three full chunks and one of 8 KiB
		fullFrame = 88 + 1<<16 + 2             // header "10000;chunk-signature=…\r\n", data, CRLF
		lastStart = 3 * fullFrame              // header "2000;chunk-signature=…\r\n" is 87 bytes
		zeroStart = lastStart + 87 + 8<<10 + 2 // "0;chunk-signature=…"
	)
	for name, at := range map[string]int64{
		"first chunk data":  1000,
		"first chunk sig":   22 + 5,
		"second chunk data": fullFrame + 88 + 200,
		"second chunk sig":  fullFrame + 22 + 40,
		"last chunk data":   lastStart + 87 + 8<<10 - 1,
		"final chunk sig":   zeroStart + 18 + 10,
	} {
		t.Run(name, func(t *testing.T) {
			rt := &recordingTransport{flipAt: at, transport: http.DefaultTransport}
			mc := minioClient(t, ep, rt)
			key := "tampered/" + strings.ReplaceAll(name, " ", "-")
			_, err := mc.PutObject(context.Background(), bucket, key, bytes.NewReader(randomBytes(size)), size, minio.PutObjectOptions{})
			if !rt.flipped {
				t.Fatalf("the body was not corrupted (modes %q, err %v)", rt.payloadModes(), err)
			}
			if err == nil {
				t.Fatal("PutObject with a corrupted aws-chunked body succeeded")
			}
			if got := errorCode(err); got != "SignatureDoesNotMatch" {
				t.Errorf("error code %q (err %v), want SignatureDoesNotMatch", got, err)
			}
			expectNoObject(t, sdkClient(ep), bucket, key)
		})
	}
}

func casePayloadModes(t *testing.T, ep endpoint, bucket string) {
	// UNSIGNED-PAYLOAD in a signed header request: the body is taken as is.
	req := ep.newRequest(t, http.MethodPut, "/"+bucket+"/unsigned-payload", "", []byte("not hashed"))
	ep.sign(t, req, "UNSIGNED-PAYLOAD", time.Now())
	if resp := ep.do(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("UNSIGNED-PAYLOAD PUT: %d %s", resp.StatusCode, resp.Body)
	}
	if got := getObject(t, sdkClient(ep), bucket, "unsigned-payload"); string(got) != "not hashed" {
		t.Errorf("object = %q", got)
	}
	// Neither a hash nor a known mode.
	req = ep.newRequest(t, http.MethodPut, "/"+bucket+"/bad-mode", "", []byte("x"))
	ep.sign(t, req, "NOT-A-HASH", time.Now())
	expectXMLError(t, ep.do(t, req), http.StatusBadRequest, "InvalidArgument")
	expectNoObject(t, sdkClient(ep), bucket, "bad-mode")
}

// caseStreamingTrailer has minio-go send STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER:
// signed chunks, then a trailing CRC32C checksum with its own signature.
func caseStreamingTrailer(t *testing.T, ep endpoint, bucket string) {
	rt := &recordingTransport{flipAt: -1, transport: http.DefaultTransport}
	mc, err := minio.New(ep.Host(), &minio.Options{
		Creds: minioCreds(ep), Region: ep.Region, Transport: rt, TrailingHeaders: true, MaxRetries: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	// minio-go sends trailing checksums with the parts of a multipart upload.
	data := randomBytes(6 * mib)
	opts := minio.PutObjectOptions{PartSize: 5 * mib}
	if _, err := mc.PutObject(context.Background(), bucket, "streamed/trailer", bytes.NewReader(data), int64(len(data)), opts); err != nil {
		t.Fatalf("minio PutObject with trailing checksum: %v", err)
	}
	modes := rt.payloadModes()
	if len(modes) != 2 {
		t.Errorf("%d PUTs, want 2 parts", len(modes))
	}
	for _, m := range modes {
		if m != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" {
			t.Errorf("payload mode %q, want STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", m)
		}
	}
	if got := getObject(t, sdkClient(ep), bucket, "streamed/trailer"); !bytes.Equal(got, data) {
		t.Error("object read back differs")
	}
	// Corrupted data fails the chunk signature before the checksum matters.
	rt = &recordingTransport{flipAt: 5000, transport: http.DefaultTransport}
	mc, _ = minio.New(ep.Host(), &minio.Options{
		Creds: minioCreds(ep), Region: ep.Region, Transport: rt, TrailingHeaders: true, MaxRetries: 1,
	})
	_, err = mc.PutObject(context.Background(), bucket, "streamed/trailer-bad", bytes.NewReader(data), int64(len(data)), opts)
	if !rt.flipped {
		t.Fatal("body not corrupted")
	}
	if got := errorCode(err); got != "SignatureDoesNotMatch" {
		t.Errorf("error code %q (err %v), want SignatureDoesNotMatch", got, err)
	}
	expectNoObject(t, sdkClient(ep), bucket, "streamed/trailer-bad")
}

// TestAuth_TLS uses the SDK over HTTPS, where it sends bodies as
// STREAMING-UNSIGNED-PAYLOAD-TRAILER aws-chunked streams with a trailing
// CRC32 instead of signing the payload.
func TestAuth_TLS(t *testing.T) {
	ep := startTLSServer(t)
	bucket := newBucket(t, ep)
	ctx := context.Background()
	client := func(flipAt int64) (*s3.Client, *recordingTransport) {
		rt := &recordingTransport{flipAt: flipAt, transport: ep.Client.Transport}
		return sdkClient(ep, func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: rt} }), rt
	}

	c, rt := client(-1)
	data := randomBytes(300 << 10)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("tls/object"), Body: bytes.NewReader(data)}); err != nil {
		t.Fatalf("PutObject over TLS: %v", err)
	}
	if modes := rt.payloadModes(); len(modes) != 1 || modes[0] != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" {
		t.Errorf("payload modes %q, want one STREAMING-UNSIGNED-PAYLOAD-TRAILER PUT", modes)
	}
	if got := getObject(t, c, bucket, "tls/object"); !bytes.Equal(got, data) {
		t.Error("object read back differs")
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("tls/object")})
	if err != nil {
		t.Fatal(err)
	}
	if head.ContentEncoding != nil || aws.ToInt64(head.ContentLength) != int64(len(data)) || aws.ToString(head.ETag) != `"`+md5Hex(data)+`"` {
		t.Errorf("HeadObject: ContentEncoding %v, ContentLength %d, ETag %s", head.ContentEncoding, aws.ToInt64(head.ContentLength), aws.ToString(head.ETag))
	}

	// Multipart parts travel the same way.
	id := startUpload(t, c, bucket, "tls/multi")
	p1 := uploadPart(t, c, bucket, "tls/multi", id, 1, data[:200<<10])
	p2 := uploadPart(t, c, bucket, "tls/multi", id, 2, data[200<<10:])
	if _, err := complete(c, bucket, "tls/multi", id, p1); err != nil {
		t.Fatalf("Complete over TLS: %v", err)
	}
	_ = p2
	if got := getObject(t, c, bucket, "tls/multi"); !bytes.Equal(got, data[:200<<10]) {
		t.Error("multipart object read back differs")
	}

	// A corrupted byte of data no longer matches the trailing checksum.
	bad, rt := client(1000)
	_, err = bad.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("tls/corrupt"), Body: bytes.NewReader(data)})
	if !rt.flipped {
		t.Fatalf("body not corrupted (modes %q)", rt.payloadModes())
	}
	expectError(t, err, "BadDigest", http.StatusBadRequest)
	expectNoObject(t, c, bucket, "tls/corrupt")
}
