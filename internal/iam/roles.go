package iam

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store"
)

// Roles. A role has permissions policies as a user has (attached managed
// policies and inline policies, compiled into the snapshot's
// roleEffective) and a trust policy saying who may assume it; it has no
// credentials of its own. How STS issues and evaluates role sessions is
// docs/ROLES.md's subject; this file keeps the roles themselves.
//
// Role names follow the rules of user names (names.go): 1 to 64 of
// letters, digits and +=,.@_-, unique among roles regardless of case, kept
// as created and found in any case. A role's name is also the role part of
// its sessions' ARNs (arn:aws:sts::000000000000:assumed-role/<role>/<session>),
// a namespace shared with the sessions users mint for themselves (named
// after the user) and the sessions of the configured OpenID providers
// (named after the provider): so no role may take a user's name (the root
// user's included) or a provider's, and no user a role's, in any case.

// Limits of roles, as AWS IAM sets them. Policy sizes are counted as AWS
// counts them, in characters other than white space.
const (
	// MinRoleSessionDuration, MaxRoleSessionDuration and
	// DefaultRoleSessionDuration bound a role's MaxSessionDuration, in
	// seconds.
	MinRoleSessionDuration     = 3600
	MaxRoleSessionDuration     = 43200
	DefaultRoleSessionDuration = 3600
	// MaxRoleInlinePolicySize is the size of all of a role's inline
	// policies together.
	MaxRoleInlinePolicySize = 10240
	// MaxTrustPolicySize is the size of a trust policy: AWS's default
	// quota is 2,048 and can be raised to 8,192 on request; Sesame, which
	// has no quota requests, allows the most AWS grants.
	MaxTrustPolicySize = 8192
	// MaxRoleDescriptionLength is the longest role description.
	MaxRoleDescriptionLength = 1000
)

// policySize is a policy document's size as AWS counts it against its
// quotas: characters other than white space.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// validateTrustPolicy checks a role's trust policy document with the
// policy language's trust-policy rules (policy.ParseTrustPolicy).
func validateTrustPolicy(doc string) error {
	if _, err := policy.ParseTrustPolicy([]byte(doc)); err != nil {
		return errorf(ErrMalformedPolicy, "%s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	return nil
}

// checkTrustPolicy checks a trust policy's size, then its content.
func checkTrustPolicy(doc string) error {
	if n := policySize(doc); n > MaxTrustPolicySize {
		return errorf(ErrLimitExceeded, "cannot exceed quota for ACLSizePerRole: %d (the trust policy has %d characters other than white space)", MaxTrustPolicySize, n)
	}
	return validateTrustPolicy(doc)
}

func checkRoleDescription(d string) error {
	if utf8.RuneCountInString(d) > MaxRoleDescriptionLength {
		return errorf(ErrInvalidInput, "a role description is at most %d characters", MaxRoleDescriptionLength)
	}
	for _, r := range d {
		if !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7E || r >= 0xA1 && r <= 0xFF) {
			return errorf(ErrInvalidInput, "a role description may hold only tab, line breaks and the characters U+0020 to U+007E and U+00A1 to U+00FF")
		}
	}
	return nil
}

func checkMaxSessionDuration(seconds int) error {
	if seconds < MinRoleSessionDuration || seconds > MaxRoleSessionDuration {
		return errorf(ErrInvalidInput, "a role's maximum session duration must be %d to %d seconds, not %d", MinRoleSessionDuration, MaxRoleSessionDuration, seconds)
	}
	return nil
}

// validInlinePolicyName checks the name of a role's inline policy.
func validInlinePolicyName(name string) error {
	if name == "" || len(name) > maxPolicyNameLength || !namePattern.MatchString(name) {
		return errorf(ErrInvalidInput, "policy name %q must be 1 to %d characters of letters, digits and +=,.@_-", name, maxPolicyNameLength)
	}
	return nil
}

// RoleOption sets an optional property of a new role.
type RoleOption func(*roleOptions)

type roleOptions struct {
	path, description string
	maxSession        int
	tags              []Tag
}

// WithRolePath creates the role at path (RootPath by default), which must
// satisfy EntityPath.
func WithRolePath(path string) RoleOption { return func(o *roleOptions) { o.path = path } }

// WithDescription gives the role a description (at most
// MaxRoleDescriptionLength characters).
func WithDescription(d string) RoleOption { return func(o *roleOptions) { o.description = d } }

// WithMaxSessionDuration sets the longest session of the role, in seconds
// (DefaultRoleSessionDuration by default).
func WithMaxSessionDuration(seconds int) RoleOption {
	return func(o *roleOptions) { o.maxSession = seconds }
}

// WithTags tags the role.
func WithTags(tags ...Tag) RoleOption {
	return func(o *roleOptions) { o.tags = append(o.tags, tags...) }
}

// RoleUpdate is what UpdateRole changes; nil fields are left as they are.
type RoleUpdate struct {
	// Description replaces the description ("" removes it).
	Description *string
	// MaxSessionDuration replaces the longest session, in seconds.
	MaxSessionDuration *int
}

// clone returns r with its own slices and map, so that a caller cannot
// change the snapshot.
func (r Role) clone() Role {
	r.AttachedPolicies = slices.Clone(r.AttachedPolicies)
	r.InlinePolicies = maps.Clone(r.InlinePolicies)
	r.Tags = slices.Clone(r.Tags)
	return r
}

// role returns the role that name names, in any case.
func (snap *snapshot) role(name string) (*Role, bool) {
	if c, ok := snap.roleNames.resolve(name); ok {
		return snap.roles[c], true
	}
	return nil, false
}

func noSuchRole(name string) error {
	return errorf(ErrNoSuchEntity, "the role with name %s cannot be found", name)
}

// roleNameClash returns why a role may not be called name: a user or
// the root user has that name, in any case, or an OpenID provider's
// sessions are named so. It returns nil when the name is free of these.
func (s *Service) roleNameClash(snap *snapshot, name string) error {
	user, ok := snap.userNames.resolve(name)
	if !ok && s.rootNameTaken(name) {
		user, ok = name, true
	}
	if ok {
		return errorf(ErrEntityAlreadyExists,
			"the name %s is a user's; a role may not share a user's name, since their sessions' ARNs (assumed-role/%s/...) would be the same", user, user)
	}
	if s.reservedName(name) {
		return errorf(ErrInvalidInput, "the name %s belongs to an OpenID Connect provider, whose sessions it names; choose another", name)
	}
	return nil
}

// CreateRole creates a role with the trust policy trustPolicy and no
// permissions policies, at RootPath unless WithRolePath says otherwise.
// The name must not be taken by another role, in any case and whatever the
// path, nor be a user's or a configured OpenID provider's.
func (s *Service) CreateRole(ctx context.Context, name, trustPolicy string, opts ...RoleOption) (Role, error) {
	o := roleOptions{path: RootPath, maxSession: DefaultRoleSessionDuration}
	for _, opt := range opts {
		opt(&o)
	}
	if err := validName("role", name); err != nil {
		return Role{}, err
	}
	if err := checkPath("role", o.path, EntityPath); err != nil {
		return Role{}, err
	}
	if err := checkTrustPolicy(trustPolicy); err != nil {
		return Role{}, err
	}
	if err := checkRoleDescription(o.description); err != nil {
		return Role{}, err
	}
	if err := checkMaxSessionDuration(o.maxSession); err != nil {
		return Role{}, err
	}
	if err := checkTags(o.tags, roleTagKeys); err != nil {
		return Role{}, err
	}
	r := Role{
		Name: name, Path: o.path, ID: randomID("AROA", 21), Created: s.now().UTC(),
		AssumeRolePolicyDocument: trustPolicy, Description: o.description, MaxSessionDuration: o.maxSession,
		Tags: o.tags,
	}
	err := s.write(ctx, func(snap *snapshot) error {
		if taken, ok := snap.roleNames.resolve(name); ok {
			return errorf(ErrEntityAlreadyExists, "role with name %s already exists", taken)
		}
		if err := s.roleNameClash(snap, name); err != nil {
			return err
		}
		return storeErr(put(ctx, s.st, store.KindRole, fold(name), &r), "role "+name)
	})
	if err != nil {
		return Role{}, err
	}
	return r.clone(), nil
}

// GetRole returns the role called name, in any case.
func (s *Service) GetRole(_ context.Context, name string) (Role, error) {
	r, ok := s.snap.Load().role(name)
	if !ok {
		return Role{}, noSuchRole(name)
	}
	return r.clone(), nil
}

// ListRoles returns the roles whose path begins with pathPrefix (every
// role for "" or "/"), sorted by name.
func (s *Service) ListRoles(_ context.Context, pathPrefix string) []Role {
	snap := s.snap.Load()
	out := make([]Role, 0, len(snap.roles))
	for _, name := range sortedNames(snap.roles) {
		if r := snap.roles[name]; underPrefix(r.Path, pathPrefix) {
			out = append(out, r.clone())
		}
	}
	return out
}

// CanonicalARN returns arn with an empty account field filled in: an IAM
// ARN without an account (arn:aws:iam:::role/NAME, as ceph's s3-tests
// write it) names this account. Any other ARN is returned as is.
// Requests about such an ARN must be authorized on the canonical form, so
// that a policy about the entity cannot be sidestepped by leaving the
// account out.
func CanonicalARN(arn string) string {
	if rest, ok := strings.CutPrefix(arn, "arn:aws:iam:::"); ok {
		return "arn:aws:iam::" + AccountID + ":" + rest
	}
	return arn
}

// RoleByARN returns the role arn names: arn must be the role's ARN exactly
// (path and case included), or the same with an empty account field
// (arn:aws:iam:::role/NAME, which names this account).
func (s *Service) RoleByARN(arn string) (Role, bool) {
	arn = CanonicalARN(arn)
	if !strings.HasPrefix(arn, "arn:aws:iam::"+AccountID+":role/") {
		return Role{}, false
	}
	i := strings.LastIndexByte(arn, '/')
	if i < 0 {
		return Role{}, false
	}
	r, ok := s.snap.Load().role(arn[i+1:])
	if !ok || r.ARN() != arn {
		return Role{}, false
	}
	return r.clone(), true
}

// DeleteRole deletes a role that has no attached or inline policies left.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	return s.write(ctx, func(snap *snapshot) error {
		r, ok := snap.role(name)
		if !ok {
			return noSuchRole(name)
		}
		var refs []string
		if len(r.AttachedPolicies) > 0 {
			refs = append(refs, "attached policies")
		}
		if len(r.InlinePolicies) > 0 {
			refs = append(refs, "inline policies")
		}
		if len(refs) > 0 {
			return errorf(ErrDeleteConflict, "cannot delete role %s: it still has %s; remove them first", r.Name, strings.Join(refs, ", "))
		}
		return storeErr(s.st.Delete(ctx, store.KindRole, snap.roleNames.key(r.Name)), "role "+r.Name)
	})
}

// updateRole applies fn to the stored record of the role that name names,
// in any case.
func (s *Service) updateRole(ctx context.Context, snap *snapshot, name string, fn func(*Role) error) error {
	r, ok := snap.role(name)
	if !ok {
		return noSuchRole(name)
	}
	return storeErr(update(ctx, s.st, store.KindRole, snap.roleNames.key(r.Name), fn), "role "+r.Name)
}

// UpdateRole changes a role's description and maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, name string, u RoleUpdate) error {
	if u.Description != nil {
		if err := checkRoleDescription(*u.Description); err != nil {
			return err
		}
	}
	if u.MaxSessionDuration != nil {
		if err := checkMaxSessionDuration(*u.MaxSessionDuration); err != nil {
			return err
		}
	}
	return s.write(ctx, func(snap *snapshot) error {
		return s.updateRole(ctx, snap, name, func(r *Role) error {
			if u.Description != nil {
				r.Description = *u.Description
			}
			if u.MaxSessionDuration != nil {
				r.MaxSessionDuration = *u.MaxSessionDuration
			}
			return nil
		})
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, name, trustPolicy string) error {
	if err := checkTrustPolicy(trustPolicy); err != nil {
		return err
	}
	return s.write(ctx, func(snap *snapshot) error {
		return s.updateRole(ctx, snap, name, func(r *Role) error {
			r.AssumeRolePolicyDocument = trustPolicy
			return nil
		})
	})
}

// AttachRolePolicy attaches a managed policy to a role (at most
// MaxAttachedPolicies); attaching one that is already attached is a no-op.
func (s *Service) AttachRolePolicy(ctx context.Context, role, policyName string) error {
	return s.setRolePolicy(ctx, role, policyName, attachPolicy)
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, role, policyName string) error {
	return s.setRolePolicy(ctx, role, policyName, detachPolicy)
}

func (s *Service) setRolePolicy(ctx context.Context, role, policyName string, op attachment) error {
	return s.write(ctx, func(snap *snapshot) error {
		policyName, err := attachable(snap, policyName, op)
		if err != nil {
			return err
		}
		return s.updateRole(ctx, snap, role, func(r *Role) (err error) {
			r.AttachedPolicies, err = attach(r.AttachedPolicies, policyName, op, "PoliciesPerRole")
			return err
		})
	})
}

// ListAttachedRolePolicies returns the managed policies attached to a role
// whose path begins with pathPrefix (every one for "" or "/").
func (s *Service) ListAttachedRolePolicies(_ context.Context, role, pathPrefix string) ([]ManagedPolicy, error) {
	snap := s.snap.Load()
	r, ok := snap.role(role)
	if !ok {
		return nil, noSuchRole(role)
	}
	return snap.managedList(r.AttachedPolicies, pathPrefix), nil
}

// PutRolePolicy adds or replaces an inline policy of a role. Inline policy
// names are unique per role regardless of case: putting a case variant of
// an existing name replaces that policy, which keeps its name. All of a
// role's inline policies together are at most MaxRoleInlinePolicySize
// characters other than white space.
func (s *Service) PutRolePolicy(ctx context.Context, role, name, document string) error {
	if err := validInlinePolicyName(name); err != nil {
		return err
	}
	if n := policySize(document); n > MaxRoleInlinePolicySize {
		return errorf(ErrLimitExceeded, "maximum policy size of %d bytes exceeded for role %s", MaxRoleInlinePolicySize, role)
	}
	if _, err := policy.Parse([]byte(document)); err != nil {
		return errorf(ErrMalformedPolicy, "%s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	return s.write(ctx, func(snap *snapshot) error {
		return s.updateRole(ctx, snap, role, func(r *Role) error {
			if r.InlinePolicies == nil {
				r.InlinePolicies = map[string]string{}
			}
			stored := name
			if existing, ok := findInline(r.InlinePolicies, name); ok {
				stored = existing
			}
			total := policySize(document)
			for n, doc := range r.InlinePolicies {
				if n != stored {
					total += policySize(doc)
				}
			}
			if total > MaxRoleInlinePolicySize {
				return errorf(ErrLimitExceeded, "maximum policy size of %d bytes exceeded for role %s", MaxRoleInlinePolicySize, r.Name)
			}
			r.InlinePolicies[stored] = document
			return nil
		})
	})
}

// GetRolePolicy returns the name (as stored) and document of a role's
// inline policy called name, in any case.
func (s *Service) GetRolePolicy(_ context.Context, role, name string) (string, string, error) {
	r, ok := s.snap.Load().role(role)
	if !ok {
		return "", "", noSuchRole(role)
	}
	stored, ok := findInline(r.InlinePolicies, name)
	if !ok {
		return "", "", errorf(ErrNoSuchEntity, "the role policy with name %s cannot be found", name)
	}
	return stored, r.InlinePolicies[stored], nil
}

// ListRolePolicies returns the names of a role's inline policies, sorted.
func (s *Service) ListRolePolicies(_ context.Context, role string) ([]string, error) {
	r, ok := s.snap.Load().role(role)
	if !ok {
		return nil, noSuchRole(role)
	}
	return sortedKeys(r.InlinePolicies), nil
}

// DeleteRolePolicy deletes a role's inline policy called name, in any case.
func (s *Service) DeleteRolePolicy(ctx context.Context, role, name string) error {
	return s.write(ctx, func(snap *snapshot) error {
		return s.updateRole(ctx, snap, role, func(r *Role) error {
			stored, ok := findInline(r.InlinePolicies, name)
			if !ok {
				return errorf(ErrNoSuchEntity, "the role policy with name %s cannot be found", name)
			}
			delete(r.InlinePolicies, stored)
			return nil
		})
	})
}

// TagRole adds tags to a role or replaces the values of its tags with the
// same keys, compared regardless of case (the key keeps the case given
// last). A role carries at most MaxTags tags.
func (s *Service) TagRole(ctx context.Context, role string, tags []Tag) error {
	if err := checkTags(tags, roleTagKeys); err != nil {
		return err
	}
	return s.write(ctx, func(snap *snapshot) error {
		return s.updateRole(ctx, snap, role, func(r *Role) (err error) {
			r.Tags, err = mergeTags(r.Tags, tags, roleTagKeys)
			return err
		})
	})
}

// UntagRole removes the tags with the given keys, compared regardless of
// case, from a role; keys it does not carry are ignored.
func (s *Service) UntagRole(ctx context.Context, role string, keys []string) error {
	if err := checkTagKeys(keys); err != nil {
		return err
	}
	return s.write(ctx, func(snap *snapshot) error {
		return s.updateRole(ctx, snap, role, func(r *Role) error {
			r.Tags = removeTags(r.Tags, keys, roleTagKeys)
			return nil
		})
	})
}

// ListRoleTags returns a role's tags in the order they were added.
func (s *Service) ListRoleTags(_ context.Context, role string) ([]Tag, error) {
	r, ok := s.snap.Load().role(role)
	if !ok {
		return nil, noSuchRole(role)
	}
	return slices.Clone(r.Tags), nil
}
