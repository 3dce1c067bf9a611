package server

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/metrics"
)

// metricsAction is what a bearer token's identity must be allowed to read
// the metrics, as in MinIO (the canned diagnostics policy allows it).
const metricsAction = "admin:Prometheus"

// serveMetrics serves the Prometheus metrics at /minio/v2/metrics/cluster
// (MinIO's path; also /minio/v2/metrics/node) and /metrics. With
// MINIO_PROMETHEUS_AUTH_TYPE=public anyone may read them; otherwise
// (jwt, the default) the request needs "Authorization: Bearer TOKEN",
// TOKEN as `sesame admin prometheus generate` or `mc admin prometheus
// generate` make it, whose access key may do admin:Prometheus.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "metrics: GET or HEAD only", http.StatusMethodNotAllowed)
		return
	}
	if s.cfg.MetricsAuth != config.MetricsAuthPublic {
		if status, msg := s.metricsAuth(r); status != http.StatusOK {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="sesame metrics"`)
			}
			http.Error(w, msg, status)
			return
		}
	}
	s.metrics.Handler().ServeHTTP(w, r)
}

// metricsAuth checks a scrape's bearer token: 200 when it may read the
// metrics, else a status and the message for the scraper's operator.
func (s *Server) metricsAuth(r *http.Request) (int, string) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return http.StatusUnauthorized, "metrics: a bearer token is required: make one with 'sesame admin prometheus generate' " +
			"(or 'mc admin prometheus generate'), or set MINIO_PROMETHEUS_AUTH_TYPE=public on the server"
	}
	var principal iam.Principal
	_, err := metrics.VerifyToken(strings.TrimSpace(token), time.Now(), func(accessKey string) (string, error) {
		p, secret, err := s.iam.LookupAccessKey(r.Context(), accessKey)
		principal = p
		return secret, err
	})
	switch {
	case errors.Is(err, metrics.ErrInvalidToken):
		return http.StatusForbidden, "metrics: " + strings.TrimPrefix(err.Error(), "metrics: ")
	case errors.Is(err, iam.ErrNoSuchEntity):
		return http.StatusForbidden, "metrics: the bearer token's access key (sub) does not exist or is inactive"
	case err != nil:
		s.log.ErrorContext(r.Context(), "metrics: checking a bearer token failed", "err", err)
		return http.StatusServiceUnavailable, "metrics: the token could not be checked; try again"
	}
	cond, err := httpx.Conditions(r, time.Now())
	if err != nil {
		return http.StatusBadRequest, "metrics: " + err.Error()
	}
	err = s.iam.Authorize(r.Context(), &iam.Request{Principal: principal, Action: metricsAction, Resource: policy.AnyResource, Conditions: cond})
	switch {
	case errors.Is(err, iam.ErrAccessDenied):
		return http.StatusForbidden, "metrics: " + principal.ARN() + " is not allowed " + metricsAction
	case err != nil:
		s.log.ErrorContext(r.Context(), "metrics: authorization failed", "err", err)
		return http.StatusServiceUnavailable, "metrics: authorization failed; try again"
	}
	return http.StatusOK, ""
}

// isMetricsScrape tells a scrape of /metrics from an S3 request for the
// bucket "metrics": a GET or HEAD without a query and without an AWS
// signature. (An anonymous path-style listing of a bucket named
// "metrics" is therefore not reachable; use virtual-host style.)
func isMetricsScrape(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || r.URL.RawQuery != "" {
		return false
	}
	auth := r.Header.Get("Authorization")
	return auth == "" || strings.HasPrefix(strings.ToLower(auth), "bearer ")
}
