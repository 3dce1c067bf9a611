package iamapi

import (
	"strings"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
)

// The OpenID Connect provider actions.

type createOIDCProviderResult struct {
	OpenIDConnectProviderArn string           `xml:"OpenIDConnectProviderArn"`
	Tags                     *members[tagXML] `xml:"Tags,omitempty"`
}

type getOIDCProviderResult struct {
	Url            string           `xml:"Url"`
	ClientIDList   members[string]  `xml:"ClientIDList"`
	ThumbprintList members[string]  `xml:"ThumbprintList"`
	CreateDate     isoTime          `xml:"CreateDate"`
	Tags           *members[tagXML] `xml:"Tags,omitempty"`
}

type oidcProviderEntryXML struct {
	Arn string `xml:"Arn"`
}

type listOIDCProvidersResult struct {
	OpenIDConnectProviderList members[oidcProviderEntryXML] `xml:"OpenIDConnectProviderList"`
}

// Constraints of the provider parameters, as AWS's API defines them.
const (
	minARNLength = 20
	maxARNLength = 2048
)

// clientIDParam returns the required ClientID parameter.
func clientIDParam(v *awsquery.Params) string {
	id := v.Required("ClientID")
	if id != "" {
		v.Length("clientID", id, 1, iam.MaxClientIDLength)
	}
	return id
}

// thumbprintsParam returns the ThumbprintList parameter (each member 40
// characters) and whether it was given.
func thumbprintsParam(req *request, v *awsquery.Params) ([]string, bool) {
	return stringList(req, v, "ThumbprintList", 40, 40)
}

// providerAction validates an action on an OpenID Connect provider
// (OpenIDConnectProviderArn plus whatever more does) and authorizes it on
// the provider's ARN, in its canonical form: an ARN without an account
// names this account, and is authorized as such.
func (a *API) providerAction(req *request, more func(*awsquery.Params)) (string, error) {
	v := req.Validate()
	arn := v.Required("OpenIDConnectProviderArn")
	if arn != "" {
		v.Length("openIDConnectProviderArn", arn, minARNLength, maxARNLength)
	}
	if more != nil {
		more(v)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	arn = iam.CanonicalARN(arn)
	return arn, req.Authorize(arn, nil)
}

func (a *API) createOIDCProvider(req *request) (any, error) {
	v := req.Validate()
	url := v.Required("Url")
	if url != "" {
		v.Length("url", url, 1, iam.MaxOIDCProviderURLLength)
	}
	clientIDs, _ := stringList(req, v, "ClientIDList", 1, iam.MaxClientIDLength)
	thumbprints, _ := thumbprintsParam(req, v)
	tags := tagsParam(req, v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	arn, err := iam.OIDCProviderARN(url)
	if err != nil {
		return nil, err
	}
	if err := req.Authorize(arn, nil); err != nil {
		return nil, err
	}
	p, err := a.svc.CreateOpenIDConnectProvider(req.Context(), iam.OIDCProvider{URL: url, ClientIDs: clientIDs, Thumbprints: thumbprints, Tags: tags})
	if err != nil {
		return nil, err
	}
	return createOIDCProviderResult{OpenIDConnectProviderArn: p.ARN(), Tags: toTagsXML(p.Tags)}, nil
}

func (a *API) getOIDCProvider(req *request) (any, error) {
	arn, err := a.providerAction(req, nil)
	if err != nil {
		return nil, err
	}
	p, err := a.svc.GetOpenIDConnectProvider(req.Context(), arn)
	if err != nil {
		return nil, err
	}
	// AWS returns the URL without its scheme, as the ARN has it.
	_, url, _ := strings.Cut(p.ARN(), ":oidc-provider/")
	return getOIDCProviderResult{
		Url: url, ClientIDList: members[string]{p.ClientIDs}, ThumbprintList: members[string]{p.Thumbprints},
		CreateDate: isoTime(p.Created), Tags: toTagsXML(p.Tags),
	}, nil
}

func (a *API) listOIDCProviders(req *request) (any, error) {
	if err := req.Validate().Err(); err != nil {
		return nil, err
	}
	if err := req.Authorize(accountARN("oidc-provider"), nil); err != nil {
		return nil, err
	}
	var res listOIDCProvidersResult
	for _, p := range a.svc.ListOpenIDConnectProviders(req.Context()) {
		res.OpenIDConnectProviderList.Member = append(res.OpenIDConnectProviderList.Member, oidcProviderEntryXML{Arn: p.ARN()})
	}
	return res, nil
}

func (a *API) deleteOIDCProvider(req *request) (any, error) {
	arn, err := a.providerAction(req, nil)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteOpenIDConnectProvider(req.Context(), arn)
}

func (a *API) addClientIDToOIDCProvider(req *request) (any, error) {
	var id string
	arn, err := a.providerAction(req, func(v *awsquery.Params) { id = clientIDParam(v) })
	if err != nil {
		return nil, err
	}
	return nil, a.svc.AddClientIDToOpenIDConnectProvider(req.Context(), arn, id)
}

func (a *API) removeClientIDFromOIDCProvider(req *request) (any, error) {
	var id string
	arn, err := a.providerAction(req, func(v *awsquery.Params) { id = clientIDParam(v) })
	if err != nil {
		return nil, err
	}
	return nil, a.svc.RemoveClientIDFromOpenIDConnectProvider(req.Context(), arn, id)
}

func (a *API) updateOIDCProviderThumbprint(req *request) (any, error) {
	var thumbprints []string
	arn, err := a.providerAction(req, func(v *awsquery.Params) {
		var given bool
		if thumbprints, given = thumbprintsParam(req, v); !given {
			v.Problem("thumbprintList", "null", "Member must not be null")
		}
	})
	if err != nil {
		return nil, err
	}
	return nil, a.svc.UpdateOpenIDConnectProviderThumbprint(req.Context(), arn, thumbprints)
}

func (a *API) tagOIDCProvider(req *request) (any, error) {
	var tags []iam.Tag
	arn, err := a.providerAction(req, func(v *awsquery.Params) {
		tags = tagsParam(req, v)
		if len(tags) == 0 {
			v.Problem("tags", "null", "Member must not be null")
		}
	})
	if err != nil {
		return nil, err
	}
	return nil, a.svc.TagOpenIDConnectProvider(req.Context(), arn, tags)
}

func (a *API) untagOIDCProvider(req *request) (any, error) {
	var keys []string
	arn, err := a.providerAction(req, func(v *awsquery.Params) { keys = tagKeysParam(req, v) })
	if err != nil {
		return nil, err
	}
	return nil, a.svc.UntagOpenIDConnectProvider(req.Context(), arn, keys)
}

func (a *API) listOIDCProviderTags(req *request) (any, error) {
	var p pageRequest
	arn, err := a.providerAction(req, func(v *awsquery.Params) { p = page(v) })
	if err != nil {
		return nil, err
	}
	tags, err := a.svc.ListOpenIDConnectProviderTags(req.Context(), arn)
	if err != nil {
		return nil, err
	}
	return tagList(tags, p), nil
}
