package posix

import (
	"context"

	"github.com/sesame-s3/sesame/internal/object"
)

// completedBefore answers a CompleteMultipartUpload of an upload that is
// gone because it was completed: when the object at key is still the one
// that upload made (its meta names the upload) and the parts listed are
// the ones it was made of (same multipart ETag), the completion is a
// retry and gets the object, as S3 answers it. ok is false otherwise.
func (b *Backend) completedBefore(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart) (object.ObjectInfo, bool) {
	if !validUploadID(uploadID) || len(parts) == 0 {
		return object.ObjectInfo{}, false
	}
	m, ok := b.readMeta(bucket, key)
	if !ok || m.UploadID != uploadID {
		return object.ObjectInfo{}, false
	}
	info, err := b.HeadObject(ctx, bucket, key)
	if err != nil || info.ETag != m.ETag {
		return object.ObjectInfo{}, false
	}
	metas := make([]partMeta, len(parts))
	for i, p := range parts {
		metas[i].ETag = normalizeETag(p.ETag)
	}
	if multipartETag(metas) != info.ETag {
		return object.ObjectInfo{}, false
	}
	return info, true
}
