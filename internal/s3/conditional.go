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
// S3 checks the condition and writes in one atomic step. object.Backend has
// no such operation (PutObject replaces whatever is there), and a check
// followed by a write would let a concurrent writer slip in between: the
// very race the client guards against. A lock here would not close it
// either, since several servers may share one data directory. So a
// condition is evaluated only to refuse: when it fails, the request gets
// S3's answer (412 PreconditionFailed, or 404 NoSuchKey for If-Match on a
// missing key); when it holds, the request is refused with 501
// NotImplemented rather than carried out unconditionally.

var (
	errConditionalWrite  = ErrNotImplemented.WithMessage("Conditional writes (If-Match, If-None-Match) are not implemented by this server: it cannot check the condition and write in one atomic step.")
	errConditionalDelete = ErrNotImplemented.WithMessage("Conditional deletes are not implemented by this server: it cannot check the condition and delete in one atomic step.")
)

// checkWriteConditions evaluates the If-Match and If-None-Match headers of
// a write to the request's key; it returns nil only when neither is set.
func (a *API) checkWriteConditions(req *request) error {
	ifMatch, ifNoneMatch := req.Header.Get("If-Match"), req.Header.Get("If-None-Match")
	if ifMatch == "" && ifNoneMatch == "" {
		return nil
	}
	if ifNoneMatch != "" && strings.TrimSpace(ifNoneMatch) != "*" {
		return ErrNotImplemented.WithMessage("If-None-Match on a write accepts only '*'.")
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
