package metrics

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Bearer tokens for scraping the metrics, as MinIO's `mc admin prometheus
// generate` makes them: a JWT signed with HS512 by the secret key of the
// access key named in "sub", issued by "prometheus" ("iss"), with an
// expiry ("exp"). Whoever holds the secret key can make one; the server
// then decides whether that identity may read the metrics
// (admin:Prometheus; root always may).

// TokenIssuer is the "iss" of a metrics bearer token.
const TokenIssuer = "prometheus"

// maxTokenLength bounds a token before any work is done on it.
const maxTokenLength = 4096

// ErrInvalidToken is returned (wrapped, with the reason) by VerifyToken
// for a token that is malformed, expired, not issued for Prometheus, or
// wrongly signed.
var ErrInvalidToken = errors.New("metrics: invalid bearer token")

var b64 = base64.RawURLEncoding

// tokenHeader is the JOSE header of every token NewToken makes.
var tokenHeader = b64.EncodeToString([]byte(`{"alg":"HS512","typ":"JWT"}`))

// NewToken returns a bearer token for accessKey, signed with secretKey,
// valid until expires.
func NewToken(accessKey, secretKey string, expires time.Time) string {
	claims, _ := json.Marshal(struct {
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
		Iss string `json:"iss"`
	}{expires.Unix(), accessKey, TokenIssuer})
	signing := tokenHeader + "." + b64.EncodeToString(claims)
	return signing + "." + b64.EncodeToString(sign(signing, secretKey))
}

func sign(signing, secretKey string) []byte {
	m := hmac.New(sha512.New, []byte(secretKey))
	m.Write([]byte(signing))
	return m.Sum(nil)
}

// VerifyToken checks token at time now and returns the access key it was
// issued for. secretOf returns the secret key of an access key; it is
// called only once the token's shape, issuer and expiry have passed, and
// its error is returned as is. Every other failure wraps ErrInvalidToken.
func VerifyToken(token string, now time.Time, secretOf func(accessKey string) (string, error)) (string, error) {
	if len(token) > maxTokenLength {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, maxTokenLength)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("%w: not a signed JWT", ErrInvalidToken)
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodePart(parts[0], &header); err != nil {
		return "", err
	}
	if header.Alg != "HS512" {
		return "", fmt.Errorf("%w: algorithm %q, want HS512", ErrInvalidToken, header.Alg)
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
		Sub string       `json:"sub"`
		Iss string       `json:"iss"`
	}
	if err := decodePart(parts[1], &claims); err != nil {
		return "", err
	}
	switch {
	case claims.Iss != TokenIssuer:
		return "", fmt.Errorf("%w: issuer %q, want %q", ErrInvalidToken, claims.Iss, TokenIssuer)
	case claims.Sub == "":
		return "", fmt.Errorf("%w: no subject (access key)", ErrInvalidToken)
	case claims.Exp == nil:
		return "", fmt.Errorf("%w: no expiry", ErrInvalidToken)
	}
	exp, err := claims.Exp.Float64()
	if err != nil || math.IsNaN(exp) {
		return "", fmt.Errorf("%w: expiry %q is not a number", ErrInvalidToken, claims.Exp.String())
	}
	if exp <= float64(now.Unix()) {
		return "", fmt.Errorf("%w: expired", ErrInvalidToken)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return "", fmt.Errorf("%w: signature is not base64url", ErrInvalidToken)
	}
	secret, err := secretOf(claims.Sub)
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare(sig, sign(parts[0]+"."+parts[1], secret)) != 1 {
		return "", fmt.Errorf("%w: signature does not match", ErrInvalidToken)
	}
	return claims.Sub, nil
}

func decodePart(part string, v any) error {
	data, err := b64.DecodeString(part)
	if err != nil {
		return fmt.Errorf("%w: a part is not base64url", ErrInvalidToken)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: a part is not a JSON object", ErrInvalidToken)
	}
	return nil
}
