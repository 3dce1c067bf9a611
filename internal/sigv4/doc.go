// Package sigv4 verifies AWS Signature Version 4 authentication of S3 (and
// other AWS-style) HTTP requests. It imports only the standard library.
//
// # Flow
//
// The HTTP edge handles every request in three steps:
//
//  1. Parse(r) extracts the authentication from the Authorization header or
//     from presigned-URL query parameters (X-Amz-Algorithm, X-Amz-Credential,
//     ...). ErrNoAuth means the request is anonymous; the other errors mean
//     it is malformed. Parse only checks syntax.
//  2. The caller looks up the secret key of Request.AccessKey (and checks
//     Region, Service and SecurityToken as it sees fit), then calls
//     Verifier.Verify(r, a, secret), which checks the clock skew (header
//     authentication) or the expiry (presigned URLs) and recomputes the
//     signature over the canonical request.
//  3. Verifier.Body(r, a, secret) returns the payload as a reader that
//     enforces what the signature promised about it: a hex SHA-256, nothing
//     (UNSIGNED-PAYLOAD), or an aws-chunked stream whose chunk signatures
//     and trailing checksums are checked while it is decoded.
//
// # Canonical request
//
// The canonical request is built the S3 way:
//
//   - URI: r.URL.Path (already decoded by net/http) with every byte
//     AWS-URI-encoded (A-Z a-z 0-9 - . _ ~ and '/' kept, everything else %XX
//     upper-case). S3 signs the path encoded once, so it is not encoded a
//     second time as other services do; the services other than S3 that
//     Sesame serves (STS, IAM) always use the path "/", for which single
//     and double encoding coincide.
//   - Query: every parameter (but X-Amz-Signature for presigned URLs)
//     decoded and re-encoded (including '/'), sorted by encoded name then
//     encoded value, "name=" for empty values.
//   - Headers: the SignedHeaders in the order given, each value trimmed with
//     runs of spaces collapsed, repeated headers joined by ','. "host" comes
//     from r.Host, and "host" must be signed.
//   - Payload: Request.PayloadHash; presigned URLs use UNSIGNED-PAYLOAD
//     unless X-Amz-Content-Sha256 says otherwise. A header-signed request
//     without X-Amz-Content-Sha256 (as STS and IAM clients send) signs the
//     hash of its body, which Verify computes from a bounded buffer.
//
// # Unsigned headers
//
// A signature covers only the headers its SignedHeaders name, so Verify
// refuses (ErrUnsignedHeaders, S3's AccessDenied "There were headers
// present in the request which were not signed") any request, header-signed
// or presigned, that carries an x-amz-* header its SignedHeaders leave out.
// Otherwise whoever holds a presigned URL, or replays a captured request
// within its window, could add X-Amz-Copy-Source and turn a PutObject into
// a CopyObject of any object the signer can read, or add metadata, tags,
// ACLs, encryption, storage-class, object-lock, checksum, redirect or
// aws-chunked (X-Amz-Trailer, X-Amz-Decoded-Content-Length) headers. This
// is AWS's documented rule for the canonical headers ("Any x-amz-* headers
// that you plan to include in your request must also be added", in
// "Signature Calculations for the Authorization Header" of the S3 API
// reference), which S3 enforces for presigned URLs too; the SDKs follow
// it: AWS's signers sign every header but a few that are not x-amz-*, and
// the Go presigner keeps as signed headers the x-amz-* headers it does not
// move into the query.
//
//   - X-Amz-Content-Sha256 must be signed for header authentication, as S3
//     requires. On a presigned URL it may come unsigned if it repeats the
//     payload hash in force (Request.PayloadHash): that value is the last
//     line of the canonical request in any case, so the header can only
//     restate what was signed.
//   - The presigned URL's own X-Amz-* parameters, X-Amz-Security-Token
//     included, are query parameters, signed with the query. Sent as
//     headers instead, they must be signed like any x-amz-* header.
//   - Every header that is not x-amz-* may be unsigned: X-Amzn-Trace-Id
//     (SDKs leave it out on purpose), User-Agent, Content-MD5 (which can
//     only make an upload fail), and also headers that are stored with an
//     object: Content-Type, Cache-Control, Content-Disposition,
//     Content-Encoding, Expires. The AWS page above asks for Content-Type
//     to be signed when present, but S3 does not enforce it for presigned
//     URLs (AWS's JavaScript presigner leaves it out of presigned PUT URLs
//     so that browsers can send their own), and Sesame accepts it unsigned
//     in both forms, as S3 does for presigned URLs.
//
// # Browser POST forms
//
// A browser-based POST upload signs its base64 policy document instead of
// a canonical request: ParsePost and Verifier.VerifyPost for SigV4 forms,
// ParsePostV2 and Verifier.VerifyPostV2 for the Signature Version 2 forms
// (AWSAccessKeyId, signature: base64 HMAC-SHA1) S3 still accepts. SigV2 is
// verified there only; Parse refuses it in headers and query strings.
//
// # Invariants
//
//   - Verify accepts no request with an unsigned x-amz-* header, but for a
//     presigned URL's X-Amz-Content-Sha256 equal to its payload hash.
//   - Signatures are compared with crypto/subtle; no error message contains
//     a secret key or a computed signature.
//   - Every error wraps one of the package's sentinel errors (or, for a
//     failing body read, the underlying error), for errors.Is.
//   - A body reader returns io.EOF only after the whole payload has been
//     verified; bytes may be handed out before their chunk is verified, so a
//     consumer must discard everything it read when Read fails with any
//     other error (Sesame's backends write objects atomically).
//   - An aws-chunked reader never returns more bytes than
//     X-Amz-Decoded-Content-Length, and fails unless it returns exactly that
//     many.
//   - Signing keys are cached by access key, scope and a SHA-256 of the
//     secret, so a rotated secret never reuses a key derived from the old
//     one. The cache is bounded and safe for concurrent use; the Verifier
//     holds all state, the package none.
//
// The credential scope's region may be any value, the empty one included:
// the caller decides whether to check it, and minio-go's STS credential
// providers sign with an empty region unless told otherwise.
package sigv4
