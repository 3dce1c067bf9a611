package awsquery

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/audit"
	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// Handler serves one action: it returns the <ActionResult> body (nil for
// an action without output) or an error.
type Handler func(*Request) (any, error)

// Spec describes one query API.
type Spec struct {
	// Name is the API's name in messages ("IAM", "STS"); Service is the
	// SigV4 credential scope it accepts ("iam", "sts").
	Name, Service string
	// Version is the only API version served; XMLNS the namespace of its
	// documents.
	Version, XMLNS string
	// Methods are the HTTP methods accepted.
	Methods []string
	// MaxBody is the largest request body accepted, in bytes.
	MaxBody int64
	// Unsigned is the error answering an unsigned request before any
	// action runs; nil lets unsigned requests reach the handlers (STS's
	// AssumeRoleWith* actions are authenticated by the token they carry).
	Unsigned *APIError
	// Actions are the handlers by action name.
	Actions map[string]Handler
	// Codes are the API's own wire errors.
	Codes Codes
	// Service decides every request (Request.Authorize).
	IAM  *iam.Service
	Auth *auth.Authenticator
	// Logger receives server faults, never parameters or credentials.
	Logger *slog.Logger
	// Now is the clock of the aws:CurrentTime condition key; default
	// time.Now.
	Now func() time.Time
	// RequireTLS, when set, answers every request that did not come over
	// TLS, before anything else is looked at (STS with
	// SESAME_STS_REQUIRE_TLS: its responses carry secret keys).
	RequireTLS *APIError
	// OnServed, when set, is called once the response is written, with
	// the request (its Action, Principal and Audit details), the result
	// sent (nil on error) and the wire error sent (nil on success). The
	// server feeds its metrics and audit log from it; it must not keep
	// req or result.
	OnServed func(req *Request, result any, wireErr *APIError)
}

// API serves one AWS query API (IAM or STS): the serve sequence both
// share, the one error mapping, and the authorization guard.
type API struct{ spec Spec }

var _ http.Handler = (*API)(nil)

// New returns an API for spec.
func New(spec Spec) *API {
	if spec.Logger == nil {
		spec.Logger = slog.New(slog.DiscardHandler)
	}
	if spec.Now == nil {
		spec.Now = time.Now
	}
	return &API{spec: spec}
}

// Request is one query-API call.
type Request struct {
	*http.Request
	api *API
	// Action and Params are the request's parameters.
	Action string
	Params url.Values
	// Sig is the request's signature; nil when it is unsigned.
	Sig *sigv4.Request
	// Principal is the caller (Anonymous when unsigned).
	Principal iam.Principal
	// RequestID is the id sent in the response's X-Amz-Request-Id.
	RequestID string
	// Audit holds what a handler knows of the identity it served (the
	// federated subject, the role, the credentials issued: never a
	// secret); Spec.OnServed completes it into the audit record.
	Audit audit.Record
	// authorized is set by Authorize and Authenticated; a handler that
	// succeeds without it is a bug, and its result is not sent.
	authorized bool
}

// errNoSession and errNoPrincipal are server faults: auth accepted a
// session token but reported no session, or a signature but no principal.
var (
	errNoSession   = errors.New("awsquery: authenticated a session token without a session")
	errNoPrincipal = errors.New("awsquery: authenticated a signature without a principal")
)

// errNotAuthorized is a server fault: a handler succeeded without asking
// Authorize.
var errNotAuthorized = errors.New("awsquery: handler did not authorize")

// ServeHTTP authenticates, parses and serves one request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := w.Header().Get(httpx.RequestIDHeader)
	if id == "" {
		id = httpx.NewRequestID()
		w.Header().Set(httpx.RequestIDHeader, id)
	}
	req := &Request{Request: r, api: a, Principal: iam.Principal{Anonymous: true}, RequestID: id}
	result, err := a.serve(req)
	if err == nil && !req.authorized {
		a.spec.Logger.ErrorContext(r.Context(), a.spec.Service+": action served without authorization", "action", req.Action)
		err = errNotAuthorized
	}
	if err != nil {
		apiErr := a.writeError(w, req, err)
		if a.spec.OnServed != nil {
			a.spec.OnServed(req, nil, apiErr)
		}
		return
	}
	httpx.WriteQueryResult(w, a.spec.XMLNS, req.Action, result)
	if a.spec.OnServed != nil {
		a.spec.OnServed(req, result, nil)
	}
}

func (a *API) serve(req *Request) (any, error) {
	r, spec := req.Request, &a.spec
	if spec.RequireTLS != nil && r.TLS == nil {
		return nil, spec.RequireTLS
	}
	if !slices.Contains(spec.Methods, r.Method) {
		return nil, ErrInvalidAction.WithMessage("The %s API accepts only %s requests.", spec.Name, strings.Join(spec.Methods, " and "))
	}
	// Cheap checks before any signature work.
	if r.ContentLength > spec.MaxBody {
		return nil, fmtBodyTooLarge(spec)
	}
	res, err := spec.Auth.Authenticate(r)
	if err != nil {
		return nil, err
	}
	if res.Sig != nil && !res.Identity.Anonymous {
		if res.Sig.Service != spec.Service {
			return nil, spec.Codes.WrongScope.WithMessage("Credential should be scoped to correct service: '%s'.", spec.Service)
		}
		p := res.Identity.Principal
		// A request that carries a session token must come out with a
		// session: were it taken for its parent's long-term identity, the
		// session policy would be lost (fail closed).
		switch {
		case !p.Root && p.User == "":
			return nil, errNoPrincipal
		case res.Sig.SecurityToken != "" && p.Session == nil:
			return nil, errNoSession
		}
		req.Principal, req.Sig = p, res.Sig
	} else if spec.Unsigned != nil {
		return nil, spec.Unsigned
	}
	// The body is read after authentication, so that a body that does not
	// match its signed hash fails here.
	if req.Params, err = httpx.ReadQueryParams(r, spec.MaxBody); err != nil {
		return nil, err
	}
	req.Action = req.Params.Get("Action")
	version, hasVersion := req.Params["Version"]
	switch {
	case req.Action == "":
		return nil, ErrMissingAction
	case !hasVersion || version[0] == "":
		return nil, ErrMissingParameter.WithMessage("The request must contain the parameter Version.")
	}
	h, ok := spec.Actions[req.Action]
	if !ok && req.Sig == nil {
		// An unsigned call of an action not served here (an IAM call
		// without a signature reaches STS): authentication comes first.
		return nil, ErrMissingAuthenticationToken
	}
	if !ok || version[0] != spec.Version {
		return nil, ErrInvalidAction.WithMessage("Could not find operation %s for version %s.", req.Action, version[0])
	}
	return h(req)
}

// writeError writes err as an <ErrorResponse> and returns the wire error.
// Only server faults are logged, and never with the request's parameters
// or credentials.
func (a *API) writeError(w http.ResponseWriter, req *Request, err error) *APIError {
	apiErr := a.toAPIError(err)
	if apiErr.Status >= 500 {
		a.spec.Logger.ErrorContext(req.Context(), a.spec.Service+" request failed", "action", req.Action, "caller", req.CallerARN(), "err", err)
	}
	httpx.WriteQueryError(w, a.spec.XMLNS, apiErr)
	return apiErr
}

// CallerARN names the caller in messages and log lines: its ARN, never a
// key; "anonymous" when unsigned.
func (req *Request) CallerARN() string {
	if req.Principal.Anonymous {
		return "anonymous"
	}
	return req.Principal.ARN()
}

// Signed returns nil if the request is signed, else the
// MissingAuthenticationToken error.
func (req *Request) Signed() error {
	if req.Sig == nil {
		return ErrMissingAuthenticationToken
	}
	return nil
}

// Authorize asks the IAM service whether the caller may perform
// "<service>:<Action>" on resource (an ARN); extra adds condition keys
// (lower-case).
func (req *Request) Authorize(resource string, extra map[string][]string) error {
	return req.AuthorizeAction(req.api.spec.Service+":"+req.Action, resource, extra)
}

// AuthorizeAction is Authorize for another action than the request's own.
func (req *Request) AuthorizeAction(action, resource string, extra map[string][]string) error {
	req.authorized = true
	if err := httpx.CheckConditionHeaders(req.Request); err != nil {
		return req.api.spec.Codes.BadInput.WithMessage("%s", strings.TrimPrefix(err.Error(), "httpx: "))
	}
	err := req.api.spec.IAM.Authorize(req.Context(), &iam.Request{Principal: req.Principal, Action: action, Resource: resource,
		Lazy: func() map[string][]string {
			cond := httpx.ConditionKeys(req.Request, req.api.spec.Now())
			for k, v := range extra {
				cond[k] = v
			}
			return cond
		}})
	if errors.Is(err, iam.ErrAccessDenied) {
		msg := "User: " + req.CallerARN() + " is not authorized to perform: " + action + " on resource: " + resource
		if why := Explanation(err, iam.ErrAccessDenied); why != "" {
			msg += ": " + why
		}
		return ErrAccessDenied.WithMessage("%s", msg)
	}
	return err
}

// ConditionKeys returns the condition keys the HTTP request gives
// (aws:SourceIp, aws:SecureTransport, ...), for an action that evaluates
// policies itself (a role's trust policy).
func (req *Request) ConditionKeys() (map[string][]string, error) {
	cond, err := httpx.Conditions(req.Request, req.api.spec.Now())
	if err != nil {
		return nil, req.api.spec.Codes.BadInput.WithMessage("%s", strings.TrimPrefix(err.Error(), "httpx: "))
	}
	return cond, nil
}

// Authenticated marks a request whose action proves its caller's right
// itself (an identity token) as authorized.
func (req *Request) Authenticated() { req.authorized = true }

// Validate returns a validator of the request's parameters.
func (req *Request) Validate() *Params { return &Params{values: req.Params} }
