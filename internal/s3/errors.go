package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// APIError is an S3 error as it goes on the wire.
type APIError = httpx.APIError

// The S3 errors Sesame answers with, named by their wire code.
var (
	ErrAccessDenied                 = &APIError{Code: "AccessDenied", Message: "Access Denied.", Status: http.StatusForbidden}
	ErrAuthorizationHeaderMalformed = &APIError{Code: "AuthorizationHeaderMalformed", Message: "The authorization header is malformed.", Status: http.StatusBadRequest}
	ErrAuthorizationQueryParameters = &APIError{Code: "AuthorizationQueryParametersError", Message: "The presigned URL's query parameters are malformed.", Status: http.StatusBadRequest}
	ErrBadDigest                    = &APIError{Code: "BadDigest", Message: "The Content-MD5 you specified did not match what we received.", Status: http.StatusBadRequest}
	ErrBucketAlreadyOwnedByYou      = &APIError{Code: "BucketAlreadyOwnedByYou", Message: "Your previous request to create the named bucket succeeded and you already own it.", Status: http.StatusConflict}
	ErrBucketNotEmpty               = &APIError{Code: "BucketNotEmpty", Message: "The bucket you tried to delete is not empty.", Status: http.StatusConflict}
	ErrEntityTooLarge               = &APIError{Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed object size.", Status: http.StatusBadRequest}
	ErrEntityTooSmall               = &APIError{Code: "EntityTooSmall", Message: "Your proposed upload is smaller than the minimum allowed object size.", Status: http.StatusBadRequest}
	ErrExpiredPresign               = &APIError{Code: "AccessDenied", Message: "Request has expired.", Status: http.StatusForbidden}
	ErrIncompleteBody               = &APIError{Code: "IncompleteBody", Message: "You did not provide the number of bytes specified by the Content-Length HTTP header.", Status: http.StatusBadRequest}
	ErrInternal                     = &APIError{Code: "InternalError", Message: "We encountered an internal error. Please try again.", Status: http.StatusInternalServerError}
	ErrInvalidAccessKeyID           = &APIError{Code: "InvalidAccessKeyId", Message: "The AWS Access Key Id you provided does not exist in our records.", Status: http.StatusForbidden}
	ErrInvalidToken                 = &APIError{Code: "InvalidToken", Message: "The provided token is malformed or otherwise invalid.", Status: http.StatusForbidden}
	ErrExpiredToken                 = &APIError{Code: "ExpiredToken", Message: "The provided token has expired.", Status: http.StatusBadRequest}
	ErrInvalidArgument              = &APIError{Code: "InvalidArgument", Message: "Invalid argument.", Status: http.StatusBadRequest}
	ErrInvalidBucketName            = &APIError{Code: "InvalidBucketName", Message: "The specified bucket is not valid.", Status: http.StatusBadRequest}
	ErrInvalidDigest                = &APIError{Code: "InvalidDigest", Message: "The Content-MD5 you specified is not valid.", Status: http.StatusBadRequest}
	ErrInvalidPart                  = &APIError{Code: "InvalidPart", Message: "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.", Status: http.StatusBadRequest}
	ErrInvalidPartOrder             = &APIError{Code: "InvalidPartOrder", Message: "The list of parts was not in ascending order. The parts list must be specified in order by part number.", Status: http.StatusBadRequest}
	ErrInvalidRange                 = &APIError{Code: "InvalidRange", Message: "The requested range is not satisfiable.", Status: http.StatusRequestedRangeNotSatisfiable}
	ErrInvalidRequest               = &APIError{Code: "InvalidRequest", Message: "Invalid request.", Status: http.StatusBadRequest}
	ErrKeyTooLong                   = &APIError{Code: "KeyTooLongError", Message: "Your key is too long.", Status: http.StatusBadRequest}
	ErrMalformedXML                 = &APIError{Code: "MalformedXML", Message: "The XML you provided was not well-formed or did not validate against our published schema.", Status: http.StatusBadRequest}
	ErrMalformedPolicy              = &APIError{Code: "MalformedPolicy", Message: "Policies must be valid JSON.", Status: http.StatusBadRequest}
	ErrMetadataTooLarge             = &APIError{Code: "MetadataTooLarge", Message: "Your metadata headers exceed the maximum allowed metadata size.", Status: http.StatusBadRequest}
	ErrMethodNotAllowed             = &APIError{Code: "MethodNotAllowed", Message: "The specified method is not allowed against this resource.", Status: http.StatusMethodNotAllowed}
	ErrMissingContentLength         = &APIError{Code: "MissingContentLength", Message: "You must provide the Content-Length HTTP header.", Status: http.StatusLengthRequired}
	ErrMissingSecurityHeader        = &APIError{Code: "MissingSecurityHeader", Message: "Your request was missing a required header.", Status: http.StatusBadRequest}
	ErrNoSuchBucket                 = &APIError{Code: "NoSuchBucket", Message: "The specified bucket does not exist.", Status: http.StatusNotFound}
	ErrNoSuchBucketPolicy           = &APIError{Code: "NoSuchBucketPolicy", Message: "The bucket policy does not exist.", Status: http.StatusNotFound}
	ErrNoSuchKey                    = &APIError{Code: "NoSuchKey", Message: "The specified key does not exist.", Status: http.StatusNotFound}
	ErrNoSuchUpload                 = &APIError{Code: "NoSuchUpload", Message: "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.", Status: http.StatusNotFound}
	ErrNotImplemented               = &APIError{Code: "NotImplemented", Message: "A header or query you provided implies functionality that is not implemented.", Status: http.StatusNotImplemented}
	ErrPreconditionFailed           = &APIError{Code: "PreconditionFailed", Message: "At least one of the preconditions you specified did not hold.", Status: http.StatusPreconditionFailed}
	ErrRequestTimeTooSkewed         = &APIError{Code: "RequestTimeTooSkewed", Message: "The difference between the request time and the server's time is too large.", Status: http.StatusForbidden}
	ErrSignatureDoesNotMatch        = &APIError{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.", Status: http.StatusForbidden}
	ErrXAmzContentSHA256Mismatch    = &APIError{Code: "XAmzContentSHA256Mismatch", Message: "The provided 'x-amz-content-sha256' header does not match what was computed.", Status: http.StatusBadRequest}
	ErrInvalidChunk                 = &APIError{Code: "IncompleteBody", Message: "The aws-chunked payload is malformed or incomplete.", Status: http.StatusBadRequest}
	ErrInvalidChecksum              = &APIError{Code: "BadDigest", Message: "The checksum you specified did not match the calculated checksum.", Status: http.StatusBadRequest}
	ErrMaxMessageLength             = &APIError{Code: "MaxMessageLengthExceeded", Message: "Your request was too big: send x-amz-content-sha256 with a body over 1 MiB.", Status: http.StatusBadRequest}
	ErrServiceUnavailable           = &APIError{Code: "ServiceUnavailable", Message: "Please reduce your request rate.", Status: http.StatusServiceUnavailable}
	ErrSlowDown                     = &APIError{Code: "SlowDown", Message: "Please reduce your request rate.", Status: http.StatusServiceUnavailable}
	ErrRequestTimeout               = &APIError{Code: "RequestTimeout", Message: "Your socket connection to the server was not read from or written to within the timeout period.", Status: http.StatusBadRequest}
)

// The S3 errors that refuse request headers asking for ACLs or storage
// classes (headers.go).
var (
	ErrAccessControlListNotSupported       = &APIError{Code: "AccessControlListNotSupported", Message: "The bucket does not allow ACLs.", Status: http.StatusBadRequest}
	ErrInvalidBucketACLWithObjectOwnership = &APIError{Code: "InvalidBucketAclWithObjectOwnership", Message: "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting.", Status: http.StatusBadRequest}
	ErrInvalidStorageClass                 = &APIError{Code: "InvalidStorageClass", Message: "The storage class you specified is not valid.", Status: http.StatusBadRequest}
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
	case errors.Is(err, auth.ErrInvalidToken):
		return ErrInvalidToken
	case errors.Is(err, auth.ErrExpiredToken):
		return ErrExpiredToken
	case errors.Is(err, sigv4.ErrSignatureMismatch), errors.Is(err, sigv4.ErrChunkSignatureMismatch):
		return ErrSignatureDoesNotMatch
	case errors.Is(err, sigv4.ErrTimeSkewed):
		return ErrRequestTimeTooSkewed
	case errors.Is(err, sigv4.ErrExpired):
		return ErrExpiredPresign
	case errors.Is(err, sigv4.ErrUnsignedHeaders):
		return ErrAccessDenied.WithMessage("%s", unsignedHeadersMessage(err))
	case errors.Is(err, sigv4.ErrMalformedPresign), errors.Is(err, sigv4.ErrInvalidExpires):
		return ErrAuthorizationQueryParameters.WithMessage("%s", detail(err))
	case errors.Is(err, sigv4.ErrMalformedAuth):
		return ErrAuthorizationHeaderMalformed.WithMessage("%s", detail(err))
	case errors.Is(err, sigv4.ErrUnsupportedAlgorithm):
		return ErrInvalidArgument.WithMessage("Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is supported.")
	case errors.Is(err, sigv4.ErrMissingDate):
		return ErrMissingSecurityHeader.WithMessage("Your request is missing the X-Amz-Date or Date header.")
	case errors.Is(err, sigv4.ErrContentSHA256Mismatch):
		return ErrXAmzContentSHA256Mismatch
	case errors.Is(err, sigv4.ErrInvalidPayloadHash):
		return ErrInvalidArgument.WithMessage("The x-amz-content-sha256 header is not valid.")
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
		return ErrInvalidArgument.WithMessage("Object key cannot be stored safely on this server: it must not contain '.' or '..' segments, empty segments, a leading '/', NUL bytes, or a segment longer than 255 bytes; a key ending in '/' must have an empty body.")
	case errors.Is(err, object.ErrKeyTooLong):
		return ErrKeyTooLong
	case errors.Is(err, object.ErrKeyConflict):
		return ErrInvalidArgument.WithMessage("Object key conflicts with an existing object or prefix: on this server a key cannot be both an object and the prefix of another object (for example 'a' and 'a/b').")
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
		return ErrInvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive.")
	case errors.Is(err, object.ErrNoSuchBucketPolicy):
		return ErrNoSuchBucketPolicy
	case errors.Is(err, object.ErrPreconditionFailed):
		return ErrPreconditionFailed
	case errors.Is(err, object.ErrVersionNotFound):
		return ErrNoSuchVersion
	case errors.Is(err, object.ErrInvalidVersionID):
		return ErrInvalidArgument.WithMessage("Invalid version id specified")
	case errors.Is(err, object.ErrSlowDown):
		return ErrSlowDown
	case errors.Is(err, object.ErrUnavailable):
		return ErrServiceUnavailable.WithMessage("The storage behind this server is unavailable; please retry.")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ErrRequestTimeout
	case isTimeout(err):
		return ErrRequestTimeout
	}
	return ErrInternal
}

// unsignedHeadersMessage is S3's message for requests with unsigned x-amz-*
// headers, followed by their names (S3 lists them in a HeadersNotSigned
// element).
func unsignedHeadersMessage(err error) string {
	const msg = "There were headers present in the request which were not signed"
	var ue *sigv4.UnsignedHeadersError
	if errors.As(err, &ue) && len(ue.Headers) > 0 {
		return msg + ": " + strings.Join(ue.Headers, ", ")
	}
	return msg
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
// appendTo writes the document into d, all but its closing </Error>
// (writeError may add elements). The elements are encoding/xml's would be,
// in the same order.
func (e *errorResponse) appendTo(d *httpx.XMLDoc) {
	d.Open("Error")
	d.Elem("Code", e.Code)
	d.Elem("Message", e.Message)
	d.ElemIf("BucketName", e.BucketName)
	d.ElemIf("Key", e.Key)
	d.Elem("Resource", e.Resource)
	d.Elem("RequestId", e.RequestID)
	d.Elem("HostId", e.HostID)
}

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
