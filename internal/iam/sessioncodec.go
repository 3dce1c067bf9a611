package iam

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// SessionKind says how a session was minted, and so how it is evaluated.
type SessionKind uint8

// The kinds of sessions.
const (
	// KindUserSession is MinIO's AssumeRole: a session of a user (or of
	// root, ParentRoot) with the parent's live policies ∩ the session
	// policy. Also every session minted before kinds existed.
	KindUserSession SessionKind = iota
	// KindFederated is MinIO's AssumeRoleWithWebIdentity/ClientGrants
	// without a real role: Provider is set and Policies are the policies
	// the token named.
	KindFederated
	// KindRole is a session of an IAM role (AWS's AssumeRole or
	// AssumeRoleWithWebIdentity naming a real role): the role's live
	// policies ∩ the session policies.
	KindRole
	// KindSessionToken is GetSessionToken: the user itself, for a while.
	KindSessionToken
	// KindFederationToken is GetFederationToken: a federated user with
	// the parent user's policies ∩ the session policies.
	KindFederationToken
	// KindLDAP is AssumeRoleWithLDAPIdentity: Parent is the user's DN
	// (normalised), LDAPUsername the name it logged in with and Groups
	// the DNs of its groups at login; its policies are those attached to
	// these DNs, looked up live.
	KindLDAP
	// KindCertificate is AssumeRoleWithCertificate: Parent is the client
	// certificate's subject common name and Policies the policy it names.
	KindCertificate
	// KindCustom is AssumeRoleWithCustomToken: Parent is the user the
	// identity plugin vouched for, Policies the plugin's role policies and
	// Claims the claims it returned.
	KindCustom

	// maxKind is the last kind a session token may carry.
	maxKind = KindCustom
)

// Session is what a sealed session token carries: everything needed to
// verify a request signed with temporary credentials, on any node, without
// reading the store.
type Session struct {
	Kind      SessionKind
	AccessKey string
	SecretKey string
	Issued    time.Time
	Expires   time.Time
	// Parent is the user the session acts for (the root user's name when
	// ParentRoot), whose live policies bound it; the role's name for a
	// role session.
	Parent     string
	ParentID   string
	ParentRoot bool
	// Name is the role session name the caller chose, or "" (the
	// federated user's name for KindFederationToken).
	Name string
	// Policy is the inline session policy, "" for none.
	Policy string
	// PolicyNames are the managed session policies (PolicyArns), by name:
	// with Policy, they bound a role or federation-token session.
	PolicyNames []string
	// Claims are identity-provider claims for ${jwt:...} policy variables.
	Claims map[string][]string
	// Provider is set for sessions of an OpenID Connect identity: for
	// KindFederated, Parent is then the token's subject and Policies the
	// managed policies it was granted (by claim or role), evaluated live
	// like a user's. For a role session from a web identity, Provider is
	// the provider's name and ProviderARN its IAM ARN.
	Provider    string
	ProviderARN string
	Policies    []string
	// RoleID identifies the role of a role session (ParentID too): a role
	// deleted and created again under its name does not revive sessions.
	RoleID string
	// SourceIdentity is set once, by whoever first assumed a role, and
	// kept through role chaining.
	SourceIdentity string
	// Tags are the session tags (aws:PrincipalTag/<key>); TransitiveTags
	// the keys that pass on to a chained role session.
	Tags           []Tag
	TransitiveTags []string
	// Chained is set for a session minted by another session (role
	// chaining), which AWS limits to one hour.
	Chained bool
	// LDAPUsername is the name an LDAP user logged in with (KindLDAP).
	LDAPUsername string
	// Groups are the DNs of an LDAP user's groups at login, normalised
	// (KindLDAP).
	Groups []string
}

// Session formats: 1 has the fields up to Policies; 2 adds a list of
// tagged fields after them, for the kinds that came with IAM roles and
// later (a new field is a new tag: format 2 tokens minted before it decode
// unchanged).
const (
	sessionFormatV1 = 1
	sessionFormat   = 2
)

// The tagged fields of format 2.
const (
	fieldKind = iota + 1
	fieldPolicyName
	fieldProviderARN
	fieldRoleID
	fieldSourceIdentity
	fieldTag
	fieldTransitiveTag
	fieldChained
	fieldLDAPUsername
	fieldGroup
)

// maxListItems bounds every list in a decoded session.
const maxListItems = 1024

// encode writes s in a compact binary form (length-prefixed strings and
// Unix nanoseconds): no JSON escaping, so a 2048-character policy keeps the
// token well under 4 KiB.
func (s *Session) encode() []byte {
	var b []byte
	b = append(b, sessionFormat)
	str := func(v string) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	str(s.AccessKey)
	str(s.SecretKey)
	b = binary.AppendVarint(b, s.Issued.UnixNano())
	b = binary.AppendVarint(b, s.Expires.UnixNano())
	str(s.Parent)
	str(s.ParentID)
	if s.ParentRoot {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	str(s.Name)
	str(s.Policy)
	keys := make([]string, 0, len(s.Claims))
	for k := range s.Claims {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		str(k)
		b = binary.AppendUvarint(b, uint64(len(s.Claims[k])))
		for _, v := range s.Claims[k] {
			str(v)
		}
	}
	str(s.Provider)
	b = binary.AppendUvarint(b, uint64(len(s.Policies)))
	for _, p := range s.Policies {
		str(p)
	}
	// Format 2: tagged fields, each (tag, values...), zero values left out.
	field := func(tag uint64, vals ...string) {
		b = binary.AppendUvarint(b, tag)
		for _, v := range vals {
			str(v)
		}
	}
	if s.Kind != KindUserSession {
		b = binary.AppendUvarint(b, fieldKind)
		b = binary.AppendUvarint(b, uint64(s.Kind))
	}
	for _, p := range s.PolicyNames {
		field(fieldPolicyName, p)
	}
	if s.ProviderARN != "" {
		field(fieldProviderARN, s.ProviderARN)
	}
	if s.RoleID != "" {
		field(fieldRoleID, s.RoleID)
	}
	if s.SourceIdentity != "" {
		field(fieldSourceIdentity, s.SourceIdentity)
	}
	for _, t := range s.Tags {
		field(fieldTag, t.Key, t.Value)
	}
	for _, k := range s.TransitiveTags {
		field(fieldTransitiveTag, k)
	}
	if s.Chained {
		b = binary.AppendUvarint(b, fieldChained)
	}
	if s.LDAPUsername != "" {
		field(fieldLDAPUsername, s.LDAPUsername)
	}
	for _, g := range s.Groups {
		field(fieldGroup, g)
	}
	return b
}

var errBadSession = errors.New("iam: malformed session")

// decodeSession is encode's inverse (and reads format 1); it never panics
// on hostile input, and refuses a field it does not know (fail closed).
func decodeSession(b []byte) (*Session, error) {
	if len(b) == 0 || (b[0] != sessionFormat && b[0] != sessionFormatV1) {
		return nil, errBadSession
	}
	format := b[0]
	b = b[1:]
	bad := false
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			bad = true
			return 0
		}
		b = b[n:]
		return v
	}
	sv := func() int64 {
		v, n := binary.Varint(b)
		if n <= 0 {
			bad = true
			return 0
		}
		b = b[n:]
		return v
	}
	str := func() string {
		n := uv()
		if bad || n > uint64(len(b)) {
			bad = true
			return ""
		}
		v := string(b[:n])
		b = b[n:]
		return v
	}
	s := &Session{}
	s.AccessKey, s.SecretKey = str(), str()
	s.Issued, s.Expires = time.Unix(0, sv()), time.Unix(0, sv())
	s.Parent, s.ParentID = str(), str()
	if bad || len(b) < 1 {
		return nil, errBadSession
	}
	s.ParentRoot, b = b[0] == 1, b[1:]
	s.Name, s.Policy = str(), str()
	n := uv()
	if n > maxListItems {
		bad = true
	}
	for i := uint64(0); i < n && !bad; i++ {
		k := str()
		m := uv()
		if m > maxListItems {
			bad = true
			break
		}
		if s.Claims == nil {
			s.Claims = map[string][]string{}
		}
		for j := uint64(0); j < m && !bad; j++ {
			s.Claims[k] = append(s.Claims[k], str())
		}
	}
	s.Provider = str()
	if n := uv(); n <= maxListItems {
		for i := uint64(0); i < n && !bad; i++ {
			s.Policies = append(s.Policies, str())
		}
	} else {
		bad = true
	}
	if s.Provider != "" {
		s.Kind = KindFederated
	}
	for format == sessionFormat && !bad && len(b) > 0 {
		if len(s.PolicyNames)+len(s.Tags)+len(s.TransitiveTags)+len(s.Groups) > maxListItems {
			bad = true
			break
		}
		switch tag := uv(); tag {
		case fieldKind:
			s.Kind = SessionKind(uv())
			if s.Kind > maxKind {
				bad = true
			}
		case fieldPolicyName:
			s.PolicyNames = append(s.PolicyNames, str())
		case fieldProviderARN:
			s.ProviderARN = str()
		case fieldRoleID:
			s.RoleID = str()
		case fieldSourceIdentity:
			s.SourceIdentity = str()
		case fieldTag:
			k := str()
			s.Tags = append(s.Tags, Tag{Key: k, Value: str()})
		case fieldTransitiveTag:
			s.TransitiveTags = append(s.TransitiveTags, str())
		case fieldChained:
			s.Chained = true
		case fieldLDAPUsername:
			s.LDAPUsername = str()
		case fieldGroup:
			s.Groups = append(s.Groups, str())
		default:
			bad = true
		}
	}
	if bad || len(b) != 0 {
		return nil, errBadSession
	}
	return s, nil
}
