package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
)

// authorizer lets the S3 API ask the IAM service about an identity.
type authorizer struct{ svc *iam.Service }

func (a authorizer) Decide(ctx context.Context, id auth.Identity, args *policy.Args) policy.Decision {
	return a.svc.DecideContext(ctx, id.Principal, args)
}

// scopeService returns the service named in a SigV4 credential scope
// ("s3", "iam", "sts"), or "" when the request is not signed that way.
func scopeService(r *http.Request) string {
	var cred string
	if h := r.Header.Get("Authorization"); h != "" {
		i := strings.Index(h, "Credential=")
		if i < 0 {
			return ""
		}
		cred = h[i+len("Credential="):]
		if j := strings.IndexAny(cred, ", "); j >= 0 {
			cred = cred[:j]
		}
	} else if strings.Contains(r.URL.RawQuery, "X-Amz-Credential=") {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// router sends the query APIs to their handlers and everything else to S3:
// requests to "/" signed for service "iam" go to IAM, those signed for
// "sts" to STS, and so do unsigned POSTs to "/" and requests to "/" with an
// Action parameter (AssumeRoleWithWebIdentity and friends carry no
// signature). S3 has no operation that is a POST to "/".
type router struct {
	s3, iam, sts http.Handler
}

func (rt router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" {
		switch scopeService(r) {
		case "iam":
			if r.Method == http.MethodPost {
				rt.iam.ServeHTTP(w, r)
				return
			}
		case "sts":
			rt.sts.ServeHTTP(w, r)
			return
		case "":
			if r.Method == http.MethodPost || strings.Contains(r.URL.RawQuery, "Action=") {
				rt.sts.ServeHTTP(w, r)
				return
			}
		}
	}
	rt.s3.ServeHTTP(w, r)
}
