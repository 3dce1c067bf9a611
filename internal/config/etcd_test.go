package config

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestLoad_Etcd(t *testing.T) {
	root := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=password1"}
	tests := []struct {
		name    string
		env     []string
		wantErr string // "" for success
		check   func(t *testing.T, cfg Config)
	}{
		{"unset", nil, "", func(t *testing.T, cfg Config) {
			if cfg.Etcd != nil {
				t.Errorf("Etcd = %+v, want nil", cfg.Etcd)
			}
		}},
		{"full", []string{
			"MINIO_ETCD_ENDPOINTS=https://etcd1:2379, https://etcd2:2379,",
			"MINIO_ETCD_PATH_PREFIX=prod/",
			"MINIO_ETCD_CLIENT_CERT=/certs/client.crt",
			"MINIO_ETCD_CLIENT_CERT_KEY=/certs/client.key",
			"MINIO_ETCD_CA=/certs/ca.crt",
			"MINIO_ETCD_USERNAME=sesame",
			"MINIO_ETCD_PASSWORD=s3cret",
		}, "", func(t *testing.T, cfg Config) {
			e := cfg.Etcd
			if e == nil {
				t.Fatal("Etcd = nil")
			}
			if !slices.Equal(e.Endpoints, []string{"https://etcd1:2379", "https://etcd2:2379"}) || e.PathPrefix != "prod/" ||
				e.CertFile != "/certs/client.crt" || e.KeyFile != "/certs/client.key" || e.CAFile != "/certs/ca.crt" ||
				e.Username != "sesame" || e.Password != "s3cret" {
				t.Errorf("Etcd = %+v", *e)
			}
			if strings.Contains(e.String(), "s3cret") {
				t.Errorf("Config.String() %q shows the password", e.String())
			}
		}},
		{"bad scheme", []string{"MINIO_ETCD_ENDPOINTS=unix://sock"}, "MINIO_ETCD_ENDPOINTS", nil},
		{"prefix without endpoints", []string{"MINIO_ETCD_PATH_PREFIX=x/"}, "MINIO_ETCD_ENDPOINTS", nil},
		{"cert without key", []string{"MINIO_ETCD_ENDPOINTS=http://e:2379", "MINIO_ETCD_CLIENT_CERT=/c"}, "MINIO_ETCD_CLIENT_CERT_KEY", nil},
		{"user without password", []string{"MINIO_ETCD_ENDPOINTS=http://e:2379", "MINIO_ETCD_USERNAME=u"}, "MINIO_ETCD_PASSWORD", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load([]string{t.TempDir()}, append(slices.Clone(root), tt.env...), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load: error = %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg)
		})
	}
}
