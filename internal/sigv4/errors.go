package sigv4

import "errors"

// Sentinel errors. Functions of this package return them wrapped with %w and
// some context, so callers compare with errors.Is and map them to S3 error
// codes. No error message ever contains a secret key or a computed signature.
var (
	// ErrNoAuth is returned by Parse when the request carries no AWS
	// authentication at all (an anonymous request).
	ErrNoAuth = errors.New("sigv4: request is not signed")
	// ErrMalformedAuth is returned when the Authorization header, its
	// credential scope or its signed-header list is malformed or incomplete
	// (S3 AuthorizationHeaderMalformed).
	ErrMalformedAuth = errors.New("sigv4: malformed authorization header")
	// ErrMalformedPresign is returned when a presigned URL's X-Amz-* query
	// parameters are missing or malformed (S3 AuthorizationQueryParametersError).
	ErrMalformedPresign = errors.New("sigv4: malformed presigned query parameters")
	// ErrUnsupportedAlgorithm is returned when the request is signed with
	// anything but AWS4-HMAC-SHA256, including Signature Version 2.
	ErrUnsupportedAlgorithm = errors.New("sigv4: unsupported signing algorithm")
	// ErrMissingDate is returned when a header-signed request has neither a
	// valid X-Amz-Date nor a valid Date header.
	ErrMissingDate = errors.New("sigv4: missing or invalid request date")
	// ErrSignatureMismatch is returned when the signature computed from the
	// request and the secret key differs from the one the client sent.
	ErrSignatureMismatch = errors.New("sigv4: signature does not match")
	// ErrTimeSkewed is returned when a header-signed request's time is more
	// than Options.MaxSkew away from the server's clock.
	ErrTimeSkewed = errors.New("sigv4: request time too skewed")
	// ErrExpired is returned when a presigned URL is used after
	// X-Amz-Date+X-Amz-Expires, or before X-Amz-Date-Options.MaxSkew.
	ErrExpired = errors.New("sigv4: presigned request expired or not yet valid")
	// ErrInvalidExpires is returned when X-Amz-Expires is not a whole number
	// of seconds between 1 and Options.MaxPresignExpiry (at most 604800).
	ErrInvalidExpires = errors.New("sigv4: invalid X-Amz-Expires")
	// ErrContentSHA256Mismatch is returned at the end of a body whose SHA-256
	// differs from the hex hash in X-Amz-Content-Sha256.
	ErrContentSHA256Mismatch = errors.New("sigv4: payload SHA-256 does not match X-Amz-Content-Sha256")
	// ErrInvalidPayloadHash is returned when X-Amz-Content-Sha256 is neither a
	// hex SHA-256 nor one of the payload modes this package supports.
	ErrInvalidPayloadHash = errors.New("sigv4: invalid X-Amz-Content-Sha256")
	// ErrChunkSignatureMismatch is returned when a chunk signature (or the
	// trailer signature) of an aws-chunked body does not match.
	ErrChunkSignatureMismatch = errors.New("sigv4: chunk signature does not match")
	// ErrMalformedChunk is returned when an aws-chunked body is not framed
	// correctly, is truncated, or decodes to a length other than
	// X-Amz-Decoded-Content-Length.
	ErrMalformedChunk = errors.New("sigv4: malformed aws-chunked body")
	// ErrChecksumMismatch is returned when a trailing x-amz-checksum-* value
	// of an aws-chunked body differs from the checksum of the decoded bytes.
	ErrChecksumMismatch = errors.New("sigv4: trailing checksum does not match")
	// ErrUnsignedHeaders is returned by Verify when the request carries an
	// x-amz-* header that its SignedHeaders do not cover (S3 AccessDenied,
	// "There were headers present in the request which were not signed").
	// Verify returns it as an *UnsignedHeadersError, which names the headers.
	ErrUnsignedHeaders = errors.New("sigv4: headers present in the request were not signed")
	// ErrPayloadTooLarge is returned by Verify when a header-signed request
	// without X-Amz-Content-Sha256 has a body larger than
	// Options.MaxBufferedPayload, so its hash cannot be computed up front.
	ErrPayloadTooLarge = errors.New("sigv4: unhashed payload too large to verify")
)
