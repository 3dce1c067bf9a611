package iamapi

import (
	"context"
	"errors"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/iam"
)

// Credentials returns an auth.Credentials that finds access keys (the root
// credentials included) in svc. An unknown or inactive key, or a key of a
// deleted user, is auth.ErrInvalidAccessKeyID.
func Credentials(svc *iam.Service) auth.Credentials {
	return credentials{svc: svc}
}

type credentials struct {
	svc *iam.Service
}

var _ auth.Credentials = credentials{}

// Lookup implements auth.Credentials.
func (c credentials) Lookup(ctx context.Context, accessKey string) (auth.Identity, string, error) {
	p, secret, err := c.svc.LookupAccessKey(ctx, accessKey)
	if errors.Is(err, iam.ErrNoSuchEntity) {
		return auth.Identity{}, "", auth.ErrInvalidAccessKeyID
	}
	if err != nil {
		return auth.Identity{}, "", err
	}
	return auth.Identity{AccessKey: p.AccessKey, Name: p.User, UserID: p.UserID, Root: p.Root}, secret, nil
}
