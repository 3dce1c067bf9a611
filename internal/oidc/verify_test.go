package oidc_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-s3/sesame/internal/oidc"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestSet_Verify_rejects(t *testing.T) {
	idp := newIdP(t, "rsa1", "ec1", "ed1")
	clk := newClock()
	s := openSet(t, clk, claimConfig(idp))
	rsaPub, err := x509.MarshalPKIXPublicKey(key("rsa1").key.Public())
	if err != nil {
		t.Fatal(err)
	}

	type tokenFunc func(now time.Time) string
	signed := func(k string, extra map[string]any) tokenFunc {
		return func(now time.Time) string { return sign(t, key(k), idp.claims(now, extra)) }
	}
	cases := []struct {
		name     string
		token    tokenFunc
		sentinel error
		check    string
		refetch  int32 // JWKS fetches the token may cause
	}{
		{"signed by another key", signed("other", nil), oidc.ErrInvalidToken, oidc.CheckKeyID, 1},
		{"kid of one key, signature of another", func(now time.Time) string {
			return signWith(t, jose.RS256, key("other").key, "rsa1", idp.claims(now, nil))
		}, oidc.ErrInvalidToken, oidc.CheckSignature, 0},
		{"no kid, unknown key", func(now time.Time) string {
			return signWith(t, jose.RS256, key("other").key, "", idp.claims(now, nil))
		}, oidc.ErrInvalidToken, oidc.CheckSignature, 1},
		{"alg none", func(now time.Time) string {
			return b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(`{"iss":"`+idp.issuer+`","sub":"x"}`) + "."
		}, oidc.ErrInvalidToken, oidc.CheckAlg, 0},
		{"alg NoNe", func(now time.Time) string {
			return b64(`{"alg":"NoNe"}`) + "." + b64(`{}`) + ".c2ln"
		}, oidc.ErrInvalidToken, oidc.CheckAlg, 0},
		{"alg unknown", func(now time.Time) string {
			return b64(`{"alg":"RS1"}`) + "." + b64(`{}`) + ".c2ln"
		}, oidc.ErrInvalidToken, oidc.CheckAlg, 0},
		{"HS256 keyed by the RSA public key", func(now time.Time) string {
			return signWith(t, jose.HS256, rsaPub, "rsa1", idp.claims(now, nil))
		}, oidc.ErrInvalidToken, oidc.CheckAlg, 0},
		{"expired", signed("rsa1", map[string]any{"exp": clk.Now().Add(-2 * time.Minute).Unix()}), oidc.ErrExpiredToken, oidc.CheckExpiry, 0},
		{"no exp", signed("rsa1", map[string]any{"exp": nil}), oidc.ErrInvalidToken, oidc.CheckExpiry, 0},
		{"exp not a number", signed("rsa1", map[string]any{"exp": "tomorrow"}), oidc.ErrInvalidToken, oidc.CheckExpiry, 0},
		{"not yet valid", signed("rsa1", map[string]any{"nbf": clk.Now().Add(5 * time.Minute).Unix()}), oidc.ErrInvalidToken, oidc.CheckNotBefore, 0},
		{"iat in the future", signed("rsa1", map[string]any{"iat": clk.Now().Add(5 * time.Minute).Unix()}), oidc.ErrInvalidToken, oidc.CheckIssuedAt, 0},
		{"wrong iss", signed("rsa1", map[string]any{"iss": "https://evil.example"}), oidc.ErrInvalidToken, oidc.CheckIssuer, 0},
		{"iss not a string", signed("rsa1", map[string]any{"iss": 7}), oidc.ErrInvalidToken, oidc.CheckIssuer, 0},
		{"wrong aud", signed("rsa1", map[string]any{"aud": []string{"someone-else"}}), oidc.ErrInvalidToken, oidc.CheckAudience, 0},
		{"wrong aud and azp", signed("rsa1", map[string]any{"aud": "a", "azp": "b"}), oidc.ErrInvalidToken, oidc.CheckAudience, 0},
		{"no aud", signed("rsa1", map[string]any{"aud": nil}), oidc.ErrInvalidToken, oidc.CheckAudience, 0},
		{"no sub", signed("rsa1", map[string]any{"sub": nil}), oidc.ErrInvalidToken, oidc.CheckSubject, 0},
		{"empty sub", signed("rsa1", map[string]any{"sub": ""}), oidc.ErrInvalidToken, oidc.CheckSubject, 0},
		{"3 characters", func(time.Time) string { return "a.b" }, oidc.ErrInvalidToken, oidc.CheckLength, 0},
		{"20001 characters", func(time.Time) string { return strings.Repeat("a", 20001) }, oidc.ErrInvalidToken, oidc.CheckLength, 0},
		{"20001 characters of a real token", signed("rsa1", map[string]any{"pad": strings.Repeat("x", 15000)}), oidc.ErrInvalidToken, oidc.CheckLength, 0},
		{"2 parts", func(time.Time) string { return b64(`{"alg":"RS256"}`) + "." + b64(`{}`) }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"4 parts", func(time.Time) string { return "a.b.c.d" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"JWE", func(time.Time) string { return "a.b.c.d.e" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"bad base64 header", func(time.Time) string { return "!!!!.e30.c2ln" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"padded base64 header", func(time.Time) string { return b64(`{"alg":"RS256"}`) + "=.e30.c2ln" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"bad base64 claims", func(time.Time) string { return b64(`{"alg":"RS256"}`) + ".e30*.c2ln" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"bad base64 signature", func(time.Time) string { return b64(`{"alg":"RS256"}`) + ".e30.c2l+" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"line break in a part", func(now time.Time) string {
			tok := sign(t, key("rsa1"), idp.claims(now, nil))
			return tok[:10] + "\n" + tok[10:]
		}, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"crit header", func(time.Time) string { return b64(`{"alg":"RS256","crit":["b64"],"b64":false}`) + ".e30.c2ln" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"header not JSON", func(time.Time) string { return b64(`alg`) + ".e30.c2ln" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"claims not an object", func(time.Time) string { return b64(`{"alg":"RS256"}`) + "." + b64(`[1]`) + ".c2ln" }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"empty signature", func(time.Time) string { return b64(`{"alg":"RS256"}`) + ".e30." }, oidc.ErrInvalidToken, oidc.CheckFormat, 0},
		{"tampered claims", func(now time.Time) string {
			parts := strings.Split(sign(t, key("rsa1"), idp.claims(now, nil)), ".")
			parts[1] = b64(`{"iss":"` + idp.issuer + `","aud":"` + testClientID + `","sub":"admin","exp":` +
				formatInt(now.Add(time.Hour).Unix()) + `,"policy":"consoleAdmin"}`)
			return strings.Join(parts, ".")
		}, oidc.ErrInvalidToken, oidc.CheckSignature, 0},
		{"RS256 signed by another key under its kid", func(now time.Time) string {
			return signWith(t, jose.RS256, key("rsa2").key, "rsa1", idp.claims(now, nil))
		}, oidc.ErrInvalidToken, oidc.CheckSignature, 0},
		{"RS256 signature truncated", func(now time.Time) string {
			parts := strings.Split(sign(t, key("rsa1"), idp.claims(now, nil)), ".")
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			parts[2] = base64.RawURLEncoding.EncodeToString(sig[:len(sig)-1])
			return strings.Join(parts, ".")
		}, oidc.ErrInvalidToken, oidc.CheckSignature, 0},
		{"no policy claim", signed("rsa1", map[string]any{"policy": nil}), oidc.ErrRejectedClaim, oidc.CheckClaim, 0},
		{"PS256 with a key whose JWK says RS256", func(now time.Time) string {
			return signWith(t, jose.PS256, key("rsa1").key, "rsa1", idp.claims(now, nil))
		}, oidc.ErrInvalidToken, oidc.CheckKeyID, 0},
		{"ES256 header on an RSA key", func(now time.Time) string {
			return signWith(t, jose.ES256, key("ec1").key, "rsa1", idp.claims(now, nil))
		}, oidc.ErrInvalidToken, oidc.CheckKeyID, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk.Advance(10 * time.Second) // past RefreshMin: a kid miss may refetch
			token := tc.token(clk.Now())
			before := idp.jwksHits.Load()
			id, err := s.Verify(context.Background(), token, "")
			if err == nil {
				// A token that names no policy is valid; whether that
				// refuses it is the IAM service's decision.
				err = id.PolicyErr
			}
			if err == nil {
				t.Fatalf("accepted: %+v", id)
			}
			wantErr(t, err, tc.sentinel, tc.check)
			if got := idp.jwksHits.Load() - before; got != tc.refetch {
				t.Errorf("JWKS fetched %d times, want %d", got, tc.refetch)
			}
			if len(token) > 40 && strings.Contains(err.Error(), token[len(token)-40:]) {
				t.Errorf("error echoes the token: %v", err)
			}
		})
	}
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func TestSet_Verify_accepts(t *testing.T) {
	idp := newIdP(t, "rsa1", "ec1", "ed1")
	rsa2 := key("rsa2").public()
	rsa2.Algorithm = ""
	idp.publishKeys(append(idp.keys(), rsa2)...)
	clk := newClock()
	secret := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" // 64 bytes
	withSecret := claimConfig(idp)
	withSecret.ClientSecret = secret
	noSecret := openSet(t, clk, claimConfig(idp))
	secretSet := openSet(t, clk, withSecret)

	hs := func(alg jose.SignatureAlgorithm) func(now time.Time) string {
		return func(now time.Time) string { return signWith(t, alg, []byte(secret), "", idp.claims(now, nil)) }
	}
	cases := []struct {
		name  string
		set   *oidc.Set
		token func(now time.Time) string
	}{
		{"RS256", noSecret, func(now time.Time) string { return sign(t, key("rsa1"), idp.claims(now, nil)) }},
		{"PS384 with a key that names no alg", noSecret, func(now time.Time) string {
			return signWith(t, jose.PS384, key("rsa2").key, "rsa2", idp.claims(now, nil))
		}},
		{"RS512 without kid", noSecret, func(now time.Time) string {
			return signWith(t, jose.RS512, key("rsa2").key, "", idp.claims(now, nil))
		}},
		{"RS384", noSecret, func(now time.Time) string {
			return signWith(t, jose.RS384, key("rsa2").key, "rsa2", idp.claims(now, nil))
		}},
		{"ES256", noSecret, func(now time.Time) string { return sign(t, key("ec1"), idp.claims(now, nil)) }},
		{"EdDSA", noSecret, func(now time.Time) string { return sign(t, key("ed1"), idp.claims(now, nil)) }},
		{"azp is the client id", noSecret, func(now time.Time) string {
			return sign(t, key("rsa1"), idp.claims(now, map[string]any{"aud": "account", "azp": testClientID}))
		}},
		{"aud array", noSecret, func(now time.Time) string {
			return sign(t, key("rsa1"), idp.claims(now, map[string]any{"aud": []string{"x", testClientID}}))
		}},
		{"expired within leeway", noSecret, func(now time.Time) string {
			return sign(t, key("rsa1"), idp.claims(now, map[string]any{"exp": now.Add(-30 * time.Second).Unix()}))
		}},
		{"nbf and iat within leeway", noSecret, func(now time.Time) string {
			return sign(t, key("rsa1"), idp.claims(now, map[string]any{"nbf": now.Add(30 * time.Second).Unix(), "iat": now.Add(30 * time.Second).Unix()}))
		}},
		{"HS256 with the client secret", secretSet, hs(jose.HS256)},
		{"HS512 with the client secret", secretSet, hs(jose.HS512)},
		{"RS256 at a provider with a secret", secretSet, func(now time.Time) string { return sign(t, key("rsa1"), idp.claims(now, nil)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := tc.set.Verify(context.Background(), tc.token(clk.Now()), "")
			if err != nil {
				t.Fatal(err)
			}
			if id.Subject != "svc-1" || id.Issuer != idp.issuer || !slices.Equal(id.Policies, []string{"readwrite"}) {
				t.Fatalf("identity %+v", id)
			}
		})
	}

	t.Run("HS256 rejected without a client secret", func(t *testing.T) {
		_, err := noSecret.Verify(context.Background(), hs(jose.HS256)(clk.Now()), "")
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckAlg)
	})
	t.Run("HS256 with another secret", func(t *testing.T) {
		tok := signWith(t, jose.HS256, []byte(strings.Repeat("x", 32)), "", idp.claims(clk.Now(), nil))
		_, err := secretSet.Verify(context.Background(), tok, "")
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckSignature)
	})
	t.Run("HS256 with a short client secret", func(t *testing.T) {
		short := claimConfig(idp)
		short.ClientSecret = "short"
		set := openSet(t, clk, short)
		tok := signWith(t, jose.HS256, []byte(strings.Repeat("k", 32)), "", idp.claims(clk.Now(), nil))
		_, err := set.Verify(context.Background(), tok, "")
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckSignature)
		if !strings.Contains(err.Error(), "shorter than 32 bytes") {
			t.Fatalf("error %v does not explain the short secret", err)
		}
	})
}

func TestSet_Verify_identity(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s := openSet(t, clk, claimConfig(idp))
	now := clk.Now()
	tok := sign(t, key("rsa1"), idp.claims(now, map[string]any{
		"aud":                []string{testClientID, "other"},
		"azp":                testClientID,
		"preferred_username": "alice",
		"groups":             []any{"admins", "devs", 3, true, map[string]any{"x": 1}},
		"email_verified":     true,
		"nested":             map[string]any{"a": "b"},
		"policy":             []string{"readonly", "diagnostics,readonly"},
		"ratio":              1.5,
		"nothing":            nil,
	}))
	id, err := s.Verify(context.Background(), tok, "arn:aws:iam::123456789012:role/whatever")
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != "" || id.RoleARN != "" {
		t.Errorf("provider %q role %q", id.Provider, id.RoleARN)
	}
	if !id.Expiry.Equal(now.Add(time.Hour)) {
		t.Errorf("expiry %v, want %v", id.Expiry, now.Add(time.Hour))
	}
	if !slices.Equal(id.Audience, []string{testClientID, "other"}) {
		t.Errorf("audience %v", id.Audience)
	}
	if !slices.Equal(id.Policies, []string{"readonly", "diagnostics"}) {
		t.Errorf("policies %v", id.Policies)
	}
	want := map[string][]string{
		"iss":                {idp.issuer},
		"sub":                {"svc-1"},
		"aud":                {testClientID, "other"},
		"azp":                {testClientID},
		"preferred_username": {"alice"},
		"groups":             {"admins", "devs", "3", "true"},
		"email_verified":     {"true"},
		"exp":                {formatInt(now.Add(time.Hour).Unix())},
		"iat":                {formatInt(now.Unix())},
		"policy":             {"readonly", "diagnostics,readonly"},
		"ratio":              {"1.5"},
	}
	for k, v := range want {
		if !slices.Equal(id.Claims[k], v) {
			t.Errorf("claim %s = %q, want %q", k, id.Claims[k], v)
		}
	}
	for _, k := range []string{"nested", "nothing"} {
		if _, ok := id.Claims[k]; ok {
			t.Errorf("claim %s should be left out: %q", k, id.Claims[k])
		}
	}
}

func TestSet_Verify_noProvider(t *testing.T) {
	for name, s := range map[string]*oidc.Set{"nil": nil, "empty": openSet(t, newClock())} {
		t.Run(name, func(t *testing.T) {
			if !s.Empty() {
				t.Fatal("not empty")
			}
			_, err := s.Verify(context.Background(), "a.b.c", "")
			wantErr(t, err, oidc.ErrNoProvider, oidc.CheckProvider)
		})
	}
}

func TestSet_Verify_policyClaim(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	prefixed := claimConfig(idp)
	prefixed.ClaimPrefix = "https://min.io/"
	named := claimConfig(idp)
	named.ClaimName = "groups"
	cases := []struct {
		name   string
		cfg    oidc.ProviderConfig
		claims map[string]any
		want   []string
		check  string // "" when accepted
	}{
		{"string", claimConfig(idp), map[string]any{"policy": "readwrite"}, []string{"readwrite"}, ""},
		{"comma list", claimConfig(idp), map[string]any{"policy": "readonly, writeonly,,diagnostics"}, []string{"readonly", "writeonly", "diagnostics"}, ""},
		{"array", claimConfig(idp), map[string]any{"policy": []string{"readonly", "writeonly"}}, []string{"readonly", "writeonly"}, ""},
		{"missing", claimConfig(idp), map[string]any{"policy": nil}, nil, oidc.CheckClaim},
		{"empty string", claimConfig(idp), map[string]any{"policy": " , "}, nil, oidc.CheckClaim},
		{"empty array", claimConfig(idp), map[string]any{"policy": []string{}}, nil, oidc.CheckClaim},
		{"number", claimConfig(idp), map[string]any{"policy": 3}, nil, oidc.CheckClaim},
		{"array of numbers", claimConfig(idp), map[string]any{"policy": []int{3}}, nil, oidc.CheckClaim},
		{"prefix names the claim", prefixed, map[string]any{"policy": nil, "https://min.io/policy": "readwrite"}, []string{"readwrite"}, ""},
		{"prefix: bare claim ignored", prefixed, map[string]any{"policy": "readwrite"}, nil, oidc.CheckClaim},
		{"claim name", named, map[string]any{"policy": nil, "groups": []string{"g1", "g2"}}, []string{"g1", "g2"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openSet(t, clk, tc.cfg)
			id, err := s.Verify(context.Background(), sign(t, key("rsa1"), idp.claims(clk.Now(), tc.claims)), "")
			if err == nil && id.PolicyErr != nil {
				err = id.PolicyErr
			}
			if tc.check != "" {
				wantErr(t, err, oidc.ErrRejectedClaim, tc.check)
				name := tc.cfg.ClaimName
				if name == "" {
					name = oidc.DefaultClaimName
				}
				claim := tc.cfg.ClaimPrefix + name
				if !strings.Contains(err.Error(), `"`+claim+`"`) {
					t.Fatalf("error %v does not name the claim %q", err, claim)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(id.Policies, tc.want) {
				t.Fatalf("policies %q, want %q", id.Policies, tc.want)
			}
		})
	}
}

func TestSet_Verify_userinfo(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	cfg := claimConfig(idp)
	cfg.ClaimUserinfo = true
	s := openSet(t, clk, cfg)
	tok := sign(t, key("rsa1"), idp.claims(clk.Now(), map[string]any{"policy": nil, "email": "token@example.com"}))

	idp.setUserinfo(map[string]any{"sub": "svc-1", "policy": "readonly", "email": "userinfo@example.com", "groups": []string{"g"}})
	id, err := s.Verify(context.Background(), tok, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(id.Policies, []string{"readonly"}) {
		t.Errorf("policies %v: want the userinfo claim", id.Policies)
	}
	if got := id.Claims["email"]; !slices.Equal(got, []string{"token@example.com"}) {
		t.Errorf("email %v: the token's signed claim must win", got)
	}
	if got := id.Claims["groups"]; !slices.Equal(got, []string{"g"}) {
		t.Errorf("groups %v", got)
	}
	if got, _ := idp.userinfoAuth.Load().(string); got != "Bearer "+tok {
		t.Errorf("userinfo called with Authorization %q", got)
	}

	idp.setUserinfo(map[string]any{"sub": "someone-else", "policy": "consoleAdmin"})
	_, err = s.Verify(context.Background(), tok, "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckUserinfo)

	idp.setUserinfo(nil) // 401
	_, err = s.Verify(context.Background(), tok, "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckUserinfo)

	idp.setUserinfo(map[string]any{"sub": "svc-1"}) // no policy anywhere
	err = policyErr(s.Verify(context.Background(), tok, ""))
	wantErr(t, err, oidc.ErrRejectedClaim, oidc.CheckClaim)

	idp.down.Store(true)
	_, err = s.Verify(context.Background(), tok, "")
	wantErr(t, err, oidc.ErrCommunication, oidc.CheckUserinfo)
	if errors.Is(err, oidc.ErrInvalidToken) {
		t.Fatal("communication failure also wraps ErrInvalidToken")
	}
}

// TestSet_Verify_subjectFallback: a client-credentials access token
// without sub, shaped like MinIO's seed sample (WSO2: aud, azp, iss, exp,
// iat, jti), names its client as the subject; VerifyForRole still
// requires sub.
func TestSet_Verify_subjectFallback(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s := openSet(t, clk, claimConfig(idp))
	cases := []struct {
		name, subject, claim string
		extra                map[string]any
	}{
		{"sub", "svc-1", "sub", nil},
		{"azp", testClientID, "azp", map[string]any{"sub": nil, "azp": testClientID, "jti": "6cf20b0e"}},
		{"client_id", "svc-2", "client_id", map[string]any{"sub": nil, "client_id": "svc-2"}},
		{"empty sub, azp", testClientID, "azp", map[string]any{"sub": "", "azp": testClientID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.Verify(context.Background(), sign(t, key("rsa1"), idp.claims(clk.Now(), tc.extra)), "")
			if err != nil {
				t.Fatal(err)
			}
			if id.Subject != tc.subject || id.SubjectClaim != tc.claim {
				t.Errorf("Subject %q from %q, want %q from %q", id.Subject, id.SubjectClaim, tc.subject, tc.claim)
			}
			if slices.Contains(id.Claims["sub"], tc.subject) != (tc.claim == "sub") {
				t.Errorf("Claims[sub] = %v: a fallback subject must not appear as a sub claim", id.Claims["sub"])
			}
		})
	}
	t.Run("sub not a string", func(t *testing.T) {
		_, err := s.Verify(context.Background(), sign(t, key("rsa1"), idp.claims(clk.Now(), map[string]any{"sub": 7, "azp": testClientID})), "")
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckSubject)
	})
}
