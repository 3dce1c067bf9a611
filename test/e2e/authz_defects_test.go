package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

// awsCLI runs the aws cli against ep with the given credentials (none: an
// unsigned call) and returns its standard output and error. It skips the
// test when the aws cli is missing, except in CI.
func awsCLI(t *testing.T, ep endpoint, creds aws.Credentials, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	bin, lookErr := exec.LookPath("aws")
	if lookErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws cli not on PATH")
		}
		t.Skip("aws cli not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", ep.URL, "--output", "json"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_DEFAULT_REGION="+testRegion, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey)
	if creds.SessionToken != "" {
		cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+creds.SessionToken)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// cliCredentials parses the Credentials of an aws sts JSON answer.
func cliCredentials(t *testing.T, out string) aws.Credentials {
	t.Helper()
	var res struct {
		Credentials struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Credentials.SessionToken == "" {
		t.Fatalf("aws sts output: %v\n%s", err, out)
	}
	c := res.Credentials
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

// expectCLIDenied fails unless an aws cli call failed with AccessDenied.
func expectCLIDenied(t *testing.T, what, stderr string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want AccessDenied", what)
	} else if !strings.Contains(stderr, "AccessDenied") && !strings.Contains(stderr, "Forbidden") {
		t.Errorf("%s: %v, stderr %q; want AccessDenied", what, err, stderr)
	}
}

// TestAuthz_RootSessionObeysSessionPolicy is the regression test of the
// first defect: the root user's temporary credentials carried full root
// power whatever their session policy said.
func TestAuthz_RootSessionObeysSessionPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := startServer(t, nil)
	bucket := newBucket(t, ep)
	narrow := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::%s/allowed/*"}]}`, bucket)

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		out, err := stsClient(ep).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("narrow"), Policy: aws.String(narrow),
		})
		if err != nil {
			t.Fatalf("AssumeRole: %v", err)
		}
		c := out.Credentials
		s := s3WithCreds(ep, credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
		putObject(t, s, bucket, "allowed/a", []byte("a"))
		if got := getObject(t, s, bucket, "allowed/a"); string(got) != "a" {
			t.Errorf("GetObject = %q", got)
		}
		_, err = s.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("other/a"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		expectNoObject(t, sdkClient(ep), bucket, "other/a")
		_, err = s.ListBuckets(ctx, &s3.ListBucketsInput{})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = s.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("aws cli", func(t *testing.T) {
		rootCreds := aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}
		out, stderr, err := awsCLI(t, ep, rootCreds, "sts", "assume-role", "--policy", narrow,
			"--role-arn", anyRoleARN, "--role-session-name", "anything")
		if err != nil {
			t.Fatalf("aws sts assume-role: %v\n%s", err, stderr)
		}
		temp := cliCredentials(t, out)
		if _, stderr, err := awsCLI(t, ep, temp, "s3api", "put-object", "--bucket", bucket, "--key", "allowed/cli"); err != nil {
			t.Fatalf("put-object under allowed/: %v\n%s", err, stderr)
		}
		_, stderr, err = awsCLI(t, ep, temp, "s3api", "put-object", "--bucket", bucket, "--key", "other/cli")
		expectCLIDenied(t, "put-object under other/", stderr, err)
		_, stderr, err = awsCLI(t, ep, temp, "s3api", "list-buckets")
		expectCLIDenied(t, "list-buckets", stderr, err)
	})
}

// TestAuthz_FederatedSubjectIsNotAUser is the regression test of the
// second defect: a federated session was evaluated as
// assumed-role/<sub>/... with aws:username = sub, so a token whose sub
// was "alice" matched what was written for IAM user alice, while the ARN
// STS reported for it matched nothing.
func TestAuthz_FederatedSubjectIsNotAUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Two providers whose tokens both have sub "alice": the un-suffixed
	// one (claim-based) and OTHER (role-policy mode, policy "home").
	first := oidctest.NewProvider(t, oidctest.Options{ClientID: "alice"})
	second := oidctest.NewProvider(t, oidctest.Options{ClientID: "alice"})
	env := first.Env("")
	for k, v := range second.Env("OTHER") {
		env[k] = v
	}
	env["MINIO_IDENTITY_OPENID_ROLE_POLICY_OTHER"] = "home"
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	openID, err := oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatal(err)
	}
	ep := startServer(t, func(c *config.Config) { c.OpenID = openID })
	bucket := newBucket(t, ep)
	root := sdkClient(ep)
	for _, k := range []string{"home/alice/secret", "shared/doc", "fed/doc"} {
		putObject(t, root, bucket, k, []byte(k))
	}
	home := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/home/${aws:username}/*"}]}`, bucket)
	if _, err := iamClient(ep).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("home"), PolicyDocument: aws.String(home)}); err != nil {
		t.Fatal(err)
	}
	alice := newUser(t, ep, "alice", "arn:aws:iam::000000000000:policy/home")

	// The federated session of the first provider, and the ARN STS
	// reports for it.
	fed := clientGrants(t, ep, first.Token(t, map[string]any{"policy": "home"}), url.Values{"DurationSeconds": {"900"}})
	fedARN := fed.Result.AssumedRoleUser.Arn
	if fedARN != "arn:aws:sts::000000000000:assumed-role/openid/alice" {
		t.Fatalf("federated ARN %q", fedARN)
	}
	other := clientGrants(t, ep, second.Token(t, nil), url.Values{"DurationSeconds": {"900"}})
	if got := other.Result.AssumedRoleUser.Arn; got != "arn:aws:sts::000000000000:assumed-role/OTHER/alice" {
		t.Fatalf("second provider's ARN %q: the same sub must be another principal", got)
	}
	bp := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%[1]s/shared/*"},
		{"Effect":"Allow","Principal":{"AWS":%[2]q},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%[1]s/fed/*"}]}`, bucket, fedARN)
	if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: &bp}); err != nil {
		t.Fatal(err)
	}

	// IAM user alice: her ${aws:username} home and the bucket policy
	// written for her.
	aliceS3 := sdkClient(alice)
	getObject(t, aliceS3, bucket, "home/alice/secret")
	getObject(t, aliceS3, bucket, "shared/doc")

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		fedS3 := s3WithCreds(ep, staticCreds(fed.Result.Credentials))
		for _, key := range []string{"home/alice/secret", "shared/doc"} {
			_, err := fedS3.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(key)})
			expectError(t, err, "AccessDenied", http.StatusForbidden)
		}
		// The ARN STS reported is the one policies see.
		if got := getObject(t, fedS3, bucket, "fed/doc"); string(got) != "fed/doc" {
			t.Errorf("GetObject fed/doc = %q", got)
		}
		id, err := sts.NewFromConfig(aws.Config{Region: ep.Region, Credentials: staticCreds(fed.Result.Credentials), HTTPClient: ep.Client},
			func(o *sts.Options) { o.BaseEndpoint = aws.String(ep.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || *id.Arn != fedARN || strings.Contains(*id.UserId, "alice:alice") || strings.HasPrefix(*id.UserId, "AIDA") {
			t.Errorf("GetCallerIdentity = %+v, %v; want %s with a role id", id, err, fedARN)
		}
		// The other provider's alice is another principal.
		otherS3 := s3WithCreds(ep, staticCreds(other.Result.Credentials))
		for _, key := range []string{"fed/doc", "home/alice/secret", "shared/doc"} {
			_, err := otherS3.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(key)})
			expectError(t, err, "AccessDenied", http.StatusForbidden)
		}
	})

	t.Run("aws cli", func(t *testing.T) {
		out, stderr, err := awsCLI(t, ep, aws.Credentials{}, "sts", "assume-role-with-web-identity",
			"--role-arn", anyRoleARN, "--role-session-name", "cli", "--web-identity-token", first.Token(t, map[string]any{"policy": "home"}))
		if err != nil {
			t.Fatalf("aws sts assume-role-with-web-identity: %v\n%s", err, stderr)
		}
		temp := cliCredentials(t, out)
		for _, key := range []string{"home/alice/secret", "shared/doc"} {
			_, stderr, err := awsCLI(t, ep, temp, "s3api", "get-object", "--bucket", bucket, "--key", key, os.DevNull)
			expectCLIDenied(t, "get-object "+key, stderr, err)
		}
	})
}
