package etcd

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// watchBuffer is how many events a watcher holds for a slow consumer
// before the etcd client buffers the rest.
const watchBuffer = 64

// Watch streams every change under the store's prefix made after it is
// called, by any client, until ctx is done or the store is closed; the
// channel is then closed. When changes were missed (compaction, a broken
// watch) it sends store.EventReset and goes on from the latest revision.
func (s *Store) Watch(ctx context.Context) (<-chan store.Event, error) {
	if s.closed.Load() {
		return nil, s.errClosed()
	}
	rev, err := s.revision(ctx)
	if err != nil {
		return nil, s.fail(ctx, "watch", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.closing, cancel)
	ch := make(chan store.Event, watchBuffer)
	s.watches.Add(1)
	go func() {
		defer s.watches.Done()
		defer close(ch)
		defer stop()
		defer cancel()
		s.watch(wctx, ch, rev+1)
	}()
	return ch, nil
}

// revision returns the cluster's current revision.
func (s *Store) revision(ctx context.Context) (int64, error) {
	cctx, cancel := s.call(ctx)
	defer cancel()
	resp, err := s.cli.Get(cctx, s.root, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

// watch sends the events from revision next on until ctx is done.
func (s *Store) watch(ctx context.Context, ch chan<- store.Event, next int64) {
	send := func(ev store.Event) bool {
		select {
		case ch <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		wch := s.cli.Watch(clientv3.WithRequireLeader(ctx), s.root,
			clientv3.WithPrefix(), clientv3.WithRev(next), clientv3.WithPrevKV())
		reset := false
		for resp := range wch {
			if resp.CompactRevision != 0 {
				s.log.Warn("etcd watch missed compacted revisions; consumers reload", "endpoints", s.endpoints, "from", next, "compacted", resp.CompactRevision)
				reset = true
				break
			}
			if err := resp.Err(); err != nil {
				if ctx.Err() == nil {
					s.log.Warn("etcd watch broke; consumers reload", "endpoints", s.endpoints, "err", err)
				}
				reset = true
				break
			}
			for _, e := range resp.Events {
				next = e.Kv.ModRevision + 1
				ev, ok := s.event(e)
				if !ok {
					continue
				}
				if !send(ev) {
					return
				}
			}
		}
		if ctx.Err() != nil {
			return
		}
		if !reset {
			// The client closed the channel without a reason (it does so
			// when its connection is torn down): changes may be lost.
			s.log.Warn("etcd watch ended; consumers reload", "endpoints", s.endpoints)
		}
		// Take the revision before telling the consumer to reload: its
		// List then runs at this revision or later, so no change falls
		// between the reload and the resumed watch (some may be seen twice).
		rev, err := s.waitRevision(ctx)
		if err != nil {
			return
		}
		if !send(store.Event{Type: store.EventReset}) {
			return
		}
		next = rev + 1
	}
}

// waitRevision returns the cluster's current revision, retrying with backoff
// while the cluster cannot be reached, until ctx is done.
func (s *Store) waitRevision(ctx context.Context) (int64, error) {
	backoff := 100 * time.Millisecond
	for {
		rev, err := s.revision(ctx)
		if err == nil {
			return rev, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// event translates an etcd event; ok is false for keys this package did
// not write. A put whose envelope is corrupt becomes a reset, so the
// consumer's List reports the corruption.
func (s *Store) event(e *clientv3.Event) (store.Event, bool) {
	kind, name, ok := parseKey(s.root, e.Kv.Key)
	if !ok {
		return store.Event{}, false
	}
	rec := store.Record{Kind: kind, Name: name, Revision: e.Kv.ModRevision}
	switch e.Type {
	case clientv3.EventTypeDelete:
		if e.PrevKv != nil {
			if _, exp, err := decode(e.PrevKv.Value); err == nil {
				rec.Expires = exp
			}
		}
		return store.Event{Type: store.EventDelete, Record: rec}, true
	case clientv3.EventTypePut:
		value, exp, err := decode(e.Kv.Value)
		if err != nil {
			s.log.Warn("etcd watch saw a corrupt record", "kind", kind, "name", name, "err", err)
			return store.Event{Type: store.EventReset}, true
		}
		rec.Value, rec.Expires = value, exp
		return store.Event{Type: store.EventPut, Record: rec}, true
	}
	return store.Event{}, false
}
