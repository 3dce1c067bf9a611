package oidc

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Limits of a token, and the clock skew allowed on its times.
const (
	// MinTokenLength and MaxTokenLength bound a token's length in bytes.
	// MinIO's documentation says 2048 at most, but tokens with group claims
	// are longer; 20000 is AWS's limit for AssumeRoleWithWebIdentity.
	MinTokenLength = 4
	MaxTokenLength = 20000
	// Leeway is the clock skew allowed on exp, nbf and iat when
	// Options.Leeway is zero (SESAME_IDENTITY_OPENID_CLOCK_SKEW).
	Leeway = 60 * time.Second
	// MaxLeeway bounds Options.Leeway.
	MaxLeeway = time.Hour
)

// asymmetricAlgs are accepted from every provider; hmacAlgs only from a
// provider with a client secret, which keys them. "none" never is.
var (
	asymmetricAlgs = []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512,
		jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512,
		jose.EdDSA,
	}
	hmacAlgs = []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512}
)

func isHMAC(alg jose.SignatureAlgorithm) bool {
	return alg == jose.HS256 || alg == jose.HS384 || alg == jose.HS512
}

// hmacKeySize is the shortest key RFC 7518 §3.2 allows for alg, in bytes.
func hmacKeySize(alg jose.SignatureAlgorithm) int {
	switch alg {
	case jose.HS384:
		return 48
	case jose.HS512:
		return 64
	}
	return 32
}

func allowedAlg(alg string) (jose.SignatureAlgorithm, bool) {
	for _, list := range [][]jose.SignatureAlgorithm{asymmetricAlgs, hmacAlgs} {
		for _, a := range list {
			if string(a) == alg {
				return a, true
			}
		}
	}
	return "", false
}

// rawToken is a token that passed the structural checks; its claims are
// not trusted until the signature verifies.
type rawToken struct {
	raw     string
	alg     jose.SignatureAlgorithm
	kid     string
	payload []byte
	sig     []byte         // the decoded signature
	claims  map[string]any // numbers as json.Number
}

// signingInput is what the signature signs: the header and the claims as
// they appear in the token, with the dot between them.
func (t *rawToken) signingInput() string { return t.raw[:strings.LastIndexByte(t.raw, '.')] }

// parseToken runs the checks that need no provider: length, compact JWS
// format, the algorithm allow-list, and JSON claims.
func parseToken(token string) (*rawToken, error) {
	if n := len(token); n < MinTokenLength || n > MaxTokenLength {
		return nil, tokenErr(ErrInvalidToken, CheckLength, "the token is %d bytes long; want %d to %d", n, MinTokenLength, MaxTokenLength)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		reason := "want a compact JWS of three dot-separated parts, got %d"
		if len(parts) == 5 {
			reason += " (an encrypted JWE is not accepted)"
		}
		return nil, tokenErr(ErrInvalidToken, CheckFormat, reason, len(parts))
	}
	headerJSON, ok := decodeSegment(parts[0])
	if !ok {
		return nil, tokenErr(ErrInvalidToken, CheckFormat, "the header is not base64url")
	}
	var header struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return nil, tokenErr(ErrInvalidToken, CheckFormat, "the header is not a JSON object with string alg and kid")
	}
	if header.Crit != nil {
		// RFC 7515 §4.1.11: unknown critical extensions must be refused,
		// and Sesame knows none (b64=false would also change the payload).
		return nil, tokenErr(ErrInvalidToken, CheckFormat, "the header has critical extensions (crit), which are not supported")
	}
	switch {
	case header.Alg == "":
		return nil, tokenErr(ErrInvalidToken, CheckAlg, "the header names no alg")
	case strings.EqualFold(header.Alg, "none"):
		return nil, tokenErr(ErrInvalidToken, CheckAlg, "alg none (an unsigned token) is never accepted")
	}
	alg, ok := allowedAlg(header.Alg)
	if !ok {
		return nil, tokenErr(ErrInvalidToken, CheckAlg, "alg %s is not accepted; want RS256/384/512, PS256/384/512, ES256/384/512, EdDSA, or HS256/384/512 with a client secret", quote(header.Alg))
	}
	payload, ok := decodeSegment(parts[1])
	if !ok {
		return nil, tokenErr(ErrInvalidToken, CheckFormat, "the claims are not base64url")
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, tokenErr(ErrInvalidToken, CheckFormat, "the claims are %v", err)
	}
	if parts[2] == "" {
		return nil, tokenErr(ErrInvalidToken, CheckFormat, "the signature is empty")
	}
	sig, ok := decodeSegment(parts[2])
	if !ok {
		return nil, tokenErr(ErrInvalidToken, CheckFormat, "the signature is not base64url")
	}
	return &rawToken{raw: token, alg: alg, kid: header.Kid, payload: payload, sig: sig, claims: claims}, nil
}

// decodeSegment decodes unpadded base64url, refusing the padding, line
// breaks and other characters that encoding/base64 would skip or accept.
func decodeSegment(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, false
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return b, err == nil
}

// stringClaim returns claim name as a string; present reports whether the
// claim exists, ok whether it is a string.
func stringClaim(claims map[string]any, name string) (value string, present, ok bool) {
	v, present := claims[name]
	if !present {
		return "", false, true
	}
	value, ok = v.(string)
	return value, true, ok
}

// audience returns the aud claim, a string or an array of strings.
func audience(claims map[string]any) ([]string, bool) {
	return stringList(claims, "aud")
}

// stringList returns claim name, a string (a list of one) or an array of
// strings; ok is false for any other type. An absent claim is nil, true.
func stringList(claims map[string]any, name string) ([]string, bool) {
	switch v := claims[name].(type) {
	case nil:
		return nil, true
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// numericDate reads a NumericDate claim (seconds since the epoch, possibly
// fractional).
func numericDate(claims map[string]any, name string) (t time.Time, present, ok bool) {
	v, present := claims[name]
	if !present {
		return time.Time{}, false, true
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return time.Time{}, true, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	// Up to year 5000 or so; beyond is nonsense and overflows time math.
	if err != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, true, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, true
}
