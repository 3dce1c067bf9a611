package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

func updateTests() []subtest {
	return []subtest{
		{"Update/Replaces", testUpdateReplaces},
		{"Update/KeepsExpires", testUpdateKeepsExpires},
		{"Update/FnError", testUpdateFnError},
		{"Update/Missing", testUpdateMissing},
		{"Update/Concurrent", func(t *testing.T, s store.Store) { testConcurrentUpdates(t, s, s) }},
		{"Revision", testRevision},
	}
}

func testUpdateReplaces(t *testing.T, s store.Store) {
	create(t, s, store.KindPolicy, "p", "version 1")
	create(t, s, store.KindPolicy, "q", "untouched")
	var seen []string
	for _, v := range []string{"version 2", "", "version 3 is longer than the others"} {
		err := s.Update(t.Context(), store.KindPolicy, "p", func(old []byte) ([]byte, error) {
			seen = append(seen, string(old))
			return []byte(v), nil
		})
		if err != nil {
			t.Fatalf("Update(policy, p) to %q: %v", v, err)
		}
		wantValue(t, s, store.KindPolicy, "p", v)
	}
	// fn may run more than once (compare-and-swap retries), but with no
	// other writer the last call must have seen the previous value.
	if n := len(seen); n < 3 || seen[n-1] != "" {
		t.Fatalf("fn saw old values %q", seen)
	}
	wantValue(t, s, store.KindPolicy, "q", "untouched")
}

func testUpdateKeepsExpires(t *testing.T, s store.Store) {
	exp := time.Now().Add(90 * time.Minute)
	createRec(t, s, store.Record{Kind: store.KindRevocation, Name: "r", Value: []byte("1"), Expires: exp})
	create(t, s, store.KindRevocation, "forever", "1")
	update(t, s, store.KindRevocation, "r", "2")
	update(t, s, store.KindRevocation, "forever", "2")
	if rec := wantValue(t, s, store.KindRevocation, "r", "2"); !rec.Expires.Equal(exp) {
		t.Fatalf("Expires after Update = %v, want %v", rec.Expires, exp)
	}
	if rec := wantValue(t, s, store.KindRevocation, "forever", "2"); !rec.Expires.IsZero() {
		t.Fatalf("Expires after Update = %v, want zero", rec.Expires)
	}
}

type abortError struct{ reason string }

func (e *abortError) Error() string { return "abort: " + e.reason }

func testUpdateFnError(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, store.KindUser, "alice", "original")
	before := get(t, s, store.KindUser, "alice")

	errAbort := &abortError{"policy says no"}
	err := s.Update(ctx, store.KindUser, "alice", func(old []byte) ([]byte, error) {
		// Scribbling over old must not reach the store either.
		for i := range old {
			old[i] = 'X'
		}
		return []byte("changed"), errAbort
	})
	if err != errAbort { // the contract is "returned as is", so compare identity
		t.Fatalf("Update with failing fn: error = %#v, want the fn's error %#v unchanged", err, errAbort)
	}
	after := wantValue(t, s, store.KindUser, "alice", "original")
	if after.Revision != before.Revision {
		t.Fatalf("failed Update changed Revision from %d to %d", before.Revision, after.Revision)
	}

	// fn may abort with the store's own sentinel.
	err = s.Update(ctx, store.KindUser, "alice", func([]byte) ([]byte, error) {
		return nil, fmt.Errorf("stale: %w", store.ErrConflict)
	})
	wantErr(t, err, store.ErrConflict, "Update with fn returning ErrConflict")
	wantValue(t, s, store.KindUser, "alice", "original")
}

func testUpdateMissing(t *testing.T, s store.Store) {
	create(t, s, store.KindGroup, "ghost", "a group")
	called := false
	err := s.Update(t.Context(), store.KindUser, "ghost", func(old []byte) ([]byte, error) {
		called = true
		return []byte("created?"), nil
	})
	wantErr(t, err, store.ErrNotFound, "Update(user, ghost)")
	if called {
		t.Fatal("Update of a missing record called fn")
	}
	wantMissing(t, s, store.KindUser, "ghost")
	wantValue(t, s, store.KindGroup, "ghost", "a group")
}

// counter is the JSON document the concurrency test increments.
type counter struct {
	N int `json:"n"`
}

// testConcurrentUpdates increments one counter from 20 goroutines, 10 times
// each, half of them through a and half through b (which may be the same
// store). Any lost update leaves the counter below 200.
func testConcurrentUpdates(t *testing.T, a, b store.Store) {
	const workers, perWorker = 20, 10
	create(t, a, store.KindUser, "counter", `{"n":0}`)
	increment := func(old []byte) ([]byte, error) {
		var c counter
		if err := json.Unmarshal(old, &c); err != nil {
			return nil, fmt.Errorf("decode counter %q: %w", old, err)
		}
		c.N++
		// Yield, so that a store that does not hold the record between
		// the read and the write lets other writers in and loses updates.
		runtime.Gosched()
		return json.Marshal(c)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for range perWorker {
				if err := s.Update(t.Context(), store.KindUser, "counter", increment); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if len(all) > 0 {
		t.Fatalf("%d of %d concurrent Updates failed: %v", len(all), workers*perWorker, errors.Join(all...))
	}
	for _, s := range []store.Store{a, b} {
		var c counter
		if err := json.Unmarshal(get(t, s, store.KindUser, "counter").Value, &c); err != nil {
			t.Fatalf("decode counter: %v", err)
		}
		if c.N != workers*perWorker {
			t.Fatalf("counter = %d after %d concurrent increments: %d updates lost", c.N, workers*perWorker, workers*perWorker-c.N)
		}
	}
}

func testRevision(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, store.KindUser, "alice", "1")
	create(t, s, store.KindUser, "bob", "1")
	r1 := get(t, s, store.KindUser, "alice").Revision
	if r1 <= 0 {
		t.Fatalf("Revision after Create = %d, want > 0", r1)
	}
	update(t, s, store.KindUser, "alice", "2")
	r2 := get(t, s, store.KindUser, "alice").Revision
	if r2 <= r1 {
		t.Fatalf("Revision after Update = %d, want > %d", r2, r1)
	}
	update(t, s, store.KindUser, "alice", "2") // same value: still a change
	r3 := get(t, s, store.KindUser, "alice").Revision
	if r3 <= r2 {
		t.Fatalf("Revision after an Update writing the same value = %d, want > %d", r3, r2)
	}
	update(t, s, store.KindUser, "bob", "2")
	create(t, s, store.KindGroup, "g", "1")
	if r := get(t, s, store.KindUser, "alice").Revision; r != r3 {
		t.Fatalf("Revision of alice changed from %d to %d by writes to other records", r3, r)
	}
	if err := s.Delete(ctx, store.KindUser, "alice"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	create(t, s, store.KindUser, "alice", "1")
	if r := get(t, s, store.KindUser, "alice").Revision; r <= r3 {
		t.Fatalf("Revision after Delete and Create = %d, want > %d", r, r3)
	}
}
