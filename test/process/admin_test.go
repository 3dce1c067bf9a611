package process

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// doIAM sends a signed IAM query (service "iam") with form and returns the
// status and body.
func doIAM(t *testing.T, endpoint string, c aws.Credentials, form url.Values) (int, string) {
	t.Helper()
	form.Set("Version", "2010-05-08")
	code, body := signedRequest(t, c, "iam", http.MethodPost, endpoint+"/", "application/x-www-form-urlencoded", []byte(form.Encode()))
	return code, string(body)
}

var (
	accessKeyRE = regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`)
	secretKeyRE = regexp.MustCompile(`<SecretAccessKey>([^<]+)</SecretAccessKey>`)
)

// TestAdmin_IAMExportImport moves users and keys from one data directory
// to another with `sesame admin iam export` and `import`.
func TestAdmin_IAMExportImport(t *testing.T) {
	env := append(os.Environ(), "MINIO_ROOT_USER="+rootUser, "MINIO_ROOT_PASSWORD="+rootPassword)
	dir, dir2 := filepath.Join(t.TempDir(), "one"), filepath.Join(t.TempDir(), "two")
	export := filepath.Join(t.TempDir(), "iam.json")

	n := start(t, dir)
	if code, body := doIAM(t, n.endpoint, creds, url.Values{"Action": {"CreateUser"}, "UserName": {"alice"}}); code != http.StatusOK {
		t.Fatalf("CreateUser: %d %s", code, body)
	}
	code, body := doIAM(t, n.endpoint, creds, url.Values{"Action": {"CreateAccessKey"}, "UserName": {"alice"}})
	if code != http.StatusOK {
		t.Fatalf("CreateAccessKey: %d %s", code, body)
	}
	id, secret := accessKeyRE.FindStringSubmatch(body), secretKeyRE.FindStringSubmatch(body)
	if id == nil || secret == nil {
		t.Fatalf("CreateAccessKey response without a key:\n%s", body)
	}
	alice := aws.Credentials{AccessKeyID: id[1], SecretAccessKey: secret[1]}

	// The server holds the store: export refuses, naming the fix.
	if code, out := runSesame(t, env, "admin", "iam", "export", "--out", export, dir); code != 1 || !strings.Contains(out, "stop the server first") {
		t.Fatalf("export with the server running: exit %d, output:\n%s\nwant exit 1 and 'stop the server first'", code, out)
	}
	if _, err := os.Stat(export); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s behind (%v)", export, err)
	}
	n.kill()

	if code, out := runSesame(t, env, "admin", "iam", "export", "--out", export, dir); code != 0 {
		t.Fatalf("export: exit %d, output:\n%s", code, out)
	}
	fi, err := os.Stat(export)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("export file mode %v, want 0600", mode)
	}
	if code, out := runSesame(t, env, "admin", "iam", "import", "--in", export, dir2); code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("import: exit %d, output:\n%s", code, out)
	}
	// Importing again without --replace conflicts and says how to proceed.
	if code, out := runSesame(t, env, "admin", "iam", "import", "--in", export, dir2); code != 1 || !strings.Contains(out, "--replace") {
		t.Fatalf("second import: exit %d, output:\n%s\nwant exit 1 suggesting --replace", code, out)
	}
	if code, out := runSesame(t, env, "admin", "iam", "import", "--replace", "--in", export, dir2); code != 0 {
		t.Fatalf("import --replace: exit %d, output:\n%s", code, out)
	}
	// A mistyped DIR is an error, not an empty export.
	if code, out := runSesame(t, env, "admin", "iam", "export", filepath.Join(t.TempDir(), "nope")); code != 1 {
		t.Fatalf("export of a missing DIR: exit %d, output:\n%s", code, out)
	}

	n2 := start(t, dir2)
	if code, body := doIAM(t, n2.endpoint, creds, url.Values{"Action": {"GetUser"}, "UserName": {"alice"}}); code != http.StatusOK || !strings.Contains(body, "alice") {
		t.Fatalf("GetUser alice on the imported store: %d %s", code, body)
	}
	// Alice's key came along with its secret: her request is authenticated
	// as alice (she has no policy, so it is denied, but as alice, not for
	// an unknown key or a bad signature).
	code, body = doIAM(t, n2.endpoint, alice, url.Values{"Action": {"GetUser"}, "UserName": {"alice"}})
	if code != http.StatusForbidden || !strings.Contains(body, "AccessDenied") || !strings.Contains(body, "user/alice") {
		t.Fatalf("alice's imported key: %d %s\nwant AccessDenied for user/alice", code, body)
	}
}
