package oidc_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-s3/sesame/internal/oidc"
)

// logBuffer collects a Set's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count returns how many lines contain all of parts.
func (b *logBuffer) count(parts ...string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, line := range strings.Split(b.buf.String(), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// openLogged opens a Set like openSet, logging into the returned buffer.
func openLogged(t testing.TB, clk *clock, cfgs ...oidc.ProviderConfig) (*oidc.Set, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	s, err := oidc.Open(context.Background(), cfgs, oidc.Options{
		Now:        clk.Now,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RefreshMin: 5 * time.Second,
		RetryMin:   10 * time.Millisecond,
		RetryMax:   50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, logs
}

const saAudience = "sts.amazonaws.com"

// saClaims are the claims of a Kubernetes service account token of idp.
func saClaims(idp *testIdP, now time.Time, extra map[string]any) map[string]any {
	c := idp.claims(now, map[string]any{"sub": "system:serviceaccount:apps:uploader", "aud": saAudience, "policy": nil})
	maps.Copy(c, extra)
	for k, v := range c {
		if v == nil {
			delete(c, k)
		}
	}
	return c
}

func iamProvider(idp *testIdP, clientIDs ...string) oidc.IAMProvider {
	return oidc.IAMProvider{URL: idp.issuer, ClientIDs: clientIDs}
}

// wantARN is the provider ARN of idp's issuer.
func wantARN(idp *testIdP) string {
	return "arn:aws:iam::000000000000:oidc-provider/" + strings.TrimPrefix(idp.issuer, "http://")
}

func TestSet_SetIAMProviders(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s, logs := openLogged(t, clk)
	ctx := context.Background()
	tok := sign(t, key("rsa1"), saClaims(idp, clk.Now(), nil))

	if !s.Empty() {
		t.Fatal("a Set without providers is not empty")
	}
	_, err := s.VerifyForRole(ctx, tok)
	wantErr(t, err, oidc.ErrNoProvider, oidc.CheckProvider)

	t.Run("added", func(t *testing.T) {
		s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience)})
		if s.Empty() {
			t.Fatal("empty with an IAM provider")
		}
		// No waiting: VerifyForRole waits for the first fetch.
		id, err := s.VerifyForRole(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		prefix := strings.TrimPrefix(idp.issuer, "http://")
		if id.Provider != wantARN(idp) || id.ProviderARN != wantARN(idp) || id.ConditionPrefix != prefix ||
			id.Issuer != idp.issuer || id.Subject != "system:serviceaccount:apps:uploader" ||
			!slices.Equal(id.Audience, []string{saAudience}) || id.RoleARN != "" {
			t.Fatalf("identity %+v", id)
		}
		if id.Policies != nil || id.PolicyErr != nil {
			t.Fatalf("the role path read policies: %v, %v", id.Policies, id.PolicyErr)
		}
		if n := logs.count("http://", "without TLS"); n != 1 {
			t.Fatalf("%d http:// warnings, want 1", n)
		}
	})
	t.Run("unchanged keeps its keys", func(t *testing.T) {
		disc, jwks := idp.discoveryHits.Load(), idp.jwksHits.Load()
		s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience)})
		s.SetIAMProviders([]oidc.IAMProvider{{URL: idp.issuer + "/", ClientIDs: []string{saAudience}}})
		if _, err := s.VerifyForRole(ctx, tok); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		if idp.discoveryHits.Load() != disc || idp.jwksHits.Load() != jwks {
			t.Fatal("an unchanged provider fetched again")
		}
		if n := logs.count("http://", "without TLS"); n != 1 {
			t.Fatalf("%d http:// warnings, want 1 per provider", n)
		}
	})
	t.Run("client ids replaced, keys kept", func(t *testing.T) {
		jwks := idp.jwksHits.Load()
		s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, "other-audience")})
		_, err := s.VerifyForRole(ctx, tok)
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)
		s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, "other-audience", saAudience)})
		if _, err := s.VerifyForRole(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if idp.jwksHits.Load() != jwks {
			t.Fatal("changing the client ids refetched the keys")
		}
	})
	t.Run("removed", func(t *testing.T) {
		s.SetIAMProviders(nil)
		_, err := s.VerifyForRole(ctx, tok)
		wantErr(t, err, oidc.ErrNoProvider, oidc.CheckProvider)
		if !s.Empty() {
			t.Fatal("not empty after removing the IAM providers")
		}
	})
	t.Run("added again fetches anew", func(t *testing.T) {
		jwks := idp.jwksHits.Load()
		s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience)})
		if _, err := s.VerifyForRole(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if idp.jwksHits.Load() == jwks {
			t.Fatal("a provider added again did not fetch its keys")
		}
	})
}

// TestSet_SetIAMProviders_removedStops checks that a removed provider's
// background retries stop, while another provider's go on.
func TestSet_SetIAMProviders_removedStops(t *testing.T) {
	gone, kept := newIdP(t, "rsa1"), newIdP(t, "rsa2")
	gone.discoveryDown.Store(true)
	kept.discoveryDown.Store(true)
	clk := newClock()
	s, _ := openLogged(t, clk)
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(gone, "a"), iamProvider(kept, "a")})
	eventually(t, "retries", func() bool { return gone.discoveryHits.Load() >= 3 && kept.discoveryHits.Load() >= 3 })

	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(kept, "a")})
	time.Sleep(20 * time.Millisecond) // a fetch under way may end
	hits, keptHits := gone.discoveryHits.Load(), kept.discoveryHits.Load()
	time.Sleep(100 * time.Millisecond)
	if gone.discoveryHits.Load() != hits {
		t.Fatal("a removed provider goes on fetching")
	}
	if kept.discoveryHits.Load() == keptHits {
		t.Fatal("the remaining provider stopped retrying")
	}
	// A token of the removed provider starts no fetch either.
	clk.Advance(time.Minute)
	_, err := s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(gone, clk.Now(), map[string]any{"aud": "a"})))
	wantErr(t, err, oidc.ErrNoProvider, oidc.CheckProvider)
	if gone.discoveryHits.Load() != hits {
		t.Fatal("a token of a removed provider caused a fetch")
	}
}

func TestSet_SetIAMProviders_issuerMismatch(t *testing.T) {
	idp := newIdP(t, "rsa1")
	wrong := idp.issuer + "/realms/other"
	idp.mu.Lock()
	idp.issuer = wrong
	idp.mu.Unlock()
	clk := newClock()
	s, logs := openLogged(t, clk)
	url := strings.TrimSuffix(wrong, "/realms/other")
	s.SetIAMProviders([]oidc.IAMProvider{{URL: url, ClientIDs: []string{saAudience}}})

	// The token names the provider's URL: the provider is selected and has
	// no keys, since its discovery document names another issuer.
	claims := saClaims(idp, clk.Now(), map[string]any{"iss": url})
	_, err := s.VerifyForRole(context.Background(), sign(t, key("rsa1"), claims))
	wantErr(t, err, oidc.ErrCommunication, oidc.CheckKeys)
	if !strings.Contains(err.Error(), "names the issuer") {
		t.Fatalf("error %q does not explain the mismatch", err)
	}
	eventually(t, "the mismatch logged", func() bool { return logs.count("names the issuer", "realms/other") > 0 })
	if idp.jwksHits.Load() != 0 {
		t.Fatal("keys fetched for a provider whose issuer does not match")
	}
	// The discovered issuer's tokens do not select it either.
	_, err = s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(idp, clk.Now(), nil)))
	wantErr(t, err, oidc.ErrNoProvider, oidc.CheckProvider)
}

func TestSet_SetIAMProviders_trailingSlashIssuer(t *testing.T) {
	idp := newIdP(t, "rsa1")
	base := idp.issuer
	idp.mu.Lock()
	idp.issuer = base + "/" // as Auth0 names its issuers
	idp.mu.Unlock()
	clk := newClock()
	s, _ := openLogged(t, clk)
	s.SetIAMProviders([]oidc.IAMProvider{{URL: base + "/", ClientIDs: []string{saAudience}}})
	id, err := s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(idp, clk.Now(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != base+"/" || id.ProviderARN != "arn:aws:iam::000000000000:oidc-provider/"+strings.TrimPrefix(base, "http://") {
		t.Fatalf("identity %+v", id)
	}
	// iss is still checked exactly against the discovered issuer.
	_, err = s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(idp, clk.Now(), map[string]any{"iss": base})))
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckIssuer)
}

func TestSet_SetIAMProviders_invalidEntries(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s, logs := openLogged(t, clk)
	s.SetIAMProviders([]oidc.IAMProvider{
		{URL: "ftp://idp.example.com", ClientIDs: []string{"a"}},
		{URL: "https://", ClientIDs: []string{"a"}},
		{URL: "https://user@idp.example.com", ClientIDs: []string{"a"}},
		{URL: idp.issuer + "?x=1", ClientIDs: []string{saAudience}},
		{URL: idp.issuer + "#f", ClientIDs: []string{saAudience}},
		iamProvider(idp, saAudience),
		iamProvider(idp, "second-entry"),
	})
	if n := logs.count("ignoring"); n != 6 {
		t.Fatalf("%d entries ignored, want 6", n)
	}
	if _, err := s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(idp, clk.Now(), nil))); err != nil {
		t.Fatal(err)
	}
	_, err := s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(idp, clk.Now(), map[string]any{"aud": "second-entry"})))
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)
}

func TestSet_VerifyForRole_audience(t *testing.T) {
	idp := newIdP(t, "rsa1")
	empty := newIdP(t, "rsa2")
	clk := newClock()
	s, _ := openLogged(t, clk)
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, "a", "b"), iamProvider(empty)})
	ctx := context.Background()
	cases := []struct {
		name  string
		extra map[string]any
		ok    bool
	}{
		{"aud is a client id", map[string]any{"aud": "b"}, true},
		{"aud contains a client id", map[string]any{"aud": []string{"x", "a"}}, true},
		{"azp is a client id", map[string]any{"aud": "x", "azp": "a"}, true},
		{"azp without aud", map[string]any{"aud": nil, "azp": "b"}, true},
		{"neither", map[string]any{"aud": "x", "azp": "y"}, false},
		{"no aud", map[string]any{"aud": nil}, false},
		{"case differs", map[string]any{"aud": "A"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.VerifyForRole(ctx, sign(t, key("rsa1"), saClaims(idp, clk.Now(), tc.extra)))
			if !tc.ok {
				wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			azp, _ := tc.extra["azp"].(string)
			if id.AuthorizedParty != azp {
				t.Fatalf("AuthorizedParty %q, want %q", id.AuthorizedParty, azp)
			}
		})
	}
	t.Run("no client ids accepts nothing", func(t *testing.T) {
		for _, aud := range []any{saAudience, "", nil} {
			_, err := s.VerifyForRole(ctx, sign(t, key("rsa2"), saClaims(empty, clk.Now(), map[string]any{"aud": aud})))
			wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)
			if !strings.Contains(err.Error(), "no client id") {
				t.Fatalf("error %q", err)
			}
		}
	})
}

func TestSet_VerifyForRole_checks(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s, _ := openLogged(t, clk)
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience)})
	ctx := context.Background()
	now := clk.Now()
	cases := []struct {
		name     string
		token    string
		sentinel error
		check    string
	}{
		{"expired", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"exp": now.Add(-2 * time.Minute).Unix()})), oidc.ErrExpiredToken, oidc.CheckExpiry},
		{"no exp", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"exp": nil})), oidc.ErrInvalidToken, oidc.CheckExpiry},
		{"nbf ahead", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"nbf": now.Add(5 * time.Minute).Unix()})), oidc.ErrInvalidToken, oidc.CheckNotBefore},
		{"iat ahead", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"iat": now.Add(5 * time.Minute).Unix()})), oidc.ErrInvalidToken, oidc.CheckIssuedAt},
		{"no sub", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"sub": nil})), oidc.ErrInvalidToken, oidc.CheckSubject},
		{"no iss", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"iss": nil})), oidc.ErrInvalidToken, oidc.CheckIssuer},
		{"iss not a string", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"iss": 7})), oidc.ErrInvalidToken, oidc.CheckIssuer},
		{"unknown iss", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"iss": "https://elsewhere.example"})), oidc.ErrNoProvider, oidc.CheckProvider},
		{"amr an object", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"amr": map[string]any{"x": 1}})), oidc.ErrInvalidToken, oidc.CheckAMR},
		{"amr a mixed array", sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"amr": []any{"pwd", 1}})), oidc.ErrInvalidToken, oidc.CheckAMR},
		{"another key", sign(t, key("other"), saClaims(idp, now, nil)), oidc.ErrInvalidToken, oidc.CheckKeyID},
		{"HS256 without a client secret", signWith(t, jose.HS256, bytes.Repeat([]byte("k"), 32), "", saClaims(idp, now, nil)), oidc.ErrInvalidToken, oidc.CheckAlg},
		{"alg none", "eyJhbGciOiJub25lIn0.e30.", oidc.ErrInvalidToken, oidc.CheckAlg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.VerifyForRole(ctx, tc.token)
			wantErr(t, err, tc.sentinel, tc.check)
		})
	}

	t.Run("amr and condition keys", func(t *testing.T) {
		prefix := strings.TrimPrefix(idp.issuer, "http://")
		id, err := s.VerifyForRole(ctx, sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"amr": "pwd"})))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{prefix + ":sub": {"system:serviceaccount:apps:uploader"}, prefix + ":aud": {saAudience}, prefix + ":amr": {"pwd"}}
		if got := id.ConditionKeys(); !maps.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("ConditionKeys %v, want %v", got, want)
		}
		id, err = s.VerifyForRole(ctx, sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"aud": []string{"x", "y"}, "azp": saAudience, "amr": []string{"mfa", "otp"}})))
		if err != nil {
			t.Fatal(err)
		}
		want = map[string][]string{prefix + ":sub": {"system:serviceaccount:apps:uploader"}, prefix + ":aud": {saAudience},
			prefix + ":oaud": {"x", "y"}, prefix + ":amr": {"mfa", "otp"}}
		if got := id.ConditionKeys(); !maps.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("ConditionKeys %v, want %v", got, want)
		}
	})
}

// TestSet_VerifyForRole_selection checks the choice among configured and
// IAM API providers by the token's issuer, and that Verify never uses the
// IAM API's.
func TestSet_VerifyForRole_selection(t *testing.T) {
	envIdP := newIdP(t, "rsa1") // configured, claim-based
	roleIdP := newIdP(t, "ec1") // configured, role-policy
	iamIdP := newIdP(t, "ed1")  // IAM API
	clk := newClock()
	roleCfg := oidc.ProviderConfig{Name: "ROLE", ConfigURL: roleIdP.configURL(), ClientID: "role-client", RolePolicy: []string{"readonly"}}
	s, _ := openLogged(t, clk, claimConfig(envIdP), roleCfg)
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(iamIdP, saAudience)})
	ctx := context.Background()
	now := clk.Now()

	envTok := sign(t, key("rsa1"), envIdP.claims(now, nil)) // carries a policy claim
	roleTok := sign(t, key("ec1"), roleIdP.claims(now, map[string]any{"aud": "role-client"}))
	iamTok := sign(t, key("ed1"), saClaims(iamIdP, now, nil))

	cases := []struct {
		name, token, provider string
		idp                   *testIdP
	}{
		{"configured claim-based provider", envTok, "", envIdP},
		{"configured role-policy provider", roleTok, "ROLE", roleIdP},
		{"IAM API provider", iamTok, wantARN(iamIdP), iamIdP},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.VerifyForRole(ctx, tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if id.Provider != tc.provider || id.ProviderARN != wantARN(tc.idp) || id.Issuer != tc.idp.issuer {
				t.Fatalf("identity %+v", id)
			}
			if id.Policies != nil || id.PolicyErr != nil || id.RoleARN != "" {
				t.Fatalf("the role path read policies: %+v", id)
			}
		})
	}
	t.Run("Verify ignores the IAM API's providers", func(t *testing.T) {
		_, err := s.Verify(ctx, iamTok, "")
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckIssuer) // sent to the claim-based provider
		id, err := s.Verify(ctx, envTok, "")
		if err != nil || !slices.Equal(id.Policies, []string{"readwrite"}) || id.ProviderARN != wantARN(envIdP) {
			t.Fatalf("%+v, %v", id, err)
		}
	})
}

// TestSet_VerifyForRole_sharedIssuer checks that among providers with the
// token's issuer, the one that accepts its audience verifies it, the IAM
// API's first.
func TestSet_VerifyForRole_sharedIssuer(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s, _ := openLogged(t, clk, claimConfig(idp))
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience, testClientID)})
	ctx := context.Background()
	now := clk.Now()
	for aud, want := range map[string]string{saAudience: wantARN(idp), testClientID: wantARN(idp)} {
		id, err := s.VerifyForRole(ctx, sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"aud": aud})))
		if err != nil || id.Provider != want {
			t.Fatalf("aud %s: %+v, %v", aud, id, err)
		}
	}
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience)})
	id, err := s.VerifyForRole(ctx, sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"aud": testClientID})))
	if err != nil || id.Provider != "" {
		t.Fatalf("the configured provider's audience: %+v, %v", id, err)
	}
	_, err = s.VerifyForRole(ctx, sign(t, key("rsa1"), saClaims(idp, now, map[string]any{"aud": "nobody"})))
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)
}

func TestSet_VerifyForRole_legacyJWKS(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	jwks := idp.srv.URL + "/jwks"
	ctx := context.Background()
	tok := sign(t, key("rsa1"), idp.claims(clk.Now(), nil))

	t.Run("without an issuer it cannot be selected", func(t *testing.T) {
		s, _ := openLogged(t, clk, oidc.ProviderConfig{JWKSURL: jwks, ClientID: testClientID})
		_, err := s.VerifyForRole(ctx, tok)
		wantErr(t, err, oidc.ErrNoProvider, oidc.CheckProvider)
		if !strings.Contains(err.Error(), "SESAME_IDENTITY_OPENID_ISSUER") {
			t.Fatalf("error %q does not name the variable", err)
		}
		if _, err := s.Verify(ctx, tok, ""); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	})
	t.Run("with an issuer", func(t *testing.T) {
		s, _ := openLogged(t, clk, oidc.ProviderConfig{JWKSURL: jwks, Issuer: idp.issuer, ClientID: testClientID})
		id, err := s.VerifyForRole(ctx, tok)
		if err != nil || id.ProviderARN != wantARN(idp) {
			t.Fatalf("%+v, %v", id, err)
		}
	})
	t.Run("without a client id it accepts no token for a role", func(t *testing.T) {
		s, _ := openLogged(t, clk, oidc.ProviderConfig{JWKSURL: jwks, Issuer: idp.issuer})
		_, err := s.VerifyForRole(ctx, tok)
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAudience)
		if _, err := s.Verify(ctx, tok, ""); err != nil {
			t.Fatalf("Verify, whose audience check is off: %v", err)
		}
	})
}

// TestSet_VerifyForRole_waitsForFirstFetch checks that a token presented
// right after its provider was added waits for the provider's keys.
func TestSet_VerifyForRole_waitsForFirstFetch(t *testing.T) {
	idp := newIdP(t, "rsa1")
	idp.jwksDelay.Store(int64(200 * time.Millisecond))
	clk := newClock()
	s, _ := openLogged(t, clk)
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience)})
	if _, err := s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(idp, clk.Now(), nil))); err != nil {
		t.Fatal(err)
	}
	// ... but no longer than its context allows.
	other := newIdP(t, "rsa2")
	other.jwksDelay.Store(int64(time.Second))
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience), iamProvider(other, saAudience)})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.VerifyForRole(ctx, sign(t, key("rsa2"), saClaims(other, clk.Now(), nil)))
	wantErr(t, err, oidc.ErrCommunication, oidc.CheckKeys)
}

func TestSet_Verify_onlyIAMProviders(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s, _ := openLogged(t, clk)
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, testClientID)})
	_, err := s.Verify(context.Background(), sign(t, key("rsa1"), idp.claims(clk.Now(), nil)), "")
	wantErr(t, err, oidc.ErrNoProvider, oidc.CheckProvider)
	if !strings.Contains(err.Error(), "IAM roles only") {
		t.Fatalf("error %q", err)
	}
}

func TestSet_accountID(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s, err := oidc.Open(context.Background(), nil, oidc.Options{Now: clk.Now, AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience)})
	id, err := s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(idp, clk.Now(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:iam::123456789012:oidc-provider/" + strings.TrimPrefix(idp.issuer, "http://"); id.ProviderARN != want || id.Provider != want {
		t.Fatalf("identity %+v", id)
	}
}

// TestSet_SetIAMProviders_concurrent runs Verify and VerifyForRole while
// the IAM providers change; run it with -race.
func TestSet_SetIAMProviders_concurrent(t *testing.T) {
	envIdP, a, b := newIdP(t, "rsa1"), newIdP(t, "rsa2"), newIdP(t, "ec1")
	clk := newClock()
	s, _ := openLogged(t, clk, claimConfig(envIdP))
	now := clk.Now()
	envTok := sign(t, key("rsa1"), envIdP.claims(now, nil))
	tokA := sign(t, key("rsa2"), saClaims(a, now, nil))
	tokB := sign(t, key("ec1"), saClaims(b, now, nil))
	lists := [][]oidc.IAMProvider{
		{iamProvider(a, saAudience)},
		{iamProvider(a, saAudience), iamProvider(b, saAudience)},
		{iamProvider(b, saAudience, "x")},
		nil,
	}

	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for _, tok := range []string{tokA, tokB} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := s.VerifyForRole(ctx, tok)
				// Present (maybe still fetching) or absent; never another failure.
				if err != nil && !errors.Is(err, oidc.ErrNoProvider) && !errors.Is(err, oidc.ErrCommunication) {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Verify(ctx, envTok, ""); err != nil {
				errc <- err
				return
			}
		}
	}()
	for i := 0; i < 200; i++ {
		s.SetIAMProviders(lists[i%len(lists)])
		if i%50 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	s.SetIAMProviders(lists[1])
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for _, tok := range []string{tokA, tokB} {
		if _, err := s.VerifyForRole(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSet_Close_IAMProviders checks that Close stops the IAM API
// providers' goroutines and that SetIAMProviders does nothing afterwards.
func TestSet_Close_IAMProviders(t *testing.T) {
	idp := newIdP(t, "rsa1")
	idp.discoveryDown.Store(true) // the background loop keeps retrying, counted
	later := newIdP(t, "rsa2")
	clk := newClock()
	s, err := oidc.Open(context.Background(), nil, oidc.Options{Now: clk.Now, RetryMin: time.Millisecond, RetryMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience)})
	eventually(t, "retries", func() bool { return idp.discoveryHits.Load() >= 3 })

	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close does not return: a goroutine still runs")
	}
	// A request cancelled by Close may still reach the handler: let it.
	time.Sleep(20 * time.Millisecond)
	hits := idp.discoveryHits.Load()
	s.SetIAMProviders([]oidc.IAMProvider{iamProvider(idp, saAudience), iamProvider(later, saAudience)})
	time.Sleep(50 * time.Millisecond)
	if idp.discoveryHits.Load() != hits || later.discoveryHits.Load() != 0 {
		t.Fatal("fetches after Close")
	}
	clk.Advance(time.Minute)
	_, err = s.VerifyForRole(context.Background(), sign(t, key("rsa1"), saClaims(idp, clk.Now(), nil)))
	wantErr(t, err, oidc.ErrCommunication, oidc.CheckKeys)
	if idp.discoveryHits.Load() != hits {
		t.Fatal("VerifyForRole fetched after Close")
	}
}
