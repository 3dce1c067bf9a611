// Package awsquery holds what Sesame's AWS query-protocol APIs (IAM, STS)
// share about errors: the authentication and transport codes both answer
// with, and how a domain error's detail becomes a message. Each API keeps
// its own codes and its one mapping function, which calls Common last.
package awsquery

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// APIError is a query-protocol error as it goes on the wire.
type APIError = httpx.APIError

// The errors IAM and STS answer with alike.
var (
	ErrAccessDenied          = &APIError{Code: "AccessDenied", Message: "Access denied.", Status: http.StatusForbidden}
	ErrIncompleteSignature   = &APIError{Code: "IncompleteSignature", Message: "The request signature does not conform to AWS standards.", Status: http.StatusBadRequest}
	ErrInvalidClientTokenID  = &APIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	ErrRequestTimeout        = &APIError{Code: "RequestTimeout", Message: "The request body was not received in time.", Status: http.StatusBadRequest}
	ErrServiceUnavailable    = &APIError{Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server.", Status: http.StatusServiceUnavailable}
	ErrSignatureDoesNotMatch = &APIError{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", Status: http.StatusForbidden}
)

// Common maps the authentication, signature, store-availability and
// timeout errors both APIs share; it returns nil for any other error.
// Callers map their own cases (body limits, expired tokens, ...) first.
func Common(err error) *APIError {
	switch {
	case errors.Is(err, auth.ErrInvalidAccessKeyID), errors.Is(err, auth.ErrInvalidToken):
		return ErrInvalidClientTokenID
	case errors.Is(err, sigv4.ErrSignatureMismatch), errors.Is(err, sigv4.ErrChunkSignatureMismatch):
		return ErrSignatureDoesNotMatch
	case errors.Is(err, sigv4.ErrContentSHA256Mismatch):
		return ErrSignatureDoesNotMatch.WithMessage("The request body does not match the payload hash that was signed.")
	case errors.Is(err, sigv4.ErrTimeSkewed):
		return ErrSignatureDoesNotMatch.WithMessage("Signature expired: the request time is more than %d minutes away from the server's time.", int(sigv4.DefaultMaxSkew.Minutes()))
	case errors.Is(err, sigv4.ErrExpired):
		return ErrAccessDenied.WithMessage("Request has expired.")
	case errors.Is(err, sigv4.ErrUnsignedHeaders):
		return ErrAccessDenied.WithMessage("%s", unsignedHeadersMessage(err))
	case errors.Is(err, sigv4.ErrMalformedAuth), errors.Is(err, sigv4.ErrMalformedPresign), errors.Is(err, sigv4.ErrInvalidExpires):
		return ErrIncompleteSignature.WithMessage("%s", err.Error())
	case errors.Is(err, sigv4.ErrUnsupportedAlgorithm):
		return ErrIncompleteSignature.WithMessage("Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is supported.")
	case errors.Is(err, sigv4.ErrMissingDate):
		return ErrIncompleteSignature.WithMessage("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	case errors.Is(err, sigv4.ErrInvalidPayloadHash):
		return ErrIncompleteSignature.WithMessage("The X-Amz-Content-Sha256 header is not valid.")
	case errors.Is(err, store.ErrUnavailable):
		return ErrServiceUnavailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ErrRequestTimeout
	}
	return nil
}

// unsignedHeadersMessage says that x-amz-* headers were not signed and
// names them.
func unsignedHeadersMessage(err error) string {
	const msg = "There were headers present in the request which were not signed"
	var ue *sigv4.UnsignedHeadersError
	if errors.As(err, &ue) && len(ue.Headers) > 0 {
		return msg + ": " + strings.Join(ue.Headers, ", ")
	}
	return msg
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// Explanation turns the detail a domain error adds after its sentinel into
// a sentence for the caller: "iam: no such entity: the user with name bob
// cannot be found" becomes "The user with name bob cannot be found.". It
// returns "" when err adds nothing.
func Explanation(err, sentinel error) string {
	_, detail, ok := strings.Cut(err.Error(), sentinel.Error()+": ")
	if !ok {
		return ""
	}
	// The policy parser names its own sentinel again; the code says it.
	detail = strings.TrimPrefix(detail, "malformed policy document: ")
	first, size := utf8.DecodeRuneInString(detail)
	if size == 0 {
		return ""
	}
	detail = string(unicode.ToUpper(first)) + detail[size:]
	if !strings.HasSuffix(detail, ".") {
		detail += "."
	}
	return detail
}
