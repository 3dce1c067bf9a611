package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	_ "crypto/sha512" // RS384, RS512
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// provider is one OpenID provider, configured or created through the IAM
// API, with its key cache.
//
// Its keys come from one fetch at a time (a flight): Open or
// SetIAMProviders starts the first, the background loop starts the
// periodic ones and the retries, and a token whose kid is unknown starts
// one if none ran for refreshMin. Every caller that needs fresh keys while
// a flight is under way waits for that flight instead of starting another.
type provider struct {
	cfg  ProviderConfig
	arn  string // role ARN; "" for the claim-based provider
	hint string // issuer implied by ConfigURL, for routing before discovery
	set  *Set
	// ctx ends when the set closes or, for an IAM provider, when
	// SetIAMProviders removes it; its fetches and loop use it.
	ctx    context.Context
	cancel context.CancelFunc // nil for a configured provider
	// fromIAM marks a provider created through the IAM API: its discovery
	// must give the issuer hint (its URL), and its audiences are clientIDs.
	fromIAM bool

	mu        sync.Mutex
	clientIDs []string  // of an IAM provider; SetIAMProviders may change them
	meta      *metadata // nil until discovery succeeded; preset for a bare JWKS URL
	keys      []jose.JSONWebKey
	ready     bool          // keys fetched at least once
	lastErr   error         // of the last fetch; nil after a success
	lastFetch time.Time     // when the last fetch started (Options.Now)
	lifetime  time.Duration // of the current keys (Cache-Control max-age)
	inflight  *flight
	warned    bool // issuer mismatch already logged
}

// flight is one fetch of discovery (when still needed) and keys.
type flight struct {
	done chan struct{}
	err  error // valid after done is closed
}

func newProvider(s *Set, cfg ProviderConfig) *provider {
	p := &provider{cfg: cfg, set: s, ctx: s.ctx, lifetime: DefaultKeyRefresh}
	if len(cfg.RolePolicy) > 0 {
		p.arn = roleARN(cfg)
	}
	if cfg.JWKSURL != "" {
		p.meta = &metadata{JWKSURI: cfg.JWKSURL, Issuer: cfg.Issuer}
	} else {
		p.hint = expectedIssuer(cfg.ConfigURL)
	}
	return p
}

// issuer is the discovered issuer, or the one the discovery URL implies
// until discovery succeeded; "" for a bare JWKS URL.
func (p *provider) issuer() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.meta != nil {
		return p.meta.Issuer
	}
	return p.hint
}

// startFetchLocked starts a flight; p.mu must be held and no flight be
// under way.
func (p *provider) startFetchLocked() *flight {
	f := &flight{done: make(chan struct{})}
	p.inflight = f
	p.lastFetch = p.set.now()
	if p.ctx.Err() != nil || !p.set.spawn(func() { p.runFetch(f) }) {
		p.inflight = nil
		f.err = errClosed
		close(f.done)
	}
	return f
}

var errClosed = errors.New("oidc: the provider set is closed, or the provider was removed")

// joinOrStartLocked returns the flight under way, or starts one. p.mu must
// be held.
func (p *provider) joinOrStartLocked() *flight {
	if p.inflight != nil {
		return p.inflight
	}
	return p.startFetchLocked()
}

// refetchForMiss returns a flight whose keys the caller should look at
// again after an unknown kid: the one under way, or a new one unless a
// fetch started less than RefreshMin ago (then nil).
func (p *provider) refetchForMiss() *flight {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight != nil {
		return p.inflight
	}
	if !p.lastFetch.IsZero() && p.set.now().Sub(p.lastFetch) < p.set.refreshMin {
		return nil
	}
	return p.startFetchLocked()
}

func (p *provider) runFetch(f *flight) {
	err := p.fetch(p.ctx)
	p.mu.Lock()
	p.inflight = nil
	p.lastErr = err
	p.mu.Unlock()
	if err != nil {
		p.set.log.Warn("oidc: fetching the provider's keys failed", slog.String("provider", p.cfg.Name), slog.Any("error", err))
	}
	if p.set.onFetch != nil && !errors.Is(err, errClosed) && !errors.Is(err, context.Canceled) {
		name := p.cfg.Name
		if name == "" {
			name = "openid"
		}
		p.set.onFetch(name, err)
	}
	f.err = err
	close(f.done)
}

// fetch runs discovery (for a ConfigURL), then fetches the keys from the
// document's jwks_uri. The document and the keys are replaced together,
// only when both fetches succeed; otherwise the previous ones stay in use
// (a failed discovery falls back on the previous document). The first
// document is kept even when its keys fail, to route tokens by issuer.
func (p *provider) fetch(ctx context.Context) error {
	p.mu.Lock()
	meta := p.meta
	p.mu.Unlock()
	if p.cfg.ConfigURL != "" {
		m, err := discover(ctx, p.set.client, p.cfg.ConfigURL, p.cfg.ClaimUserinfo)
		if err == nil && p.fromIAM {
			err = checkIAMIssuer(m.Issuer, p.hint, p.cfg.ConfigURL)
		}
		switch {
		case err == nil:
			p.warnIssuer(m.Issuer)
			p.mu.Lock()
			if p.meta == nil {
				p.meta = m
			}
			p.mu.Unlock()
			meta = m
		case meta == nil:
			return err
		default:
			p.set.log.Warn("oidc: discovery failed; using the previous discovery document",
				slog.String("provider", p.cfg.Name), slog.Any("error", err))
		}
	}
	keys, lifetime, err := fetchKeys(ctx, p.set.client, meta.JWKSURI)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.meta, p.keys, p.lifetime, p.ready = meta, keys, lifetime, true
	p.mu.Unlock()
	p.set.log.Debug("oidc: fetched the provider's keys", slog.String("provider", p.cfg.Name),
		slog.Int("keys", len(keys)), slog.Duration("refresh", lifetime))
	return nil
}

// warnIssuer logs once that the discovered issuer is not the discovery
// URL's prefix (OpenID Connect Discovery §4.3 wants them equal; proxies
// often break it, and the document's issuer is what tokens carry).
func (p *provider) warnIssuer(issuer string) {
	p.mu.Lock()
	warn := !p.warned && !p.fromIAM && p.hint != "" && issuer != p.hint
	p.warned = p.warned || warn
	p.mu.Unlock()
	if warn {
		p.set.log.Warn("oidc: the discovery document's issuer differs from its URL; tokens are checked against the document's issuer",
			slog.String("provider", p.cfg.Name), slog.String("issuer", issuer), slog.String("url", redactURL(p.cfg.ConfigURL)))
	}
}

// loop refreshes the keys in the background until the set closes: after a
// success when the keys' lifetime ends, after a failure with exponential
// backoff from RetryMin to RetryMax.
func (p *provider) loop(f *flight) {
	ctx := p.ctx
	backoff := p.set.retryMin
	for {
		select {
		case <-f.done:
		case <-ctx.Done():
			return
		}
		var wait time.Duration
		if f.err == nil {
			backoff = p.set.retryMin
			p.mu.Lock()
			wait = p.lifetime
			p.mu.Unlock()
		} else {
			wait = backoff
			backoff = min(2*backoff, p.set.retryMax)
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return
		}
		p.mu.Lock()
		f = p.joinOrStartLocked()
		p.mu.Unlock()
	}
}

// match returns the provider's keys that may verify a token with this kid
// and alg (every key that fits alg when kid is ""), and whether kid names
// any key at all.
func (p *provider) match(kid string, alg jose.SignatureAlgorithm) (fit []jose.JSONWebKey, kidFound bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		kidFound = kid != ""
		if fits(k, alg) {
			fit = append(fit, k)
		}
	}
	return fit, kidFound
}

// fits reports whether key k can verify alg: its type and curve match, and
// its own alg, if it names one, is alg.
func fits(k jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	if k.Algorithm != "" && k.Algorithm != string(alg) {
		return false
	}
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			return true
		}
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return key.Curve == elliptic.P256()
		case jose.ES384:
			return key.Curve == elliptic.P384()
		case jose.ES512:
			return key.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

// verifySignature checks t's signature with the client secret (HS*) or the
// provider's keys, refetching them once (rate-limited, single-flight) when
// t's kid is unknown, and returns the verified payload.
func (p *provider) verifySignature(ctx context.Context, t *rawToken) ([]byte, error) {
	verify, err := keyVerifier(t)
	if err != nil {
		e := tokenErr(ErrInvalidToken, CheckFormat, "not a compact JWS")
		e.Cause = err
		return nil, e
	}
	if isHMAC(t.alg) {
		if n := hmacKeySize(t.alg); len(p.cfg.ClientSecret) < n {
			return nil, tokenErr(ErrInvalidToken, CheckSignature, "the client secret is shorter than %d bytes, too short to verify %s (RFC 7518 §3.2)", n, t.alg)
		}
		if !verify([]byte(p.cfg.ClientSecret)) {
			return nil, tokenErr(ErrInvalidToken, CheckSignature, "the %s signature does not verify with the client secret", t.alg)
		}
		return t.payload, nil
	}

	keys, kidFound := p.match(t.kid, t.alg)
	if tryKeys(verify, keys) {
		return t.payload, nil
	}
	if kidFound {
		// The kid is known: refetching would not change its key.
		if len(keys) == 0 {
			return nil, tokenErr(ErrInvalidToken, CheckKeyID, "key %s does not fit alg %s", quote(t.kid), t.alg)
		}
		return nil, tokenErr(ErrInvalidToken, CheckSignature, "the signature does not verify with key %s", quote(t.kid))
	}
	// Unknown kid (or, without a kid, no key verifies): the IdP may have
	// rotated its keys.
	f := p.refetchForMiss()
	if f != nil {
		select {
		case <-f.done:
		case <-ctx.Done():
			e := tokenErr(ErrCommunication, CheckKeys, "gave up waiting for the identity provider's keys")
			e.Cause = ctx.Err()
			return nil, e
		}
		if f.err != nil {
			e := tokenErr(ErrCommunication, CheckKeys, "%s, and refetching the keys failed: %v", missReason(t.kid), f.err)
			e.Cause = f.err
			return nil, e
		}
		keys, kidFound = p.match(t.kid, t.alg)
		if tryKeys(verify, keys) {
			return t.payload, nil
		}
	}
	switch {
	case t.kid == "":
		return nil, tokenErr(ErrInvalidToken, CheckSignature, "the token names no kid and no key of the provider verifies its signature")
	case !kidFound && f != nil:
		return nil, tokenErr(ErrInvalidToken, CheckKeyID, "kid %s is not among the provider's keys, even after refetching them", quote(t.kid))
	case !kidFound:
		return nil, tokenErr(ErrInvalidToken, CheckKeyID, "kid %s is not among the provider's keys (refetched less than %s ago)", quote(t.kid), p.set.refreshMin)
	case len(keys) == 0:
		return nil, tokenErr(ErrInvalidToken, CheckKeyID, "key %s does not fit alg %s", quote(t.kid), t.alg)
	default:
		return nil, tokenErr(ErrInvalidToken, CheckSignature, "the signature does not verify with key %s", quote(t.kid))
	}
}

func missReason(kid string) string {
	if kid == "" {
		return "no cached key verifies the signature"
	}
	return fmt.Sprintf("kid %s is not among the cached keys", quote(kid))
}

// tryKeys reports whether one of keys verifies the signature.
func tryKeys(verify func(key any) bool, keys []jose.JSONWebKey) bool {
	for _, k := range keys {
		if verify(k.Key) {
			return true
		}
	}
	return false
}

// pkcs1Hashes are the hashes of the RS* algorithms, which keyVerifier
// checks with crypto/rsa directly.
var pkcs1Hashes = map[jose.SignatureAlgorithm]crypto.Hash{
	jose.RS256: crypto.SHA256, jose.RS384: crypto.SHA384, jose.RS512: crypto.SHA512,
}

// keyVerifier returns a function that reports whether t's signature
// verifies with one key (a public key of the JWKS, or the client secret's
// bytes for HS*). RS256/384/512, what nearly every provider signs with,
// are verified with crypto/rsa on the token as parsed already (the
// signing input is hashed once for all keys); the other algorithms go
// through go-jose, which parses the token again. Either way the key's
// type must fit the algorithm (fits, on the JWKS side).
func keyVerifier(t *rawToken) (func(key any) bool, error) {
	if h, ok := pkcs1Hashes[t.alg]; ok {
		hash := h.New()
		hash.Write([]byte(t.signingInput()))
		digest := hash.Sum(nil)
		return func(key any) bool {
			pub, ok := key.(*rsa.PublicKey)
			return ok && rsa.VerifyPKCS1v15(pub, h, digest, t.sig) == nil
		}, nil
	}
	jws, err := jose.ParseSignedCompact(t.raw, []jose.SignatureAlgorithm{t.alg})
	if err != nil {
		return nil, err
	}
	return func(key any) bool {
		_, err := jws.Verify(key)
		return err == nil
	}, nil
}
