package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

// stsAs is an STS client signing with creds.
func stsAs(ep endpoint, creds aws.CredentialsProvider) *sts.Client {
	return sts.NewFromConfig(aws.Config{Region: ep.Region, Credentials: creds, HTTPClient: ep.Client}, func(o *sts.Options) {
		o.BaseEndpoint = aws.String(ep.URL)
		o.RetryMaxAttempts = 1
	})
}

// createRole creates a role with trust policy trust and the managed
// policies attached, failing the test on error; it returns the role's ARN.
func createRole(t *testing.T, ep endpoint, name, trust string, policyARNs ...string) string {
	t.Helper()
	ctx := context.Background()
	c := iamClient(ep)
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	for _, arn := range policyARNs {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("AttachRolePolicy %s: %v", name, err)
		}
	}
	return *out.Role.Arn
}

// TestRoles_AssumeRole assumes a real role with aws-sdk-go-v2's
// AssumeRoleProvider (ExternalId, tags, source identity), checks the
// session's permissions and identity, and the refusals around it.
func TestRoles_AssumeRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := startServer(t, nil)
	bucket := newBucket(t, ep)
	putObject(t, sdkClient(ep), bucket, "doc", []byte("doc"))
	ci := newUser(t, ep, "ci")
	other := newUser(t, ep, "other")
	read := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::%[1]s","arn:aws:s3:::%[1]s/*"]}]}`, bucket)
	if _, err := iamClient(ep).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bucketread"), PolicyDocument: aws.String(read)}); err != nil {
		t.Fatal(err)
	}
	roleARN := createRole(t, ep, "deployer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::000000000000:user/ci"},
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
		"Condition":{"StringEquals":{"sts:ExternalId":"build-42"}}}]}`, "arn:aws:iam::000000000000:policy/bucketread")
	ciSTS := stsAs(ep, credentials.NewStaticCredentialsProvider(ci.AccessKey, ci.SecretKey, ""))

	t.Run("AssumeRoleProvider", func(t *testing.T) {
		provider := stscreds.NewAssumeRoleProvider(ciSTS, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.ExternalID = aws.String("build-42")
			o.RoleSessionName = "build"
			o.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}
			o.SourceIdentity = aws.String("alice")
		})
		s := s3WithCreds(ep, aws.NewCredentialsCache(provider))
		if got := getObject(t, s, bucket, "doc"); string(got) != "doc" {
			t.Fatalf("GetObject = %q", got)
		}
		_, err := s.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("x"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		id, err := stsAs(ep, aws.NewCredentialsCache(provider)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || *id.Arn != "arn:aws:sts::000000000000:assumed-role/deployer/build" {
			t.Fatalf("GetCallerIdentity = %v, %v", id, err)
		}
	})

	t.Run("response", func(t *testing.T) {
		out, err := ciSTS.AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("rs"), ExternalId: aws.String("build-42"),
			Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}, SourceIdentity: aws.String("alice"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 || aws.ToString(out.SourceIdentity) != "alice" ||
			!strings.HasPrefix(*out.AssumedRoleUser.AssumedRoleId, "AROA") || time.Until(*out.Credentials.Expiration) > time.Hour {
			t.Errorf("AssumeRole response: %+v %+v", out.AssumedRoleUser, out)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for name, in := range map[string]*sts.AssumeRoleInput{
			"wrong ExternalId": {RoleArn: aws.String(roleARN), RoleSessionName: aws.String("rs"), ExternalId: aws.String("nope")},
			"no ExternalId":    {RoleArn: aws.String(roleARN), RoleSessionName: aws.String("rs")},
		} {
			_, err := ciSTS.AssumeRole(ctx, in)
			if errorCode(err) != "AccessDenied" {
				t.Errorf("%s: %v, want AccessDenied", name, err)
			}
		}
		_, err := stsAs(ep, credentials.NewStaticCredentialsProvider(other.AccessKey, other.SecretKey, "")).AssumeRole(ctx,
			&sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("rs"), ExternalId: aws.String("build-42")})
		if errorCode(err) != "AccessDenied" {
			t.Errorf("a user the trust policy does not name: %v", err)
		}
		_, err = ciSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("rs"),
			ExternalId: aws.String("build-42"), DurationSeconds: aws.Int32(7200)})
		if errorCode(err) != "ValidationError" {
			t.Errorf("over the role's MaxSessionDuration: %v", err)
		}
		var tags []ststypes.Tag
		for i := 0; i < 20; i++ {
			tags = append(tags, ststypes.Tag{Key: aws.String(fmt.Sprintf("k%03d%s", i, strings.Repeat("k", 120))), Value: aws.String(strings.Repeat("v", 256))})
		}
		_, err = ciSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("rs"), ExternalId: aws.String("build-42"), Tags: tags})
		if errorCode(err) != "PackedPolicyTooLarge" {
			t.Errorf("oversized tags: %v, want PackedPolicyTooLarge", err)
		}
	})

	t.Run("chaining and deletion", func(t *testing.T) {
		chainARN := createRole(t, ep, "chain", `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/ci"},"Action":"sts:AssumeRole"},
			{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/chain"},"Action":"sts:AssumeRole"}]}`,
			"arn:aws:iam::000000000000:policy/bucketread")
		out, err := ciSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(chainARN), RoleSessionName: aws.String("first")})
		if err != nil {
			t.Fatal(err)
		}
		first := credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
		_, err = stsAs(ep, first).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(chainARN), RoleSessionName: aws.String("second"), DurationSeconds: aws.Int32(3601)})
		if errorCode(err) != "ValidationError" {
			t.Errorf("chaining beyond one hour: %v, want ValidationError", err)
		}
		second, err := stsAs(ep, first).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(chainARN), RoleSessionName: aws.String("second")})
		if err != nil {
			t.Fatalf("chaining: %v", err)
		}
		s := s3WithCreds(ep, first)
		getObject(t, s, bucket, "doc")
		admin := iamClient(ep)
		if _, err := admin.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("chain"), PolicyArn: aws.String("arn:aws:iam::000000000000:policy/bucketread")}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("chain")}); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("doc")})
		expectError(t, err, "InvalidToken", http.StatusForbidden)
		_, err = s3WithCreds(ep, credentials.NewStaticCredentialsProvider(*second.Credentials.AccessKeyId, *second.Credentials.SecretAccessKey, *second.Credentials.SessionToken)).
			GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("doc")})
		expectError(t, err, "InvalidToken", http.StatusForbidden)
	})

	t.Run("MinIO path unchanged", func(t *testing.T) {
		// An ARN that names no role keeps MinIO's AssumeRole: the caller's own permissions.
		out, err := ciSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("minio")})
		if err != nil || *out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/ci/minio" {
			t.Fatalf("MinIO-path AssumeRole = %+v, %v", out, err)
		}
	})
}

// TestRoles_GetSessionAndFederationToken uses both through the SDK.
func TestRoles_GetSessionAndFederationToken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ep := startServer(t, nil)
	bucket := newBucket(t, ep)
	putObject(t, sdkClient(ep), bucket, "doc", []byte("doc"))
	u := newUser(t, ep, "worker", "arn:aws:iam::aws:policy/readwrite")
	if _, err := iamClient(ep).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("worker"), PolicyName: aws.String("fed"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	c := stsAs(ep, credentials.NewStaticCredentialsProvider(u.AccessKey, u.SecretKey, ""))
	st, err := c.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	tokenCreds := credentials.NewStaticCredentialsProvider(*st.Credentials.AccessKeyId, *st.Credentials.SecretAccessKey, *st.Credentials.SessionToken)
	putObject(t, s3WithCreds(ep, tokenCreds), bucket, "by-token", []byte("x"))
	if id, err := stsAs(ep, tokenCreds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil || *id.Arn != "arn:aws:iam::000000000000:user/worker" {
		t.Errorf("GetCallerIdentity of session-token credentials = %v, %v", id, err)
	}
	if _, err := stsAs(ep, tokenCreds).GetSessionToken(ctx, &sts.GetSessionTokenInput{}); errorCode(err) != "AccessDenied" {
		t.Errorf("GetSessionToken with temporary credentials: %v", err)
	}
	readOnly := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, bucket)
	fed, err := c.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("partner"), Policy: aws.String(readOnly)})
	if err != nil {
		t.Fatal(err)
	}
	if *fed.FederatedUser.Arn != "arn:aws:sts::000000000000:federated-user/partner" {
		t.Errorf("FederatedUser %s", *fed.FederatedUser.Arn)
	}
	fs := s3WithCreds(ep, credentials.NewStaticCredentialsProvider(*fed.Credentials.AccessKeyId, *fed.Credentials.SecretAccessKey, *fed.Credentials.SessionToken))
	getObject(t, fs, bucket, "doc")
	_, err = fs.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("y"), Body: strings.NewReader("y")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	none, err := c.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("nothing")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s3WithCreds(ep, credentials.NewStaticCredentialsProvider(*none.Credentials.AccessKeyId, *none.Credentials.SecretAccessKey, *none.Credentials.SessionToken)).
		GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("doc")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
}

// TestRoles_WebIdentityIRSA plays a Kubernetes pod: a service-account token
// from a cluster issuer (an OpenID provider created through the IAM API),
// AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE with aws-sdk-go-v2's
// WebIdentityRoleProvider, then the aws cli with the same variables.
func TestRoles_WebIdentityIRSA(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cluster := oidctest.NewProvider(t, oidctest.Options{ClientID: "unused"})
	ep := startServer(t, nil)
	bucket := newBucket(t, ep)
	putObject(t, sdkClient(ep), bucket, "doc", []byte("doc"))
	admin := iamClient(ep)
	prov, err := admin.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(cluster.Issuer()), ClientIDList: []string{"sts.amazonaws.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(cluster.Issuer(), "http://")
	roleARN := createRole(t, ep, "builder", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":%q},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"%[2]s:aud":"sts.amazonaws.com"},"StringLike":{"%[2]s:sub":"system:serviceaccount:ci:*"}}}]}`,
		*prov.OpenIDConnectProviderArn, host), "arn:aws:iam::aws:policy/readonly")
	token := func(sub, aud string) string {
		return cluster.Mint(t, map[string]any{"sub": sub, "aud": aud})
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token("system:serviceaccount:ci:builder", "sts.amazonaws.com")), 0o600); err != nil {
		t.Fatal(err)
	}
	anon := stsAs(ep, aws.AnonymousCredentials{})

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		provider := stscreds.NewWebIdentityRoleProvider(anon, roleARN, stscreds.IdentityTokenFile(file),
			func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "pod-1" })
		var creds aws.Credentials
		// The provider reaches every node through the IAM store's watch:
		// allow it a moment.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			creds, err = provider.Retrieve(ctx)
			if err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatalf("WebIdentityRoleProvider: %v", err)
		}
		s := s3WithCreds(ep, credentials.StaticCredentialsProvider{Value: creds})
		getObject(t, s, bucket, "doc")
		_, err = s.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("x"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("refusals", func(t *testing.T) {
		for name, tok := range map[string]string{
			"other namespace":    token("system:serviceaccount:prod:builder", "sts.amazonaws.com"),
			"other audience":     token("system:serviceaccount:ci:builder", "someone-else"),
			"another issuer":     oidctest.NewProvider(t, oidctest.Options{}).Mint(t, map[string]any{"sub": "system:serviceaccount:ci:builder", "aud": "sts.amazonaws.com"}),
			"expired":            cluster.Mint(t, map[string]any{"sub": "system:serviceaccount:ci:builder", "aud": "sts.amazonaws.com", "exp": time.Now().Add(-time.Hour).Unix()}),
			"not a token at all": "abcd.efgh.ijkl",
		} {
			_, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("xs"), WebIdentityToken: aws.String(tok)})
			switch code := errorCode(err); {
			case err == nil:
				t.Errorf("%s: granted", name)
			case name == "expired" && code != "ExpiredTokenException",
				name == "other namespace" && code != "AccessDenied",
				name == "other audience" && code != "InvalidIdentityToken":
				t.Errorf("%s: %v", name, err)
			}
		}
	})

	t.Run("session tags from the token", func(t *testing.T) {
		tagged := cluster.Mint(t, map[string]any{"sub": "system:serviceaccount:ci:builder", "aud": "sts.amazonaws.com",
			"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string]any{"team": []any{"blue"}}, "transitive_tag_keys": []any{"team"}}})
		// builder's trust policy does not allow sts:TagSession.
		_, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("tags"), WebIdentityToken: aws.String(tagged)})
		if errorCode(err) != "AccessDenied" {
			t.Errorf("tags without sts:TagSession: %v", err)
		}
		teamARN := createRole(t, ep, "team", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			"Principal":{"Federated":%q},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],
			"Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}}]}`, *prov.OpenIDConnectProviderArn))
		if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("team"), PolicyName: aws.String("byteam"),
			PolicyDocument: aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`, bucket))}); err != nil {
			t.Fatal(err)
		}
		out, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(teamARN), RoleSessionName: aws.String("tags"), WebIdentityToken: aws.String(tagged)})
		if err != nil {
			t.Fatalf("tags with sts:TagSession: %v", err)
		}
		getObject(t, s3WithCreds(ep, credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)), bucket, "doc")
		untagged := token("system:serviceaccount:ci:builder", "sts.amazonaws.com")
		if _, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(teamARN), RoleSessionName: aws.String("tags"), WebIdentityToken: aws.String(untagged)}); errorCode(err) != "AccessDenied" {
			t.Errorf("no tags, where the trust policy requires team=blue: %v", err)
		}
	})

	t.Run("aws cli", func(t *testing.T) {
		out, stderr, err := awsCLI(t, ep, aws.Credentials{}, "sts", "assume-role-with-web-identity",
			"--role-arn", roleARN, "--role-session-name", "cli", "--web-identity-token", token("system:serviceaccount:ci:builder", "sts.amazonaws.com"))
		if err != nil {
			t.Fatalf("aws sts assume-role-with-web-identity: %v\n%s", err, stderr)
		}
		temp := cliCredentials(t, out)
		if _, stderr, err := awsCLI(t, ep, temp, "s3api", "get-object", "--bucket", bucket, "--key", "doc", os.DevNull); err != nil {
			t.Fatalf("get-object: %v\n%s", err, stderr)
		}
	})
}

// TestRoles_AWSCLI creates a role and assumes it with tags, as a user of the
// aws cli would.
func TestRoles_AWSCLI(t *testing.T) {
	t.Parallel()
	ep := startServer(t, nil)
	root := aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}
	ci := newUser(t, ep, "ci")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/ci"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	if _, stderr, err := awsCLI(t, ep, root, "iam", "create-role", "--role-name", "deploy", "--assume-role-policy-document", trust); err != nil {
		t.Fatalf("create-role: %v\n%s", err, stderr)
	}
	if _, stderr, err := awsCLI(t, ep, root, "iam", "attach-role-policy", "--role-name", "deploy", "--policy-arn", "arn:aws:iam::aws:policy/readwrite"); err != nil {
		t.Fatalf("attach-role-policy: %v\n%s", err, stderr)
	}
	out, stderr, err := awsCLI(t, ep, aws.Credentials{AccessKeyID: ci.AccessKey, SecretAccessKey: ci.SecretKey}, "sts", "assume-role",
		"--role-arn", "arn:aws:iam::000000000000:role/deploy", "--role-session-name", "cli", "--tags", "Key=team,Value=blue")
	if err != nil {
		t.Fatalf("assume-role: %v\n%s", err, stderr)
	}
	temp := cliCredentials(t, out)
	if out, stderr, err := awsCLI(t, ep, temp, "sts", "get-caller-identity"); err != nil || !strings.Contains(out, "assumed-role/deploy/cli") {
		t.Fatalf("get-caller-identity: %v %s\n%s", err, out, stderr)
	}
	if _, stderr, err := awsCLI(t, ep, temp, "s3", "mb", "s3://from-role"); err != nil {
		t.Fatalf("s3 mb with the role's credentials: %v\n%s", err, stderr)
	}
}
