// Package server wires Sesame together: the object backend, the IAM store
// and service (with OPA when configured), the OpenID Connect providers,
// authentication, and the S3, IAM and STS APIs behind a router and the
// HTTP edge's middleware; then the http.Server with its timeouts.
//
// Every authorization decision of every API is iam.Service.Authorize's;
// nothing here decides anything.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/bolt"
	"github.com/sesame-s3/sesame/internal/iam/store/etcd"
	"github.com/sesame-s3/sesame/internal/iamapi"
	"github.com/sesame-s3/sesame/internal/object/posix"
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
	Logger *slog.Logger
	// Now is the clock for signature checks; default time.Now.
	Now func() time.Time
	// HTTPClient reaches OpenID Connect providers; default a client with timeouts.
	HTTPClient *http.Client
}

// Server is one Sesame node.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	backend *posix.Backend
	store   store.Store
	iam     *iam.Service
	oidc    *oidc.Set // never nil: it also holds the IAM API's providers
	// stopOIDC stops following the IAM API's OpenID Connect providers.
	stopOIDC func()
	handler  http.Handler
}

// Open prepares a Server for cfg: it opens the data directory (creating it
// if needed) but does not listen yet.
func Open(cfg config.Config, opts Options) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	backend, err := posix.Open(cfg.Dir, posix.Options{Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.Dir, err)
	}
	st, err := openStore(cfg, opts.Logger)
	if err != nil {
		backend.Close()
		return nil, fmt.Errorf("IAM store: %w", err)
	}
	iamOpts := iam.Options{Store: st, RootUser: cfg.RootUser, RootSecret: cfg.RootPassword, Logger: opts.Logger}
	if cfg.OPA != nil {
		// The one place where "OPA is on" is configured: the IAM service
		// then asks it for every decision.
		iamOpts.External = opa.New(*cfg.OPA, opa.Options{HTTPClient: opts.HTTPClient, Logger: opts.Logger})
		opts.Logger.Info("authorization by OPA at " + cfg.OPA.URL)
	}
	for _, p := range cfg.OpenID {
		iamOpts.Providers = append(iamOpts.Providers, iam.FederatedRole(p.Name))
	}
	svc, err := iam.Open(context.Background(), iamOpts)
	if err != nil {
		st.Close()
		backend.Close()
		return nil, fmt.Errorf("IAM: %w", err)
	}
	// --- OpenID Connect: the configured providers (none is cheap) and
	// those of the IAM API, followed on every IAM reload of any node.
	openID, err := oidc.Open(context.Background(), cfg.OpenID, oidc.Options{Logger: opts.Logger, HTTPClient: opts.HTTPClient, AccountID: iam.AccountID})
	if err != nil {
		svc.Close()
		st.Close()
		backend.Close()
		return nil, fmt.Errorf("OpenID Connect: %w", err)
	}
	for name, arn := range openID.RoleARNs() {
		opts.Logger.Info("OpenID Connect role policy provider", "provider", name, "role_arn", arn)
	}
	stopOIDC := followOIDCProviders(svc, openID)
	var idp sts.Verifier = openID
	// --- end of OpenID Connect.
	verifier := sigv4.NewVerifier(sigv4.Options{Now: opts.Now})
	authn := auth.New(verifier, auth.IAM(svc))
	s3API := s3.New(s3.Options{Backend: backend, Auth: authn, IAM: svc, Region: cfg.Region, Domains: cfg.Domains, Logger: opts.Logger})
	iamAPI := iamapi.New(iamapi.Options{Service: svc, Auth: authn, Logger: opts.Logger})
	stsAPI := sts.New(sts.Options{Service: svc, Auth: authn, Logger: opts.Logger, MaxDuration: cfg.MaxSessionDuration, OIDC: idp})
	h := httpx.Wrap(router{s3: s3API, iam: iamAPI, sts: stsAPI}, httpx.Options{Logger: opts.Logger, BodyReadTimeout: bodyReadTimeout, ServerName: "Sesame"})
	return &Server{cfg: cfg, log: opts.Logger, backend: backend, store: st, iam: svc, oidc: openID, stopOIDC: stopOIDC, handler: h}, nil
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

// openStore opens where IAM state lives: the etcd cluster cfg.Etcd names,
// waiting up to etcdStartTimeout for it, or else a bbolt file in the data
// directory.
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

// Serve is ServeWith with the default Limits.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	return s.ServeWith(ctx, l, Limits{})
}

// ServeWith accepts connections on l within lim until ctx is done, then
// shuts down gracefully within the configured timeout.
func (s *Server) ServeWith(ctx context.Context, l net.Listener, lim Limits) error {
	files, _ := httpx.OpenFileLimit()
	explicitMax := lim.MaxConns
	lim, err := lim.withDefaults(files)
	if err != nil {
		return err
	}
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
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(gate.Listener(l)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	timeout := s.cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = hs.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// Close releases the server's resources.
func (s *Server) Close() error {
	s.stopOIDC()
	oerr := s.oidc.Close()
	return errors.Join(oerr, s.iam.Close(), s.store.Close(), s.backend.Close())
}
