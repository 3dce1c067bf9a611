package server

import (
	"net/http"
	"strings"

	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/login"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// scopeService returns the service named in a SigV4 credential scope
// ("s3", "iam", "sts"), or "" when the request is not signed that way (or
// its signature does not parse: the handler it reaches reports that).
func scopeService(r *http.Request) string { return sigv4.ScopeService(r) }

// The APIs the router names for the access log and the metrics.
const (
	apiS3      = "s3"
	apiIAM     = "iam"
	apiSTS     = "sts"
	apiHealth  = "health"
	apiMetrics = "metrics"
	apiAdmin   = "admin"
	apiLogin   = "login"
)

// router sends each request to its API and names the API (httpx.SetAPI).
//
// MinIO's paths under /minio/ come first: /minio/health/ (probes),
// /minio/v2/metrics/ and /minio/prometheus/metrics (metrics) and
// /minio/admin/ (MinIO's admin API, which Sesame answers with a pointer
// to what to use instead); MinIO reserves the bucket name "minio", so no
// S3 request is lost. /metrics is a scrape when it is an unsigned GET or
// HEAD without a query (isMetricsScrape).
//
// Then the query APIs: requests to "/" signed for service "iam" go to IAM,
// those signed for "sts" to STS, and so do unsigned POSTs to "/" and
// requests to "/" with an Action parameter (AssumeRoleWithWebIdentity and
// friends carry no signature). The only S3 operation that is a POST to "/"
// is a browser upload (multipart/form-data) to a virtual-host bucket.
// Everything else is S3.
type router struct {
	s3, iam, sts           http.Handler
	health, metrics, admin http.Handler
	login                  *login.Handler // nil with --login-path off
}

func (rt router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	// The login page (docs/LOGIN.md): under /minio/ by default, or where
	// the operator put it, shadowing a bucket of that name.
	if rt.login != nil && rt.login.Handles(p) {
		rt.serve(apiLogin, rt.login, w, r)
		return
	}
	switch {
	case strings.HasPrefix(p, "/minio/"):
		switch {
		case strings.HasPrefix(p, "/minio/health/"):
			rt.serve(apiHealth, rt.health, w, r)
			return
		case strings.HasPrefix(p, "/minio/v2/metrics/"), p == "/minio/prometheus/metrics":
			rt.serve(apiMetrics, rt.metrics, w, r)
			return
		case strings.HasPrefix(p, "/minio/admin/"):
			rt.serve(apiAdmin, rt.admin, w, r)
			return
		}
	case p == "/metrics" && isMetricsScrape(r):
		rt.serve(apiMetrics, rt.metrics, w, r)
		return
	case p == "/":
		switch scopeService(r) {
		case "iam":
			if r.Method == http.MethodPost {
				rt.serve(apiIAM, rt.iam, w, r)
				return
			}
		case "sts":
			rt.serve(apiSTS, rt.sts, w, r)
			return
		case "":
			// A multipart/form-data POST is a browser upload to a
			// virtual-host bucket (S3's PostObject); STS forms are urlencoded.
			if r.Method == http.MethodPost && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") ||
				strings.Contains(r.URL.RawQuery, "Action=") {
				rt.serve(apiSTS, rt.sts, w, r)
				return
			}
		}
	}
	rt.serve(apiS3, rt.s3, w, r)
}

func (rt router) serve(api string, h http.Handler, w http.ResponseWriter, r *http.Request) {
	httpx.SetAPI(r.Context(), api)
	h.ServeHTTP(w, r)
}
