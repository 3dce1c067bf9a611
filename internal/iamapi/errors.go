package iamapi

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

// APIError is an IAM error as it goes on the wire.
type APIError = httpx.APIError

// The IAM errors Sesame answers with, named by their wire code.
var (
	ErrAccessDenied            = &APIError{Code: "AccessDenied", Message: "Access denied.", Status: http.StatusForbidden}
	ErrConcurrentModification  = &APIError{Code: "ConcurrentModification", Message: "The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.", Status: http.StatusConflict}
	ErrDeleteConflict          = &APIError{Code: "DeleteConflict", Message: "The entity cannot be deleted because it still has subordinate entities.", Status: http.StatusConflict}
	ErrEntityAlreadyExists     = &APIError{Code: "EntityAlreadyExists", Message: "The entity already exists.", Status: http.StatusConflict}
	ErrIncompleteSignature     = &APIError{Code: "IncompleteSignature", Message: "The request signature does not conform to AWS standards.", Status: http.StatusBadRequest}
	ErrInvalidAction           = &APIError{Code: "InvalidAction", Message: "The action or operation requested is invalid.", Status: http.StatusBadRequest}
	ErrInvalidClientTokenID    = &APIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: http.StatusForbidden}
	ErrExpiredToken            = &APIError{Code: "ExpiredToken", Message: "The security token included in the request is expired.", Status: http.StatusForbidden}
	ErrInvalidInput            = &APIError{Code: "InvalidInput", Message: "The request was rejected because an invalid or out-of-range value was supplied for an input parameter.", Status: http.StatusBadRequest}
	ErrLimitExceeded           = &APIError{Code: "LimitExceeded", Message: "The request was rejected because it attempted to create resources beyond the current account limits.", Status: http.StatusConflict}
	ErrMalformedPolicyDocument = &APIError{Code: "MalformedPolicyDocument", Message: "The policy document is malformed.", Status: http.StatusBadRequest}
	ErrMissingAction           = &APIError{Code: "MissingAction", Message: "Missing Action.", Status: http.StatusBadRequest}
	ErrMissingParameter        = &APIError{Code: "MissingParameter", Message: "A required parameter for the specified action is not supplied.", Status: http.StatusBadRequest}
	ErrNoSuchEntity            = &APIError{Code: "NoSuchEntity", Message: "The request was rejected because it referenced a resource entity that does not exist.", Status: http.StatusNotFound}
	ErrRequestTimeout          = &APIError{Code: "RequestTimeout", Message: "The request body was not received in time.", Status: http.StatusBadRequest}
	ErrServiceFailure          = &APIError{Code: "ServiceFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Status: http.StatusInternalServerError}
	ErrServiceUnavailable      = &APIError{Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server.", Status: http.StatusServiceUnavailable}
	ErrSignatureDoesNotMatch   = &APIError{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", Status: http.StatusForbidden}
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
			if msg := explanation(err, d.sentinel); msg != "" {
				return d.apiErr.WithMessage("%s", msg)
			}
			return d.apiErr
		}
	}
	switch {
	case errors.Is(err, httpx.ErrBodyTooLarge):
		return ErrInvalidInput.WithMessage("The request body exceeds %d bytes.", MaxBodySize)
	case errors.Is(err, httpx.ErrNotForm), errors.Is(err, httpx.ErrBadQuery):
		return ErrInvalidInput.WithMessage("%s", strings.TrimPrefix(err.Error(), "httpx: "))
	// Authentication.
	case errors.Is(err, auth.ErrInvalidAccessKeyID), errors.Is(err, auth.ErrInvalidToken):
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
	case errors.Is(err, sigv4.ErrPayloadTooLarge):
		return ErrInvalidInput.WithMessage("The request body exceeds %d bytes.", MaxBodySize)
	case errors.Is(err, sigv4.ErrMalformedChunk), errors.Is(err, sigv4.ErrChecksumMismatch):
		return ErrInvalidInput.WithMessage("The request body is malformed: %s", err.Error())
	// Storage.
	case errors.Is(err, store.ErrConflict):
		return ErrConcurrentModification
	case errors.Is(err, store.ErrUnavailable):
		return ErrServiceUnavailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ErrRequestTimeout
	}
	return ErrServiceFailure
}

// explanation returns what err says after the sentinel's own text, as a
// sentence: "iam: no such entity: the user with name bob cannot be found"
// becomes "The user with name bob cannot be found.".
func explanation(err, sentinel error) string {
	msg := err.Error()
	prefix := sentinel.Error() + ": "
	i := strings.Index(msg, prefix)
	if i < 0 {
		return ""
	}
	msg = msg[i+len(prefix):]
	// The policy parser's own sentinel text repeats what the code says.
	msg = strings.TrimPrefix(msg, "malformed policy document: ")
	if msg == "" {
		return ""
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
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
