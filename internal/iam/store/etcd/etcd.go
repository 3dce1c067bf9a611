package etcd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

var _ store.Store = (*Store)(nil)

// Defaults of Config and Options.
const (
	DefaultPathPrefix     = "sesame/"
	DefaultDialTimeout    = 5 * time.Second
	DefaultRequestTimeout = 5 * time.Second
)

// maxUpdateTries bounds Update's compare-and-swap attempts.
const maxUpdateTries = 100

// Config says where the etcd cluster is and how to reach it.
type Config struct {
	// Endpoints are the cluster's client URLs, e.g. "http://10.0.0.1:2379".
	Endpoints []string
	// PathPrefix is prepended to every key (default DefaultPathPrefix), so
	// several deployments can share one cluster.
	PathPrefix string
	// Username and Password enable etcd authentication when Username is set.
	Username, Password string
	// CertFile and KeyFile are a client certificate for mutual TLS; CAFile
	// is the PEM bundle that verifies the cluster's certificates (default:
	// the system's roots). Setting any of them, or an https:// endpoint,
	// turns TLS on.
	CertFile, KeyFile, CAFile string
	// DialTimeout bounds each probe of the cluster while Open waits for it
	// (default DefaultDialTimeout).
	DialTimeout time.Duration
}

// String describes the configuration without its password.
func (c Config) String() string {
	return strings.Join(c.Endpoints, ",") + " (prefix " + c.prefix() + ")"
}

func (c Config) prefix() string {
	if c.PathPrefix == "" {
		return DefaultPathPrefix
	}
	return c.PathPrefix
}

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Logger receives the lines of Open's wait for the cluster and of
	// watches that reset (default: discard).
	Logger *slog.Logger
	// RequestTimeout bounds every call to etcd (default
	// DefaultRequestTimeout); a call that times out fails with
	// store.ErrUnavailable.
	RequestTimeout time.Duration
}

// Store is a store.Store kept in etcd. It is safe for concurrent use, and
// any number of Stores (in one process or many) may share a cluster and
// prefix.
type Store struct {
	cli       *clientv3.Client
	root      string // "<prefix>iam/"
	endpoints string
	log       *slog.Logger
	timeout   time.Duration

	closing context.Context // done once Close starts
	cancel  context.CancelFunc
	closed  atomic.Bool
	watches sync.WaitGroup
}

// Open connects to the cluster cfg names and waits until it answers,
// retrying with backoff until ctx is done; it then fails with an error
// wrapping store.ErrUnavailable that names the endpoints. Errors that
// waiting cannot cure (bad TLS files, refused credentials) are returned at
// once. Close releases the connection.
func Open(ctx context.Context, cfg Config, opts Options) (*Store, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoints")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	dialTimeout := cfg.DialTimeout
	if dialTimeout <= 0 {
		dialTimeout = DefaultDialTimeout
	}
	tlsConfig, err := clientTLS(cfg)
	if err != nil {
		return nil, err
	}
	endpoints := strings.Join(cfg.Endpoints, ",")
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            cfg.Endpoints,
		DialTimeout:          dialTimeout,
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: 5 * time.Second,
		TLS:                  tlsConfig,
		Username:             cfg.Username,
		Password:             cfg.Password,
		Logger:               zap.NewNop(),
		// Reconnect soon after the cluster comes back, rather than after
		// gRPC's default backoff of up to two minutes.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 250 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 3 * time.Second},
			MinConnectTimeout: dialTimeout,
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("etcd at %s: %w", endpoints, err)
	}
	closing, cancel := context.WithCancel(context.Background())
	s := &Store{
		cli:       cli,
		root:      cfg.prefix() + "iam/",
		endpoints: endpoints,
		log:       log,
		timeout:   timeout,
		closing:   closing,
		cancel:    cancel,
	}
	if err := s.waitReady(ctx, dialTimeout); err != nil {
		cancel()
		cli.Close()
		return nil, err
	}
	return s, nil
}

// Prefix returns the path prefix of the store's keys (Config.PathPrefix or
// its default).
func (s *Store) Prefix() string { return strings.TrimSuffix(s.root, "iam/") }

// waitReady probes the cluster until it answers or ctx is done. The first
// probe waits a second only, so that the wait is logged early; later ones
// wait up to dialTimeout.
func (s *Store) waitReady(ctx context.Context, dialTimeout time.Duration) error {
	backoff := 250 * time.Millisecond
	probe := min(time.Second, dialTimeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, probe)
		probe = min(2*probe, dialTimeout)
		_, err := s.cli.Get(pctx, s.root, clientv3.WithPrefix(), clientv3.WithCountOnly())
		cancel()
		if err == nil {
			return nil
		}
		if !unavailable(err) && ctx.Err() == nil {
			return fmt.Errorf("etcd at %s: %w", s.endpoints, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("etcd at %s did not answer (%v): %w", s.endpoints, err, store.ErrUnavailable)
		}
		s.log.Warn("waiting for etcd at "+s.endpoints, "retry_in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("etcd at %s did not answer (%v): %w", s.endpoints, err, store.ErrUnavailable)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// clientTLS returns the TLS configuration cfg asks for, or nil for
// plain-text connections.
func clientTLS(cfg Config) (*tls.Config, error) {
	https := false
	for _, e := range cfg.Endpoints {
		if strings.HasPrefix(strings.ToLower(e), "https://") {
			https = true
		}
	}
	if !https && cfg.CertFile == "" && cfg.KeyFile == "" && cfg.CAFile == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		if cfg.CertFile == "" || cfg.KeyFile == "" {
			return nil, errors.New("etcd: a client certificate needs both a certificate and a key file")
		}
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("etcd: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("etcd: CA file %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// Close closes every Watch channel and the connection. Later calls of other
// methods fail with store.ErrUnavailable; Close may be called again.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.cancel()
	s.watches.Wait()
	if err := s.cli.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("etcd: close: %w", err)
	}
	return nil
}

// errClosed is the error of every call after Close.
func (s *Store) errClosed() error {
	return fmt.Errorf("etcd: store for %s is closed: %w", s.endpoints, store.ErrUnavailable)
}

// call returns a context for one request: ctx bounded by the request
// timeout and cancelled by Close.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	stop := context.AfterFunc(s.closing, cancel)
	return cctx, func() { stop(); cancel() }
}

// fail wraps an error of an etcd call made for op: unreachable clusters
// and timeouts wrap store.ErrUnavailable, a cancelled caller's context is
// returned as the context's error.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	switch {
	case s.closed.Load():
		return fmt.Errorf("etcd: %s: %w", op, s.errClosed())
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return fmt.Errorf("etcd: %s: %w", op, ctx.Err())
	case unavailable(err):
		return fmt.Errorf("etcd at %s: %s: %w: %w", s.endpoints, op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("etcd at %s: %s: %w", s.endpoints, op, err)
}

// unavailable reports whether err means the cluster could not be reached
// or did not answer in time.
func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, clientv3.ErrNoAvailableEndpoints) {
		return true
	}
	code := codes.OK
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		code = ee.Code()
	} else if st, ok := status.FromError(err); ok {
		code = st.Code()
	}
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Aborted, codes.ResourceExhausted:
		return true
	}
	return false
}
