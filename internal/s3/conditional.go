package s3

import (
	"errors"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
)

// Conditional writes: If-Match and If-None-Match on PutObject, CopyObject
// and CompleteMultipartUpload, If-Match on DeleteObject and in the entries
// of DeleteObjects.
//
// S3 checks the condition and writes in one atomic step. A backend that is
// an object.ConditionalWriter does the same: the conditions go to it in
// PutOptions (DeleteOptions) and it checks them under the key's write lock,
// which holds across processes sharing the storage. With any other backend
// a check followed by a write would let a concurrent writer slip in
// between, the very race the client guards against, so a condition is
// evaluated only to refuse: when it fails, the request gets S3's answer
// (412 PreconditionFailed, or 404 NoSuchKey for If-Match on a missing
// key); when it holds, the request is refused with 501 NotImplemented
// rather than carried out unconditionally.

var (
	errConditionalWrite  = ErrNotImplemented.WithMessage("Conditional writes (If-Match, If-None-Match) are not implemented by this server's storage backend: it cannot check the condition and write in one atomic step.")
	errConditionalDelete = ErrNotImplemented.WithMessage("Conditional deletes are not implemented by this server's storage backend: it cannot check the condition and delete in one atomic step.")
)

// writeConditions reads the If-Match and If-None-Match headers of a write
// to the request's key into opts when the backend checks them atomically,
// and otherwise evaluates them only to refuse (see above).
func (a *API) writeConditions(req *request, opts *object.PutOptions) error {
	ifMatch, ifNoneMatch := req.Header.Get("If-Match"), req.Header.Get("If-None-Match")
	if ifMatch == "" && ifNoneMatch == "" {
		return nil
	}
	if _, ok := a.backend.(object.ConditionalWriter); ok {
		if ifMatch != "" {
			// Comparing ETags reveals the object's ETag.
			if err := a.authorize(req, "s3:GetObject", req.bucket, req.key); err != nil {
				return err
			}
		}
		opts.IfMatch, opts.IfNoneMatch = ifMatch, ifNoneMatch
		return nil
	}
	if ifNoneMatch != "" && strings.TrimSpace(ifNoneMatch) != "*" {
		return ErrNotImplemented.WithMessage("If-None-Match on a write accepts only '*' with this server's storage backend.")
	}
	info, exists, err := a.currentObject(req, req.key, ifMatch != "")
	switch {
	case err != nil:
		return err
	case ifNoneMatch != "" && exists:
		return ErrPreconditionFailed
	case ifMatch != "" && !exists:
		return ErrNoSuchKey
	case ifMatch != "" && !etagMatches(ifMatch, info.ETag):
		return ErrPreconditionFailed
	}
	return errConditionalWrite
}

// writeOptions completes opts of a write to the request's key with its
// conditions and the bucket's versioning state.
func (a *API) writeOptions(req *request, opts *object.PutOptions) error {
	if err := a.writeConditions(req, opts); err != nil {
		return err
	}
	state, err := a.bucketVersioning(req, req.bucket)
	if err != nil {
		return err
	}
	opts.Versioning = state
	opts.Metadata.Lock, err = a.objectLockFor(req, state)
	return err
}

// checkDeleteCondition evaluates the If-Match of a delete of key (ifMatch
// "" means none). S3 answers a delete whose If-Match names a missing
// object with success: done reports that nothing is left to do.
func (a *API) checkDeleteCondition(req *request, key, ifMatch string) (done bool, err error) {
	if ifMatch == "" {
		return false, nil
	}
	info, exists, err := a.currentObject(req, key, true)
	switch {
	case err != nil:
		return false, err
	case !exists:
		return true, nil
	case !etagMatches(ifMatch, info.ETag):
		return false, ErrPreconditionFailed
	}
	return false, errConditionalDelete
}

// currentObject looks up the object under key for a condition. Comparing
// ETags reveals the object's ETag, so readETag requires s3:GetObject as
// well (as S3 does for If-Match); learning that a key exists needs only
// the write permission already checked.
func (a *API) currentObject(req *request, key string, readETag bool) (object.ObjectInfo, bool, error) {
	if readETag {
		if err := a.authorize(req, "s3:GetObject", req.bucket, key); err != nil {
			return object.ObjectInfo{}, false, err
		}
	}
	info, err := a.backend.HeadObject(req.Context(), req.bucket, key)
	switch {
	case errors.Is(err, object.ErrObjectNotFound):
		return object.ObjectInfo{}, false, nil
	case err != nil:
		return object.ObjectInfo{}, false, err
	}
	return plainInfo(info, info.Size), true, nil // the ETag clients know (sse.go)
}
