// Package s3backend is an object.Backend over an upstream S3 service: the
// storage behind `sesame server --s3-backend URL` (docs/GATEWAY.md), so that
// Sesame's STS, IAM, OpenID and OPA front any S3 store.
//
// # Flow
//
// Every call checks its bucket and key against the contract's rules (names.go),
// maps them upstream (bucket mode: bucket b is upstream bucket Prefix+b;
// single-bucket mode: the keys under "b/" of one upstream bucket, with a
// marker object per bucket under ".sesame-buckets/"), and makes one request
// (a few make two, see "Costs" in docs/GATEWAY.md) with aws-sdk-go-v2's S3
// client: its own pooled transport and timeouts, path-style, unsigned
// payloads, no checksums beyond what an operation requires.
//
// Bodies stream: a PUT or part of declared size goes through a guard
// (body.go) that counts and hashes it and withholds its last bytes until the
// body is known good — no extra byte, the MD5 right, the caller still there —
// so that the upstream, seeing a short body, stores nothing wrong. Past
// object.MaxPartSize a PUT becomes an upstream multipart upload; a body of
// unknown size is spooled to the state directory first. GET bodies are the
// upstream's response bodies, ranges passed through.
//
// What Sesame itself enforces — bucket policies and bucket configuration
// documents — and what S3 cannot report — an upload's metadata — lives in
// the state directory (local.go), written atomically, dropped with the
// bucket.
//
// # Errors
//
// errors.go maps the upstream's S3 codes to the contract's sentinels.
// Throttling is object.ErrSlowDown; no answer is object.ErrUnavailable, and
// a failed connect marks the upstream down for Options.UnavailableFor, so
// that requests fail at once instead of each waiting for a timeout; the
// first request after that tries again. Only requests without a body are
// retried.
//
// # Invariants
//
//   - The upstream's credentials are Sesame's own; they are never logged.
//   - No path of the state directory is built from a name that failed
//     checkBucket; upload records are named by a digest of the upload ID.
//   - A wrong body (too long, too short, bad digest, canceled) is never
//     complete upstream.
package s3backend
