package main

import (
	"net"
	"net/http/httptest"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/metrics"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/server"
)

// TestRun_Help: every command's help exits 0 on stdout.
func TestRun_Help(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"help", "server"}, {"help", "admin"}, {"help", "version"},
		{"server", "--help"}, {"server", "-h"}, {"server", "--max-conns", "5", "--help"},
		{"admin", "--help"}, {"admin", "help"}, {"admin", "iam", "--help"}, {"admin", "config", "--help"},
		{"admin", "iam", "export", "--help"}, {"admin", "iam", "import", "-h"},
		{"admin", "config", "get", "--help"}, {"admin", "prometheus", "generate", "--help"},
		{"version", "--help"},
	} {
		var stdout, stderr strings.Builder
		code := run(args, nil, &stdout, &stderr)
		if code != 0 || stdout.Len() == 0 || stderr.Len() != 0 {
			t.Errorf("sesame %s: exit %d, %d bytes on stdout, stderr %q; want 0, the help on stdout", strings.Join(args, " "), code, stdout.Len(), stderr.String())
		}
	}
	var stdout, stderr strings.Builder
	if code := run([]string{"server"}, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "missing DIR") ||
		!strings.Contains(stderr.String(), "Usage: sesame server") {
		t.Errorf("sesame server without DIR: exit %d, stderr:\n%s", code, stderr.String())
	}
}

func TestVersionFrom(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.time", Value: "2026-11-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := versionFrom("dev", bi)
	if !regexp.MustCompile(`^sesame v1\.2\.3 commit 0123abcd \(modified\) 2026-11-01T10:00:00Z go\S+ \S+/\S+$`).MatchString(got) {
		t.Errorf("versionFrom = %q", got)
	}
	if got := versionFrom("v9", nil); !strings.HasPrefix(got, "sesame v9 go") {
		t.Errorf("versionFrom without build info = %q", got)
	}
}

func TestEndpointURLs(t *testing.T) {
	ifaces := func() ([]net.Addr, error) {
		return []net.Addr{
			&net.IPNet{IP: net.ParseIP("127.0.0.1"), Mask: net.CIDRMask(8, 32)},
			&net.IPNet{IP: net.ParseIP("10.0.0.5"), Mask: net.CIDRMask(24, 32)},
			&net.IPNet{IP: net.ParseIP("fe80::1"), Mask: net.CIDRMask(64, 128)},
			&net.IPNet{IP: net.ParseIP("2001:db8::5"), Mask: net.CIDRMask(64, 128)},
		}, nil
	}
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	for _, tt := range []struct {
		addr net.Addr
		tls  bool
		want []string
	}{
		{tcp("[::]:9000"), false, []string{"http://localhost:9000", "http://10.0.0.5:9000", "http://[2001:db8::5]:9000"}},
		{tcp("0.0.0.0:9000"), true, []string{"https://localhost:9000", "https://10.0.0.5:9000"}},
		{tcp("127.0.0.1:9000"), false, []string{"http://127.0.0.1:9000"}},
	} {
		if got := endpointURLs(tt.addr, tt.tls, ifaces); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("endpointURLs(%v, %v) = %q, want %q", tt.addr, tt.tls, got, tt.want)
		}
	}
}

func TestBanner(t *testing.T) {
	cfg := config.Config{Dir: "./data", RootUser: "minioadmin", RootPassword: "minioadmin", Region: "us-east-1",
		CertsDir: "/home/me/.sesame/certs", MetricsAuth: config.MetricsAuthJWT,
		OpenID:   []oidc.ProviderConfig{{JWKSURL: "https://idp.example.com/jwks"}},
		Warnings: []string{"MINIO_ROOT_PASWORD is not a setting Sesame knows"}}
	addr, _ := net.ResolveTCPAddr("tcp", "127.0.0.1:9000")
	b := newBanner(cfg, addr, false)
	var out strings.Builder
	b.write(&out)
	for _, want := range []string{"http://127.0.0.1:9000", "aws --endpoint-url http://127.0.0.1:9000 s3 ls", "AWS_ACCESS_KEY_ID=minioadmin",
		"/minio/health/ready", "default (https://idp.example.com/jwks)", "IAM and bucket policies", "warning(s) follow"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	all := strings.Join(b.warnings, "\n")
	for _, want := range []string{"plain HTTP", "/home/me/.sesame/certs", "minioadmin", "issuer (iss) is NOT checked", "MINIO_ROOT_PASWORD"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	cfg.RootPassword = "s3cr3t-password"
	out.Reset()
	newBanner(cfg, addr, true).write(&out)
	if strings.Contains(out.String(), "s3cr3t-password") || !strings.Contains(out.String(), "https://127.0.0.1:9000") {
		t.Errorf("TLS banner:\n%s", out.String())
	}
}

func TestAdmin_PrometheusGenerate(t *testing.T) {
	var stdout, stderr strings.Builder
	env := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=adminsecret"}
	if code := run([]string{"admin", "prometheus", "generate", "--endpoint", "https://s3.example.com:9000", "--expiry", "1h"}, env, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	m := regexp.MustCompile(`bearer_token: (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil || !strings.Contains(stdout.String(), "scheme: https") || !strings.Contains(stdout.String(), "targets: ['s3.example.com:9000']") ||
		!strings.Contains(stdout.String(), "metrics_path: /minio/v2/metrics/cluster") || strings.Contains(stdout.String(), "adminsecret") {
		t.Fatalf("output:\n%s", stdout.String())
	}
	sub, err := metrics.VerifyToken(m[1], time.Now(), func(string) (string, error) { return "adminsecret", nil })
	if err != nil || sub != "admin" {
		t.Errorf("the token does not verify: %q %v", sub, err)
	}
	if code := run([]string{"admin", "prometheus", "generate"}, nil, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "MINIO_ROOT_USER") {
		t.Errorf("without credentials: exit %d, %s", code, stderr.String())
	}
}

func TestAdmin_ConfigGet(t *testing.T) {
	cfg := config.Config{Dir: t.TempDir(), RootUser: "admin", RootPassword: "adminsecret", Region: "us-east-1",
		OpenID: nil, Audit: config.AuditConfig{File: t.TempDir() + "/audit.log"}}
	srv, err := server.Open(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer func() { ts.Close(); srv.Close() }()
	env := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=adminsecret"}
	var stdout, stderr strings.Builder
	if code := run([]string{"admin", "config", "get", "--endpoint", ts.URL}, env, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"server ", "root_user=admin", "root_password=REDACTED", "audit_file file=", "iam_store backend=bbolt", "tls certs_dir="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "adminsecret") {
		t.Errorf("output shows the secret:\n%s", out)
	}
	stdout.Reset()
	if code := run([]string{"admin", "config", "get", "--endpoint", ts.URL, "--json", "iam_store"}, env, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), `"name": "iam_store"`) || strings.Contains(stdout.String(), `"server"`) {
		t.Errorf("--json iam_store: exit %d\n%s", code, stdout.String())
	}
	stderr.Reset()
	bad := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=wrongsecret"}
	if code := run([]string{"admin", "config", "get", "--endpoint", ts.URL}, bad, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: exit %d, %s", code, stderr.String())
	}
}
