package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/iam/store/storetest"
)

func newStore(t *testing.T, opts memory.Options) *memory.Store {
	t.Helper()
	s := memory.New(opts)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	// The memory store has no second client; handing the store itself to
	// the peer subtests keeps them exercised (they must pass trivially).
	storetest.RunWithOptions(t, func(t *testing.T) store.Store {
		return newStore(t, memory.Options{})
	}, storetest.Options{
		NewPeer: func(t *testing.T, s store.Store) store.Store { return s },
	})
}

// TestStore_WatchSlowConsumer checks that a watcher that never reads does
// not block writers, and that it is told to reload (EventReset) instead of
// silently missing changes.
func TestStore_WatchSlowConsumer(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, memory.Options{WatchBuffer: 8})
	ch, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := range 100 {
			if err := s.Create(ctx, store.Record{Kind: store.KindUser, Name: fmt.Sprintf("u%03d", i)}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("writers blocked by a watcher that does not read")
	}

	sawReset := false
	var last string
	for drained := false; !drained; {
		select {
		case ev := <-ch:
			switch ev.Type {
			case store.EventReset:
				sawReset = true
			case store.EventPut:
				if !sawReset {
					t.Fatalf("event %q delivered before the reset; earlier events must have been dropped", ev.Record.Name)
				}
				last = ev.Record.Name
			default:
				t.Fatalf("unexpected event %+v", ev)
			}
		default:
			drained = true
		}
	}
	if !sawReset {
		t.Fatal("a watcher that fell behind got no EventReset")
	}
	// Whatever the watcher missed, a List after the reset has it all, and it
	// keeps getting events as usual.
	recs, err := s.List(ctx, store.KindUser)
	if err != nil || len(recs) != 100 {
		t.Fatalf("List after reset = %d records, %v; want 100", len(recs), err)
	}
	if last != "" && last != "u099" {
		t.Fatalf("last buffered event is %q, want u099", last)
	}
	if err := s.Create(ctx, store.Record{Kind: store.KindUser, Name: "later"}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		if ev.Type != store.EventPut || ev.Record.Name != "later" {
			t.Fatalf("event after catching up = %+v, want put later", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event after catching up")
	}
}

func ExampleStore() {
	ctx := context.Background()
	s := memory.New(memory.Options{})
	defer s.Close()

	_ = s.Create(ctx, store.Record{Kind: store.KindUser, Name: "alice", Value: []byte(`{"n":1}`)})
	_ = s.Update(ctx, store.KindUser, "alice", func(old []byte) ([]byte, error) {
		return []byte(`{"n":2}`), nil
	})
	rec, _ := s.Get(ctx, store.KindUser, "alice")
	fmt.Println(rec.Name, string(rec.Value))
	// Output: alice {"n":2}
}
