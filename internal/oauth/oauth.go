// Package oauth is the small OpenID Connect client that people's sign-in
// needs, for the login page (internal/login) and `sesame login`: discovery,
// the authorization code flow with PKCE (RFC 7636, S256 only), the
// refresh token grant and the device authorization grant (RFC 8628).
//
// # Flow
//
// Discover reads a provider's metadata from its discovery document (an
// issuer URL or the document's own URL). NewPKCE makes a verifier and its
// S256 challenge; AuthCodeURL builds the authorization request with state,
// nonce and the challenge. After the redirect, Exchange trades the code
// and verifier for tokens; Refresh trades a refresh token; StartDevice and
// PollDevice run the device grant, honouring the interval and slow_down.
//
// # Invariants
//
// Every response body is read through a 1 MiB limit; errors carry the
// provider's error code and description, never a token or a secret. A
// token response without an id_token is an error (people's sign-in needs
// one). This package verifies nothing: the ID token is verified by the
// STS it is traded at, and the caller compares its nonce.
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody bounds every response read from a provider.
const maxBody = 1 << 20

// Metadata is what a discovery document says about a provider.
type Metadata struct {
	Issuer                      string   `json:"issuer"`
	AuthorizationEndpoint       string   `json:"authorization_endpoint"`
	TokenEndpoint               string   `json:"token_endpoint"`
	DeviceAuthorizationEndpoint string   `json:"device_authorization_endpoint"`
	ScopesSupported             []string `json:"scopes_supported"`
	CodeChallengeMethods        []string `json:"code_challenge_methods_supported"`
}

// Client is one OAuth client of one provider.
type Client struct {
	Meta     Metadata
	ClientID string
	// ClientSecret is "" for a public client (sesame login); set, it is
	// sent with HTTP Basic authentication.
	ClientSecret string
	// HTTP sends the requests; default http.DefaultClient.
	HTTP *http.Client
}

// ErrNoIDToken is returned when a token response carries no id_token.
var ErrNoIDToken = errors.New("the identity provider returned no ID token (is the openid scope allowed for this client?)")

// Error is an OAuth error response: RFC 6749 §5.2, RFC 8628 §3.5.
type Error struct {
	Code        string // "invalid_grant", "authorization_pending", ...
	Description string
	Status      int
}

func (e *Error) Error() string {
	s := "identity provider: " + e.Code
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// ConfigURL returns the discovery document's URL for an issuer URL, or
// the URL itself when it already names the document.
func ConfigURL(issuerOrConfig string) string {
	u := strings.TrimRight(issuerOrConfig, "/")
	if strings.HasSuffix(u, "/.well-known/openid-configuration") {
		return u
	}
	return u + "/.well-known/openid-configuration"
}

// Discover reads the discovery document at ConfigURL(issuerOrConfig).
func Discover(ctx context.Context, hc *http.Client, issuerOrConfig string) (Metadata, error) {
	var m Metadata
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ConfigURL(issuerOrConfig), nil)
	if err != nil {
		return m, err
	}
	body, status, err := send(hc, req)
	if err != nil {
		return m, fmt.Errorf("discovery: %w", err)
	}
	if status != http.StatusOK {
		return m, fmt.Errorf("discovery: %s answered HTTP %d", req.URL, status)
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return m, fmt.Errorf("discovery: %s: %w", req.URL, err)
	}
	if m.Issuer == "" || m.TokenEndpoint == "" {
		return m, fmt.Errorf("discovery: %s names no issuer or token endpoint", req.URL)
	}
	return m, nil
}

func send(hc *http.Client, req *http.Request) ([]byte, int, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return body, resp.StatusCode, err
}

// PKCE is a code verifier and its S256 challenge.
type PKCE struct{ Verifier, Challenge string }

// NewPKCE makes a verifier of 32 random bytes (43 characters).
func NewPKCE() PKCE {
	v := RandomString(32)
	sum := sha256.Sum256([]byte(v))
	return PKCE{Verifier: v, Challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// RandomString returns n random bytes, base64url without padding.
func RandomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthRequest is the parameters of an authorization request.
type AuthRequest struct {
	RedirectURI, State, Nonce string
	Scopes                    []string
	PKCE                      PKCE
}

// AuthCodeURL is the URL that starts the authorization code flow.
func (c *Client) AuthCodeURL(a AuthRequest) (string, error) {
	if c.Meta.AuthorizationEndpoint == "" {
		return "", errors.New("the identity provider has no authorization endpoint")
	}
	u, err := url.Parse(c.Meta.AuthorizationEndpoint)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", c.ClientID)
	q.Set("redirect_uri", a.RedirectURI)
	q.Set("scope", strings.Join(a.Scopes, " "))
	q.Set("state", a.State)
	q.Set("nonce", a.Nonce)
	q.Set("code_challenge", a.PKCE.Challenge)
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Tokens is a token response.
type Tokens struct {
	IDToken      string `json:"id_token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

// Exchange trades an authorization code for tokens.
func (c *Client) Exchange(ctx context.Context, code, redirectURI string, p PKCE) (Tokens, error) {
	return c.token(ctx, c.Meta.TokenEndpoint, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {p.Verifier}}, true)
}

// Refresh trades a refresh token for fresh tokens.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	return c.token(ctx, c.Meta.TokenEndpoint, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}, true)
}

// token posts form to endpoint, authenticating the client, and decodes
// the answer; wantID requires an id_token.
func (c *Client) token(ctx context.Context, endpoint string, form url.Values, wantID bool) (Tokens, error) {
	var t Tokens
	body, status, err := c.post(ctx, endpoint, form)
	if err != nil {
		return t, err
	}
	if status != http.StatusOK {
		return t, oauthError(body, status)
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return t, fmt.Errorf("token endpoint: %w", err)
	}
	if wantID && t.IDToken == "" {
		return t, ErrNoIDToken
	}
	return t, nil
}

func (c *Client) post(ctx context.Context, endpoint string, form url.Values) ([]byte, int, error) {
	if c.ClientSecret == "" {
		form.Set("client_id", c.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	return send(c.HTTP, req)
}

func oauthError(body []byte, status int) error {
	var e struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) != nil || e.Code == "" {
		return &Error{Code: "http_" + fmt.Sprint(status), Status: status}
	}
	return &Error{Code: e.Code, Description: e.Description, Status: status}
}

// Device is a device authorization response (RFC 8628 §3.2).
type Device struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// StartDevice asks for a device authorization.
func (c *Client) StartDevice(ctx context.Context, scopes []string) (Device, error) {
	var d Device
	if c.Meta.DeviceAuthorizationEndpoint == "" {
		return d, errors.New("the identity provider offers no device authorization grant (no device_authorization_endpoint)")
	}
	body, status, err := c.post(ctx, c.Meta.DeviceAuthorizationEndpoint, url.Values{"scope": {strings.Join(scopes, " ")}})
	if err != nil {
		return d, err
	}
	if status != http.StatusOK {
		return d, oauthError(body, status)
	}
	if err := json.Unmarshal(body, &d); err != nil || d.DeviceCode == "" {
		return d, fmt.Errorf("device authorization: malformed answer")
	}
	return d, nil
}

// PollDevice polls the token endpoint until the person approved (tokens),
// denied (an *Error access_denied), the code expired, or ctx ended. It
// waits Interval seconds between polls (5 when absent, RFC 8628 §3.5),
// 5 more after each slow_down.
func (c *Client) PollDevice(ctx context.Context, d Device) (Tokens, error) {
	interval := time.Duration(d.Interval) * time.Second
	if d.Interval <= 0 {
		interval = 5 * time.Second
	}
	if d.ExpiresIn > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(d.ExpiresIn)*time.Second)
		defer cancel()
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {d.DeviceCode}}
	for {
		select {
		case <-ctx.Done():
			return Tokens{}, fmt.Errorf("device authorization: %w", ctx.Err())
		case <-time.After(interval):
		}
		t, err := c.token(ctx, c.Meta.TokenEndpoint, url.Values(cloneValues(form)), true)
		var oe *Error
		switch {
		case errors.As(err, &oe) && oe.Code == "authorization_pending":
			continue
		case errors.As(err, &oe) && oe.Code == "slow_down":
			interval += 5 * time.Second
			continue
		}
		return t, err
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Claims decodes a JWT's claims without verifying it: for the nonce and
// expiry of an ID token the caller has just received over TLS from the
// token endpoint, or that STS verifies.
func Claims(jwt string) (map[string]any, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errors.New("not a JWT")
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, errors.New("not a JWT")
	}
	return c, nil
}
