// Package bolt is the single-node store.Store: IAM records in one bbolt
// file, which one Sesame process at a time holds open.
//
// # Layout
//
//	meta                   bucket
//	  format               uint64, big-endian: 1 (see Format)
//	  revision             uint64, big-endian: the last revision handed out
//	kind:<kind>            one bucket per store.Kind, created on first use
//	  <name>               record envelope (see below)
//
// Kind buckets carry a "kind:" prefix so that no kind can collide with the
// meta bucket. Keys are record names as bytes, so a bucket's cursor order is
// List's order (bytewise). bbolt refuses empty keys and keys over 32 KiB,
// so such names fail.
//
// A record's envelope (format 1) is, big-endian:
//
//	revision      8 bytes  uint64
//	expires sec   8 bytes  int64, Unix seconds
//	expires nsec  4 bytes  uint32, 0..999999999
//	value         the rest
//
// Expires is kept as seconds and nanoseconds rather than Unix nanoseconds so
// that every time.Time survives (Unix nanoseconds end in 2262). The zero
// time is stored as its own seconds (year 1) and read back as the zero time.
//
// # Flow
//
// Open takes bbolt's exclusive file lock, waiting at most Options.Timeout;
// when another process (another Sesame) holds it, Open fails with an error
// wrapping store.ErrUnavailable that names the file. It then checks the
// file in one write transaction: a missing or empty file gets a meta bucket
// with format 1; a file with a newer format, a file that is not a bbolt
// database, a bbolt database without Sesame's meta bucket and a database
// that fails bbolt's consistency check are refused with an error wrapping
// store.ErrIncompatible, without being changed. A store is never silently
// replaced by an empty one.
//
// Reads run in bbolt read transactions and copy values out of the mmap.
// Every write runs in one bbolt write transaction that also bumps the
// revision counter, and the change is published to watchers after the
// commit, under a mutex that serializes writers, so watchers see changes in
// commit order. Update calls fn inside that transaction: compare-and-swap is
// atomic because bbolt has a single writer, and never reports
// store.ErrConflict; fn must not call the Store.
//
// Watch is an in-process fan-out, as in package memory: only this process
// writes the file. Each watcher buffers Options.WatchBuffer events; one
// that falls behind has its pending events replaced by store.EventReset,
// so writers never wait for it.
//
// # Invariants
//
//   - The revision counter only grows and is persisted with each write, so
//     revisions keep growing across restarts.
//   - A write and its revision bump commit together or not at all; events
//     are published only for committed writes.
//   - After Close every method fails with store.ErrUnavailable.
package bolt
