package oidc_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/oidc"
)

func TestSet_Verify_twoProviders(t *testing.T) {
	idpA := newIdP(t, "rsa1") // claim-based
	idpB := newIdP(t, "ec1")  // role-policy
	clk := newClock()
	cfgB := oidc.ProviderConfig{Name: "B", ConfigURL: idpB.configURL(), ClientID: "client-b", RolePolicy: []string{"readonly", "diagnostics"}}
	s := openSet(t, clk, claimConfig(idpA), cfgB)
	ctx := context.Background()

	arns := s.RoleARNs()
	arnB := arns["B"]
	if len(arns) != 1 || !strings.HasPrefix(arnB, oidc.RoleARNPrefix) || len(arnB) != len(oidc.RoleARNPrefix)+16 {
		t.Fatalf("RoleARNs %v", arns)
	}
	if again := openSet(t, clk, claimConfig(idpA), cfgB).RoleARNs()["B"]; again != arnB {
		t.Fatalf("role ARN not stable: %s then %s", arnB, again)
	}
	renamed := cfgB
	renamed.Name = "OTHER"
	if other := openSet(t, clk, renamed).RoleARNs()["OTHER"]; other != arnB {
		t.Fatalf("role ARN depends on the provider's name: %s vs %s", arnB, other)
	}

	claimsA := idpA.claims(clk.Now(), nil)
	claimsB := idpB.claims(clk.Now(), map[string]any{"aud": "client-b", "policy": nil})
	tokA := sign(t, key("rsa1"), claimsA)
	tokB := sign(t, key("ec1"), claimsB)

	t.Run("RoleArn selects B", func(t *testing.T) {
		id, err := s.Verify(ctx, tokB, arnB)
		if err != nil {
			t.Fatal(err)
		}
		if id.Provider != "B" || id.RoleARN != arnB || !slices.Equal(id.Policies, []string{"readonly", "diagnostics"}) {
			t.Fatalf("identity %+v", id)
		}
	})
	t.Run("no RoleArn: B's issuer selects B", func(t *testing.T) {
		id, err := s.Verify(ctx, tokB, "")
		if err != nil || id.Provider != "B" {
			t.Fatalf("%+v, %v", id, err)
		}
	})
	t.Run("unknown RoleArn falls back to the claim provider", func(t *testing.T) {
		id, err := s.Verify(ctx, tokA, "arn:aws:iam::123456789012:role/sdk-always-sends-one")
		if err != nil {
			t.Fatal(err)
		}
		if id.Provider != "" || id.RoleARN != "" || !slices.Equal(id.Policies, []string{"readwrite"}) {
			t.Fatalf("identity %+v", id)
		}
	})
	t.Run("RoleArn of B with A's token", func(t *testing.T) {
		_, err := s.Verify(ctx, tokA, arnB)
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckIssuer)
	})
	t.Run("A's claims signed by B's key", func(t *testing.T) {
		clk.Advance(10e9)
		before := idpA.jwksHits.Load()
		_, err := s.Verify(ctx, sign(t, key("ec1"), claimsA), "")
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckKeyID)
		if idpA.jwksHits.Load()-before != 1 {
			t.Fatal("A did not refetch its own keys once")
		}
	})
	t.Run("B's claims signed by A's key", func(t *testing.T) {
		clk.Advance(10e9)
		_, err := s.Verify(ctx, sign(t, key("rsa1"), claimsB), arnB)
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckKeyID)
	})
	t.Run("unknown issuer goes to the claim provider", func(t *testing.T) {
		_, err := s.Verify(ctx, sign(t, key("rsa1"), idpA.claims(clk.Now(), map[string]any{"iss": "https://elsewhere"})), "")
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckIssuer)
	})
}

func TestSet_Verify_roleOnly(t *testing.T) {
	idpB := newIdP(t, "ec1")
	idpC := newIdP(t, "ed1")
	clk := newClock()
	s := openSet(t, clk,
		oidc.ProviderConfig{Name: "B", ConfigURL: idpB.configURL(), ClientID: "b", RolePolicy: []string{"readonly"}},
		oidc.ProviderConfig{Name: "C", ConfigURL: idpC.configURL(), ClientID: "c", RolePolicy: []string{"writeonly"}},
	)
	ctx := context.Background()
	tokC := sign(t, key("ed1"), idpC.claims(clk.Now(), map[string]any{"aud": "c"}))

	_, err := s.Verify(ctx, tokC, "arn:minio:iam:::role/nope")
	wantErr(t, err, oidc.ErrNoProvider, oidc.CheckProvider)

	id, err := s.Verify(ctx, tokC, s.RoleARNs()["C"])
	if err != nil || id.Provider != "C" || !slices.Equal(id.Policies, []string{"writeonly"}) {
		t.Fatalf("%+v, %v", id, err)
	}
	id, err = s.Verify(ctx, tokC, "")
	if err != nil || id.Provider != "C" {
		t.Fatalf("by issuer: %+v, %v", id, err)
	}
	_, err = s.Verify(ctx, sign(t, key("ed1"), idpC.claims(clk.Now(), map[string]any{"iss": "https://elsewhere"})), "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckIssuer)
}

func TestSet_Verify_sharedIssuer(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s := openSet(t, clk,
		oidc.ProviderConfig{ConfigURL: idp.configURL(), ClientID: "a"},
		oidc.ProviderConfig{Name: "B", ConfigURL: idp.configURL(), ClientID: "b", RolePolicy: []string{"readonly"}},
	)
	ctx := context.Background()
	for _, tc := range []struct{ aud, provider string }{{"a", ""}, {"b", "B"}} {
		id, err := s.Verify(ctx, sign(t, key("rsa1"), idp.claims(clk.Now(), map[string]any{"aud": tc.aud})), "")
		if err != nil || id.Provider != tc.provider {
			t.Fatalf("aud %s: %+v, %v", tc.aud, id, err)
		}
	}
	// Names neither client: the claim-based provider checks it, and fails.
	_, err := s.Verify(ctx, sign(t, key("rsa1"), idp.claims(clk.Now(), map[string]any{"aud": "z"})), "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)
}

func TestSet_Verify_legacyJWKS(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s := openSet(t, clk, oidc.ProviderConfig{JWKSURL: idp.srv.URL + "/jwks"})
	ctx := context.Background()
	// No discovery: any issuer, no audience check without a client id.
	id, err := s.Verify(ctx, sign(t, key("rsa1"), idp.claims(clk.Now(), map[string]any{"iss": "https://wso2.example/oauth2/token", "aud": "x"})), "")
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != "https://wso2.example/oauth2/token" || !slices.Equal(id.Policies, []string{"readwrite"}) {
		t.Fatalf("identity %+v", id)
	}
	if idp.discoveryHits.Load() != 0 {
		t.Fatal("a bare JWKS URL must not trigger discovery")
	}
	// The rest still holds.
	_, err = s.Verify(ctx, sign(t, key("other"), idp.claims(clk.Now(), nil)), "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckKeyID)

	withID := openSet(t, clk, oidc.ProviderConfig{JWKSURL: idp.srv.URL + "/jwks", ClientID: testClientID})
	_, err = withID.Verify(ctx, sign(t, key("rsa1"), idp.claims(clk.Now(), map[string]any{"aud": "x"})), "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)

	// SESAME_IDENTITY_OPENID_ISSUER turns the issuer check on.
	withIss := openSet(t, clk, oidc.ProviderConfig{JWKSURL: idp.srv.URL + "/jwks", ClientID: testClientID, Issuer: "https://wso2.example/oauth2/token"})
	_, err = withIss.Verify(ctx, sign(t, key("rsa1"), idp.claims(clk.Now(), map[string]any{"iss": "https://evil.example/"})), "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckIssuer)
	if _, err := withIss.Verify(ctx, sign(t, key("rsa1"), idp.claims(clk.Now(), map[string]any{"iss": "https://wso2.example/oauth2/token"})), ""); err != nil {
		t.Errorf("the configured issuer: %v", err)
	}
}

// TestWarnings checks that every check a configuration leaves off is
// named, with the variable that turns it on, and that nothing else is.
func TestWarnings(t *testing.T) {
	all := oidc.Warnings([]oidc.ProviderConfig{{JWKSURL: "https://idp.example/jwks"}})
	if len(all) != 2 || !strings.Contains(all[0], "SESAME_IDENTITY_OPENID_ISSUER") || !strings.Contains(all[1], "MINIO_IDENTITY_OPENID_CLIENT_ID") {
		t.Errorf("legacy JWKS with nothing set: %q", all)
	}
	if w := oidc.Warnings([]oidc.ProviderConfig{{JWKSURL: "https://idp.example/jwks", Issuer: "https://idp.example", ClientID: "c"}}); len(w) != 0 {
		t.Errorf("legacy JWKS with issuer and client id: %q", w)
	}
	if w := oidc.Warnings([]oidc.ProviderConfig{{ConfigURL: "https://idp.example/.well-known/openid-configuration", ClientID: "c"}}); len(w) != 0 {
		t.Errorf("discovery: %q", w)
	}
	cfgs, err := oidc.ConfigFromEnv(func(k string) string {
		return map[string]string{"MINIO_IAM_JWKS_URL": "https://idp.example/jwks", "SESAME_IDENTITY_OPENID_ISSUER": "https://idp.example"}[k]
	}, []string{"MINIO_IAM_JWKS_URL=https://idp.example/jwks"})
	if err != nil || len(cfgs) != 1 || cfgs[0].Issuer != "https://idp.example" {
		t.Errorf("ConfigFromEnv = %+v, %v", cfgs, err)
	}
}

func TestOpen_invalidConfig(t *testing.T) {
	cases := []struct {
		name string
		cfgs []oidc.ProviderConfig
		want string
	}{
		{"no client id", []oidc.ProviderConfig{{ConfigURL: "https://idp.example/.well-known/openid-configuration"}}, "MINIO_IDENTITY_OPENID_CLIENT_ID is required"},
		{"two claim-based", []oidc.ProviderConfig{
			{ConfigURL: "https://a.example/", ClientID: "a"},
			{Name: "X", ConfigURL: "https://b.example/", ClientID: "b"},
		}, "MINIO_IDENTITY_OPENID_ROLE_POLICY_X"},
		{"no URL", []oidc.ProviderConfig{{ClientID: "a"}}, "MINIO_IDENTITY_OPENID_CONFIG_URL is required"},
		{"issuer with discovery", []oidc.ProviderConfig{{ConfigURL: "https://a.example/", ClientID: "a", Issuer: "https://a.example"}}, "SESAME_IDENTITY_OPENID_ISSUER is only for MINIO_IAM_JWKS_URL"},
		{"duplicate name", []oidc.ProviderConfig{
			{Name: "X", ConfigURL: "https://a.example/", ClientID: "a"},
			{Name: "X", ConfigURL: "https://b.example/", ClientID: "b", RolePolicy: []string{"p"}},
		}, "twice"},
		{"same role ARN", []oidc.ProviderConfig{
			{Name: "X", ConfigURL: "https://a.example/", ClientID: "a", RolePolicy: []string{"p"}},
			{Name: "Y", ConfigURL: "https://a.example/", ClientID: "a", RolePolicy: []string{"q"}},
		}, "same role ARN"},
		{"empty role policy", []oidc.ProviderConfig{{ConfigURL: "https://a.example/", ClientID: "a", RolePolicy: []string{" "}}}, "empty policy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oidc.Open(context.Background(), tc.cfgs, oidc.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want %q", err, tc.want)
			}
		})
	}
}
