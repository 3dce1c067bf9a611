package sts

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
)

// APIVersion is the only STS API version served.
const APIVersion = "2011-06-15"

// MaxBodySize is the largest request body accepted, in bytes.
const MaxBodySize = 64 << 10

// Options configure an API.
type Options struct {
	Service *iam.Service
	Auth    *auth.Authenticator
	Logger  *slog.Logger
	// MaxDuration is the largest DurationSeconds a caller may ask for;
	// default iam.MaxSessionDuration. It is kept within
	// [iam.MinSessionDuration, iam.MaxSessionDuration] and truncated to
	// whole seconds.
	MaxDuration time.Duration
	// OIDC verifies the tokens of AssumeRoleWithClientGrants and
	// AssumeRoleWithWebIdentity; nil when none is configured.
	OIDC Verifier
	// LDAP checks the passwords of AssumeRoleWithLDAPIdentity; nil when no
	// directory is configured.
	LDAP LDAPAuthenticator
	// Certificates, when set, enable AssumeRoleWithCertificate.
	Certificates *CertificateOptions
	// Plugin vouches for the tokens of AssumeRoleWithCustomToken; nil
	// when no identity plugin is configured.
	Plugin IdentityPlugin
	// Now is the clock for the aws:CurrentTime condition key; default time.Now.
	Now func() time.Time
	// RequireTLS refuses every request that does not come over TLS with
	// awsquery.ErrSTSRequiresTLS (SESAME_STS_REQUIRE_TLS).
	RequireTLS bool
	// OnServed is awsquery.Spec.OnServed: the server's metrics and audit.
	OnServed func(req *awsquery.Request, result any, wireErr *awsquery.APIError)
}

// API serves the STS query API.
type API struct {
	*awsquery.API
	svc  *iam.Service
	log  *slog.Logger
	oidc Verifier          // nil when no OpenID Connect provider is configured
	ldap LDAPAuthenticator // nil when no LDAP directory is configured
	// certs enables AssumeRoleWithCertificate; nil when it is off.
	certs  *CertificateOptions
	plugin IdentityPlugin // nil when no identity plugin is configured
	now    func() time.Time
	// maxDuration and defaultDuration bound and default DurationSeconds.
	maxDuration, defaultDuration time.Duration
}

// request is one STS call.
type request = awsquery.Request

// New returns an API.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	maxDur := opts.MaxDuration.Truncate(time.Second)
	switch {
	case maxDur <= 0:
		maxDur = iam.MaxSessionDuration
	case maxDur > iam.MaxSessionDuration || maxDur < iam.MinSessionDuration:
		maxDur = min(max(maxDur, iam.MinSessionDuration), iam.MaxSessionDuration)
		opts.Logger.Warn("sts: maximum session duration out of range; using the nearest bound",
			"configured", opts.MaxDuration, "used", maxDur)
	}
	a := &API{
		svc: opts.Service, log: opts.Logger, oidc: opts.OIDC, ldap: opts.LDAP, certs: opts.Certificates, plugin: opts.Plugin, now: opts.Now,
		maxDuration: maxDur, defaultDuration: min(iam.DefaultSessionDuration, maxDur),
	}
	var requireTLS *awsquery.APIError
	if opts.RequireTLS {
		requireTLS = awsquery.ErrSTSRequiresTLS
	}
	a.API = awsquery.New(awsquery.Spec{
		RequireTLS: requireTLS, OnServed: opts.OnServed,
		Name: "STS", Service: "sts", Version: APIVersion, XMLNS: xmlns,
		Methods: []string{http.MethodPost, http.MethodGet},
		MaxBody: MaxBodySize,
		// Unsigned requests reach the handlers: the AssumeRoleWith*
		// actions are authenticated by the token they carry; the others
		// answer MissingAuthenticationToken.
		Actions: map[string]awsquery.Handler{
			"AssumeRole":                 a.assumeRole,
			"GetCallerIdentity":          a.getCallerIdentity,
			"AssumeRoleWithClientGrants": a.assumeRoleWithClientGrants,
			"AssumeRoleWithWebIdentity":  a.assumeRoleWithWebIdentity,
			"AssumeRoleWithSAML":         notImplemented,
			"AssumeRoleWithLDAPIdentity": a.assumeRoleWithLDAPIdentity,
			"AssumeRoleWithCertificate":  a.assumeRoleWithCertificate,
			"AssumeRoleWithCustomToken":  a.assumeRoleWithCustomToken,
			"GetSessionToken":            a.getSessionToken,
			"GetFederationToken":         a.getFederationToken,
		},
		Codes: awsquery.STSCodes,
		IAM:   opts.Service, Auth: opts.Auth, Logger: opts.Logger, Now: opts.Now,
	})
	return a
}
