package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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
	"github.com/sesame-s3/sesame/internal/opa"
)

// The authorization matrix: every kind of caller × a bucket policy that
// says nothing, allows the caller or denies it × five operations, with
// the built-in policies and with OPA. Each cell's answer is written below
// with the rule of iam.Service.Authorize (and of AWS's policy evaluation
// logic, docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
// that gives it.
//
// The callers:
//   - root: the root keys;
//   - rootSession: AssumeRole by root with the narrow session policy
//     (s3:GetObject and s3:PutObject on BUCKET/allowed/*);
//   - user: IAM user alice, whose only policy allows s3:GetObject on BUCKET/*;
//   - userSession: AssumeRole by alice with the narrow session policy;
//   - federated: AssumeRoleWithClientGrants with a token whose policy
//     claim names "fedread" (s3:GetObject on BUCKET/*), no session policy;
//   - anonymous: unsigned requests.
//
// The operations: GetObject BUCKET/allowed/obj (read), PutObject
// BUCKET/other/KEY (write elsewhere), ListBuckets, IAM ListUsers, STS
// AssumeRole.

// matrixNarrow is the session policy of rootSession and userSession.
const matrixNarrow = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::%s/allowed/*"}]}`

// matrixOPA is the OPA policy of the OPA column: the owner may do
// everything (MinIO's httpapi.authz), alice may read and mint
// credentials, and a federated identity whose policy claim names fedread
// may read. Bucket policies play no part.
const matrixOPA = `package httpapi.authz

default allow := false

allow if input.owner == true

allow if {
	input.account == "alice"
	input.action in {"s3:GetObject", "sts:AssumeRole"}
}

allow if {
	input.claims.policy == "fedread"
	input.action == "s3:GetObject"
}
`

// Outcomes of a cell: allowed, or the error code that denies it.
const (
	allow    = "ok"
	denied   = "AccessDenied"
	noAuth   = "MissingAuthenticationToken"
	opRead   = "read"
	opWrite  = "write"
	opList   = "ListBuckets"
	opIAM    = "iam:ListUsers"
	opAssume = "sts:AssumeRole"
)

var matrixOps = []string{opRead, opWrite, opList, opIAM, opAssume}

// matrixRow is one caller's expected outcomes, in matrixOps order.
type matrixRow [5]string

// matrixBuiltin is the expected matrix with the built-in policies, by
// bucket policy ("none", "allow", "deny") and caller.
var matrixBuiltin = map[string]map[string]matrixRow{
	"none": {
		// Rule 4: the root keys may do everything.
		"root": {allow, allow, allow, allow, allow},
		// Rule 6: root's session = everything ∩ session policy; where the
		// session policy does not allow, Deny (AWS: a session's
		// permissions are the intersection of the identity-based policy
		// and the session policy). Rule 2: no IAM, no chaining.
		"rootSession": {allow, denied, denied, denied, denied},
		// Rule 6: alice's own policy allows reading only; AWS: an implicit
		// deny where no policy allows. Rule 7: AssumeRole with nothing
		// applicable is allowed (MinIO's AssumeRole).
		"user": {allow, denied, denied, denied, allow},
		// Rule 6: alice's policies ∩ the session policy; rule 2.
		"userSession": {allow, denied, denied, denied, denied},
		// Rule 6: the policies the token named, evaluated live; rule 2.
		"federated": {allow, denied, denied, denied, denied},
		// Rule 5: no resource policy grants anything; IAM and STS refuse
		// unsigned calls before any action runs.
		"anonymous": {denied, denied, denied, noAuth, noAuth},
	},
	"allow": {
		"root": {allow, allow, allow, allow, allow},
		// The bucket policy cannot widen a session: where the session
		// policy does not allow, the answer is Deny (rule 6). ListBuckets
		// names no bucket, so no bucket policy applies to it.
		"rootSession": {allow, denied, denied, denied, denied},
		// AWS, within one account: an Allow in the identity policy OR in
		// the resource policy grants (rule 6).
		"user":        {allow, allow, denied, denied, allow},
		"userSession": {allow, denied, denied, denied, denied},
		// The bucket policy names the ARN STS reported for the session.
		"federated": {allow, allow, denied, denied, denied},
		// Rule 5: Principal "*" allows anonymous callers the bucket.
		"anonymous": {allow, allow, denied, noAuth, noAuth},
	},
	"deny": {
		// Rule 4: the root keys are not bound by any policy (MinIO's
		// owner; in AWS the root user could always delete such a policy).
		"root": {allow, allow, allow, allow, allow},
		// An explicit Deny in any policy wins (rule 6; AWS: "an explicit
		// deny in any policy overrides any allow").
		"rootSession": {denied, denied, denied, denied, denied},
		"user":        {denied, denied, denied, denied, allow},
		"userSession": {denied, denied, denied, denied, denied},
		"federated":   {denied, denied, denied, denied, denied},
		"anonymous":   {denied, denied, denied, noAuth, noAuth},
	},
}

// matrixWithOPA is the expected matrix with OPA, whatever the bucket
// policy (rule 3: OPA alone answers; a session policy still narrows it;
// rules 1-2 come first).
var matrixWithOPA = map[string]matrixRow{
	"root":        {allow, allow, allow, allow, allow},
	"rootSession": {allow, denied, denied, denied, denied},
	"user":        {allow, denied, denied, denied, allow},
	"userSession": {allow, denied, denied, denied, denied},
	"federated":   {allow, denied, denied, denied, denied},
	"anonymous":   {denied, denied, denied, noAuth, noAuth},
}

var matrixCallers = []string{"root", "rootSession", "user", "userSession", "federated", "anonymous"}

// matrixCaller is one caller: its credentials and the ARN policies name
// it by ("*" for anonymous).
type matrixCaller struct {
	creds aws.CredentialsProvider
	arn   string
}

func TestAuthz_Matrix(t *testing.T) {
	t.Parallel()
	for _, withOPA := range []bool{false, true} {
		name := "builtin"
		if withOPA {
			name = "OPA"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ep, bucket, callers := matrixSetup(t, withOPA)
			for _, bp := range []string{"none", "allow", "deny"} {
				for _, caller := range matrixCallers {
					want := matrixBuiltin[bp][caller]
					if withOPA {
						want = matrixWithOPA[caller]
					}
					setMatrixBucketPolicy(t, ep, bucket, bp, callers[caller].arn)
					got := matrixRun(t, ep, bucket, caller, callers[caller].creds)
					for i, op := range matrixOps {
						if got[i] != want[i] {
							t.Errorf("bucket policy %s, caller %s, %s: got %s, want %s", bp, caller, op, got[i], want[i])
						}
					}
				}
			}
		})
	}
}

// matrixSetup starts a server (with OPA when withOPA) and an OpenID
// provider, makes the bucket, alice and the callers' credentials.
func matrixSetup(t *testing.T, withOPA bool) (endpoint, string, map[string]matrixCaller) {
	t.Helper()
	ctx := context.Background()
	p := oidctest.NewProvider(t, oidctest.Options{ClientID: "fed-app"})
	env := p.Env("")
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	openID, err := oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatal(err)
	}
	var opaCfg *opa.Config
	if withOPA {
		o := startOPA(t, matrixOPA)
		opaCfg = &opa.Config{URL: o.URL + "/v1/data/httpapi/authz", Timeout: 5 * time.Second}
	}
	ep := startServer(t, func(c *config.Config) {
		c.OpenID = openID
		c.OPA = opaCfg
	})
	bucket := newBucket(t, ep)
	putObject(t, sdkClient(ep), bucket, "allowed/obj", []byte("data"))
	admin := iamClient(ep)
	read := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, bucket)
	for _, pol := range []string{"aliceread", "fedread"} {
		if _, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(pol), PolicyDocument: aws.String(read)}); err != nil {
			t.Fatalf("CreatePolicy %s: %v", pol, err)
		}
	}
	alice := newUser(t, ep, "alice", "arn:aws:iam::000000000000:policy/aliceread")
	narrow := fmt.Sprintf(matrixNarrow, bucket)

	session := func(from endpoint) matrixCaller {
		out, err := stsClient(from).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("narrow"), Policy: aws.String(narrow),
		})
		if err != nil {
			t.Fatalf("AssumeRole as %s: %v", from.AccessKey, err)
		}
		c := out.Credentials
		return matrixCaller{
			creds: credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken),
			arn:   *out.AssumedRoleUser.Arn,
		}
	}
	fed := clientGrants(t, ep, p.Token(t, map[string]any{"policy": "fedread"}), url.Values{"DurationSeconds": {"900"}})
	callers := map[string]matrixCaller{
		"root":        {creds: credentials.NewStaticCredentialsProvider(ep.AccessKey, ep.SecretKey, ""), arn: "arn:aws:iam::000000000000:root"},
		"rootSession": session(ep),
		"user":        {creds: credentials.NewStaticCredentialsProvider(alice.AccessKey, alice.SecretKey, ""), arn: "arn:aws:iam::000000000000:user/alice"},
		"userSession": session(alice),
		"federated":   {creds: staticCreds(fed.Result.Credentials), arn: fed.Result.AssumedRoleUser.Arn},
		"anonymous":   {creds: aws.AnonymousCredentials{}, arn: "*"},
	}
	if want := "arn:aws:sts::000000000000:assumed-role/openid/fed-app"; callers["federated"].arn != want {
		t.Fatalf("federated session ARN %q, want %q", callers["federated"].arn, want)
	}
	return ep, bucket, callers
}

// setMatrixBucketPolicy sets (as root) a bucket policy that says nothing
// about the caller ("none": there is none), or allows or denies it s3:*
// on the bucket and its objects.
func setMatrixBucketPolicy(t *testing.T, ep endpoint, bucket, kind, principal string) {
	t.Helper()
	ctx := context.Background()
	c := sdkClient(ep)
	if kind == "none" {
		if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &bucket}); err != nil {
			t.Fatalf("DeleteBucketPolicy: %v", err)
		}
		return
	}
	effect := map[string]string{"allow": "Allow", "deny": "Deny"}[kind]
	who := fmt.Sprintf(`{"AWS":[%q]}`, principal)
	if principal == "*" {
		who = `"*"`
	}
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":%q,"Principal":%s,"Action":"s3:*","Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`,
		effect, who, bucket, bucket)
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: &doc}); err != nil {
		t.Fatalf("PutBucketPolicy %s: %v", doc, err)
	}
}

// matrixRun performs the five operations as the caller and returns each
// one's outcome: allow, or the error code; a denial must be 403.
func matrixRun(t *testing.T, ep endpoint, bucket, caller string, creds aws.CredentialsProvider) matrixRow {
	t.Helper()
	ctx := context.Background()
	cfg := aws.Config{Region: ep.Region, Credentials: creds, HTTPClient: ep.Client}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint, o.UsePathStyle, o.RetryMaxAttempts = aws.String(ep.URL), true, 1
	})
	iamc := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint, o.RetryMaxAttempts = aws.String(ep.URL), 1 })
	stsc := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint, o.RetryMaxAttempts = aws.String(ep.URL), 1 })
	calls := []func() error{
		func() error {
			out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("allowed/obj")})
			if err == nil {
				out.Body.Close()
			}
			return err
		},
		func() error {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("other/" + caller), Body: strings.NewReader("x")})
			return err
		},
		func() error { _, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{}); return err },
		func() error { _, err := iamc.ListUsers(ctx, &iam.ListUsersInput{}); return err },
		func() error {
			_, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("again")})
			return err
		},
	}
	var row matrixRow
	for i, call := range calls {
		err := call()
		if err == nil {
			row[i] = allow
			continue
		}
		row[i] = errorCode(err)
		if row[i] == "" {
			row[i] = err.Error()
		}
		if status := httpStatus(err); status != http.StatusForbidden {
			t.Errorf("caller %s, %s: status %d (%s), want 403", caller, matrixOps[i], status, row[i])
		}
	}
	return row
}
