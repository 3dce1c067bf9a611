package posix

import (
	"context"
	"fmt"

	"github.com/sesame-s3/sesame/internal/object"
)

var _ object.MetadataUpdater = (*Backend)(nil)

// UpdateMetadata rewrites key's meta file with meta if it still describes
// the object whose ETag is etag. The data file is not touched, so the meta
// file stays valid (same size and modification time).
func (b *Backend) UpdateMetadata(ctx context.Context, bucket, key, etag string, meta object.Metadata) error {
	root, err := b.checkObject(bucket, key)
	if err != nil {
		return err
	}
	root.Close()
	if err := ctx.Err(); err != nil {
		return err
	}
	mu := b.lock(bucket, key)
	mu.Lock()
	defer mu.Unlock()
	m, ok := b.readMeta(bucket, key)
	if !ok || m.ETag != etag {
		return fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
	}
	m.Metadata = meta
	return b.writeMeta(bucket, key, m)
}

var _ object.UploadDescriber = (*Backend)(nil)

// GetUpload reads the upload's record.
func (b *Backend) GetUpload(ctx context.Context, bucket, key, uploadID string) (object.Upload, error) {
	if err := ctx.Err(); err != nil {
		return object.Upload{}, err
	}
	rec, _, err := b.checkUpload(bucket, key, uploadID)
	if err != nil {
		return object.Upload{}, err
	}
	return rec.upload(bucket, uploadID), nil
}
