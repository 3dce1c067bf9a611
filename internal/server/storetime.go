package server

import (
	"context"
	"errors"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/metrics"
)

// timedStore reports the duration of every IAM store operation, and its
// failures other than the domain answers (not found, exists, conflict),
// to the metrics.
type timedStore struct {
	store.Store
	m *metrics.Metrics
}

var _ store.Store = timedStore{}

func (t timedStore) observe(op string, start time.Time, err error) {
	failed := err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAlreadyExists) &&
		!errors.Is(err, store.ErrConflict)
	t.m.StoreOp(op, time.Since(start), failed)
}

func (t timedStore) Create(ctx context.Context, rec store.Record) error {
	start := time.Now()
	err := t.Store.Create(ctx, rec)
	t.observe("create", start, err)
	return err
}

func (t timedStore) Get(ctx context.Context, kind store.Kind, name string) (rec store.Record, err error) {
	start := time.Now()
	rec, err = t.Store.Get(ctx, kind, name)
	t.observe("get", start, err)
	return rec, err
}

func (t timedStore) List(ctx context.Context, kind store.Kind) ([]store.Record, error) {
	start := time.Now()
	recs, err := t.Store.List(ctx, kind)
	t.observe("list", start, err)
	return recs, err
}

func (t timedStore) Update(ctx context.Context, kind store.Kind, name string, fn func(old []byte) ([]byte, error)) error {
	start := time.Now()
	err := t.Store.Update(ctx, kind, name, fn)
	t.observe("update", start, err)
	return err
}

func (t timedStore) Delete(ctx context.Context, kind store.Kind, name string) error {
	start := time.Now()
	err := t.Store.Delete(ctx, kind, name)
	t.observe("delete", start, err)
	return err
}

func (t timedStore) GarbageCollect(ctx context.Context, now time.Time) (int, error) {
	start := time.Now()
	n, err := t.Store.GarbageCollect(ctx, now)
	t.observe("gc", start, err)
	return n, err
}
