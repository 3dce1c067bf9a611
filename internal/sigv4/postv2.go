package sigv4

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
)

// Browser POST forms signed with AWS Signature Version 2. S3 still accepts
// them (HTML forms and older SDKs' POST policies build them), and this
// package verifies them for POST forms only: header and presigned SigV2
// stay refused by Parse. The signature is base64(HMAC-SHA1(secret key,
// base64 policy)); HMAC-SHA1 remains a sound MAC (HMAC's security does not
// rest on the collision resistance SHA-1 lost), and a form's life is bounded
// by its policy's expiration, which the caller checks.

// PostFormV2 holds the signature fields of a browser-based POST upload
// signed with Signature Version 2: AWSAccessKeyId, signature and, for
// temporary credentials, x-amz-security-token.
type PostFormV2 struct {
	AccessKeyID, Signature, SecurityToken string
}

// ParsePostV2 checks that a SigV2 POST form has its access key and
// signature and returns them as a Request with Post and PostV2 set (no scope, no
// time). It returns ErrMalformedPost when a field is missing.
func ParsePostV2(f PostFormV2) (*Request, error) {
	switch {
	case f.AccessKeyID == "":
		return nil, fmt.Errorf("%w: the AWSAccessKeyId field is missing", ErrMalformedPost)
	case f.Signature == "":
		return nil, fmt.Errorf("%w: the signature field is missing", ErrMalformedPost)
	}
	return &Request{AccessKey: f.AccessKeyID, Signature: f.Signature, SecurityToken: f.SecurityToken, Post: true, PostV2: true}, nil
}

// VerifyPostV2 checks that a.Signature, as ParsePostV2 returned it, is the
// base64 HMAC-SHA1 of policy (the base64 policy document of the form) under
// secretKey, comparing in constant time. It returns nil or an error
// wrapping ErrSignatureMismatch; a signature that is not the base64 of 20
// bytes does not match either.
func (v *Verifier) VerifyPostV2(a *Request, policy, secretKey string) error {
	want, err := base64.StdEncoding.DecodeString(a.Signature)
	if err != nil || len(want) != sha1.Size || !a.PostV2 {
		return fmt.Errorf("%w: signature is not the base64 of an HMAC-SHA1", ErrSignatureMismatch)
	}
	mac := hmac.New(sha1.New, []byte(secretKey))
	mac.Write([]byte(policy))
	if !hmac.Equal(mac.Sum(nil), want) {
		return ErrSignatureMismatch
	}
	return nil
}
