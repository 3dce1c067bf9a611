package iam

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Sessions of the identity sources that are neither IAM users nor OpenID
// providers: an LDAP directory (AssumeRoleWithLDAPIdentity), client
// certificates (AssumeRoleWithCertificate) and an identity plugin
// (AssumeRoleWithCustomToken). The STS layer proves who the caller is;
// these functions decide which policies the session gets and mint it.
// Like a federated session, none has a stored parent: its policies are
// looked up live on every request (Authorize's identityDecision).

// The role part of the session ARNs of each source
// (arn:aws:sts::000000000000:assumed-role/<role>/<parent>). No IAM user or
// role may take one of these names while its source is configured
// (Options.Providers).
const (
	LDAPRole        = "ldap"
	CertificateRole = "certificate"
	CustomTokenRole = "custom"
)

// identitySource reports whether k is the kind of an LDAP, certificate or
// custom-token session.
func (k SessionKind) identitySource() bool {
	return k == KindLDAP || k == KindCertificate || k == KindCustom
}

// role is the role part of the ARNs of k's sessions (identity sources only).
func (k SessionKind) role() string {
	switch k {
	case KindLDAP:
		return LDAPRole
	case KindCertificate:
		return CertificateRole
	}
	return CustomTokenRole
}

// maxGroupBytes bounds the group DNs an LDAP session carries, so that its
// token stays well under maxTokenLength.
const maxGroupBytes = 8 << 10

// LDAPIdentity is a directory user whose password the directory accepted.
type LDAPIdentity struct {
	// Username is the name the user logged in with.
	Username string
	// UserDN and Groups are the user's DN and its groups' DNs,
	// normalised (ldap.NormalizeDN).
	UserDN string
	Groups []string
}

// AssumeRoleWithLDAP mints a session for an LDAP user: its permissions are
// the managed policies attached to the user's DN and to its groups' DNs
// (AttachLDAPPolicy), looked up live on every request, ∩ opts.Policy. A
// user with no policy attached, directly or through a group, is
// ErrAccessDenied, as in MinIO (with an external authorizer, which
// decides from the user and groups, it is not). The groups are as of the
// login; when their DNs exceed maxGroupBytes, the session keeps only the
// groups that have policies now.
func (s *Service) AssumeRoleWithLDAP(_ context.Context, id LDAPIdentity, opts AssumeRoleOptions) (Credentials, AssumedRoleUser, error) {
	if id.UserDN == "" {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrInvalidInput, "the LDAP identity has no DN")
	}
	if err := s.checkIdentitySession(opts); err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	snap := s.snap.Load()
	mapped := len(snap.ldapPolicies[ldapKey(LDAPUser, id.UserDN)]) > 0
	var withPolicies []string
	size := 0
	for _, g := range id.Groups {
		size += len(g)
		if len(snap.ldapPolicies[ldapKey(LDAPGroup, g)]) > 0 {
			mapped = true
			withPolicies = append(withPolicies, g)
		}
	}
	if !mapped && s.external == nil {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrAccessDenied, "no policy is attached to the LDAP user or to any of its groups")
	}
	groups := slices.Clone(id.Groups)
	if size > maxGroupBytes {
		groups = withPolicies
		size = 0
		for _, g := range groups {
			size += len(g)
		}
		if size > maxGroupBytes {
			return Credentials{}, AssumedRoleUser{}, errorf(ErrAccessDenied, "the LDAP user's groups with policies take %d bytes; a session holds at most %d", size, maxGroupBytes)
		}
		s.log.Warn("iam: an LDAP user's groups are too many to keep in its session; it keeps those with policies now",
			"user_dn", id.UserDN, "groups", len(id.Groups), "kept", len(groups))
	}
	sess := &Session{
		Kind: KindLDAP, Parent: id.UserDN, ParentID: LDAPRole, LDAPUsername: id.Username, Groups: groups,
		Policy: opts.Policy,
	}
	return s.mintIdentitySession(sess, opts.Duration, time.Time{})
}

// CertificateIdentity is a client certificate that the TLS handshake
// verified (or, with MINIO_IDENTITY_TLS_SKIP_VERIFY, merely presented).
type CertificateIdentity struct {
	// CommonName is the subject's common name: the policy's name.
	CommonName string
	// NotAfter is the end of the certificate's validity, which the session
	// never outlives.
	NotAfter time.Time
}

// AssumeRoleWithCertificate mints a session for a client certificate, as
// MinIO does: its permissions are the managed policy named exactly like the
// certificate's subject common name (which must exist, unless an external
// authorizer decides), looked up live, ∩ opts.Policy. The session ends at
// the certificate's NotAfter if that comes first.
func (s *Service) AssumeRoleWithCertificate(_ context.Context, id CertificateIdentity, opts AssumeRoleOptions) (Credentials, AssumedRoleUser, error) {
	if id.CommonName == "" {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrAccessDenied, "the client certificate's subject has no common name (CN), which must name a policy")
	}
	if err := s.checkIdentitySession(opts); err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	if _, ok := s.snap.Load().policies[id.CommonName]; !ok && s.external == nil {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrAccessDenied, "no policy is named %q, the client certificate's subject common name", id.CommonName)
	}
	sess := &Session{Kind: KindCertificate, Parent: id.CommonName, ParentID: CertificateRole, Policies: []string{id.CommonName}, Policy: opts.Policy}
	return s.mintIdentitySession(sess, opts.Duration, id.NotAfter)
}

// CustomIdentity is a user an identity plugin vouched for
// (AssumeRoleWithCustomToken).
type CustomIdentity struct {
	// User is the plugin's "user".
	User string
	// Policies are the plugin's role policies
	// (MINIO_IDENTITY_PLUGIN_ROLE_POLICY).
	Policies []string
	// Claims are the plugin's claims, flattened; they feed ${jwt:...}
	// policy variables and OPA.
	Claims map[string][]string
}

// AssumeRoleWithCustomToken mints a session for a user the identity plugin
// vouched for: the role policies that exist (none is ErrAccessDenied,
// unless an external authorizer decides), looked up live, ∩ opts.Policy.
// opts.Duration is the session's length, which the caller bounds by the
// plugin's maxValiditySeconds.
func (s *Service) AssumeRoleWithCustomToken(_ context.Context, id CustomIdentity, opts AssumeRoleOptions) (Credentials, AssumedRoleUser, error) {
	if id.User == "" {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrInvalidInput, "the identity plugin named no user")
	}
	if err := s.checkIdentitySession(opts); err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	var policies []string
	snap := s.snap.Load()
	for _, p := range id.Policies {
		if _, ok := snap.policies[p]; ok {
			policies = append(policies, p)
		}
	}
	if s.external != nil {
		policies = slices.Clone(id.Policies)
	} else if len(policies) == 0 {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrAccessDenied, "none of the identity plugin's role policies (%s) exists", strings.Join(id.Policies, ", "))
	}
	sess := &Session{
		Kind: KindCustom, Parent: id.User, ParentID: CustomTokenRole, Policies: policies, Policy: opts.Policy,
		Claims: keepClaims(id.Claims, sortedKeys(id.Claims)),
	}
	return s.mintIdentitySession(sess, opts.Duration, time.Time{})
}

// checkIdentitySession checks what the three identity sessions share: the
// session policy's size and grammar.
func (s *Service) checkIdentitySession(opts AssumeRoleOptions) error {
	if opts.Duration <= 0 {
		return errorf(ErrInvalidInput, "the session needs a duration")
	}
	if opts.Policy != "" {
		if n := utf8.RuneCountInString(opts.Policy); n > MaxSessionPolicySize {
			return errorf(ErrPackedPolicyTooLarge, "the session policy has %d characters; the limit is %d", n, MaxSessionPolicySize)
		}
		if _, err := s.sessionPolicy(opts.Policy); err != nil {
			return err
		}
	}
	return nil
}

// mintIdentitySession seals sess with fresh keys; it lasts d, and ends at
// notAfter if that is set and earlier.
func (s *Service) mintIdentitySession(sess *Session, d time.Duration, notAfter time.Time) (Credentials, AssumedRoleUser, error) {
	now := s.now()
	expires := now.Add(min(d, MaxSessionDuration))
	if !notAfter.IsZero() && notAfter.Before(expires) {
		expires = notAfter
	}
	if !expires.After(now) {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrAccessDenied, "the credential expired at %s", expires.UTC().Format(time.RFC3339))
	}
	sess.AccessKey, sess.SecretKey = randomID("ASIA", 20), randomSecret()
	sess.Issued, sess.Expires = now, expires.Truncate(time.Second)
	token, err := s.sealSession(sess)
	if err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	return Credentials{AccessKeyID: sess.AccessKey, SecretAccessKey: sess.SecretKey, SessionToken: token, Expiration: sess.Expires.UTC()},
		sess.AssumedRoleUser(), nil
}

// keepClaims returns the claims named in keep, in that order, within
// maxClaimBytes in all.
func keepClaims(claims map[string][]string, keep []string) map[string][]string {
	out := map[string][]string{}
	size := 0
	for _, k := range keep {
		for _, v := range claims[k] {
			if size += len(k) + len(v); size > maxClaimBytes {
				return out
			}
			out[k] = append(out[k], v)
		}
	}
	return out
}
