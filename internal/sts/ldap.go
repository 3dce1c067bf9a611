package sts

import (
	"context"
	"fmt"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/ldap"
)

// LDAPAuthenticator checks an LDAP username and password against the
// directory and tells the user's DN and groups; *ldap.Client is one. Its
// errors wrap the ldap package's sentinels, which awsquery maps to wire
// codes; their text never holds the password, the username or a DN.
type LDAPAuthenticator interface {
	Authenticate(ctx context.Context, username, password string) (ldap.Identity, error)
}

var _ LDAPAuthenticator = (*ldap.Client)(nil)

// ldapIdentityResult is <AssumeRoleWithLDAPIdentityResult>, as MinIO
// answers it (minio-go reads its Credentials).
type ldapIdentityResult struct {
	AssumedRoleUser assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials     credentialsXML     `xml:"Credentials"`
}

// assumeRoleWithLDAPIdentity trades an LDAP username and password
// (LDAPUsername, LDAPPassword) for temporary credentials: MinIO's action.
// Unsigned: the password proves the caller. The session's permissions are
// the policies attached to the user's DN and its groups' DNs, looked up
// live, ∩ Policy; a user with none is AccessDenied.
func (a *API) assumeRoleWithLDAPIdentity(req *request) (any, error) {
	v := req.Validate()
	username := secretParam(v, "LDAPUsername", "ldapUsername", ldap.MaxUsernameLength)
	password := secretParam(v, "LDAPPassword", "ldapPassword", ldap.MaxPasswordLength)
	// minio-go sends ConfigName, MinIO's AIStor documents it for several
	// LDAP configurations; Sesame has one, which has no name.
	for _, p := range []string{"ConfigName", "LDAPConfigName"} {
		if name, ok := v.Get(p); ok && name != "" {
			v.Problem(awsquery.MemberName(p), awsquery.Quote(name), "Member must be empty: this server has one LDAP configuration, which has no name")
		}
	}
	opts := iam.AssumeRoleOptions{Duration: a.defaultDuration}
	a.sessionParams(v, &opts)
	// The session is named by the user's DN, never by the caller.
	opts.RoleSessionName = ""
	if err := check(v, opts); err != nil {
		return nil, err
	}
	if a.ldap == nil {
		return nil, awsquery.ErrAccessDenied.WithMessage("No LDAP directory is configured on this server (set MINIO_IDENTITY_LDAP_SERVER_ADDR).")
	}
	id, err := a.ldap.Authenticate(req.Context(), username, password)
	if err != nil {
		// The details (DNs, the server's diagnostic) go to the log only.
		a.log.InfoContext(req.Context(), "sts: LDAP login refused", "err", err)
		return nil, err
	}
	req.Audit.Provider, req.Audit.Subject = iam.LDAPRole, id.UserDN
	// The directory accepted the password: that is the caller's proof.
	req.Authenticated()
	creds, user, err := a.svc.AssumeRoleWithLDAP(req.Context(), iam.LDAPIdentity{Username: id.Username, UserDN: id.UserDN, Groups: id.Groups}, opts)
	if err != nil {
		return nil, err
	}
	req.Audit.AssumedRole, req.Audit.AccessKey, req.Audit.Expiration = user.Arn, creds.AccessKeyID, creds.Expiration
	return ldapIdentityResult{
		AssumedRoleUser: assumedRoleUserXML{Arn: user.Arn, AssumedRoleID: user.AssumedRoleID},
		Credentials: credentialsXML{
			AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
			SessionToken: creds.SessionToken, Expiration: isoTime(creds.Expiration),
		},
	}, nil
}

// secretParam returns a required parameter of at most limit bytes whose
// value is never echoed in the validation message.
func secretParam(v *awsquery.Params, name, member string, limit int) string {
	s, ok := v.Get(name)
	switch {
	case !ok:
		v.Problem(member, "null", "Member must not be null")
	case len(s) > limit:
		v.Problem(member, "'***'", fmt.Sprintf("Member must have length less than or equal to %d", limit))
	}
	return s
}
