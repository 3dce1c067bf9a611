// Package metrics holds Sesame's Prometheus metrics: one registry per
// server (so two servers can run in one process), the collectors the HTTP
// edge, STS, the OpenID key caches, OPA and the IAM store report to, and
// the handler that serves them in the Prometheus text format.
//
// Domain packages do not import this one: they report through small hooks
// (httpx.Options.Observe, awsquery.Spec.OnServed, opa.Options.OnDecision,
// a timing decorator of the IAM store), which the server wires to the
// collectors here. KeyFetch is registered but has no caller yet: the oidc
// package has no hook for its fetches.
//
// VerifyToken checks the bearer tokens that protect the metrics endpoint,
// in the format MinIO's `mc admin prometheus generate` makes them.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are one server's collectors.
type Metrics struct {
	reg *prometheus.Registry

	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	stsIssued   *prometheus.CounterVec
	stsRejected *prometheus.CounterVec
	jwksFetches *prometheus.CounterVec
	opa         *prometheus.CounterVec
	store       *prometheus.HistogramVec
	storeErrors *prometheus.CounterVec
	auditDrops  *prometheus.CounterVec
	audit       *prometheus.CounterVec
}

// New returns a registry with Sesame's collectors and Go's process and
// runtime collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_http_requests_total", Help: "HTTP requests answered, by API (s3, iam, sts, admin) and status code.",
	}, []string{"api", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sesame_http_request_duration_seconds", Help: "Time to answer a request (until the handler returns), by API.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"api"})
	m.stsIssued = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_sts_credentials_issued_total", Help: "Temporary credentials issued, by STS action and identity provider (\"\" for long-term keys).",
	}, []string{"action", "provider"})
	m.stsRejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_sts_rejections_total", Help: "STS requests refused, by action and reason (the error code: InvalidIdentityToken, ExpiredTokenException, AccessDenied, ...).",
	}, []string{"action", "reason"})
	m.jwksFetches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_oidc_key_fetches_total", Help: "Fetches of OpenID providers' discovery documents and key sets, by provider and result (ok, error).",
	}, []string{"provider", "result"})
	m.opa = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_opa_decisions_total", Help: "Decisions asked of OPA, by result (allow, deny, error: denied because OPA gave no usable answer).",
	}, []string{"result"})
	m.store = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sesame_iam_store_duration_seconds", Help: "IAM store operations' duration, by operation.",
		Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5},
	}, []string{"op"})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_iam_store_errors_total", Help: "IAM store operations that failed for another reason than not-found, exists or conflict, by operation.",
	}, []string{"op"})
	m.audit = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_audit_records_total", Help: "Audit records written, by target (file, webhook).",
	}, []string{"target"})
	m.auditDrops = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sesame_audit_records_dropped_total", Help: "Audit records that could not be delivered (queue full, webhook or file failure), by target.",
	}, []string{"target"})
	m.reg.MustRegister(m.requests, m.latency, m.stsIssued, m.stsRejected, m.jwksFetches, m.opa, m.store, m.storeErrors, m.audit, m.auditDrops,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Request records one answered HTTP request.
func (m *Metrics) Request(api string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(api, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(api).Observe(d.Seconds())
}

// STSIssued records temporary credentials issued by action for provider.
func (m *Metrics) STSIssued(action, provider string) {
	if m != nil {
		m.stsIssued.WithLabelValues(action, provider).Inc()
	}
}

// STSRejected records an STS request refused with the wire code reason.
func (m *Metrics) STSRejected(action, reason string) {
	if m != nil {
		m.stsRejected.WithLabelValues(action, reason).Inc()
	}
}

// KeyFetch records a fetch of a provider's discovery document and keys.
func (m *Metrics) KeyFetch(provider string, err error) {
	if m != nil {
		m.jwksFetches.WithLabelValues(provider, result(err)).Inc()
	}
}

// OPADecision records a decision asked of OPA: allowed, or denied (err
// set when OPA gave no usable answer).
func (m *Metrics) OPADecision(allowed bool, err error) {
	if m == nil {
		return
	}
	switch {
	case err != nil:
		m.opa.WithLabelValues("error").Inc()
	case allowed:
		m.opa.WithLabelValues("allow").Inc()
	default:
		m.opa.WithLabelValues("deny").Inc()
	}
}

// StoreOp records one IAM store operation; failed reports a failure that
// is not a domain answer (not found, exists, conflict).
func (m *Metrics) StoreOp(op string, d time.Duration, failed bool) {
	if m == nil {
		return
	}
	m.store.WithLabelValues(op).Observe(d.Seconds())
	if failed {
		m.storeErrors.WithLabelValues(op).Inc()
	}
}

// AuditWritten and AuditDropped count audit records by target.
func (m *Metrics) AuditWritten(target string) {
	if m != nil {
		m.audit.WithLabelValues(target).Inc()
	}
}

// AuditDropped counts an audit record that target could not deliver.
func (m *Metrics) AuditDropped(target string) {
	if m != nil {
		m.auditDrops.WithLabelValues(target).Inc()
	}
}

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
