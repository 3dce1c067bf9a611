package iam

import (
	"context"
	"strings"

	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/opa"
)

// ExternalAuthorizer is an outside policy engine (Open Policy Agent) that
// replaces the built-in policies; *opa.Client is one. Allowed must fail
// closed: any error is false.
type ExternalAuthorizer interface {
	Allowed(ctx context.Context, in opa.Input) bool
}

var _ ExternalAuthorizer = (*opa.Client)(nil)

// listClaims are claims OPA always sees as arrays; other single-valued
// claims are plain strings.
var listClaims = map[string]bool{"groups": true, "roles": true, "aud": true}

// opaInput builds the document OPA sees for one decision (docs/OPA.md
// describes it): MinIO's shape, with the account, its groups, the claims
// of a session and its session policy.
func (s *Service) opaInput(p *Principal, args *policy.Args) opa.Input {
	in := opa.Input{
		Account:        p.User,
		Groups:         []string{},
		Action:         args.Action,
		OriginalAction: args.Action,
		Conditions:     args.Conditions,
		Owner:          p.Root,
		Claims:         map[string]any{},
	}
	if sess := p.Session; sess != nil {
		in.Account = sess.Parent
		in.Owner = sess.ParentRoot
		claims := make(map[string]any, len(sess.Claims)+3)
		for k, v := range sess.Claims {
			if len(v) == 1 && !listClaims[k] {
				claims[k] = v[0]
			} else {
				claims[k] = v
			}
		}
		claims["parent"] = sess.Parent
		switch sess.Kind {
		case KindFederated, KindCertificate, KindCustom:
			claims["policy"] = strings.Join(sess.Policies, ",")
		case KindLDAP:
			// MinIO's claim names for an LDAP session.
			claims["ldapUser"] = sess.Parent
			claims["ldapUsername"] = sess.LDAPUsername
			in.Groups = append(in.Groups, sess.Groups...)
		}
		if sess.Policy != "" {
			claims["sessionPolicy"] = sess.Policy
		}
		if sess.Kind == KindRole {
			claims["roleSessionName"] = sess.Name
			if r, ok := s.snap.Load().role(sess.Parent); ok {
				claims["roleArn"] = r.ARN()
			}
		}
		in.Claims = claims
	}
	// The groups of an IAM user, for the user and its own sessions; other
	// sessions' parents are not IAM users.
	if in.Account != "" && !in.Owner && (p.Session == nil || p.Session.Kind == KindUserSession ||
		p.Session.Kind == KindSessionToken || p.Session.Kind == KindFederationToken) {
		if u, ok := s.snap.Load().users[in.Account]; ok && len(u.Groups) > 0 {
			in.Groups = append([]string(nil), u.Groups...)
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
