package etcd

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// corrupt reports a record whose envelope cannot be read.
func (s *Store) corrupt(kind store.Kind, name string, err error) error {
	return fmt.Errorf("etcd at %s: record %s %q is corrupt (%v): %w", s.endpoints, kind, name, err, store.ErrIncompatible)
}

// record decodes a key-value pair of kind and name.
func (s *Store) record(kind store.Kind, name string, kv *mvccpb.KeyValue) (store.Record, error) {
	value, expires, err := decode(kv.Value)
	if err != nil {
		return store.Record{}, s.corrupt(kind, name, err)
	}
	return store.Record{Kind: kind, Name: name, Value: value, Expires: expires, Revision: kv.ModRevision}, nil
}

// Create stores a new record; store.ErrAlreadyExists if it exists.
func (s *Store) Create(ctx context.Context, rec store.Record) error {
	if s.closed.Load() {
		return s.errClosed()
	}
	if rec.Name == "" {
		return fmt.Errorf("etcd: create %s: empty name", rec.Kind)
	}
	data, err := encode(rec.Value, rec.Expires)
	if err != nil {
		return fmt.Errorf("etcd: create %s %q: %w", rec.Kind, rec.Name, err)
	}
	key := keyOf(s.root, rec.Kind, rec.Name)
	cctx, cancel := s.call(ctx)
	defer cancel()
	resp, err := s.cli.Txn(cctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(data))).
		Commit()
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("create %s %q", rec.Kind, rec.Name), err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("etcd: create %s %q: %w", rec.Kind, rec.Name, store.ErrAlreadyExists)
	}
	return nil
}

// get reads the key-value pair of (kind, name); store.ErrNotFound if absent.
func (s *Store) get(ctx context.Context, op string, kind store.Kind, name string) (*mvccpb.KeyValue, error) {
	cctx, cancel := s.call(ctx)
	defer cancel()
	resp, err := s.cli.Get(cctx, keyOf(s.root, kind, name))
	if err != nil {
		return nil, s.fail(ctx, fmt.Sprintf("%s %s %q", op, kind, name), err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("etcd: %s %s %q: %w", op, kind, name, store.ErrNotFound)
	}
	return resp.Kvs[0], nil
}

// Get returns a record; store.ErrNotFound if absent.
func (s *Store) Get(ctx context.Context, kind store.Kind, name string) (store.Record, error) {
	if s.closed.Load() {
		return store.Record{}, s.errClosed()
	}
	kv, err := s.get(ctx, "get", kind, name)
	if err != nil {
		return store.Record{}, err
	}
	return s.record(kind, name, kv)
}

// List returns every record of kind, sorted by Name.
func (s *Store) List(ctx context.Context, kind store.Kind) ([]store.Record, error) {
	if s.closed.Load() {
		return nil, s.errClosed()
	}
	cctx, cancel := s.call(ctx)
	defer cancel()
	resp, err := s.cli.Get(cctx, kindPrefix(s.root, kind), clientv3.WithPrefix())
	if err != nil {
		return nil, s.fail(ctx, fmt.Sprintf("list %s", kind), err)
	}
	out := make([]store.Record, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		k, name, ok := parseKey(s.root, kv.Key)
		if !ok || k != kind {
			continue // not written by this package
		}
		rec, err := s.record(kind, name, kv)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	// Hex keys sort like their names already; sorting again is cheap and
	// keeps List's order independent of the key encoding.
	slices.SortFunc(out, func(a, b store.Record) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Update replaces a record's value with fn(old) by compare-and-swap on the
// key's ModRevision, retrying when another writer got there first.
func (s *Store) Update(ctx context.Context, kind store.Kind, name string, fn func(old []byte) ([]byte, error)) error {
	if s.closed.Load() {
		return s.errClosed()
	}
	key := keyOf(s.root, kind, name)
	for try := range maxUpdateTries {
		if try > 0 {
			if err := s.backoff(ctx, try); err != nil {
				return s.fail(ctx, fmt.Sprintf("update %s %q", kind, name), err)
			}
		}
		kv, err := s.get(ctx, "update", kind, name)
		if err != nil {
			return err
		}
		old, expires, err := decode(kv.Value)
		if err != nil {
			return s.corrupt(kind, name, err)
		}
		value, err := fn(old)
		if err != nil {
			return err
		}
		data, err := encode(value, expires)
		if err != nil {
			return fmt.Errorf("etcd: update %s %q: %w", kind, name, err)
		}
		ok, err := s.swap(ctx, key, kv.ModRevision, clientv3.OpPut(key, string(data)))
		if err != nil {
			return s.fail(ctx, fmt.Sprintf("update %s %q", kind, name), err)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("etcd: update %s %q: %d attempts lost to other writers: %w", kind, name, maxUpdateTries, store.ErrConflict)
}

// backoff sleeps a little, more after more conflicts, with jitter so that
// competing writers spread out.
func (s *Store) backoff(ctx context.Context, try int) error {
	limit := time.Millisecond << min(try, 6) // up to 64 ms
	t := time.NewTimer(rand.N(limit) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing.Done():
		return s.errClosed()
	case <-t.C:
		return nil
	}
}

// swap runs op if key's ModRevision is still rev, and reports whether it did.
func (s *Store) swap(ctx context.Context, key string, rev int64, op clientv3.Op) (bool, error) {
	cctx, cancel := s.call(ctx)
	defer cancel()
	resp, err := s.cli.Txn(cctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(op).
		Commit()
	if err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}

// Delete removes a record; store.ErrNotFound if absent.
func (s *Store) Delete(ctx context.Context, kind store.Kind, name string) error {
	if s.closed.Load() {
		return s.errClosed()
	}
	key := keyOf(s.root, kind, name)
	cctx, cancel := s.call(ctx)
	defer cancel()
	resp, err := s.cli.Txn(cctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), ">", 0)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("delete %s %q", kind, name), err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("etcd: delete %s %q: %w", kind, name, store.ErrNotFound)
	}
	return nil
}

// GarbageCollect deletes every record that expired before now. A record
// changed between the scan and its deletion is left alone.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time) (int, error) {
	if s.closed.Load() {
		return 0, s.errClosed()
	}
	cctx, cancel := s.call(ctx)
	resp, err := s.cli.Get(cctx, s.root, clientv3.WithPrefix())
	cancel()
	if err != nil {
		return 0, s.fail(ctx, "garbage collect", err)
	}
	n := 0
	var errs []error
	for _, kv := range resp.Kvs {
		kind, name, ok := parseKey(s.root, kv.Key)
		if !ok {
			continue
		}
		_, expires, err := decode(kv.Value)
		if err != nil {
			errs = append(errs, s.corrupt(kind, name, err))
			continue
		}
		if expires.IsZero() || !expires.Before(now) {
			continue
		}
		deleted, err := s.swap(ctx, string(kv.Key), kv.ModRevision, clientv3.OpDelete(string(kv.Key)))
		if err != nil {
			return n, s.fail(ctx, fmt.Sprintf("garbage collect %s %q", kind, name), err)
		}
		if deleted {
			n++
		}
	}
	return n, errors.Join(errs...)
}
