package iam

import (
	"context"
	"errors"
	"strings"

	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/ldap"
)

// Policies attached to LDAP DNs. With an LDAP directory configured, the
// IAM API's AttachUserPolicy and AttachGroupPolicy accept a user's or a
// group's DN as UserName or GroupName (MinIO's `mc idp ldap policy attach
// --user DN` / `--group DN`): there is no local user or group to create
// first. Each DN's attachments are one store record of kind
// store.KindLDAPPolicy, named "user:" or "group:" and the DN normalised
// (ldap.NormalizeDN), so that every spelling of a DN meets the DN a login
// reports. LDAP sessions (KindLDAP) are authorized by the attachments of
// their user DN and group DNs, read live from the snapshot.

// LDAPEntityKind says whether a DN names a user or a group.
type LDAPEntityKind string

// The kinds of DN a policy is attached to.
const (
	LDAPUser  LDAPEntityKind = "user"
	LDAPGroup LDAPEntityKind = "group"
)

// MaxDNLength bounds a DN given to the IAM API, in bytes: far beyond IAM's
// 64-character names, as directory DNs are long.
const MaxDNLength = 2048

// LDAPDirectory checks DNs against the LDAP directory for the IAM API;
// *ldap.Client is one.
type LDAPDirectory interface {
	// InUserBase and InGroupBase report, without directory traffic,
	// whether dn is under the configured user or group base DNs.
	InUserBase(dn string) bool
	InGroupBase(dn string) bool
	// LookupUserDN and LookupGroupDN check that dn names an entry under
	// the bases and return it normalised; they fail with ldap.ErrOutsideBase,
	// ldap.ErrNoSuchUser or ldap.ErrNoSuchGroup, or ldap.ErrUnavailable.
	LookupUserDN(ctx context.Context, dn string) (string, error)
	LookupGroupDN(ctx context.Context, dn string) (string, error)
}

var _ LDAPDirectory = (*ldap.Client)(nil)

// ldapMapping is the stored form of one DN's attachments.
type ldapMapping struct {
	DN       string         `json:"dn"`
	Kind     LDAPEntityKind `json:"kind"`
	Policies []string       `json:"policies"`
}

// ldapKey is the store record name (and snapshot key) of a DN's
// attachments; dn is normalised.
func ldapKey(kind LDAPEntityKind, dn string) string { return string(kind) + ":" + dn }

// LDAPEnabled reports whether an LDAP directory is configured.
func (s *Service) LDAPEnabled() bool { return s.ldap != nil }

// LDAPEntity reports whether name, given to the IAM API as a UserName
// (kind LDAPUser) or GroupName (LDAPGroup), is an LDAP DN: an LDAP
// directory is configured, no IAM user or group has that name, and it
// parses as a DN. It returns the DN normalised.
func (s *Service) LDAPEntity(kind LDAPEntityKind, name string) (string, bool) {
	if s.ldap == nil || !strings.Contains(name, "=") || len(name) > MaxDNLength {
		return "", false
	}
	snap := s.snap.Load()
	if _, ok := snap.user(name); ok && kind == LDAPUser {
		return "", false
	}
	if _, ok := snap.group(name); ok && kind == LDAPGroup {
		return "", false
	}
	dn, err := ldap.NormalizeDN(name)
	if err != nil || dn == "" {
		return "", false
	}
	return dn, true
}

// ldapNameTaken refuses an IAM user or group name that is a DN under the
// LDAP bases of its kind: the IAM API could not tell it from the DN.
func (s *Service) ldapNameTaken(kind LDAPEntityKind, name string) error {
	if s.ldap == nil || !strings.Contains(name, "=") {
		return nil
	}
	in := s.ldap.InUserBase(name)
	if kind == LDAPGroup {
		in = s.ldap.InGroupBase(name)
	}
	if in {
		return errorf(ErrInvalidInput, "%s is a DN under the LDAP directory's %s base DNs; with LDAP configured, attach policies to the DN itself instead of creating a %s of that name", name, kind, kind)
	}
	return nil
}

// AttachLDAPPolicy attaches a managed policy to the LDAP user or group dn:
// the DN must be under the configured base DNs of its kind (else
// ErrInvalidInput) and name an existing entry (else ErrNoSuchEntity); the
// directory is asked (an unreachable one is ldap.ErrUnavailable). At most
// MaxAttachedPolicies per DN. Attaching one that is attached is a no-op.
func (s *Service) AttachLDAPPolicy(ctx context.Context, kind LDAPEntityKind, dn, policyName string) error {
	if s.ldap == nil {
		return errorf(ErrInvalidInput, "no LDAP directory is configured")
	}
	norm, err := s.lookupDN(ctx, kind, dn)
	if err != nil {
		return err
	}
	return s.setLDAPPolicy(ctx, kind, norm, policyName, attachPolicy)
}

// DetachLDAPPolicy detaches a managed policy from the LDAP user or group
// dn. It does not ask the directory: an entry deleted there can still be
// detached.
func (s *Service) DetachLDAPPolicy(ctx context.Context, kind LDAPEntityKind, dn, policyName string) error {
	norm, err := ldap.NormalizeDN(dn)
	if err != nil {
		return errorf(ErrInvalidInput, "%s is not a valid DN", dn)
	}
	return s.setLDAPPolicy(ctx, kind, norm, policyName, detachPolicy)
}

// ListLDAPPolicies returns the managed policies attached to the LDAP user
// or group dn whose path begins with pathPrefix. A DN with none attached
// has an empty list if it is under the base DNs of its kind; otherwise it
// is ErrNoSuchEntity. It does not ask the directory.
func (s *Service) ListLDAPPolicies(_ context.Context, kind LDAPEntityKind, dn, pathPrefix string) ([]ManagedPolicy, error) {
	norm, err := ldap.NormalizeDN(dn)
	if err != nil {
		return nil, errorf(ErrInvalidInput, "%s is not a valid DN", dn)
	}
	snap := s.snap.Load()
	names, ok := snap.ldapPolicies[ldapKey(kind, norm)]
	if !ok && !s.inBase(kind, norm) {
		return nil, errorf(ErrNoSuchEntity, "no policy is attached to the LDAP %s %s, which is not under the configured %s base DNs", kind, dn, kind)
	}
	return snap.managedList(names, pathPrefix), nil
}

func (s *Service) inBase(kind LDAPEntityKind, dn string) bool {
	if s.ldap == nil {
		return false
	}
	if kind == LDAPGroup {
		return s.ldap.InGroupBase(dn)
	}
	return s.ldap.InUserBase(dn)
}

// lookupDN checks dn in the directory and maps the directory's answer to
// IAM's sentinels; an unreachable directory stays ldap.ErrUnavailable.
func (s *Service) lookupDN(ctx context.Context, kind LDAPEntityKind, dn string) (string, error) {
	if len(dn) > MaxDNLength {
		return "", errorf(ErrInvalidInput, "the DN is longer than %d bytes", MaxDNLength)
	}
	variable := ldap.EnvUserDNSearchBaseDN
	lookup := s.ldap.LookupUserDN
	if kind == LDAPGroup {
		variable, lookup = ldap.EnvGroupSearchBaseDN, s.ldap.LookupGroupDN
	}
	norm, err := lookup(ctx, dn)
	switch {
	case err == nil:
		return norm, nil
	case errors.Is(err, ldap.ErrOutsideBase):
		return "", errorf(ErrInvalidInput, "%s is not a DN under the LDAP %s base DNs (%s)", dn, kind, variable)
	case errors.Is(err, ldap.ErrNoSuchUser), errors.Is(err, ldap.ErrNoSuchGroup):
		return "", errorf(ErrNoSuchEntity, "the LDAP directory has no %s entry %s", kind, dn)
	}
	s.log.WarnContext(ctx, "iam: LDAP lookup of a DN failed", "dn", dn, "err", err)
	return "", err
}

func (s *Service) setLDAPPolicy(ctx context.Context, kind LDAPEntityKind, dn, policyName string, op attachment) error {
	key := ldapKey(kind, dn)
	return s.write(ctx, func(snap *snapshot) error {
		policyName, err := attachable(snap, policyName, op)
		if err != nil {
			return err
		}
		if _, ok := snap.ldapPolicies[key]; !ok {
			if op == detachPolicy {
				return errorf(ErrNoSuchEntity, "policy %s is not attached to the LDAP %s %s", policyName, kind, dn)
			}
			list, err := attach(nil, policyName, op, "PoliciesPerUser")
			if err != nil {
				return err
			}
			err = put(ctx, s.st, store.KindLDAPPolicy, key, &ldapMapping{DN: dn, Kind: kind, Policies: list})
			if !errors.Is(err, store.ErrAlreadyExists) {
				return err
			}
			// Another node created it a moment ago: update it below.
		}
		// Detaching the last policy leaves an empty record (deleting it
		// could race with another node's attach); reload skips it.
		err = update(ctx, s.st, store.KindLDAPPolicy, key, func(m *ldapMapping) (err error) {
			m.Policies, err = attach(m.Policies, policyName, op, "PoliciesPerUser")
			return err
		})
		return storeErr(err, "the policies of the LDAP "+string(kind)+" "+dn)
	})
}
