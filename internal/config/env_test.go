package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_UnknownVariables(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sesame.env")
	os.WriteFile(file, []byte("MINIO_ROOT_PASSWORD=adminsecret\nMINIO_ETCD_ENDPOINT=http://e:2379\n"), 0o600)
	environ := []string{
		"MINIO_ROOT_USER=admin",
		"MINIO_ROOT_PASWORD=oops", // the typo of the issue
		"MINIO_IDENTITY_OPENID_CONFIG_URL_DEX=https://dex.example.com/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID_DEX=sesame",
		"MINIO_IDENTITY_OPENID_CLIENTID_DEX=sesame",
		"MINIO_API_REQUESTS_MAX=100",
		"MINIO_COMPRESSION_ENABLE=on",
		"MINIO_IDENTITY_LDAP_SERVR_ADDR=ldap:636",
		"MINIO_AUDIT_WEBHOOK_ENDPOINT_TARGET1=http://audit",
		"SESAME_FROBNICATE=1",
		"SESAME_E2E_ENDPOINT=http://x", // a test harness's, not a mistake
		"MINIO_REGION=eu-west-1",
		"HOME=/root", // not ours
	}
	cfg, err := Load([]string{"--config", file, dir}, environ, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"MINIO_ROOT_PASWORD is not a setting Sesame knows; it is ignored. Did you mean MINIO_ROOT_PASSWORD? (in the environment)",
		"MINIO_ETCD_ENDPOINT is not a setting Sesame knows; it is ignored. Did you mean MINIO_ETCD_ENDPOINTS? (in " + file + ")",
		"MINIO_IDENTITY_OPENID_CLIENTID_DEX is not a setting Sesame knows; it is ignored. Did you mean MINIO_IDENTITY_OPENID_CLIENT_ID_DEX?",
		"MINIO_API_REQUESTS_MAX is a MinIO setting that Sesame does not use",
		"MINIO_COMPRESSION_ENABLE is a MinIO setting that Sesame does not use",
		"MINIO_IDENTITY_LDAP_SERVR_ADDR is not a setting Sesame knows; it is ignored. Did you mean MINIO_IDENTITY_LDAP_SERVER_ADDR?",
		"MINIO_AUDIT_WEBHOOK_ENDPOINT_TARGET1 is ignored: Sesame has one audit webhook",
		"SESAME_FROBNICATE is not a setting Sesame knows; it is ignored (sesame server --help lists them)",
	}
	all := strings.Join(cfg.Warnings, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no warning %q in:\n%s", w, all)
		}
	}
	if len(cfg.Warnings) != len(want) {
		t.Errorf("%d warnings, want %d:\n%s", len(cfg.Warnings), len(want), all)
	}
	if strings.Contains(all, "oops") || strings.Contains(all, "adminsecret") {
		t.Errorf("a warning shows a value:\n%s", all)
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"MINIO_ROOT_PASWORD", "MINIO_ROOT_PASSWORD", 1}, {"ab", "ba", 2}} {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestValidate_RootCredentials(t *testing.T) {
	for _, tt := range []struct {
		user, password, want string
	}{
		{"", "", "set MINIO_ROOT_USER (at least 3 characters) and MINIO_ROOT_PASSWORD"},
		{"admin", "", "MINIO_ROOT_PASSWORD (the root secret key, at least 8 characters) is missing"},
		{"", "adminsecret", "MINIO_ROOT_USER (the root access key, at least 3 characters) is missing"},
	} {
		err := Config{Dir: "d", RootUser: tt.user, RootPassword: tt.password}.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("user %q password set %v: %v, want %q", tt.user, tt.password != "", err, tt.want)
		}
	}
}

func TestLoad_Operations(t *testing.T) {
	dir := t.TempDir()
	root := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=adminsecret"}
	cfg, err := Load([]string{dir}, root, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsAuth != MetricsAuthJWT || cfg.STSRequireTLS || cfg.AccessLog != "" || cfg.Audit.File != "" ||
		cfg.Audit.Webhook != nil || cfg.Log.Format != "text" || cfg.ShutdownTimeout != DefaultShutdownTimeout ||
		!strings.HasSuffix(cfg.CertsDir, filepath.Join(".sesame", "certs")) {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg, err = Load([]string{"--log-format", "json", "--access-log", "stderr", "--certs-dir", "/etc/sesame/certs", "--shutdown-timeout", "5s", dir},
		append(root, "SESAME_STS_REQUIRE_TLS=on", "SESAME_LOG_LEVEL=debug", "SESAME_LOG_FORMAT=text", "SESAME_AUDIT_LOG_FILE=/var/log/audit.log",
			"MINIO_AUDIT_WEBHOOK_ENABLE=on", "MINIO_AUDIT_WEBHOOK_ENDPOINT=https://audit.example.com/in", "MINIO_AUDIT_WEBHOOK_AUTH_TOKEN=Bearer t",
			"MINIO_AUDIT_WEBHOOK_QUEUE_SIZE=50", "MINIO_PROMETHEUS_AUTH_TYPE=public"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.STSRequireTLS || cfg.Log.Format != "json" || cfg.Log.Level.String() != "DEBUG" || cfg.AccessLog != "stderr" ||
		cfg.CertsDir != "/etc/sesame/certs" || cfg.ShutdownTimeout.String() != "5s" || cfg.Audit.File != "/var/log/audit.log" ||
		cfg.Audit.Webhook == nil || cfg.Audit.Webhook.Endpoint != "https://audit.example.com/in" || cfg.Audit.Webhook.QueueSize != 50 ||
		cfg.MetricsAuth != MetricsAuthPublic {
		t.Errorf("set: %+v %+v", cfg, cfg.Audit.Webhook)
	}
	for name, env := range map[string][]string{
		"webhook without endpoint": {"MINIO_AUDIT_WEBHOOK_ENABLE=on"},
		"webhook bad url":          {"MINIO_AUDIT_WEBHOOK_ENABLE=on", "MINIO_AUDIT_WEBHOOK_ENDPOINT=audit:9000"},
		"bad auth type":            {"MINIO_PROMETHEUS_AUTH_TYPE=token"},
		"bad require tls":          {"SESAME_STS_REQUIRE_TLS=maybe"},
		"bad log format":           {"SESAME_LOG_FORMAT=xml"},
	} {
		if _, err := Load([]string{dir}, append(root, env...), io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	cfg, _ = Load([]string{dir}, append(root, "MINIO_AUDIT_WEBHOOK_ENDPOINT=http://audit"), io.Discard)
	if cfg.Audit.Webhook != nil || !strings.Contains(strings.Join(cfg.Warnings, "\n"), "MINIO_AUDIT_WEBHOOK_ENABLE is not on") {
		t.Errorf("endpoint without enable: webhook %+v, warnings %q", cfg.Audit.Webhook, cfg.Warnings)
	}
}

func TestLoad_Usage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want error
		msg  string
	}{
		{nil, ErrUsage, "missing DIR"},
		{[]string{"a", "b"}, ErrUsage, "one DIR expected"},
		{[]string{"--frobnicate", "a"}, ErrUsage, "frobnicate"},
		{[]string{"--help"}, ErrHelp, ""},
		{[]string{"-h", "dir"}, ErrHelp, ""},
	} {
		_, err := Load(tt.args, nil, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.msg) || !errorsIs(err, tt.want) {
			t.Errorf("Load(%q) = %v, want %v with %q", tt.args, err, tt.want, tt.msg)
		}
	}
	var b strings.Builder
	Usage(&b)
	for _, flag := range []string{"-certs-dir", "-sts-require-tls", "-log-format", "-access-log", "-audit-log", "-pprof", "-shutdown-timeout"} {
		if !strings.Contains(b.String(), flag) {
			t.Errorf("Usage lacks %s", flag)
		}
	}
	for _, v := range append(append([]string{}, knownVariables...), "MINIO_IDENTITY_OPENID_CONFIG_URL") {
		if !strings.Contains(Environment, v) && !strings.Contains(Environment, strings.TrimPrefix(v, "MINIO_ETCD")) {
			t.Errorf("the environment help does not name %s", v)
		}
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
