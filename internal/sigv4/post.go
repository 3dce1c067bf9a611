package sigv4

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
)

// ErrMalformedPost is returned by ParsePost when the signature fields of a
// browser-based POST upload are missing or malformed.
var ErrMalformedPost = errors.New("sigv4: malformed POST form signature")

// PostForm holds the signature fields of a browser-based POST upload
// (an HTML form posted as multipart/form-data): x-amz-algorithm,
// x-amz-credential, x-amz-date, x-amz-signature and, for temporary
// credentials, x-amz-security-token. What is signed is the form's
// base64-encoded policy document, as given.
type PostForm struct {
	Algorithm, Credential, Date, Signature, SecurityToken string
}

// ParsePost checks the syntax of a POST form's signature fields and returns
// them as a Request (AccessKey, scope, Signature, Time, SecurityToken). It
// returns ErrUnsupportedAlgorithm for an algorithm other than
// AWS4-HMAC-SHA256 and ErrMalformedPost for anything else amiss.
func ParsePost(f PostForm) (*Request, error) {
	switch {
	case f.Algorithm == "":
		return nil, fmt.Errorf("%w: the x-amz-algorithm field is missing", ErrMalformedPost)
	case f.Algorithm != Algorithm:
		return nil, fmt.Errorf("%w: %.40q", ErrUnsupportedAlgorithm, f.Algorithm)
	case f.Credential == "":
		return nil, fmt.Errorf("%w: the x-amz-credential field is missing", ErrMalformedPost)
	case f.Date == "":
		return nil, fmt.Errorf("%w: the x-amz-date field is missing", ErrMalformedPost)
	case f.Signature == "":
		return nil, fmt.Errorf("%w: the x-amz-signature field is missing", ErrMalformedPost)
	}
	a := &Request{SecurityToken: f.SecurityToken, Post: true}
	if err := parseCredential(a, f.Credential); err != nil {
		return nil, fmt.Errorf("%w: x-amz-credential: %v", ErrMalformedPost, err)
	}
	t, ok := parseAmzDate(f.Date)
	if !ok {
		return nil, fmt.Errorf("%w: x-amz-date %.40q is not YYYYMMDDTHHMMSSZ", ErrMalformedPost, f.Date)
	}
	if !sameDay(t, a.Date) {
		return nil, fmt.Errorf("%w: x-amz-date is not the day of the credential scope", ErrMalformedPost)
	}
	a.Time = t
	sig, err := parseSignature(f.Signature)
	if err != nil {
		return nil, fmt.Errorf("%w: x-amz-signature: %v", ErrMalformedPost, err)
	}
	a.Signature = sig
	return a, nil
}

// VerifyPost checks that a.Signature, as ParsePost returned it, is the
// SigV4 signature of policy (the base64 policy document of the form) under
// secretKey, comparing in constant time. The request time is not checked:
// the policy's expiration bounds a POST form's life, and the caller checks
// it. It returns nil or an error wrapping ErrSignatureMismatch.
func (v *Verifier) VerifyPost(a *Request, policy, secretKey string) error {
	var want [sha256.Size]byte
	if !decodeHex(want[:], a.Signature) {
		return fmt.Errorf("%w: signature is not 64 hex digits", ErrSignatureMismatch)
	}
	key := v.keys.signingKey(secretKey, a.AccessKey, a.Date, a.Region, a.Service)
	buf := make([]byte, hmacBlock, hmacBlock+len(policy))
	got := hmacSHA256(key[:], append(buf, policy...))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrSignatureMismatch
	}
	return nil
}
