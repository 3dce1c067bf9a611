package iamapi

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
)

// APIVersion is the only IAM API version served.
const APIVersion = "2010-05-08"

// MaxBodySize is the largest request body accepted, in bytes.
const MaxBodySize = 64 << 10

// Options configure an API.
type Options struct {
	Service *iam.Service
	Auth    *auth.Authenticator
	Logger  *slog.Logger
	// Now is the clock for the aws:CurrentTime condition key; default time.Now.
	Now func() time.Time
}

// API serves the IAM query API.
type API struct {
	svc     *iam.Service
	auth    *auth.Authenticator
	log     *slog.Logger
	now     func() time.Time
	actions map[string]handlerFunc
}

// handlerFunc serves one action: it returns the <ActionResult> body (nil
// for actions without output) or an error.
type handlerFunc func(*request) (any, error)

// New returns an API.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &API{svc: opts.Service, auth: opts.Auth, log: opts.Logger, now: opts.Now}
	a.actions = map[string]handlerFunc{
		"CreateUser": a.createUser,
		"GetUser":    a.getUser,
		"ListUsers":  a.listUsers,
		"DeleteUser": a.deleteUser,
		// Sesame extensions (AWS IAM has no user status nor user-session revocation).
		"SetUserStatus":             a.setUserStatus,
		"RevokeUserSessions":        a.revokeUserSessions,
		"CreateAccessKey":           a.createAccessKey,
		"ListAccessKeys":            a.listAccessKeys,
		"UpdateAccessKey":           a.updateAccessKey,
		"DeleteAccessKey":           a.deleteAccessKey,
		"CreateGroup":               a.createGroup,
		"GetGroup":                  a.getGroup,
		"ListGroups":                a.listGroups,
		"DeleteGroup":               a.deleteGroup,
		"AddUserToGroup":            a.addUserToGroup,
		"RemoveUserFromGroup":       a.removeUserFromGroup,
		"ListGroupsForUser":         a.listGroupsForUser,
		"CreatePolicy":              a.createPolicy,
		"GetPolicy":                 a.getPolicy,
		"GetPolicyVersion":          a.getPolicyVersion,
		"ListPolicies":              a.listPolicies,
		"DeletePolicy":              a.deletePolicy,
		"AttachUserPolicy":          a.attachUserPolicy,
		"DetachUserPolicy":          a.detachUserPolicy,
		"AttachGroupPolicy":         a.attachGroupPolicy,
		"DetachGroupPolicy":         a.detachGroupPolicy,
		"ListAttachedUserPolicies":  a.listAttachedUserPolicies,
		"ListAttachedGroupPolicies": a.listAttachedGroupPolicies,
		"PutUserPolicy":             a.putUserPolicy,
		"GetUserPolicy":             a.getUserPolicy,
		"DeleteUserPolicy":          a.deleteUserPolicy,
		"ListUserPolicies":          a.listUserPolicies,
	}
	return a
}

// request is one IAM call after authentication.
type request struct {
	*http.Request
	api       *API
	action    string
	params    url.Values
	principal iam.Principal
	// authorized is set by authorize; a handler that succeeds without it
	// is a bug, and its result is not sent.
	authorized bool
}

// ServeHTTP authenticates, parses and serves one IAM request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if w.Header().Get(httpx.RequestIDHeader) == "" {
		w.Header().Set(httpx.RequestIDHeader, httpx.NewRequestID())
	}
	req := &request{Request: r, api: a}
	result, err := a.serve(req)
	if err == nil && !req.authorized {
		a.log.Error("iam: action served without authorization", "action", req.action)
		err = errors.New("iamapi: handler did not authorize")
	}
	if err != nil {
		a.writeError(w, req, err)
		return
	}
	httpx.WriteQueryResult(w, xmlns, req.action, result)
}

func (a *API) serve(req *request) (any, error) {
	r := req.Request
	if r.Method != http.MethodPost {
		return nil, ErrInvalidAction.WithMessage("The IAM API accepts only POST requests.")
	}
	// Cheap checks before any signature work.
	if r.ContentLength > MaxBodySize {
		return nil, ErrInvalidInput.WithMessage("The request body exceeds %d bytes.", MaxBodySize)
	}
	res, err := a.auth.Authenticate(r)
	if err != nil {
		return nil, err
	}
	id := res.Identity
	if id.Anonymous || res.Sig == nil {
		return nil, ErrAccessDenied.WithMessage("Anonymous requests are not allowed: sign the request with AWS Signature Version 4.")
	}
	if res.Sig.Service != "iam" {
		return nil, ErrInvalidAction.WithMessage("Credential should be scoped to correct service: 'iam'.")
	}
	if id.Session != nil {
		// Temporary credentials never manage IAM, whatever their parent may do.
		return nil, ErrAccessDenied.WithMessage("Temporary security credentials cannot call the IAM API.")
	}
	req.principal = id.Principal
	if req.params, err = httpx.ReadQueryParams(r, MaxBodySize); err != nil {
		return nil, err
	}
	req.action = req.params.Get("Action")
	version, hasVersion := req.params["Version"]
	switch {
	case req.action == "":
		return nil, ErrMissingAction
	case !hasVersion || version[0] == "":
		return nil, ErrMissingParameter.WithMessage("The request must contain the parameter Version.")
	}
	h, ok := a.actions[req.action]
	if !ok || version[0] != APIVersion {
		return nil, ErrInvalidAction.WithMessage("Could not find operation %s for version %s.", req.action, version[0])
	}
	return h(req)
}

// writeError writes err as an IAM <ErrorResponse>.
func (a *API) writeError(w http.ResponseWriter, req *request, err error) {
	apiErr := toAPIError(err)
	if apiErr.Status >= 500 {
		a.log.Error("iam request failed", "action", req.action, "user", req.principal.User, "err", err)
	}
	httpx.WriteQueryError(w, xmlns, apiErr)
}

// authorize decides whether the caller may perform the request's action on
// resource (an ARN); extra adds condition keys (lower-case). The caller
// needs iam:<Action> on resource or admin:<Action> on policy.AnyResource,
// and no explicit Deny of either. With an external authorizer (OPA) only
// its answer for iam:<Action> counts, root's included.
func (req *request) authorize(resource string, extra map[string][]string) error {
	req.authorized = true
	p := req.principal
	svc := req.api.svc
	external := svc.External()
	if p.Root && !external {
		return nil
	}
	cond := req.conditions()
	for k, v := range extra {
		cond[k] = v
	}
	ctx := req.Context()
	d := svc.DecideContext(ctx, p, &policy.Args{Action: "iam:" + req.action, Resource: resource, Principal: p.ARN(), Conditions: cond})
	if d != policy.Deny && !external {
		d = max(d, svc.DecideContext(ctx, p, &policy.Args{Action: "admin:" + req.action, Resource: policy.AnyResource, Principal: p.ARN(), Conditions: cond}))
	}
	if d == policy.Allow {
		return nil
	}
	return ErrAccessDenied.WithMessage("User: %s is not authorized to perform: iam:%s on resource: %s", p.ARN(), req.action, resource)
}

// conditions returns the request context for policy evaluation.
func (req *request) conditions() map[string][]string {
	now := req.api.now().UTC()
	p := req.principal
	cond := map[string][]string{
		"aws:username":        {p.User},
		"aws:userid":          {p.UserID},
		"aws:principalarn":    {p.ARN()},
		"aws:principaltype":   {"User"},
		"aws:currenttime":     {now.Format(time.RFC3339)},
		"aws:epochtime":       {strconv.FormatInt(now.Unix(), 10)},
		"aws:securetransport": {strconv.FormatBool(req.TLS != nil)},
	}
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		host = req.RemoteAddr
	}
	if host != "" {
		cond["aws:sourceip"] = []string{host}
	}
	return cond
}

// params collects parameter values and the validation problems found on
// the way, so that one ValidationError lists them all as AWS does.
type params struct {
	req      *request
	problems []string
}

func (req *request) validate() *params { return &params{req: req} }

// memberName is the name AWS's validation messages give a parameter:
// "UserName" is 'userName'.
func memberName(name string) string {
	return strings.ToLower(name[:1]) + name[1:]
}

// optional returns a parameter and whether it was given; given but empty
// is a validation problem.
func (v *params) optional(name string) (string, bool) {
	vals, ok := v.req.params[name]
	if !ok {
		return "", false
	}
	if vals[0] == "" {
		v.problems = append(v.problems, "Value '' at '"+memberName(name)+"' failed to satisfy constraint: Member must have length greater than or equal to 1")
		return "", false
	}
	return vals[0], true
}

// required returns a parameter that must be given.
func (v *params) required(name string) string {
	if _, ok := v.req.params[name]; !ok {
		v.problems = append(v.problems, "Value null at '"+memberName(name)+"' failed to satisfy constraint: Member must not be null")
		return ""
	}
	s, _ := v.optional(name)
	return s
}

// enum returns a parameter that must be one of allowed; def when absent.
func (v *params) enum(name, def string, allowed ...string) string {
	s, ok := v.optional(name)
	if !ok || !v.oneOf(name, s, allowed) {
		return def
	}
	return s
}

// requiredEnum returns a parameter that must be given and be one of allowed.
func (v *params) requiredEnum(name string, allowed ...string) string {
	s := v.required(name)
	if s == "" || !v.oneOf(name, s, allowed) {
		return ""
	}
	return s
}

func (v *params) oneOf(name, s string, allowed []string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	v.problems = append(v.problems, "Value '"+s+"' at '"+memberName(name)+"' failed to satisfy constraint: Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
	return false
}

// boolean returns a true/false parameter; false when absent.
func (v *params) boolean(name string) bool {
	return v.enum(name, "false", "true", "false") == "true"
}

// page returns the Marker and MaxItems paging parameters.
func (v *params) page() page {
	p := page{max: defaultMaxItems}
	p.marker, _ = v.optional("Marker")
	if s, ok := v.optional("MaxItems"); ok {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil:
			v.problems = append(v.problems, "Value '"+s+"' at 'maxItems' failed to satisfy constraint: Member must be an integer")
		case n < 1:
			v.problems = append(v.problems, "Value '"+s+"' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
		case n > maxMaxItems:
			v.problems = append(v.problems, "Value '"+s+"' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000")
		default:
			p.max = n
		}
	}
	return p
}

// user returns the UserName parameter; when absent and callerDefault is
// set, the caller's own user name (the root user's for root).
func (v *params) user(callerDefault bool) string {
	if !callerDefault {
		return v.required("UserName")
	}
	if name, ok := v.optional("UserName"); ok {
		return name
	}
	return v.req.principal.User
}

// err returns the ValidationError for the problems found, or nil.
func (v *params) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return validationError(v.problems)
}

// isRoot reports whether name is the root user's.
func (a *API) isRoot(req *request, name string) bool {
	if req.principal.Root && name == req.principal.User {
		return true
	}
	p, _, err := a.svc.LookupAccessKey(req.Context(), name)
	return err == nil && p.Root
}

// notRoot fails with iam.ErrRootUser when user is the root user.
func (a *API) notRoot(req *request, user string) error {
	if a.isRoot(req, user) {
		return iam.ErrRootUser
	}
	return nil
}
