// Package server wires Sesame together: the object backend, the IAM store
// and service (with OPA when configured), the OpenID Connect providers,
// authentication, and the S3, IAM and STS APIs behind a router and the
// HTTP edge's middleware; then the http.Server with its timeouts, TLS
// from a certs directory, and a graceful shutdown.
//
// It also wires what operators need: the health probes (health.go), the
// Prometheus metrics fed by the edge, the query APIs, OPA and a timing
// decorator of the IAM store (metrics.go, observe.go, storetime.go), the
// audit log of STS issuances and IAM changes (observe.go), the access
// log, and the effective configuration for `sesame admin config get`
// (admin.go, effective.go).
//
// Every authorization decision of every API is iam.Service.Authorize's;
// nothing here decides anything.
package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sesame-s3/sesame/internal/audit"
	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/bolt"
	"github.com/sesame-s3/sesame/internal/iam/store/etcd"
	"github.com/sesame-s3/sesame/internal/iamapi"
	"github.com/sesame-s3/sesame/internal/idplugin"
	"github.com/sesame-s3/sesame/internal/ldap"
	"github.com/sesame-s3/sesame/internal/metrics"
	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
	"github.com/sesame-s3/sesame/internal/object/s3backend"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/opa"
	"github.com/sesame-s3/sesame/internal/s3"
	"github.com/sesame-s3/sesame/internal/sigv4"
	"github.com/sesame-s3/sesame/internal/sts"
)

// Timeouts and limits of the HTTP server; see Limits and docs/SECURITY.md.
const (
	defaultHeaderTimeout     = 10 * time.Second
	defaultBusyHeaderTimeout = 2 * time.Second
	defaultIdleTimeout       = 120 * time.Second
	defaultMinRate           = 1 << 10 // bytes per second
	defaultRateGrace         = 30 * time.Second
	defaultRateWindow        = 60 * time.Second
	maxHeaderBytes           = 64 << 10
	// openFileReserve is kept out of the connection cap for the files
	// the process holds besides connections: the listener, the IAM store,
	// logs, connections to etcd, OPA and identity providers.
	openFileReserve = 64
	// fallbackMaxConns is the connection cap where the open file limit
	// cannot be read.
	fallbackMaxConns = 4096
	// bodyReadTimeout bounds each read of a request body in Handler(),
	// for embedders; under Serve the minimum transfer rate sets the read
	// deadline after it, and so decides.
	bodyReadTimeout = 60 * time.Second
	// etcdStartTimeout bounds how long Open waits for the etcd cluster.
	etcdStartTimeout = 60 * time.Second
	// flushTimeout bounds the delivery of the audit records still queued
	// for the webhook when the server closes.
	flushTimeout = 5 * time.Second
)

// Limits bound the HTTP edge: how many connections are open at once, how
// slowly a client may send a body or read a response, how long the server
// waits for request headers. A zero field means its default.
type Limits struct {
	// MaxConns is the most connections open at once; more wait in the
	// kernel's backlog. Default: half of the open file limit less 64,
	// since a connection can hold a file too (a PUT's temporary file, a
	// GET's object).
	MaxConns int
	// SoftConns is where shedding starts: with more connections open,
	// requests without credentials are refused with 503 SlowDown, and idle
	// connections, then connections slow to send a request header, are
	// closed. Default: three quarters of MaxConns.
	SoftConns int
	// MinRate is the slowest average rate, in bytes per second, at which
	// a request body may arrive or a response be read (httpx.Rate).
	// Default 1 KiB/s.
	MinRate int64
	// NoMinRate switches the minimum transfer rate off: a client that
	// trickles a byte at a time may then hold its connection, and a PUT's
	// temporary file, for as long as it likes.
	NoMinRate bool
	// RateGrace is the time a body or response may take to start moving;
	// default 30 s.
	RateGrace time.Duration
	// RateWindow is the longest a transfer may stall; default 60 s.
	RateWindow time.Duration
	// HeaderTimeout bounds the reading of a request's header; default 10 s.
	HeaderTimeout time.Duration
	// BusyHeaderTimeout bounds it instead while more than SoftConns
	// connections are open; default 2 s.
	BusyHeaderTimeout time.Duration
	// IdleTimeout closes a keep-alive connection left idle; default 120 s.
	IdleTimeout time.Duration
}

// Validate reports the first setting out of range, naming its flag.
func (l Limits) Validate() error {
	switch {
	case l.MaxConns < 0:
		return fmt.Errorf("--max-conns %d: must not be negative", l.MaxConns)
	case l.SoftConns < 0:
		return fmt.Errorf("--soft-conns %d: must not be negative", l.SoftConns)
	case l.MaxConns > 0 && l.SoftConns >= l.MaxConns:
		return fmt.Errorf("--soft-conns %d: must be below --max-conns %d, leaving room for signed requests", l.SoftConns, l.MaxConns)
	case l.MinRate < 0:
		return fmt.Errorf("--min-rate %d: must not be negative", l.MinRate)
	case l.NoMinRate && l.MinRate > 0:
		return errors.New("a minimum transfer rate is both set and switched off")
	case l.RateGrace < 0, l.RateWindow < 0, l.HeaderTimeout < 0, l.BusyHeaderTimeout < 0, l.IdleTimeout < 0:
		return errors.New("timeouts must not be negative")
	case l.RateGrace > 0 && l.RateWindow > 0 && l.RateGrace > l.RateWindow:
		return fmt.Errorf("--rate-grace %v: must not exceed --rate-window %v", l.RateGrace, l.RateWindow)
	}
	return nil
}

// withDefaults returns l with its zero fields set, for a process that may
// open files files (0: unknown).
func (l Limits) withDefaults(files int) (Limits, error) {
	if err := l.Validate(); err != nil {
		return l, err
	}
	if l.MaxConns == 0 {
		l.MaxConns = maxConnsFor(files)
	}
	if l.SoftConns == 0 {
		l.SoftConns = l.MaxConns * 3 / 4
	}
	if l.SoftConns >= l.MaxConns {
		return l, fmt.Errorf("--soft-conns %d: must be below the connection cap %d, leaving room for signed requests", l.SoftConns, l.MaxConns)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if l.MinRate == 0 && !l.NoMinRate {
		l.MinRate = defaultMinRate
	}
	def(&l.RateWindow, defaultRateWindow)
	def(&l.RateGrace, min(defaultRateGrace, l.RateWindow))
	def(&l.HeaderTimeout, defaultHeaderTimeout)
	def(&l.BusyHeaderTimeout, min(defaultBusyHeaderTimeout, l.HeaderTimeout))
	def(&l.IdleTimeout, defaultIdleTimeout)
	return l, l.Validate()
}

// maxConnsFor is the default connection cap for an open file limit.
func maxConnsFor(files int) int {
	if files <= 0 {
		return fallbackMaxConns
	}
	return max((files-openFileReserve)/2, 16)
}

// Options are the parts of a Server that tests inject.
type Options struct {
	// Logger is the server's log; wrap its handler with httpx.LogHandler
	// so that request-scoped lines name their request.
	Logger *slog.Logger
	// Now is the clock for signature checks; default time.Now.
	Now func() time.Time
	// HTTPClient reaches OpenID Connect providers, OPA and the audit
	// webhook; default a client with timeouts that trusts the system's
	// CAs and those of the certs directory's CAs/.
	HTTPClient *http.Client
	// CertPollInterval is how often the certificate files are checked for
	// a change; default 5 s.
	CertPollInterval time.Duration
}

// Server is one Sesame node.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	backend backend
	store   store.Store // as opened; the IAM service uses it through timedStore
	iam     *iam.Service
	authn   *auth.Authenticator
	oidc    *oidc.Set // nil until opened; it also holds the IAM API's providers
	// stopOIDC stops following the IAM API's OpenID Connect providers.
	stopOIDC  func()
	metrics   *metrics.Metrics
	audit     *audit.Logger  // nil without audit targets
	accessLog *httpx.LogFile // nil with the access log off
	certs     *certs         // nil without TLS
	ready     *readiness
	handler   http.Handler

	// stopLifecycle stops the lifecycle worker (lifecycle.go).
	stopLifecycle func()
	lifecycleAPI  *s3.API

	// Set by ServeWith, read by Effective.
	limits     atomic.Pointer[Limits]
	listenAddr atomic.Pointer[string]
}

// Open prepares a Server for cfg: it opens the data directory (creating it
// if needed), the IAM store, the logs and the certificates, but does not
// listen yet. Close releases what it opened.
func Open(cfg config.Config, opts Options) (_ *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MetricsAuth == "" {
		cfg.MetricsAuth = config.MetricsAuthJWT
	}
	s := &Server{cfg: cfg, log: opts.Logger, metrics: metrics.New()}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.certs, err = openCerts(cfg.CertsDir, opts.Logger, opts.CertPollInterval); err != nil {
		return nil, err
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = s.outboundClient()
	}
	if cfg.AccessLog != "" {
		if s.accessLog, err = httpx.OpenLogFile(cfg.AccessLog, time.Second); err != nil {
			return nil, fmt.Errorf("access log: %w", err)
		}
	}
	if s.audit, err = s.openAudit(opts.HTTPClient); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if s.backend, err = openBackend(cfg, opts.Logger); err != nil {
		return nil, err
	}
	st, err := openStore(cfg, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("IAM store: %w", err)
	}
	s.store = st // only now: a nil *bolt.Store would make a non-nil interface
	s.ready = &readiness{st: s.store, log: opts.Logger}
	iamOpts := iam.Options{Store: timedStore{Store: s.store, m: s.metrics}, RootUser: cfg.RootUser, RootSecret: cfg.RootPassword, Logger: opts.Logger}
	if cfg.OPA != nil {
		// The one place where "OPA is on" is configured: the IAM service
		// then asks it for every decision.
		iamOpts.External = opa.New(*cfg.OPA, opa.Options{HTTPClient: opts.HTTPClient, Logger: opts.Logger, OnDecision: s.metrics.OPADecision})
		opts.Logger.Info("authorization by OPA at " + cfg.OPA.URL)
	}
	for _, p := range cfg.OpenID {
		iamOpts.Providers = append(iamOpts.Providers, iam.FederatedRole(p.Name))
	}
	// --- LDAP: one Client for STS's logins and the IAM API's DNs.
	var directory sts.LDAPAuthenticator
	if cfg.LDAP != nil {
		client, err := ldap.New(cfg.LDAP, ldap.Options{RootCAs: s.rootCAs(), Logger: opts.Logger})
		if err != nil {
			return nil, fmt.Errorf("LDAP: %w", err)
		}
		directory, iamOpts.LDAP = client, client
		iamOpts.Providers = append(iamOpts.Providers, iam.LDAPRole)
		for _, w := range cfg.LDAP.Warnings {
			opts.Logger.Warn("LDAP: " + w)
		}
		opts.Logger.Info("LDAP directory for AssumeRoleWithLDAPIdentity", "server", cfg.LDAP.ServerAddr, "srv_record_name", cfg.LDAP.SRVRecordName)
	}
	// --- Client certificates (AssumeRoleWithCertificate).
	var certIdentity *sts.CertificateOptions
	if id := cfg.IdentityTLS; id != nil {
		switch {
		case s.certs == nil:
			return nil, fmt.Errorf("MINIO_IDENTITY_TLS_ENABLE=on needs TLS: put public.crt and private.key into the certs directory (--certs-dir)")
		case id.SkipVerify:
			s.certs.clientAuth = tls.RequestClientCert
			opts.Logger.Warn("MINIO_IDENTITY_TLS_SKIP_VERIFY is on: client certificates are NOT verified; anyone can get credentials for any policy (labs only)")
		case s.certs.cas == nil:
			// Without CAs/, Go would verify client certificates against
			// the system's CAs: any public CA could then issue a
			// certificate naming consoleAdmin.
			return nil, fmt.Errorf("MINIO_IDENTITY_TLS_ENABLE=on needs the CAs that issue client certificates in %s", filepath.Join(cfg.CertsDir, CAsDir))
		default:
			s.certs.clientAuth = tls.VerifyClientCertIfGiven
		}
		certIdentity = &sts.CertificateOptions{SkipVerify: id.SkipVerify}
		iamOpts.Providers = append(iamOpts.Providers, iam.CertificateRole)
		opts.Logger.Info("client certificates for AssumeRoleWithCertificate", "client_cas", s.certs.ncas, "skip_verify", id.SkipVerify)
	}
	// --- The identity plugin (AssumeRoleWithCustomToken).
	var plugin sts.IdentityPlugin
	if cfg.Plugin != nil {
		client, err := idplugin.New(*cfg.Plugin, idplugin.Options{HTTPClient: opts.HTTPClient, Logger: opts.Logger})
		if err != nil {
			return nil, fmt.Errorf("identity plugin: %w", err)
		}
		plugin = client
		iamOpts.Providers = append(iamOpts.Providers, iam.CustomTokenRole)
		// As MinIO does, the role ARN clients must send is logged.
		opts.Logger.Info("identity plugin for AssumeRoleWithCustomToken", "url", cfg.Plugin.URL, "role_arn", client.RoleARN(),
			"role_policy", strings.Join(cfg.Plugin.RolePolicy, ","))
	}
	if err := checkIdentityNames(iamOpts.Providers); err != nil {
		return nil, err
	}
	if s.iam, err = iam.Open(context.Background(), iamOpts); err != nil {
		return nil, fmt.Errorf("IAM: %w", err)
	}
	// --- OpenID Connect: the configured providers (none is cheap) and
	// those of the IAM API, followed on every IAM reload of any node.
	if s.oidc, err = oidc.Open(context.Background(), cfg.OpenID, oidc.Options{Logger: opts.Logger, HTTPClient: opts.HTTPClient, AccountID: iam.AccountID, OnFetch: s.metrics.KeyFetch, Leeway: cfg.OpenIDClockSkew}); err != nil {
		return nil, fmt.Errorf("OpenID Connect: %w", err)
	}
	for name, arn := range s.oidc.RoleARNs() {
		opts.Logger.Info("OpenID Connect role policy provider", "provider", name, "role_arn", arn)
	}
	s.stopOIDC = followOIDCProviders(s.iam, s.oidc)
	var idp sts.Verifier = s.oidc
	// --- end of OpenID Connect.
	verifier := sigv4.NewVerifier(sigv4.Options{Now: opts.Now})
	s.authn = auth.New(verifier, auth.IAM(s.iam))
	keyring, err := openSSEKeyring(cfg)
	if err != nil {
		return nil, err
	}
	s3API := s3.New(s3.Options{Backend: s.backend, Auth: s.authn, IAM: s.iam, Region: cfg.Region, Domains: cfg.Domains, Logger: opts.Logger,
		SSEKeys: keyring, SSECAllowInsecure: cfg.SSECAllowInsecure, LifecycleDay: cfg.LifecycleDay})
	s.stopLifecycle = s.startLifecycle(cfg, s3API)
	iamAPI := iamapi.New(iamapi.Options{Service: s.iam, Auth: s.authn, Logger: opts.Logger, OnServed: s.iamServed})
	stsAPI := sts.New(sts.Options{Service: s.iam, Auth: s.authn, Logger: opts.Logger, MaxDuration: cfg.MaxSessionDuration, OIDC: idp, LDAP: directory, Certificates: certIdentity, Plugin: plugin,
		RequireTLS: cfg.STSRequireTLS, OnServed: s.stsServed})
	rt := router{
		s3: s3API, iam: iamAPI, sts: stsAPI,
		health: http.HandlerFunc(s.health), metrics: http.HandlerFunc(s.serveMetrics), admin: http.HandlerFunc(s.admin),
	}
	// --- login page (internal/login, docs/LOGIN.md).
	if rt.login, err = s.openLogin(opts.HTTPClient); err != nil {
		return nil, err
	}
	// --- end of login page.
	edge := httpx.Options{Logger: opts.Logger, BodyReadTimeout: bodyReadTimeout, ServerName: "Sesame", Observe: s.metrics.Request}
	if s.accessLog != nil {
		edge.AccessLog = slog.New(logHandler(cfg.Log.Format, s.accessLog, slog.LevelInfo))
	}
	s.handler = httpx.Wrap(rt, edge)
	return s, nil
}

// followOIDCProviders gives set the IAM API's OpenID Connect providers now
// and after every reload of svc's state (a change on this node or, through
// the store's watch, on another), until stop is called. Subscribing before
// the first read loses no change.
func followOIDCProviders(svc *iam.Service, set *oidc.Set) (stop func()) {
	signals, cancel := svc.Subscribe()
	update := func() {
		list := svc.OIDCProviders()
		out := make([]oidc.IAMProvider, len(list))
		for i, p := range list {
			out[i] = oidc.IAMProvider{URL: p.URL, ClientIDs: p.ClientIDs}
		}
		set.SetIAMProviders(out)
	}
	update()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range signals { // closed by cancel
			update()
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// logHandler returns a slog handler writing format ("json" or "text") to
// w, with request ids (httpx.LogHandler).
func logHandler(format string, w io.Writer, level slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return httpx.LogHandler(slog.NewJSONHandler(w, opts))
	}
	return httpx.LogHandler(slog.NewTextHandler(w, opts))
}

// NewLogHandler returns the handler of the server's own log for format
// ("json" or "text") and level, writing to w, with request ids.
func NewLogHandler(format string, level slog.Level, w io.Writer) slog.Handler {
	return logHandler(format, w, level)
}

// outboundClient is the HTTP client for identity providers, OPA and the
// audit webhook: it trusts the system's CAs and, as MinIO does, those of
// the certs directory's CAs/.
func (s *Server) outboundClient() *http.Client {
	c := &http.Client{Timeout: oidc.FetchTimeout}
	roots := s.rootCAs()
	if roots == nil {
		return c
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	c.Transport = t
	return c
}

// rootCAs is the system's CAs and those of the certs directory's CAs/,
// which the server trusts for its own outgoing connections (identity
// providers, the LDAP directory, OPA); nil, meaning the system's, when
// CAs/ holds none.
func (s *Server) rootCAs() *x509.CertPool {
	if s.certs == nil || s.certs.cas == nil {
		return nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	for _, cert := range s.certs.casList {
		roots.AddCert(cert)
	}
	return roots
}

// checkIdentityNames refuses two identity sources whose sessions would
// share the role part of their ARNs: an OpenID provider named ldap, say.
func checkIdentityNames(names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if seen[strings.ToLower(n)] {
			return fmt.Errorf("identity: two identity sources are named %q, and their sessions' ARNs (assumed-role/%s/...) would be the same; rename the OpenID provider (its _NAME suffix)", n, n)
		}
		seen[strings.ToLower(n)] = true
	}
	return nil
}

// openAudit opens the audit targets the configuration names.
func (s *Server) openAudit(client *http.Client) (*audit.Logger, error) {
	opts := audit.Options{File: s.cfg.Audit.File, HTTPClient: client, Logger: s.log,
		OnWritten: s.metrics.AuditWritten, OnDropped: s.metrics.AuditDropped}
	if w := s.cfg.Audit.Webhook; w != nil {
		opts.WebhookURL, opts.WebhookToken, opts.QueueSize = w.Endpoint, w.AuthToken, w.QueueSize
	}
	l, err := audit.Open(opts)
	if err != nil {
		return nil, err
	}
	if l != nil {
		s.log.Info("audit log", "file", s.cfg.Audit.File, "webhook", s.cfg.Audit.Webhook != nil)
	}
	return l, nil
}

// openStore opens where IAM state lives: the etcd cluster cfg.Etcd names,
// waiting up to etcdStartTimeout for it, or else a bbolt file in the data
// directory.
// backend is the object backend the server opened and closes.
type backend interface {
	object.Backend
	Close() error
}

// openBackend opens the posix directory, or the S3 backend with the
// directory as its state.
func openBackend(cfg config.Config, log *slog.Logger) (backend, error) {
	if c := cfg.S3Backend; c != nil {
		b, err := s3backend.Open(*c, s3backend.Options{StateDir: filepath.Join(cfg.Dir, ".sesame.sys", "s3backend"), Logger: log})
		if err != nil {
			return nil, err
		}
		mode := "bucket_prefix"
		if c.Bucket != "" {
			mode = "bucket"
		}
		// The credentials are never logged.
		log.Info("objects in the S3 backend at "+safeURL(c.Endpoint), "mode", mode, "bucket", c.Bucket, "bucket_prefix", c.BucketPrefix)
		return b, nil
	}
	b, err := posix.Open(cfg.Dir, posix.Options{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Dir, err)
	}
	return b, nil
}

func openStore(cfg config.Config, log *slog.Logger) (store.Store, error) {
	if cfg.Etcd == nil {
		return bolt.Open(filepath.Join(cfg.Dir, ".sesame.sys", "iam.db"), bolt.Options{Logger: log})
	}
	ctx, cancel := context.WithTimeout(context.Background(), etcdStartTimeout)
	defer cancel()
	st, err := etcd.Open(ctx, *cfg.Etcd, etcd.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	log.Info("IAM state in etcd at "+strings.Join(cfg.Etcd.Endpoints, ","), "prefix", st.Prefix())
	return st, nil
}

// Handler returns the server's HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// TLS reports whether the server speaks HTTPS (its certs directory holds
// a certificate and key).
func (s *Server) TLS() bool { return s.certs != nil }

// Ready returns nil when the server can serve (the IAM store answers and
// holds a sealing key), else why not; /minio/health/ready answers by it.
func (s *Server) Ready(ctx context.Context) error { return s.ready.check(ctx) }

// Serve is ServeWith with the default Limits.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return s.ServeWith(ctx, l, Limits{})
}

func (s *Server) shutdownTimeout() time.Duration {
	if s.cfg.ShutdownTimeout <= 0 {
		return config.DefaultShutdownTimeout
	}
	return s.cfg.ShutdownTimeout
}

// ServeWith accepts connections on l within lim (over TLS when the certs
// directory holds a certificate) until ctx is done, then shuts down
// gracefully: it closes l at once, so new connections are refused, and
// waits up to the configured shutdown timeout for the requests in flight
// to finish before closing the connections left. Close the Server after.
func (s *Server) ServeWith(ctx context.Context, l net.Listener, lim Limits) error {
	files, _ := httpx.OpenFileLimit()
	explicitMax := lim.MaxConns
	lim, err := lim.withDefaults(files)
	if err != nil {
		return err
	}
	s.limits.Store(&lim)
	addr := l.Addr().String()
	s.listenAddr.Store(&addr)
	s.log.Info("connection limits", "open_files", files, "max_conns", lim.MaxConns, "soft_conns", lim.SoftConns,
		"min_rate", lim.MinRate, "rate_grace", lim.RateGrace, "rate_window", lim.RateWindow,
		"header_timeout", lim.HeaderTimeout, "busy_header_timeout", lim.BusyHeaderTimeout, "idle_timeout", lim.IdleTimeout)
	if files > 0 && explicitMax > maxConnsFor(files) {
		s.log.Warn("--max-conns is more than the open file limit allows; raise the limit (ulimit -Hn, LimitNOFILE=) or expect 'too many open files' under load",
			"max_conns", explicitMax, "open_files", files, "fits", maxConnsFor(files))
	}
	gate := httpx.NewGate(httpx.GateOptions{
		MaxConns: lim.MaxConns, SoftConns: lim.SoftConns, BusyHeaderTimeout: lim.BusyHeaderTimeout, Logger: s.log,
	})
	// The gate refuses before anything else runs; MinRate must see the
	// ResponseWriter net/http passed in.
	h := gate.Handler(httpx.MinRate(s.handler, httpx.Rate{
		BytesPerSecond: lim.MinRate, Grace: lim.RateGrace, Window: lim.RateWindow,
	}))
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.HeaderTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         gate.ConnState,
		ConnContext:       gate.ConnContext,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln := gate.Listener(l)
	if s.certs != nil {
		// The TLS handshake runs in the connection's goroutine, within
		// ReadHeaderTimeout, like the wait for the request header.
		ln = tls.NewListener(ln, s.certs.Config())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	timeout := s.shutdownTimeout()
	s.ready.stopping.Store(true)
	s.log.Info("shutting down: refusing new connections, waiting for the requests in flight", "timeout", timeout)
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutdown timeout reached: closing the connections still open", "timeout", timeout)
		err = errors.Join(err, hs.Close())
	} else if err == nil {
		s.log.Info("all requests finished")
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// Reopen reopens the access and audit log files, so that logrotate can
// move them, and reloads the certificate if its files changed (SIGHUP).
func (s *Server) Reopen() error {
	var errs []error
	if s.accessLog != nil {
		errs = append(errs, s.accessLog.Reopen())
	}
	errs = append(errs, s.audit.Reopen())
	if s.certs != nil {
		if _, err := s.certs.Reload(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close releases the server's resources: the identity providers, the IAM
// service and store, the backend, then the audit log (waiting a few
// seconds for the webhook's queue) and the access log, flushed.
func (s *Server) Close() error {
	var errs []error
	if s.stopLifecycle != nil {
		s.stopLifecycle()
	}
	if s.stopOIDC != nil {
		s.stopOIDC()
	}
	if s.oidc != nil {
		errs = append(errs, s.oidc.Close())
	}
	if s.iam != nil {
		errs = append(errs, s.iam.Close())
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	if s.backend != nil {
		errs = append(errs, s.backend.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	errs = append(errs, s.audit.Close(ctx))
	s.audit = nil
	if s.accessLog != nil {
		errs = append(errs, s.accessLog.Close())
	}
	s.certs.Close()
	s.certs = nil
	return errors.Join(errs...)
}
