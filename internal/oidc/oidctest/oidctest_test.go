package oidctest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProvider(t *testing.T) {
	p := oidctest.NewProvider(t, oidctest.Options{ClientID: "minio", ClientSecret: "s3cret"})

	resp, err := http.Get(p.ConfigURL())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer     string   `json:"issuer"`
		JWKSURI    string   `json:"jwks_uri"`
		Userinfo   string   `json:"userinfo_endpoint"`
		GrantTypes []string `json:"grant_types_supported"`
	}
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc.Issuer != p.Issuer() || doc.JWKSURI != p.JWKSURL() || doc.Userinfo == "" {
		t.Fatalf("discovery %+v", doc)
	}
	if !strings.Contains(strings.Join(doc.GrantTypes, " "), "client_credentials") {
		t.Fatalf("grant types %v", doc.GrantTypes)
	}

	if env := p.Env("DEX"); env["MINIO_IDENTITY_OPENID_CONFIG_URL_DEX"] != p.ConfigURL() || env["MINIO_IDENTITY_OPENID_CLIENT_ID_DEX"] != "minio" {
		t.Fatalf("Env %v", env)
	}

	tok := p.Token(t, map[string]any{"policy": "readwrite", "sub": "cannot-override"})
	c := claimsOf(t, tok)
	if c["iss"] != p.Issuer() || c["sub"] != "minio" || c["client_id"] != "minio" || c["policy"] != "readwrite" {
		t.Fatalf("claims %v", c)
	}
	if aud, _ := c["aud"].([]any); len(aud) != 1 || aud[0] != "minio" {
		t.Fatalf("aud %v", c["aud"])
	}
	if exp, _ := c["exp"].(float64); time.Until(time.Unix(int64(exp), 0)) < 50*time.Minute {
		t.Fatalf("exp %v", c["exp"])
	}
	// The one-time claims scope is used up.
	if c := claimsOf(t, p.Token(t, nil)); c["policy"] != nil {
		t.Fatalf("claims of an earlier request leaked: %v", c)
	}

	if _, err := p.RequestToken(context.Background(), "minio", "wrong", nil); err == nil {
		t.Fatal("wrong secret accepted")
	}
	p.AddClient("other", "pw")
	if c := claimsOf(t, mustToken(t, p, "other", "pw")); c["sub"] != "other" {
		t.Fatalf("claims %v", c)
	}

	kid := p.SigningKeyID()
	newKid := p.RotateKeys(t)
	if newKid == kid || p.SigningKeyID() != newKid {
		t.Fatal("RotateKeys did not switch the signing key")
	}
	if got := keyIDs(t, p); len(got) != 2 {
		t.Fatalf("published %v, want old and new", got)
	}
	p.DropOldKeys()
	if got := keyIDs(t, p); len(got) != 1 || got[0] != newKid {
		t.Fatalf("published %v, want %s only", got, newKid)
	}
	if p.JWKSFetches() != 2 {
		t.Fatalf("JWKSFetches %d, want 2", p.JWKSFetches())
	}

	p.SetDown(true)
	if _, err := p.RequestToken(context.Background(), "minio", "s3cret", nil); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("down provider: %v", err)
	}
}

func TestProvider_Mint(t *testing.T) {
	p := oidctest.NewProvider(t, oidctest.Options{TokenLifetime: 10 * time.Minute})
	tok := p.Mint(t, map[string]any{
		"sub": "system:serviceaccount:apps:uploader",
		"aud": []string{"sts.amazonaws.com"},
		"iat": nil,
	})
	c := claimsOf(t, tok)
	if c["iss"] != p.Issuer() || c["sub"] != "system:serviceaccount:apps:uploader" || c["iat"] != nil {
		t.Fatalf("claims %v", c)
	}
	if aud, _ := c["aud"].([]any); len(aud) != 1 || aud[0] != "sts.amazonaws.com" {
		t.Fatalf("aud %v", c["aud"])
	}
	if d := time.Until(time.Unix(int64(c["exp"].(float64)), 0)); d < 9*time.Minute || d > 10*time.Minute {
		t.Fatalf("exp in %v", d)
	}
	if c := claimsOf(t, p.Mint(t, map[string]any{"iss": "https://elsewhere"})); c["iss"] != "https://elsewhere" {
		t.Fatalf("iss not replaced: %v", c)
	}

	// The header names the current signing key, which the JWKS publishes
	// and which verifies the signature.
	kid := p.RotateKeys(t)
	jws, err := jose.ParseSignedCompact(p.Mint(t, nil), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if got := jws.Signatures[0].Header.KeyID; got != kid {
		t.Fatalf("kid %q, want the signing key %q", got, kid)
	}
	resp, err := http.Get(p.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("JWKS has %d keys %s", len(keys), kid)
	}
	if _, err := jws.Verify(keys[0].Key); err != nil {
		t.Fatalf("signature: %v", err)
	}
}

func mustToken(t *testing.T, p *oidctest.Provider, id, secret string) string {
	t.Helper()
	tok, err := p.RequestToken(context.Background(), id, secret, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func keyIDs(t *testing.T, p *oidctest.Provider) []string {
	t.Helper()
	resp, err := http.Get(p.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range set.Keys {
		ids = append(ids, k.Kid)
	}
	return ids
}
