package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// configSeeds are --config files for both fuzz targets.
var configSeeds = []string{
	"# OpenID provider\nexport MINIO_ROOT_USER=fromfile\nMINIO_ROOT_PASSWORD=\"filesecret\"\n" +
		"MINIO_IDENTITY_OPENID_CONFIG_URL=https://idp.example.com/.well-known/openid-configuration\n" +
		"MINIO_IDENTITY_OPENID_CLIENT_ID='sesame'\nMINIO_REGION=eu-west-1\n",
	"MINIO_DOMAIN = s3.example.com, S3.Other.Example \r\n\r\n  # indented comment\n",
	"MINIO_POLICY_OPA_URL=http://opa:8181/v1/data/httpapi/authz\nMINIO_POLICY_OPA_AUTH_TOKEN=\"Bearer x\"\nMINIO_POLICY_OPA_TIMEOUT=2s\n",
	"MINIO_ETCD_ENDPOINTS=http://etcd:2379, https://etcd2:2379\nMINIO_ETCD_USERNAME=u\nMINIO_ETCD_PASSWORD='p=w'\n",
	"KEY='\"'\nQ=\"'\nE=\"\"\nS=' spaced '\nexport #HASH=1\nexportX=2\nexport  Y=3\n",
	"MINIO_ROOT_USER=a=b\n",
	"not a setting\n",
	"=value\n",
	"KEY WITH SPACE=1\n",
	"\"",
	"",
}

// writeConfig writes data to the file this fuzz worker reuses.
func writeConfig(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// FuzzReadEnvFile: readEnvFile never panics; it fails only on a line that
// is not KEY=VALUE, naming the file and the line; each setting it returns
// is KEY=VALUE with a key free of '=' and blanks; and writing the settings
// back out (export KEY="VALUE") reads back to the same settings, so the
// format is idempotent.
func FuzzReadEnvFile(f *testing.F) {
	for _, s := range configSeeds {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "sesame.env")
	f.Fuzz(func(t *testing.T, data []byte) {
		writeConfig(t, path, data)
		got, err := readEnvFile(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			if len(data) <= maxConfigFile && !strings.Contains(err.Error(), ", line ") {
				t.Fatalf("error %q does not name the line", err)
			}
			return
		}
		var again strings.Builder
		for _, kv := range got {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" || strings.ContainsAny(k, " \t\n") || k != strings.TrimSpace(k) {
				t.Fatalf("setting %q: bad key %q", kv, k)
			}
			if strings.Contains(v, "\n") {
				t.Fatalf("setting %q: value spans lines", kv)
			}
			fmt.Fprintf(&again, "export %s=\"%s\"\n", k, v)
		}
		writeConfig(t, path, []byte(again.String()))
		back, err := readEnvFile(path)
		if err != nil {
			t.Fatalf("the settings written back do not read: %v\n%s", err, again.String())
		}
		if !slices.Equal(got, back) {
			t.Fatalf("settings %q read back as %q", got, back)
		}
	})
}

// FuzzLoad runs Load with a fuzzed --config file and a fixed environment.
// Properties: it never panics; the environment wins over the file; a
// configuration it returns is valid, with clean domains, and etcd or OPA
// only with an endpoint.
func FuzzLoad(f *testing.F) {
	for _, s := range configSeeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "sesame.env")
	environ := []string{"MINIO_ROOT_USER=envadmin", "MINIO_ROOT_PASSWORD=envpassword", "MINIO_REGION=env-region"}
	f.Fuzz(func(t *testing.T, data []byte) {
		writeConfig(t, path, data)
		cfg, err := Load([]string{"--config", path, dir}, environ, io.Discard)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Load returned a configuration that Validate refuses: %v", err)
		}
		if cfg.RootUser != "envadmin" || cfg.RootPassword != "envpassword" || cfg.Region != "env-region" {
			t.Fatalf("the file won over the environment: root %q, region %q", cfg.RootUser, cfg.Region)
		}
		for _, d := range cfg.Domains {
			if d == "" || d != strings.ToLower(strings.TrimSpace(d)) || strings.Contains(d, ",") {
				t.Fatalf("domain %q", d)
			}
		}
		if cfg.Etcd != nil && len(cfg.Etcd.Endpoints) == 0 {
			t.Fatal("etcd configured without endpoints")
		}
		if cfg.OPA != nil && cfg.OPA.URL == "" {
			t.Fatal("OPA configured without a URL")
		}
	})
}
