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
// # Checksums and tags
//
// Additional checksums and object tags are not passed to the upstream
// (not every S3 store has them, and a tag set or checksum that Sesame
// cannot read back is no use): the state directory keeps them.
//
//   - The PutOptions.Checksum hook runs in the guard's last check, before
//     the last bytes go upstream, so its error (a checksum mismatch) leaves
//     the upstream a short body and comes back as the write's error.
//   - A part's checksum is recorded per part (uploads/<digest>.parts/<n>.json,
//     one file each, as parts arrive concurrently) with the upstream part's
//     ETag; ListParts reports it when the ETag still matches. A part sent
//     again without a checksum removes the record.
//   - An object's record (objects/<digest of the key>.json) holds its
//     checksum, its part layout (multipart objects), its tags and the
//     upload that made it, with the upstream object's ETag and size when it
//     was written. HeadObject and GetObject use it only while the upstream
//     object still has that ETag and size: an object replaced behind
//     Sesame's back loses them rather than getting another's. PutObject and
//     CompleteMultipartUpload write it after the upstream write (a write
//     with nothing to record removes it), DeleteObject removes it,
//     PutObjectTags (object.ObjectTagger) rewrites it without touching the
//     upstream object.
//   - CompleteMultipartUpload lists the upstream's parts for their sizes,
//     computes the multipart checksum (object.MultipartChecksum) from the
//     part records before completing upstream — a part without the upload's
//     checksum is InvalidPart with nothing stored — and answers a retry of
//     a completion that succeeded from the object's record.
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
//   - A wrong body (too long, too short, bad digest, checksum hook error,
//     canceled) is never complete upstream.
//   - A local object record is only used for the upstream object of the
//     ETag and size it was written for.
package s3backend
