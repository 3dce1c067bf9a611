package iam

import (
	"regexp"
	"strings"
)

// Names. As in AWS IAM, the names of users, groups and managed policies are
// unique within the account without regard to case: "Alice" cannot be
// created beside "alice", nor a user named like the root user in another
// case. They are case-preserving: an entity keeps the name it was created
// with, and every response and ARN shows that name. Wherever the API takes
// a name (UserName, GroupName, inline PolicyName), any case finds the
// entity; ARNs (PolicyArn) must match exactly.
//
// New records are stored under the folded (lower-case) name, so the store
// itself refuses a case variant that another node creates at the same
// moment; records written before that are keyed by their name and keep
// that key.

var namePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)

// validName checks a user, group or inline policy name.
func validName(kind, name string) error {
	if name == "" || len(name) > maxNameLength || !namePattern.MatchString(name) {
		return errorf(ErrInvalidInput, "%s name %q must be 1 to %d characters of letters, digits and +=,.@_-", kind, name, maxNameLength)
	}
	return nil
}

// fold is the form in which names are compared. Names are ASCII (see
// namePattern), so lower-casing is enough.
func fold(name string) string { return strings.ToLower(name) }

// names finds the entities of one kind by name, in any case.
type names struct {
	// keys maps each entity's name to its store record's name ("" for
	// the canned policies, which are not stored).
	keys map[string]string
	// folded maps each folded name to the entity's name.
	folded map[string]string
}

func newNames() names {
	return names{keys: map[string]string{}, folded: map[string]string{}}
}

// add indexes the entity called name, stored under key. Of case variants
// (only records written before names were unique regardless of case can
// be such), the first one added is the one other cases find.
func (n names) add(name, key string) {
	n.keys[name] = key
	if f := fold(name); n.folded[f] == "" {
		n.folded[f] = name
	}
}

// resolve returns the name of the entity that name names: the entity of
// exactly that name if there is one, else the one whose name differs only
// in case.
func (n names) resolve(name string) (string, bool) {
	if _, ok := n.keys[name]; ok {
		return name, true
	}
	c, ok := n.folded[fold(name)]
	return c, ok
}

// key returns the store record name of the entity called name (resolved).
func (n names) key(name string) string { return n.keys[name] }

// findInline returns the name under which m (inline policy name →
// document) holds the inline policy called name: name itself, else a case
// variant of it (the first in name order, should older records hold
// several).
func findInline(m map[string]string, name string) (string, bool) {
	if _, ok := m[name]; ok {
		return name, true
	}
	for _, k := range sortedKeys(m) {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

// user returns the user that name names, in any case.
func (snap *snapshot) user(name string) (*User, bool) {
	if c, ok := snap.userNames.resolve(name); ok {
		return snap.users[c], true
	}
	return nil, false
}

// group returns the group that name names, in any case.
func (snap *snapshot) group(name string) (*Group, bool) {
	if c, ok := snap.groupNames.resolve(name); ok {
		return snap.groups[c], true
	}
	return nil, false
}

// policy returns the managed policy that name names, in any case.
func (snap *snapshot) policy(name string) (*ManagedPolicy, bool) {
	if c, ok := snap.policyNames.resolve(name); ok {
		return snap.policies[c], true
	}
	return nil, false
}

func noSuchUser(name string) error {
	return errorf(ErrNoSuchEntity, "the user with name %s cannot be found", name)
}

func noSuchGroup(name string) error {
	return errorf(ErrNoSuchEntity, "the group with name %s cannot be found", name)
}

func noSuchPolicy(name string) error {
	return errorf(ErrNoSuchEntity, "policy %s does not exist", name)
}
