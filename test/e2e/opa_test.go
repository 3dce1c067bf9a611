package e2e

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/open-policy-agent/opa/v1/runtime"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
	"github.com/sesame-s3/sesame/internal/opa"
)

// opaPolicy is shaped like the seeds' httpapi.authz: the owner (root) may
// do everything; alice may read; sessions whose token says team "blue"
// may read; nobody else may do anything.
const opaPolicy = `package httpapi.authz

default allow := false

allow if input.owner == true

allow if {
	input.account == "alice"
	input.action in {"s3:GetObject", "s3:ListBucket"}
}

allow if {
	input.claims.team == "blue"
	input.action in {"s3:GetObject", "s3:ListBucket"}
	input.bucket != ""
}
`

// opaServer is a real OPA server running in this process.
type opaServer struct {
	URL  string // base URL, "http://127.0.0.1:port"
	stop func()
}

// startOPA starts an OPA server on a random local port with the rego
// module policy loaded; it stops when the test ends (or at Stop).
func startOPA(t testing.TB, policy string) *opaServer {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.rego")
	if err := os.WriteFile(path, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	params := runtime.NewParams()
	params.Addrs = &[]string{"127.0.0.1:0"}
	params.Paths = []string{path}
	params.Logger = logging.NewNoOpLogger()
	params.ConsoleLogger = logging.NewNoOpLogger()
	params.GracefulShutdownPeriod = 1
	ctx, cancel := context.WithCancel(context.Background())
	rt, err := runtime.NewRuntime(ctx, params)
	if err != nil {
		cancel()
		t.Fatalf("opa runtime: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- rt.Serve(ctx) }()
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == ""; {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("opa server stopped: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if a := rt.Addrs(); len(a) > 0 {
			addr = a[0]
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("opa server did not start within 30s")
		}
	}
	s := &opaServer{URL: "http://" + addr}
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("opa server did not stop")
		}
	}
	t.Cleanup(s.stop)
	// Wait until the policy answers.
	c := opa.New(opa.Config{URL: s.URL + "/v1/data/httpapi/authz"}, opa.Options{})
	for i := 0; !c.Allowed(context.Background(), opa.Input{Owner: true}); i++ {
		if i > 300 {
			t.Fatal("opa server does not allow the owner")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

// Stop stops the OPA server.
func (s *opaServer) Stop() { s.stop() }

func TestOPA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := startOPA(t, opaPolicy)
	p := oidctest.NewProvider(t, oidctest.Options{})
	env := p.Env("")
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	openID, err := oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatalf("oidc.ConfigFromEnv: %v", err)
	}
	opaCfg, err := opa.ConfigFromEnv(func(k string) string {
		return map[string]string{"MINIO_IAM_OPA_URL": o.URL + "/v1/data/httpapi/authz"}[k]
	})
	if err != nil || opaCfg == nil {
		t.Fatalf("opa.ConfigFromEnv = %v, %v", opaCfg, err)
	}
	opaCfg.Timeout = 2 * time.Second
	root := startServer(t, func(c *config.Config) {
		c.OpenID = openID
		c.OPA = opaCfg
	})

	// Root is the owner: OPA allows it everything, IAM API included.
	rootS3 := sdkClient(root)
	bucket := newBucket(t, root)
	putObject(t, rootS3, bucket, "doc.txt", []byte("hello"))
	admin := iamClient(root)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}

	t.Run("static user", func(t *testing.T) {
		// alice has no built-in policy at all; OPA alone lets her read.
		aliceEP := root.withKeys(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey))
		alice := sdkClient(aliceEP)
		if got := getObject(t, alice, bucket, "doc.txt"); string(got) != "hello" {
			t.Fatalf("GetObject = %q", got)
		}
		_, err := alice.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("x"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = iamClient(aliceEP).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("client grants", func(t *testing.T) {
		// The named policy does not exist: with OPA, STS issues anyway
		// and the claims decide.
		blue := clientGrants(t, root, p.Token(t, map[string]any{"policy": "no-such-policy", "team": "blue"}), url.Values{"DurationSeconds": {"900"}})
		sdk := s3WithCreds(root, staticCreds(blue.Result.Credentials))
		if got := getObject(t, sdk, bucket, "doc.txt"); string(got) != "hello" {
			t.Fatalf("GetObject = %q", got)
		}
		_, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("y"), Body: strings.NewReader("y")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)

		// No policy claim at all: with OPA the token is still accepted.
		noClaim := clientGrants(t, root, p.Token(t, map[string]any{"team": "blue"}), nil)
		if got := getObject(t, s3WithCreds(root, staticCreds(noClaim.Result.Credentials)), bucket, "doc.txt"); string(got) != "hello" {
			t.Fatalf("GetObject without a policy claim = %q", got)
		}

		red := clientGrants(t, root, p.Token(t, map[string]any{"policy": "readwrite", "team": "red"}), url.Values{"DurationSeconds": {"900"}})
		_, err = s3WithCreds(root, staticCreds(red.Result.Credentials)).
			GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("OPA down", func(t *testing.T) {
		o.Stop()
		_, err := rootS3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("doc.txt")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = admin.ListUsers(ctx, &iam.ListUsersInput{})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})
}

// BenchmarkClient_Allowed measures one decision against a real OPA server
// over loopback HTTP (see docs/OPA.md).
func BenchmarkClient_Allowed(b *testing.B) {
	o := startOPA(b, opaPolicy)
	c := opa.New(opa.Config{URL: o.URL + "/v1/data/httpapi/authz"}, opa.Options{})
	in := opa.Input{
		Account: "alice", Groups: []string{}, Action: "s3:GetObject", OriginalAction: "s3:GetObject",
		Bucket: "photos", Object: "2024/cat.jpg", Claims: map[string]any{},
		Conditions: map[string][]string{"aws:username": {"alice"}, "aws:sourceip": {"127.0.0.1"}, "aws:securetransport": {"false"}},
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if !c.Allowed(ctx, in) {
			b.Fatal("denied")
		}
	}
	if c.Failures() != 0 {
		b.Fatalf("%d failures", c.Failures())
	}
}
