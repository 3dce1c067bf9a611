package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// APIError is an S3 error as it goes on the wire.
type APIError struct {
	Code    string
	Message string
	Status  int
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// withMessage returns a copy of e with a more specific message.
func (e *APIError) withMessage(format string, args ...any) *APIError {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// The S3 errors Sesame answers with, named by their wire code.
var (
	ErrAccessDenied                 = &APIError{"AccessDenied", "Access Denied.", http.StatusForbidden}
	ErrAuthorizationHeaderMalformed = &APIError{"AuthorizationHeaderMalformed", "The authorization header is malformed.", http.StatusBadRequest}
	ErrAuthorizationQueryParameters = &APIError{"AuthorizationQueryParametersError", "The presigned URL's query parameters are malformed.", http.StatusBadRequest}
	ErrBadDigest                    = &APIError{"BadDigest", "The Content-MD5 you specified did not match what we received.", http.StatusBadRequest}
	ErrBucketAlreadyOwnedByYou      = &APIError{"BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", http.StatusConflict}
	ErrBucketNotEmpty               = &APIError{"BucketNotEmpty", "The bucket you tried to delete is not empty.", http.StatusConflict}
	ErrEntityTooLarge               = &APIError{"EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.", http.StatusBadRequest}
	ErrEntityTooSmall               = &APIError{"EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", http.StatusBadRequest}
	ErrExpiredPresign               = &APIError{"AccessDenied", "Request has expired.", http.StatusForbidden}
	ErrIncompleteBody               = &APIError{"IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.", http.StatusBadRequest}
	ErrInternal                     = &APIError{"InternalError", "We encountered an internal error. Please try again.", http.StatusInternalServerError}
	ErrInvalidAccessKeyID           = &APIError{"InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.", http.StatusForbidden}
	ErrInvalidArgument              = &APIError{"InvalidArgument", "Invalid argument.", http.StatusBadRequest}
	ErrInvalidBucketName            = &APIError{"InvalidBucketName", "The specified bucket is not valid.", http.StatusBadRequest}
	ErrInvalidDigest                = &APIError{"InvalidDigest", "The Content-MD5 you specified is not valid.", http.StatusBadRequest}
	ErrInvalidPart                  = &APIError{"InvalidPart", "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.", http.StatusBadRequest}
	ErrInvalidPartOrder             = &APIError{"InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.", http.StatusBadRequest}
	ErrInvalidRange                 = &APIError{"InvalidRange", "The requested range is not satisfiable.", http.StatusRequestedRangeNotSatisfiable}
	ErrInvalidRequest               = &APIError{"InvalidRequest", "Invalid request.", http.StatusBadRequest}
	ErrKeyTooLong                   = &APIError{"KeyTooLongError", "Your key is too long.", http.StatusBadRequest}
	ErrMalformedXML                 = &APIError{"MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.", http.StatusBadRequest}
	ErrMalformedPolicy              = &APIError{"MalformedPolicy", "Policies must be valid JSON.", http.StatusBadRequest}
	ErrMetadataTooLarge             = &APIError{"MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", http.StatusBadRequest}
	ErrMethodNotAllowed             = &APIError{"MethodNotAllowed", "The specified method is not allowed against this resource.", http.StatusMethodNotAllowed}
	ErrMissingContentLength         = &APIError{"MissingContentLength", "You must provide the Content-Length HTTP header.", http.StatusLengthRequired}
	ErrMissingSecurityHeader        = &APIError{"MissingSecurityHeader", "Your request was missing a required header.", http.StatusBadRequest}
	ErrNoSuchBucket                 = &APIError{"NoSuchBucket", "The specified bucket does not exist.", http.StatusNotFound}
	ErrNoSuchBucketPolicy           = &APIError{"NoSuchBucketPolicy", "The bucket policy does not exist.", http.StatusNotFound}
	ErrNoSuchKey                    = &APIError{"NoSuchKey", "The specified key does not exist.", http.StatusNotFound}
	ErrNoSuchUpload                 = &APIError{"NoSuchUpload", "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.", http.StatusNotFound}
	ErrNotImplemented               = &APIError{"NotImplemented", "A header or query you provided implies functionality that is not implemented.", http.StatusNotImplemented}
	ErrPreconditionFailed           = &APIError{"PreconditionFailed", "At least one of the preconditions you specified did not hold.", http.StatusPreconditionFailed}
	ErrRequestTimeTooSkewed         = &APIError{"RequestTimeTooSkewed", "The difference between the request time and the server's time is too large.", http.StatusForbidden}
	ErrSignatureDoesNotMatch        = &APIError{"SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", http.StatusForbidden}
	ErrXAmzContentSHA256Mismatch    = &APIError{"XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", http.StatusBadRequest}
	ErrInvalidChunk                 = &APIError{"IncompleteBody", "The aws-chunked payload is malformed or incomplete.", http.StatusBadRequest}
	ErrInvalidChecksum              = &APIError{"BadDigest", "The checksum you specified did not match the calculated checksum.", http.StatusBadRequest}
	ErrMaxMessageLength             = &APIError{"MaxMessageLengthExceeded", "Your request was too big: send x-amz-content-sha256 with a body over 1 MiB.", http.StatusBadRequest}
	ErrServiceUnavailable           = &APIError{"ServiceUnavailable", "Please reduce your request rate.", http.StatusServiceUnavailable}
	ErrRequestTimeout               = &APIError{"RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period.", http.StatusBadRequest}
)

// toAPIError maps a domain error to its S3 error. This is the one place where
// object, sigv4 and auth errors become wire codes; anything unknown is an
// InternalError whose details stay in the log.
func toAPIError(err error) *APIError {
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	// Authentication.
	case errors.Is(err, auth.ErrInvalidAccessKeyID):
		return ErrInvalidAccessKeyID
	case errors.Is(err, sigv4.ErrSignatureMismatch), errors.Is(err, sigv4.ErrChunkSignatureMismatch):
		return ErrSignatureDoesNotMatch
	case errors.Is(err, sigv4.ErrTimeSkewed):
		return ErrRequestTimeTooSkewed
	case errors.Is(err, sigv4.ErrExpired):
		return ErrExpiredPresign
	case errors.Is(err, sigv4.ErrMalformedPresign), errors.Is(err, sigv4.ErrInvalidExpires):
		return ErrAuthorizationQueryParameters.withMessage("%s", detail(err))
	case errors.Is(err, sigv4.ErrMalformedAuth):
		return ErrAuthorizationHeaderMalformed.withMessage("%s", detail(err))
	case errors.Is(err, sigv4.ErrUnsupportedAlgorithm):
		return ErrInvalidArgument.withMessage("Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is supported.")
	case errors.Is(err, sigv4.ErrMissingDate):
		return ErrMissingSecurityHeader.withMessage("Your request is missing the X-Amz-Date or Date header.")
	case errors.Is(err, sigv4.ErrContentSHA256Mismatch):
		return ErrXAmzContentSHA256Mismatch
	case errors.Is(err, sigv4.ErrInvalidPayloadHash):
		return ErrInvalidArgument.withMessage("The x-amz-content-sha256 header is not valid.")
	case errors.Is(err, sigv4.ErrMalformedChunk):
		return ErrInvalidChunk
	case errors.Is(err, sigv4.ErrChecksumMismatch):
		return ErrInvalidChecksum
	case errors.Is(err, sigv4.ErrPayloadTooLarge):
		return ErrMaxMessageLength
	// Storage.
	case errors.Is(err, object.ErrBucketNotFound):
		return ErrNoSuchBucket
	case errors.Is(err, object.ErrBucketExists):
		return ErrBucketAlreadyOwnedByYou
	case errors.Is(err, object.ErrBucketNotEmpty):
		return ErrBucketNotEmpty
	case errors.Is(err, object.ErrInvalidBucketName):
		return ErrInvalidBucketName
	case errors.Is(err, object.ErrObjectNotFound):
		return ErrNoSuchKey
	case errors.Is(err, object.ErrInvalidKey):
		return ErrInvalidArgument.withMessage("Object key cannot be stored safely on this server: it must not contain '.' or '..' segments, empty segments, a leading '/', NUL bytes, or a segment longer than 255 bytes; a key ending in '/' must have an empty body.")
	case errors.Is(err, object.ErrKeyTooLong):
		return ErrKeyTooLong
	case errors.Is(err, object.ErrKeyConflict):
		return ErrInvalidArgument.withMessage("Object key conflicts with an existing object or prefix: on this server a key cannot be both an object and the prefix of another object (for example 'a' and 'a/b').")
	case errors.Is(err, object.ErrBadDigest):
		return ErrBadDigest
	case errors.Is(err, object.ErrIncompleteBody):
		return ErrIncompleteBody
	case errors.Is(err, object.ErrTooLarge):
		return ErrEntityTooLarge
	case errors.Is(err, object.ErrInvalidRange):
		return ErrInvalidRange
	case errors.Is(err, object.ErrUploadNotFound):
		return ErrNoSuchUpload
	case errors.Is(err, object.ErrInvalidPart):
		return ErrInvalidPart
	case errors.Is(err, object.ErrInvalidPartOrder):
		return ErrInvalidPartOrder
	case errors.Is(err, object.ErrEntityTooSmall):
		return ErrEntityTooSmall
	case errors.Is(err, object.ErrInvalidPartNumber):
		return ErrInvalidArgument.withMessage("Part number must be an integer between 1 and 10000, inclusive.")
	case errors.Is(err, object.ErrNoSuchBucketPolicy):
		return ErrNoSuchBucketPolicy
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ErrRequestTimeout
	case isTimeout(err):
		return ErrRequestTimeout
	}
	return ErrInternal
}

// detail returns the innermost explanation of a sigv4 error without package prefixes.
func detail(err error) string {
	return err.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// errorResponse is S3's <Error> document.
type errorResponse struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	BucketName string   `xml:"BucketName,omitempty"`
	Key        string   `xml:"Key,omitempty"`
	Resource   string   `xml:"Resource"`
	RequestID  string   `xml:"RequestId"`
	HostID     string   `xml:"HostId"`
}
