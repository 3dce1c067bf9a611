package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServer_RefusesBadRootCredentials(t *testing.T) {
	dir := t.TempDir()
	base := []string{"PATH=/usr/bin:/bin"}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"none", nil, "MINIO_ROOT_USER"},
		{"no password", []string{"MINIO_ROOT_USER=admin"}, "MINIO_ROOT_PASSWORD"},
		{"short user", []string{"MINIO_ROOT_USER=ad", "MINIO_ROOT_PASSWORD=adminsecret"}, "MINIO_ROOT_USER is too short"},
		{"short password", []string{"MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=short"}, "MINIO_ROOT_PASSWORD is too short"},
		{"legacy short secret", []string{"MINIO_ACCESS_KEY=admin", "MINIO_SECRET_KEY=1234567"}, "at least 8 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runSesame(t, append(base, tt.env...), "server", "--address", "127.0.0.1:0", dir)
			if code != 1 {
				t.Fatalf("exit code = %d, want 1; output:\n%s", code, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Fatalf("output does not mention %q:\n%s", tt.want, out)
			}
			if strings.Contains(out, "adminsecret") {
				t.Fatalf("output leaks the password:\n%s", out)
			}
		})
	}
}

func TestCommand_Usage(t *testing.T) {
	code, out := runSesame(t, []string{"PATH=/usr/bin:/bin"}, "server")
	if code != 2 || !strings.Contains(out, "Usage: sesame server") {
		t.Fatalf("no DIR: exit %d, output:\n%s", code, out)
	}
	code, out = runSesame(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "sesame ") {
		t.Fatalf("version: exit %d, output %q", code, out)
	}
}

// TestServer_RefusesCorruptIAMStore: a damaged IAM store must stop the
// server with a message naming the file, never start with an empty IAM.
func TestServer_RefusesCorruptIAMStore(t *testing.T) {
	dir := t.TempDir()
	n := start(t, dir)
	n.kill()
	db := filepath.Join(dir, ".sesame.sys", "iam.db")
	if err := os.WriteFile(db, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/usr/bin:/bin", "MINIO_ROOT_USER=admin", "MINIO_ROOT_PASSWORD=adminsecret"}
	code, out := runSesame(t, env, "server", "--address", "127.0.0.1:0", dir)
	if code != 1 || !strings.Contains(out, "iam.db") || !strings.Contains(out, "corrupt") {
		t.Fatalf("exit %d, output:\n%s\nwant exit 1 naming iam.db as corrupt", code, out)
	}
}
