// Package objecttest is the conformance suite for object.Backend
// implementations.
//
// A backend's own tests call Run with a constructor:
//
//	func TestConformance(t *testing.T) {
//		objecttest.Run(t, func(t *testing.T) object.Backend {
//			b, err := mybackend.Open(t.TempDir(), mybackend.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { b.Close() })
//			return b
//		})
//	}
//
// Run starts one subtest per behaviour (buckets, objects, keys, listings,
// multipart uploads, policies, concurrency) and gives each a fresh, empty
// backend, so subtests are independent, run in parallel and can be run
// alone with -run.
// Failures name the operation and the sentinel expected; the suite only
// compares errors with errors.Is against the sentinels of package object.
//
// Behaviour the suite fixes where S3 leaves room:
//   - Keys with "." or ".." segments, empty segments, a leading "/", NUL
//     bytes or segments over 255 bytes are rejected with ErrInvalidKey, keys
//     over MaxKeyLength bytes with ErrKeyTooLong.
//   - A key ending in "/" with an empty body is a folder marker: an object
//     of size 0, listed like any other. Data under such a key is
//     ErrInvalidKey.
//   - An object "a" and an object "a/b" cannot coexist (ErrKeyConflict).
//   - In-progress multipart uploads do not keep DeleteBucket from
//     succeeding; they are removed with the bucket, as is its policy.
//   - ListObjects pages are complete: paging with NextAfter returns every
//     key and common prefix exactly once, and a common prefix is listed only
//     when some object has it (empty prefixes left by deletions are not).
//     This holds while the bucket changes between pages for the keys present
//     throughout, and every page lists only entries after its After.
//   - A failed put (bad digest, wrong size, body error, canceled context)
//     stores nothing and leaves any previous object intact.
//
// The suite writes about sixty 5 MiB parts (MinPartSize) and otherwise
// small bodies, so it stays fast on a local file system.
package objecttest
