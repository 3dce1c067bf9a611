package iamapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// APIError is an IAM error as it goes on the wire.
type APIError = httpx.APIError

// The IAM errors Sesame answers with, named by their wire code.
var (
	ErrAccessDenied            = awsquery.ErrAccessDenied
	ErrConcurrentModification  = &APIError{Code: "ConcurrentModification", Message: "The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.", Status: http.StatusConflict}
	ErrDeleteConflict          = &APIError{Code: "DeleteConflict", Message: "The entity cannot be deleted because it still has subordinate entities.", Status: http.StatusConflict}
	ErrEntityAlreadyExists     = &APIError{Code: "EntityAlreadyExists", Message: "The entity already exists.", Status: http.StatusConflict}
	ErrIncompleteSignature     = awsquery.ErrIncompleteSignature
	ErrInvalidAction           = &APIError{Code: "InvalidAction", Message: "The action or operation requested is invalid.", Status: http.StatusBadRequest}
	ErrInvalidClientTokenID    = awsquery.ErrInvalidClientTokenID
	ErrExpiredToken            = &APIError{Code: "ExpiredToken", Message: "The security token included in the request is expired.", Status: http.StatusForbidden}
	ErrInvalidInput            = &APIError{Code: "InvalidInput", Message: "The request was rejected because an invalid or out-of-range value was supplied for an input parameter.", Status: http.StatusBadRequest}
	ErrLimitExceeded           = &APIError{Code: "LimitExceeded", Message: "The request was rejected because it attempted to create resources beyond the current account limits.", Status: http.StatusConflict}
	ErrMalformedPolicyDocument = &APIError{Code: "MalformedPolicyDocument", Message: "The policy document is malformed.", Status: http.StatusBadRequest}
	ErrMissingAction           = &APIError{Code: "MissingAction", Message: "Missing Action.", Status: http.StatusBadRequest}
	ErrMissingParameter        = &APIError{Code: "MissingParameter", Message: "A required parameter for the specified action is not supplied.", Status: http.StatusBadRequest}
	ErrNoSuchEntity            = &APIError{Code: "NoSuchEntity", Message: "The request was rejected because it referenced a resource entity that does not exist.", Status: http.StatusNotFound}
	ErrRequestTimeout          = awsquery.ErrRequestTimeout
	ErrServiceFailure          = &APIError{Code: "ServiceFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError}
	ErrServiceUnavailable      = awsquery.ErrServiceUnavailable
	ErrSignatureDoesNotMatch   = awsquery.ErrSignatureDoesNotMatch
	ErrValidation              = &APIError{Code: "ValidationError", Message: "The input fails to satisfy the constraints specified by an AWS service.", Status: http.StatusBadRequest}
)

// errRootUser answers any action that names the root user.
var errRootUser = ErrInvalidInput.WithMessage("The root user is configured on the server, not an IAM user, and cannot be managed through the IAM API.")

// domainErrors maps the iam sentinels to their wire errors; the sentinel's
// own explanation (the text after "<sentinel>: ") becomes the message.
var domainErrors = []struct {
	sentinel error
	apiErr   *APIError
}{
	{iam.ErrNoSuchEntity, ErrNoSuchEntity},
	{iam.ErrEntityAlreadyExists, ErrEntityAlreadyExists},
	{iam.ErrDeleteConflict, ErrDeleteConflict},
	{iam.ErrMalformedPolicy, ErrMalformedPolicyDocument},
	{iam.ErrLimitExceeded, ErrLimitExceeded},
	{iam.ErrInvalidInput, ErrInvalidInput},
	{iam.ErrRootUser, errRootUser},
}

// toAPIError maps an error to its IAM wire error. This is the one place
// where iam, store, auth and sigv4 errors become wire codes; anything
// unknown is a ServiceFailure whose details stay in the log.
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
	case errors.Is(err, httpx.ErrBodyTooLarge), errors.Is(err, sigv4.ErrPayloadTooLarge):
		return ErrInvalidInput.WithMessage("The request body exceeds %d bytes.", MaxBodySize)
	case errors.Is(err, httpx.ErrNotForm), errors.Is(err, httpx.ErrBadQuery):
		return ErrInvalidInput.WithMessage("%s", strings.TrimPrefix(err.Error(), "httpx: "))
	case errors.Is(err, sigv4.ErrMalformedChunk), errors.Is(err, sigv4.ErrChecksumMismatch):
		return ErrInvalidInput.WithMessage("The request body is malformed: %s", err.Error())
	case errors.Is(err, auth.ErrExpiredToken):
		return ErrExpiredToken
	case errors.Is(err, store.ErrConflict):
		return ErrConcurrentModification
	}
	if e := awsquery.Common(err); e != nil {
		return e
	}
	return ErrServiceFailure
}

// validationError reports the parameters that failed validation, as AWS's
// ValidationError does: "2 validation errors detected: Value null at
// 'userName' failed to satisfy constraint: Member must not be null; ...".
func validationError(problems []string) *APIError {
	noun := "error"
	if len(problems) > 1 {
		noun = "errors"
	}
	return ErrValidation.WithMessage("%d validation %s detected: %s", len(problems), noun, strings.Join(problems, "; "))
}
