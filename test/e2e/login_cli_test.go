package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// buildSesame builds the sesame binary into a temporary directory.
func buildSesame(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sesame")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/sesame-s3/sesame/cmd/sesame").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cliEnv is this process's environment without AWS, browser and home
// settings, plus extra.
func cliEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || k == "HOME" || k == "BROWSER" || k == "DISPLAY" || k == "WAYLAND_DISPLAY" || k == "SESAME_HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func runCmd(t *testing.T, env []string, name string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return o.String(), e.String(), code
}

// cacheFile rewrites the profile's cached credentials to expire at exp.
func setCachedExpiry(t *testing.T, path string, exp time.Time) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	c := st["credentials"].(map[string]any)
	c["expiration"] = exp.UTC().Format(time.RFC3339)
	data, _ = json.Marshal(st)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return c["accessKeyId"].(string)
}

// TestLogin_CLI runs `sesame login` and `sesame credentials` as a person
// would: the browser (a curl that follows the redirects, against an IdP
// that signs alice in at once) and the loopback redirect, then the aws
// cli, boto3 and aws-sdk-go-v2 through credential_process with no keys
// on disk; a refresh with the refresh token; a revoked refresh token that
// asks for a new sign-in; and the device authorization grant.
func TestLogin_CLI(t *testing.T) {
	t.Parallel()
	bin := buildSesame(t)
	idp := loginIdP(t, true)
	ep := startLoginServer(t, idp, nil)
	bucket := newBucket(t, ep)
	home := t.TempDir()
	cfgFile := filepath.Join(home, "aws-config")
	env := cliEnv("HOME="+home, "AWS_CONFIG_FILE="+cfgFile, "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED=true")
	cache := filepath.Join(home, ".sesame", "cache", "dev.json")

	out, errOut, code := runCmd(t, append(env, "BROWSER=curl -sSfL -o /dev/null"), bin, "login", "--endpoint", ep.URL, "--profile", "dev")
	if code != 0 {
		t.Fatalf("sesame login: exit %d\n%s\n%s", code, out, errOut)
	}
	cfg, err := os.ReadFile(cfgFile)
	if err != nil || !strings.Contains(string(cfg), "[profile dev]") || !strings.Contains(string(cfg), "credential_process = "+bin+" credentials --endpoint "+ep.URL+" --profile dev") {
		t.Fatalf("aws config: %v\n%s", err, cfg)
	}
	if fi, err := os.Stat(cache); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials cache: %v, mode %v", err, fi.Mode())
	}
	if last := idp.AuthRequests()[len(idp.AuthRequests())-1]; last.CodeChallengeMethod != "S256" || !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/callback$`).MatchString(last.RedirectURI) {
		t.Errorf("authorization request %+v: want PKCE S256 and a loopback redirect", last)
	}

	t.Run("aws cli", func(t *testing.T) {
		if _, err := exec.LookPath("aws"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("aws cli not on PATH")
			}
			t.Skip("aws cli not on PATH")
		}
		out, errOut, code := runCmd(t, env, "aws", "s3", "ls", "--profile", "dev")
		if code != 0 || !strings.Contains(out, bucket) {
			t.Fatalf("aws s3 ls --profile dev: exit %d\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("boto3", func(t *testing.T) {
		if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("python3 with boto3 is required under CI")
			}
			t.Skip("python3 with boto3 is not installed")
		}
		script := "import boto3\nprint(' '.join(b['Name'] for b in boto3.Session(profile_name='dev').client('s3').list_buckets()['Buckets']))"
		out, errOut, code := runCmd(t, env, "python3", "-c", script)
		if code != 0 || !strings.Contains(out, bucket) {
			t.Fatalf("boto3: exit %d\n%s\n%s", code, out, errOut)
		}
	})

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		// The SDK runs the profile's credential_process command.
		p := processcreds.NewProviderCommand(processcreds.NewCommandBuilderFunc(func(ctx context.Context) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, bin, "credentials", "--endpoint", ep.URL, "--profile", "dev")
			cmd.Env = env
			return cmd, nil
		}), func(o *processcreds.Options) { o.Timeout = 30 * time.Second })
		sdk := s3WithCreds(ep, p)
		out, err := sdk.ListBuckets(context.Background(), &s3.ListBucketsInput{})
		if err != nil || len(out.Buckets) == 0 {
			t.Fatalf("ListBuckets with credential_process: %v", err)
		}
	})

	t.Run("refresh", func(t *testing.T) {
		before := idp.RefreshGrants()
		oldKey := setCachedExpiry(t, cache, time.Now().Add(time.Minute))
		out, errOut, code := runCmd(t, env, bin, "credentials", "--endpoint", ep.URL, "--profile", "dev")
		if code != 0 {
			t.Fatalf("sesame credentials: exit %d\n%s", code, errOut)
		}
		var pc struct {
			Version                                   int
			AccessKeyID                               string `json:"AccessKeyId"`
			SecretAccessKey, SessionToken, Expiration string
		}
		if err := json.Unmarshal([]byte(out), &pc); err != nil || pc.Version != 1 || pc.AccessKeyID == "" || pc.SessionToken == "" {
			t.Fatalf("credential_process output %q: %v", out, err)
		}
		if pc.AccessKeyID == oldKey || idp.RefreshGrants() != before+1 {
			t.Errorf("credentials not refreshed: key %s (old %s), %d refresh grants (before %d)", pc.AccessKeyID, oldKey, idp.RefreshGrants(), before)
		}
		// Cached: a second call costs no refresh.
		runCmd(t, env, bin, "credentials", "--profile", "dev")
		if idp.RefreshGrants() != before+1 {
			t.Error("valid cached credentials were refreshed")
		}
	})

	t.Run("sign-in expired", func(t *testing.T) {
		idp.RevokeRefreshTokens()
		setCachedExpiry(t, cache, time.Now().Add(time.Minute))
		_, errOut, code := runCmd(t, env, bin, "credentials", "--endpoint", ep.URL, "--profile", "dev")
		if code == 0 || !strings.Contains(errOut, "run: sesame login --endpoint "+ep.URL+" --profile dev") {
			t.Errorf("with a revoked refresh token: exit %d, %s", code, errOut)
		}
		_, errOut, code = runCmd(t, env, bin, "credentials", "--profile", "nobody")
		if code == 0 || !strings.Contains(errOut, "sesame login") {
			t.Errorf("unknown profile: exit %d, %s", code, errOut)
		}
	})

	t.Run("device code", func(t *testing.T) {
		// No BROWSER, no DISPLAY: the device grant, with the IdP named by
		// flags rather than by the server.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "login", "--endpoint", ep.URL, "--profile", "dev2",
			"--issuer", idp.Issuer(), "--client-id", loginClientID)
		cmd.Env = env
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		var lines []string
		code := ""
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if m := regexp.MustCompile(`^\s+([B-Z]{4}-[B-Z]{4})$`).FindStringSubmatch(sc.Text()); m != nil {
				code = m[1]
				break
			}
		}
		if code == "" {
			cmd.Wait()
			t.Fatalf("no user code in:\n%s", strings.Join(lines, "\n"))
		}
		if err := idp.ApproveDevice(code, "alice"); err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, stderr)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("sesame login --device: %v\n%s", err, strings.Join(lines, "\n"))
		}
		out, errOut, rc := runCmd(t, env, bin, "credentials", "--profile", "dev2")
		if rc != 0 || !strings.Contains(out, `"Version":1`) {
			t.Fatalf("credentials after the device grant: %d %s %s", rc, out, errOut)
		}
	})
}
