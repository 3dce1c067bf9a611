// Package memory is an in-memory store.Store for tests and for servers
// whose IAM state need not survive a restart.
//
// # Flow
//
// Records live in one map per kind, guarded by a single read-write mutex.
// Reads (Get, List) take the read lock and return copies. Every write
// (Create, Update, Delete, GarbageCollect) takes the write lock, bumps a
// store-wide revision counter, changes the map and publishes the change to
// watchers before releasing the lock, so watchers see changes in the order
// they were made.
//
// Update calls fn while holding the write lock, so compare-and-swap is
// trivially atomic and never reports store.ErrConflict; fn must not call
// the Store (it would deadlock).
//
// # Watchers
//
// Each watcher has a buffered channel (Options.WatchBuffer events,
// default 1024). Writers never wait for a watcher: when a watcher's buffer
// is full, the events still buffered for it are dropped and replaced by a
// single store.EventReset, after which it receives later events as usual.
// A consumer that sees EventReset reloads with List; every change it missed
// is visible to that List. A watcher's channel is closed when its context
// is done or the store is closed.
//
// # Invariants
//
//   - A record's Revision is the value of the store-wide counter at its
//     last change, so revisions are positive, unique per change and grow.
//   - Values are copied on the way in and out; callers never share memory
//     with the store or with each other.
//   - Expires is stored without its monotonic clock reading.
//   - After Close every method fails with store.ErrUnavailable and the data
//     is dropped.
package memory
