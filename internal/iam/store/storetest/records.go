package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

func recordTests() []subtest {
	return []subtest{
		{"Create/Get", testCreateGet},
		{"Create/Exists", testCreateExists},
		{"Create/EmptyName", testCreateEmptyName},
		{"Create/EmptyValue", testCreateEmptyValue},
		{"Create/Concurrent", func(t *testing.T, s store.Store) { testConcurrentCreate(t, s, s) }},
		{"Get/Missing", testGetMissing},
		{"List/Sorted", testListSorted},
		{"List/Empty", testListEmpty},
		{"List/KindIsolation", testListKindIsolation},
		{"Delete", testDelete},
		{"Delete/Missing", testDeleteMissing},
		{"Expires/RoundTrip", testExpiresRoundTrip},
	}
}

func testCreateGet(t *testing.T, s store.Store) {
	exp := time.Now().Add(time.Hour)
	createRec(t, s, store.Record{Kind: store.KindUser, Name: "alice", Value: []byte(`{"arn":"a"}`), Expires: exp, Revision: 12345})
	rec := wantValue(t, s, store.KindUser, "alice", `{"arn":"a"}`)
	if !rec.Expires.Equal(exp) {
		t.Fatalf("Get.Expires = %v, want %v", rec.Expires, exp)
	}
	if rec.Revision <= 0 {
		t.Fatalf("Get.Revision = %d, want > 0", rec.Revision)
	}
	create(t, s, store.KindUser, "bob", "b")
	if rec := wantValue(t, s, store.KindUser, "bob", "b"); !rec.Expires.IsZero() {
		t.Fatalf("record created without Expires has Expires %v", rec.Expires)
	}
}

func testCreateExists(t *testing.T, s store.Store) {
	create(t, s, store.KindUser, "alice", "first")
	rev := get(t, s, store.KindUser, "alice").Revision
	err := s.Create(t.Context(), store.Record{Kind: store.KindUser, Name: "alice", Value: []byte("second")})
	wantErr(t, err, store.ErrAlreadyExists, "second Create(user, alice)")
	if rec := wantValue(t, s, store.KindUser, "alice", "first"); rec.Revision != rev {
		t.Fatalf("failed Create changed Revision from %d to %d", rev, rec.Revision)
	}
}

func testCreateEmptyName(t *testing.T, s store.Store) {
	err := s.Create(t.Context(), store.Record{Kind: store.KindUser, Name: "", Value: []byte("x")})
	if err == nil {
		t.Fatal("Create with an empty name succeeded, want an error")
	}
	if recs := list(t, s, store.KindUser); len(recs) != 0 {
		t.Fatalf("List after refused Create = %d records, want 0", len(recs))
	}
}

func testCreateEmptyValue(t *testing.T, s store.Store) {
	createRec(t, s, store.Record{Kind: store.KindGroup, Name: "nil"})
	createRec(t, s, store.Record{Kind: store.KindGroup, Name: "empty", Value: []byte{}})
	wantValue(t, s, store.KindGroup, "nil", "")
	wantValue(t, s, store.KindGroup, "empty", "")
	if got := names(t, store.KindGroup, list(t, s, store.KindGroup)); !slices.Equal(got, []string{"empty", "nil"}) {
		t.Fatalf("List(group) = %q, want [empty nil]", got)
	}
}

func testGetMissing(t *testing.T, s store.Store) {
	wantMissing(t, s, store.KindUser, "nobody")
	create(t, s, store.KindUser, "alice", "a")
	wantMissing(t, s, store.KindUser, "nobody")
	wantMissing(t, s, store.KindUser, "alic")
	wantMissing(t, s, store.KindUser, "alicee")
	wantMissing(t, s, store.KindGroup, "alice")
}

func testListSorted(t *testing.T, s store.Store) {
	exp := time.Now().Add(time.Hour).Round(0)
	// Bytewise order: upper case before lower case, "a" before "a/b" before "ab".
	in := []string{"m", "b", "ab", "a/b", "Z", "a", "z", "a-", "0", "é", "aa"}
	for i, n := range in {
		rec := store.Record{Kind: store.KindPolicy, Name: n, Value: []byte("v:" + n)}
		if i%2 == 0 {
			rec.Expires = exp
		}
		createRec(t, s, rec)
	}
	want := slices.Sorted(slices.Values(in))
	recs := list(t, s, store.KindPolicy)
	if got := names(t, store.KindPolicy, recs); !slices.Equal(got, want) {
		t.Fatalf("List(policy) names = %q, want %q", got, want)
	}
	for _, r := range recs {
		g := get(t, s, store.KindPolicy, r.Name)
		if string(r.Value) != "v:"+r.Name || !r.Expires.Equal(g.Expires) || r.Revision != g.Revision {
			t.Fatalf("List record %q = {Value %q Expires %v Revision %d}, Get = {Value %q Expires %v Revision %d}",
				r.Name, r.Value, r.Expires, r.Revision, g.Value, g.Expires, g.Revision)
		}
	}
}

func testListEmpty(t *testing.T, s store.Store) {
	if recs := list(t, s, store.KindUser); len(recs) != 0 {
		t.Fatalf("List on an empty store = %d records, want 0", len(recs))
	}
	create(t, s, store.KindUser, "alice", "a")
	if err := s.Delete(t.Context(), store.KindUser, "alice"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if recs := list(t, s, store.KindUser); len(recs) != 0 {
		t.Fatalf("List after deleting the only record = %d records, want 0", len(recs))
	}
}

func testListKindIsolation(t *testing.T, s store.Store) {
	// "userx" has "user" as a prefix: a backend keying records by
	// kind+name must still keep them apart.
	const userx store.Kind = "userx"
	kinds := []store.Kind{store.KindUser, store.KindAccessKey, store.KindGroup, userx}
	for _, k := range kinds {
		create(t, s, k, "shared", "shared in "+string(k))
		create(t, s, k, "only-"+string(k), string(k))
	}
	for _, k := range kinds {
		want := []string{"only-" + string(k), "shared"}
		if got := names(t, k, list(t, s, k)); !slices.Equal(got, want) {
			t.Fatalf("List(%s) = %q, want %q", k, got, want)
		}
		wantValue(t, s, k, "shared", "shared in "+string(k))
	}
	if err := s.Delete(t.Context(), store.KindUser, "shared"); err != nil {
		t.Fatalf("Delete(user, shared): %v", err)
	}
	update(t, s, store.KindGroup, "shared", "changed")
	wantMissing(t, s, store.KindUser, "shared")
	wantValue(t, s, store.KindAccessKey, "shared", "shared in accesskey")
	wantValue(t, s, userx, "shared", "shared in userx")
	wantValue(t, s, store.KindGroup, "shared", "changed")
	if recs := list(t, s, store.KindPolicy); len(recs) != 0 {
		t.Fatalf("List(policy) = %d records, want 0", len(recs))
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, store.KindAccessKey, "AKIA1", "one")
	create(t, s, store.KindAccessKey, "AKIA2", "two")
	if err := s.Delete(ctx, store.KindAccessKey, "AKIA1"); err != nil {
		t.Fatalf("Delete(AKIA1): %v", err)
	}
	wantMissing(t, s, store.KindAccessKey, "AKIA1")
	wantValue(t, s, store.KindAccessKey, "AKIA2", "two")
	if got := names(t, store.KindAccessKey, list(t, s, store.KindAccessKey)); !slices.Equal(got, []string{"AKIA2"}) {
		t.Fatalf("List after Delete = %q, want [AKIA2]", got)
	}
	wantErr(t, s.Delete(ctx, store.KindAccessKey, "AKIA1"), store.ErrNotFound, "second Delete(AKIA1)")
	err := s.Update(ctx, store.KindAccessKey, "AKIA1", func(b []byte) ([]byte, error) { return b, nil })
	wantErr(t, err, store.ErrNotFound, "Update after Delete")
	create(t, s, store.KindAccessKey, "AKIA1", "again")
	wantValue(t, s, store.KindAccessKey, "AKIA1", "again")
}

func testDeleteMissing(t *testing.T, s store.Store) {
	wantErr(t, s.Delete(t.Context(), store.KindUser, "nobody"), store.ErrNotFound, "Delete(user, nobody) on an empty store")
	create(t, s, store.KindGroup, "nobody", "x")
	wantErr(t, s.Delete(t.Context(), store.KindUser, "nobody"), store.ErrNotFound, "Delete(user, nobody) with a group of that name")
	wantValue(t, s, store.KindGroup, "nobody", "x")
}

func testExpiresRoundTrip(t *testing.T, s store.Store) {
	times := map[string]time.Time{
		"zero":        {},
		"now":         time.Now(),
		"nanos":       time.Date(2031, 4, 5, 6, 7, 8, 123456789, time.UTC),
		"past":        time.Date(1999, 12, 31, 23, 59, 59, 1, time.UTC),
		"other-zone":  time.Date(2030, 1, 1, 0, 0, 0, 0, time.FixedZone("X", -7*3600)),
		"far-future":  time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		"unix-epoch":  time.Unix(0, 0),
		"before-1970": time.Date(1900, 1, 1, 0, 0, 0, 5, time.UTC),
	}
	for name, exp := range times {
		createRec(t, s, store.Record{Kind: store.KindRevocation, Name: name, Value: []byte(name), Expires: exp})
	}
	check := func(r store.Record) {
		t.Helper()
		want := times[r.Name]
		if !r.Expires.Equal(want) || r.Expires.IsZero() != want.IsZero() {
			t.Fatalf("record %q: Expires = %v, want %v", r.Name, r.Expires, want)
		}
	}
	for name := range times {
		check(get(t, s, store.KindRevocation, name))
	}
	for _, r := range list(t, s, store.KindRevocation) {
		check(r)
	}
}

// testConcurrentCreate creates one name from 10 goroutines at once, half
// through a and half through b: exactly one must win.
func testConcurrentCreate(t *testing.T, a, b store.Store) {
	const workers = 10
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			errs[w] = s.Create(t.Context(), store.Record{Kind: store.KindAccessKey, Name: "AKIA", Value: fmt.Appendf(nil, "%d", w)})
		})
	}
	wg.Wait()
	winner := -1
	for w, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("concurrent Create: workers %d and %d both succeeded", winner, w)
		case err == nil:
			winner = w
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Fatalf("concurrent Create, worker %d: error = %v, want nil or %v", w, err, store.ErrAlreadyExists)
		}
	}
	if winner < 0 {
		t.Fatal("concurrent Create: no worker succeeded")
	}
	wantValue(t, a, store.KindAccessKey, "AKIA", fmt.Sprint(winner))
	wantValue(t, b, store.KindAccessKey, "AKIA", fmt.Sprint(winner))
}
