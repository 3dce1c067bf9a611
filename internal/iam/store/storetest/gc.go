package storetest

import (
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

func gcTests() []subtest {
	return []subtest{
		{"GarbageCollect", testGarbageCollect},
		{"GarbageCollect/Empty", testGarbageCollectEmpty},
	}
}

func testGarbageCollect(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Now()
	recs := []store.Record{
		{Kind: store.KindRevocation, Name: "expired", Expires: now.Add(-time.Hour)},
		{Kind: store.KindRevocation, Name: "expired-just", Expires: now.Add(-time.Nanosecond)},
		{Kind: store.KindRevocation, Name: "expires-now", Expires: now},
		{Kind: store.KindRevocation, Name: "future", Expires: now.Add(time.Hour)},
		{Kind: store.KindRevocation, Name: "forever"},
		{Kind: store.KindAccessKey, Name: "expired", Expires: now.Add(-time.Minute)},
		{Kind: store.KindAccessKey, Name: "future", Expires: now.Add(time.Minute)},
	}
	for _, r := range recs {
		r.Value = []byte(r.Name)
		createRec(t, s, r)
	}
	n, err := s.GarbageCollect(ctx, now)
	if err != nil {
		t.Fatalf("GarbageCollect: %v", err)
	}
	if n != 3 {
		t.Fatalf("GarbageCollect(now) = %d, want 3", n)
	}
	wantMissing(t, s, store.KindRevocation, "expired")
	wantMissing(t, s, store.KindRevocation, "expired-just")
	wantMissing(t, s, store.KindAccessKey, "expired")
	for _, r := range recs[2:5] {
		wantValue(t, s, r.Kind, r.Name, r.Name)
	}
	wantValue(t, s, store.KindAccessKey, "future", "future")

	if n, err := s.GarbageCollect(ctx, now); err != nil || n != 0 {
		t.Fatalf("second GarbageCollect(now) = %d, %v; want 0, nil", n, err)
	}
	n, err = s.GarbageCollect(ctx, now.Add(2*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("GarbageCollect(now+2h) = %d, %v; want 3, nil", n, err)
	}
	if got := names(t, store.KindRevocation, list(t, s, store.KindRevocation)); len(got) != 1 || got[0] != "forever" {
		t.Fatalf("List(revocation) after collecting everything = %q, want [forever]", got)
	}
	if got := list(t, s, store.KindAccessKey); len(got) != 0 {
		t.Fatalf("List(accesskey) after collecting everything = %d records, want 0", len(got))
	}
}

func testGarbageCollectEmpty(t *testing.T, s store.Store) {
	if n, err := s.GarbageCollect(t.Context(), time.Now()); err != nil || n != 0 {
		t.Fatalf("GarbageCollect on an empty store = %d, %v; want 0, nil", n, err)
	}
}
