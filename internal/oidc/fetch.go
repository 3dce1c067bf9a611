package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Limits on what Sesame fetches from an identity provider.
const (
	// MaxResponseSize bounds a discovery, JWKS or userinfo response.
	MaxResponseSize = 1 << 20
	// FetchTimeout bounds each request to an identity provider.
	FetchTimeout = 10 * time.Second
	// MaxKeys bounds the keys kept from one JWKS; further keys are ignored.
	MaxKeys = 100
	// DefaultKeyRefresh is how often keys are refetched when the JWKS
	// response has no Cache-Control max-age; a max-age is clamped to
	// [MinKeyRefresh, MaxKeyRefresh].
	DefaultKeyRefresh = time.Hour
	MinKeyRefresh     = time.Minute
	MaxKeyRefresh     = 24 * time.Hour
)

// wellKnown is the path that a discovery URL ends with (OpenID Connect
// Discovery 1.0 §4).
const wellKnown = "/.well-known/openid-configuration"

// metadata is what Sesame uses of a discovery document.
type metadata struct {
	Issuer           string `json:"issuer"`
	JWKSURI          string `json:"jwks_uri"`
	UserinfoEndpoint string `json:"userinfo_endpoint"`
}

// get fetches rawURL (with a bearer token when bearer is not empty) and
// returns the body, at most MaxResponseSize bytes, of a 200 answer.
func get(ctx context.Context, client *http.Client, rawURL, bearer string) ([]byte, http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, query included
		}
		return nil, nil, fmt.Errorf("GET %s: %w", redactURL(rawURL), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: reading the response: %w", redactURL(rawURL), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.Header, &statusError{url: redactURL(rawURL), code: resp.StatusCode}
	}
	if len(body) > MaxResponseSize {
		return nil, nil, fmt.Errorf("GET %s: response larger than %d bytes", redactURL(rawURL), MaxResponseSize)
	}
	return body, resp.Header, nil
}

// statusError is a non-200 answer.
type statusError struct {
	url  string
	code int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.url, e.code, http.StatusText(e.code))
}

// redactURL drops the query and user info, which may hold secrets, from a
// URL that goes into messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// discover fetches and checks the discovery document at configURL.
func discover(ctx context.Context, client *http.Client, configURL string, needUserinfo bool) (*metadata, error) {
	body, _, err := get(ctx, client, configURL, "")
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var m metadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("discovery document at %s is not JSON: %w", redactURL(configURL), err)
	}
	if m.Issuer == "" {
		return nil, fmt.Errorf("discovery document at %s has no issuer", redactURL(configURL))
	}
	if err := absoluteHTTP(m.JWKSURI); err != nil {
		return nil, fmt.Errorf("discovery document at %s: jwks_uri: %w", redactURL(configURL), err)
	}
	if needUserinfo {
		if err := absoluteHTTP(m.UserinfoEndpoint); err != nil {
			return nil, fmt.Errorf("discovery document at %s: userinfo_endpoint (needed for CLAIM_USERINFO): %w", redactURL(configURL), err)
		}
	}
	return &m, nil
}

func absoluteHTTP(raw string) error {
	if raw == "" {
		return errors.New("missing")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL", raw)
	}
	return nil
}

// expectedIssuer is the issuer a discovery URL implies (the URL without
// its well-known suffix), used to route tokens to a provider before its
// discovery document has been fetched. "" when the URL has no such suffix.
func expectedIssuer(configURL string) string {
	if iss, ok := strings.CutSuffix(configURL, wellKnown); ok {
		return iss
	}
	return ""
}

// fetchKeys fetches the JWKS at jwksURL and returns its signing keys
// (public parts only) and how long to keep them.
func fetchKeys(ctx context.Context, client *http.Client, jwksURL string) ([]jose.JSONWebKey, time.Duration, error) {
	body, header, err := get(ctx, client, jwksURL, "")
	if err != nil {
		return nil, 0, fmt.Errorf("JWKS: %w", err)
	}
	keys, err := parseKeys(body)
	if err != nil {
		return nil, 0, fmt.Errorf("JWKS at %s: %w", redactURL(jwksURL), err)
	}
	return keys, keyLifetime(header.Get("Cache-Control")), nil
}

// parseKeys parses a JWKS document. Keys that go-jose cannot parse, that
// are not for signatures, or that are symmetric are skipped (a bad key
// must not take the good ones down with it); a private key contributes its
// public part only.
func parseKeys(body []byte) ([]jose.JSONWebKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JWKS document: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New("not a JWKS document: no \"keys\" member")
	}
	var keys []jose.JSONWebKey
	for _, raw := range doc.Keys {
		if len(keys) == MaxKeys {
			break
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if k.IsPublic() {
			keys = append(keys, k)
			continue
		}
		if pub := k.Public(); pub.Key != nil {
			keys = append(keys, pub)
		}
	}
	return keys, nil
}

// keyLifetime reads max-age from a Cache-Control header, clamped to
// [MinKeyRefresh, MaxKeyRefresh]; DefaultKeyRefresh when absent.
func keyLifetime(cacheControl string) time.Duration {
	for _, directive := range strings.Split(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		if !strings.EqualFold(name, "max-age") {
			continue
		}
		secs, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
		if err != nil || secs < 0 {
			return DefaultKeyRefresh
		}
		if secs > int64(MaxKeyRefresh/time.Second) {
			return MaxKeyRefresh
		}
		return max(time.Duration(secs)*time.Second, MinKeyRefresh)
	}
	return DefaultKeyRefresh
}

// userinfo calls the userinfo endpoint with token and returns its claims.
func userinfo(ctx context.Context, client *http.Client, endpoint, token string) (map[string]any, error) {
	body, header, err := get(ctx, client, endpoint, token)
	if err != nil {
		return nil, err
	}
	if ct, _, _ := mime.ParseMediaType(header.Get("Content-Type")); ct == "application/jwt" {
		return nil, errors.New("userinfo answered with a JWT, which Sesame does not accept")
	}
	claims, err := decodeClaims(body)
	if err != nil {
		return nil, fmt.Errorf("userinfo response: %w", err)
	}
	return claims, nil
}

// decodeClaims decodes a JSON object, keeping numbers as json.Number.
func decodeClaims(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if claims == nil {
		return nil, errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	return claims, nil
}
