package posix

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sesame-s3/sesame/internal/object"
)

var _ object.BucketConfigs = (*Backend)(nil)

// configPath is where the named configuration document of bucket lives:
// .sesame.sys/buckets/<bucket>/config-<name>.xml beside its policy.
func (b *Backend) configPath(bucket, name string) (string, error) {
	if !object.ValidConfigName(name) {
		return "", fmt.Errorf("posix: invalid bucket configuration name %q", name)
	}
	return filepath.Join(b.bucketSysPath(bucket), "config-"+name+".xml"), nil
}

// PutBucketConfig replaces the named configuration document of bucket.
func (b *Backend) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	p, err := b.configPath(bucket, name)
	if err != nil {
		return err
	}
	defer b.bucketLock(bucket)()
	if _, err := b.statBucket(bucket); err != nil {
		return err
	}
	return b.writeFileAtomic(p, doc)
}

// GetBucketConfig returns the named document, or ErrNoSuchBucketConfig.
func (b *Backend) GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	p, err := b.configPath(bucket, name)
	if err != nil {
		return nil, err
	}
	if _, err := b.statBucket(bucket); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		if absent(err) {
			return nil, fmt.Errorf("posix: bucket %q %s: %w", bucket, name, object.ErrNoSuchBucketConfig)
		}
		return nil, fmt.Errorf("posix: read %s of %q: %w", name, bucket, err)
	}
	return data, nil
}

// DeleteBucketConfig removes the named document; a missing one is no error.
func (b *Backend) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	p, err := b.configPath(bucket, name)
	if err != nil {
		return err
	}
	defer b.bucketLock(bucket)()
	if _, err := b.statBucket(bucket); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		if absent(err) {
			return nil
		}
		return fmt.Errorf("posix: remove %s of %q: %w", name, bucket, err)
	}
	return syncDir(b.bucketSysPath(bucket))
}
