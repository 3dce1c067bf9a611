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
// # Invariants
//
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
