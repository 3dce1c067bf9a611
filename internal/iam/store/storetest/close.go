package storetest

import (
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

func closeTests() []subtest {
	return []subtest{
		{"Close", testClose},
	}
}

func testClose(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, store.KindUser, "alice", "a")
	ch := watch(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantClosed(t, ch, "Close")
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	_, err := s.Get(ctx, store.KindUser, "alice")
	wantErr(t, err, store.ErrUnavailable, "Get after Close")
	_, err = s.List(ctx, store.KindUser)
	wantErr(t, err, store.ErrUnavailable, "List after Close")
	err = s.Create(ctx, store.Record{Kind: store.KindUser, Name: "bob"})
	wantErr(t, err, store.ErrUnavailable, "Create after Close")
	err = s.Update(ctx, store.KindUser, "alice", func(b []byte) ([]byte, error) { return b, nil })
	wantErr(t, err, store.ErrUnavailable, "Update after Close")
	err = s.Delete(ctx, store.KindUser, "alice")
	wantErr(t, err, store.ErrUnavailable, "Delete after Close")
	_, err = s.GarbageCollect(ctx, time.Now())
	wantErr(t, err, store.ErrUnavailable, "GarbageCollect after Close")
	_, err = s.Watch(ctx)
	wantErr(t, err, store.ErrUnavailable, "Watch after Close")
}
