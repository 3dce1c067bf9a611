package sts

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/oidc"
)

// Verifier checks OpenID Connect tokens; *oidc.Set is one.
type Verifier interface {
	Verify(ctx context.Context, token, roleARN string) (*oidc.Identity, error)
}

// Limits of the token parameters: AWS accepts identity tokens of 4 to
// 20000 characters (MinIO's documentation says 2048, but real tokens with
// group claims are longer).
const (
	minTokenLength = 4
	maxTokenLength = 20000
)

// assumeRoleWithClientGrants trades a JWT access token from the client
// credentials grant (parameter Token) for temporary credentials.
func (a *API) assumeRoleWithClientGrants(req *request) (any, error) {
	fed, err := a.federated(req, "Token", "token")
	if err != nil {
		return nil, err
	}
	return clientGrantsResult{
		Credentials: fed.creds, AssumedRoleUser: fed.user,
		SubjectFromToken: fed.id.Subject, Audience: firstOf(fed.id.Audience), Provider: fed.id.Issuer,
	}, nil
}

// assumeRoleWithWebIdentity trades an OpenID Connect token (parameter
// WebIdentityToken) for temporary credentials.
func (a *API) assumeRoleWithWebIdentity(req *request) (any, error) {
	// A RoleArn naming a real role takes the AWS path: the role's trust
	// policy decides. Anything else keeps MinIO's path.
	if role, ok := a.svc.RoleByARN(req.Params.Get("RoleArn")); ok {
		v := req.Validate()
		token, ok := v.Get("WebIdentityToken")
		if !ok {
			v.Problem("webIdentityToken", "null", "Member must not be null")
		} else if n := utf8.RuneCountInString(token); n < minTokenLength || n > maxTokenLength {
			v.Problem("webIdentityToken", "'***'", fmt.Sprintf("Member must have length between %d and %d", minTokenLength, maxTokenLength))
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		return a.webIdentityForRole(req, token, role)
	}
	fed, err := a.federated(req, "WebIdentityToken", "webIdentityToken")
	if err != nil {
		return nil, err
	}
	return webIdentityResult{
		Credentials: fed.creds, AssumedRoleUser: fed.user,
		SubjectFromWebIdentityToken: fed.id.Subject, Audience: firstOf(fed.id.Audience), Provider: fed.id.Issuer,
	}, nil
}

type federatedResult struct {
	id    *oidc.Identity
	creds credentialsXML
	user  assumedRoleUserXML
}

// federated validates the parameters shared by the AssumeRoleWith*
// actions, verifies the token and mints the session. No signature is
// needed: the token authenticates the caller.
func (a *API) federated(req *request, tokenParam, member string) (federatedResult, error) {
	v := req.Validate()
	token, ok := v.Get(tokenParam)
	if !ok {
		v.Problem(member, "null", "Member must not be null")
	} else if n := utf8.RuneCountInString(token); n < minTokenLength {
		// The token's value is never echoed, not even in part.
		v.Problem(member, "'***'", fmt.Sprintf("Member must have length greater than or equal to %d", minTokenLength))
	} else if n > maxTokenLength {
		v.Problem(member, "'***'", fmt.Sprintf("Member must have length less than or equal to %d", maxTokenLength))
	}
	var opts iam.AssumeRoleOptions // zero Duration: until the token expires
	roleARN := a.sessionParams(v, &opts)
	if err := check(v, opts); err != nil {
		return federatedResult{}, err
	}
	if a.oidc == nil {
		return federatedResult{}, awsquery.ErrInvalidIdentityToken.WithMessage("No OpenID Connect provider is configured on this server (set MINIO_IDENTITY_OPENID_CONFIG_URL).")
	}
	id, err := a.oidc.Verify(req.Context(), token, roleARN)
	if err != nil {
		return federatedResult{}, err
	}
	_, given := req.Params["DurationSeconds"]
	if opts.Duration, err = a.providerCap(id, opts.Duration, given); err != nil {
		return federatedResult{}, err
	}
	// Audit details (ops): the verified identity, kept for a later refusal too.
	req.Audit.Provider, req.Audit.Subject, req.Audit.Role = id.Provider, id.Subject, roleARN
	if req.Audit.ClientID = firstOf(id.Claims["azp"]); req.Audit.ClientID == "" {
		req.Audit.ClientID = firstOf(id.Audience)
	}
	// The token is the caller's proof of identity and of its rights.
	req.Authenticated()
	creds, user, err := a.svc.AssumeRoleWithIdentity(req.Context(), iam.FederatedIdentity{
		Provider: id.Provider, Subject: id.Subject, Policies: id.Policies, PolicyErr: id.PolicyErr,
		Claims: id.Claims, Expiry: id.Expiry,
	}, opts)
	if err != nil {
		return federatedResult{}, err
	}
	// Audit details (ops): what was issued; never the secret or token.
	req.Audit.AssumedRole, req.Audit.AccessKey, req.Audit.Expiration = user.Arn, creds.AccessKeyID, creds.Expiration
	return federatedResult{
		id: id,
		creds: credentialsXML{
			AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
			SessionToken: creds.SessionToken, Expiration: isoTime(creds.Expiration),
		},
		user: assumedRoleUserXML{Arn: user.Arn, AssumedRoleID: user.AssumedRoleID},
	}, nil
}

func firstOf(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

type clientGrantsResult struct {
	Credentials      credentialsXML     `xml:"Credentials"`
	SubjectFromToken string             `xml:"SubjectFromToken"`
	Audience         string             `xml:"Audience"`
	AssumedRoleUser  assumedRoleUserXML `xml:"AssumedRoleUser"`
	Provider         string             `xml:"Provider"`
}

type webIdentityResult struct {
	Credentials                 credentialsXML     `xml:"Credentials"`
	SubjectFromWebIdentityToken string             `xml:"SubjectFromWebIdentityToken"`
	Audience                    string             `xml:"Audience"`
	AssumedRoleUser             assumedRoleUserXML `xml:"AssumedRoleUser"`
	Provider                    string             `xml:"Provider"`
	PackedPolicySize            *int               `xml:"PackedPolicySize,omitempty"`
	SourceIdentity              string             `xml:"SourceIdentity,omitempty"`
}

// providerCap applies the administrator's cap on the sessions of id's
// provider (SESAME_IDENTITY_OPENID_MAX_DURATION[_NAME]) to d, the
// DurationSeconds asked for (given) or the default: a DurationSeconds
// above the cap is a ValidationError naming it; without one, a session
// that would end at the token's expiry (d zero) ends at the cap if that
// comes first, and a default d is cut to the cap.
func (a *API) providerCap(id *oidc.Identity, d time.Duration, given bool) (time.Duration, error) {
	limit := id.MaxDuration
	switch {
	case limit <= 0:
		return d, nil
	case given && d > limit:
		name := oidc.EnvMaxDuration
		if id.Provider != "" {
			name += "_" + id.Provider
		}
		return 0, awsquery.ErrValidation.WithMessage(
			"1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d (the longest session of this identity provider, %s)",
			int(d/time.Second), int(limit/time.Second), name)
	case d == 0 && id.Expiry.Sub(a.now()) > limit:
		return limit, nil
	case d > limit:
		return limit, nil
	}
	return d, nil
}
