package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

func watchTests() []subtest {
	return []subtest{
		{"Watch/Events", func(t *testing.T, s store.Store) { testWatchEvents(t, s, s) }},
		{"Watch/OnlyAfter", testWatchOnlyAfter},
		{"Watch/Fanout", testWatchFanout},
		{"Watch/Cancel", testWatchCancel},
		{"Watch/NoEventOnFailure", testWatchNoEventOnFailure},
		{"Watch/GarbageCollect", testWatchGarbageCollect},
	}
}

// watch starts a watcher that stops when the test ends.
func watch(t *testing.T, s store.Store) <-chan store.Event {
	t.Helper()
	ch, err := s.Watch(t.Context())
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	return ch
}

// next returns the next event on ch, failing if none arrives in time or the
// channel is closed.
func next(t *testing.T, ch <-chan store.Event) store.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("Watch channel closed, want an event")
		}
		return ev
	case <-time.After(eventTimeout):
		t.Fatalf("no Watch event within %v", eventTimeout)
	}
	panic("unreachable")
}

// wantEvent checks that the next event on ch is typ for (kind, name) with
// value (ignored for deletes, which must carry a nil value).
func wantEvent(t *testing.T, ch <-chan store.Event, typ store.EventType, kind store.Kind, name, value string) store.Event {
	t.Helper()
	ev := next(t, ch)
	if ev.Type != typ || ev.Record.Kind != kind || ev.Record.Name != name {
		t.Fatalf("event = %s, want %s", fmtEvent(ev), fmtEvent(store.Event{Type: typ, Record: store.Record{Kind: kind, Name: name, Value: []byte(value)}}))
	}
	switch {
	case typ == store.EventDelete && ev.Record.Value != nil:
		t.Fatalf("delete event for (%s, %q) has Value %q, want nil", kind, name, ev.Record.Value)
	case typ == store.EventPut && !bytes.Equal(ev.Record.Value, []byte(value)):
		t.Fatalf("put event for (%s, %q) has Value %q, want %q", kind, name, ev.Record.Value, value)
	}
	return ev
}

// wantClosed checks that ch is closed within eventTimeout, skipping events
// still in flight.
func wantClosed(t *testing.T, ch <-chan store.Event, what string) {
	t.Helper()
	deadline := time.After(eventTimeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("Watch channel not closed within %v after %s", eventTimeout, what)
		}
	}
}

func fmtEvent(ev store.Event) string {
	typ := fmt.Sprintf("EventType(%d)", ev.Type)
	switch ev.Type {
	case store.EventPut:
		typ = "put"
	case store.EventDelete:
		typ = "delete"
	case store.EventReset:
		typ = "reset"
	}
	return fmt.Sprintf("%s (%s, %q) value %q rev %d", typ, ev.Record.Kind, abbrev(ev.Record.Name), abbrev(string(ev.Record.Value)), ev.Record.Revision)
}

// testWatchEvents watches w while writing through s (the same store, or a
// peer).
func testWatchEvents(t *testing.T, w, s store.Store) {
	ctx := t.Context()
	ch := watch(t, w)
	exp := time.Now().Add(time.Hour)

	createRec(t, s, store.Record{Kind: store.KindUser, Name: "alice", Value: []byte("v1"), Expires: exp})
	ev := wantEvent(t, ch, store.EventPut, store.KindUser, "alice", "v1")
	rec := get(t, s, store.KindUser, "alice")
	if ev.Record.Revision != rec.Revision || !ev.Record.Expires.Equal(exp) {
		t.Fatalf("put event has Revision %d, Expires %v; Get has Revision %d, Expires %v", ev.Record.Revision, ev.Record.Expires, rec.Revision, exp)
	}
	copy(ev.Record.Value, "XX") // events are the consumer's to keep
	wantValue(t, s, store.KindUser, "alice", "v1")

	update(t, s, store.KindUser, "alice", "v2")
	ev2 := wantEvent(t, ch, store.EventPut, store.KindUser, "alice", "v2")
	if ev2.Record.Revision <= ev.Record.Revision || !ev2.Record.Expires.Equal(exp) {
		t.Fatalf("update event has Revision %d (create had %d), Expires %v (want %v)", ev2.Record.Revision, ev.Record.Revision, ev2.Record.Expires, exp)
	}

	if err := s.Delete(ctx, store.KindUser, "alice"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantEvent(t, ch, store.EventDelete, store.KindUser, "alice", "")

	create(t, s, store.KindGroup, "admins", "g")
	create(t, s, store.KindUser, "alice", "v3")
	wantEvent(t, ch, store.EventPut, store.KindGroup, "admins", "g")
	ev3 := wantEvent(t, ch, store.EventPut, store.KindUser, "alice", "v3")
	if ev3.Record.Revision <= ev2.Record.Revision {
		t.Fatalf("event after Delete and Create has Revision %d, want > %d", ev3.Record.Revision, ev2.Record.Revision)
	}
}

func testWatchOnlyAfter(t *testing.T, s store.Store) {
	create(t, s, store.KindUser, "before", "x")
	update(t, s, store.KindUser, "before", "y")
	ch := watch(t, s)
	create(t, s, store.KindUser, "after", "z")
	wantEvent(t, ch, store.EventPut, store.KindUser, "after", "z")
}

func testWatchFanout(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a, err := s.Watch(ctx)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	b := watch(t, s)
	create(t, s, store.KindPolicy, "p1", "1")
	wantEvent(t, a, store.EventPut, store.KindPolicy, "p1", "1")
	wantEvent(t, b, store.EventPut, store.KindPolicy, "p1", "1")

	cancel()
	wantClosed(t, a, "cancelling its context")
	create(t, s, store.KindPolicy, "p2", "2")
	wantEvent(t, b, store.EventPut, store.KindPolicy, "p2", "2")

	c := watch(t, s) // a watcher added later sees only later changes
	update(t, s, store.KindPolicy, "p1", "1b")
	wantEvent(t, b, store.EventPut, store.KindPolicy, "p1", "1b")
	wantEvent(t, c, store.EventPut, store.KindPolicy, "p1", "1b")
}

func testWatchCancel(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := s.Watch(ctx)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	create(t, s, store.KindUser, "alice", "a") // an event may be in flight
	cancel()
	wantClosed(t, ch, "cancelling its context")
	// The store keeps working for everyone else.
	create(t, s, store.KindUser, "bob", "b")
	wantValue(t, s, store.KindUser, "bob", "b")

	// A context with a deadline ends the watch too.
	dctx, dcancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer dcancel()
	ch, err = s.Watch(dctx)
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	wantClosed(t, ch, "its context's deadline")
}

func testWatchNoEventOnFailure(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, store.KindUser, "alice", "a")
	ch := watch(t, s)

	err := s.Create(ctx, store.Record{Kind: store.KindUser, Name: "alice", Value: []byte("dup")})
	wantErr(t, err, store.ErrAlreadyExists, "duplicate Create")
	err = s.Update(ctx, store.KindUser, "alice", func([]byte) ([]byte, error) { return nil, &abortError{"no"} })
	if err == nil {
		t.Fatal("Update with failing fn succeeded")
	}
	wantErr(t, s.Update(ctx, store.KindUser, "nobody", func(b []byte) ([]byte, error) { return b, nil }), store.ErrNotFound, "Update(nobody)")
	wantErr(t, s.Delete(ctx, store.KindUser, "nobody"), store.ErrNotFound, "Delete(nobody)")
	if _, err := s.GarbageCollect(ctx, time.Now()); err != nil {
		t.Fatalf("GarbageCollect: %v", err)
	}
	if _, err := s.List(ctx, store.KindUser); err != nil {
		t.Fatalf("List: %v", err)
	}

	create(t, s, store.KindUser, "marker", "m")
	wantEvent(t, ch, store.EventPut, store.KindUser, "marker", "m")
}

func testWatchGarbageCollect(t *testing.T, s store.Store) {
	now := time.Now()
	createRec(t, s, store.Record{Kind: store.KindRevocation, Name: "old1", Expires: now.Add(-time.Hour)})
	createRec(t, s, store.Record{Kind: store.KindAccessKey, Name: "old2", Expires: now.Add(-time.Second)})
	createRec(t, s, store.Record{Kind: store.KindRevocation, Name: "new", Expires: now.Add(time.Hour)})
	ch := watch(t, s)
	if n, err := s.GarbageCollect(t.Context(), now); err != nil || n != 2 {
		t.Fatalf("GarbageCollect = %d, %v; want 2, nil", n, err)
	}
	want := map[string]store.Kind{"old1": store.KindRevocation, "old2": store.KindAccessKey}
	for range 2 {
		ev := next(t, ch)
		kind, ok := want[ev.Record.Name]
		if ev.Type != store.EventDelete || !ok || ev.Record.Kind != kind || ev.Record.Value != nil {
			t.Fatalf("event = %s, want a delete of one of %v", fmtEvent(ev), want)
		}
		delete(want, ev.Record.Name)
	}
	create(t, s, store.KindUser, "marker", "m")
	wantEvent(t, ch, store.EventPut, store.KindUser, "marker", "m")
}
