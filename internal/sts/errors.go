package sts

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
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// APIError is an STS error as it goes on the wire.
type APIError = httpx.APIError

// The STS errors Sesame answers with, named by their wire code.
var (
	ErrAccessDenied               = &APIError{Code: "AccessDenied", Message: "Access denied.", Status: http.StatusForbidden}
	ErrExpiredToken               = &APIError{Code: "ExpiredToken", Message: "The security token included in the request is expired", Status: http.StatusBadRequest}
	ErrIncompleteSignature        = &APIError{Code: "IncompleteSignature", Message: "The request signature does not conform to AWS standards.", Status: http.StatusBadRequest}
	ErrInternalFailure            = &APIError{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError}
	ErrInvalidAction              = &APIError{Code: "InvalidAction", Message: "The action or operation requested is invalid.", Status: http.StatusBadRequest}
	ErrInvalidClientTokenID       = &APIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	ErrInvalidIdentityToken       = &APIError{Code: "InvalidIdentityToken", Message: "The web identity token that was passed could not be validated.", Status: http.StatusBadRequest}
	ErrExpiredTokenException      = &APIError{Code: "ExpiredTokenException", Message: "The web identity token that was passed is expired.", Status: http.StatusBadRequest}
	ErrIDPRejectedClaim           = &APIError{Code: "IDPRejectedClaim", Message: "The identity provider's token was rejected.", Status: http.StatusForbidden}
	ErrIDPCommunicationError      = &APIError{Code: "IDPCommunicationError", Message: "The request could not be fulfilled because the identity provider could not be reached.", Status: http.StatusBadRequest}
	ErrInvalidParameterValue      = &APIError{Code: "InvalidParameterValue", Message: "An invalid or out-of-range value was supplied for the input parameter.", Status: http.StatusBadRequest}
	ErrMalformedPolicyDocument    = &APIError{Code: "MalformedPolicyDocument", Message: "The request was rejected because the policy document was malformed.", Status: http.StatusBadRequest}
	ErrMissingAction              = &APIError{Code: "MissingAction", Message: "Missing Action", Status: http.StatusBadRequest}
	ErrMissingAuthenticationToken = &APIError{Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token", Status: http.StatusForbidden}
	ErrMissingParameter           = &APIError{Code: "MissingParameter", Message: "A required parameter for the specified action is not supplied.", Status: http.StatusBadRequest}
	ErrPackedPolicyTooLarge       = &APIError{Code: "PackedPolicyTooLarge", Message: "The request was rejected because the total packed size of the session policies exceeds the limit.", Status: http.StatusBadRequest}
	ErrRequestTimeout             = &APIError{Code: "RequestTimeout", Message: "The request body was not received in time.", Status: http.StatusBadRequest}
	ErrServiceUnavailable         = &APIError{Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server.", Status: http.StatusServiceUnavailable}
	ErrSignatureDoesNotMatch      = &APIError{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", Status: http.StatusForbidden}
	ErrValidation                 = &APIError{Code: "ValidationError", Message: "The input fails to satisfy the constraints specified by an AWS service.", Status: http.StatusBadRequest}
)

var (
	errBodyTooLarge = ErrValidation.WithMessage("The request body exceeds %d bytes.", MaxBodySize)
	// errNoSession and errNoPrincipal are server faults: auth accepted a
	// session token but reported no session, or a signature but no
	// principal.
	errNoSession   = errors.New("sts: authenticated a session token without a session")
	errNoPrincipal = errors.New("sts: authenticated a signature without a principal")
)

// domainErrors maps the iam sentinels to their wire errors; the sentinel's
// own explanation (the text after "<sentinel>: ") becomes the message.
var domainErrors = []struct {
	sentinel error
	apiErr   *APIError
}{
	{iam.ErrMalformedPolicy, ErrMalformedPolicyDocument},
	{oidc.ErrInvalidToken, ErrInvalidIdentityToken},
	{oidc.ErrExpiredToken, ErrExpiredTokenException},
	{oidc.ErrRejectedClaim, ErrIDPRejectedClaim},
	{oidc.ErrCommunication, ErrIDPCommunicationError},
	{oidc.ErrNoProvider, ErrInvalidIdentityToken},
	{iam.ErrExpiredToken, ErrExpiredTokenException},
	{iam.ErrPackedPolicyTooLarge, ErrPackedPolicyTooLarge},
	{iam.ErrAccessDenied, ErrAccessDenied},
	// The handlers validate first; this is a second line, not a 500.
	{iam.ErrInvalidInput, ErrValidation},
}

// toAPIError maps an error to its STS wire error. This is the one place
// where iam, store, auth and sigv4 errors become wire codes; anything
// unknown is an InternalFailure whose details stay in the log.
func toAPIError(err error) *APIError {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	for _, d := range domainErrors {
		if errors.Is(err, d.sentinel) {
			if msg := explanation(err, d.sentinel); msg != "" {
				return d.apiErr.WithMessage("%s", msg)
			}
			return d.apiErr
		}
	}
	switch {
	// Authentication.
	case errors.Is(err, auth.ErrInvalidAccessKeyID):
		return ErrInvalidClientTokenID
	case errors.Is(err, auth.ErrInvalidToken):
		return ErrInvalidClientTokenID
	case errors.Is(err, auth.ErrExpiredToken):
		return ErrExpiredToken
	case errors.Is(err, sigv4.ErrSignatureMismatch), errors.Is(err, sigv4.ErrChunkSignatureMismatch):
		return ErrSignatureDoesNotMatch
	case errors.Is(err, sigv4.ErrContentSHA256Mismatch):
		return ErrSignatureDoesNotMatch.WithMessage("The request body does not match the payload hash that was signed.")
	case errors.Is(err, sigv4.ErrTimeSkewed):
		return ErrSignatureDoesNotMatch.WithMessage("Signature expired: the request time is more than %d minutes away from the server's time.", int(sigv4.DefaultMaxSkew.Minutes()))
	case errors.Is(err, sigv4.ErrExpired):
		return ErrAccessDenied.WithMessage("Request has expired.")
	case errors.Is(err, sigv4.ErrMalformedAuth), errors.Is(err, sigv4.ErrMalformedPresign), errors.Is(err, sigv4.ErrInvalidExpires):
		return ErrIncompleteSignature.WithMessage("%s", err.Error())
	case errors.Is(err, sigv4.ErrUnsupportedAlgorithm):
		return ErrIncompleteSignature.WithMessage("Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is supported.")
	case errors.Is(err, sigv4.ErrMissingDate):
		return ErrIncompleteSignature.WithMessage("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	case errors.Is(err, sigv4.ErrInvalidPayloadHash):
		return ErrIncompleteSignature.WithMessage("The X-Amz-Content-Sha256 header is not valid.")
	case errors.Is(err, sigv4.ErrPayloadTooLarge), errors.Is(err, httpx.ErrBodyTooLarge):
		return errBodyTooLarge
	case errors.Is(err, httpx.ErrNotForm), errors.Is(err, httpx.ErrBadQuery):
		return ErrInvalidParameterValue.WithMessage("%s", strings.TrimPrefix(err.Error(), "httpx: "))
	case errors.Is(err, sigv4.ErrMalformedChunk), errors.Is(err, sigv4.ErrChecksumMismatch):
		return ErrInvalidParameterValue.WithMessage("The request body is malformed: %s", err.Error())
	// Storage and transport.
	case errors.Is(err, store.ErrUnavailable):
		return ErrServiceUnavailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ErrRequestTimeout
	}
	return ErrInternalFailure
}

// explanation turns the detail a domain error adds after its sentinel into
// a sentence for the caller: "iam: access denied: temporary credentials
// cannot be used to call AssumeRole" becomes "Temporary credentials cannot
// be used to call AssumeRole.". It is "" when err adds nothing.
func explanation(err, sentinel error) string {
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

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// validationError reports the parameters that failed validation, as AWS's
// ValidationError does: "2 validation errors detected: Value '100' at
// 'durationSeconds' failed to satisfy constraint: ...; ...".
func validationError(problems []string) *APIError {
	noun := "error"
	if len(problems) > 1 {
		noun = "errors"
	}
	return ErrValidation.WithMessage("%d validation %s detected: %s", len(problems), noun, strings.Join(problems, "; "))
}
