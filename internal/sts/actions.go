package sts

import (
	"regexp"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
)

// Parameter limits of AssumeRole, as AWS sets them (lengths in characters).
const (
	minRoleARNLength     = 20
	maxRoleARNLength     = 2048
	minSessionNameLength = 2
	maxSessionNameLength = 64
)

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)

// assumeRole mints temporary credentials for the caller. RoleArn is
// checked for shape only and otherwise ignored: the credentials carry the
// caller's own permissions, narrowed by Policy when it is given.
func (a *API) assumeRole(req *request) (any, error) {
	if err := req.Signed(); err != nil {
		return nil, err
	}
	// A RoleArn naming a real role takes the AWS path; anything else
	// (MinIO's arn:xxx:xxx:xxx:xxxx, an unknown ARN) MinIO's.
	if role, ok := a.svc.RoleByARN(req.Params.Get("RoleArn")); ok {
		return a.assumeRealRole(req, role)
	}
	v := req.Validate()
	opts := iam.AssumeRoleOptions{Duration: a.defaultDuration}
	roleARN := a.sessionParams(v, &opts)
	if err := check(v, opts); err != nil {
		return nil, err
	}
	// RoleArn names no role here (MinIO's AssumeRole): the caller's own
	// identity policies decide, and only an explicit Deny of
	// sts:AssumeRole stops it.
	resource := roleARN
	if resource == "" {
		resource = "*"
	}
	if err := req.AuthorizeAction("sts:AssumeRole", resource, nil); err != nil {
		return nil, err
	}
	creds, user, err := a.svc.AssumeRole(req.Context(), req.Principal, opts)
	if err != nil {
		return nil, err
	}
	// Audit details (ops): what was issued to whom; never the secret or token.
	req.Audit.Parent, req.Audit.Role, req.Audit.AssumedRole = req.Principal.User, roleARN, user.Arn
	req.Audit.AccessKey, req.Audit.Expiration = creds.AccessKeyID, creds.Expiration
	return assumeRoleResult{
		AssumedRoleUser: assumedRoleUserXML{Arn: user.Arn, AssumedRoleID: user.AssumedRoleID},
		Credentials: credentialsXML{
			AccessKeyID:     creds.AccessKeyID,
			SecretAccessKey: creds.SecretAccessKey,
			SessionToken:    creds.SessionToken,
			Expiration:      isoTime(creds.Expiration),
		},
	}, nil
}

// sessionParams reads the parameters every AssumeRole* action shares into
// opts (DurationSeconds, RoleSessionName, Policy) and returns RoleArn.
// Problems are collected in v; v.check reports them.
func (a *API) sessionParams(v *awsquery.Params, opts *iam.AssumeRoleOptions) (roleARN string) {
	if s, ok := v.Get("DurationSeconds"); ok {
		opts.Duration = v.Duration("durationSeconds", s, iam.MinSessionDuration, a.maxDuration)
	}
	roleARN, ok := v.Get("RoleArn")
	if ok {
		v.Length("roleArn", roleARN, minRoleARNLength, maxRoleARNLength)
	}
	if s, ok := v.Get("RoleSessionName"); ok {
		if v.Length("roleSessionName", s, minSessionNameLength, maxSessionNameLength) {
			v.Pattern("roleSessionName", s, sessionNamePattern)
		}
		opts.RoleSessionName = s
	}
	doc, hasPolicy := v.Get("Policy")
	if hasPolicy && doc == "" {
		v.Problem("policy", "''", "Member must have length greater than or equal to 1")
	}
	opts.Policy = doc
	return roleARN
}

// check returns the ValidationError of the problems found, then
// PackedPolicyTooLarge for an oversized session policy, or nil.
func check(v *awsquery.Params, opts iam.AssumeRoleOptions) error {
	if err := v.Err(); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(opts.Policy); n > iam.MaxSessionPolicySize {
		return packedPolicyTooLarge(n)
	}
	return nil
}

// packedPolicyTooLarge is the PackedPolicyTooLarge error for a session
// policy of n characters, in AWS's words: the share of the allotted space
// it takes, rounded up, so that one character too many reads 101%.
func packedPolicyTooLarge(n int) *awsquery.APIError {
	pct := (n*100 + iam.MaxSessionPolicySize - 1) / iam.MaxSessionPolicySize
	return awsquery.ErrPackedPolicyTooLarge.WithMessage(
		"Packed policy consumes %d%% of allotted space, please use smaller policy. The Policy parameter may hold at most %d characters; it has %d.",
		pct, iam.MaxSessionPolicySize, n)
}

// getCallerIdentity describes the caller: root, a user, or temporary
// credentials.
func (a *API) getCallerIdentity(req *request) (any, error) {
	if err := req.Signed(); err != nil {
		return nil, err
	}
	if err := req.AuthorizeAction("sts:GetCallerIdentity", "*", nil); err != nil {
		return nil, err
	}
	arn, userID, account := a.svc.CallerIdentity(req.Principal)
	return getCallerIdentityResult{Arn: arn, UserID: userID, Account: account}, nil
}

// notImplemented answers an STS action Sesame does not serve yet.
func notImplemented(req *request) (any, error) {
	return nil, awsquery.ErrInvalidAction.WithMessage("%s is not implemented yet.", req.Action)
}
