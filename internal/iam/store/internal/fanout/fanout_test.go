package fanout

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

func put(name string) store.Event {
	return store.Event{Type: store.EventPut, Record: store.Record{Kind: store.KindUser, Name: name, Value: []byte(name)}}
}

// recv returns the next event, failing if none arrives or ch is closed.
func recv(t *testing.T, ch <-chan store.Event) store.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("channel closed, want an event")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return store.Event{}
}

// wantClosed fails unless ch is closed and empty.
func wantClosed(t *testing.T, ch <-chan store.Event) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if ok {
			t.Fatalf("got event %+v, want closed channel", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed within 5s")
	}
}

func TestHub_PublishInOrder(t *testing.T) {
	h := New(0)
	defer h.Close()
	a, err := h.Watch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Watch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h.Publish(put("1"), put("2"))
	h.Publish(put("3"))
	for _, ch := range []<-chan store.Event{a, b} {
		for _, want := range []string{"1", "2", "3"} {
			if ev := recv(t, ch); ev.Type != store.EventPut || ev.Record.Name != want {
				t.Fatalf("event = %+v, want put %q", ev, want)
			}
		}
	}
}

func TestHub_ValuesCopiedPerWatcher(t *testing.T) {
	h := New(0)
	defer h.Close()
	a, _ := h.Watch(t.Context())
	b, _ := h.Watch(t.Context())
	ev := put("x")
	h.Publish(ev)
	ev.Record.Value[0] = 'Z'
	ea := recv(t, a)
	ea.Record.Value[0] = 'Y'
	if eb := recv(t, b); string(eb.Record.Value) != "x" {
		t.Fatalf("second watcher saw value %q, want %q", eb.Record.Value, "x")
	}
}

func TestHub_SlowWatcherGetsReset(t *testing.T) {
	h := New(4)
	defer h.Close()
	slow, _ := h.Watch(t.Context())
	fast, _ := h.Watch(t.Context())
	const n = 50
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			h.Publish(put(string(rune('a' + i))))
		}
	}()
	// The fast watcher reads as events come; it may or may not overflow, but
	// the writer must finish although the slow watcher never reads.
	go func() {
		for range fast {
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a watcher that does not read")
	}
	// What the slow watcher holds: a reset first (the events before it were
	// dropped), then only events published after that reset, in order.
	var got []store.Event
	for drained := false; !drained; {
		select {
		case ev := <-slow:
			got = append(got, ev)
		default:
			drained = true
		}
	}
	if len(got) == 0 || len(got) > 4 || got[0].Type != store.EventReset {
		t.Fatalf("slow watcher holds %+v, want a reset then at most 3 events", got)
	}
	for i, ev := range got[1:] {
		if ev.Type != store.EventPut || i > 0 && ev.Record.Name <= got[i].Record.Name {
			t.Fatalf("slow watcher holds %+v: events after the reset out of order", got)
		}
	}
	if last := got[len(got)-1]; len(got) > 1 && last.Record.Name != string(rune('a'+n-1)) {
		t.Fatalf("slow watcher's last event is %q, want the last published", last.Record.Name)
	}
	h.Publish(put("last"))
	if ev := recv(t, slow); ev.Record.Name != "last" {
		t.Fatalf("after reset: event %+v, want put %q", ev, "last")
	}
}

func TestHub_CancelClosesOnlyThatWatcher(t *testing.T) {
	h := New(0)
	defer h.Close()
	ctx, cancel := context.WithCancel(t.Context())
	a, _ := h.Watch(ctx)
	b, _ := h.Watch(t.Context())
	cancel()
	wantClosed(t, a)
	h.Publish(put("1"))
	if ev := recv(t, b); ev.Record.Name != "1" {
		t.Fatalf("event = %+v", ev)
	}
	if n := h.Len(); n != 1 {
		t.Fatalf("Len = %d after cancel, want 1", n)
	}
}

func TestHub_Close(t *testing.T) {
	h := New(0)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a, _ := h.Watch(ctx)
	h.Close()
	wantClosed(t, a)
	cancel() // must not close a twice
	h.Close()
	h.Publish(put("ignored"))
	if _, err := h.Watch(t.Context()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Watch after Close: error = %v, want %v", err, store.ErrUnavailable)
	}
}

func TestHub_WatchWithDoneContext(t *testing.T) {
	h := New(0)
	defer h.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ch, err := h.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantClosed(t, ch)
}
