package s3

import (
	"github.com/sesame-s3/sesame/internal/object"
)

// checkObjectWrite checks the headers of an object write (PutObject,
// CopyObject, CreateMultipartUpload): the refusals of headers.go, the
// bucket's ACL settings (object ownership, public access block) for an
// x-amz-acl header, and the x-amz-tagging header, whose tags it returns.
// Tags need s3:PutObjectTagging besides s3:PutObject, as in S3.
func (a *API) checkObjectWrite(req *request) (tags []object.Tag, tagged bool, err error) {
	if err := a.checkWriteACL(req, errObjectACL); err != nil {
		return nil, false, err
	}
	if err := checkObjectWriteHeaders(req.amz); err != nil {
		return nil, false, err
	}
	tags, tagged, err = requestTags(req)
	if err != nil || !tagged {
		return nil, false, err
	}
	if err := a.authorize(req, "s3:PutObjectTagging", req.bucket, req.key); err != nil {
		return nil, false, err
	}
	return tags, true, nil
}
