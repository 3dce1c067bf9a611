package fanout

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// DefaultBuffer is the per-watcher buffer used when New is given zero.
const DefaultBuffer = 1024

// Hub fans events out to watchers. Its methods are safe for concurrent use.
type Hub struct {
	buffer int

	mu       sync.Mutex
	watchers map[*watcher]struct{}
	closed   bool
}

type watcher struct {
	ch   chan store.Event
	stop func() bool // stops the context.AfterFunc that removes the watcher
}

// New returns a Hub whose watchers buffer up to buffer events each
// (DefaultBuffer when buffer is zero or negative).
func New(buffer int) *Hub {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Hub{buffer: buffer, watchers: make(map[*watcher]struct{})}
}

// Watch registers a watcher that receives every event published after Watch
// returns, until ctx is done or the hub is closed; its channel is then
// closed. Watch fails with an error wrapping store.ErrUnavailable once the
// hub is closed.
func (h *Hub) Watch(ctx context.Context) (<-chan store.Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, fmt.Errorf("watch: store is closed: %w", store.ErrUnavailable)
	}
	w := &watcher{ch: make(chan store.Event, h.buffer)}
	h.watchers[w] = struct{}{}
	// AfterFunc runs remove in its own goroutine, which waits for h.mu, so
	// assigning stop under h.mu is seen by remove and Close.
	w.stop = context.AfterFunc(ctx, func() { h.remove(w) })
	return w.ch, nil
}

// remove unregisters w and closes its channel, if still registered.
func (h *Hub) remove(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.watchers[w]; !ok {
		return
	}
	delete(h.watchers, w)
	close(w.ch)
}

// Publish delivers events, in order, to every watcher. Each watcher gets its
// own copy of every Value. Publish never blocks; see the package comment for
// what a full buffer does. Publish after Close does nothing.
func (h *Hub) Publish(events ...store.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers {
		for _, ev := range events {
			ev.Record.Value = bytes.Clone(ev.Record.Value)
			if !w.send(ev) {
				// Buffer full: the reset replaces this event and the
				// rest of the batch, which happened before it is read.
				break
			}
		}
	}
}

// send delivers ev without blocking. If the buffer is full it drops what is
// buffered, queues an EventReset instead and reports false. Only the hub
// sends on w.ch (under h.mu), so after draining there is room for the reset.
func (w *watcher) send(ev store.Event) bool {
	select {
	case w.ch <- ev:
		return true
	default:
	}
	for drained := false; !drained; {
		select {
		case <-w.ch:
		default:
			drained = true
		}
	}
	w.ch <- store.Event{Type: store.EventReset}
	return false
}

// Close closes every watcher's channel and makes later Watch calls fail.
// It is safe to call more than once.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	for w := range h.watchers {
		w.stop()
		delete(h.watchers, w)
		close(w.ch)
	}
}

// Len reports how many watchers are registered (for tests and metrics).
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watchers)
}
