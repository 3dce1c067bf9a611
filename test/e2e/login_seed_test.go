package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesame-s3/sesame/internal/audit"
	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
	"github.com/sesame-s3/sesame/internal/opa"
)

// seedClientID is the client id of MinIO's seed sample (WSO2).
const seedClientID = "PoEgXP6uVO45IsENRngDXj5Au5Ya"

// seedOPAPolicy lets the seed's client read and write bucket "seed", and
// the owner do everything: OPA decides, from the token's azp, what a
// token without a policy claim may do.
const seedOPAPolicy = `package httpapi.authz

default allow := false

allow if input.owner == true

allow if {
	input.claims.azp == "` + seedClientID + `"
	input.action in {"s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetObject", "s3:PutObject"}
}
`

// TestLogin_SeedClientGrantsToken trades a token shaped exactly like the
// sample of MinIO's AssumeRoleWithClientGrants documentation (seed 000:
// aud, azp, iss, exp, iat, jti; no sub, no policy claim), minted by a
// real OpenID provider, with OPA deciding: the subject is the token's
// azp, in the response, the assumed-role ARN and the audit log. Without
// OPA the same token is refused for naming no policy.
func TestLogin_SeedClientGrantsToken(t *testing.T) {
	t.Parallel()
	idp := oidctest.NewProvider(t, oidctest.Options{ClientID: seedClientID})
	token := idp.Mint(t, map[string]any{"aud": seedClientID, "azp": seedClientID, "jti": "6cf20b0e-e4ff-43fd-a7ba-da77a17c3636"})
	var keys []string
	for k := range jwtClaims(t, token) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"aud", "azp", "exp", "iat", "iss", "jti"}; !slices.Equal(keys, want) {
		t.Fatalf("minted claims %v, want the seed's %v", keys, want)
	}
	env := idp.Env("")
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	openID, err := oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("without OPA", func(t *testing.T) {
		ep := startServer(t, func(c *config.Config) { c.OpenID = openID })
		msg := expectSTSError(t, federatedPOST(t, ep, "AssumeRoleWithClientGrants", "Token", token, nil), http.StatusForbidden, "IDPRejectedClaim", token)
		if !strings.Contains(msg, "policy") {
			t.Errorf("message %q does not say the policy claim is missing", msg)
		}
	})

	t.Run("with OPA", func(t *testing.T) {
		o := startOPA(t, seedOPAPolicy)
		opaCfg := &opa.Config{URL: o.URL + "/v1/data/httpapi/authz", Timeout: 2 * time.Second}
		auditFile := filepath.Join(t.TempDir(), "audit.log")
		root := startServer(t, func(c *config.Config) {
			c.OpenID, c.OPA, c.Audit.File = openID, opaCfg, auditFile
		})
		ctx := context.Background()
		if _, err := sdkClient(root).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("seed")}); err != nil {
			t.Fatal(err)
		}
		res := clientGrants(t, root, token, nil)
		if res.Result.SubjectFromToken != seedClientID {
			t.Errorf("SubjectFromToken = %q, want the azp %q", res.Result.SubjectFromToken, seedClientID)
		}
		if want := "arn:aws:sts::000000000000:assumed-role/openid/" + seedClientID; res.Result.AssumedRoleUser.Arn != want {
			t.Errorf("AssumedRoleUser.Arn = %q, want %q", res.Result.AssumedRoleUser.Arn, want)
		}
		sdk := s3WithCreds(root, staticCreds(res.Result.Credentials))
		if _, err := sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("seed"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
			t.Fatalf("PutObject as the seed's client: %v", err)
		}
		out, err := sdk.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil || len(out.Buckets) != 1 {
			t.Fatalf("ListBuckets = %v, %v", out, err)
		}
		_, err = sdk.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("seed"), Key: aws.String("k")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)

		data, err := os.ReadFile(auditFile)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var rec audit.Record
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatalf("audit line %s: %v", line, err)
			}
			if rec.Subject == seedClientID && rec.ClientID == seedClientID && strings.HasSuffix(rec.AssumedRole, "/"+seedClientID) {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit record names subject %s:\n%s", seedClientID, data)
		}
		if bytes.Contains(data, []byte(strings.Split(token, ".")[2])) {
			t.Error("the audit log holds the token")
		}
	})
}
