package server

import (
	"net/http"
	"strings"

	"github.com/sesame-s3/sesame/internal/sigv4"
)

// scopeService returns the service named in a SigV4 credential scope
// ("s3", "iam", "sts"), or "" when the request is not signed that way (or
// its signature does not parse: the handler it reaches reports that).
func scopeService(r *http.Request) string {
	sig, err := sigv4.Parse(r)
	if err != nil {
		return ""
	}
	return sig.Service
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
