package iam

import (
	"context"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// OpenID Connect providers. An IAM OpenID Connect provider names an issuer
// whose identity tokens roles may trust; its ARN is
// arn:aws:iam::000000000000:oidc-provider/<host>[/<path>], the issuer URL
// without its scheme and trailing slash, which is also its store key, so
// one URL makes one provider. The providers live in the snapshot like
// everything else: OIDCProviders reads them, and Subscribe tells when they
// may have changed, so the package that verifies tokens can follow
// providers created or deleted on any node without a restart.
//
// ThumbprintList is accepted and kept, as AWS requires it of older
// clients, but not used: Sesame verifies a token with the keys of the
// provider's JWKS fetched over TLS that it verifies the usual way.

// Limits of OpenID Connect providers, as AWS IAM sets them.
const (
	MaxOIDCProviderURLLength = 255
	MaxClientIDs             = 100 // per provider
	MaxClientIDLength        = 255
	MaxThumbprints           = 5 // per provider
	thumbprintLength         = 40
)

const oidcProviderARNPrefix = "arn:aws:iam::" + AccountID + ":oidc-provider/"

// providerKey returns the ARN resource of the provider at rawURL: the URL
// without its scheme and trailing slash. rawURL must be valid
// (checkProviderURL).
func providerKey(rawURL string) string {
	_, rest, _ := strings.Cut(rawURL, "://")
	return strings.TrimSuffix(rest, "/")
}

// checkProviderURL validates an issuer URL: https:// (or http://, which
// the caller warns about), a host, an optional path, no user
// information, query or fragment, at most MaxOIDCProviderURLLength
// characters.
func checkProviderURL(rawURL string) error {
	if n := utf8.RuneCountInString(rawURL); n < 1 || n > MaxOIDCProviderURLLength {
		return errorf(ErrInvalidInput, "the provider URL must be 1 to %d characters", MaxOIDCProviderURLLength)
	}
	if !strings.HasPrefix(rawURL, "https://") && !strings.HasPrefix(rawURL, "http://") {
		return errorf(ErrInvalidInput, "the provider URL %s must begin with https://", rawURL)
	}
	u, err := url.Parse(rawURL)
	switch {
	case err != nil:
		return errorf(ErrInvalidInput, "the provider URL %s is not a URL", rawURL)
	case u.Host == "" || u.Hostname() == "":
		return errorf(ErrInvalidInput, "the provider URL %s has no host", rawURL)
	case u.User != nil, strings.ContainsAny(rawURL, "?#"):
		return errorf(ErrInvalidInput, "the provider URL %s may have a host and a path only, no user, query or fragment", rawURL)
	case strings.ContainsAny(rawURL, " \t\r\n"):
		return errorf(ErrInvalidInput, "the provider URL %s contains white space", rawURL)
	}
	return nil
}

// OIDCProviderARN returns the ARN that the provider at the issuer URL
// rawURL has, or would have: ErrInvalidInput if rawURL is not a valid
// provider URL.
func OIDCProviderARN(rawURL string) (string, error) {
	if err := checkProviderURL(rawURL); err != nil {
		return "", err
	}
	return oidcProviderARNPrefix + providerKey(rawURL), nil
}

// providerKeyOf returns the store key of the provider arn names. The ARN
// must name this account, or no account (arn:aws:iam:::oidc-provider/...).
func providerKeyOf(arn string) (string, error) {
	if key, ok := strings.CutPrefix(CanonicalARN(arn), oidcProviderARNPrefix); ok && key != "" {
		return key, nil
	}
	if acct, key, ok := strings.Cut(strings.TrimPrefix(arn, "arn:aws:iam::"), ":oidc-provider/"); ok &&
		strings.HasPrefix(arn, "arn:aws:iam::") && len(acct) == 12 && key != "" {
		return "", noSuchProvider(arn) // another account's
	}
	return "", errorf(ErrInvalidInput, "%s is not the ARN of an OpenID Connect provider (arn:aws:iam::%s:oidc-provider/<host>[/<path>])", arn, AccountID)
}

func noSuchProvider(arn string) error {
	return errorf(ErrNoSuchEntity, "OpenIDConnect provider not found for arn %s", arn)
}

func checkClientID(id string) error {
	if n := utf8.RuneCountInString(id); n < 1 || n > MaxClientIDLength {
		return errorf(ErrInvalidInput, "a client ID must be 1 to %d characters", MaxClientIDLength)
	}
	return nil
}

// checkThumbprints validates a thumbprint list: at most MaxThumbprints of
// 40 hexadecimal digits (a SHA-1 hash).
func checkThumbprints(list []string) error {
	if len(list) > MaxThumbprints {
		return errorf(ErrLimitExceeded, "cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: %d", MaxThumbprints)
	}
	for _, t := range list {
		if _, err := hex.DecodeString(t); err != nil || len(t) != thumbprintLength {
			return errorf(ErrInvalidInput, "thumbprint %q must be %d hexadecimal digits", t, thumbprintLength)
		}
	}
	return nil
}

// addUnique appends the items of add that list does not hold yet.
func addUnique(list []string, add ...string) []string {
	for _, v := range add {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// CreateOpenIDConnectProvider creates the provider p describes (URL,
// ClientIDs, Thumbprints, Tags; Created is set here). Duplicate client IDs
// and thumbprints are kept once. A URL that another provider has (once its
// trailing slash is ignored) is ErrEntityAlreadyExists. An http:// URL is
// accepted with a warning in the log: the provider's keys would be fetched
// without TLS, fit for labs and tests only.
func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, p OIDCProvider) (OIDCProvider, error) {
	if err := checkProviderURL(p.URL); err != nil {
		return OIDCProvider{}, err
	}
	clientIDs := addUnique(nil, p.ClientIDs...)
	if len(clientIDs) > MaxClientIDs {
		return OIDCProvider{}, errorf(ErrLimitExceeded, "cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", MaxClientIDs)
	}
	for _, id := range clientIDs {
		if err := checkClientID(id); err != nil {
			return OIDCProvider{}, err
		}
	}
	thumbprints := addUnique(nil, p.Thumbprints...)
	if err := checkThumbprints(thumbprints); err != nil {
		return OIDCProvider{}, err
	}
	if err := checkTags(p.Tags, providerTagKeys); err != nil {
		return OIDCProvider{}, err
	}
	out := OIDCProvider{URL: p.URL, ClientIDs: clientIDs, Thumbprints: thumbprints, Tags: slices.Clone(p.Tags), Created: s.now().UTC()}
	key := providerKey(p.URL)
	err := s.write(ctx, func(snap *snapshot) error {
		if existing, ok := snap.oidcProviders[key]; ok {
			return errorf(ErrEntityAlreadyExists, "an OpenID Connect provider with the URL %s already exists", existing.URL)
		}
		return storeErr(put(ctx, s.st, store.KindOIDCProvider, key, &out), "OpenID Connect provider "+out.ARN())
	})
	if err != nil {
		return OIDCProvider{}, err
	}
	if strings.HasPrefix(p.URL, "http://") {
		s.log.Warn("iam: OpenID Connect provider created with an http:// URL: its signing keys would be fetched without TLS, "+
			"which is fit for labs and tests only", "url", p.URL)
	}
	return out.clone(), nil
}

func (p OIDCProvider) clone() OIDCProvider {
	p.ClientIDs = slices.Clone(p.ClientIDs)
	p.Thumbprints = slices.Clone(p.Thumbprints)
	p.Tags = slices.Clone(p.Tags)
	return p
}

// provider returns the provider arn names.
func (snap *snapshot) provider(arn string) (*OIDCProvider, string, error) {
	key, err := providerKeyOf(arn)
	if err != nil {
		return nil, "", err
	}
	p, ok := snap.oidcProviders[key]
	if !ok {
		return nil, "", noSuchProvider(arn)
	}
	return p, key, nil
}

// GetOpenIDConnectProvider returns the provider arn names (this account's,
// or with an empty account field).
func (s *Service) GetOpenIDConnectProvider(_ context.Context, arn string) (OIDCProvider, error) {
	p, _, err := s.snap.Load().provider(arn)
	if err != nil {
		return OIDCProvider{}, err
	}
	return p.clone(), nil
}

// ListOpenIDConnectProviders returns every provider, sorted by ARN.
func (s *Service) ListOpenIDConnectProviders(_ context.Context) []OIDCProvider {
	return s.OIDCProviders()
}

// OIDCProviders returns the providers of the current snapshot, sorted by
// ARN. Subscribe tells when they may have changed.
func (s *Service) OIDCProviders() []OIDCProvider {
	snap := s.snap.Load()
	out := make([]OIDCProvider, 0, len(snap.oidcProviders))
	for _, key := range sortedKeys(snap.oidcProviders) {
		out = append(out, snap.oidcProviders[key].clone())
	}
	return out
}

// DeleteOpenIDConnectProvider deletes the provider arn names. Roles whose
// trust policies name it stay as they are; their web identity sessions
// can no longer be had.
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, arn string) error {
	return s.write(ctx, func(snap *snapshot) error {
		_, key, err := snap.provider(arn)
		if err != nil {
			return err
		}
		return storeErr(s.st.Delete(ctx, store.KindOIDCProvider, key), "OpenID Connect provider "+arn)
	})
}

// updateProvider applies fn to the stored record of the provider arn names.
func (s *Service) updateProvider(ctx context.Context, arn string, fn func(*OIDCProvider) error) error {
	return s.write(ctx, func(snap *snapshot) error {
		_, key, err := snap.provider(arn)
		if err != nil {
			return err
		}
		return storeErr(update(ctx, s.st, store.KindOIDCProvider, key, fn), "OpenID Connect provider "+arn)
	})
}

// AddClientIDToOpenIDConnectProvider adds a client ID (audience) to a
// provider; adding one it has is a no-op, as in AWS.
func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, arn, clientID string) error {
	if err := checkClientID(clientID); err != nil {
		return err
	}
	return s.updateProvider(ctx, arn, func(p *OIDCProvider) error {
		if slices.Contains(p.ClientIDs, clientID) {
			return nil
		}
		if len(p.ClientIDs) >= MaxClientIDs {
			return errorf(ErrLimitExceeded, "cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", MaxClientIDs)
		}
		p.ClientIDs = append(p.ClientIDs, clientID)
		return nil
	})
}

// RemoveClientIDFromOpenIDConnectProvider removes a client ID from a
// provider; removing one it does not have is a no-op, as in AWS.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, arn, clientID string) error {
	if err := checkClientID(clientID); err != nil {
		return err
	}
	return s.updateProvider(ctx, arn, func(p *OIDCProvider) error {
		p.ClientIDs = slices.DeleteFunc(p.ClientIDs, func(id string) bool { return id == clientID })
		return nil
	})
}

// UpdateOpenIDConnectProviderThumbprint replaces a provider's thumbprint
// list (kept, not used: see the top of this file).
func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, arn string, thumbprints []string) error {
	thumbprints = addUnique(nil, thumbprints...)
	if err := checkThumbprints(thumbprints); err != nil {
		return err
	}
	return s.updateProvider(ctx, arn, func(p *OIDCProvider) error {
		p.Thumbprints = thumbprints
		return nil
	})
}

// TagOpenIDConnectProvider adds tags to a provider or replaces the values
// of its tags with the same keys, compared exactly. A provider carries at
// most MaxTags tags.
func (s *Service) TagOpenIDConnectProvider(ctx context.Context, arn string, tags []Tag) error {
	if err := checkTags(tags, providerTagKeys); err != nil {
		return err
	}
	return s.updateProvider(ctx, arn, func(p *OIDCProvider) (err error) {
		p.Tags, err = mergeTags(p.Tags, tags, providerTagKeys)
		return err
	})
}

// UntagOpenIDConnectProvider removes the tags with the given keys, compared
// exactly, from a provider; keys it does not carry are ignored.
func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, arn string, keys []string) error {
	if err := checkTagKeys(keys); err != nil {
		return err
	}
	return s.updateProvider(ctx, arn, func(p *OIDCProvider) error {
		p.Tags = removeTags(p.Tags, keys, providerTagKeys)
		return nil
	})
}

// ListOpenIDConnectProviderTags returns a provider's tags in the order
// they were added.
func (s *Service) ListOpenIDConnectProviderTags(_ context.Context, arn string) ([]Tag, error) {
	p, _, err := s.snap.Load().provider(arn)
	if err != nil {
		return nil, err
	}
	return slices.Clone(p.Tags), nil
}
