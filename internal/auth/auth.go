// Package auth turns an HTTP request into an authenticated Identity.
//
// Flow: sigv4.Parse finds the request's signature (header or presigned
// query); the access key is looked up in a Credentials source; the signature
// is verified with the secret found there; finally the request body is
// replaced by a reader that enforces the signed payload hash (or decodes and
// verifies aws-chunked streaming payloads), so handlers read r.Body as usual
// and get an error instead of io.EOF if the payload was tampered with.
//
// A request with no signature at all is anonymous; whether anonymous access is
// allowed is decided by authorization, not here.
package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// Errors of credential lookup.
var (
	// ErrInvalidAccessKeyID is returned when the access key is unknown,
	// inactive, or belongs to a disabled user.
	ErrInvalidAccessKeyID = errors.New("auth: the access key ID does not exist")
	// ErrInvalidToken is returned when a session token does not unseal, was
	// issued for another access key, or was revoked.
	ErrInvalidToken = errors.New("auth: the security token is invalid")
	// ErrExpiredToken is returned when a session token has expired.
	ErrExpiredToken = errors.New("auth: the security token has expired")
)

// Identity is who made a request: an IAM principal (root, a user,
// temporary credentials with their session, or nobody: Anonymous).
type Identity struct {
	iam.Principal
}

// Credentials finds the secret key and identity behind an access key and,
// for temporary credentials, its session token.
type Credentials interface {
	Lookup(ctx context.Context, accessKey, sessionToken string) (id Identity, secretKey string, err error)
}

// IAM returns the Credentials of an IAM service: long-term keys (root
// included) and sealed session tokens.
func IAM(svc *iam.Service) Credentials { return iamCredentials{svc} }

type iamCredentials struct{ svc *iam.Service }

func (c iamCredentials) Lookup(ctx context.Context, accessKey, token string) (Identity, string, error) {
	var (
		p      iam.Principal
		secret string
		err    error
	)
	if token != "" {
		p, secret, err = c.svc.LookupSession(ctx, accessKey, token)
	} else {
		p, secret, err = c.svc.LookupAccessKey(ctx, accessKey)
	}
	switch {
	case errors.Is(err, iam.ErrNoSuchEntity):
		return Identity{}, "", ErrInvalidAccessKeyID
	case errors.Is(err, iam.ErrExpiredToken):
		return Identity{}, "", ErrExpiredToken
	case errors.Is(err, iam.ErrInvalidToken):
		return Identity{}, "", fmt.Errorf("%w: %v", ErrInvalidToken, err)
	case err != nil:
		return Identity{}, "", err
	}
	return Identity{Principal: p}, secret, nil
}

// Authenticator verifies SigV4 requests against a Credentials source.
type Authenticator struct {
	verifier *sigv4.Verifier
	creds    Credentials
}

// New returns an Authenticator.
func New(v *sigv4.Verifier, creds Credentials) *Authenticator {
	return &Authenticator{verifier: v, creds: creds}
}

// Result is a successful authentication.
type Result struct {
	Identity Identity
	// Sig is the parsed signature; nil for anonymous requests.
	Sig *sigv4.Request
}

// Authenticate verifies r. On success it replaces r.Body with a verifying
// reader and sets r.ContentLength to the decoded payload length. Errors are
// sigv4 sentinels or this package's, wrapped.
func (a *Authenticator) Authenticate(r *http.Request) (Result, error) {
	sig, err := sigv4.Parse(r)
	if errors.Is(err, sigv4.ErrNoAuth) {
		return Result{Identity: Identity{Principal: iam.Principal{Anonymous: true}}}, nil
	}
	if err != nil {
		return Result{}, err
	}
	id, secret, err := a.creds.Lookup(r.Context(), sig.AccessKey, sig.SecurityToken)
	if err != nil {
		return Result{}, err
	}
	if err := a.verifier.Verify(r, sig, secret); err != nil {
		return Result{}, err
	}
	body, size, err := a.verifier.Body(r, sig, secret)
	if err != nil {
		return Result{}, fmt.Errorf("auth: payload: %w", err)
	}
	r.Body = readCloser{Reader: body, Closer: r.Body}
	r.ContentLength = size
	return Result{Identity: id, Sig: sig}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Trailer returns the trailing headers of an aws-chunked body once it has
// been read to its end (nil for any other body), so that the S3 layer can
// store the trailing checksum the body carried.
func (r readCloser) Trailer() http.Header {
	if t, ok := r.Reader.(interface{ Trailer() http.Header }); ok {
		return t.Trailer()
	}
	return nil
}
