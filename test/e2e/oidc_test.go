package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
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
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

// The role ARN the AWS tools must send; a claim-based provider ignores it.
const anyRoleARN = "arn:xxx:xxx:xxx:xxxx"

// startOIDCServer starts a server whose OpenID configuration is read, with
// oidc.ConfigFromEnv, from the MINIO_IDENTITY_OPENID_* variables of the
// providers: the first is the un-suffixed (claim-based) provider, any
// further one is provider "IDP<n>" in role-policy mode with the readonly
// policy (at most one provider may be claim-based).
func startOIDCServer(t *testing.T, providers ...*oidctest.Provider) endpoint {
	t.Helper()
	env := map[string]string{}
	for i, p := range providers {
		name := ""
		if i > 0 {
			name = "IDP" + string(rune('0'+i))
			env["MINIO_IDENTITY_OPENID_ROLE_POLICY_"+name] = "readonly"
		}
		for k, v := range p.Env(name) {
			env[k] = v
		}
	}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfgs, err := oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatalf("oidc.ConfigFromEnv: %v", err)
	}
	if len(cfgs) != len(providers) {
		t.Fatalf("oidc.ConfigFromEnv: %d providers, want %d", len(cfgs), len(providers))
	}
	return startServer(t, func(c *config.Config) { c.OpenID = cfgs })
}

// stsCredsXML is the <Credentials> element of an STS response.
type stsCredsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

// clientGrantsResponse is AssumeRoleWithClientGrants' response.
type clientGrantsResponse struct {
	XMLName xml.Name `xml:"AssumeRoleWithClientGrantsResponse"`
	Result  struct {
		Credentials      stsCredsXML `xml:"Credentials"`
		SubjectFromToken string      `xml:"SubjectFromToken"`
		Audience         string      `xml:"Audience"`
		Provider         string      `xml:"Provider"`
		AssumedRoleUser  struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleWithClientGrantsResult"`
}

// stsErrorResponse is STS's <ErrorResponse>.
type stsErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// federatedPOST sends an unsigned POST / with the parameters of action in
// the query string and no body, as MinIO's documentation shows it;
// tokenParam carries token.
func federatedPOST(t testing.TB, ep endpoint, action, tokenParam, token string, extra url.Values) rawResponse {
	t.Helper()
	q := url.Values{"Action": {action}, tokenParam: {token}, "Version": {"2011-06-15"}}
	for k, v := range extra {
		q[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ep.do(t, req)
}

// clientGrants runs AssumeRoleWithClientGrants and returns the parsed
// response, failing the test unless it is a 200.
func clientGrants(t testing.TB, ep endpoint, token string, extra url.Values) clientGrantsResponse {
	t.Helper()
	resp := federatedPOST(t, ep, "AssumeRoleWithClientGrants", "Token", token, extra)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("AssumeRoleWithClientGrants: %d %s", resp.StatusCode, resp.Body)
	}
	var out clientGrantsResponse
	if err := xml.Unmarshal(resp.Body, &out); err != nil {
		t.Fatalf("AssumeRoleWithClientGrants response: %v; body %s", err, resp.Body)
	}
	c := out.Result.Credentials
	if len(c.AccessKeyID) != 20 || len(c.SecretAccessKey) != 40 || c.SessionToken == "" {
		t.Fatalf("credentials: key %q, secret %d, token %d characters", c.AccessKeyID, len(c.SecretAccessKey), len(c.SessionToken))
	}
	return out
}

// expectSTSError fails the test unless resp is an STS error with status
// and code, granting no credentials, and its message does not echo token's
// signature. It returns the message.
func expectSTSError(t testing.TB, resp rawResponse, status int, code, token string) string {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d, want %d; body: %s", resp.StatusCode, status, resp.Body)
	}
	if bytes.Contains(resp.Body, []byte("<Credentials>")) || bytes.Contains(resp.Body, []byte("SecretAccessKey")) {
		t.Errorf("a rejected token got credentials: %s", resp.Body)
	}
	var doc stsErrorResponse
	if err := xml.Unmarshal(resp.Body, &doc); err != nil {
		t.Fatalf("body is not an STS <ErrorResponse>: %v; body: %q", err, resp.Body)
	}
	if doc.Error.Code != code {
		t.Errorf("<Code> = %q, want %q; message: %s", doc.Error.Code, code, doc.Error.Message)
	}
	if doc.Error.Message == "" {
		t.Error("<Message> is empty")
	}
	if doc.RequestID == "" {
		t.Error("<RequestId> is empty")
	}
	// The message must never contain the token (nor its signature).
	if parts := strings.Split(token, "."); len(parts) == 3 && len(parts[2]) > 10 && strings.Contains(string(resp.Body), parts[2]) {
		t.Errorf("the error echoes the token's signature: %s", resp.Body)
	}
	return doc.Error.Message
}

// jwtClaims decodes a JWT's payload without verifying it.
func jwtClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return claims
}

// jwtTime reads a NumericDate claim.
func jwtTime(t testing.TB, claims map[string]any, name string) time.Time {
	t.Helper()
	n, ok := claims[name].(json.Number)
	if !ok {
		t.Fatalf("claim %s = %v, want a number", name, claims[name])
	}
	sec, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %s = %v: %v", name, n, err)
	}
	return time.Unix(sec, 0).UTC()
}

// b64JSON is v as base64url JSON, a JWT segment.
func b64JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// staticCreds is an aws-sdk-go-v2 provider of temporary credentials.
func staticCreds(c stsCredsXML) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
}

// minioSession returns a minio-go client for ep using creds.
func minioSession(t testing.TB, ep endpoint, creds *miniocreds.Credentials) *minio.Client {
	t.Helper()
	c, err := minio.New(ep.Host(), &minio.Options{Creds: creds, Region: ep.Region, MaxRetries: 1})
	if err != nil {
		t.Fatalf("minio.New: %v", err)
	}
	return c
}

// minioRoundTrip puts data under key with minio-go and reads it back.
func minioRoundTrip(t testing.TB, c *minio.Client, bucket, key string, data []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("minio-go PutObject(%s): %v", key, err)
	}
	minioGet(t, c, bucket, key, data)
}

// minioGet reads key with minio-go and compares it with want.
func minioGet(t testing.TB, c *minio.Client, bucket, key string, want []byte) {
	t.Helper()
	obj, err := c.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("minio-go GetObject(%s): %v", key, err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("minio-go GetObject(%s): %d bytes (%v), want %d", key, len(got), err, len(want))
	}
}

// sdkRoundTrip puts data under key with aws-sdk-go-v2 and reads it back.
func sdkRoundTrip(t testing.TB, c *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	putObject(t, c, bucket, key, data)
	if got := getObject(t, c, bucket, key); !bytes.Equal(got, data) {
		t.Fatalf("GetObject(%s) = %q, want %q", key, got, data)
	}
}

// TestOIDC_ClientGrants is the seed's flow: a raw, unsigned
// AssumeRoleWithClientGrants with the JWT in the query string, whose
// credentials carry the rights the token's policy claim names. It also
// covers ${jwt:sub} in a managed policy.
func TestOIDC_ClientGrants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Tokens outlive the default session so that "until exp" and
	// DurationSeconds=3600 differ.
	p := oidctest.NewProvider(t, oidctest.Options{TokenLifetime: 2 * time.Hour})
	root := startOIDCServer(t, p)
	rootS3 := sdkClient(root)
	bucket := newBucket(t, root)
	putObject(t, rootS3, bucket, "public.txt", []byte("by root"))

	t.Run("readwrite", func(t *testing.T) {
		tok := p.Token(t, map[string]any{"policy": "readwrite"})
		before := time.Now()
		out := clientGrants(t, root, tok, url.Values{"DurationSeconds": {"3600"}})
		if out.Result.SubjectFromToken != p.ClientID() {
			t.Errorf("SubjectFromToken = %q, want %q", out.Result.SubjectFromToken, p.ClientID())
		}
		if out.Result.Audience != p.ClientID() {
			t.Errorf("Audience = %q, want %q", out.Result.Audience, p.ClientID())
		}
		exp, err := time.Parse(time.RFC3339, out.Result.Credentials.Expiration)
		if err != nil {
			t.Fatalf("Expiration %q: %v", out.Result.Credentials.Expiration, err)
		}
		if lo, hi := before.Add(time.Hour-2*time.Second), time.Now().Add(time.Hour+time.Second); exp.Before(lo) || exp.After(hi) {
			t.Errorf("Expiration = %v, want now+3600s (%v..%v)", exp, lo, hi)
		}

		sdk := s3WithCreds(root, staticCreds(out.Result.Credentials))
		sdkRoundTrip(t, sdk, bucket, "grants/sdk.txt", []byte("from aws-sdk-go-v2"))
		if got := getObject(t, sdk, bucket, "public.txt"); string(got) != "by root" {
			t.Fatalf("GetObject(public.txt) = %q", got)
		}
		c := out.Result.Credentials
		mc := minioSession(t, root, miniocreds.NewStaticV4(c.AccessKeyID, c.SecretAccessKey, c.SessionToken))
		minioRoundTrip(t, mc, bucket, "grants/minio.bin", randomBytes(100<<10))
		// Outside the policy: session credentials never reach the IAM API.
		_, err = iam.NewFromConfig(aws.Config{Region: root.Region, HTTPClient: root.Client, Credentials: staticCreds(c)},
			func(o *iam.Options) { o.BaseEndpoint = aws.String(root.URL); o.RetryMaxAttempts = 1 }).
			ListUsers(ctx, &iam.ListUsersInput{})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		// GetCallerIdentity with the session names the same assumed role.
		id, err := sts.NewFromConfig(aws.Config{Region: root.Region, HTTPClient: root.Client, Credentials: staticCreds(c)},
			func(o *sts.Options) { o.BaseEndpoint = aws.String(root.URL); o.RetryMaxAttempts = 1 }).
			GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
		if arn := out.Result.AssumedRoleUser.Arn; arn == "" || aws.ToString(id.Arn) != arn || !strings.HasSuffix(arn, "/"+p.ClientID()) {
			t.Errorf("GetCallerIdentity Arn %q, AssumedRoleUser Arn %q: want equal, ending in /%s", aws.ToString(id.Arn), arn, p.ClientID())
		}
		// Without the session token the access key is unknown.
		_, err = s3WithCreds(root, credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")).
			GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("public.txt")})
		expectError(t, err, "InvalidAccessKeyId", http.StatusForbidden)
	})

	t.Run("readonly", func(t *testing.T) {
		tok := p.Token(t, map[string]any{"policy": "readonly"})
		out := clientGrants(t, root, tok, url.Values{"DurationSeconds": {"3600"}})
		c := out.Result.Credentials
		sdk := s3WithCreds(root, staticCreds(c))
		if got := getObject(t, sdk, bucket, "public.txt"); string(got) != "by root" {
			t.Fatalf("GetObject = %q", got)
		}
		_, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("ro.txt"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = sdk.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("public.txt")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)

		mc := minioSession(t, root, miniocreds.NewStaticV4(c.AccessKeyID, c.SecretAccessKey, c.SessionToken))
		minioGet(t, mc, bucket, "public.txt", []byte("by root"))
		_, err = mc.PutObject(ctx, bucket, "ro-minio.txt", strings.NewReader("x"), 1, minio.PutObjectOptions{})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		expectNoObject(t, rootS3, bucket, "ro.txt")
		expectNoObject(t, rootS3, bucket, "ro-minio.txt")
	})

	t.Run("until token exp", func(t *testing.T) {
		tok := p.Token(t, map[string]any{"policy": "readonly"})
		exp := jwtTime(t, jwtClaims(t, tok), "exp")
		out := clientGrants(t, root, tok, nil)
		got, err := time.Parse(time.RFC3339, out.Result.Credentials.Expiration)
		if err != nil {
			t.Fatalf("Expiration %q: %v", out.Result.Credentials.Expiration, err)
		}
		if !got.Equal(exp) {
			t.Errorf("Expiration without DurationSeconds = %v, want the token's exp %v", got, exp)
		}
	})

	t.Run("policy claim list", func(t *testing.T) {
		// Unknown names in the claim are skipped while one exists.
		tok := p.Token(t, map[string]any{"policy": []string{"no-such-policy", "readonly"}})
		out := clientGrants(t, root, tok, nil)
		sdk := s3WithCreds(root, staticCreds(out.Result.Credentials))
		getObject(t, sdk, bucket, "public.txt")
		_, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("list.txt"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("jwt:sub policy variable", func(t *testing.T) {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::` + bucket + `/${jwt:sub}/*"}]}`
		created, err := iamClient(root).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("own-prefix"), PolicyDocument: aws.String(doc)})
		if err != nil {
			t.Fatalf("CreatePolicy: %v", err)
		}
		tok := p.Token(t, map[string]any{"policy": "own-prefix"})
		sub, _ := jwtClaims(t, tok)["sub"].(string)
		if sub == "" {
			t.Fatal("token has no sub")
		}
		out := clientGrants(t, root, tok, url.Values{"DurationSeconds": {"900"}})
		sdk := s3WithCreds(root, staticCreds(out.Result.Credentials))
		sdkRoundTrip(t, sdk, bucket, sub+"/mine.txt", []byte("mine"))
		for _, key := range []string{"other/x.txt", "x.txt", sub + "x/y.txt", "${jwt:sub}/x.txt"} {
			_, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")})
			expectError(t, err, "AccessDenied", http.StatusForbidden)
		}
		_, err = sdk.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("public.txt")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		if got := getObject(t, rootS3, bucket, sub+"/mine.txt"); string(got) != "mine" {
			t.Fatalf("root reads %q", got)
		}
		// The named policies are live: deleting the policy ends the rights
		// of the running session at once.
		if _, err := iamClient(root).DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: created.Policy.Arn}); err != nil {
			t.Fatalf("DeletePolicy: %v", err)
		}
		_, err = sdk.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(sub + "/mine.txt")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})
}

// TestOIDC_SDKProviders trades a JWT through the SDKs' own web-identity
// and client-grants credential providers.
func TestOIDC_SDKProviders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := oidctest.NewProvider(t, oidctest.Options{})
	root := startOIDCServer(t, p)
	bucket := newBucket(t, root)

	t.Run("aws-sdk-go-v2 WebIdentityRoleProvider", func(t *testing.T) {
		// AWS_WEB_IDENTITY_TOKEN_FILE: the token is read from a file.
		file := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(file, []byte(p.Token(t, map[string]any{"policy": "readwrite"})), 0o600); err != nil {
			t.Fatal(err)
		}
		// No credentials: AssumeRoleWithWebIdentity is an unsigned call.
		stsc := sts.NewFromConfig(aws.Config{Region: root.Region, HTTPClient: root.Client}, func(o *sts.Options) {
			o.BaseEndpoint = aws.String(root.URL)
			o.RetryMaxAttempts = 1
		})
		provider := stscreds.NewWebIdentityRoleProvider(stsc, anyRoleARN, stscreds.IdentityTokenFile(file),
			func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "sdk" })
		creds, err := provider.Retrieve(ctx)
		if err != nil {
			t.Fatalf("WebIdentityRoleProvider.Retrieve: %v", err)
		}
		if !creds.CanExpire || time.Until(creds.Expires) < 50*time.Minute || time.Until(creds.Expires) > 61*time.Minute {
			t.Errorf("credentials expire at %v (CanExpire %v), want the token's exp ~1h", creds.Expires, creds.CanExpire)
		}
		sdk := s3WithCreds(root, aws.NewCredentialsCache(provider))
		sdkRoundTrip(t, sdk, bucket, "webid/sdk.txt", []byte("from stscreds web identity"))

		// The same client through the raw operation, to see the response fields.
		tok, _ := os.ReadFile(file)
		out, err := stsc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("raw"), WebIdentityToken: aws.String(string(tok)),
			DurationSeconds: aws.Int32(900),
		})
		if err != nil {
			t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
		}
		if aws.ToString(out.SubjectFromWebIdentityToken) != p.ClientID() {
			t.Errorf("SubjectFromWebIdentityToken = %q, want %q", aws.ToString(out.SubjectFromWebIdentityToken), p.ClientID())
		}
		if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 14*time.Minute || d > 16*time.Minute {
			t.Errorf("expiration in %v, want ~15m", d)
		}
		// A session policy narrows the token's readwrite to one prefix.
		narrowed, err := stsc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("narrow"), WebIdentityToken: aws.String(string(tok)),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::` + bucket + `/narrow/*"}]}`),
		})
		if err != nil {
			t.Fatalf("AssumeRoleWithWebIdentity with Policy: %v", err)
		}
		nc := narrowed.Credentials
		ns := s3WithCreds(root, credentials.NewStaticCredentialsProvider(*nc.AccessKeyId, *nc.SecretAccessKey, *nc.SessionToken))
		sdkRoundTrip(t, ns, bucket, "narrow/ok.txt", []byte("inside"))
		_, err = ns.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("wide.txt"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
		_, err = ns.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("webid/sdk.txt")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)

		// A rejected token reaches the SDK as its modelled error.
		_, err = stsc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("raw"), WebIdentityToken: aws.String(p.Token(t, nil)),
		})
		expectError(t, err, "IDPRejectedClaim", http.StatusForbidden)
	})

	t.Run("minio-go STSWebIdentity", func(t *testing.T) {
		mc, err := miniocreds.NewSTSWebIdentity(root.URL, func() (*miniocreds.WebIdentityToken, error) {
			tok, err := p.RequestToken(ctx, p.ClientID(), p.ClientSecret(), map[string]any{"policy": "readwrite"})
			return &miniocreds.WebIdentityToken{Token: tok}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		minioRoundTrip(t, minioSession(t, root, mc), bucket, "webid/minio.bin", randomBytes(64<<10))
	})

	t.Run("minio-go STSClientGrants", func(t *testing.T) {
		mc, err := miniocreds.NewSTSClientGrants(root.URL, func() (*miniocreds.ClientGrantsToken, error) {
			tok, err := p.RequestToken(ctx, p.ClientID(), p.ClientSecret(), map[string]any{"policy": "readwrite"})
			// minio-go always sends DurationSeconds=Expiry, and 0 is below
			// STS's 900 s minimum: pass the IdP's expires_in as MinIO's
			// client-grants example does.
			return &miniocreds.ClientGrantsToken{Token: tok, Expiry: 3600}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		minioRoundTrip(t, minioSession(t, root, mc), bucket, "grants/minio.bin", randomBytes(64<<10))
	})
}

// TestOIDC_AWSCLI runs the aws cli's assume-role-with-web-identity, which
// sends no signature.
func TestOIDC_AWSCLI(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("aws cli not on PATH")
		}
		t.Skip("aws cli not on PATH")
	}
	p := oidctest.NewProvider(t, oidctest.Options{})
	root := startOIDCServer(t, p)
	bucket := newBucket(t, root)
	tok := p.Token(t, map[string]any{"policy": "readwrite"})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--endpoint-url", root.URL, "sts", "assume-role-with-web-identity",
		"--role-arn", anyRoleARN, "--role-session-name", "cli", "--web-identity-token", tok, "--output", "json")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_DEFAULT_REGION="+testRegion, "AWS_EC2_METADATA_DISABLED=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws sts assume-role-with-web-identity: %v\nstderr: %s", err, stderr.Bytes())
	}
	var res struct {
		Credentials struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string
			Expiration      string
		}
		SubjectFromWebIdentityToken string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("aws cli output: %v\n%s", err, out)
	}
	c := res.Credentials
	if len(c.AccessKeyID) != 20 || c.SecretAccessKey == "" || c.SessionToken == "" {
		t.Fatalf("aws cli credentials: %s", out)
	}
	if res.SubjectFromWebIdentityToken != p.ClientID() {
		t.Errorf("SubjectFromWebIdentityToken = %q, want %q", res.SubjectFromWebIdentityToken, p.ClientID())
	}
	sdk := s3WithCreds(root, credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken))
	sdkRoundTrip(t, sdk, bucket, "cli.txt", []byte("from the aws cli's credentials"))
}

// TestOIDC_BadTokens sends forged, expired, misaddressed and malformed
// tokens to both federated actions: each gets its error, none credentials.
func TestOIDC_BadTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := oidctest.NewProvider(t, oidctest.Options{})
	other := oidctest.NewProvider(t, oidctest.Options{}) // same client id, other keys and issuer
	root := startOIDCServer(t, p)

	good := p.Token(t, map[string]any{"policy": "readwrite"})
	good2 := p.Token(t, map[string]any{"policy": "readonly"})
	foreign := other.Token(t, map[string]any{"policy": "readwrite"})
	gp := strings.Split(good, ".")
	g2 := strings.Split(good2, ".")
	fp := strings.Split(foreign, ".")

	header := func(h map[string]any) string { return b64JSON(t, h) }
	claims := jwtClaims(t, good)
	withClaims := func(edit func(map[string]any)) string {
		c := map[string]any{}
		for k, v := range claims {
			c[k] = v
		}
		edit(c)
		return b64JSON(t, c)
	}
	now := time.Now().Unix()

	p.AddClient("someone-else", "someone-else-secret")
	wrongAud, err := p.RequestToken(ctx, "someone-else", "someone-else-secret", map[string]any{"policy": "readwrite"})
	if err != nil {
		t.Fatal(err)
	}
	if aud := jwtClaims(t, wrongAud)["aud"]; strings.Contains(toJSON(aud), `"`+p.ClientID()+`"`) {
		t.Fatalf("the other client's token has aud %v", aud)
	}

	cases := []struct {
		name   string
		token  string
		status int
		code   string
		check  string // the oidc check named in the message ("" for none)
	}{
		// Signature problems.
		{"signed by another IdP", foreign, 400, "InvalidIdentityToken", "iss"},
		{"our claims, another IdP's header and signature", fp[0] + "." + gp[1] + "." + fp[2], 400, "InvalidIdentityToken", "kid"},
		{"our claims, another key's signature", gp[0] + "." + gp[1] + "." + fp[2], 400, "InvalidIdentityToken", "signature"},
		{"signature of another token", gp[0] + "." + gp[1] + "." + g2[2], 400, "InvalidIdentityToken", "signature"},
		{"claims raised from readonly to readwrite", g2[0] + "." + gp[1] + "." + g2[2], 400, "InvalidIdentityToken", "signature"},
		{"tampered payload", gp[0] + "." + withClaims(func(c map[string]any) { c["policy"] = "consoleAdmin" }) + "." + gp[2], 400, "InvalidIdentityToken", "signature"},
		{"truncated signature", gp[0] + "." + gp[1] + "." + gp[2][:len(gp[2])/2&^3], 400, "InvalidIdentityToken", "signature"},
		{"signature not base64url", gp[0] + "." + gp[1] + "." + gp[2] + "=", 400, "InvalidIdentityToken", "format"},
		{"no signature", gp[0] + "." + gp[1] + ".", 400, "InvalidIdentityToken", "format"},
		{"alg none", header(map[string]any{"alg": "none"}) + "." + gp[1] + ".", 400, "InvalidIdentityToken", "alg"},
		{"alg none with signature", header(map[string]any{"alg": "none", "typ": "JWT"}) + "." + gp[1] + "." + gp[2], 400, "InvalidIdentityToken", "alg"},
		{"alg None", header(map[string]any{"alg": "None", "kid": p.SigningKeyID()}) + "." + gp[1] + "." + gp[2], 400, "InvalidIdentityToken", "alg"},
		{"alg HS256 without client secret", header(map[string]any{"alg": "HS256", "kid": p.SigningKeyID()}) + "." + gp[1] + "." + gp[2], 400, "InvalidIdentityToken", "alg"},
		// Claims problems (checked before the signature).
		{"expired", gp[0] + "." + withClaims(func(c map[string]any) {
			c["exp"], c["iat"], c["nbf"] = now-3600, now-7200, now-7200
		}) + "." + gp[2], 400, "ExpiredTokenException", "exp"},
		{"no exp", gp[0] + "." + withClaims(func(c map[string]any) { delete(c, "exp") }) + "." + gp[2], 400, "InvalidIdentityToken", "exp"},
		{"not yet valid", gp[0] + "." + withClaims(func(c map[string]any) { c["nbf"] = now + 3600 }) + "." + gp[2], 400, "InvalidIdentityToken", "nbf"},
		{"wrong aud", wrongAud, 400, "InvalidIdentityToken", "aud"},
		{"wrong iss", gp[0] + "." + withClaims(func(c map[string]any) { c["iss"] = other.Issuer() }) + "." + gp[2], 400, "InvalidIdentityToken", "iss"},
		// Genuine tokens whose policies the server refuses.
		{"policy naming no policy", p.Token(t, map[string]any{"policy": "no-such-policy"}), 403, "AccessDenied", ""},
		{"no policy claim", p.Token(t, nil), 403, "IDPRejectedClaim", "claim"},
		{"empty policy claim", p.Token(t, map[string]any{"policy": ""}), 403, "IDPRejectedClaim", "claim"},
		// Malformed.
		{"3 characters", "abc", 400, "ValidationError", ""},
		{"20001 characters", strings.Repeat("a", 20001), 400, "ValidationError", ""},
		// The bounds themselves pass validation and fail as tokens.
		{"4 characters", "abcd", 400, "InvalidIdentityToken", "format"},
		{"20000 characters", strings.Repeat("a", 20000), 400, "InvalidIdentityToken", "format"},
		{"not a JWT", "definitely-not-a-jwt", 400, "InvalidIdentityToken", "format"},
		{"two parts", gp[0] + "." + gp[1], 400, "InvalidIdentityToken", "format"},
		{"JSON garbage header", base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + gp[1] + "." + gp[2], 400, "InvalidIdentityToken", "format"},
	}
	for _, action := range []struct{ name, param string }{
		{"AssumeRoleWithClientGrants", "Token"},
		{"AssumeRoleWithWebIdentity", "WebIdentityToken"},
	} {
		t.Run(action.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					extra := url.Values{}
					if action.param == "WebIdentityToken" {
						extra = url.Values{"RoleArn": {anyRoleARN}, "RoleSessionName": {"bad"}}
					}
					resp := federatedPOST(t, root, action.name, action.param, c.token, extra)
					msg := expectSTSError(t, resp, c.status, c.code, c.token)
					if c.check != "" && !strings.Contains(strings.ToLower(msg), "the "+c.check+" check") {
						t.Errorf("message %q does not name the %s check", msg, c.check)
					}
				})
			}
		})
	}

	// The genuine tokens still work, so the failures above were the tokens'.
	out := clientGrants(t, root, good, nil)
	putObject(t, s3WithCreds(root, staticCreds(out.Result.Credentials)), newBucket(t, root), "ok.txt", []byte("ok"))
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestOIDC_KeyRotation rotates the IdP's signing key while the server runs:
// tokens of the new key are accepted at once (the unknown kid triggers a
// refetch), and those of the old key while it stays published.
func TestOIDC_KeyRotation(t *testing.T) {
	t.Parallel()
	p := oidctest.NewProvider(t, oidctest.Options{})
	root := startOIDCServer(t, p)
	opened := time.Now()
	bucket := newBucket(t, root)

	oldTok := p.Token(t, map[string]any{"policy": "readwrite"})
	clientGrants(t, root, oldTok, nil)
	fetches := p.JWKSFetches()

	// An unknown kid causes at most one refetch per 5 s (oidc.DefaultRefreshMin),
	// counted from the start-up fetch: rotate once that has passed.
	time.Sleep(time.Until(opened.Add(oidc.DefaultRefreshMin + 200*time.Millisecond)))
	oldKid := p.SigningKeyID()
	newKid := p.RotateKeys(t)
	if newKid == oldKid {
		t.Fatal("RotateKeys kept the kid")
	}
	newTok := p.Token(t, map[string]any{"policy": "readwrite"})
	if h := strings.Split(newTok, ".")[0]; !strings.Contains(string(must(base64.RawURLEncoding.DecodeString(h))), newKid) {
		t.Fatalf("the new token is not signed with the new key %s", newKid)
	}
	out := clientGrants(t, root, newTok, nil)
	if got := p.JWKSFetches(); got != fetches+1 {
		t.Errorf("JWKS fetches for the new kid: %d, want 1", got-fetches)
	}
	sdkRoundTrip(t, s3WithCreds(root, staticCreds(out.Result.Credentials)), bucket, "rotated.txt", []byte("new key"))

	// The old key is still published, so its tokens still verify; a
	// second token of the new key needs no fetch.
	clientGrants(t, root, oldTok, nil)
	clientGrants(t, root, p.Token(t, map[string]any{"policy": "readonly"}), nil)
	if got := p.JWKSFetches(); got != fetches+1 {
		t.Errorf("JWKS fetches after known kids: %d, want 1", got-fetches)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestOIDC_IdPDown starts the server while the IdP answers 503: the
// federated actions answer IDPCommunicationError until the background
// retry (backoff from 1 s) fetches the keys once the IdP is back.
func TestOIDC_IdPDown(t *testing.T) {
	t.Parallel()
	p := oidctest.NewProvider(t, oidctest.Options{})
	tok := p.Token(t, map[string]any{"policy": "readwrite"}) // before the IdP goes down
	p.SetDown(true)
	root := startOIDCServer(t, p)

	for _, action := range []struct{ name, param string }{
		{"AssumeRoleWithClientGrants", "Token"},
		{"AssumeRoleWithWebIdentity", "WebIdentityToken"},
	} {
		resp := federatedPOST(t, root, action.name, action.param, tok, url.Values{"RoleArn": {anyRoleARN}, "RoleSessionName": {"down"}})
		expectSTSError(t, resp, http.StatusBadRequest, "IDPCommunicationError", tok)
	}
	// Requests while down keep failing the same way (no credentials).
	resp := federatedPOST(t, root, "AssumeRoleWithClientGrants", "Token", tok, nil)
	expectSTSError(t, resp, http.StatusBadRequest, "IDPCommunicationError", tok)

	p.SetDown(false)
	back := time.Now()
	deadline := back.Add(15 * time.Second)
	for {
		resp := federatedPOST(t, root, "AssumeRoleWithClientGrants", "Token", tok, nil)
		if resp.StatusCode == http.StatusOK {
			t.Logf("accepted %v after the IdP came back", time.Since(back).Round(10*time.Millisecond))
			break
		}
		expectSTSError(t, resp, http.StatusBadRequest, "IDPCommunicationError", tok)
		if time.Now().After(deadline) {
			t.Fatalf("still %d %s 15 s after the IdP came back", resp.StatusCode, resp.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out := clientGrants(t, root, tok, nil)
	bucket := newBucket(t, root)
	sdkRoundTrip(t, s3WithCreds(root, staticCreds(out.Result.Credentials)), bucket, "after-outage.txt", []byte("back"))
}
