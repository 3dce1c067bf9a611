package iam

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store"
)

// checkDocument parses a policy document within a size limit.
func checkDocument(doc string, limit int) error {
	if n := utf8.RuneCountInString(doc); n > limit {
		return errorf(ErrLimitExceeded, "policy document is %d characters; the limit is %d", n, limit)
	}
	if _, err := policy.Parse([]byte(doc)); err != nil {
		return errorf(ErrMalformedPolicy, "%s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	return nil
}

// CreatePolicy stores a managed policy, at RootPath unless WithPath says
// otherwise. The name must not be taken by another managed policy, canned
// ones included, in any case and whatever the path.
func (s *Service) CreatePolicy(ctx context.Context, name, document string, opts ...CreateOption) (ManagedPolicy, error) {
	o := applyCreateOptions(opts)
	if name == "" || len(name) > maxPolicyNameLength || !namePattern.MatchString(name) {
		return ManagedPolicy{}, errorf(ErrInvalidInput, "policy name %q must be 1 to %d characters of letters, digits and +=,.@_-", name, maxPolicyNameLength)
	}
	if err := checkPath("policy", o.path, PolicyPath); err != nil {
		return ManagedPolicy{}, err
	}
	if err := checkDocument(document, MaxPolicyDocumentSize); err != nil {
		return ManagedPolicy{}, err
	}
	now := s.now().UTC()
	p := ManagedPolicy{Name: name, Path: o.path, ID: randomID("ANPA", 21), Document: document, Created: now, Updated: now}
	err := s.write(ctx, func(snap *snapshot) error {
		if existing, ok := snap.policy(name); ok {
			if existing.Builtin {
				return errorf(ErrEntityAlreadyExists, "a policy called %s already exists (built in)", existing.Name)
			}
			return errorf(ErrEntityAlreadyExists, "a policy called %s already exists", existing.Name)
		}
		return storeErr(put(ctx, s.st, store.KindPolicy, fold(name), &p), "policy "+name)
	})
	return p, err
}

// GetPolicy returns a managed policy (canned ones included) by name, in
// any case.
func (s *Service) GetPolicy(_ context.Context, name string) (ManagedPolicy, error) {
	p, ok := s.snap.Load().policy(name)
	if !ok {
		return ManagedPolicy{}, noSuchPolicy(name)
	}
	return *p, nil
}

// ListPolicies returns the managed policies, canned ones (at RootPath)
// included, whose path begins with pathPrefix (every one for "" or "/"),
// sorted by name.
func (s *Service) ListPolicies(_ context.Context, pathPrefix string) []ManagedPolicy {
	snap := s.snap.Load()
	out := make([]ManagedPolicy, 0, len(snap.policies))
	for _, n := range sortedNames(snap.policies) {
		if p := snap.policies[n]; underPrefix(p.Path, pathPrefix) {
			out = append(out, *p)
		}
	}
	return out
}

// attachmentCount returns how many users, groups, roles and LDAP DNs the
// policy called name (exactly) is attached to.
func (snap *snapshot) attachmentCount(name string) int {
	n := 0
	for _, u := range snap.users {
		for _, p := range u.AttachedPolicies {
			if p == name {
				n++
			}
		}
	}
	for _, g := range snap.groups {
		for _, p := range g.AttachedPolicies {
			if p == name {
				n++
			}
		}
	}
	for _, r := range snap.roles {
		for _, p := range r.AttachedPolicies {
			if p == name {
				n++
			}
		}
	}
	for _, list := range snap.ldapPolicies {
		for _, p := range list {
			if p == name {
				n++
			}
		}
	}
	return n
}

// AttachmentCount reports how many users, groups and roles a policy is
// attached to; name is the policy's Name.
func (s *Service) AttachmentCount(name string) int { return s.snap.Load().attachmentCount(name) }

// DeletePolicy deletes a managed policy that is attached nowhere.
func (s *Service) DeletePolicy(ctx context.Context, name string) error {
	return s.write(ctx, func(snap *snapshot) error {
		p, ok := snap.policy(name)
		if !ok {
			return noSuchPolicy(name)
		}
		if p.Builtin {
			return errorf(ErrInvalidInput, "policy %s is built in and cannot be deleted", p.Name)
		}
		if snap.attachmentCount(p.Name) > 0 {
			return errorf(ErrDeleteConflict, "cannot delete policy %s: it is attached to users, groups, roles or LDAP DNs; detach it first", p.Name)
		}
		return storeErr(s.st.Delete(ctx, store.KindPolicy, snap.policyNames.key(p.Name)), "policy "+p.Name)
	})
}

// attach adds or removes a policy name in list; quota names the limit of
// MaxAttachedPolicies in the error ("PoliciesPerRole").
func attach(list []string, name string, op attachment, quota string) ([]string, error) {
	if op == detachPolicy {
		out, ok := removeSorted(list, name)
		if !ok {
			return list, errorf(ErrNoSuchEntity, "policy %s is not attached", name)
		}
		return out, nil
	}
	if slices.Contains(list, name) {
		return list, nil
	}
	if len(list) >= MaxAttachedPolicies {
		return list, errorf(ErrLimitExceeded, "cannot exceed quota for %s: %d", quota, MaxAttachedPolicies)
	}
	return insertSorted(list, name), nil
}

// AttachUserPolicy attaches a managed policy to a user; attaching one that
// is already attached is a no-op.
func (s *Service) AttachUserPolicy(ctx context.Context, user, policyName string) error {
	return s.setUserPolicy(ctx, user, policyName, attachPolicy)
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, user, policyName string) error {
	return s.setUserPolicy(ctx, user, policyName, detachPolicy)
}

// AttachGroupPolicy attaches a managed policy to a group; attaching one
// that is already attached is a no-op.
func (s *Service) AttachGroupPolicy(ctx context.Context, group, policyName string) error {
	return s.setGroupPolicy(ctx, group, policyName, attachPolicy)
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, group, policyName string) error {
	return s.setGroupPolicy(ctx, group, policyName, detachPolicy)
}

// attachment is what setUserPolicy and setGroupPolicy do to a policy list.
type attachment int

const (
	attachPolicy attachment = iota
	detachPolicy
)

func (s *Service) setUserPolicy(ctx context.Context, user, policyName string, op attachment) error {
	return s.write(ctx, func(snap *snapshot) error {
		policyName, err := attachable(snap, policyName, op)
		if err != nil {
			return err
		}
		return s.updateUser(ctx, snap, user, func(u *User) (err error) {
			u.AttachedPolicies, err = attach(u.AttachedPolicies, policyName, op, "PoliciesPerUser")
			return err
		})
	})
}

func (s *Service) setGroupPolicy(ctx context.Context, group, policyName string, op attachment) error {
	return s.write(ctx, func(snap *snapshot) error {
		policyName, err := attachable(snap, policyName, op)
		if err != nil {
			return err
		}
		return s.updateGroup(ctx, snap, group, func(g *Group) (err error) {
			g.AttachedPolicies, err = attach(g.AttachedPolicies, policyName, op, "PoliciesPerGroup")
			return err
		})
	})
}

// attachable returns the name under which the policy called name (in any
// case) is attached: its Name. Only an existing policy may be attached;
// detaching one that no longer exists uses name as given.
func attachable(snap *snapshot, name string, op attachment) (string, error) {
	p, ok := snap.policy(name)
	switch {
	case ok:
		return p.Name, nil
	case op == attachPolicy:
		return "", noSuchPolicy(name)
	}
	return name, nil
}

// ListAttachedUserPolicies returns the managed policies attached to a
// user whose path begins with pathPrefix (every one for "" or "/").
func (s *Service) ListAttachedUserPolicies(_ context.Context, user, pathPrefix string) ([]ManagedPolicy, error) {
	snap := s.snap.Load()
	u, ok := snap.user(user)
	if !ok {
		return nil, noSuchUser(user)
	}
	return snap.managedList(u.AttachedPolicies, pathPrefix), nil
}

// ListAttachedGroupPolicies returns the managed policies attached to a
// group whose path begins with pathPrefix (every one for "" or "/").
func (s *Service) ListAttachedGroupPolicies(_ context.Context, group, pathPrefix string) ([]ManagedPolicy, error) {
	snap := s.snap.Load()
	g, ok := snap.group(group)
	if !ok {
		return nil, noSuchGroup(group)
	}
	return snap.managedList(g.AttachedPolicies, pathPrefix), nil
}

func (snap *snapshot) managedList(names []string, pathPrefix string) []ManagedPolicy {
	var out []ManagedPolicy
	for _, n := range names {
		if p, ok := snap.policies[n]; ok && underPrefix(p.Path, pathPrefix) {
			out = append(out, *p)
		}
	}
	return out
}

// PutUserPolicy adds or replaces an inline policy of a user. Inline
// policy names are unique per user regardless of case: putting a case
// variant of an existing name replaces that policy, which keeps its name.
func (s *Service) PutUserPolicy(ctx context.Context, user, name, document string) error {
	if err := validName("policy", name); err != nil {
		return err
	}
	if err := checkDocument(document, MaxInlinePolicySize); err != nil {
		return err
	}
	return s.write(ctx, func(snap *snapshot) error {
		return s.updateUser(ctx, snap, user, func(u *User) error {
			if u.InlinePolicies == nil {
				u.InlinePolicies = map[string]string{}
			}
			if existing, ok := findInline(u.InlinePolicies, name); ok {
				name = existing
			}
			u.InlinePolicies[name] = document
			return nil
		})
	})
}

// GetUserPolicy returns the name (as stored) and document of a user's
// inline policy called name, in any case.
func (s *Service) GetUserPolicy(_ context.Context, user, name string) (string, string, error) {
	u, ok := s.snap.Load().user(user)
	if !ok {
		return "", "", noSuchUser(user)
	}
	stored, ok := findInline(u.InlinePolicies, name)
	if !ok {
		return "", "", errorf(ErrNoSuchEntity, "the user policy with name %s cannot be found", name)
	}
	return stored, u.InlinePolicies[stored], nil
}

// ListUserPolicies returns the names of a user's inline policies.
func (s *Service) ListUserPolicies(_ context.Context, user string) ([]string, error) {
	u, ok := s.snap.Load().user(user)
	if !ok {
		return nil, noSuchUser(user)
	}
	return sortedKeys(u.InlinePolicies), nil
}

// DeleteUserPolicy deletes a user's inline policy called name, in any case.
func (s *Service) DeleteUserPolicy(ctx context.Context, user, name string) error {
	return s.write(ctx, func(snap *snapshot) error {
		return s.updateUser(ctx, snap, user, func(u *User) error {
			stored, ok := findInline(u.InlinePolicies, name)
			if !ok {
				return errorf(ErrNoSuchEntity, "the user policy with name %s cannot be found", name)
			}
			delete(u.InlinePolicies, stored)
			return nil
		})
	})
}
