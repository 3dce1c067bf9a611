// Package awsquery serves Sesame's AWS query-protocol APIs (IAM, STS): the
// serve sequence both share (method, size, authentication, credential
// scope, parameters, Action and Version, dispatch), the authorization
// guard (a handler's success is sent only if it asked Request.Authorize),
// parameter validation in AWS's words, and the one mapping of errors to
// wire codes. Each API brings its Spec: its actions, its domain errors and
// the few codes in which IAM and STS differ.
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
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// APIError is a query-protocol error as it goes on the wire.
type APIError = httpx.APIError

// The errors IAM and STS answer with alike.
var (
	ErrAccessDenied               = &APIError{Code: "AccessDenied", Message: "Access denied.", Status: http.StatusForbidden}
	ErrIncompleteSignature        = &APIError{Code: "IncompleteSignature", Message: "The request signature does not conform to AWS standards.", Status: http.StatusBadRequest}
	ErrInvalidAction              = &APIError{Code: "InvalidAction", Message: "The action or operation requested is invalid.", Status: http.StatusBadRequest}
	ErrInvalidClientTokenID       = &APIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	ErrMalformedPolicyDocument    = &APIError{Code: "MalformedPolicyDocument", Message: "The policy document is malformed.", Status: http.StatusBadRequest}
	ErrMissingAction              = &APIError{Code: "MissingAction", Message: "Missing Action.", Status: http.StatusBadRequest}
	ErrMissingAuthenticationToken = &APIError{Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token.", Status: http.StatusForbidden}
	ErrMissingParameter           = &APIError{Code: "MissingParameter", Message: "A required parameter for the specified action is not supplied.", Status: http.StatusBadRequest}
	ErrRequestTimeout             = &APIError{Code: "RequestTimeout", Message: "The request body was not received in time.", Status: http.StatusBadRequest}
	ErrServiceUnavailable         = &APIError{Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server.", Status: http.StatusServiceUnavailable}
	ErrSignatureDoesNotMatch      = &APIError{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", Status: http.StatusForbidden}
	ErrValidation                 = &APIError{Code: "ValidationError", Message: "The input fails to satisfy the constraints specified by an AWS service.", Status: http.StatusBadRequest}
)

// Codes are the wire errors in which the APIs differ.
type Codes struct {
	// Internal answers a server fault (IAM ServiceFailure, STS
	// InternalFailure); the details stay in the log.
	Internal *APIError
	// BadInput answers a body over the limit, a body that is not a form,
	// or a malformed query string or aws-chunked body (IAM InvalidInput;
	// STS ValidationError for size, InvalidParameterValue for the rest).
	BodyTooLarge, BadInput *APIError
	// ExpiredToken answers expired temporary credentials.
	ExpiredToken *APIError
	// WrongScope answers a credential scoped to another service.
	WrongScope *APIError
	// Domain maps the API's domain sentinels to wire errors, tried in
	// order after the shared ones; the sentinel's explanation becomes the
	// message.
	Domain []Mapping
}

// Mapping maps a sentinel error to a wire error.
type Mapping struct {
	Sentinel error
	Wire     *APIError
}

// shared maps the domain sentinels both APIs answer alike.
var shared = []Mapping{
	{iam.ErrAccessDenied, ErrAccessDenied},
	{iam.ErrMalformedPolicy, ErrMalformedPolicyDocument},
}

// toAPIError maps an error to its wire error. This is the one place where
// iam, store, auth and sigv4 errors become IAM and STS wire codes;
// anything unknown is Codes.Internal, whose details stay in the log.
func (a *API) toAPIError(err error) *APIError {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	codes := &a.spec.Codes
	for _, list := range [][]Mapping{codes.Domain, shared} {
		for _, d := range list {
			if errors.Is(err, d.Sentinel) {
				if msg := Explanation(err, d.Sentinel); msg != "" {
					return d.Wire.WithMessage("%s", msg)
				}
				return d.Wire
			}
		}
	}
	switch {
	case errors.Is(err, httpx.ErrBodyTooLarge), errors.Is(err, sigv4.ErrPayloadTooLarge):
		return fmtBodyTooLarge(&a.spec)
	case errors.Is(err, httpx.ErrNotForm), errors.Is(err, httpx.ErrBadQuery):
		return codes.BadInput.WithMessage("%s", strings.TrimPrefix(err.Error(), "httpx: "))
	case errors.Is(err, sigv4.ErrMalformedChunk), errors.Is(err, sigv4.ErrChecksumMismatch):
		return codes.BadInput.WithMessage("The request body is malformed: %s", err.Error())
	case errors.Is(err, auth.ErrExpiredToken):
		return codes.ExpiredToken
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
	return codes.Internal
}

func fmtBodyTooLarge(spec *Spec) *APIError {
	return spec.Codes.BodyTooLarge.WithMessage("The request body exceeds %d bytes.", spec.MaxBody)
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
