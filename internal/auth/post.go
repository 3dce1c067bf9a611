package auth

import (
	"context"

	"github.com/sesame-s3/sesame/internal/sigv4"
)

// AuthenticatePost verifies the SigV4 signature of a browser-based POST
// upload: the form's signature fields f over its base64 policy document.
// The access key (and session token, for temporary credentials) is looked
// up exactly as for any other request, so sessions and their policies apply
// alike. Errors are sigv4 sentinels or this package's, wrapped.
func (a *Authenticator) AuthenticatePost(ctx context.Context, f sigv4.PostForm, policy string) (Result, error) {
	sig, err := sigv4.ParsePost(f)
	if err != nil {
		return Result{}, err
	}
	return a.authenticatePost(ctx, sig, func(secret string) error { return a.verifier.VerifyPost(sig, policy, secret) })
}

// AuthenticatePostV2 verifies the Signature Version 2 signature of a
// browser-based POST upload (AWSAccessKeyId, signature) over its base64
// policy document, with the same credential lookup as AuthenticatePost.
func (a *Authenticator) AuthenticatePostV2(ctx context.Context, f sigv4.PostFormV2, policy string) (Result, error) {
	sig, err := sigv4.ParsePostV2(f)
	if err != nil {
		return Result{}, err
	}
	return a.authenticatePost(ctx, sig, func(secret string) error { return a.verifier.VerifyPostV2(sig, policy, secret) })
}

// authenticatePost looks up the form's access key and session token and
// verifies its signature with the secret found.
func (a *Authenticator) authenticatePost(ctx context.Context, sig *sigv4.Request, verify func(secret string) error) (Result, error) {
	id, secret, err := a.creds.Lookup(ctx, sig.AccessKey, sig.SecurityToken)
	if err != nil {
		return Result{}, err
	}
	if err := verify(secret); err != nil {
		return Result{}, err
	}
	return Result{Identity: id, Sig: sig}, nil
}
