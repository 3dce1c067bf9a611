package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

// buildExample builds examples/<name> into a temporary directory.
func buildExample(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	out, err := exec.Command("go", "build", "-o", bin, "github.com/sesame-s3/sesame/examples/"+name).CombinedOutput()
	if err != nil {
		t.Fatalf("go build examples/%s: %v\n%s", name, err, out)
	}
	return bin
}

// checkExampleOutput fails unless out is what the seeds show: the
// credentials as JSON after "##### Credentials", then the buckets.
func checkExampleOutput(t *testing.T, out, bucket string) {
	t.Helper()
	rest, ok := strings.CutPrefix(out, "##### Credentials\n")
	js, buckets, ok2 := strings.Cut(rest, "##### Buckets\n")
	if !ok || !ok2 {
		t.Fatalf("output:\n%s", out)
	}
	var creds map[string]string
	if err := json.Unmarshal([]byte(js), &creds); err != nil {
		t.Fatalf("credentials JSON: %v\n%s", err, js)
	}
	for _, k := range []string{"accessKey", "secretKey", "expiration", "sessionToken"} {
		if creds[k] == "" {
			t.Errorf("credentials lack %s: %s", k, js)
		}
	}
	if len(creds) != 4 {
		t.Errorf("credentials have %d keys, want the seed's 4: %s", len(creds), js)
	}
	if !strings.Contains(buckets, bucket) {
		t.Errorf("buckets %q lack %s", buckets, bucket)
	}
}

// TestLogin_Examples builds and runs the seeds' examples,
// examples/client-grants (go run client-grants.go -cid … -csec …) and
// examples/web-identity (go run sts-example.go -ep … -t …), against a
// server and a real OpenID provider.
func TestLogin_Examples(t *testing.T) {
	t.Parallel()
	idp := oidctest.NewProvider(t, oidctest.Options{})
	idp.SetClientClaims(idp.ClientID(), map[string]any{"policy": "readwrite"})
	ep := startOIDCServer(t, idp)
	bucket := newBucket(t, ep)

	t.Run("client-grants", func(t *testing.T) {
		bin := buildExample(t, "client-grants")
		for _, idpEP := range []string{idp.ConfigURL(), idp.Issuer() + "/oauth/token"} {
			out, errOut, code := runCmd(t, cliEnv(), bin, "-cid", idp.ClientID(), "-csec", idp.ClientSecret(), "-idp-ep", idpEP, "-sts-ep", ep.URL)
			if code != 0 {
				t.Fatalf("client-grants -idp-ep %s: exit %d\n%s\n%s", idpEP, code, out, errOut)
			}
			checkExampleOutput(t, out, bucket)
		}
		// The default -idp-ep is MinIO's variable.
		out, errOut, code := runCmd(t, cliEnv("MINIO_IDENTITY_OPENID_CONFIG_URL="+idp.ConfigURL()), bin, "-cid", idp.ClientID(), "-csec", idp.ClientSecret(), "-sts-ep", ep.URL)
		if code != 0 {
			t.Fatalf("client-grants with MINIO_IDENTITY_OPENID_CONFIG_URL: exit %d\n%s", code, errOut)
		}
		checkExampleOutput(t, out, bucket)
		if _, errOut, code := runCmd(t, cliEnv(), bin, "-cid", idp.ClientID(), "-csec", "wrong", "-idp-ep", idp.ConfigURL(), "-sts-ep", ep.URL); code != 1 || !strings.Contains(errOut, "token endpoint") {
			t.Errorf("wrong secret: exit %d, %s", code, errOut)
		}
	})

	t.Run("web-identity", func(t *testing.T) {
		bin := buildExample(t, "web-identity")
		tok := idp.Token(t, map[string]any{"policy": "readwrite"})
		out, errOut, code := runCmd(t, cliEnv(), bin, "-ep", ep.URL, "-t", tok)
		if code != 0 {
			t.Fatalf("web-identity: exit %d\n%s\n%s", code, out, errOut)
		}
		checkExampleOutput(t, out, bucket)
		if strings.Contains(errOut, tok) {
			t.Error("the example echoes the token")
		}
		if _, errOut, code := runCmd(t, cliEnv(), bin, "-ep", ep.URL, "-t", tok[:len(tok)-4]+"AAAA"); code != 1 || !strings.Contains(errOut, "signature") {
			t.Errorf("forged token: exit %d, %s", code, errOut)
		}
	})
}
