package oidc_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sesame-s3/sesame/internal/oidc"
)

// Keys are slow to generate; the tests share these (never mutated).
var testKeys = sync.OnceValue(func() map[string]signingKey {
	mustRSA := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]signingKey{
		"rsa1":  {kid: "rsa1", alg: jose.RS256, key: mustRSA()},
		"rsa2":  {kid: "rsa2", alg: jose.RS256, key: mustRSA()},
		"other": {kid: "other", alg: jose.RS256, key: mustRSA()},
		"ec1":   {kid: "ec1", alg: jose.ES256, key: ec},
		"ed1":   {kid: "ed1", alg: jose.EdDSA, key: ed},
	}
})

type signingKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func key(name string) signingKey { return testKeys()[name] }

func (k signingKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.key.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// sign signs claims with k (header kid = k.kid unless kid overrides it).
func sign(t testing.TB, k signingKey, claims map[string]any) string {
	t.Helper()
	return signWith(t, k.alg, k.key, k.kid, claims)
}

func signWith(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts.WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testIdP is an httptest identity provider: discovery, JWKS and userinfo.
type testIdP struct {
	srv    *httptest.Server
	issuer string

	mu           sync.Mutex
	published    []jose.JSONWebKey
	cacheControl string
	jwksBody     []byte // overrides the key set when set
	userinfo     map[string]any

	down          atomic.Bool
	discoveryDown atomic.Bool  // only the discovery document answers 503
	jwksDelay     atomic.Int64 // nanoseconds
	jwksHits      atomic.Int32
	discoveryHits atomic.Int32
	userinfoAuth  atomic.Value // last Authorization header seen
}

func newIdP(t testing.TB, published ...string) *testIdP {
	t.Helper()
	idp := &testIdP{}
	for _, name := range published {
		idp.published = append(idp.published, key(name).public())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		idp.discoveryHits.Add(1)
		if idp.discoveryDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":            idp.issuer,
			"jwks_uri":          idp.srv.URL + "/jwks",
			"userinfo_endpoint": idp.srv.URL + "/userinfo",
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		idp.jwksHits.Add(1)
		if d := time.Duration(idp.jwksDelay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		idp.mu.Lock()
		body, cc := idp.jwksBody, idp.cacheControl
		if body == nil {
			body, _ = json.Marshal(jose.JSONWebKeySet{Keys: idp.published})
		}
		idp.mu.Unlock()
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	mux.HandleFunc("/userinfo", func(w http.ResponseWriter, r *http.Request) {
		idp.userinfoAuth.Store(r.Header.Get("Authorization"))
		idp.mu.Lock()
		info := idp.userinfo
		idp.mu.Unlock()
		if info == nil {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(info)
	})
	idp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if idp.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	idp.issuer = idp.srv.URL
	t.Cleanup(idp.srv.Close)
	return idp
}

func (idp *testIdP) configURL() string { return idp.srv.URL + "/.well-known/openid-configuration" }

// publish replaces the published keys.
func (idp *testIdP) publish(names ...string) {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.published = nil
	for _, name := range names {
		idp.published = append(idp.published, key(name).public())
	}
}

// keys returns the published keys.
func (idp *testIdP) keys() []jose.JSONWebKey {
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return append([]jose.JSONWebKey(nil), idp.published...)
}

// publishKeys replaces the published keys with these JWKs.
func (idp *testIdP) publishKeys(keys ...jose.JSONWebKey) {
	idp.mu.Lock()
	idp.published = keys
	idp.mu.Unlock()
}

func (idp *testIdP) setUserinfo(info map[string]any) {
	idp.mu.Lock()
	idp.userinfo = info
	idp.mu.Unlock()
}

const testClientID = "sesame-client"

// claims returns valid claims for idp at now, with extra merged in (a nil
// value deletes a claim).
func (idp *testIdP) claims(now time.Time, extra map[string]any) map[string]any {
	c := map[string]any{
		"iss":    idp.issuer,
		"aud":    testClientID,
		"sub":    "svc-1",
		"exp":    now.Add(time.Hour).Unix(),
		"iat":    now.Unix(),
		"policy": "readwrite",
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// openSet opens a Set with test timings and closes it with the test.
func openSet(t testing.TB, clk *clock, cfgs ...oidc.ProviderConfig) *oidc.Set {
	t.Helper()
	s, err := oidc.Open(context.Background(), cfgs, oidc.Options{
		Now:        clk.Now,
		RefreshMin: 5 * time.Second,
		RetryMin:   10 * time.Millisecond,
		RetryMax:   50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func claimConfig(idp *testIdP) oidc.ProviderConfig {
	return oidc.ProviderConfig{ConfigURL: idp.configURL(), ClientID: testClientID}
}

// wantErr asserts err wraps sentinel, is a *oidc.TokenError for check, and
// says so in its text.
func wantErr(t testing.TB, err, sentinel error, check string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v: want %v", err, sentinel)
	}
	var te *oidc.TokenError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a *oidc.TokenError", err, err)
	}
	if te.Check != check {
		t.Fatalf("error %v: check %q, want %q", err, te.Check, check)
	}
	if !strings.Contains(err.Error(), "the "+check+" check") {
		t.Fatalf("error %q does not name the %s check", err, check)
	}
}

// eventually polls cond for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// policyErr is Verify's error, or else the identity's PolicyErr: why the
// token names no policy, which the IAM service may refuse it for.
func policyErr(id *oidc.Identity, err error) error {
	if err != nil {
		return err
	}
	return id.PolicyErr
}
