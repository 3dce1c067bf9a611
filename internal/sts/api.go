package sts

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/sigv4"
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
}

// API serves the STS query API.
type API struct {
	svc  *iam.Service
	auth *auth.Authenticator
	oidc Verifier // nil when no OpenID Connect provider is configured
	log  *slog.Logger
	// maxDuration and defaultDuration bound and default DurationSeconds.
	maxDuration, defaultDuration time.Duration
	actions                      map[string]handlerFunc
}

var _ http.Handler = (*API)(nil)

// handlerFunc serves one action: it returns the <ActionResult> body or an
// error.
type handlerFunc func(*request) (any, error)

// New returns an API.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
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
		svc: opts.Service, auth: opts.Auth, log: opts.Logger, oidc: opts.OIDC,
		maxDuration: maxDur, defaultDuration: min(iam.DefaultSessionDuration, maxDur),
	}
	a.actions = map[string]handlerFunc{
		"AssumeRole":                 a.assumeRole,
		"GetCallerIdentity":          a.getCallerIdentity,
		"AssumeRoleWithClientGrants": a.assumeRoleWithClientGrants,
		"AssumeRoleWithWebIdentity":  a.assumeRoleWithWebIdentity,
	}
	return a
}

// request is one STS call.
type request struct {
	*http.Request
	action string
	params url.Values
	// sig is the request's signature; nil when it is unsigned.
	sig *sigv4.Request
	// principal is the caller; set only when sig is not nil.
	principal iam.Principal
}

// ServeHTTP authenticates, parses and serves one STS request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if w.Header().Get(httpx.RequestIDHeader) == "" {
		w.Header().Set(httpx.RequestIDHeader, httpx.NewRequestID())
	}
	req := &request{Request: r}
	result, err := a.serve(req)
	if err != nil {
		a.writeError(w, req, err)
		return
	}
	httpx.WriteQueryResult(w, xmlns, req.action, result)
}

func (a *API) serve(req *request) (any, error) {
	r := req.Request
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		return nil, ErrInvalidAction.WithMessage("The STS API accepts only POST and GET requests.")
	}
	// Cheap checks before any signature work.
	if r.ContentLength > MaxBodySize {
		return nil, errBodyTooLarge
	}
	// Unsigned requests pass here: the AssumeRoleWith* actions are
	// authenticated by the token they carry, not by a signature. Every
	// other action refuses them (signed).
	res, err := a.auth.Authenticate(r)
	if err != nil {
		return nil, err
	}
	if res.Sig != nil && !res.Identity.Anonymous {
		if res.Sig.Service != "sts" {
			return nil, ErrSignatureDoesNotMatch.WithMessage("Credential should be scoped to correct service: 'sts'.")
		}
		if req.principal, err = principalOf(res); err != nil {
			return nil, err
		}
		req.sig = res.Sig
	}
	// The body is read after authentication, so that a body that does
	// not match its signed hash fails here.
	if req.params, err = httpx.ReadQueryParams(r, MaxBodySize); err != nil {
		return nil, err
	}
	req.action = req.params.Get("Action")
	version, hasVersion := req.params["Version"]
	switch {
	case req.action == "":
		return nil, ErrMissingAction
	case !hasVersion || version[0] == "":
		return nil, ErrMissingParameter.WithMessage("The request must contain the parameter Version")
	}
	h, ok := a.actions[req.action]
	if !ok && strings.HasPrefix(req.action, "AssumeRoleWith") && version[0] == APIVersion {
		return nil, ErrInvalidAction.WithMessage("%s is not implemented yet.", req.action)
	}
	if !ok || version[0] != APIVersion {
		return nil, ErrInvalidAction.WithMessage("Could not find operation %s for version %s", req.action, version[0])
	}
	return h(req)
}

// principalOf returns the iam.Principal behind an authenticated identity.
// A request that carries a session token must come out with a session:
// were it taken for its parent's long-term identity, the session policy
// would be lost and AssumeRole would chain (fail closed).
func principalOf(res auth.Result) (iam.Principal, error) {
	p := res.Identity.Principal
	if !p.Root && p.User == "" {
		return iam.Principal{}, errNoPrincipal
	}
	if res.Sig.SecurityToken != "" && p.Session == nil {
		return iam.Principal{}, errNoSession
	}
	return p, nil
}

// signed returns nil if the request is signed, else the
// MissingAuthenticationToken error.
func (req *request) signed() error {
	if req.sig == nil {
		return ErrMissingAuthenticationToken
	}
	return nil
}

// writeError writes err as an STS <ErrorResponse>. Only server faults are
// logged, and never with the request's parameters or credentials.
func (a *API) writeError(w http.ResponseWriter, req *request, err error) {
	apiErr := toAPIError(err)
	if apiErr.Status >= 500 {
		a.log.Error("sts request failed", "action", req.action, "caller", req.callerARN(), "err", err)
	}
	httpx.WriteQueryError(w, xmlns, apiErr)
}

// callerARN names the caller in log lines: its ARN, never a key.
func (req *request) callerARN() string {
	if req.sig == nil {
		return "anonymous"
	}
	return req.principal.ARN()
}
