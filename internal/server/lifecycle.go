package server

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/s3"
	"github.com/sesame-s3/sesame/internal/sse"
)

// openSSEKeyring opens the SSE-S3 master keys (docs/ENCRYPTION.md).
func openSSEKeyring(cfg config.Config) (*sse.Keyring, error) {
	path := cfg.SSEKeyring
	if path == "" {
		path = filepath.Join(cfg.Dir, ".sesame.sys", "sse", "keyring")
	}
	k, err := sse.OpenKeyringFile(path)
	if err != nil {
		return nil, fmt.Errorf("SSE-S3 master keys %s: %w", path, err)
	}
	return k, nil
}

// startLifecycle runs the bucket lifecycle worker every
// cfg.LifecycleInterval (hourly by default, never when negative) until the
// returned function is called.
func (s *Server) startLifecycle(cfg config.Config, api *s3.API) func() {
	s.lifecycleAPI = api
	every := cfg.LifecycleInterval
	if every < 0 {
		return func() {}
	}
	if every == 0 {
		every = time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := api.RunLifecycle(ctx, time.Now()); err != nil && ctx.Err() == nil {
					s.log.Warn("lifecycle pass failed", "err", err)
				}
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

// RunLifecycle applies every bucket's lifecycle rules once, now: the test
// hook of the worker.
func (s *Server) RunLifecycle(ctx context.Context) error {
	return s.lifecycleAPI.RunLifecycle(ctx, time.Now())
}
