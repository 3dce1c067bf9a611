package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// begin reports why an operation may not start: a closed store or a done
// context.
func (s *Store) begin(ctx context.Context) error {
	if s.closed.Load() {
		return s.errClosed()
	}
	return ctx.Err()
}

func (s *Store) errClosed() error {
	return fmt.Errorf("bolt: %s is closed: %w", s.path, store.ErrUnavailable)
}

// fail maps an error from a bbolt transaction: a store closed meanwhile
// becomes store.ErrUnavailable; our own errors pass through.
func (s *Store) fail(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return s.errClosed()
	}
	return err
}

// badRecord reports a record whose envelope cannot be decoded.
func (s *Store) badRecord(kind store.Kind, name string, err error) error {
	return fmt.Errorf("bolt: %s: record %s %q is corrupt (%v): %w", s.path, kind, name, err, store.ErrIncompatible)
}

// write runs fn in a write transaction and, once it has committed,
// publishes the events fn returned.
func (s *Store) write(ctx context.Context, fn func(tx *bbolt.Tx) ([]store.Event, error)) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if err := s.begin(ctx); err != nil {
		return err
	}
	var events []store.Event
	err := s.db.Update(func(tx *bbolt.Tx) error {
		var err error
		events, err = fn(tx)
		return err
	})
	if err != nil {
		return s.fail(err)
	}
	s.hub.Publish(events...)
	return nil
}

// nextRevision bumps the store's revision counter in tx and returns it.
func nextRevision(tx *bbolt.Tx) (uint64, error) {
	meta := tx.Bucket(metaBucket)
	if meta == nil {
		return 0, errors.New("bolt: meta bucket missing")
	}
	r := meta.Get(revisionKey)
	if len(r) != 8 {
		return 0, fmt.Errorf("bolt: revision record of %d bytes", len(r))
	}
	rev := binary.BigEndian.Uint64(r) + 1
	return rev, meta.Put(revisionKey, binary.BigEndian.AppendUint64(nil, rev))
}

// Create stores a new record; store.ErrAlreadyExists if it exists. The
// record's Revision is ignored and set by the store. Names must be 1 byte
// to 32 KiB long.
func (s *Store) Create(ctx context.Context, rec store.Record) error {
	if rec.Name == "" {
		return fmt.Errorf("bolt: create %s: empty name", rec.Kind)
	}
	return s.write(ctx, func(tx *bbolt.Tx) ([]store.Event, error) {
		b, err := tx.CreateBucketIfNotExists(bucketName(rec.Kind))
		if err != nil {
			return nil, fmt.Errorf("bolt: create %s %q: %w", rec.Kind, rec.Name, err)
		}
		key := []byte(rec.Name)
		if b.Get(key) != nil {
			return nil, fmt.Errorf("bolt: create %s %q: %w", rec.Kind, rec.Name, store.ErrAlreadyExists)
		}
		rev, err := nextRevision(tx)
		if err != nil {
			return nil, err
		}
		e := envelope{rev: rev, expires: rec.Expires, value: rec.Value}
		if err := b.Put(key, e.encode()); err != nil {
			return nil, fmt.Errorf("bolt: create %s %q: %w", rec.Kind, rec.Name, err)
		}
		return []store.Event{{Type: store.EventPut, Record: e.record(rec.Kind, rec.Name)}}, nil
	})
}

// Get returns a record; store.ErrNotFound if absent.
func (s *Store) Get(ctx context.Context, kind store.Kind, name string) (store.Record, error) {
	if err := s.begin(ctx); err != nil {
		return store.Record{}, err
	}
	var rec store.Record
	err := s.db.View(func(tx *bbolt.Tx) error {
		var data []byte
		if b := tx.Bucket(bucketName(kind)); b != nil {
			data = b.Get([]byte(name))
		}
		if data == nil {
			return fmt.Errorf("bolt: get %s %q: %w", kind, name, store.ErrNotFound)
		}
		e, err := decodeEnvelope(data)
		if err != nil {
			return s.badRecord(kind, name, err)
		}
		rec = e.record(kind, name)
		return nil
	})
	return rec, s.fail(err)
}

// List returns every record of kind, sorted by name.
func (s *Store) List(ctx context.Context, kind store.Kind) ([]store.Record, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	var recs []store.Record
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketName(kind))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			e, err := decodeEnvelope(v)
			if err != nil {
				return s.badRecord(kind, string(k), err)
			}
			recs = append(recs, e.record(kind, string(k)))
			return nil
		})
	})
	if err != nil {
		return nil, s.fail(err)
	}
	if recs == nil {
		recs = []store.Record{}
	}
	return recs, nil
}

// Update replaces a record's value with fn(old), keeping its Expires;
// store.ErrNotFound if absent. fn runs inside the write transaction, so it
// must not call the Store; its error is returned as is.
func (s *Store) Update(ctx context.Context, kind store.Kind, name string, fn func(old []byte) ([]byte, error)) error {
	var fnErr error
	err := s.write(ctx, func(tx *bbolt.Tx) ([]store.Event, error) {
		var data []byte
		b := tx.Bucket(bucketName(kind))
		if b != nil {
			data = b.Get([]byte(name))
		}
		if data == nil {
			return nil, fmt.Errorf("bolt: update %s %q: %w", kind, name, store.ErrNotFound)
		}
		e, err := decodeEnvelope(data) // copies the value out of the mmap
		if err != nil {
			return nil, s.badRecord(kind, name, err)
		}
		value, err := fn(e.value)
		if err != nil {
			fnErr = err
			return nil, err
		}
		if e.rev, err = nextRevision(tx); err != nil {
			return nil, err
		}
		e.value = value
		if err := b.Put([]byte(name), e.encode()); err != nil {
			return nil, fmt.Errorf("bolt: update %s %q: %w", kind, name, err)
		}
		// e.record shares value with the caller's fn result; the hub
		// copies values for each watcher.
		return []store.Event{{Type: store.EventPut, Record: e.record(kind, name)}}, nil
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// Delete removes a record; store.ErrNotFound if absent.
func (s *Store) Delete(ctx context.Context, kind store.Kind, name string) error {
	return s.write(ctx, func(tx *bbolt.Tx) ([]store.Event, error) {
		b := tx.Bucket(bucketName(kind))
		if b == nil || b.Get([]byte(name)) == nil {
			return nil, fmt.Errorf("bolt: delete %s %q: %w", kind, name, store.ErrNotFound)
		}
		ev, err := remove(tx, b, kind, []byte(name))
		if err != nil {
			return nil, err
		}
		return []store.Event{ev}, nil
	})
}

// remove deletes the record at key of b and returns its event.
func remove(tx *bbolt.Tx, b *bbolt.Bucket, kind store.Kind, key []byte) (store.Event, error) {
	if err := b.Delete(key); err != nil {
		return store.Event{}, fmt.Errorf("bolt: delete %s %q: %w", kind, key, err)
	}
	rev, err := nextRevision(tx)
	if err != nil {
		return store.Event{}, err
	}
	return store.Event{Type: store.EventDelete, Record: store.Record{Kind: kind, Name: string(key), Revision: int64(rev)}}, nil
}

// Watch streams every change made after it returns until ctx is done or the
// store is closed; the channel is then closed. A watcher that falls behind
// by Options.WatchBuffer events gets store.EventReset in place of the
// events it missed.
func (s *Store) Watch(ctx context.Context) (<-chan store.Event, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	ch, err := s.hub.Watch(ctx)
	if err != nil {
		return nil, s.errClosed()
	}
	return ch, nil
}

// GarbageCollect deletes, in one transaction, every record whose Expires
// is before now and reports how many it deleted.
func (s *Store) GarbageCollect(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.write(ctx, func(tx *bbolt.Tx) ([]store.Event, error) {
		var kinds []store.Kind
		err := tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			if kind, ok := isKindBucket(name); ok {
				kinds = append(kinds, kind)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		var events []store.Event
		for _, kind := range kinds {
			b := tx.Bucket(bucketName(kind))
			var expired [][]byte
			err := b.ForEach(func(k, v []byte) error {
				e, err := decodeEnvelope(v)
				if err != nil {
					return s.badRecord(kind, string(k), err)
				}
				if !e.expires.IsZero() && e.expires.Before(now) {
					expired = append(expired, append([]byte{}, k...))
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			for _, k := range expired {
				ev, err := remove(tx, b, kind, k)
				if err != nil {
					return nil, err
				}
				events = append(events, ev)
			}
		}
		n = len(events)
		return events, nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
