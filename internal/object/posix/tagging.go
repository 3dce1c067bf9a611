package posix

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"

	"github.com/sesame-s3/sesame/internal/object"
)

var _ object.ObjectTagger = (*Backend)(nil)

// PutObjectTags replaces key's tags by rewriting its meta file alone
// (temp file, fsync, rename), under the key's write lock: the data file,
// and so the ETag and modification time, stay as they are. A foreign file
// first gets its meta file computed (HeadObject caches it); if the data
// changes under us meanwhile, the meta is recomputed and the tags tried
// again, a few times, so tags are never paired with other data.
func (b *Backend) PutObjectTags(ctx context.Context, bucket, key string, tags []object.Tag) error {
	root, err := b.checkObject(bucket, key)
	if err != nil {
		return err
	}
	defer root.Close()
	tags = slices.Clone(tags)
	for range 3 {
		if _, err := b.HeadObject(ctx, bucket, key); err != nil {
			return err
		}
		done, err := b.retag(root, bucket, key, tags)
		if done || err != nil {
			return err
		}
	}
	return fmt.Errorf("posix: %s/%s changed while its tags were replaced, try again: %w", bucket, key, syscall.EAGAIN)
}

// retag writes tags into key's meta file if that meta file is valid for
// the data there now; done is false when it is not.
func (b *Backend) retag(r *os.Root, bucket, key string, tags []object.Tag) (done bool, err error) {
	chain, err := b.openDirs(r, bucket, parentDir(key), false)
	if err != nil {
		if absent(err) {
			return false, fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
		}
		return false, fmt.Errorf("posix: open %s/%s: %w", bucket, key, err)
	}
	defer chain.close()
	mu := b.lock(bucket, key)
	mu.Lock()
	defer mu.Unlock()
	m, ok := b.readMeta(bucket, key)
	if isMarkerKey(key) {
		fi, err := chain.last().Lstat(baseName(key))
		if err != nil || !fi.IsDir() || !ok {
			return false, fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
		}
	} else {
		fi, err := dataInfo(r, chain.last(), baseName(key), key)
		if err != nil {
			if absent(err) || errors.Is(err, syscall.ENXIO) {
				return false, fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
			}
			return false, fmt.Errorf("posix: stat %s/%s: %w", bucket, key, err)
		}
		if !ok || !m.matches(fi) {
			return false, nil
		}
	}
	m.Metadata.Tags = tags
	if len(tags) == 0 {
		m.Metadata.Tags = nil
	}
	return true, b.writeMeta(bucket, key, m)
}
