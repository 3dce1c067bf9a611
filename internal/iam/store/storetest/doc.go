// Package storetest is the conformance suite for store.Store
// implementations.
//
// A backend's own tests call Run with a constructor:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := mybackend.Open(filepath.Join(t.TempDir(), "iam.db"), mybackend.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Run starts one subtest per behaviour and gives each a fresh, empty store,
// so subtests are independent, run in parallel and can be run alone with
// -run. The suite compares errors only with errors.Is against the sentinels
// of package store (and, for errors returned by an Update callback, by
// identity).
//
// A backend shared by several clients (etcd) calls RunWithOptions with
// Options.NewPeer, which returns a second client of the same data; the
// "Peer/..." subtests then check that one client sees the other's records,
// changes and events, and that compare-and-swap holds across clients.
// Without NewPeer those subtests are skipped.
//
// Behaviour the suite fixes where the store.Store comments leave room:
//   - Revisions are positive. A record's Revision changes only when that
//     record changes; a record deleted and created again gets a Revision
//     greater than any it had before. A Put event carries the Revision that
//     Get returns afterwards.
//   - Expires round-trips to the nanosecond (compared with time.Time.Equal),
//     including times far in the future; a zero Expires stays zero.
//   - Names are arbitrary non-empty strings: "/" has no special meaning, and
//     unicode, NUL bytes and names of 1 KiB work. Create refuses an empty
//     name with an error. List orders names bytewise (Go string order),
//     and kinds whose names are prefixes of each other stay apart.
//   - Values are copied on the way in and out: mutating a slice given to
//     or returned by the store (including the old value passed to an
//     Update callback) never changes what it stores.
//   - A failed Update (callback error) changes nothing and emits no event.
//   - GarbageCollect deletes records whose Expires is strictly before now,
//     across all kinds, and emits a Delete event for each.
//   - Watch channels are closed when their context is done and when the
//     store is closed. Close is idempotent; other methods called after
//     Close fail with an error wrapping store.ErrUnavailable.
//
// The suite does not test what happens when a watcher falls behind (that
// depends on each backend's buffering); backends test that themselves.
package storetest
