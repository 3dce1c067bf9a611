package sigv4

import (
	"net/http"
	"slices"
	"strings"
)

// amzHeaderPrefix starts the name of every header that must be signed.
// "x-amzn-" (X-Amzn-Trace-Id, which SDKs leave unsigned on purpose) does not
// match it.
const amzHeaderPrefix = "x-amz-"

// UnsignedHeadersError is the error Verify returns when a request carries
// x-amz-* headers that its signature does not cover. It wraps
// ErrUnsignedHeaders. Its message names the headers, never their values.
type UnsignedHeadersError struct {
	// Headers holds the lower-case names of the unsigned headers, sorted
	// and without duplicates (S3's HeadersNotSigned).
	Headers []string
}

// Error returns the sentinel's text followed by the header names.
func (e *UnsignedHeadersError) Error() string {
	return ErrUnsignedHeaders.Error() + ": " + strings.Join(e.Headers, ", ")
}

// Unwrap returns ErrUnsignedHeaders.
func (e *UnsignedHeadersError) Unwrap() error { return ErrUnsignedHeaders }

// checkSignedHeaders returns an *UnsignedHeadersError naming the x-amz-*
// headers of h that a does not sign, or nil. The rule and its one exception
// (a presigned URL's X-Amz-Content-Sha256 that repeats a.PayloadHash) are
// explained under "Unsigned headers" in the package documentation.
func checkSignedHeaders(h http.Header, a *Request) error {
	var unsigned []string
	for name := range h {
		if !mustBeSigned(h, name, a) || isSigned(name, a.SignedHeaders) {
			continue
		}
		unsigned = append(unsigned, strings.ToLower(name))
	}
	if unsigned == nil {
		return nil
	}
	slices.Sort(unsigned)
	return &UnsignedHeadersError{Headers: slices.Compact(unsigned)}
}

// mustBeSigned reports whether the header name of h falls under the
// x-amz-* rule of checkSignedHeaders.
func mustBeSigned(h http.Header, name string, a *Request) bool {
	if len(name) < len(amzHeaderPrefix) || !strings.EqualFold(name[:len(amzHeaderPrefix)], amzHeaderPrefix) {
		return false
	}
	if a.Presigned && strings.EqualFold(name, "x-amz-content-sha256") {
		v := h[name]
		return len(v) != 1 || v[0] != a.PayloadHash
	}
	return true
}

// isSigned reports whether name is one of the lower-case signed header
// names, ignoring the case of name.
func isSigned(name string, signed []string) bool {
	for _, s := range signed {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}
