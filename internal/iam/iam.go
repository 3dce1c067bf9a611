// Package iam holds Sesame's identities and what they may do: users with
// long-term access keys, groups, roles, managed and inline policies,
// OpenID Connect providers, and the decision whether a principal may
// perform an action on a resource.
//
// # Flow
//
// State lives in a store.Store (bbolt for one node, etcd for several) as
// JSON records. The Service keeps an immutable in-memory snapshot of all of
// it, with every policy already compiled, and swaps in a new snapshot after
// each change it makes and whenever the store's Watch reports a change by
// another node. Request-path calls (LookupAccessKey, Authorize) read only
// the snapshot: no S3 request reads the store.
//
// Writes are serialized within a node and are compare-and-swap updates in
// the store, so two nodes updating the same user never lose a change.
//
// # Invariants
//
//   - The root credentials are not stored, cannot be changed through the
//     API, and may do everything.
//   - A user's effective policies are its attached managed policies, its
//     inline policies and the managed policies of its groups; an explicit
//     Deny anywhere wins and no Allow means deny.
//   - Deleting an entity that others still reference fails with
//     ErrDeleteConflict, as in AWS IAM.
//   - User, group and managed policy names are unique regardless of case
//     (a user's also against the root user's), kept as created, and found
//     in any case (names.go); the store refuses a case variant too.
//   - Users, groups and managed policies have a path, part of their ARN
//     (paths.go). A user's ARN always comes from the stored user (User.ARN,
//     or Principal.ARN with the path LookupAccessKey set), never from a
//     name alone, since bucket policies name users by ARN.
//   - Disabling a user revokes its sessions: enabling it again does not
//     revive them.
//   - Role names are unique regardless of case among roles, and a role and
//     a user (the root user included) or a configured OpenID provider
//     never share a name: the name is the role part of their sessions'
//     ARNs (roles.go).
//   - Policies attached to LDAP DNs are keyed by the normalised DN
//     (ldappolicies.go); an LDAP session's policies are those of its user
//     DN and its login's group DNs, and, like every session whose parent
//     is not stored (federated, LDAP, certificate, custom token), they are
//     looked up live on each request (identities.go).
//   - After every reload of the snapshot, Subscribe's channels are
//     signalled (coalesced), so other packages can follow IAM objects such
//     as OpenID Connect providers without a restart.
package iam

import (
	"errors"
	"regexp"
	"time"
)

// Sentinel errors, mapped to AWS IAM error codes at the HTTP edge.
var (
	// ErrNoSuchEntity is returned when a user, group, policy or key does not exist.
	ErrNoSuchEntity = errors.New("iam: no such entity")
	// ErrEntityAlreadyExists is returned when creating an entity whose name is taken.
	ErrEntityAlreadyExists = errors.New("iam: entity already exists")
	// ErrDeleteConflict is returned when deleting an entity that is still referenced.
	ErrDeleteConflict = errors.New("iam: delete conflict")
	// ErrMalformedPolicy is returned for a policy document that does not parse.
	ErrMalformedPolicy = errors.New("iam: malformed policy document")
	// ErrLimitExceeded is returned when a quota (two access keys per user, ...) is reached.
	ErrLimitExceeded = errors.New("iam: limit exceeded")
	// ErrInvalidInput is returned for a malformed name or parameter.
	ErrInvalidInput = errors.New("iam: invalid input")
	// ErrRootUser is returned when an operation names the root user.
	ErrRootUser = errors.New("iam: the root user cannot be changed through the API")
)

// AccountID is the account every ARN of this server names.
const AccountID = "000000000000"

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// User statuses: a disabled user's keys and sessions stop working at once;
// enabling it again restores its keys, never its earlier sessions.
const (
	UserEnabled  = "enabled"
	UserDisabled = "disabled"
)

// Limits, as AWS IAM sets them.
const (
	MaxAccessKeysPerUser  = 2
	MaxPolicyDocumentSize = 6144 // managed policy, characters
	MaxInlinePolicySize   = 2048 // inline user policy, characters
	MaxAttachedPolicies   = 10   // per user or group
	MaxGroupsPerUser      = 10
	maxNameLength         = 64 // user, group and inline policy names
	maxPolicyNameLength   = 128
)

// User is an IAM user.
type User struct {
	Name string `json:"name"`
	// Path is the user's path (RootPath, or as given to CreateUser).
	Path    string    `json:"path,omitempty"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Status is UserEnabled (also when empty) or UserDisabled.
	Status string `json:"status,omitempty"`
	// Groups are the names of the groups the user belongs to, sorted.
	Groups []string `json:"groups,omitempty"`
	// AttachedPolicies are managed policy names, sorted.
	AttachedPolicies []string `json:"attachedPolicies,omitempty"`
	// InlinePolicies maps inline policy names to documents.
	InlinePolicies map[string]string `json:"inlinePolicies,omitempty"`
}

// ARN returns the user's ARN, its path included.
func (u User) ARN() string { return UserARN(u.Path, u.Name) }

// UserARN returns the ARN of the user called name at path (RootPath when
// empty): arn:aws:iam::000000000000:user/s3-tests/alice for alice at
// /s3-tests/. Policies name users by it, so a user's ARN must come from
// the stored user (User.ARN, Principal.ARN), never from a name alone.
func UserARN(path, name string) string {
	return "arn:aws:iam::" + AccountID + ":user" + pathOr(path) + name
}

// RootARN is the ARN of the root credentials.
const RootARN = "arn:aws:iam::" + AccountID + ":root"

// AccessKey is a long-term credential of a user.
type AccessKey struct {
	ID      string    `json:"id"`
	Secret  string    `json:"secret"`
	User    string    `json:"user"`
	Status  string    `json:"status"`
	Created time.Time `json:"created"`
}

// Group is an IAM group; membership is recorded on its users.
type Group struct {
	Name string `json:"name"`
	// Path is the group's path (RootPath, or as given to CreateGroup).
	Path             string    `json:"path,omitempty"`
	ID               string    `json:"id"`
	Created          time.Time `json:"created"`
	AttachedPolicies []string  `json:"attachedPolicies,omitempty"`
}

// ARN returns the group's ARN, its path included.
func (g Group) ARN() string { return "arn:aws:iam::" + AccountID + ":group" + pathOr(g.Path) + g.Name }

// Role is an IAM role: permissions policies as a user has (attached managed
// policies and inline policies) and a trust policy saying who may assume
// it. It has no credentials of its own; STS issues sessions of it.
type Role struct {
	Name string `json:"name"`
	// Path is the role's path (RootPath, or as given to CreateRole).
	Path string `json:"path"`
	// ID is "AROA" and 17 random characters.
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// AssumeRolePolicyDocument is the trust policy, stored as given.
	AssumeRolePolicyDocument string `json:"assumeRolePolicyDocument"`
	Description              string `json:"description,omitempty"`
	// MaxSessionDuration is the longest session of the role, in seconds
	// (MinRoleSessionDuration to MaxRoleSessionDuration).
	MaxSessionDuration int `json:"maxSessionDuration"`
	// AttachedPolicies are managed policy names, sorted.
	AttachedPolicies []string `json:"attachedPolicies,omitempty"`
	// InlinePolicies maps inline policy names to documents.
	InlinePolicies map[string]string `json:"inlinePolicies,omitempty"`
	// Tags are in the order they were first added.
	Tags []Tag `json:"tags,omitempty"`
}

// ARN returns the role's ARN, its path included:
// arn:aws:iam::000000000000:role/app/reader for reader at /app/.
func (r Role) ARN() string { return "arn:aws:iam::" + AccountID + ":role" + pathOr(r.Path) + r.Name }

// OIDCProvider is an IAM OpenID Connect provider: an issuer whose identity
// tokens roles may trust (AssumeRoleWithWebIdentity).
type OIDCProvider struct {
	// URL is the issuer URL as given: https://host[/path] (http:// is
	// accepted for labs and tests, with a warning).
	URL string `json:"url"`
	// ClientIDs are the audiences accepted, in the order added.
	ClientIDs []string `json:"clientIDs,omitempty"`
	// Thumbprints are kept as given and not used: Sesame verifies tokens
	// with the keys of the provider's JWKS, fetched over verified TLS.
	Thumbprints []string `json:"thumbprints,omitempty"`
	// Tags are in the order they were first added.
	Tags    []Tag     `json:"tags,omitempty"`
	Created time.Time `json:"created"`
}

// ARN returns the provider's ARN: arn:aws:iam::000000000000:oidc-provider/
// followed by the URL without its scheme and trailing slash.
func (p OIDCProvider) ARN() string { return oidcProviderARNPrefix + providerKey(p.URL) }

// Tag is a key and value attached to a role or an OpenID Connect provider.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ManagedPolicy is a named policy that can be attached to users, groups and roles.
type ManagedPolicy struct {
	Name string `json:"name"`
	// Path is the policy's path (RootPath, or as given to CreatePolicy).
	Path     string    `json:"path,omitempty"`
	ID       string    `json:"id"`
	Document string    `json:"document"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	// Builtin is true for the canned policies (readonly, readwrite, ...).
	Builtin bool `json:"-"`
}

// ARN returns the policy's ARN, its path included: canned policies live
// in the "aws" account namespace as AWS-managed policies do.
func (p ManagedPolicy) ARN() string {
	if p.Builtin {
		return "arn:aws:iam::aws:policy" + pathOr(p.Path) + p.Name
	}
	return "arn:aws:iam::" + AccountID + ":policy" + pathOr(p.Path) + p.Name
}

// VersionID is the policy's only version: Sesame does not keep versions.
func (p ManagedPolicy) VersionID() string { return "v1" }

var policyARNPattern = regexp.MustCompile(`^arn:aws:iam::(aws|\d{12}):policy/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$`)

// PolicyNameFromARN returns the policy name an ARN names, whatever its
// path; the policy it names is the one of that name whose ARN (path and
// account included) is exactly arn.
func PolicyNameFromARN(arn string) (string, error) {
	m := policyARNPattern.FindStringSubmatch(arn)
	if m == nil {
		return "", errorf(ErrInvalidInput, "policy ARN %q is not of the form arn:aws:iam::<account>:policy/<name>", arn)
	}
	return m[2], nil
}
