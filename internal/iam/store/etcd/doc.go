// Package etcd is the multi-node store.Store: IAM records kept in an etcd
// cluster that every Sesame node of a deployment shares, so a user, key or
// policy created through one node is seen by all of them.
//
// # Layout
//
// Every record is one etcd key under Config.PathPrefix (default "sesame/"):
//
//	<prefix>iam/<kind>/<hex of name>    record envelope (JSON, see below)
//
// Names are hex-encoded in keys, so any name (with '/', NUL, any bytes) makes
// a flat, unambiguous key, and etcd's key order (bytewise) is also List's
// order by name. The value is a small JSON envelope:
//
//	{"v": "<base64 of the value>", "exp": [<Unix seconds>, <nanoseconds>]}
//
// "exp" is absent for records that never expire. A record's Revision is its
// key's ModRevision, which etcd raises with every change of any key, so
// revisions grow across restarts and agree between clients.
//
// # Flow
//
// Open connects and probes the cluster, retrying with backoff (and logging
// "waiting for etcd at ...") until the cluster answers or ctx is done; it
// then fails with an error wrapping store.ErrUnavailable that names the
// endpoints. Each call runs under its own timeout (Options.RequestTimeout),
// so a lost cluster yields store.ErrUnavailable quickly instead of hanging.
//
// Create, Update, Delete and GarbageCollect are etcd transactions guarded by
// a comparison: Create writes only if the key has no CreateRevision; Update
// reads, calls fn, and writes only if the key's ModRevision is unchanged,
// retrying with jittered backoff and giving up with store.ErrConflict after
// maxUpdateTries; GarbageCollect deletes an expired record only if it was
// not changed since it was read.
//
// Watch asks for the store's current revision, then watches the prefix from
// the next one, so it sees exactly the changes made after it was called.
// The etcd client resumes a watch across reconnects without losing events.
// When etcd compacted the revisions a watcher still needed, or the watch
// breaks, the watcher sends store.EventReset and resumes from the latest
// revision: the consumer reloads everything with List.
//
// # Invariants
//
//   - Every write is a single etcd transaction; there are no multi-key
//     writes, so a crash never leaves a half-written record.
//   - After Close every method fails with store.ErrUnavailable and every
//     Watch channel is closed.
//   - The password in Config is never logged.
package etcd
