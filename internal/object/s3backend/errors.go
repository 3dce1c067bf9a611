package s3backend

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/sesame-s3/sesame/internal/object"
)

// upstreamCodes maps the upstream's S3 error codes to the contract's
// sentinels. Codes not here stay errors of their own, which the S3 layer
// answers as InternalError (the detail goes to the log).
var upstreamCodes = map[string]error{
	"NoSuchKey":               object.ErrObjectNotFound,
	"NoSuchBucket":            object.ErrBucketNotFound,
	"BucketAlreadyOwnedByYou": object.ErrBucketExists,
	"BucketAlreadyExists":     object.ErrBucketExists,
	"BucketNotEmpty":          object.ErrBucketNotEmpty,
	"InvalidBucketName":       object.ErrInvalidBucketName,
	"KeyTooLongError":         object.ErrKeyTooLong,
	"BadDigest":               object.ErrBadDigest,
	"InvalidDigest":           object.ErrBadDigest,
	"IncompleteBody":          object.ErrIncompleteBody,
	"EntityTooLarge":          object.ErrTooLarge,
	"InvalidRange":            object.ErrInvalidRange,
	"NoSuchUpload":            object.ErrUploadNotFound,
	"InvalidPart":             object.ErrInvalidPart,
	"InvalidPartOrder":        object.ErrInvalidPartOrder,
	"EntityTooSmall":          object.ErrEntityTooSmall,
	"XMinioInvalidObjectName": object.ErrInvalidKey,
	"SlowDown":                object.ErrSlowDown,
	"ServiceUnavailable":      object.ErrSlowDown,
	"RequestLimitExceeded":    object.ErrSlowDown,
	"TooManyRequests":         object.ErrSlowDown,
	"Throttling":              object.ErrSlowDown,
	"ThrottlingException":     object.ErrSlowDown,
}

// upstreamError is an error the upstream answered that the contract has no
// sentinel for.
type upstreamError struct {
	Op      string
	Status  int
	Code    string
	Message string
}

func (e *upstreamError) Error() string {
	return fmt.Sprintf("s3 backend: %s: upstream answered %d %s: %s", e.Op, e.Status, e.Code, e.Message)
}

// mapError turns an error of the upstream client into the contract's:
// a sentinel where one fits (wrapped with the operation's name), the
// context's own error when the caller gave up, object.ErrUnavailable when
// no answer came, and otherwise an *upstreamError.
func (b *Backend) mapError(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("s3 backend: %s: %w", op, ctxErr)
	}
	var sentinel interface{ Sentinel() error }
	if errors.As(err, &sentinel) {
		// Our own body readers' errors (size, digest) come back wrapped
		// by the client.
		return fmt.Errorf("s3 backend: %s: %w", op, sentinel.Sentinel())
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() == 0 {
		// No answer at all: refused, reset, timed out. An upstream that
		// cannot be connected to counts as down for a moment, so callers
		// fail fast.
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			b.markDown()
		}
		return fmt.Errorf("s3 backend: %s: %w: %v", op, object.ErrUnavailable, err)
	}
	status := re.HTTPStatusCode()
	code, message := "", ""
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code, message = apiErr.ErrorCode(), apiErr.ErrorMessage()
	}
	if s, ok := upstreamCodes[code]; ok {
		return fmt.Errorf("s3 backend: %s: %w", op, s)
	}
	switch {
	case code == "InvalidArgument" && strings.Contains(message, "conflicts with an existing object or prefix"):
		// A Sesame upstream on a posix directory.
		return fmt.Errorf("s3 backend: %s: %w", op, object.ErrKeyConflict)
	case status == http.StatusServiceUnavailable, status == http.StatusTooManyRequests:
		return fmt.Errorf("s3 backend: %s: %w (%d %s)", op, object.ErrSlowDown, status, code)
	case status == http.StatusBadGateway, status == http.StatusGatewayTimeout:
		return fmt.Errorf("s3 backend: %s: %w (%d %s)", op, object.ErrUnavailable, status, code)
	}
	return &upstreamError{Op: op, Status: status, Code: code, Message: message}
}

// isNotFound reports an upstream 404 without a code, as HEAD answers.
func isNotFound(err error) bool {
	var ue *upstreamError
	return errors.As(err, &ue) && ue.Status == http.StatusNotFound
}

// markDown makes requests fail at once for UnavailableFor.
func (b *Backend) markDown() {
	b.downUntil.Store(b.opts.Now().Add(b.opts.UnavailableFor).UnixNano())
}

// checkUp returns object.ErrUnavailable while the upstream counts as down.
func (b *Backend) checkUp(op string) error {
	if b.opts.Now().UnixNano() < b.downUntil.Load() {
		return fmt.Errorf("s3 backend: %s: %w (not retried before %v)", op, object.ErrUnavailable, b.opts.UnavailableFor)
	}
	return nil
}

// call runs one upstream operation: at once ErrUnavailable while the
// upstream is down, else f with its error mapped.
func call[T any](ctx context.Context, b *Backend, op string, f func(context.Context) (T, error)) (T, error) {
	if err := b.checkUp(op); err != nil {
		var zero T
		return zero, err
	}
	out, err := f(ctx)
	if err == nil {
		b.downUntil.Store(0)
	}
	return out, b.mapError(ctx, op, err)
}
