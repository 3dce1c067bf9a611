package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
	"github.com/sesame-s3/sesame/internal/server"
)

// The handler benchmarks call the server's handler in-process, without a
// network or an HTTP client, so that their CPU profile is the server's
// own work per request (go test -bench Handler -cpuprofile). The bare
// handler is the floor they are compared with: net/http's own parsing and
// writing is not in any of them. The load generator (go run ./bench)
// measures the same requests through real connections.

// handlerServer opens a server on a temp dir with bucket "bench" holding
// a 4 KiB object "obj".
func handlerServer(b *testing.B) http.Handler {
	b.Helper()
	srv, err := server.Open(config.Config{Dir: b.TempDir(), RootUser: "admin", RootPassword: "adminsecret", Region: "us-east-1"}, server.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	h := srv.Handler()
	creds := aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}
	serve(b, h, signedFor(b, creds, "s3", http.MethodPut, "http://localhost/bench", nil), http.StatusOK)
	serve(b, h, signedFor(b, creds, "s3", http.MethodPut, "http://localhost/bench/obj", bytes.Repeat([]byte("x"), 4<<10)), http.StatusOK)
	return h
}

// signedFor signs a request for service with the payload's SHA-256.
func signedFor(b *testing.B, creds aws.Credentials, service, method, rawURL string, body []byte) *http.Request {
	b.Helper()
	req := httptest.NewRequest(method, rawURL, bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if service != "s3" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, service, "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return req
}

// serve runs one request through h and checks its status.
func serve(b *testing.B, h http.Handler, req *http.Request, want int) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != want {
		b.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL, w.Code, want, w.Body.String())
	}
	return w
}

// replay runs req again and again, with a fresh copy of its body each
// time, and reports allocations.
func replay(b *testing.B, h http.Handler, req *http.Request, body []byte, want int) {
	b.ReportAllocs()
	for b.Loop() {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			b.Fatalf("status %d, want %d: %s", w.Code, want, w.Body.String())
		}
	}
}

type floorError struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
}

// BenchmarkHandler_Floor is a bare handler answering 403 with a small XML
// error, the least any S3 server does for a request.
func BenchmarkHandler_Floor(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_ = xml.NewEncoder(w).Encode(floorError{Code: "AccessDenied", Message: "Access Denied."})
	})
	replay(b, h, httptest.NewRequest(http.MethodGet, "http://localhost/", nil), nil, http.StatusForbidden)
}

// BenchmarkHandler_Anonymous is an unsigned GET / (ListBuckets): 403.
func BenchmarkHandler_Anonymous(b *testing.B) {
	h := handlerServer(b)
	replay(b, h, httptest.NewRequest(http.MethodGet, "http://localhost/", nil), nil, http.StatusForbidden)
}

// BenchmarkHandler_GetObject4KiB is a GetObject signed with the root keys.
func BenchmarkHandler_GetObject4KiB(b *testing.B) {
	h := handlerServer(b)
	creds := aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}
	replay(b, h, signedFor(b, creds, "s3", http.MethodGet, "http://localhost/bench/obj", nil), nil, http.StatusOK)
}

// BenchmarkHandler_GetObject4KiBTemp is a GetObject signed with temporary
// credentials (a session token to open on every request).
func BenchmarkHandler_GetObject4KiBTemp(b *testing.B) {
	h := handlerServer(b)
	temp := assumeRole(b, h)
	req := signedFor(b, temp, "s3", http.MethodGet, "http://localhost/bench/obj", nil)
	replay(b, h, req, nil, http.StatusOK)
}

// BenchmarkHandler_AssumeRole is STS AssumeRole signed with the root keys.
func BenchmarkHandler_AssumeRole(b *testing.B) {
	h := handlerServer(b)
	body := []byte(assumeRoleBody)
	req := signedFor(b, aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}, "sts", http.MethodPost, "http://localhost/", body)
	replay(b, h, req, body, http.StatusOK)
}

const assumeRoleBody = "Action=AssumeRole&Version=2011-06-15&DurationSeconds=900&RoleArn=arn%3Axxx%3Axxx%3Axxx%3Axxxx&RoleSessionName=bench"

// assumeRole returns temporary credentials of the root user.
func assumeRole(b *testing.B, h http.Handler) aws.Credentials {
	b.Helper()
	body := []byte(assumeRoleBody)
	w := serve(b, h, signedFor(b, aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}, "sts", http.MethodPost, "http://localhost/", body), http.StatusOK)
	var out struct {
		Result struct {
			Credentials struct {
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string `xml:"SecretAccessKey"`
				SessionToken    string `xml:"SessionToken"`
			} `xml:"Credentials"`
		} `xml:"AssumeRoleResult"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &out); err != nil {
		b.Fatal(err)
	}
	c := out.Result.Credentials
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

// BenchmarkHandler_WebIdentity is AssumeRoleWithWebIdentity with an RS256
// token of a real OpenID provider (oidctest, in-process): the floor plus
// one signature verification is its target.
func BenchmarkHandler_WebIdentity(b *testing.B) {
	p := oidctest.NewProvider(b, oidctest.Options{TokenLifetime: 24 * time.Hour})
	cfg := config.Config{Dir: b.TempDir(), RootUser: "admin", RootPassword: "adminsecret", Region: "us-east-1",
		OpenID: []oidc.ProviderConfig{{ConfigURL: p.ConfigURL(), ClientID: p.ClientID(), ClaimName: "policy"}}}
	srv, err := server.Open(cfg, server.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	h := srv.Handler()
	token := p.Token(b, map[string]any{"policy": "readwrite"})
	body := []byte("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&DurationSeconds=900&WebIdentityToken=" + token)
	req := httptest.NewRequest(http.MethodPost, "http://localhost/", bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	serve(b, h, req.Clone(req.Context()), http.StatusOK) // fetches the keys once
	replay(b, h, req, body, http.StatusOK)
}
