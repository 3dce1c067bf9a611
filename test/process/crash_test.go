package process

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var creds = aws.Credentials{AccessKeyID: rootUser, SecretAccessKey: rootPassword}

// do sends an S3 request signed by root with a fully known body.
func do(t *testing.T, method, url string, body []byte) (int, []byte) {
	t.Helper()
	return signedRequest(t, creds, "s3", method, url, "", body)
}

// signedRequest sends a request signed for service with the payload's
// SHA-256 and returns the status and body.
func signedRequest(t *testing.T, c aws.Credentials, service, method, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), c, req, hash, service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// startSlowPut begins an UNSIGNED-PAYLOAD PUT that declares size bytes and
// returns the writer that feeds its body.
func startSlowPut(t *testing.T, url string, size int64) *io.PipeWriter {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPut, url, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		pr.CloseWithError(errors.New("request ended"))
	}()
	return pw
}

// tmpBytes sums the sizes of the files in the backend's temp folder.
func tmpBytes(dir string) int64 {
	var n int64
	_ = filepath.Walk(filepath.Join(dir, ".sesame.sys", "tmp"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// TestServer_KillDuringPut kills the server with SIGKILL while two large PUTs
// are half written: one replacing an existing object, one creating a new key.
// After a restart the old object is whole, the new key is absent, and no
// temporary file is left.
func TestServer_KillDuringPut(t *testing.T) {
	dir := t.TempDir()
	n := start(t, dir)
	if code, body := do(t, http.MethodPut, n.endpoint+"/crash", nil); code != 200 {
		t.Fatalf("create bucket: %d %s", code, body)
	}
	old := bytes.Repeat([]byte("old version "), 100_000)
	if code, body := do(t, http.MethodPut, n.endpoint+"/crash/replaced", old); code != 200 {
		t.Fatalf("put old version: %d %s", code, body)
	}

	const size = 256 << 20
	chunk := bytes.Repeat([]byte("N"), 1<<20)
	writers := []*io.PipeWriter{
		startSlowPut(t, n.endpoint+"/crash/replaced", size),
		startSlowPut(t, n.endpoint+"/crash/fresh", size),
	}
	for _, w := range writers {
		for i := 0; i < 16; i++ {
			if _, err := w.Write(chunk); err != nil {
				t.Fatalf("feeding PUT body: %v", err)
			}
		}
	}
	// Wait until the server has written most of what it was sent to disk, so
	// the kill lands in the middle of the writes.
	deadline := time.Now().Add(20 * time.Second)
	for tmpBytes(dir) < 16<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("server wrote only %d bytes of the PUTs to its temp folder", tmpBytes(dir))
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.kill()
	for _, w := range writers {
		w.CloseWithError(errors.New("server killed"))
	}

	n = start(t, dir)
	if got := tmpBytes(dir); got != 0 {
		t.Errorf("temp folder holds %d bytes after restart, want 0", got)
	}
	code, body := do(t, http.MethodGet, n.endpoint+"/crash/replaced", nil)
	if code != 200 || !bytes.Equal(body, old) {
		t.Errorf("replaced object after crash: status %d, %d bytes; want 200 with the old %d bytes", code, len(body), len(old))
	}
	code, body = do(t, http.MethodGet, n.endpoint+"/crash/fresh", nil)
	if code != 404 || !bytes.Contains(body, []byte("<Code>NoSuchKey</Code>")) {
		t.Errorf("new object after crash: status %d body %.200s; want 404 NoSuchKey", code, body)
	}
	if _, err := os.Stat(filepath.Join(dir, "crash", "fresh")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a partial file stands at the key: %v", err)
	}
}

// TestServer_LegacyCredentials starts with MINIO_ACCESS_KEY / MINIO_SECRET_KEY.
func TestServer_LegacyCredentials(t *testing.T) {
	n := start(t, t.TempDir(), "MINIO_ACCESS_KEY="+rootUser, "MINIO_SECRET_KEY="+rootPassword)
	if code, body := do(t, http.MethodGet, n.endpoint+"/", nil); code != 200 {
		t.Fatalf("ListBuckets with legacy credentials: %d %s", code, body)
	}
}
