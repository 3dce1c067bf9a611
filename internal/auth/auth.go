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
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sesame-s3/sesame/internal/sigv4"
)

// ErrInvalidAccessKeyID is returned when the access key is unknown.
var ErrInvalidAccessKeyID = errors.New("auth: the access key ID does not exist")

// Identity is who made a request.
type Identity struct {
	// AccessKey is the key that signed the request; empty when anonymous.
	AccessKey string
	// Name is the account name (the root user's name, a user name, ...).
	Name string
	// UserID is the user's unique id (the root user's name for root).
	UserID string
	// Root is true for the root credentials, which may do everything.
	Root bool
	// Anonymous is true for unsigned requests.
	Anonymous bool
}

// Credentials finds the secret key and identity behind an access key.
type Credentials interface {
	// Lookup returns ErrInvalidAccessKeyID for an unknown key.
	Lookup(ctx context.Context, accessKey string) (id Identity, secretKey string, err error)
}

// Static holds one root credential pair.
type Static struct {
	AccessKey, SecretKey string
}

var _ Credentials = Static{}

// Lookup implements Credentials.
func (s Static) Lookup(_ context.Context, accessKey string) (Identity, string, error) {
	if subtle.ConstantTimeCompare([]byte(accessKey), []byte(s.AccessKey)) != 1 {
		return Identity{}, "", ErrInvalidAccessKeyID
	}
	return Identity{AccessKey: s.AccessKey, Name: s.AccessKey, UserID: s.AccessKey, Root: true}, s.SecretKey, nil
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
// sigv4 sentinels or ErrInvalidAccessKeyID, wrapped.
func (a *Authenticator) Authenticate(r *http.Request) (Result, error) {
	sig, err := sigv4.Parse(r)
	if errors.Is(err, sigv4.ErrNoAuth) {
		return Result{Identity: Identity{Anonymous: true}}, nil
	}
	if err != nil {
		return Result{}, err
	}
	id, secret, err := a.creds.Lookup(r.Context(), sig.AccessKey)
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
