package server

import (
	"context"
	"strings"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/opa"
)

// opaAuthorizer turns the IAM service's questions into OPA input documents.
// svc is set once iam.Open returns, before any request is served; it is
// only read for the user's groups.
type opaAuthorizer struct {
	client *opa.Client
	svc    *iam.Service
}

var _ iam.ExternalAuthorizer = (*opaAuthorizer)(nil)

// Allowed implements iam.ExternalAuthorizer.
func (a *opaAuthorizer) Allowed(ctx context.Context, p iam.Principal, args *policy.Args) bool {
	return a.client.Allowed(ctx, opaInput(a.svc, p, args))
}

// listClaims are claims OPA always sees as arrays; other single-valued
// claims are plain strings.
var listClaims = map[string]bool{"groups": true, "roles": true, "aud": true}

// opaInput builds the document OPA sees (docs/OPA.md describes it).
func opaInput(svc *iam.Service, p iam.Principal, args *policy.Args) opa.Input {
	in := opa.Input{
		Account:        p.User,
		Groups:         []string{},
		Action:         args.Action,
		OriginalAction: args.Action,
		Conditions:     args.Conditions,
		Owner:          p.Root,
		Claims:         map[string]any{},
	}
	if s := p.Session; s != nil {
		in.Account = s.Parent
		in.Owner = s.ParentRoot
		claims := make(map[string]any, len(s.Claims)+2)
		for k, v := range s.Claims {
			if len(v) == 1 && !listClaims[k] {
				claims[k] = v[0]
			} else {
				claims[k] = v
			}
		}
		claims["parent"] = s.Parent
		if s.Provider != "" {
			claims["policy"] = strings.Join(s.Policies, ",")
		}
		if s.Policy != "" {
			claims["sessionPolicy"] = s.Policy
		}
		in.Claims = claims
	}
	if svc != nil && in.Account != "" && !in.Owner && (p.Session == nil || p.Session.Provider == "") {
		if g := svc.UserGroups(in.Account); g != nil {
			in.Groups = g
		}
	}
	if in.Conditions == nil {
		in.Conditions = map[string][]string{}
	}
	if rest, ok := strings.CutPrefix(args.Resource, "arn:aws:s3:::"); ok && rest != "*" {
		in.Bucket, in.Object, _ = strings.Cut(rest, "/")
	}
	return in
}
