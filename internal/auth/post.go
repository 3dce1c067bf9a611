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
	id, secret, err := a.creds.Lookup(ctx, sig.AccessKey, sig.SecurityToken)
	if err != nil {
		return Result{}, err
	}
	if err := a.verifier.VerifyPost(sig, policy, secret); err != nil {
		return Result{}, err
	}
	return Result{Identity: id, Sig: sig}, nil
}
