package iam

import (
	"context"
	"sort"
	"strings"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// CreateUser creates a user with no keys and no policies, at RootPath
// unless WithPath says otherwise. The name must not be taken, in any case
// and whatever the path, by another user, the root user or a role (whose
// sessions' ARNs a user's would share: roles.go).
func (s *Service) CreateUser(ctx context.Context, name string, opts ...CreateOption) (User, error) {
	o := applyCreateOptions(opts)
	if err := validName("user", name); err != nil {
		return User{}, err
	}
	if err := checkPath("user", o.path, EntityPath); err != nil {
		return User{}, err
	}
	if s.rootNameTaken(name) {
		return User{}, errorf(ErrEntityAlreadyExists, "user %s already exists", name)
	}
	if s.reservedName(name) {
		return User{}, errorf(ErrInvalidInput, "the name %s belongs to an OpenID Connect provider or another identity source, whose sessions it names; choose another", name)
	}
	if err := s.ldapNameTaken(LDAPUser, name); err != nil {
		return User{}, err
	}
	u := User{Name: name, Path: o.path, ID: randomID("AIDA", 21), Created: s.now().UTC()}
	err := s.write(ctx, func(snap *snapshot) error {
		if taken, ok := snap.userNames.resolve(name); ok {
			return errorf(ErrEntityAlreadyExists, "user with name %s already exists", taken)
		}
		if role, ok := snap.roleNames.resolve(name); ok {
			return errorf(ErrEntityAlreadyExists,
				"the name %s is a role's; a user may not share a role's name, since their sessions' ARNs (assumed-role/%s/...) would be the same", role, role)
		}
		return storeErr(put(ctx, s.st, store.KindUser, fold(name), &u), "user "+name)
	})
	return u, err
}

// GetUser returns the user called name, in any case.
func (s *Service) GetUser(_ context.Context, name string) (User, error) {
	u, ok := s.snap.Load().user(name)
	if !ok {
		return User{}, noSuchUser(name)
	}
	return *u, nil
}

// ListUsers returns the users whose path begins with pathPrefix (every
// user for "" or "/"), sorted by name.
func (s *Service) ListUsers(_ context.Context, pathPrefix string) []User {
	snap := s.snap.Load()
	out := make([]User, 0, len(snap.users))
	for _, name := range sortedNames(snap.users) {
		if u := snap.users[name]; underPrefix(u.Path, pathPrefix) {
			out = append(out, *u)
		}
	}
	return out
}

// DeleteUser deletes a user that has no keys, policies or groups left.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	return s.write(ctx, func(snap *snapshot) error {
		u, ok := snap.user(name)
		if !ok {
			return noSuchUser(name)
		}
		var refs []string
		for _, k := range snap.keys {
			if k.User == u.Name {
				refs = append(refs, "access keys")
				break
			}
		}
		if len(u.AttachedPolicies) > 0 {
			refs = append(refs, "attached policies")
		}
		if len(u.InlinePolicies) > 0 {
			refs = append(refs, "inline policies")
		}
		if len(u.Groups) > 0 {
			refs = append(refs, "group memberships")
		}
		if len(refs) > 0 {
			return errorf(ErrDeleteConflict, "cannot delete user %s: it still has %s; remove them first", u.Name, strings.Join(refs, ", "))
		}
		return storeErr(s.st.Delete(ctx, store.KindUser, snap.userNames.key(u.Name)), "user "+u.Name)
	})
}

// updateUser applies fn to the stored record of the user that name names,
// in any case.
func (s *Service) updateUser(ctx context.Context, snap *snapshot, name string, fn func(*User) error) error {
	u, ok := snap.user(name)
	if !ok {
		return noSuchUser(name)
	}
	return storeErr(update(ctx, s.st, store.KindUser, snap.userNames.key(u.Name), fn), "user "+u.Name)
}

// CreateAccessKey creates an active key pair for a user (at most two).
func (s *Service) CreateAccessKey(ctx context.Context, user string) (AccessKey, error) {
	var k AccessKey
	err := s.write(ctx, func(snap *snapshot) error {
		u, ok := snap.user(user)
		if !ok {
			return noSuchUser(user)
		}
		n := 0
		for _, k := range snap.keys {
			if k.User == u.Name {
				n++
			}
		}
		if n >= MaxAccessKeysPerUser {
			return errorf(ErrLimitExceeded, "cannot exceed quota for AccessKeysPerUser: %d", MaxAccessKeysPerUser)
		}
		k = AccessKey{ID: randomID("AKIA", 20), Secret: randomSecret(), User: u.Name, Status: StatusActive, Created: s.now().UTC()}
		return storeErr(put(ctx, s.st, store.KindAccessKey, k.ID, &k), "access key")
	})
	return k, err
}

// ListAccessKeys returns a user's keys, without their secrets, oldest first.
func (s *Service) ListAccessKeys(_ context.Context, user string) ([]AccessKey, error) {
	snap := s.snap.Load()
	u, ok := snap.user(user)
	if !ok {
		return nil, noSuchUser(user)
	}
	var out []AccessKey
	for _, k := range snap.keys {
		if k.User == u.Name {
			c := *k
			c.Secret = ""
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Created.Before(out[j].Created) || out[i].Created.Equal(out[j].Created) && out[i].ID < out[j].ID
	})
	return out, nil
}

// keyOf returns the key if it belongs to user.
func keyOf(snap *snapshot, user, id string) (*AccessKey, error) {
	u, ok := snap.user(user)
	if !ok {
		return nil, noSuchUser(user)
	}
	k, ok := snap.keys[id]
	if !ok || k.User != u.Name {
		return nil, errorf(ErrNoSuchEntity, "the access key with id %s cannot be found", id)
	}
	return k, nil
}

// UpdateAccessKey sets a key's status to Active or Inactive.
func (s *Service) UpdateAccessKey(ctx context.Context, user, id, status string) error {
	if status != StatusActive && status != StatusInactive {
		return errorf(ErrInvalidInput, "status must be Active or Inactive")
	}
	return s.write(ctx, func(snap *snapshot) error {
		if _, err := keyOf(snap, user, id); err != nil {
			return err
		}
		return storeErr(update(ctx, s.st, store.KindAccessKey, id, func(k *AccessKey) error {
			k.Status = status
			return nil
		}), "access key "+id)
	})
}

// DeleteAccessKey deletes a user's key.
func (s *Service) DeleteAccessKey(ctx context.Context, user, id string) error {
	return s.write(ctx, func(snap *snapshot) error {
		if _, err := keyOf(snap, user, id); err != nil {
			return err
		}
		return storeErr(s.st.Delete(ctx, store.KindAccessKey, id), "access key "+id)
	})
}

// SetUserStatus enables or disables a user. A disabled user's access keys
// and temporary credentials are refused from the next request on, and its
// sessions stay void when it is enabled again: disabling revokes every
// session issued before (as RevokeUserSessions does), and so does enabling
// a disabled user, which also voids a session minted by a request that
// was authenticated just before the user was disabled. Enabling a user
// that is enabled changes nothing.
func (s *Service) SetUserStatus(ctx context.Context, name, status string) error {
	if status != UserEnabled && status != UserDisabled {
		return errorf(ErrInvalidInput, "status must be %q or %q", UserEnabled, UserDisabled)
	}
	return s.write(ctx, func(snap *snapshot) error {
		u, ok := snap.user(name)
		if !ok {
			return noSuchUser(name)
		}
		if status == UserDisabled || u.Status == UserDisabled {
			// Revoke first: should the status update fail, the sessions
			// are void all the same (fail closed).
			if err := s.putRevocation(ctx, userRevocation(u.Name)); err != nil {
				return err
			}
		}
		return s.updateUser(ctx, snap, u.Name, func(u *User) error {
			u.Status = status
			if status == UserEnabled {
				u.Status = ""
			}
			return nil
		})
	})
}
