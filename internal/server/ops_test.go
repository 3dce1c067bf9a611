package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/metrics"
	"github.com/sesame-s3/sesame/internal/server/certstest"
)

const (
	rootUser   = "admin"
	rootSecret = "adminsecret"
)

// openTest opens a server on a temp dir; edit adjusts the configuration.
func openTest(t *testing.T, edit func(*config.Config)) *Server {
	t.Helper()
	cfg := config.Config{Dir: t.TempDir(), RootUser: rootUser, RootPassword: rootSecret, Region: "us-east-1"}
	if edit != nil {
		edit(&cfg)
	}
	s, err := Open(cfg, Options{CertPollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func get(t *testing.T, c *http.Client, method, u string, header http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// signed sends a request signed by creds for service, with body.
func signed(t *testing.T, creds aws.Credentials, service, method, u, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

var root = aws.Credentials{AccessKeyID: rootUser, SecretAccessKey: rootSecret}

func TestServer_Health(t *testing.T) {
	s := openTest(t, nil)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, path := range []string{"/minio/health/live", "/minio/health/ready", "/minio/health/cluster"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			if code, _, body := get(t, nil, method, ts.URL+path, nil); code != http.StatusOK || body != "" {
				t.Errorf("%s %s: %d %q, want 200 and no body", method, path, code, body)
			}
		}
	}
	if code, _, _ := get(t, nil, http.MethodPost, ts.URL+"/minio/health/live", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST live: %d, want 405", code)
	}
	// The IAM store goes away: ready turns 503 once the cached answer is
	// stale; live stays 200.
	s.store.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _, _ := get(t, nil, http.MethodGet, ts.URL+"/minio/health/ready", nil)
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ready: %d with the IAM store closed, want 503", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _, _ := get(t, nil, http.MethodGet, ts.URL+"/minio/health/live", nil); code != http.StatusOK {
		t.Errorf("live with the store closed: %d, want 200", code)
	}
}

func TestServer_MetricsAuth(t *testing.T) {
	s := openTest(t, nil)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	if _, err := s.iam.CreateUser(t.Context(), "carol"); err != nil {
		t.Fatal(err)
	}
	key, err := s.iam.CreateAccessKey(t.Context(), "carol")
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	good := metrics.NewToken(rootUser, rootSecret, time.Now().Add(time.Hour))
	tests := []struct {
		name   string
		path   string
		header http.Header
		want   int
	}{
		{"no token", "/minio/v2/metrics/cluster", nil, http.StatusUnauthorized},
		{"root token", "/minio/v2/metrics/cluster", bearer(good), http.StatusOK},
		{"root token at /metrics", "/metrics", bearer(good), http.StatusOK},
		{"node path", "/minio/v2/metrics/node", bearer(good), http.StatusOK},
		{"expired", "/minio/v2/metrics/cluster", bearer(metrics.NewToken(rootUser, rootSecret, time.Now().Add(-time.Minute))), http.StatusForbidden},
		{"wrong secret", "/minio/v2/metrics/cluster", bearer(metrics.NewToken(rootUser, "wrongsecret", time.Now().Add(time.Hour))), http.StatusForbidden},
		{"unknown key", "/minio/v2/metrics/cluster", bearer(metrics.NewToken("nobody", rootSecret, time.Now().Add(time.Hour))), http.StatusForbidden},
		{"user without admin:Prometheus", "/minio/v2/metrics/cluster", bearer(metrics.NewToken(key.ID, key.Secret, time.Now().Add(time.Hour))), http.StatusForbidden},
	}
	for _, tt := range tests {
		code, _, body := get(t, nil, http.MethodGet, ts.URL+tt.path, tt.header)
		if code != tt.want {
			t.Errorf("%s: %d %q, want %d", tt.name, code, body, tt.want)
		}
		if code == http.StatusOK && !strings.Contains(body, "sesame_http_requests_total") {
			t.Errorf("%s: no request counter in\n%.500s", tt.name, body)
		}
	}
	// The canned diagnostics policy allows admin:Prometheus.
	if err := s.iam.AttachUserPolicy(t.Context(), "carol", "diagnostics"); err != nil {
		t.Fatal(err)
	}
	if code, _, body := get(t, nil, http.MethodGet, ts.URL+"/minio/v2/metrics/cluster", bearer(metrics.NewToken(key.ID, key.Secret, time.Now().Add(time.Hour)))); code != http.StatusOK {
		t.Errorf("user with diagnostics: %d %s", code, body)
	}
	// A signed S3 request for the bucket "metrics" is S3's.
	if code, body := signed(t, root, "s3", http.MethodGet, ts.URL+"/metrics", "", nil); code != http.StatusNotFound || !strings.Contains(body, "NoSuchBucket") {
		t.Errorf("signed GET /metrics: %d %s, want S3's NoSuchBucket", code, body)
	}

	pub := openTest(t, func(c *config.Config) { c.MetricsAuth = config.MetricsAuthPublic })
	ts2 := httptest.NewServer(pub.Handler())
	defer ts2.Close()
	if code, _, _ := get(t, nil, http.MethodGet, ts2.URL+"/minio/v2/metrics/cluster", nil); code != http.StatusOK {
		t.Errorf("public metrics without a token: %d", code)
	}
}

func TestServer_AdminAPI(t *testing.T) {
	s := openTest(t, func(c *config.Config) {
		c.OPA = nil
		c.Audit.Webhook = &config.AuditWebhook{Endpoint: "https://hook.example.com/x", AuthToken: "Bearer hooksecret"}
	})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for path, want := range map[string]string{
		"/minio/admin/v3/add-user?accessKey=bob": "aws iam create-user",
		"/minio/admin/v3/info":                   "/minio/health/ready",
		"/minio/admin/v3/get-config-kv":          "sesame admin config get",
		"/minio/admin/v3/whatever":               "AWS IAM API",
	} {
		code, h, body := get(t, nil, http.MethodPut, ts.URL+path, nil)
		var e struct{ Code, Message, RequestId string }
		if err := json.Unmarshal([]byte(body), &e); err != nil || code != http.StatusNotImplemented || e.Code != "NotImplemented" ||
			!strings.Contains(e.Message, want) || h.Get("Content-Type") != "application/json" || e.RequestId == "" {
			t.Errorf("%s: %d %s, want 501 JSON naming %q", path, code, body, want)
		}
	}

	u := ts.URL + ConfigPath
	if code, _, body := get(t, nil, http.MethodGet, u, nil); code != http.StatusForbidden || !strings.Contains(body, "AccessDenied") {
		t.Errorf("unsigned config: %d %s", code, body)
	}
	if code, body := signed(t, aws.Credentials{AccessKeyID: rootUser, SecretAccessKey: "wrongsecret"}, "s3", http.MethodGet, u, "", nil); code != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Errorf("config with a wrong secret: %d %s", code, body)
	}
	code, body := signed(t, root, "s3", http.MethodGet, u, "", nil)
	if code != http.StatusOK {
		t.Fatalf("config: %d %s", code, body)
	}
	var eff Effective
	if err := json.Unmarshal([]byte(body), &eff); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, rootSecret) || strings.Contains(body, "hooksecret") {
		t.Errorf("the configuration shows a secret:\n%s", body)
	}
	found := map[string]string{}
	for _, sub := range eff.Subsystems {
		for _, kv := range sub.Settings {
			found[sub.Name+"."+kv.Key] = kv.Value
		}
	}
	for k, want := range map[string]string{"server.root_user": rootUser, "server.root_password": Redacted, "audit_webhook.auth_token": Redacted,
		"audit_webhook.endpoint": "https://hook.example.com/x", "iam_store.backend": "bbolt", "tls.enable": "off", "prometheus.auth_type": "jwt"} {
		if found[k] != want {
			t.Errorf("%s = %q, want %q", k, found[k], want)
		}
	}
}

func TestServer_STSRequireTLS(t *testing.T) {
	s := openTest(t, func(c *config.Config) { c.STSRequireTLS = true })
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}}
	code, body := signed(t, root, "sts", http.MethodPost, ts.URL+"/", "application/x-www-form-urlencoded", []byte(form.Encode()))
	if code != http.StatusForbidden || !strings.Contains(body, "SESAME_STS_REQUIRE_TLS") || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Errorf("STS over http with the requirement: %d %s", code, body)
	}
	// S3 is not affected.
	if code, body := signed(t, root, "s3", http.MethodGet, ts.URL+"/", "", nil); code != http.StatusOK {
		t.Errorf("S3 over http: %d %s", code, body)
	}
}

// TestServer_TLSReload serves HTTPS from a certs directory and picks up a
// new certificate written over the old one, without a restart.
func TestServer_TLSReload(t *testing.T) {
	certs := t.TempDir()
	ca := certstest.NewCA(t, "Sesame test CA")
	ca.WriteServerCert(t, certs, 10, "127.0.0.1", "localhost")
	os.MkdirAll(filepath.Join(certs, CAsDir), 0o700)
	os.WriteFile(filepath.Join(certs, CAsDir, "ca.crt"), ca.PEM, 0o644)
	s := openTest(t, func(c *config.Config) { c.CertsDir = certs })
	if !s.TLS() || s.certs.ncas != 1 {
		t.Fatalf("TLS %v with %d CAs, want on with 1", s.TLS(), s.certs.ncas)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.ServeWith(ctx, l, Limits{}) }()
	defer func() { cancel(); wg.Wait() }()
	base := "https://" + l.Addr().String()

	serial := func() int64 {
		t.Helper()
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}, DisableKeepAlives: true}}
		resp, err := c.Get(base + "/minio/health/live")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.TLS.Version < tls.VersionTLS12 || resp.TLS.NegotiatedProtocol == "h2" {
			t.Errorf("TLS version %x, protocol %q", resp.TLS.Version, resp.TLS.NegotiatedProtocol)
		}
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 10 {
		t.Fatalf("serial %d, want 10", got)
	}
	// TLS 1.1 is refused; plain http gets no HTTP answer.
	c11 := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MaxVersion: tls.VersionTLS11}}}
	if _, err := c11.Get(base + "/minio/health/live"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	if resp, err := http.Get("http://" + l.Addr().String() + "/minio/health/live"); err == nil && resp.StatusCode == http.StatusOK {
		t.Error("plain http was served on the TLS port")
	}

	time.Sleep(10 * time.Millisecond) // a new modification time
	ca.WriteServerCert(t, certs, 11, "127.0.0.1")
	deadline := time.Now().Add(5 * time.Second)
	for serial() != 11 {
		if time.Now().After(deadline) {
			t.Fatal("the new certificate was not picked up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A broken pair is refused and the current one kept.
	os.WriteFile(filepath.Join(certs, KeyFile), []byte("garbage"), 0o600)
	if _, err := s.certs.Reload(); err == nil {
		t.Error("Reload accepted a broken key")
	}
	if got := serial(); got != 11 {
		t.Errorf("serial %d after a broken reload, want 11 kept", got)
	}
}

func TestOpen_CertsDirWithOneFile(t *testing.T) {
	certs := t.TempDir()
	os.WriteFile(filepath.Join(certs, CertFile), []byte("x"), 0o644)
	_, err := Open(config.Config{Dir: t.TempDir(), RootUser: rootUser, RootPassword: rootSecret, CertsDir: certs}, Options{})
	if err == nil || !strings.Contains(err.Error(), KeyFile) {
		t.Errorf("Open with public.crt only: %v, want an error naming %s", err, KeyFile)
	}
	// An empty or missing certs directory means plain http.
	s := openTest(t, func(c *config.Config) { c.CertsDir = filepath.Join(t.TempDir(), "none") })
	if s.TLS() {
		t.Error("TLS on without certificates")
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServer_AccessLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	var errLog syncBuffer
	cfg := config.Config{Dir: t.TempDir(), RootUser: rootUser, RootPassword: rootSecret, AccessLog: path, Log: config.LogConfig{Format: "json"}}
	s, err := Open(cfg, Options{Logger: slog.New(NewLogHandler("json", slog.LevelInfo, &errLog))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	get(t, nil, http.MethodGet, ts.URL+"/minio/health/live", nil)
	_, h, _ := get(t, nil, http.MethodGet, ts.URL+"/nosuchbucket?X-Amz-Signature=abc", nil)
	ts.Close()
	if err := s.Close(); err != nil { // flushes
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"api":"health"`) || !strings.Contains(lines[1], `"api":"s3"`) ||
		!strings.Contains(lines[1], `"request_id":"`+h.Get("X-Amz-Request-Id")+`"`) || strings.Contains(string(data), "X-Amz-Signature") {
		t.Errorf("access log:\n%s", data)
	}
	if strings.Contains(errLog.String(), `"msg":"request"`) {
		t.Errorf("requests in the server's own log:\n%s", errLog.String())
	}
}
