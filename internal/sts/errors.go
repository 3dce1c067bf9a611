package sts

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// APIError is an STS error as it goes on the wire.
type APIError = httpx.APIError

// The STS errors Sesame answers with, named by their wire code.
var (
	ErrAccessDenied               = awsquery.ErrAccessDenied
	ErrExpiredToken               = &APIError{Code: "ExpiredToken", Message: "The security token included in the request is expired", Status: http.StatusBadRequest}
	ErrIncompleteSignature        = awsquery.ErrIncompleteSignature
	ErrInternalFailure            = &APIError{Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError}
	ErrInvalidAction              = &APIError{Code: "InvalidAction", Message: "The action or operation requested is invalid.", Status: http.StatusBadRequest}
	ErrInvalidClientTokenID       = awsquery.ErrInvalidClientTokenID
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
	ErrRequestTimeout             = awsquery.ErrRequestTimeout
	ErrServiceUnavailable         = awsquery.ErrServiceUnavailable
	ErrSignatureDoesNotMatch      = awsquery.ErrSignatureDoesNotMatch
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
			if msg := awsquery.Explanation(err, d.sentinel); msg != "" {
				return d.apiErr.WithMessage("%s", msg)
			}
			return d.apiErr
		}
	}
	switch {
	case errors.Is(err, sigv4.ErrPayloadTooLarge), errors.Is(err, httpx.ErrBodyTooLarge):
		return errBodyTooLarge
	case errors.Is(err, httpx.ErrNotForm), errors.Is(err, httpx.ErrBadQuery):
		return ErrInvalidParameterValue.WithMessage("%s", strings.TrimPrefix(err.Error(), "httpx: "))
	case errors.Is(err, sigv4.ErrMalformedChunk), errors.Is(err, sigv4.ErrChecksumMismatch):
		return ErrInvalidParameterValue.WithMessage("The request body is malformed: %s", err.Error())
	case errors.Is(err, auth.ErrExpiredToken):
		return ErrExpiredToken
	}
	if e := awsquery.Common(err); e != nil {
		return e
	}
	return ErrInternalFailure
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
