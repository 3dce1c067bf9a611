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

// Timeouts and limits of the HTTP server.
const (
	readHeaderTimeout = 10 * time.Second
	bodyReadTimeout   = 60 * time.Second
	idleTimeout       = 120 * time.Second
	maxHeaderBytes    = 64 << 10
	// etcdStartTimeout bounds how long Open waits for the etcd cluster.
	etcdStartTimeout = 60 * time.Second
)

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

// Serve accepts connections on l until ctx is done, then shuts down
// gracefully within the configured timeout.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
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
	err := hs.Shutdown(sctx)
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
