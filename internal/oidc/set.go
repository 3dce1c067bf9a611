package oidc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options are the dependencies and timings of a Set. The zero value is
// ready for production.
type Options struct {
	// HTTPClient fetches discovery documents, keys and userinfo. Default: a
	// client with a FetchTimeout timeout. Every request also has its own
	// FetchTimeout deadline.
	HTTPClient *http.Client
	// Logger receives fetch failures and warnings; never tokens. Default:
	// discard.
	Logger *slog.Logger
	// Now is the clock for token times and the refetch rate limit. Default
	// time.Now.
	Now func() time.Time
	// RefreshMin is the shortest gap between two key fetches that an
	// unknown kid may cause (default 5 s); tests shorten it.
	RefreshMin time.Duration
	// OnFetch, when set, is told of every fetch of a provider's discovery
	// document and keys (start-up, refresh, an unknown kid), by provider
	// name ("openid" for the un-suffixed one), with its error; for metrics.
	OnFetch func(provider string, err error)
	// RetryMin and RetryMax bound the exponential backoff of the background
	// fetch after a failure (default 1 s and 1 min); tests shorten them.
	RetryMin, RetryMax time.Duration
	// AccountID is the account of the OpenID Connect provider ARNs
	// (Identity.ProviderARN); default DefaultAccountID.
	AccountID string
	// Leeway is the clock skew allowed on a token's exp, nbf and iat
	// (SESAME_IDENTITY_OPENID_CLOCK_SKEW); zero means Leeway, negative
	// none. At most MaxLeeway.
	Leeway time.Duration
}

// Default timings of Options.
const (
	DefaultRefreshMin = 5 * time.Second
	DefaultRetryMin   = time.Second
	DefaultRetryMax   = time.Minute
)

// Set is the OpenID providers, each with its own cached keys: the
// configured ones, fixed by Open, and those created through the IAM API,
// replaced by SetIAMProviders. It is safe for concurrent use. Close stops
// its background fetches.
type Set struct {
	providers []*provider // the configured ones
	byARN     map[string]*provider
	claim     *provider // the claim-based provider, if any

	iamMu     sync.Mutex                  // serializes SetIAMProviders
	iam       atomic.Pointer[[]*provider] // the IAM API's; the slice is never modified
	accountID string
	leeway    time.Duration

	client                         *http.Client
	log                            *slog.Logger
	now                            func() time.Time
	refreshMin, retryMin, retryMax time.Duration
	onFetch                        func(provider string, err error)

	ctx    context.Context // cancelled by Close; background fetches use it
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup
}

// Identity is what a verified token says about its bearer.
type Identity struct {
	// Provider is the name of the provider that verified the token: a
	// configured provider's name ("" for the un-suffixed one), or the ARN
	// of a provider created through the IAM API.
	Provider string
	// ProviderARN is the ARN of the OpenID Connect provider of the token's
	// issuer, arn:aws:iam::<account>:oidc-provider/<ConditionPrefix>, what
	// a trust policy's "Principal": {"Federated": ...} names; for a
	// configured provider too. "" when the provider has no issuer (a bare
	// MINIO_IAM_JWKS_URL without SESAME_IDENTITY_OPENID_ISSUER).
	ProviderARN string
	// ConditionPrefix is the issuer without its scheme and trailing slash
	// (host[/path]), the prefix of the trust policy condition keys
	// <prefix>:sub, <prefix>:aud, <prefix>:oaud and <prefix>:amr
	// (ConditionKeys); "" like ProviderARN.
	ConditionPrefix string
	// RoleARN is set, by Verify only, when that provider is in
	// role-policy mode.
	RoleARN string
	// Issuer and Subject are the token's iss and sub. For Verify only, a
	// token without sub (a client-credentials access token such as
	// WSO2's) has its client as Subject: its azp, else its client_id
	// claim; SubjectClaim names the claim Subject came from.
	Issuer, Subject string
	SubjectClaim    string
	// Audience is the token's aud.
	Audience []string
	// AuthorizedParty is the token's azp ("" when absent). When present,
	// it is what the condition key <prefix>:aud sees, as in AWS (and aud
	// is <prefix>:oaud); see ConditionKeys.
	AuthorizedParty string
	// AMR is the token's amr (authentication methods): an array of
	// strings, or a string taken as a list of one.
	AMR []string
	// SessionTags and TransitiveTagKeys are the session tags the token's
	// https://aws.amazon.com/tags claim names (VerifyForRole only):
	// {"principal_tags": {"key": ["value"]}, "transitive_tag_keys": [...]}.
	SessionTags       map[string]string
	TransitiveTagKeys []string
	// Expiry is the token's exp.
	Expiry time.Time
	// MaxDuration is the longest session the provider's administrator
	// allows (ProviderConfig.MaxDuration); zero: no cap of its own.
	MaxDuration time.Duration
	// Policies are the policy names from the claim, or the role policies;
	// nil from VerifyForRole, which reads no policy claim.
	Policies []string
	// PolicyErr is set when a claim-based provider's token names no
	// policy: no policy claim, an empty one, or one of the wrong type (an
	// ErrRejectedClaim *TokenError). Whether that refuses the token is the
	// IAM service's decision: with OPA, which reads the claims, it does not.
	PolicyErr error
	// Claims are the token's claims (with userinfo's, when
	// ClaimUserinfo is on), flattened for ${jwt:...} policy variables.
	// Keys are spelt as in the token.
	Claims map[string][]string
}

// Open validates cfgs and starts one key cache per provider. It tries the
// first fetch of every provider at once and waits for them (each request
// times out after FetchTimeout), but never fails because an IdP is down:
// the fetch is retried in the background, and Verify answers
// ErrCommunication for that provider until it succeeds. Open with no
// providers is cheap (no goroutine, no request) and returns an empty Set,
// ready for SetIAMProviders. It fails on an invalid configuration or when
// ctx ends first.
func Open(ctx context.Context, cfgs []ProviderConfig, opts Options) (*Set, error) {
	cfgs = slices.Clone(cfgs)
	for i := range cfgs {
		if cfgs[i].ClaimName == "" {
			cfgs[i].ClaimName = DefaultClaimName
		}
		cfgs[i].RolePolicy = trimAll(cfgs[i].RolePolicy)
	}
	if err := validate(cfgs); err != nil {
		return nil, err
	}
	s := &Set{
		byARN:      map[string]*provider{},
		accountID:  opts.AccountID,
		client:     opts.HTTPClient,
		log:        opts.Logger,
		now:        opts.Now,
		refreshMin: opts.RefreshMin, onFetch: opts.OnFetch,
		retryMin: opts.RetryMin,
		retryMax: opts.RetryMax,
	}
	if s.accountID == "" {
		s.accountID = DefaultAccountID
	}
	switch s.leeway = opts.Leeway; {
	case s.leeway == 0:
		s.leeway = Leeway
	case s.leeway < 0:
		s.leeway = 0
	case s.leeway > MaxLeeway:
		return nil, configErr("%s=%v: at most %v", EnvClockSkew, opts.Leeway, MaxLeeway)
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: FetchTimeout}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.refreshMin <= 0 {
		s.refreshMin = DefaultRefreshMin
	}
	if s.retryMin <= 0 {
		s.retryMin = DefaultRetryMin
	}
	if s.retryMax < s.retryMin {
		s.retryMax = max(DefaultRetryMax, s.retryMin)
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, c := range cfgs {
		p := newProvider(s, c)
		s.providers = append(s.providers, p)
		if p.arn != "" {
			s.byARN[p.arn] = p
		} else {
			s.claim = p
		}
	}
	flights := make([]*flight, len(s.providers))
	for i, p := range s.providers {
		p.mu.Lock()
		flights[i] = p.startFetchLocked()
		p.mu.Unlock()
	}
	for i, f := range flights {
		select {
		case <-f.done:
		case <-ctx.Done():
			s.Close()
			return nil, ctx.Err()
		}
		if f.err != nil {
			s.log.Warn("oidc: identity provider unreachable at start-up; retrying in the background",
				slog.String("provider", s.providers[i].cfg.Name), slog.Any("error", f.err))
		}
	}
	for i, p := range s.providers {
		s.spawn(func() { p.loop(flights[i]) })
	}
	for _, w := range Warnings(cfgs) {
		s.log.Warn("oidc: " + w)
	}
	return s, nil
}

// Warnings lists the checks that cfgs leave off, each with the variable
// that turns it on: only MinIO's legacy MINIO_IAM_JWKS_URL setup can skip
// the issuer check (no SESAME_IDENTITY_OPENID_ISSUER) and the audience
// check (no MINIO_IDENTITY_OPENID_CLIENT_ID). Open logs them at start-up.
func Warnings(cfgs []ProviderConfig) []string {
	var out []string
	for _, c := range cfgs {
		if c.JWKSURL == "" {
			continue
		}
		if c.Issuer == "" {
			out = append(out, fmt.Sprintf("%s without %s: the tokens' issuer (iss) is NOT checked; set %s to the issuer's URL",
				envLegacyJWKSURL, envIssuer, envIssuer))
		}
		if c.ClientID == "" {
			out = append(out, fmt.Sprintf("%s without %s: the tokens' audience (aud/azp) is NOT checked, so a token the identity provider issued to any client is accepted; set %s",
				envLegacyJWKSURL, envName(keyClientID, c.Name), envName(keyClientID, c.Name)))
		}
	}
	return out
}

func trimAll(list []string) []string {
	var out []string
	for _, s := range list {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// spawn runs f in a goroutine that Close waits for; false once closed.
func (s *Set) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// Close stops the background fetches, those of the IAM API's providers
// too, and waits for them. It is safe to call more than once; Verify and
// VerifyForRole keep working with the cached keys, and SetIAMProviders
// does nothing.
func (s *Set) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// Empty reports whether the set has no provider, neither configured nor
// created through the IAM API (a nil Set is empty).
func (s *Set) Empty() bool {
	return s == nil || len(s.providers) == 0 && len(s.iamProviders()) == 0
}

// RoleARNs returns the role ARN of each role-policy provider, by provider
// name ("" for the un-suffixed one), for the caller to print at start-up.
// See ProviderConfig and roleARN for how the ARN is derived.
func (s *Set) RoleARNs() map[string]string {
	out := map[string]string{}
	if s == nil {
		return out
	}
	for _, p := range s.providers {
		if p.arn != "" {
			out[p.cfg.Name] = p.arn
		}
	}
	return out
}

// Verify checks token, selects its provider among the configured ones and
// returns the identity it proves, with the policies its claim or its
// role-policy provider names: MinIO's way. roleARN is the request's
// RoleArn ("" when absent). The providers created through the IAM API
// are VerifyForRole's only. Every error is a *TokenError wrapping
// ErrInvalidToken, ErrExpiredToken, ErrRejectedClaim, ErrCommunication or
// ErrNoProvider; see the package documentation for the order of the
// checks.
func (s *Set) Verify(ctx context.Context, token, roleARN string) (*Identity, error) {
	if s == nil || len(s.providers) == 0 {
		reason := "no OpenID Connect provider is configured on this server (set MINIO_IDENTITY_OPENID_CONFIG_URL)"
		if !s.Empty() {
			reason += "; the providers created through the IAM API verify tokens for IAM roles only (RoleArn arn:aws:iam::" + s.accountID + ":role/NAME)"
		}
		return nil, tokenErr(ErrNoProvider, CheckProvider, "%s", reason)
	}
	t, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	p, err := s.selectProvider(roleARN, t)
	if err != nil {
		return nil, err
	}
	return p.verifyNamed(ctx, t, forPolicies)
}

// purpose says which of its two callers a provider verifies a token for.
type purpose int

const (
	forPolicies purpose = iota // Verify: the policies come from the token or the provider
	forRole                    // VerifyForRole: a role's trust policy decides
)

// verifyNamed is verify, with the provider's name in its TokenError.
func (p *provider) verifyNamed(ctx context.Context, t *rawToken, why purpose) (*Identity, error) {
	id, err := p.verify(ctx, t, why)
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) {
			te.Provider = p.cfg.Name
		}
		return nil, err
	}
	return id, nil
}

// selectProvider picks the provider that checks t:
//  1. the role-policy provider whose ARN is roleARN;
//  2. an unknown roleARN is an error unless a claim-based provider exists
//     (AWS SDKs always send one), in which case it is ignored;
//  3. the provider whose issuer is the token's iss; among several, the one
//     whose client id the token's aud or azp names, else the claim-based
//     one;
//  4. the claim-based provider; or the only provider.
func (s *Set) selectProvider(roleARN string, t *rawToken) (*provider, error) {
	if roleARN != "" {
		if p := s.byARN[roleARN]; p != nil {
			return p, nil
		}
		if s.claim == nil {
			return nil, tokenErr(ErrNoProvider, CheckProvider, "RoleArn %s names no role-policy provider", quote(roleARN))
		}
	}
	iss, _ := t.claims["iss"].(string)
	var matches []*provider
	if iss != "" {
		for _, p := range s.providers {
			if p.issuer() == iss {
				matches = append(matches, p)
			}
		}
	}
	switch len(matches) {
	case 0:
		if s.claim != nil {
			return s.claim, nil
		}
		if len(s.providers) == 1 {
			return s.providers[0], nil
		}
		return nil, tokenErr(ErrInvalidToken, CheckIssuer, "iss %s is the issuer of no configured provider; pass the RoleArn of a role-policy provider", quote(iss))
	case 1:
		return matches[0], nil
	}
	var named []*provider
	for _, p := range matches {
		if namesClient(t.claims, p.cfg.ClientID) {
			named = append(named, p)
		}
	}
	if len(named) == 1 {
		return named[0], nil
	}
	if len(named) > 1 {
		matches = named
	}
	if s.claim != nil && slices.Contains(matches, s.claim) {
		return s.claim, nil
	}
	return nil, tokenErr(ErrInvalidToken, CheckProvider, "iss %s is the issuer of several providers; pass RoleArn to choose one", quote(iss))
}

// namesClient reports whether the token's aud contains clientID or its azp
// equals it.
func namesClient(claims map[string]any, clientID string) bool {
	if clientID == "" {
		return false
	}
	aud, _ := audience(claims)
	azp, _ := claims["azp"].(string)
	return slices.Contains(aud, clientID) || azp == clientID
}

// verify runs the provider's checks on t, cheapest first: the algorithm
// against the provider, key readiness, iss, aud/azp, exp, nbf, iat, sub
// (and amr for a role), then the key lookup (which may refetch) and the
// signature; then userinfo and, for Verify, the policies.
func (p *provider) verify(ctx context.Context, t *rawToken, why purpose) (*Identity, error) {
	if isHMAC(t.alg) && p.cfg.ClientSecret == "" {
		return nil, tokenErr(ErrInvalidToken, CheckAlg, "alg %s needs a client secret to verify it, and this provider has none", t.alg)
	}
	p.mu.Lock()
	ready, meta, lastErr := p.ready, p.meta, p.lastErr
	p.mu.Unlock()
	if !ready {
		reason := "the first fetch is still under way"
		if lastErr != nil {
			reason = lastErr.Error()
		}
		e := tokenErr(ErrCommunication, CheckKeys, "the identity provider's keys have not been fetched yet: %s", reason)
		e.Cause = lastErr
		return nil, e
	}

	iss, _, ok := stringClaim(t.claims, "iss")
	if !ok {
		return nil, tokenErr(ErrInvalidToken, CheckIssuer, "iss is not a string")
	}
	// meta.Issuer is "" only for a MINIO_IAM_JWKS_URL provider without
	// SESAME_IDENTITY_OPENID_ISSUER, which Open warned about (Warnings).
	if meta.Issuer != "" && iss != meta.Issuer {
		return nil, tokenErr(ErrInvalidToken, CheckIssuer, "iss %s is not the provider's issuer %s", quote(iss), quote(meta.Issuer))
	}

	aud, ok := audience(t.claims)
	if !ok {
		return nil, tokenErr(ErrInvalidToken, CheckAudience, "aud is neither a string nor an array of strings")
	}
	azp, _, ok := stringClaim(t.claims, "azp")
	if !ok {
		return nil, tokenErr(ErrInvalidToken, CheckAudience, "azp is not a string")
	}
	if why == forRole || p.fromIAM {
		if err := p.checkRoleAudience(aud, azp); err != nil {
			return nil, err
		}
	} else if id := p.cfg.ClientID; id != "" && !slices.Contains(aud, id) && azp != id {
		// ClientID is "" only for a MINIO_IAM_JWKS_URL provider, which Open
		// warned about (Warnings); discovery providers require it.
		return nil, tokenErr(ErrInvalidToken, CheckAudience, "neither aud nor azp names the client id %s", quote(id))
	}

	now, leeway := p.set.now(), p.set.leeway
	exp, present, ok := numericDate(t.claims, "exp")
	switch {
	case !present:
		return nil, tokenErr(ErrInvalidToken, CheckExpiry, "the token has no exp")
	case !ok:
		return nil, tokenErr(ErrInvalidToken, CheckExpiry, "exp is not a valid NumericDate")
	case now.After(exp.Add(leeway)):
		return nil, tokenErr(ErrExpiredToken, CheckExpiry, "the token expired at %s, %v before this server's clock (%v of clock skew allowed, %s)",
			exp.Format(time.RFC3339), now.Sub(exp).Round(time.Second), leeway, EnvClockSkew)
	}
	if nbf, present, ok := numericDate(t.claims, "nbf"); present {
		if !ok {
			return nil, tokenErr(ErrInvalidToken, CheckNotBefore, "nbf is not a valid NumericDate")
		}
		if nbf.After(now.Add(leeway)) {
			return nil, tokenErr(ErrInvalidToken, CheckNotBefore, "the token is not valid before %s: %v after this server's clock; check the clocks of this server and the identity provider, or raise %s (now %v)",
				nbf.Format(time.RFC3339), nbf.Sub(now).Round(time.Second), EnvClockSkew, leeway)
		}
	}
	if iat, present, ok := numericDate(t.claims, "iat"); present {
		if !ok {
			return nil, tokenErr(ErrInvalidToken, CheckIssuedAt, "iat is not a valid NumericDate")
		}
		if iat.After(now.Add(leeway)) {
			return nil, tokenErr(ErrInvalidToken, CheckIssuedAt, "the token claims to be issued at %s: %v after this server's clock; check the clocks of this server and the identity provider, or raise %s (now %v)",
				iat.Format(time.RFC3339), iat.Sub(now).Round(time.Second), EnvClockSkew, leeway)
		}
	}
	sub, _, ok := stringClaim(t.claims, "sub")
	if !ok {
		return nil, tokenErr(ErrInvalidToken, CheckSubject, "sub is not a string")
	}
	// --- login: a client-credentials access token without sub (WSO2's,
	// MinIO's seed sample) names its client instead; see subjectOf.
	subject, subjectClaim := sub, "sub"
	if sub == "" && why == forPolicies {
		subject, subjectClaim = subjectOf(t.claims)
	}
	if subject == "" {
		return nil, tokenErr(ErrInvalidToken, CheckSubject, "the token has no sub")
	}
	// --- end login.
	amr, amrOK := stringList(t.claims, "amr")
	if !amrOK && why == forRole {
		// A trust policy may test amr: a malformed one must not read as
		// none.
		return nil, tokenErr(ErrInvalidToken, CheckAMR, "amr is neither a string nor an array of strings")
	}

	payload, err := p.verifySignature(ctx, t)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(payload, t.payload) {
		return nil, tokenErr(ErrInvalidToken, CheckSignature, "the signed payload differs from the parsed one")
	}

	claims := t.claims
	if p.cfg.ClaimUserinfo {
		info, err := userinfo(ctx, p.set.client, meta.UserinfoEndpoint, t.raw)
		var se *statusError
		switch {
		case errors.As(err, &se) && (se.code == http.StatusUnauthorized || se.code == http.StatusForbidden):
			e := tokenErr(ErrInvalidToken, CheckUserinfo, "the userinfo endpoint refused the token (HTTP %d)", se.code)
			e.Cause = err
			return nil, e
		case err != nil:
			e := tokenErr(ErrCommunication, CheckUserinfo, "%v", err)
			e.Cause = err
			return nil, e
		}
		if infoSub, _ := info["sub"].(string); infoSub != sub {
			return nil, tokenErr(ErrInvalidToken, CheckUserinfo, "the userinfo sub %s is not the token's sub %s", quote(infoSub), quote(sub))
		}
		claims = mergeUserinfo(claims, info)
	}

	id := &Identity{
		MaxDuration:     p.cfg.MaxDuration,
		Provider:        p.cfg.Name,
		RoleARN:         p.arn,
		Issuer:          iss,
		Subject:         subject,
		SubjectClaim:    subjectClaim,
		Audience:        aud,
		AuthorizedParty: azp,
		AMR:             amr,
		Expiry:          exp,
		Claims:          flattenClaims(claims),
	}
	// meta.Issuer, when set, is the token's iss, checked above; a token
	// of a provider without an issuer names none that can be trusted.
	if meta.Issuer != "" {
		id.ProviderARN = ProviderARN(p.set.accountID, meta.Issuer)
		id.ConditionPrefix = ConditionPrefix(meta.Issuer)
	}
	switch {
	case why == forRole:
		id.RoleARN = ""
		if id.SessionTags, id.TransitiveTagKeys, err = sessionTags(claims); err != nil {
			return nil, err
		}
	case p.arn != "":
		id.Policies = slices.Clone(p.cfg.RolePolicy)
	default:
		if id.Policies, err = policyClaim(claims, p.cfg.ClaimPrefix, p.cfg.ClaimName); err != nil {
			var te *TokenError
			if errors.As(err, &te) {
				te.Provider = p.cfg.Name
			}
			id.PolicyErr = err
		}
	}
	return id, nil
}
