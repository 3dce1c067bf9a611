package oidc

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// IAMProvider is an OpenID Connect provider created through the IAM API
// (CreateOpenIDConnectProvider), as SetIAMProviders takes it.
type IAMProvider struct {
	// URL is the issuer as created: https://host[/path], or http:// for
	// labs and tests. Its discovery document is at URL (without a trailing
	// slash) + "/.well-known/openid-configuration" and must name the
	// issuer URL, a trailing slash aside.
	URL string
	// ClientIDs are the audiences the provider accepts (ClientIDList). A
	// provider without any accepts no token.
	ClientIDs []string
}

// DefaultAccountID is the account of the provider ARNs when
// Options.AccountID is empty: Sesame's one account, as internal/iam names
// it.
const DefaultAccountID = "000000000000"

// ProviderARN returns the ARN of the OpenID Connect provider of issuer in
// account: "arn:aws:iam::<account>:oidc-provider/" followed by
// ConditionPrefix(issuer). It is the ARN that CreateOpenIDConnectProvider
// gives the provider with that URL, and what a trust policy's
// "Principal": {"Federated": ...} names.
func ProviderARN(account, issuer string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + ConditionPrefix(issuer)
}

// ConditionPrefix returns issuer without its scheme and trailing slash
// (host[/path]): the prefix of the condition keys <prefix>:sub,
// <prefix>:aud, <prefix>:oaud and <prefix>:amr that a role's trust policy
// tests.
func ConditionPrefix(issuer string) string {
	if _, rest, ok := strings.Cut(issuer, "://"); ok {
		issuer = rest
	}
	return strings.TrimSuffix(issuer, "/")
}

// SetIAMProviders replaces the providers created through the IAM API with
// list; VerifyForRole selects among them and the configured ones, Verify
// never uses them. A provider is known by its URL, a trailing slash aside:
// one already in the set keeps its keys and its background refresh (its
// client ids are replaced), one no longer in list stops its background
// refresh, and a new one starts its discovery and key fetch in the
// background (VerifyForRole waits for that first fetch, up to
// FetchTimeout). An entry whose URL is not an absolute http or https URL
// with a host and no user, query or fragment, or a second entry for the
// same URL, is logged and left out. An http:// provider works, with a
// warning logged once. SetIAMProviders is safe for concurrent use with
// Verify, VerifyForRole and itself; after Close it does nothing.
func (s *Set) SetIAMProviders(list []IAMProvider) {
	if s == nil {
		return
	}
	s.iamMu.Lock()
	defer s.iamMu.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return
	}
	old := map[string]*provider{}
	for _, p := range s.iamProviders() {
		old[p.hint] = p
	}
	var next, started []*provider
	seen := map[string]bool{}
	for _, ip := range list {
		issuer := strings.TrimSuffix(ip.URL, "/")
		if err := checkIAMURL(ip.URL); err != nil {
			s.log.Warn("oidc: ignoring an OpenID Connect provider of the IAM API", slog.String("url", redactURL(ip.URL)), slog.Any("error", err))
			continue
		}
		if seen[issuer] {
			s.log.Warn("oidc: ignoring a second OpenID Connect provider of the IAM API with the same URL", slog.String("url", ip.URL))
			continue
		}
		seen[issuer] = true
		ids := addUnique(ip.ClientIDs)
		if p := old[issuer]; p != nil {
			delete(old, issuer)
			p.mu.Lock()
			p.clientIDs = ids
			p.mu.Unlock()
			next = append(next, p)
			continue
		}
		p := s.newIAMProvider(issuer, ids)
		next = append(next, p)
		started = append(started, p)
	}
	s.iam.Store(&next)
	for _, p := range old {
		p.cancel()
		s.log.Info("oidc: OpenID Connect provider removed", slog.String("provider", p.cfg.Name))
	}
	for _, p := range started {
		s.log.Info("oidc: OpenID Connect provider added", slog.String("provider", p.cfg.Name))
		if strings.HasPrefix(p.hint, "http://") {
			s.log.Warn("oidc: OpenID Connect provider with an http:// URL: its discovery document and keys are fetched without TLS, "+
				"so anyone on the path can forge its tokens; fit for labs and tests only", slog.String("provider", p.cfg.Name))
		}
		p.mu.Lock()
		f := p.startFetchLocked()
		p.mu.Unlock()
		s.spawn(func() { p.loop(f) })
	}
}

// iamProviders returns the current IAM providers (never to be modified).
func (s *Set) iamProviders() []*provider {
	if list := s.iam.Load(); list != nil {
		return *list
	}
	return nil
}

// newIAMProvider returns the provider of issuer (a URL without its
// trailing slash), named by its ARN, with a context of its own.
func (s *Set) newIAMProvider(issuer string, clientIDs []string) *provider {
	arn := ProviderARN(s.accountID, issuer)
	p := &provider{
		cfg:       ProviderConfig{Name: arn, ConfigURL: issuer + wellKnown},
		hint:      issuer,
		set:       s,
		fromIAM:   true,
		clientIDs: clientIDs,
		lifetime:  DefaultKeyRefresh,
	}
	p.ctx, p.cancel = context.WithCancel(s.ctx)
	return p
}

// checkIAMURL checks an IAM provider's URL: absolute http or https, with a
// host, without user information, query or fragment.
func checkIAMURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("the URL does not parse")
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("the URL must begin with https:// (or http://)")
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("the URL has no host")
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("the URL may have a host and a path only, no user, query or fragment")
	}
	return nil
}

// checkIAMIssuer checks that the discovery document of an IAM provider
// names its URL as the issuer, a trailing slash aside. A document that
// names another issuer is refused: the provider's ARN, which trust
// policies name, stands for its URL, and a token is accepted only from
// the issuer the ARN names.
func checkIAMIssuer(got, want, configURL string) error {
	if strings.TrimSuffix(got, "/") != want {
		return fmt.Errorf("discovery document at %s names the issuer %q, not the provider's URL %s", redactURL(configURL), got, want)
	}
	return nil
}

// addUnique returns list without empty or repeated entries.
func addUnique(list []string) []string {
	var out []string
	for _, v := range list {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
