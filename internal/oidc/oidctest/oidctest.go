// Package oidctest runs a real OpenID Provider in-process for tests: the
// zitadel/oidc op package (discovery, JWKS, token, userinfo and
// introspection endpoints) over a small in-memory storage. Clients get
// RS256 JWT access tokens with the client_credentials grant, carrying any
// extra claims the test asks for (e.g. "policy": "readwrite"), as
// AssumeRoleWithClientGrants expects them from Keycloak or Okta.
//
// A token's sub is the client id, its aud the client id (what
// MINIO_IDENTITY_OPENID_CLIENT_ID names), its client_id claim too; iat, nbf
// and exp come from the real clock. RotateKeys switches the signing key
// (the old one stays published until DropOldKeys), SetDown makes every
// endpoint answer 503, and JWKSFetches counts JWKS requests, so that tests
// can watch a verifier's key cache. Mint signs tokens of any shape with
// the current signing key, for callers the grant cannot serve (Kubernetes
// service account tokens, ID tokens with azp or amr).
//
// People sign in too (login.go): AddUser registers a user with a password
// and the claims of their ID tokens, AddLoginClient a native client for
// the authorization code flow with PKCE (S256), refresh tokens and the
// device authorization grant (RFC 8628). The login page at /login and the
// device page at /device are plain HTML forms (user name, password, Sign
// in or Deny), or approve at once as Options.AutoLogin. AuthRequests
// records what clients sent, for tests to check PKCE, state and nonce.
package oidctest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Options configure NewProvider. The zero value works.
type Options struct {
	// ClientID and ClientSecret are the client registered at start
	// (default "sesame" and a random secret).
	ClientID, ClientSecret string
	// TokenLifetime is how long access tokens last (default one hour).
	TokenLifetime time.Duration
	// AutoLogin, when set, names the user (AddUser) that the login and
	// device pages sign in at once, with no form.
	AutoLogin string
}

// Provider is a running OpenID Provider. Its methods are safe for
// concurrent use.
type Provider struct {
	srv      *httptest.Server
	issuer   string
	clientID string
	secret   string
	store    *storage

	down        atomic.Bool
	jwksFetches atomic.Int64
	op          *op.Provider
}

// NewProvider starts an OpenID Provider on 127.0.0.1 and stops it when
// the test ends.
func NewProvider(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID = "sesame"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = randomHex(t, 20)
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = time.Hour
	}
	p := &Provider{clientID: opts.ClientID, secret: opts.ClientSecret}
	p.store = newStorage(opts.TokenLifetime)
	p.store.login.autoLogin = opts.AutoLogin
	p.store.addClient(opts.ClientID, opts.ClientSecret)
	if _, err := p.store.rotate(); err != nil {
		t.Fatal(err)
	}

	// The issuer is the server's URL, which exists only once it listens.
	var handler atomic.Pointer[http.Handler]
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			http.Error(w, "identity provider down", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == "/keys" {
			p.jwksFetches.Add(1)
		}
		h := handler.Load()
		if h == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL

	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		t.Fatal(err)
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:             cryptoKey,
		CodeMethodS256:        true,
		GrantTypeRefreshToken: true,
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime: 5 * time.Minute, PollInterval: time.Second,
			UserFormPath: devicePath, UserCode: op.UserCodeBase20,
		},
	}, p.store, op.StaticIssuer(p.issuer),
		op.WithAllowInsecure(), op.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	p.op = provider
	var h http.Handler = p.loginHandler(provider)
	handler.Store(&h)
	return p
}

// Issuer is the provider's issuer (its base URL).
func (p *Provider) Issuer() string { return p.issuer }

// ConfigURL is the discovery document's URL, for
// MINIO_IDENTITY_OPENID_CONFIG_URL.
func (p *Provider) ConfigURL() string { return p.issuer + "/.well-known/openid-configuration" }

// JWKSURL is the key set's URL, for the legacy MINIO_IAM_JWKS_URL.
func (p *Provider) JWKSURL() string { return p.issuer + "/keys" }

// ClientID and ClientSecret are the credentials of the client registered
// at start.
func (p *Provider) ClientID() string     { return p.clientID }
func (p *Provider) ClientSecret() string { return p.secret }

// Env returns the MinIO variables that configure this provider as a
// claim-based provider called name ("" for the un-suffixed one), for tests
// that start a server from its environment.
func (p *Provider) Env(name string) map[string]string {
	suffix := ""
	if name != "" {
		suffix = "_" + name
	}
	return map[string]string{
		"MINIO_IDENTITY_OPENID_CONFIG_URL" + suffix: p.ConfigURL(),
		"MINIO_IDENTITY_OPENID_CLIENT_ID" + suffix:  p.clientID,
	}
}

// AddClient registers another client for the client_credentials grant.
func (p *Provider) AddClient(id, secret string) { p.store.addClient(id, secret) }

// SetClientClaims sets claims that every client_credentials token of
// clientID carries from now on (as an IdP's mappers add, e.g. "policy"),
// for callers that cannot pass claims, such as the examples.
func (p *Provider) SetClientClaims(clientID string, claims map[string]any) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if p.store.clientClaims == nil {
		p.store.clientClaims = map[string]map[string]any{}
	}
	p.store.clientClaims[clientID] = maps.Clone(claims)
}

// Token gets an access token for the start-up client with the
// client_credentials grant, carrying claims besides the registered ones
// (which it cannot override), and fails the test on error.
func (p *Provider) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok, err := p.RequestToken(context.Background(), p.clientID, p.secret, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// RequestToken runs the client_credentials grant over HTTP at the token
// endpoint and returns the access token. The extra claims travel to the
// provider as a one-time scope.
func (p *Provider) RequestToken(ctx context.Context, clientID, secret string, claims map[string]any) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(claims) > 0 {
		form.Set("scope", p.store.claimsScope(claims))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := p.srv.Client().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("oidctest: token endpoint: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("oidctest: token endpoint: %w", err)
	}
	if out.AccessToken == "" {
		return "", errors.New("oidctest: token endpoint returned no access token")
	}
	return out.AccessToken, nil
}

// Mint returns a JWT with exactly these claims, signed by the provider's
// current signing key (RS256, its kid in the header), so that its JWKS
// verifies it: for tokens the client_credentials grant cannot shape, such
// as a Kubernetes service account token (sub
// "system:serviceaccount:NS:SA", aud "sts.amazonaws.com"). iss defaults to
// Issuer, iat to now and exp to now plus the token lifetime; a claim in
// claims replaces its default, and a nil value leaves the claim out.
// Nothing else is added: no sub, no aud. Mint fails the test on error.
func (p *Provider) Mint(t testing.TB, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	all := map[string]any{
		"iss": p.issuer,
		"iat": now.Unix(),
		"exp": now.Add(p.store.lifetime).Unix(),
	}
	for k, v := range claims {
		if v == nil {
			delete(all, k)
		} else {
			all[k] = v
		}
	}
	payload, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	k := p.store.signingKey()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.id))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// SetUserinfo sets the claims the userinfo endpoint returns (besides sub)
// for tokens of clientID from now on.
func (p *Provider) SetUserinfo(clientID string, claims map[string]any) {
	p.store.setUserinfo(clientID, claims)
}

// RotateKeys makes a new RSA key the signing key and returns its kid. The
// previous keys stay published until DropOldKeys.
func (p *Provider) RotateKeys(t testing.TB) string {
	t.Helper()
	kid, err := p.store.rotate()
	if err != nil {
		t.Fatal(err)
	}
	return kid
}

// DropOldKeys unpublishes every key but the signing key.
func (p *Provider) DropOldKeys() { p.store.dropOld() }

// SigningKeyID is the kid of the current signing key.
func (p *Provider) SigningKeyID() string { return p.store.signingKey().id }

// SetDown makes every endpoint answer 503 (true) or serve again (false).
func (p *Provider) SetDown(down bool) { p.down.Store(down) }

// JWKSFetches counts the requests to the JWKS endpoint so far.
func (p *Provider) JWKSFetches() int { return int(p.jwksFetches.Load()) }

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// storage is the in-memory op.Storage: clients, keys and issued tokens.
type storage struct {
	lifetime time.Duration

	mu        sync.Mutex
	clients   map[string]*client
	keys      []*signingKey // last is the signing key
	tokens    map[string]*issued
	scopes    map[string]map[string]any // one-time claim scopes
	userinfos map[string]map[string]any // by client id
	login     loginStore                // users and the login flows (login.go)
	// clientClaims are added to client_credentials tokens, by client id.
	clientClaims map[string]map[string]any
}

type issued struct {
	subject  string
	clientID string
	expiry   time.Time
}

const claimsScopePrefix = "oidctest:claims:"

func newStorage(lifetime time.Duration) *storage {
	return &storage{
		lifetime:  lifetime,
		clients:   map[string]*client{},
		tokens:    map[string]*issued{},
		scopes:    map[string]map[string]any{},
		userinfos: map[string]map[string]any{},
		login:     newLoginStore(),
	}
}

func (s *storage) addClient(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = &client{id: id, secret: secret, lifetime: time.Hour}
}

func (s *storage) claimsScope(claims map[string]any) string {
	b := make([]byte, 12)
	rand.Read(b)
	name := claimsScopePrefix + hex.EncodeToString(b)
	s.mu.Lock()
	s.scopes[name] = maps.Clone(claims)
	s.mu.Unlock()
	return name
}

func (s *storage) setUserinfo(clientID string, claims map[string]any) {
	s.mu.Lock()
	s.userinfos[clientID] = maps.Clone(claims)
	s.mu.Unlock()
}

func (s *storage) rotate() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	b := make([]byte, 8)
	rand.Read(b)
	kid := "key-" + hex.EncodeToString(b)
	s.mu.Lock()
	s.keys = append(s.keys, &signingKey{id: kid, key: k})
	s.mu.Unlock()
	return kid, nil
}

func (s *storage) dropOld() {
	s.mu.Lock()
	s.keys = s.keys[len(s.keys)-1:]
	s.mu.Unlock()
}

func (s *storage) signingKey() *signingKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[len(s.keys)-1]
}

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*storage)(nil)
)

var errUnsupported = errors.New("oidctest: not supported (client_credentials only)")

// The client_credentials grant.

func (s *storage) ClientCredentials(_ context.Context, clientID, clientSecret string) (op.Client, error) {
	s.mu.Lock()
	c := s.clients[clientID]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare([]byte(c.secret), []byte(clientSecret)) != 1 {
		return nil, errors.New("oidctest: wrong client id or secret")
	}
	return c, nil
}

func (s *storage) ClientCredentialsTokenRequest(_ context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	return &tokenRequest{subject: clientID, audience: []string{clientID}, scopes: scopes}, nil
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	b := make([]byte, 16)
	rand.Read(b)
	id := hex.EncodeToString(b)
	exp := time.Now().Add(s.lifetime)
	clientID := req.GetSubject()
	if aud := req.GetAudience(); len(aud) > 0 {
		clientID = aud[0]
	}
	s.mu.Lock()
	s.tokens[id] = &issued{subject: req.GetSubject(), clientID: clientID, expiry: exp}
	s.mu.Unlock()
	return id, exp, nil
}

// GetPrivateClaimsFromRequest adds the claims of the request's one-time
// claims scope.
func (s *storage) GetPrivateClaimsFromRequest(_ context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	claims := map[string]any{}
	if tr, ok := req.(*tokenRequest); ok {
		maps.Copy(claims, s.clientClaims[tr.subject])
	}
	for _, scope := range req.GetScopes() {
		if c, ok := s.scopes[scope]; ok {
			maps.Copy(claims, c)
			delete(s.scopes, scope)
		}
	}
	return claims, nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// Keys.

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.signingKey(), nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]op.Key, len(s.keys))
	for i, k := range s.keys {
		keys[i] = publicKey{k}
	}
	return keys, nil
}

// Userinfo and introspection.

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.tokens[tokenID]
	if tok == nil || tok.subject != subject || time.Now().After(tok.expiry) {
		return errors.New("oidctest: unknown or expired token")
	}
	info.Subject = subject
	for k, v := range s.userinfos[tok.clientID] {
		info.AppendClaims(k, v)
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.tokens[tokenID]
	if tok == nil || tok.subject != subject {
		return errors.New("oidctest: unknown token")
	}
	resp.Active = time.Now().Before(tok.expiry)
	resp.Subject = subject
	resp.ClientID = tok.clientID
	return nil
}

// Clients.

func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[clientID]; c != nil {
		return c, nil
	}
	return nil, errors.New("oidctest: unknown client")
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	_, err := s.ClientCredentials(ctx, clientID, clientSecret)
	return err
}

func (s *storage) Health(context.Context) error { return nil }

// The rest of op.Storage: flows this provider does not offer.

func (s *storage) TerminateSession(context.Context, string, string) error { return errUnsupported }
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}

// signingKey is an RSA key as op wants it.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is the published half of a signingKey.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.key.PublicKey }

// tokenRequest is a client_credentials request.
type tokenRequest struct {
	subject  string
	audience []string
	scopes   []string
}

func (r *tokenRequest) GetSubject() string    { return r.subject }
func (r *tokenRequest) GetAudience() []string { return r.audience }
func (r *tokenRequest) GetScopes() []string   { return r.scopes }

// client is a registered client: the start-up one and AddClient's are
// confidential and allowed the client_credentials grant only; a login
// client (AddLoginClient) is a native application allowed the
// authorization code (with PKCE), refresh token and device code grants,
// public (no secret) or confidential.
type client struct {
	id, secret string
	login      bool
	redirects  []string
	lifetime   time.Duration // of ID tokens
}

func (c *client) GetID() string                    { return c.id }
func (c *client) RedirectURIs() []string           { return c.redirects }
func (c *client) PostLogoutRedirectURIs() []string { return nil }
func (c *client) ApplicationType() op.ApplicationType {
	if c.login {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}
func (c *client) AuthMethod() oidc.AuthMethod {
	if c.login && c.secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *client) ResponseTypes() []oidc.ResponseType {
	if c.login {
		return []oidc.ResponseType{oidc.ResponseTypeCode}
	}
	return nil
}
func (c *client) GrantTypes() []oidc.GrantType {
	if c.login {
		return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeDeviceCode}
	}
	return []oidc.GrantType{oidc.GrantTypeClientCredentials}
}
func (c *client) LoginURL(id string) string            { return "/login?id=" + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *client) IDTokenLifetime() time.Duration       { return c.lifetime }
func (c *client) DevMode() bool                        { return false }
func (c *client) IsScopeAllowed(string) bool           { return true }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
