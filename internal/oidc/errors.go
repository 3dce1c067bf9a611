package oidc

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The sentinels Verify's errors wrap. Each error Verify returns is a
// *TokenError that wraps exactly one of them, so errors.Is selects the STS
// wire code and Error() explains the failed check.
var (
	// ErrInvalidToken is returned when a token fails a check: its length,
	// format, algorithm, key id, signature, issuer, audience, nbf, iat, sub
	// or the userinfo exchange. STS answers InvalidIdentityToken (400).
	ErrInvalidToken = errors.New("invalid identity token")
	// ErrExpiredToken is returned when a token's exp lies more than Leeway
	// in the past. STS answers ExpiredTokenException (400).
	ErrExpiredToken = errors.New("expired identity token")
	// ErrRejectedClaim is returned when a valid token carries no usable
	// policy claim and its provider is not in role-policy mode. STS answers
	// IDPRejectedClaim (403).
	ErrRejectedClaim = errors.New("identity provider claim rejected")
	// ErrCommunication is returned when the provider's keys have not been
	// fetched yet (the IdP has been unreachable since start-up), or when an
	// unknown key id needed a refetch that failed, or the userinfo endpoint
	// could not be reached. STS answers IDPCommunicationError (400).
	ErrCommunication = errors.New("identity provider unreachable")
	// ErrNoProvider is returned when no OpenID provider is configured, or
	// when RoleArn names no role-policy provider and no claim-based
	// provider exists to fall back on, or, by VerifyForRole, when no
	// provider has the token's issuer. STS answers InvalidIdentityToken.
	ErrNoProvider = errors.New("no matching OpenID Connect provider")
	// ErrInvalidConfig is wrapped by the errors of ConfigFromEnv and Open
	// for a configuration that cannot work; the message names the variable.
	ErrInvalidConfig = errors.New("invalid OpenID configuration")
)

// The names of the checks a TokenError reports, in the order Verify runs
// them.
const (
	CheckLength    = "length"    // 4 to 20000 characters
	CheckFormat    = "format"    // compact JWS: three base64url parts, JSON header and claims
	CheckAlg       = "alg"       // header alg in the allow-list (HS* only with a client secret)
	CheckProvider  = "provider"  // RoleArn or issuer selects a provider
	CheckKeys      = "keys"      // the provider's keys have been fetched
	CheckIssuer    = "iss"       // iss equals the discovered issuer
	CheckAudience  = "aud"       // aud contains the client id, or azp equals it
	CheckExpiry    = "exp"       // exp present and not past (with Leeway)
	CheckNotBefore = "nbf"       // nbf not in the future (with Leeway)
	CheckIssuedAt  = "iat"       // iat not in the future (with Leeway)
	CheckSubject   = "sub"       // sub present
	CheckAMR       = "amr"       // amr, if present, a string or an array of strings (VerifyForRole)
	CheckKeyID     = "kid"       // kid names a key of the provider's set
	CheckSignature = "signature" // the signature verifies
	CheckUserinfo  = "userinfo"  // the userinfo endpoint accepts the token
	CheckClaim     = "claim"     // the policy claim names policies
)

// A TokenError says which check a token failed and why. It wraps one of
// the sentinels (Err) and, for communication failures, the underlying
// error (Cause). Its text never contains the token.
type TokenError struct {
	// Err is the sentinel: ErrInvalidToken, ErrExpiredToken,
	// ErrRejectedClaim, ErrCommunication or ErrNoProvider.
	Err error
	// Check is one of the Check* names.
	Check string
	// Provider is the name of the provider the token was checked against
	// ("" for the un-suffixed provider or before one was selected).
	Provider string
	// Reason explains the failure in a sentence fragment.
	Reason string
	// Cause is the underlying error, if any (network errors, go-jose).
	Cause error
}

// Error returns "<sentinel>: token failed the <check> check[ (provider
// NAME)]: <reason>". The STS layer shows the text after "<sentinel>: ".
func (e *TokenError) Error() string {
	s := e.Err.Error() + ": token failed the " + e.Check + " check"
	if e.Provider != "" {
		s += " (provider " + strconv.Quote(e.Provider) + ")"
	}
	return s + ": " + e.Reason
}

// Unwrap returns the sentinel and the cause, for errors.Is and errors.As.
func (e *TokenError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

func tokenErr(sentinel error, check, format string, args ...any) *TokenError {
	return &TokenError{Err: sentinel, Check: check, Reason: fmt.Sprintf(format, args...)}
}

// quote quotes an untrusted value for an error message, cut to 80 bytes so
// that a hostile token cannot make messages large.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// configErr builds an ErrInvalidConfig error.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}
