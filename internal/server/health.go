package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// Readiness checks are cheap and cached: a probe every second from a load
// balancer and one from an orchestrator cost one store read a second.
const (
	readyCacheFor = time.Second
	readyTimeout  = 2 * time.Second
)

// errShuttingDown is the readiness of a server that is stopping.
var errShuttingDown = errors.New("shutting down")

// readiness answers whether the server can serve: the IAM store answers
// within readyTimeout and holds a sealing key (without one no session
// token can be issued or read), and the server is not shutting down.
type readiness struct {
	st       store.Store
	log      *slog.Logger
	stopping atomic.Bool

	mu      sync.Mutex // one check at a time; the others wait for its answer
	checked time.Time
	err     error
}

// check returns nil when the server is ready, else why not.
func (r *readiness) check(ctx context.Context) error {
	if r.stopping.Load() {
		return errShuttingDown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.checked.IsZero() && time.Since(r.checked) < readyCacheFor {
		return r.err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	keys, err := r.st.List(ctx, store.KindSealingKey)
	switch {
	case err != nil:
		err = fmt.Errorf("IAM store: %w", err)
	case len(keys) == 0:
		err = errors.New("no sealing key in the IAM store")
	}
	if (err == nil) != (r.err == nil) || r.checked.IsZero() && err != nil {
		if err != nil {
			r.log.Warn("not ready", "reason", err)
		} else {
			r.log.Info("ready again")
		}
	}
	r.checked, r.err = time.Now(), err
	return err
}

// health serves MinIO's unauthenticated probes, GET or HEAD with an empty
// body: /minio/health/live answers 200 while the process serves;
// /minio/health/ready and /minio/health/cluster answer 200 when the
// server is ready and 503 otherwise (the reason goes to the log, not to
// the unauthenticated caller).
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch r.URL.Path {
	case "/minio/health/live":
		w.WriteHeader(http.StatusOK)
	case "/minio/health/ready", "/minio/health/cluster", "/minio/health/cluster/read":
		if err := s.ready.check(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}
