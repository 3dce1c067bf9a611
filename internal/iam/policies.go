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

// CreatePolicy stores a managed policy.
func (s *Service) CreatePolicy(ctx context.Context, name, document string) (ManagedPolicy, error) {
	if name == "" || len(name) > maxPolicyNameLength || !namePattern.MatchString(name) {
		return ManagedPolicy{}, errorf(ErrInvalidInput, "policy name %q must be 1 to %d characters of letters, digits and +=,.@_-", name, maxPolicyNameLength)
	}
	if err := checkDocument(document, MaxPolicyDocumentSize); err != nil {
		return ManagedPolicy{}, err
	}
	now := s.now().UTC()
	p := ManagedPolicy{Name: name, ID: randomID("ANPA", 21), Document: document, Created: now, Updated: now}
	err := s.write(ctx, func(snap *snapshot) error {
		if existing, ok := snap.policies[name]; ok && existing.Builtin {
			return errorf(ErrEntityAlreadyExists, "a policy called %s already exists (built in)", name)
		}
		return storeErr(put(ctx, s.st, store.KindPolicy, name, &p), "policy "+name)
	})
	return p, err
}

// GetPolicy returns a managed policy (canned ones included) by name.
func (s *Service) GetPolicy(_ context.Context, name string) (ManagedPolicy, error) {
	p, ok := s.snap.Load().policies[name]
	if !ok {
		return ManagedPolicy{}, errorf(ErrNoSuchEntity, "policy %s does not exist", name)
	}
	return *p, nil
}

// ListPolicies returns every managed policy, canned ones included, sorted by name.
func (s *Service) ListPolicies(_ context.Context) []ManagedPolicy {
	snap := s.snap.Load()
	out := make([]ManagedPolicy, 0, len(snap.policies))
	for _, n := range sortedKeys(snap.policies) {
		out = append(out, *snap.policies[n])
	}
	return out
}

// AttachmentCount returns how many users and groups a policy is attached to.
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
	return n
}

// AttachmentCount reports how many users and groups a policy is attached to.
func (s *Service) AttachmentCount(name string) int { return s.snap.Load().attachmentCount(name) }

// DeletePolicy deletes a managed policy that is attached nowhere.
func (s *Service) DeletePolicy(ctx context.Context, name string) error {
	return s.write(ctx, func(snap *snapshot) error {
		p, ok := snap.policies[name]
		if !ok {
			return errorf(ErrNoSuchEntity, "policy %s does not exist", name)
		}
		if p.Builtin {
			return errorf(ErrInvalidInput, "policy %s is built in and cannot be deleted", name)
		}
		if snap.attachmentCount(name) > 0 {
			return errorf(ErrDeleteConflict, "cannot delete policy %s: it is attached to users or groups; detach it first", name)
		}
		return storeErr(s.st.Delete(ctx, store.KindPolicy, name), "policy "+name)
	})
}

// attach adds or removes a policy name in list.
func attach(list []string, name string, op attachment) ([]string, error) {
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
		return list, errorf(ErrLimitExceeded, "cannot exceed quota for PoliciesPerUser/Group: %d", MaxAttachedPolicies)
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
	return setAttached(ctx, s, store.KindUser, "user "+user, user, policyName, op, func(u *User) *[]string { return &u.AttachedPolicies })
}

func (s *Service) setGroupPolicy(ctx context.Context, group, policyName string, op attachment) error {
	return setAttached(ctx, s, store.KindGroup, "group "+group, group, policyName, op, func(g *Group) *[]string { return &g.AttachedPolicies })
}

// setAttached attaches or detaches policyName in the list that attached
// returns of the stored record kind/name (what names it in errors).
func setAttached[T any](ctx context.Context, s *Service, kind store.Kind, what, name, policyName string, op attachment, attached func(*T) *[]string) error {
	return s.write(ctx, func(snap *snapshot) error {
		if _, ok := snap.policies[policyName]; !ok && op == attachPolicy {
			return errorf(ErrNoSuchEntity, "policy %s does not exist", policyName)
		}
		return storeErr(update(ctx, s.st, kind, name, func(v *T) (err error) {
			list := attached(v)
			*list, err = attach(*list, policyName, op)
			return err
		}), what)
	})
}

// ListAttachedUserPolicies returns the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(_ context.Context, user string) ([]ManagedPolicy, error) {
	snap := s.snap.Load()
	u, ok := snap.users[user]
	if !ok {
		return nil, errorf(ErrNoSuchEntity, "the user with name %s cannot be found", user)
	}
	return snap.managedList(u.AttachedPolicies), nil
}

// ListAttachedGroupPolicies returns the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(_ context.Context, group string) ([]ManagedPolicy, error) {
	snap := s.snap.Load()
	g, ok := snap.groups[group]
	if !ok {
		return nil, errorf(ErrNoSuchEntity, "the group with name %s cannot be found", group)
	}
	return snap.managedList(g.AttachedPolicies), nil
}

func (snap *snapshot) managedList(names []string) []ManagedPolicy {
	var out []ManagedPolicy
	for _, n := range names {
		if p, ok := snap.policies[n]; ok {
			out = append(out, *p)
		}
	}
	return out
}

// PutUserPolicy adds or replaces an inline policy of a user.
func (s *Service) PutUserPolicy(ctx context.Context, user, name, document string) error {
	if err := validName("policy", name); err != nil {
		return err
	}
	if err := checkDocument(document, MaxInlinePolicySize); err != nil {
		return err
	}
	return s.write(ctx, func(*snapshot) error {
		return storeErr(update(ctx, s.st, store.KindUser, user, func(u *User) error {
			if u.InlinePolicies == nil {
				u.InlinePolicies = map[string]string{}
			}
			u.InlinePolicies[name] = document
			return nil
		}), "user "+user)
	})
}

// GetUserPolicy returns an inline policy document.
func (s *Service) GetUserPolicy(_ context.Context, user, name string) (string, error) {
	u, ok := s.snap.Load().users[user]
	if !ok {
		return "", errorf(ErrNoSuchEntity, "the user with name %s cannot be found", user)
	}
	doc, ok := u.InlinePolicies[name]
	if !ok {
		return "", errorf(ErrNoSuchEntity, "the user policy with name %s cannot be found", name)
	}
	return doc, nil
}

// ListUserPolicies returns the names of a user's inline policies.
func (s *Service) ListUserPolicies(_ context.Context, user string) ([]string, error) {
	u, ok := s.snap.Load().users[user]
	if !ok {
		return nil, errorf(ErrNoSuchEntity, "the user with name %s cannot be found", user)
	}
	return sortedKeys(u.InlinePolicies), nil
}

// DeleteUserPolicy deletes an inline policy.
func (s *Service) DeleteUserPolicy(ctx context.Context, user, name string) error {
	return s.write(ctx, func(*snapshot) error {
		return storeErr(update(ctx, s.st, store.KindUser, user, func(u *User) error {
			if _, ok := u.InlinePolicies[name]; !ok {
				return errorf(ErrNoSuchEntity, "the user policy with name %s cannot be found", name)
			}
			delete(u.InlinePolicies, name)
			return nil
		}), "user "+user)
	})
}
