package memory

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/internal/fanout"
)

var _ store.Store = (*Store)(nil)

// Options configures a Store. The zero value is ready to use.
type Options struct {
	// WatchBuffer is how many events each watcher may have waiting before
	// its pending events are replaced by an EventReset (default 1024).
	WatchBuffer int
}

// Store is an in-memory store.Store. It is safe for concurrent use.
type Store struct {
	hub *fanout.Hub

	mu      sync.RWMutex
	kinds   map[store.Kind]map[string]entry
	rev     int64
	closing bool
}

// entry is one stored record; value is owned by the store.
type entry struct {
	value   []byte
	expires time.Time
	rev     int64
}

// New returns an empty Store.
func New(opts Options) *Store {
	return &Store{
		hub:   fanout.New(opts.WatchBuffer),
		kinds: make(map[store.Kind]map[string]entry),
	}
}

var errClosed = fmt.Errorf("memory: store is closed: %w", store.ErrUnavailable)

// check reports why an operation may not start: a closed store or a done
// context. The caller holds s.mu.
func (s *Store) check(ctx context.Context) error {
	if s.closing {
		return errClosed
	}
	return ctx.Err()
}

func (e entry) record(kind store.Kind, name string) store.Record {
	return store.Record{Kind: kind, Name: name, Value: bytes.Clone(e.value), Expires: e.expires, Revision: e.rev}
}

// Create stores a new record; store.ErrAlreadyExists if it exists. The
// record's Revision is ignored and set by the store.
func (s *Store) Create(ctx context.Context, rec store.Record) error {
	if rec.Name == "" {
		return fmt.Errorf("memory: create %s: empty name", rec.Kind)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	m := s.kinds[rec.Kind]
	if _, ok := m[rec.Name]; ok {
		return fmt.Errorf("memory: create %s %q: %w", rec.Kind, rec.Name, store.ErrAlreadyExists)
	}
	if m == nil {
		m = make(map[string]entry)
		s.kinds[rec.Kind] = m
	}
	s.rev++
	e := entry{value: bytes.Clone(rec.Value), expires: rec.Expires.Round(0), rev: s.rev}
	if e.value == nil {
		e.value = []byte{}
	}
	m[rec.Name] = e
	s.hub.Publish(store.Event{Type: store.EventPut, Record: e.record(rec.Kind, rec.Name)})
	return nil
}

// Get returns a record; store.ErrNotFound if absent.
func (s *Store) Get(ctx context.Context, kind store.Kind, name string) (store.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return store.Record{}, err
	}
	e, ok := s.kinds[kind][name]
	if !ok {
		return store.Record{}, fmt.Errorf("memory: get %s %q: %w", kind, name, store.ErrNotFound)
	}
	return e.record(kind, name), nil
}

// List returns every record of kind, sorted by name.
func (s *Store) List(ctx context.Context, kind store.Kind) ([]store.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	m := s.kinds[kind]
	out := make([]store.Record, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[name].record(kind, name))
	}
	return out, nil
}

// Update replaces a record's value with fn(old), keeping its Expires;
// store.ErrNotFound if absent. fn runs under the store's write lock, so it
// must not call the Store; its error is returned as is.
func (s *Store) Update(ctx context.Context, kind store.Kind, name string, fn func(old []byte) ([]byte, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	e, ok := s.kinds[kind][name]
	if !ok {
		return fmt.Errorf("memory: update %s %q: %w", kind, name, store.ErrNotFound)
	}
	value, err := fn(bytes.Clone(e.value))
	if err != nil {
		return err
	}
	s.rev++
	e.value = bytes.Clone(value)
	if e.value == nil {
		e.value = []byte{}
	}
	e.rev = s.rev
	s.kinds[kind][name] = e
	s.hub.Publish(store.Event{Type: store.EventPut, Record: e.record(kind, name)})
	return nil
}

// Delete removes a record; store.ErrNotFound if absent.
func (s *Store) Delete(ctx context.Context, kind store.Kind, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if _, ok := s.kinds[kind][name]; !ok {
		return fmt.Errorf("memory: delete %s %q: %w", kind, name, store.ErrNotFound)
	}
	s.hub.Publish(s.remove(kind, name))
	return nil
}

// remove deletes a record the caller knows exists and returns its event.
// The caller holds the write lock.
func (s *Store) remove(kind store.Kind, name string) store.Event {
	delete(s.kinds[kind], name)
	s.rev++
	return store.Event{Type: store.EventDelete, Record: store.Record{Kind: kind, Name: name, Revision: s.rev}}
}

// Watch streams every change made after it returns until ctx is done or the
// store is closed; the channel is then closed. See the package comment for
// what happens when the consumer falls behind.
func (s *Store) Watch(ctx context.Context) (<-chan store.Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	return s.hub.Watch(ctx)
}

// GarbageCollect deletes every record whose Expires is before now and
// reports how many it deleted.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	var events []store.Event
	for _, kind := range slices.Sorted(maps.Keys(s.kinds)) {
		m := s.kinds[kind]
		for _, name := range slices.Sorted(maps.Keys(m)) {
			if exp := m[name].expires; !exp.IsZero() && exp.Before(now) {
				events = append(events, s.remove(kind, name))
			}
		}
	}
	s.hub.Publish(events...)
	return len(events), nil
}

// Close drops the data and closes every watcher's channel. Later calls fail
// with store.ErrUnavailable; Close itself may be called again.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	s.kinds = nil
	s.hub.Close()
	return nil
}
