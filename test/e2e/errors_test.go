package e2e

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/server"
)

func TestErrors(t *testing.T) {
	ep := testEndpoint(t)
	bucket := newBucket(t, ep)
	t.Run("Document", func(t *testing.T) { caseErrorDocument(t, ep, bucket) })
	t.Run("NoSuchKey", func(t *testing.T) { caseNoSuchKey(t, ep, bucket) })
	t.Run("NoSuchUpload", func(t *testing.T) { caseNoSuchUpload(t, ep, bucket) })
	t.Run("MethodNotAllowed", func(t *testing.T) { caseMethodNotAllowed(t, ep, bucket) })
	t.Run("UnsafeKeys", func(t *testing.T) { caseUnsafeKeys(t, ep) })
	t.Run("KeyConflict", func(t *testing.T) { caseKeyConflict(t, ep) })
	t.Run("KeyTooLong", func(t *testing.T) { caseKeyTooLong(t, ep) })
	t.Run("MissingContentLength", func(t *testing.T) { caseMissingContentLength(t, ep, bucket) })
	t.Run("ConnectionSync", func(t *testing.T) { caseConnectionSync(t, ep, bucket) })
	t.Run("DeleteObjectsBodyLimit", func(t *testing.T) { caseDeleteObjectsBodyLimit(t, ep) })
	t.Run("CompleteBodyLimit", func(t *testing.T) { caseCompleteBodyLimit(t, ep) })
}

func caseErrorDocument(t *testing.T, ep endpoint, bucket string) {
	missing := uniqueBucket()
	resp := ep.do(t, ep.signed(t, http.MethodGet, "/"+missing+"/some/key", "", nil))
	doc := expectXMLError(t, resp, http.StatusNotFound, "NoSuchBucket")
	if doc.Resource != "/"+missing+"/some/key" {
		t.Errorf("<Resource> = %q, want %q", doc.Resource, "/"+missing+"/some/key")
	}
	// Every response, good or bad, carries a request id, and ids differ.
	ids := map[string]bool{doc.RequestID: true}
	for range 3 {
		ok := ep.do(t, ep.signed(t, http.MethodGet, "/"+bucket, "list-type=2", nil))
		if ok.StatusCode != http.StatusOK {
			t.Fatalf("ListObjectsV2: %d %s", ok.StatusCode, ok.Body)
		}
		id := ok.Header.Get("X-Amz-Request-Id")
		if id == "" || ids[id] {
			t.Errorf("request id %q is missing or repeated", id)
		}
		ids[id] = true
	}
	// The SDK surfaces the same id.
	_, err := sdkClient(ep).HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: &missing})
	var re interface{ ServiceRequestID() string }
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Errorf("HeadBucket error %v carries no request id", err)
	}
}

func caseNoSuchKey(t *testing.T, ep endpoint, bucket string) {
	_, err := sdkClient(ep).GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("no/such/key")})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
	resp := ep.do(t, ep.signed(t, http.MethodGet, "/"+bucket+"/no/such/key", "", nil))
	doc := expectXMLError(t, resp, http.StatusNotFound, "NoSuchKey")
	if doc.Resource != "/"+bucket+"/no/such/key" {
		t.Errorf("<Resource> = %q", doc.Resource)
	}
	// A prefix of existing keys is not itself an object.
	putObject(t, sdkClient(ep), bucket, "dir/inner", []byte("x"))
	_, err = sdkClient(ep).GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("dir")})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = sdkClient(ep).GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("dir/")})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
}

func caseNoSuchUpload(t *testing.T, ep endpoint, bucket string) {
	resp := ep.do(t, ep.signed(t, http.MethodGet, "/"+bucket+"/k", "uploadId=nonexistent", nil))
	expectXMLError(t, resp, http.StatusNotFound, "NoSuchUpload")
	resp = ep.do(t, ep.signed(t, http.MethodPut, "/"+bucket+"/k", "partNumber=1&uploadId=nonexistent", []byte("part")))
	expectXMLError(t, resp, http.StatusNotFound, "NoSuchUpload")
	expectNoObject(t, sdkClient(ep), bucket, "k")
}

func caseMethodNotAllowed(t *testing.T, ep endpoint, bucket string) {
	putObject(t, sdkClient(ep), bucket, "target", []byte("x"))
	for _, tc := range []struct{ method, path, query string }{
		{http.MethodPost, "/" + bucket + "/target", ""},
		{http.MethodPost, "/" + bucket, ""},
		{http.MethodPost, "/", ""},
		{http.MethodPut, "/", ""},
		{http.MethodDelete, "/", ""},
		{http.MethodPatch, "/" + bucket + "/target", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp := ep.do(t, ep.signed(t, tc.method, tc.path, tc.query, nil))
			expectXMLError(t, resp, http.StatusMethodNotAllowed, "MethodNotAllowed")
		})
	}
	if got := getObject(t, sdkClient(ep), bucket, "target"); string(got) != "x" {
		t.Errorf("object after refused methods = %q", got)
	}
}

func caseUnsafeKeys(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	neighbour := newBucket(t, ep)
	putObject(t, c, bucket, "b", []byte("the real b"))
	for _, raw := range []string{
		"a/../b",
		"a/%2E%2E/b",
		"../" + neighbour + "/escaped",
		"a//b",
		"a/./b",
		"./a",
		"..",
		"/leading",
		"nul%00byte",
		"long/" + strings.Repeat("s", 256) + "/segment",
	} {
		t.Run(raw[:min(len(raw), 40)], func(t *testing.T) {
			// Sent raw: a client would clean ".." and "//" away.
			resp := ep.do(t, ep.signed(t, http.MethodPut, "/"+bucket+"/"+raw, "", []byte("payload")))
			expectXMLError(t, resp, http.StatusBadRequest, "InvalidArgument")
			// Reading through the same path never reaches another object.
			resp = ep.do(t, ep.signed(t, http.MethodGet, "/"+bucket+"/"+raw, "", nil))
			if resp.StatusCode == http.StatusOK {
				t.Errorf("GET %s succeeded with %q", raw, resp.Body)
			}
		})
	}
	if got := getObject(t, c, bucket, "b"); string(got) != "the real b" {
		t.Errorf("object b = %q, want it untouched", got)
	}
	for _, b := range []string{bucket, neighbour} {
		list, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(b)})
		if err != nil {
			t.Fatal(err)
		}
		if keys := objectKeys(list.Contents); b == bucket && len(keys) != 1 || b == neighbour && len(keys) != 0 {
			t.Errorf("bucket %s holds %q after refused writes", b, keys)
		}
	}
	// The server's own files are out of reach, whatever the bucket name.
	for _, raw := range []string{"/.sesame.sys", "/.sesame.sys/meta", "/..", "/../etc/passwd", "/%2E%2E/x", "/" + bucket + "/../" + neighbour} {
		resp := ep.do(t, ep.signed(t, http.MethodGet, raw, "", nil))
		if resp.StatusCode < 400 {
			t.Errorf("GET %s: status %d, want an error; body %.200q", raw, resp.StatusCode, resp.Body)
		}
	}
	lb, err := c.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range lb.Buckets {
		if strings.HasPrefix(aws.ToString(b.Name), ".") {
			t.Errorf("ListBuckets shows %q", aws.ToString(b.Name))
		}
	}
	// A folder marker ("dir/" with no data) is fine, data under it is not.
	putObject(t, c, bucket, "folder/", nil)
	_, err = c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("folder2/"), Body: strings.NewReader("data")})
	expectError(t, err, "InvalidArgument", http.StatusBadRequest)
}

func caseKeyConflict(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "x", []byte("file x"))
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("x/y"), Body: strings.NewReader("under x")})
	expectError(t, err, "InvalidArgument", http.StatusBadRequest)
	if got := getObject(t, c, bucket, "x"); string(got) != "file x" {
		t.Errorf("x after the conflict = %q", got)
	}

	putObject(t, c, bucket, "p/q", []byte("file p/q"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("p"), Body: strings.NewReader("over p/")})
	expectError(t, err, "InvalidArgument", http.StatusBadRequest)
	if got := getObject(t, c, bucket, "p/q"); string(got) != "file p/q" {
		t.Errorf("p/q after the conflict = %q", got)
	}
	// Multipart completion meets the same rule.
	id := startUpload(t, c, bucket, "p")
	part := uploadPart(t, c, bucket, "p", id, 1, []byte("mp"))
	_, err = complete(c, bucket, "p", id, part)
	expectError(t, err, "InvalidArgument", http.StatusBadRequest)
	// Once "x" is gone, "x/y" may be written.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	putObject(t, c, bucket, "x/y", []byte("now fine"))
}

func caseKeyTooLong(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	for name, key := range map[string]string{
		"one segment": strings.Repeat("k", 1025),
		"segmented":   strings.Repeat(strings.Repeat("k", 99)+"/", 10) + strings.Repeat("z", 75), // 1075 bytes
		"multibyte":   strings.Repeat("é", 513),                                                  // 1026 bytes, 513 characters
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key), Body: strings.NewReader("x")})
			expectError(t, err, "KeyTooLongError", http.StatusBadRequest)
			id, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String(key)})
			if err == nil {
				_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: aws.String(key), UploadId: id.UploadId})
			}
			expectError(t, err, "KeyTooLongError", http.StatusBadRequest)
		})
	}
	// Exactly 1024 bytes is allowed.
	key := strings.Repeat(strings.Repeat("k", 99)+"/", 10) + strings.Repeat("z", 24)
	if len(key) != 1024 {
		t.Fatalf("key is %d bytes", len(key))
	}
	putObject(t, c, bucket, key, []byte("longest"))
	if got := getObject(t, c, bucket, key); string(got) != "longest" {
		t.Errorf("1024-byte key read back %q", got)
	}
}

// contentMD5 returns the Content-MD5 header value for body.
func contentMD5(body []byte) string {
	sum := md5.Sum(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func caseDeleteObjectsBodyLimit(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "victim", []byte("still here"))
	doc := func(padding int) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>` +
			`<!--` + strings.Repeat("p", padding) + `-->` +
			`<Object><Key>victim</Key></Object></Delete>`)
	}
	send := func(body []byte) rawResponse {
		req := ep.newRequest(t, http.MethodPost, "/"+bucket, "delete=", body)
		req.Header.Set("Content-MD5", contentMD5(body))
		ep.sign(t, req, sha256Hex(body), time.Now())
		return ep.do(t, req)
	}
	big := doc(2 << 20)
	if len(big) <= 2<<20 {
		t.Fatalf("body is only %d bytes", len(big))
	}
	expectXMLError(t, send(big), http.StatusBadRequest, "MalformedXML")
	if got := getObject(t, c, bucket, "victim"); string(got) != "still here" {
		t.Errorf("victim = %q after the refused delete", got)
	}
	// The same request below the limit deletes.
	if resp := send(doc(1 << 20)); resp.StatusCode != http.StatusOK {
		t.Fatalf("DeleteObjects with a 1 MiB body: %d %s", resp.StatusCode, resp.Body)
	}
	expectNoObject(t, c, bucket, "victim")
	// Too many keys, and malformed XML.
	var many strings.Builder
	many.WriteString("<Delete>")
	for i := range 1001 {
		fmt.Fprintf(&many, "<Object><Key>k%d</Key></Object>", i)
	}
	many.WriteString("</Delete>")
	expectXMLError(t, send([]byte(many.String())), http.StatusBadRequest, "MalformedXML")
	expectXMLError(t, send([]byte("<Delete><Object><Key>x</Key></Object>")), http.StatusBadRequest, "MalformedXML")
}

func caseCompleteBodyLimit(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	id := startUpload(t, c, bucket, "limited")
	part := uploadPart(t, c, bucket, "limited", id, 1, []byte("only part"))
	doc := func(padding int) []byte {
		return []byte(`<CompleteMultipartUpload>` + `<!--` + strings.Repeat("p", padding) + `-->` +
			`<Part><PartNumber>1</PartNumber><ETag>` + aws.ToString(part.ETag) + `</ETag></Part></CompleteMultipartUpload>`)
	}
	send := func(body []byte) rawResponse {
		return ep.do(t, ep.signed(t, http.MethodPost, "/"+bucket+"/limited", "uploadId="+id, body))
	}
	expectXMLError(t, send(doc(4<<20)), http.StatusBadRequest, "MalformedXML")
	expectNoObject(t, c, bucket, "limited")
	expectXMLError(t, send([]byte("<CompleteMultipartUpload><Part>")), http.StatusBadRequest, "MalformedXML")
	expectXMLError(t, send([]byte("<CompleteMultipartUpload></CompleteMultipartUpload>")), http.StatusBadRequest, "MalformedXML")
	// Below the limit the same document completes the upload.
	if resp := send(doc(1 << 20)); resp.StatusCode != http.StatusOK {
		t.Fatalf("Complete with a 1 MiB body: %d %s", resp.StatusCode, resp.Body)
	}
	if got := getObject(t, c, bucket, "limited"); string(got) != "only part" {
		t.Errorf("object = %q", got)
	}
}

// TestErrors_HeaderLimit runs the server as `sesame server` does (its own
// http.Server, not httptest's) and sends 100 KiB of headers.
func TestErrors_HeaderLimit(t *testing.T) {
	srv, err := server.Open(config.Config{
		Dir: t.TempDir(), RootUser: rootUser, RootPassword: rootPassword, Region: testRegion,
	}, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ep := endpoint{URL: "http://" + l.Addr().String(), AccessKey: rootUser, SecretKey: rootPassword, Region: testRegion, Client: &http.Client{}}

	req := ep.signed(t, http.MethodGet, "/", "", nil)
	for i := range 10 {
		req.Header.Set(fmt.Sprintf("X-Padding-%d", i), strings.Repeat("h", 10<<10))
	}
	resp := ep.do(t, req)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB of headers: status %d, want 431", resp.StatusCode)
	}
	// A normal request with a few KiB of extra headers still works.
	req = ep.signed(t, http.MethodGet, "/", "", nil)
	req.Header.Set("X-Padding", strings.Repeat("h", 8<<10))
	if resp := ep.do(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("8 KiB of headers: status %d, want 200; %s", resp.StatusCode, resp.Body)
	}
}

func caseMissingContentLength(t *testing.T, ep endpoint, bucket string) {
	req := ep.newRequest(t, http.MethodPut, "/"+bucket+"/no-length", "", nil)
	// A body of unknown length goes out with Transfer-Encoding: chunked.
	req.Body = io.NopCloser(strings.NewReader("streamed without a length"))
	req.ContentLength = -1
	ep.sign(t, req, "UNSIGNED-PAYLOAD", time.Now())
	expectXMLError(t, ep.do(t, req), http.StatusLengthRequired, "MissingContentLength")
	expectNoObject(t, sdkClient(ep), bucket, "no-length")
}

// caseConnectionSync checks that a request body the server does not read
// (here because the request is refused up front) never gets parsed as the
// next request on the connection: behind a proxy that reuses connections
// that would be request smuggling.
func caseConnectionSync(t *testing.T, ep endpoint, bucket string) {
	host := ep.Host()
	smuggled := "GET /" + bucket + "?smuggled HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	dial := func() (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		return conn, bufio.NewReader(conn)
	}
	readResponse := func(br *bufio.Reader) (*http.Response, []byte, error) {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return nil, nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, body, err
	}

	t.Run("LargeUnreadBody", func(t *testing.T) {
		conn, br := dial()
		body := smuggled + strings.Repeat("x", 1<<20)
		go func() {
			// Fails once the server hangs up, as it should.
			_, _ = fmt.Fprintf(conn, "PUT /%s/smuggle HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", bucket, host, len(body), body)
		}()
		resp, _, err := readResponse(br)
		if err != nil {
			t.Fatalf("reading the response: %v", err)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous PUT: status %d, want 403", resp.StatusCode)
		}
		if resp2, body2, err := readResponse(br); err == nil {
			t.Errorf("the server answered a request read from the previous body: %s %s", resp2.Status, body2)
		}
	})
	t.Run("SmallUnreadBody", func(t *testing.T) {
		// A short body is skipped and the connection stays usable.
		conn, br := dial()
		body := smuggled + strings.Repeat("x", 10<<10)
		next := ep.signed(t, http.MethodGet, "/"+bucket, "list-type=2", nil)
		go func() {
			_, _ = fmt.Fprintf(conn, "PUT /%s/smuggle HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n%s", bucket, host, len(body), body)
			_ = next.Write(conn)
		}()
		resp, _, err := readResponse(br)
		if err != nil {
			t.Fatalf("reading the first response: %v", err)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous PUT: status %d, want 403", resp.StatusCode)
		}
		resp, body2, err := readResponse(br)
		if err != nil {
			t.Fatalf("reading the second response: %v", err)
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body2), "<ListBucketResult") {
			t.Errorf("second request on the connection: %s %s, want the ListObjectsV2 result", resp.Status, body2)
		}
	})
	expectNoObject(t, sdkClient(ep), bucket, "smuggle")
}
