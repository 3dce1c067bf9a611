package oidc

import (
	"context"
	"slices"
	"strings"
	"time"
)

// VerifyForRole checks token for AssumeRoleWithWebIdentity with the ARN of
// an IAM role, whose trust policy then decides: the provider is the one
// whose issuer is the token's iss, among the providers created through the
// IAM API and the configured ones (whose issuer is the discovered one, or
// SESAME_IDENTITY_OPENID_ISSUER; a bare MINIO_IAM_JWKS_URL without it has
// none and is never selected). The checks are Verify's, with this audience
// rule: aud contains one of the provider's client ids, or azp equals one;
// a provider without client ids accepts no token. No policy claim is read
// (Identity.Policies and PolicyErr stay nil), a malformed amr is refused,
// and ProviderARN and ConditionPrefix are always set.
//
// Among several providers with the token's issuer, the first that accepts
// the token's audience checks it, those of the IAM API first. A provider
// of the IAM API whose first key fetch is under way is waited for, up to
// FetchTimeout. Errors are as Verify's; no provider with the token's
// issuer is ErrNoProvider.
func (s *Set) VerifyForRole(ctx context.Context, token string) (*Identity, error) {
	if s.Empty() {
		return nil, tokenErr(ErrNoProvider, CheckProvider, "no OpenID Connect provider exists: create one with CreateOpenIDConnectProvider")
	}
	t, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	p, err := s.selectForRole(t)
	if err != nil {
		return nil, err
	}
	if p.fromIAM {
		p.awaitFirstFetch(ctx)
	}
	return p.verifyNamed(ctx, t, forRole)
}

// selectForRole picks the provider whose issuer is t's iss, a trailing
// slash aside (the provider then checks iss exactly): among several, the
// first whose client ids t's aud or azp names, else the first; the IAM
// API's before the configured ones.
func (s *Set) selectForRole(t *rawToken) (*provider, error) {
	iss, _, ok := stringClaim(t.claims, "iss")
	switch {
	case !ok:
		return nil, tokenErr(ErrInvalidToken, CheckIssuer, "iss is not a string")
	case iss == "":
		return nil, tokenErr(ErrInvalidToken, CheckIssuer, "the token has no iss to select its OpenID Connect provider")
	}
	want := strings.TrimSuffix(iss, "/")
	var matches []*provider
	for _, list := range [][]*provider{s.iamProviders(), s.providers} {
		for _, p := range list {
			if is := p.issuer(); is != "" && strings.TrimSuffix(is, "/") == want {
				matches = append(matches, p)
			}
		}
	}
	if len(matches) == 0 {
		reason := "no OpenID Connect provider has the issuer %s: create one with CreateOpenIDConnectProvider and this URL"
		for _, p := range s.providers {
			if p.issuer() == "" {
				reason += " (the MINIO_IAM_JWKS_URL provider has no issuer; set SESAME_IDENTITY_OPENID_ISSUER to use it with IAM roles)"
			}
		}
		return nil, tokenErr(ErrNoProvider, CheckProvider, reason, quote(iss))
	}
	aud, _ := audience(t.claims)
	azp, _ := t.claims["azp"].(string)
	for _, p := range matches {
		if namesAudience(aud, azp, p.audiences()) {
			return p, nil
		}
	}
	return matches[0], nil
}

// checkRoleAudience applies the role path's audience rule (see
// VerifyForRole).
func (p *provider) checkRoleAudience(aud []string, azp string) error {
	ids := p.audiences()
	switch {
	case len(ids) == 0 && p.fromIAM:
		return tokenErr(ErrInvalidToken, CheckAudience, "the OpenID Connect provider has no client id (audience), so it accepts no token; add one with AddClientIDToOpenIDConnectProvider")
	case len(ids) == 0:
		return tokenErr(ErrInvalidToken, CheckAudience, "the provider has no client id (%s), so it accepts no token for an IAM role", envName(keyClientID, p.cfg.Name))
	case !namesAudience(aud, azp, ids):
		return tokenErr(ErrInvalidToken, CheckAudience, "neither aud nor azp names a client id of the provider")
	}
	return nil
}

// audiences returns the client ids that a token's aud or azp must name for
// the provider to accept it on the role path: an IAM provider's client
// ids, or a configured provider's client id.
func (p *provider) audiences() []string {
	if p.fromIAM {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.clientIDs
	}
	if p.cfg.ClientID == "" {
		return nil
	}
	return []string{p.cfg.ClientID}
}

// namesAudience reports whether aud contains one of ids or azp is one.
func namesAudience(aud []string, azp string, ids []string) bool {
	for _, id := range ids {
		if slices.Contains(aud, id) || azp == id {
			return true
		}
	}
	return false
}

// awaitFirstFetch waits, up to FetchTimeout or the end of ctx, for the
// first key fetch of a provider just added, so that a token presented
// right after CreateOpenIDConnectProvider need not fail.
func (p *provider) awaitFirstFetch(ctx context.Context) {
	p.mu.Lock()
	f := p.inflight
	wait := !p.ready && f != nil
	p.mu.Unlock()
	if !wait {
		return
	}
	timer := time.NewTimer(FetchTimeout)
	defer timer.Stop()
	select {
	case <-f.done:
	case <-ctx.Done():
	case <-timer.C:
	}
}

// ConditionKeys returns the trust policy condition keys that the token
// sets, as AWS sets them for OpenID Connect federation, keyed by
// ConditionPrefix: <prefix>:sub (sub); <prefix>:aud, which is azp when the
// token has one and aud otherwise; <prefix>:oaud (aud), only when the token
// has an azp; <prefix>:amr (amr), when present. It is empty when
// ConditionPrefix is.
func (id *Identity) ConditionKeys() map[string][]string {
	out := map[string][]string{}
	if id.ConditionPrefix == "" {
		return out
	}
	k := id.ConditionPrefix + ":"
	out[k+"sub"] = []string{id.Subject}
	if id.AuthorizedParty != "" {
		out[k+"aud"] = []string{id.AuthorizedParty}
		if len(id.Audience) > 0 {
			out[k+"oaud"] = slices.Clone(id.Audience)
		}
	} else if len(id.Audience) > 0 {
		out[k+"aud"] = slices.Clone(id.Audience)
	}
	if len(id.AMR) > 0 {
		out[k+"amr"] = slices.Clone(id.AMR)
	}
	return out
}
