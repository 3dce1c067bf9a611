package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/server"
)

// benchServer starts a server on a temp dir with one bucket.
func benchServer(b *testing.B) *httptest.Server {
	b.Helper()
	srv, err := server.Open(config.Config{Dir: b.TempDir(), RootUser: "admin", RootPassword: "adminsecret", Region: "us-east-1"}, server.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(func() { ts.Close(); srv.Close() })
	req := signed(b, http.MethodPut, ts.URL+"/bench", nil)
	send(b, req, http.StatusOK)
	return ts
}

// signed returns a request signed with the payload's SHA-256. The signature
// stays valid for 15 minutes, so a benchmark can replay the headers.
func signed(b *testing.B, method, url string, body []byte) *http.Request {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return req
}

func send(b *testing.B, req *http.Request, want int) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: status %d, want %d", req.Method, req.URL.Path, resp.StatusCode, want)
	}
}

func benchPut(b *testing.B, size int) {
	ts := benchServer(b)
	body := bytes.Repeat([]byte("s"), size)
	req := signed(b, http.MethodPut, ts.URL+"/bench/object", body)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(bytes.NewReader(body))
		send(b, r, http.StatusOK)
	}
}

func benchGet(b *testing.B, size int) {
	ts := benchServer(b)
	body := bytes.Repeat([]byte("g"), size)
	send(b, signed(b, http.MethodPut, ts.URL+"/bench/object", body), http.StatusOK)
	req := signed(b, http.MethodGet, ts.URL+"/bench/object", nil)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		send(b, req.Clone(context.Background()), http.StatusOK)
	}
}

func BenchmarkServer_PutObject4KiB(b *testing.B)  { benchPut(b, 4<<10) }
func BenchmarkServer_PutObject16MiB(b *testing.B) { benchPut(b, 16<<20) }
func BenchmarkServer_GetObject4KiB(b *testing.B)  { benchGet(b, 4<<10) }
func BenchmarkServer_GetObject16MiB(b *testing.B) { benchGet(b, 16<<20) }
