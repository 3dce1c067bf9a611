package oidc_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

// These tests run against a real OpenID Provider (zitadel/oidc's op) that
// issues JWT access tokens with the client_credentials grant, and the
// real clock.

func openReal(t *testing.T, cfgs ...oidc.ProviderConfig) *oidc.Set {
	t.Helper()
	s, err := oidc.Open(context.Background(), cfgs, oidc.Options{
		RefreshMin: 10 * time.Millisecond,
		RetryMin:   10 * time.Millisecond,
		RetryMax:   50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSet_Verify_realProvider(t *testing.T) {
	op := oidctest.NewProvider(t, oidctest.Options{ClientID: "minio-client"})
	env := op.Env("")
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfgs, err := oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatal(err)
	}
	s := openReal(t, cfgs...)
	ctx := context.Background()

	id, err := s.Verify(ctx, op.Token(t, map[string]any{"policy": "readwrite", "groups": []string{"eng"}}), "")
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != op.Issuer() || id.Subject != "minio-client" || !slices.Equal(id.Policies, []string{"readwrite"}) {
		t.Fatalf("identity %+v", id)
	}
	if !slices.Equal(id.Audience, []string{"minio-client"}) || !slices.Equal(id.Claims["groups"], []string{"eng"}) ||
		!slices.Equal(id.Claims["client_id"], []string{"minio-client"}) {
		t.Fatalf("identity %+v", id)
	}
	if d := time.Until(id.Expiry); d < 50*time.Minute || d > 61*time.Minute {
		t.Fatalf("expiry in %v", d)
	}

	err = policyErr(s.Verify(ctx, op.Token(t, nil), ""))
	wantErr(t, err, oidc.ErrRejectedClaim, oidc.CheckClaim)

	// Another client of the same IdP: aud names it, not ours.
	op.AddClient("someone-else", "pw")
	tok, err := op.RequestToken(ctx, "someone-else", "pw", map[string]any{"policy": "readwrite"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Verify(ctx, tok, "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)
}

func TestSet_Verify_realProviderRotation(t *testing.T) {
	op := oidctest.NewProvider(t, oidctest.Options{})
	s := openReal(t, oidc.ProviderConfig{ConfigURL: op.ConfigURL(), ClientID: op.ClientID()})
	ctx := context.Background()
	claims := map[string]any{"policy": "readonly"}
	if _, err := s.Verify(ctx, op.Token(t, claims), ""); err != nil {
		t.Fatal(err)
	}
	old := op.Token(t, claims)

	op.RotateKeys(t)
	op.DropOldKeys()
	time.Sleep(20 * time.Millisecond) // past RefreshMin
	before := op.JWKSFetches()
	if _, err := s.Verify(ctx, op.Token(t, claims), ""); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
	if got := op.JWKSFetches() - before; got != 1 {
		t.Fatalf("JWKS fetched %d times for the new key, want 1", got)
	}
	time.Sleep(20 * time.Millisecond)
	_, err := s.Verify(ctx, old, "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckKeyID)
}

func TestSet_Verify_realProviderRolesAndUserinfo(t *testing.T) {
	claimOP := oidctest.NewProvider(t, oidctest.Options{ClientID: "claims"})
	roleOP := oidctest.NewProvider(t, oidctest.Options{ClientID: "roles"})
	s := openReal(t,
		oidc.ProviderConfig{ConfigURL: claimOP.ConfigURL(), ClientID: "claims", ClaimUserinfo: true},
		oidc.ProviderConfig{Name: "ROLES", ConfigURL: roleOP.ConfigURL(), ClientID: "roles", RolePolicy: []string{"readonly"}},
	)
	ctx := context.Background()
	arn := s.RoleARNs()["ROLES"]

	id, err := s.Verify(ctx, roleOP.Token(t, nil), arn)
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != "ROLES" || id.RoleARN != arn || !slices.Equal(id.Policies, []string{"readonly"}) {
		t.Fatalf("identity %+v", id)
	}
	// The role provider's token with a RoleArn the SDK made up: still
	// routed by its issuer.
	if id, err := s.Verify(ctx, roleOP.Token(t, nil), "arn:aws:iam::000000000000:role/x"); err != nil || id.Provider != "ROLES" {
		t.Fatalf("%+v, %v", id, err)
	}
	// One provider's token never passes as the other's.
	_, err = s.Verify(ctx, claimOP.Token(t, map[string]any{"policy": "readwrite"}), arn)
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckIssuer)

	// Claims from the userinfo endpoint (zitadel verifies the token there).
	claimOP.SetUserinfo("claims", map[string]any{"policy": "diagnostics", "email": "svc@example.com"})
	id, err = s.Verify(ctx, claimOP.Token(t, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(id.Policies, []string{"diagnostics"}) || !slices.Equal(id.Claims["email"], []string{"svc@example.com"}) {
		t.Fatalf("identity %+v", id)
	}
}

func TestSet_Verify_realProviderDownAtStart(t *testing.T) {
	op := oidctest.NewProvider(t, oidctest.Options{})
	op.SetDown(true)
	s := openReal(t, oidc.ProviderConfig{ConfigURL: op.ConfigURL(), ClientID: op.ClientID()})
	op.SetDown(false)
	tok := op.Token(t, map[string]any{"policy": "readwrite"})
	eventually(t, "the keys", func() bool {
		_, err := s.Verify(context.Background(), tok, "")
		return err == nil
	})
}

func TestSet_Verify_realProviderLegacyJWKS(t *testing.T) {
	op := oidctest.NewProvider(t, oidctest.Options{})
	s := openReal(t, oidc.ProviderConfig{JWKSURL: op.JWKSURL(), ClientID: op.ClientID()})
	id, err := s.Verify(context.Background(), op.Token(t, map[string]any{"policy": "readwrite"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != op.Issuer() || !slices.Equal(id.Policies, []string{"readwrite"}) {
		t.Fatalf("identity %+v", id)
	}
}

// TestSet_VerifyForRole_realProvider checks a Kubernetes-style service
// account token of a provider created through the IAM API, and the
// client_credentials tokens of a configured provider on the role path.
func TestSet_VerifyForRole_realProvider(t *testing.T) {
	k8s := oidctest.NewProvider(t, oidctest.Options{})
	env := oidctest.NewProvider(t, oidctest.Options{ClientID: "minio-client"})
	s := openReal(t, oidc.ProviderConfig{ConfigURL: env.ConfigURL(), ClientID: env.ClientID()})
	s.SetIAMProviders([]oidc.IAMProvider{{URL: k8s.Issuer(), ClientIDs: []string{"sts.amazonaws.com"}}})
	ctx := context.Background()
	prefix := strings.TrimPrefix(k8s.Issuer(), "http://")

	id, err := s.VerifyForRole(ctx, k8s.Mint(t, map[string]any{
		"sub":           "system:serviceaccount:apps:uploader",
		"aud":           []string{"sts.amazonaws.com"},
		"kubernetes.io": map[string]any{"namespace": "apps", "serviceaccount": map[string]any{"name": "uploader"}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if id.ProviderARN != "arn:aws:iam::000000000000:oidc-provider/"+prefix || id.Subject != "system:serviceaccount:apps:uploader" ||
		!slices.Equal(id.ConditionKeys()[prefix+":aud"], []string{"sts.amazonaws.com"}) || id.Policies != nil {
		t.Fatalf("identity %+v", id)
	}

	// After a key rotation the new kid is fetched once.
	k8s.RotateKeys(t)
	k8s.DropOldKeys()
	if _, err := s.VerifyForRole(ctx, k8s.Mint(t, map[string]any{"sub": "x", "aud": "sts.amazonaws.com"})); err != nil {
		t.Fatalf("after rotation: %v", err)
	}

	id, err = s.VerifyForRole(ctx, env.Token(t, map[string]any{"policy": "readwrite"}))
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != "" || id.Subject != "minio-client" || id.Policies != nil || id.ProviderARN == "" {
		t.Fatalf("identity %+v", id)
	}
}
