package iam

import (
	"context"
	"slices"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// CreateGroup creates an empty group, at RootPath unless WithPath says
// otherwise. The name must not be taken by another group, in any case and
// whatever the path.
func (s *Service) CreateGroup(ctx context.Context, name string, opts ...CreateOption) (Group, error) {
	o := applyCreateOptions(opts)
	if err := validName("group", name); err != nil {
		return Group{}, err
	}
	if err := checkPath("group", o.path, EntityPath); err != nil {
		return Group{}, err
	}
	if err := s.ldapNameTaken(LDAPGroup, name); err != nil {
		return Group{}, err
	}
	g := Group{Name: name, Path: o.path, ID: randomID("AGPA", 21), Created: s.now().UTC()}
	err := s.write(ctx, func(snap *snapshot) error {
		if taken, ok := snap.groupNames.resolve(name); ok {
			return errorf(ErrEntityAlreadyExists, "group with name %s already exists", taken)
		}
		return storeErr(put(ctx, s.st, store.KindGroup, fold(name), &g), "group "+name)
	})
	return g, err
}

// GetGroup returns the group called name, in any case, and its members.
func (s *Service) GetGroup(_ context.Context, name string) (Group, []User, error) {
	snap := s.snap.Load()
	g, ok := snap.group(name)
	if !ok {
		return Group{}, nil, noSuchGroup(name)
	}
	var members []User
	for _, u := range snap.members[g.Name] {
		members = append(members, *snap.users[u])
	}
	return *g, members, nil
}

// ListGroups returns the groups whose path begins with pathPrefix (every
// group for "" or "/"), sorted by name.
func (s *Service) ListGroups(_ context.Context, pathPrefix string) []Group {
	snap := s.snap.Load()
	out := make([]Group, 0, len(snap.groups))
	for _, n := range sortedNames(snap.groups) {
		if g := snap.groups[n]; underPrefix(g.Path, pathPrefix) {
			out = append(out, *g)
		}
	}
	return out
}

// DeleteGroup deletes a group with no members and no attached policies.
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	return s.write(ctx, func(snap *snapshot) error {
		g, ok := snap.group(name)
		if !ok {
			return noSuchGroup(name)
		}
		if len(snap.members[g.Name]) > 0 {
			return errorf(ErrDeleteConflict, "cannot delete group %s: it still has members", g.Name)
		}
		if len(g.AttachedPolicies) > 0 {
			return errorf(ErrDeleteConflict, "cannot delete group %s: it still has attached policies", g.Name)
		}
		return storeErr(s.st.Delete(ctx, store.KindGroup, snap.groupNames.key(g.Name)), "group "+g.Name)
	})
}

// AddUserToGroup makes user a member of group (idempotent).
func (s *Service) AddUserToGroup(ctx context.Context, group, user string) error {
	return s.write(ctx, func(snap *snapshot) error {
		g, ok := snap.group(group)
		if !ok {
			return noSuchGroup(group)
		}
		return s.updateUser(ctx, snap, user, func(u *User) error {
			if slices.Contains(u.Groups, g.Name) {
				return nil
			}
			if len(u.Groups) >= MaxGroupsPerUser {
				return errorf(ErrLimitExceeded, "cannot exceed quota for GroupsPerUser: %d", MaxGroupsPerUser)
			}
			u.Groups = insertSorted(u.Groups, g.Name)
			return nil
		})
	})
}

// RemoveUserFromGroup removes user from group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, group, user string) error {
	return s.write(ctx, func(snap *snapshot) error {
		g, ok := snap.group(group)
		if !ok {
			return noSuchGroup(group)
		}
		return s.updateUser(ctx, snap, user, func(u *User) error {
			var ok bool
			if u.Groups, ok = removeSorted(u.Groups, g.Name); !ok {
				return errorf(ErrNoSuchEntity, "user %s is not in group %s", u.Name, g.Name)
			}
			return nil
		})
	})
}

// ListGroupsForUser returns the groups a user belongs to.
func (s *Service) ListGroupsForUser(_ context.Context, user string) ([]Group, error) {
	snap := s.snap.Load()
	u, ok := snap.user(user)
	if !ok {
		return nil, noSuchUser(user)
	}
	var out []Group
	for _, g := range u.Groups {
		if grp, ok := snap.groups[g]; ok {
			out = append(out, *grp)
		}
	}
	return out, nil
}

// updateGroup applies fn to the stored record of the group that name
// names, in any case.
func (s *Service) updateGroup(ctx context.Context, snap *snapshot, name string, fn func(*Group) error) error {
	g, ok := snap.group(name)
	if !ok {
		return noSuchGroup(name)
	}
	return storeErr(update(ctx, s.st, store.KindGroup, snap.groupNames.key(g.Name), fn), "group "+g.Name)
}
