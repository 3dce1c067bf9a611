package sts

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/idplugin"
)

// IdentityPlugin vouches for the tokens of AssumeRoleWithCustomToken;
// *idplugin.Client is one. Authenticate's errors wrap idplugin's
// sentinels, which awsquery maps to wire codes.
type IdentityPlugin interface {
	Authenticate(ctx context.Context, token string) (idplugin.Identity, error)
	RoleARN() string
	RolePolicy() []string
}

var _ IdentityPlugin = (*idplugin.Client)(nil)

// customTokenResult is <AssumeRoleWithCustomTokenResult>, as MinIO
// answers it: Credentials and AssumedUser ("custom:" and the plugin's
// user); AssumedRoleUser names the session's ARN.
type customTokenResult struct {
	Credentials     credentialsXML     `xml:"Credentials"`
	AssumedUser     string             `xml:"AssumedUser"`
	AssumedRoleUser assumedRoleUserXML `xml:"AssumedRoleUser"`
}

// assumeRoleWithCustomToken trades an opaque token that the identity
// plugin vouches for (Token, RoleArn naming the plugin's role) for
// temporary credentials: MinIO's action. The plugin's role policies,
// looked up live, ∩ Policy; the plugin's claims feed ${jwt:<claim>}. The
// credentials last DurationSeconds (default: as long as the plugin
// allows), never more than the plugin's maxValiditySeconds.
func (a *API) assumeRoleWithCustomToken(req *request) (any, error) {
	v := req.Validate()
	token, ok := v.Get("Token")
	if !ok {
		v.Problem("token", "null", "Member must not be null")
	} else if n := utf8.RuneCountInString(token); n < 1 || n > maxTokenLength {
		v.Problem("token", "'***'", fmt.Sprintf("Member must have length between 1 and %d", maxTokenLength))
	}
	if _, ok := v.Get("RoleArn"); !ok {
		v.Problem("roleArn", "null", "Member must not be null")
	}
	var opts iam.AssumeRoleOptions
	roleARN := a.sessionParams(v, &opts)
	opts.RoleSessionName = ""
	if err := check(v, opts); err != nil {
		return nil, err
	}
	if a.plugin == nil {
		return nil, awsquery.ErrAccessDenied.WithMessage("No identity plugin is configured on this server (set MINIO_IDENTITY_PLUGIN_URL).")
	}
	if roleARN != a.plugin.RoleARN() {
		return nil, awsquery.ErrInvalidParameterValue.WithMessage("RoleArn %s is not the identity plugin's role, %s.", roleARN, a.plugin.RoleARN())
	}
	req.Audit.Role = roleARN
	id, err := a.plugin.Authenticate(req.Context(), token)
	if err != nil {
		return nil, err
	}
	req.Audit.Provider, req.Audit.Subject = iam.CustomTokenRole, id.User
	// The plugin vouched for the token: the caller's proof.
	req.Authenticated()
	maxDur := min(id.MaxValidity, a.maxDuration)
	switch {
	case opts.Duration == 0:
		opts.Duration = maxDur
	case opts.Duration > maxDur:
		opts.Duration = maxDur
	}
	claims := make(map[string][]string, len(id.Claims)+1)
	for k, v := range id.Claims {
		claims[k] = v
	}
	assumed := "custom:" + id.User
	claims["sub"] = []string{assumed}
	creds, user, err := a.svc.AssumeRoleWithCustomToken(req.Context(), iam.CustomIdentity{User: id.User, Policies: a.plugin.RolePolicy(), Claims: claims}, opts)
	if err != nil {
		return nil, err
	}
	req.Audit.AssumedRole, req.Audit.AccessKey, req.Audit.Expiration = user.Arn, creds.AccessKeyID, creds.Expiration
	return customTokenResult{
		Credentials: credentialsXML{
			AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
			SessionToken: creds.SessionToken, Expiration: isoTime(creds.Expiration.Truncate(time.Second)),
		},
		AssumedUser:     assumed,
		AssumedRoleUser: assumedRoleUserXML{Arn: user.Arn, AssumedRoleID: user.AssumedRoleID},
	}, nil
}
