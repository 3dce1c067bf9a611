package sts

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/oidc"
)

// The AWS path: AssumeRole and AssumeRoleWithWebIdentity naming a real
// IAM role, GetSessionToken and GetFederationToken. docs/ROLES.md puts it
// beside MinIO's path.

// RoleVerifier verifies the token of AssumeRoleWithWebIdentity naming a
// real role: any configured OpenID provider or one created through the
// IAM API, chosen by the token's issuer; the role's trust policy decides.
type RoleVerifier interface {
	VerifyForRole(ctx context.Context, token string) (*oidc.Identity, error)
}

// Parameter limits of the AWS path, as AWS STS sets them.
const (
	maxRoleDuration       = 12 * time.Hour
	maxTokenDuration      = 36 * time.Hour
	minExternalIDLength   = 2
	maxExternalIDLength   = 1224
	maxPolicyARNLength    = 2048
	maxListMembers        = 100
	minFederatedNameLen   = 2
	maxFederatedNameLen   = 32
	minSourceIdentityLen  = 2
	maxSourceIdentityLen  = 64
	maxTagKeyCharacters   = 128
	maxTagValueCharacters = 256
)

var (
	externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	namePattern       = regexp.MustCompile(`^[\w+=,.@-]*$`)
)

// roleSessionParams reads the AWS path's parameters into opts: the shared
// ones (DurationSeconds up to maxDur, RoleSessionName, Policy) and
// PolicyArns.member.N.arn, Tags.member.N.Key/Value,
// TransitiveTagKeys.member.N, SourceIdentity; ExternalId when external.
func roleSessionParams(v *awsquery.Params, opts *iam.SessionOptions, maxDur time.Duration, external bool) {
	if s, ok := v.Get("DurationSeconds"); ok {
		opts.Duration = v.Duration("durationSeconds", s, iam.MinSessionDuration, maxDur)
	}
	if s, ok := v.Get("RoleSessionName"); ok {
		if v.Length("roleSessionName", s, minSessionNameLength, maxSessionNameLength) {
			v.Pattern("roleSessionName", s, sessionNamePattern)
		}
		opts.RoleSessionName = s
	}
	if doc, ok := v.Get("Policy"); ok {
		if doc == "" {
			v.Problem("policy", "''", "Member must have length greater than or equal to 1")
		}
		opts.Policy = doc
	}
	for i := 1; i <= maxListMembers; i++ {
		arn, ok := v.Get("PolicyArns.member." + strconv.Itoa(i) + ".arn")
		if !ok {
			break
		}
		if v.Length("policyArns."+strconv.Itoa(i)+".member.arn", arn, minRoleARNLength, maxPolicyARNLength) {
			opts.PolicyARNs = append(opts.PolicyARNs, arn)
		}
	}
	for i := 1; i <= maxListMembers; i++ {
		key, ok := v.Get("Tags.member." + strconv.Itoa(i) + ".Key")
		if !ok {
			break
		}
		value, _ := v.Get("Tags.member." + strconv.Itoa(i) + ".Value")
		v.Length("tags."+strconv.Itoa(i)+".member.key", key, 1, maxTagKeyCharacters)
		v.Length("tags."+strconv.Itoa(i)+".member.value", value, 0, maxTagValueCharacters)
		opts.Tags = append(opts.Tags, iam.Tag{Key: key, Value: value})
	}
	for i := 1; i <= maxListMembers; i++ {
		key, ok := v.Get("TransitiveTagKeys.member." + strconv.Itoa(i))
		if !ok {
			break
		}
		opts.TransitiveTagKeys = append(opts.TransitiveTagKeys, key)
	}
	if s, ok := v.Get("SourceIdentity"); ok {
		if v.Length("sourceIdentity", s, minSourceIdentityLen, maxSourceIdentityLen) {
			v.Pattern("sourceIdentity", s, namePattern)
		}
		opts.SourceIdentity = s
	}
	if s, ok := v.Get("ExternalId"); ok && external {
		if v.Length("externalId", s, minExternalIDLength, maxExternalIDLength) {
			v.Pattern("externalId", s, externalIDPattern)
		}
		opts.ExternalID = s
	}
	for _, p := range []string{"SerialNumber", "TokenCode"} {
		if _, ok := v.Get(p); ok {
			v.Problem(awsquery.MemberName(p), "'***'", "Sesame does not support MFA: leave "+p+" out")
		}
	}
}

// checkRole returns the ValidationError of the problems found, then
// PackedPolicyTooLarge for an oversized inline session policy.
func checkRole(v *awsquery.Params, opts iam.SessionOptions) error {
	return check(v, iam.AssumeRoleOptions{Policy: opts.Policy})
}

// requireSessionName records the problem of a missing RoleSessionName,
// which the AWS path requires.
func requireSessionName(v *awsquery.Params, opts iam.SessionOptions) {
	if _, ok := v.Get("RoleSessionName"); !ok {
		v.Problem("roleSessionName", "null", "Member must not be null")
	}
}

// assumeRealRole is AssumeRole naming a real role (the AWS path).
func (a *API) assumeRealRole(req *request, role iam.Role) (any, error) {
	v := req.Validate()
	var opts iam.SessionOptions
	roleSessionParams(v, &opts, maxRoleDuration, true)
	requireSessionName(v, opts)
	if err := checkRole(v, opts); err != nil {
		return nil, err
	}
	cond, err := req.ConditionKeys()
	if err != nil {
		return nil, err
	}
	opts.Conditions = cond
	req.Authenticated() // the role's trust policy and the caller's policies decide, below
	req.Audit.Role = role.ARN()
	out, err := a.svc.AssumeRoleAs(req.Context(), req.Principal, role, opts)
	if err != nil {
		return nil, err
	}
	auditIssued(req, out, opts)
	return assumeRoleResult{
		AssumedRoleUser:  assumedRoleUserXML{Arn: out.AssumedRoleUser.Arn, AssumedRoleID: out.AssumedRoleUser.AssumedRoleID},
		Credentials:      credentialsOf(out.Credentials),
		PackedPolicySize: packed(out.PackedPolicySize),
		SourceIdentity:   out.SourceIdentity,
	}, nil
}

// webIdentityForRole is AssumeRoleWithWebIdentity naming a real role.
func (a *API) webIdentityForRole(req *request, token string, role iam.Role) (any, error) {
	v := req.Validate()
	var opts iam.SessionOptions
	roleSessionParams(v, &opts, maxRoleDuration, false)
	requireSessionName(v, opts)
	if err := checkRole(v, opts); err != nil {
		return nil, err
	}
	rv, ok := a.oidc.(RoleVerifier)
	if a.oidc == nil || !ok {
		return nil, awsquery.ErrInvalidIdentityToken.WithMessage("No OpenID Connect provider is configured on this server.")
	}
	id, err := rv.VerifyForRole(req.Context(), token)
	if err != nil {
		return nil, err
	}
	_, given := req.Params["DurationSeconds"]
	if opts.Duration == 0 {
		opts.Duration = iam.DefaultSessionDuration
	}
	if opts.Duration, err = a.providerCap(id, opts.Duration, given); err != nil {
		return nil, err
	}
	cond, err := req.ConditionKeys()
	if err != nil {
		return nil, err
	}
	opts.Conditions = cond
	req.Authenticated() // the token, then the role's trust policy, decide
	req.Audit.Provider, req.Audit.Subject, req.Audit.ClientID, req.Audit.Role = id.ProviderARN, id.Subject, clientOf(id), role.ARN()
	out, err := a.svc.AssumeRoleWithWebIdentityAs(req.Context(), iam.WebIdentity{
		Provider: id.Provider, ProviderARN: id.ProviderARN, ConditionPrefix: id.ConditionPrefix,
		Subject: id.Subject, Audience: id.Audience, AuthorizedParty: id.AuthorizedParty, AMR: id.AMR, Claims: id.Claims,
		Tags: sortedTags(id.SessionTags), TransitiveTagKeys: id.TransitiveTagKeys,
	}, role, opts)
	if err != nil {
		return nil, err
	}
	auditIssued(req, out, opts)
	return webIdentityResult{
		Credentials:                 credentialsOf(out.Credentials),
		SubjectFromWebIdentityToken: id.Subject,
		Audience:                    clientOf(id),
		AssumedRoleUser:             assumedRoleUserXML{Arn: out.AssumedRoleUser.Arn, AssumedRoleID: out.AssumedRoleUser.AssumedRoleID},
		Provider:                    id.ConditionPrefix,
		PackedPolicySize:            packed(out.PackedPolicySize),
		SourceIdentity:              out.SourceIdentity,
	}, nil
}

// sortedTags turns a token's session tags into iam tags, by key.
func sortedTags(m map[string]string) []iam.Tag {
	var out []iam.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, iam.Tag{Key: k, Value: m[k]})
	}
	return out
}

// clientOf is the client a token was issued to: its azp, else its first aud.
func clientOf(id *oidc.Identity) string {
	if id.AuthorizedParty != "" {
		return id.AuthorizedParty
	}
	return firstOf(id.Audience)
}

// getSessionToken mints credentials that act as the caller itself.
func (a *API) getSessionToken(req *request) (any, error) {
	if err := req.Signed(); err != nil {
		return nil, err
	}
	v := req.Validate()
	var opts iam.SessionOptions
	roleSessionParams(v, &opts, maxTokenDuration, false)
	for _, p := range []string{"RoleSessionName", "Policy", "SourceIdentity"} {
		if _, ok := v.Get(p); ok {
			v.Problem(awsquery.MemberName(p), "'...'", "GetSessionToken does not take "+p)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := req.AuthorizeAction("sts:GetSessionToken", "*", nil); err != nil {
		return nil, err
	}
	out, err := a.svc.GetSessionToken(req.Context(), req.Principal, opts.Duration)
	if err != nil {
		return nil, err
	}
	req.Audit.Parent = req.Principal.User
	auditIssued(req, out, opts)
	return getSessionTokenResult{Credentials: credentialsOf(out.Credentials)}, nil
}

// getFederationToken mints a federated user's credentials for the caller.
func (a *API) getFederationToken(req *request) (any, error) {
	if err := req.Signed(); err != nil {
		return nil, err
	}
	v := req.Validate()
	name := v.Required("Name")
	if name != "" && v.Length("name", name, minFederatedNameLen, maxFederatedNameLen) {
		v.Pattern("name", name, namePattern)
	}
	var opts iam.SessionOptions
	roleSessionParams(v, &opts, maxTokenDuration, false)
	if err := checkRole(v, opts); err != nil {
		return nil, err
	}
	if err := req.AuthorizeAction("sts:GetFederationToken", fmt.Sprintf("arn:aws:sts::%s:federated-user/%s", iam.AccountID, name), nil); err != nil {
		return nil, err
	}
	out, err := a.svc.GetFederationToken(req.Context(), req.Principal, name, opts)
	if err != nil {
		return nil, err
	}
	req.Audit.Parent = req.Principal.User
	auditIssued(req, out, opts)
	req.Audit.AssumedRole = out.FederatedUser.Arn
	return getFederationTokenResult{
		Credentials:      credentialsOf(out.Credentials),
		FederatedUser:    federatedUserXML{Arn: out.FederatedUser.Arn, FederatedUserID: out.FederatedUser.AssumedRoleID},
		PackedPolicySize: packed(out.PackedPolicySize),
	}, nil
}

// auditIssued records what was issued in the request's audit details:
// never the secret key or the session token.
func auditIssued(req *request, out iam.IssuedSession, opts iam.SessionOptions) {
	req.Audit.AssumedRole, req.Audit.AccessKey, req.Audit.Expiration = out.AssumedRoleUser.Arn, out.Credentials.AccessKeyID, out.Credentials.Expiration
	req.Audit.DurationSeconds = int64(opts.Duration / time.Second)
}

func credentialsOf(c iam.Credentials) credentialsXML {
	return credentialsXML{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: isoTime(c.Expiration)}
}

// packed is PackedPolicySize as written: absent when -1.
func packed(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

type getSessionTokenResult struct {
	Credentials credentialsXML `xml:"Credentials"`
}

type federatedUserXML struct {
	Arn             string `xml:"Arn"`
	FederatedUserID string `xml:"FederatedUserId"`
}

type getFederationTokenResult struct {
	Credentials      credentialsXML   `xml:"Credentials"`
	FederatedUser    federatedUserXML `xml:"FederatedUser"`
	PackedPolicySize *int             `xml:"PackedPolicySize,omitempty"`
}
