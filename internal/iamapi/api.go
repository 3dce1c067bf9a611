package iamapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
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
	// OnServed is awsquery.Spec.OnServed: the server's metrics and audit.
	OnServed func(req *awsquery.Request, result any, wireErr *awsquery.APIError)
}

// API serves the IAM query API.
type API struct {
	*awsquery.API
	svc *iam.Service
}

// request is one IAM call after authentication.
type request = awsquery.Request

// New returns an API.
func New(opts Options) *API {
	a := &API{svc: opts.Service}
	actions := map[string]awsquery.Handler{
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

		// Roles (roles.go).
		"CreateRole":               a.createRole,
		"GetRole":                  a.getRole,
		"ListRoles":                a.listRoles,
		"DeleteRole":               a.deleteRole,
		"UpdateRole":               a.updateRole,
		"UpdateRoleDescription":    a.updateRoleDescription,
		"UpdateAssumeRolePolicy":   a.updateAssumeRolePolicy,
		"AttachRolePolicy":         a.attachRolePolicy,
		"DetachRolePolicy":         a.detachRolePolicy,
		"ListAttachedRolePolicies": a.listAttachedRolePolicies,
		"PutRolePolicy":            a.putRolePolicy,
		"GetRolePolicy":            a.getRolePolicy,
		"DeleteRolePolicy":         a.deleteRolePolicy,
		"ListRolePolicies":         a.listRolePolicies,
		"TagRole":                  a.tagRole,
		"UntagRole":                a.untagRole,
		"ListRoleTags":             a.listRoleTags,

		// OpenID Connect providers (providers.go).
		"CreateOpenIDConnectProvider":             a.createOIDCProvider,
		"GetOpenIDConnectProvider":                a.getOIDCProvider,
		"ListOpenIDConnectProviders":              a.listOIDCProviders,
		"DeleteOpenIDConnectProvider":             a.deleteOIDCProvider,
		"AddClientIDToOpenIDConnectProvider":      a.addClientIDToOIDCProvider,
		"RemoveClientIDFromOpenIDConnectProvider": a.removeClientIDFromOIDCProvider,
		"UpdateOpenIDConnectProviderThumbprint":   a.updateOIDCProviderThumbprint,
		"TagOpenIDConnectProvider":                a.tagOIDCProvider,
		"UntagOpenIDConnectProvider":              a.untagOIDCProvider,
		"ListOpenIDConnectProviderTags":           a.listOIDCProviderTags,
	}
	a.API = awsquery.New(awsquery.Spec{
		Name: "IAM", Service: "iam", Version: APIVersion, XMLNS: xmlns,
		Methods:  []string{http.MethodPost},
		MaxBody:  MaxBodySize,
		Unsigned: awsquery.ErrAccessDenied.WithMessage("Anonymous requests are not allowed: sign the request with AWS Signature Version 4."),
		Actions:  actions,
		Codes:    awsquery.IAMCodes,
		IAM:      opts.Service, Auth: opts.Auth, Logger: opts.Logger, Now: opts.Now,
		OnServed: opts.OnServed,
	})
	return a
}

// pathParam returns the optional path parameter name ("Path" or
// "PathPrefix"), checked against rule as AWS checks it; RootPath when it
// is absent.
func pathParam(v *awsquery.Params, name string, rule iam.PathRule) string {
	s, ok := v.Optional(name)
	if !ok {
		return iam.RootPath
	}
	member := awsquery.MemberName(name)
	if v.Length(member, s, 1, iam.MaxPathLength) && !rule.Valid(s) {
		v.Problem(member, awsquery.Quote(s), "Member must satisfy regular expression pattern: "+rule.Pattern)
	}
	return s
}

// page returns the Marker and MaxItems paging parameters.
func page(v *awsquery.Params) pageRequest {
	p := pageRequest{max: defaultMaxItems}
	p.marker, _ = v.Optional("Marker")
	if n, ok := v.Int("MaxItems", 1, maxMaxItems); ok {
		p.max = int(n)
	}
	return p
}

// userParam returns the UserName parameter; when absent and callerDefault
// is set, the caller's own user name (the root user's for root).
func userParam(req *request, v *awsquery.Params, callerDefault bool) string {
	if !callerDefault {
		return v.Required("UserName")
	}
	if name, ok := v.Optional("UserName"); ok {
		return name
	}
	return req.Principal.User
}

// target is the user or group a request acts on.
type target struct {
	// name is the entity's stored name; the name as given when there is
	// no such entity.
	name string
	// arn is the ARN the request is authorized on: the stored entity's.
	arn string
	// root is set when the name is the root user's (users only).
	root bool
	// ldap is set when the name is an LDAP user's or group's DN (no IAM
	// user or group has it, and LDAP is configured); arn then names the
	// normalised DN, and given is the name as the request gave it.
	ldap  iam.LDAPEntityKind
	given string
}

// user resolves the user a request names: the root user by its exact
// name, an IAM user by its name in any case. Requests are authorized on
// the stored user's ARN, its path included, so a policy about
// user/team/alice applies whatever case the request uses; a user that
// does not exist is authorized on the ARN the name would have at "/", and
// the action then fails with NoSuchEntity.
func (a *API) user(req *request, name string) target {
	if a.isRoot(req, name) {
		return target{name: name, arn: iam.UserARN(iam.RootPath, name), root: true}
	}
	if u, err := a.svc.GetUser(req.Context(), name); err == nil {
		return target{name: u.Name, arn: u.ARN()}
	}
	if dn, ok := a.svc.LDAPEntity(iam.LDAPUser, name); ok {
		return target{name: dn, arn: iam.UserARN(iam.RootPath, dn), ldap: iam.LDAPUser, given: name}
	}
	return target{name: name, arn: iam.UserARN(iam.RootPath, name)}
}

// group resolves the group a request names, in any case, as user does.
func (a *API) group(req *request, name string) target {
	if g, _, err := a.svc.GetGroup(req.Context(), name); err == nil {
		return target{name: g.Name, arn: g.ARN()}
	}
	if dn, ok := a.svc.LDAPEntity(iam.LDAPGroup, name); ok {
		return target{name: dn, arn: iam.Group{Name: dn}.ARN(), ldap: iam.LDAPGroup, given: name}
	}
	return target{name: name, arn: iam.Group{Name: name}.ARN()}
}

// isRoot reports whether name is the root user's.
func (a *API) isRoot(req *request, name string) bool {
	if req.Principal.Root && name == req.Principal.User {
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
