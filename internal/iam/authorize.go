package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/policy"
)

// Principal is who makes a request: nobody (Anonymous), the root
// credentials, an IAM user, or temporary credentials (Session set) acting
// for the root user, a user, or an OpenID Connect identity.
type Principal struct {
	// Anonymous is set for unsigned requests; every other field is then zero.
	Anonymous bool
	// Root is set for the root credentials and the root user's sessions.
	Root bool
	// User is the user name (the root user's access key for root; the
	// token's subject for a federated session).
	User   string
	UserID string
	// Path is an IAM user's path (RootPath when empty), part of its ARN:
	// LookupAccessKey sets it from the stored user.
	Path      string
	AccessKey string
	// Session is set for temporary credentials: the principal is then the
	// session's parent, narrowed by the session policy.
	Session *Session
}

// ARN returns the principal's ARN: the one STS reported for a session
// (see Session.AssumedRoleUser), the root or user ARN otherwise, and ""
// for the anonymous caller. Policies name principals by it.
func (p Principal) ARN() string {
	switch {
	case p.Anonymous:
		return ""
	case p.Session != nil && p.Session.Kind != KindSessionToken:
		return p.Session.AssumedRoleUser().Arn
	case p.Root:
		return RootARN
	}
	// A user, or its GetSessionToken credentials, which act as it.
	return UserARN(p.Path, p.User)
}

// Request is one authorization question: may Principal perform Action on
// Resource? Authorize answers it.
type Request struct {
	Principal Principal
	// Action is "service:Action", e.g. "s3:GetObject", "iam:CreateUser",
	// "sts:AssumeRole".
	Action string
	// Resource is the ARN acted on; policy.AnyResource when the action
	// addresses none.
	Resource string
	// Conditions are the request's own condition keys, lower-cased
	// ("aws:sourceip", "s3:prefix", ...). Authorize adds the principal's
	// (aws:username, aws:userid, aws:principaltype, aws:principalarn,
	// aws:tokenissuetime, jwt:*), replacing any the caller set, so the map
	// is the request's and must not be shared.
	Conditions map[string][]string
	// Lazy, when Conditions is nil, builds them when a policy needs them:
	// the root keys and an anonymous caller facing no resource policy are
	// answered without.
	Lazy func() map[string][]string
	// ResourcePolicy is the policy attached to the resource (a bucket
	// policy); nil when it has none.
	ResourcePolicy *policy.Policy
}

// Authorize decides req. It is the only place where Sesame decides what a
// caller may do: the S3, IAM and STS APIs ask it and nothing else. It
// returns nil when the request is allowed and an error wrapping
// ErrAccessDenied when it is not. The rules, in order:
//
//  1. sts:GetCallerIdentity is allowed to every signed caller, as AWS
//     allows it even against an explicit Deny.
//  2. Temporary credentials never call the IAM API (iam:*) nor AssumeRole
//     (no role chaining).
//  3. With an external authorizer (OPA) it alone answers, for every caller,
//     root included; a session policy still narrows its Allow.
//  4. The root credentials (not a root session) may do everything.
//  5. An anonymous caller gets what the resource policy allows it, and no
//     more.
//  6. Anyone else: an explicit Deny in any policy (identity, session,
//     resource) denies; otherwise an Allow in the identity policies or the
//     resource policy allows. For temporary credentials the identity
//     policies are the parent's (root: everything; a user: its live
//     policies; a federated identity: the policies its token named, live)
//     intersected with the session policy: where the session policy does
//     not allow, the answer is Deny, so no resource policy widens a
//     session. For iam:X, MinIO's admin:X on "*" is asked too and either
//     may allow.
//  7. sts:AssumeRole with nothing applicable is allowed (MinIO's AssumeRole
//     hands out the caller's own permissions), so an identity policy can
//     stop a user minting credentials only with an explicit Deny.
//
// docs/IAM.md ("How a request is decided") describes the same rules.
func (s *Service) Authorize(ctx context.Context, req *Request) error {
	p := &req.Principal
	// The answers that need no condition key come first, so that a request
	// whose keys are built lazily (Request.Lazy) does not build them.
	switch lazy := req.Conditions == nil && s.external == nil; {
	case strings.EqualFold(req.Action, "sts:GetCallerIdentity") && !p.Anonymous:
		return nil
	case p.Session != nil && hasService(req.Action, "iam"):
		return errorf(ErrAccessDenied, "temporary security credentials cannot call the IAM API")
	case p.Session != nil && strings.EqualFold(req.Action, "sts:AssumeRole"):
		return errorf(ErrAccessDenied, "temporary credentials cannot be used to call AssumeRole (no role chaining)")
	case lazy && p.Anonymous && req.ResourcePolicy == nil:
		return ErrAccessDenied
	case lazy && p.Root && p.Session == nil && !p.Anonymous:
		return nil
	case lazy && p.Root && req.ResourcePolicy == nil && p.Session.Policy == "" && len(p.Session.PolicyNames) == 0 &&
		p.Session.Kind != KindFederationToken:
		// A root session that no session policy narrows, facing no
		// resource policy: everything, as root (rule 6), with no policy
		// to read the condition keys.
		return nil
	}
	if req.Conditions == nil {
		if req.Lazy != nil {
			req.Conditions = req.Lazy()
		}
		if req.Conditions == nil {
			req.Conditions = map[string][]string{}
		}
	}
	s.principalConditions(p, req.Conditions)
	args := &policy.Args{Action: req.Action, Resource: req.Resource, Principal: p.ARN(), Conditions: req.Conditions}
	if sess := p.Session; sess != nil && sess.Kind == KindRole {
		if r, ok := s.snap.Load().role(sess.Parent); ok {
			args.RoleARN = r.ARN()
		}
	}
	switch {
	case s.external != nil:
		if !s.external.Allowed(ctx, s.opaInput(p, args)) || !s.sessionAllows(p, args, nil) {
			return ErrAccessDenied
		}
		return nil
	case p.Anonymous:
		if req.ResourcePolicy.Evaluate(args) == policy.Allow {
			return nil
		}
		return ErrAccessDenied
	case p.Root && p.Session == nil:
		return nil
	}
	var alt *policy.Args
	if name, ok := cutService(req.Action, "iam"); ok {
		// MinIO's canned consoleAdmin administers IAM with admin:*.
		alt = &policy.Args{Action: "admin:" + name, Resource: policy.AnyResource, Principal: args.Principal, Conditions: args.Conditions}
	}
	identity := s.identityDecision(p, args, alt)
	if identity == policy.Deny {
		return ErrAccessDenied
	}
	switch req.ResourcePolicy.Evaluate(args) {
	case policy.Deny:
		return ErrAccessDenied
	case policy.Allow:
		return nil
	}
	if identity == policy.Allow || identity == policy.NotApplicable && (strings.EqualFold(req.Action, "sts:AssumeRole") || strings.EqualFold(req.Action, "sts:GetSessionToken")) {
		return nil
	}
	return ErrAccessDenied
}

// identityDecision evaluates the principal's identity policies (and, for
// a session, the session policy) against args and, when alt is not nil,
// against alt as well: a policy denies if it denies either and allows if
// it allows either.
func (s *Service) identityDecision(p *Principal, args, alt *policy.Args) policy.Decision {
	snap := s.snap.Load()
	d := policy.NotApplicable
	switch sess := p.Session; {
	case sess != nil && sess.ParentRoot:
		d = policy.Allow
	case sess != nil && sess.Kind == KindRole:
		for _, pol := range snap.roleEffective[fold(sess.Parent)] {
			if d = max(d, evaluate(pol, args, alt)); d == policy.Deny {
				return d
			}
		}
	case sess != nil && (sess.Kind == KindFederated || sess.Kind == KindCertificate || sess.Kind == KindCustom):
		if d = evaluateNamed(snap, sess.Policies, args, alt, d); d == policy.Deny {
			return d
		}
	case sess != nil && sess.Kind == KindLDAP:
		// The policies attached to the user's DN and to its groups' DNs
		// (the groups of the login), read live.
		if d = evaluateNamed(snap, snap.ldapPolicies[ldapKey(LDAPUser, sess.Parent)], args, alt, d); d == policy.Deny {
			return d
		}
		for _, g := range sess.Groups {
			if d = evaluateNamed(snap, snap.ldapPolicies[ldapKey(LDAPGroup, g)], args, alt, d); d == policy.Deny {
				return d
			}
		}
	default:
		for _, pol := range snap.effective[p.User] {
			if d = max(d, evaluate(pol, args, alt)); d == policy.Deny {
				return d
			}
		}
	}
	if !s.sessionAllows(p, args, alt) {
		return policy.Deny
	}
	return d
}

// evaluateNamed combines d with the decisions of the managed policies
// called names (one since deleted allows nothing), stopping at a Deny.
func evaluateNamed(snap *snapshot, names []string, args, alt *policy.Args, d policy.Decision) policy.Decision {
	for _, name := range names {
		if d = max(d, evaluate(snap.managed[name], args, alt)); d == policy.Deny {
			return d
		}
	}
	return d
}

// sessionAllows reports whether the principal's session policies, if it
// has any, allow args (or alt): the inline one and the managed ones
// (PolicyArns) together, as one set: an explicit Deny in any denies, an
// Allow in any allows. A policy that no longer parses, or a managed one
// since deleted, allows nothing. GetFederationToken credentials without
// session policies are allowed nothing, as in AWS.
func (s *Service) sessionAllows(p *Principal, args, alt *policy.Args) bool {
	sess := p.Session
	if sess == nil {
		return true
	}
	if sess.Policy == "" && len(sess.PolicyNames) == 0 {
		return sess.Kind != KindFederationToken
	}
	d := policy.NotApplicable
	if sess.Policy != "" {
		sp, err := s.sessionPolicy(sess.Policy)
		if err != nil {
			return false
		}
		d = evaluate(sp, args, alt)
	}
	if len(sess.PolicyNames) > 0 && d != policy.Deny {
		snap := s.snap.Load()
		for _, name := range sess.PolicyNames {
			d = max(d, evaluate(snap.managed[name], args, alt))
		}
	}
	return d == policy.Allow
}

// evaluate is pol's decision on args, combined with its decision on alt
// when alt is not nil (Deny over Allow over NotApplicable).
func evaluate(pol *policy.Policy, args, alt *policy.Args) policy.Decision {
	d := pol.Evaluate(args)
	if alt != nil && d != policy.Deny {
		d = max(d, pol.Evaluate(alt))
	}
	return d
}

// hasService reports whether action is "service:...", case-insensitively.
func hasService(action, service string) bool {
	_, ok := cutService(action, service)
	return ok
}

// cutService returns the action name after "service:".
func cutService(action, service string) (string, bool) {
	if len(action) > len(service) && action[len(service)] == ':' && strings.EqualFold(action[:len(service)], service) {
		return action[len(service)+1:], true
	}
	return "", false
}

// principalKeys are the condition keys Authorize derives from the
// principal; a caller's values for them are discarded.
var principalKeys = []string{"aws:username", "aws:userid", "aws:principaltype", "aws:principalarn", "aws:principalaccount", "aws:tokenissuetime", "aws:sourceidentity"}

// principalConditions sets the condition keys that describe p, as AWS
// defines them, in c:
//
//   - aws:principaltype is Anonymous, Account (root), User, or AssumedRole
//     (every session);
//   - aws:username is the user's name, and for the sessions of a user or
//     of root the parent's (MinIO resolves ${aws:username} so); it is never
//     set for a federated session, whose name comes from a token;
//   - aws:userid is the user's unique id (the account id for root; the
//     parent's for its sessions), and role-id:session-name for a federated
//     session, as AWS sets it for a web identity;
//   - aws:principalarn is p.ARN(); aws:tokenissuetime the session's issue
//     time; jwt:<claim> the claims a federated or custom-token session
//     kept; ldap:username, ldap:user and ldap:groups an LDAP session's
//     login name, DN and group DNs (never aws:username).
//
// Callers' values for these keys (and any jwt: or ldap: key) are dropped.
func (s *Service) principalConditions(p *Principal, c map[string][]string) {
	for _, k := range principalKeys {
		delete(c, k)
	}
	for k := range c {
		if strings.HasPrefix(k, "jwt:") || strings.HasPrefix(k, "ldap:") || strings.HasPrefix(k, "aws:principaltag/") {
			delete(c, k)
		}
	}
	set := func(k, v string) {
		if v != "" {
			c[k] = []string{v}
		}
	}
	if p.Anonymous {
		set("aws:principaltype", "Anonymous")
		return
	}
	set("aws:principalarn", p.ARN())
	set("aws:principalaccount", AccountID)
	sess := p.Session
	if sess != nil {
		set("aws:tokenissuetime", sess.Issued.UTC().Format(time.RFC3339))
		set("aws:sourceidentity", sess.SourceIdentity)
		for _, t := range sess.Tags {
			c["aws:principaltag/"+strings.ToLower(t.Key)] = []string{t.Value}
		}
		for k, v := range sess.Claims {
			c["jwt:"+strings.ToLower(k)] = v
		}
	}
	switch {
	case sess != nil && sess.Kind == KindRole:
		// As AWS: a role session's aws:PrincipalArn is its role's ARN.
		set("aws:principaltype", "AssumedRole")
		set("aws:userid", sess.AssumedRoleUser().AssumedRoleID)
		if r, ok := s.snap.Load().role(sess.Parent); ok {
			set("aws:principalarn", r.ARN())
		}
	case sess != nil && sess.Kind == KindFederationToken:
		set("aws:principaltype", "FederatedUser")
		set("aws:userid", sess.AssumedRoleUser().AssumedRoleID)
	case sess != nil && sess.Kind == KindSessionToken && sess.ParentRoot:
		set("aws:principaltype", "Account")
		set("aws:userid", AccountID)
	case sess != nil && sess.Kind == KindSessionToken:
		set("aws:principaltype", "User")
		set("aws:username", sess.Parent)
		set("aws:userid", sess.ParentID)
	case sess != nil && sess.Kind == KindLDAP:
		// MinIO's LDAP policy variables: ${ldap:username} the name the
		// user logged in with, ${ldap:user} its DN, ${ldap:groups} its
		// groups' DNs. aws:username stays unset, as for every session
		// whose name comes from outside IAM.
		set("aws:principaltype", "AssumedRole")
		set("aws:userid", sess.AssumedRoleUser().AssumedRoleID)
		set("ldap:username", sess.LDAPUsername)
		set("ldap:user", sess.Parent)
		if len(sess.Groups) > 0 {
			c["ldap:groups"] = sess.Groups
		}
	case sess != nil && sess.Kind.identitySource():
		set("aws:principaltype", "AssumedRole")
		set("aws:userid", sess.AssumedRoleUser().AssumedRoleID)
	case sess != nil:
		set("aws:principaltype", "AssumedRole")
		if sess.Kind == KindFederated {
			set("aws:userid", sess.AssumedRoleUser().AssumedRoleID)
			return
		}
		set("aws:username", sess.Parent)
		if sess.ParentRoot {
			set("aws:userid", AccountID)
		} else {
			set("aws:userid", sess.ParentID)
		}
	case p.Root:
		set("aws:principaltype", "Account")
		set("aws:userid", AccountID)
	default:
		set("aws:principaltype", "User")
		set("aws:username", p.User)
		set("aws:userid", p.UserID)
	}
}

// IsAccessDenied reports whether err is Authorize's denial.
func IsAccessDenied(err error) bool { return errors.Is(err, ErrAccessDenied) }
