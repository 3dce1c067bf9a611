package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_S3Backend(t *testing.T) {
	root := []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=adminsecret"}
	file := filepath.Join(t.TempDir(), "sesame.env")
	if err := os.WriteFile(file, []byte("SESAME_S3_BACKEND=http://file:9000\nSESAME_S3_BACKEND_BUCKET=data\nSESAME_S3_BACKEND_ACCESS_KEY=filekey\nSESAME_S3_BACKEND_SECRET_KEY=filesecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		args    []string
		env     []string
		want    string // Endpoint|Bucket|BucketPrefix|AccessKey|SecretKey, "" for no backend
		wantErr string
	}{
		{"none", []string{"/d"}, nil, "", ""},
		{"flags", []string{"--s3-backend", "http://up:9000", "--s3-backend-bucket-prefix", "s-", "/d"},
			[]string{"SESAME_S3_BACKEND_ACCESS_KEY=k", "SESAME_S3_BACKEND_SECRET_KEY=s"}, "http://up:9000||s-|k|s", ""},
		{"env", []string{"/d"}, []string{"SESAME_S3_BACKEND=https://up", "SESAME_S3_BACKEND_BUCKET=b1"}, "https://up|b1|||", ""},
		{"config file", []string{"--config", file, "/d"}, nil, "http://file:9000|data||filekey|filesecret", ""},
		{"flag beats file", []string{"--config", file, "--s3-backend", "http://flag", "/d"}, nil, "http://flag|data||filekey|filesecret", ""},
		{"both modes", []string{"--s3-backend", "http://up", "--s3-backend-bucket", "b", "--s3-backend-bucket-prefix", "p", "/d"}, nil, "", "exclude each other"},
		{"mode without URL", []string{"--s3-backend-bucket", "b", "/d"}, nil, "", "need --s3-backend"},
		{"half the keys", []string{"--s3-backend", "http://up", "/d"}, []string{"SESAME_S3_BACKEND_ACCESS_KEY=k"}, "", "both"},
		{"bad URL", []string{"--s3-backend", "up:9000", "/d"}, nil, "", "http(s)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(c.args, append(root, c.env...), nil)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Load = %v, want an error with %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			for _, w := range cfg.Warnings {
				if strings.Contains(w, "S3_BACKEND") {
					t.Errorf("warning %q", w)
				}
			}
			got := ""
			if b := cfg.S3Backend; b != nil {
				got = strings.Join([]string{b.Endpoint, b.Bucket, b.BucketPrefix, b.AccessKey, b.SecretKey}, "|")
			}
			if got != c.want {
				t.Fatalf("S3Backend = %q, want %q", got, c.want)
			}
		})
	}
}
