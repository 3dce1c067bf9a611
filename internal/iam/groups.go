package iam

import (
	"context"
	"slices"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// CreateGroup creates an empty group.
func (s *Service) CreateGroup(ctx context.Context, name string) (Group, error) {
	if err := validName("group", name); err != nil {
		return Group{}, err
	}
	g := Group{Name: name, ID: randomID("AGPA", 21), Created: s.now().UTC()}
	err := s.write(ctx, func(*snapshot) error {
		return storeErr(put(ctx, s.st, store.KindGroup, name, &g), "group "+name)
	})
	return g, err
}

// GetGroup returns a group and its members.
func (s *Service) GetGroup(_ context.Context, name string) (Group, []User, error) {
	snap := s.snap.Load()
	g, ok := snap.groups[name]
	if !ok {
		return Group{}, nil, errorf(ErrNoSuchEntity, "the group with name %s cannot be found", name)
	}
	var members []User
	for _, u := range snap.members[name] {
		members = append(members, *snap.users[u])
	}
	return *g, members, nil
}

// ListGroups returns every group, sorted by name.
func (s *Service) ListGroups(_ context.Context) []Group {
	snap := s.snap.Load()
	out := make([]Group, 0, len(snap.groups))
	for _, n := range sortedKeys(snap.groups) {
		out = append(out, *snap.groups[n])
	}
	return out
}

// DeleteGroup deletes a group with no members and no attached policies.
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	return s.write(ctx, func(snap *snapshot) error {
		g, ok := snap.groups[name]
		if !ok {
			return errorf(ErrNoSuchEntity, "the group with name %s cannot be found", name)
		}
		if len(snap.members[name]) > 0 {
			return errorf(ErrDeleteConflict, "cannot delete group %s: it still has members", name)
		}
		if len(g.AttachedPolicies) > 0 {
			return errorf(ErrDeleteConflict, "cannot delete group %s: it still has attached policies", name)
		}
		return storeErr(s.st.Delete(ctx, store.KindGroup, name), "group "+name)
	})
}

// AddUserToGroup makes user a member of group (idempotent).
func (s *Service) AddUserToGroup(ctx context.Context, group, user string) error {
	return s.write(ctx, func(snap *snapshot) error {
		if _, ok := snap.groups[group]; !ok {
			return errorf(ErrNoSuchEntity, "the group with name %s cannot be found", group)
		}
		return storeErr(update(ctx, s.st, store.KindUser, user, func(u *User) error {
			if slices.Contains(u.Groups, group) {
				return nil
			}
			if len(u.Groups) >= MaxGroupsPerUser {
				return errorf(ErrLimitExceeded, "cannot exceed quota for GroupsPerUser: %d", MaxGroupsPerUser)
			}
			u.Groups = insertSorted(u.Groups, group)
			return nil
		}), "user "+user)
	})
}

// RemoveUserFromGroup removes user from group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, group, user string) error {
	return s.write(ctx, func(snap *snapshot) error {
		if _, ok := snap.groups[group]; !ok {
			return errorf(ErrNoSuchEntity, "the group with name %s cannot be found", group)
		}
		return storeErr(update(ctx, s.st, store.KindUser, user, func(u *User) error {
			var ok bool
			if u.Groups, ok = removeSorted(u.Groups, group); !ok {
				return errorf(ErrNoSuchEntity, "user %s is not in group %s", user, group)
			}
			return nil
		}), "user "+user)
	})
}

// ListGroupsForUser returns the groups a user belongs to.
func (s *Service) ListGroupsForUser(_ context.Context, user string) ([]Group, error) {
	snap := s.snap.Load()
	u, ok := snap.users[user]
	if !ok {
		return nil, errorf(ErrNoSuchEntity, "the user with name %s cannot be found", user)
	}
	var out []Group
	for _, g := range u.Groups {
		if grp, ok := snap.groups[g]; ok {
			out = append(out, *grp)
		}
	}
	return out, nil
}
