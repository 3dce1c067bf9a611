package posix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// bucketRecord is ROOT/.sesame.sys/buckets/<bucket>/bucket.json.
type bucketRecord struct {
	Created int64 `json:"created"` // Unix nanoseconds
}

const (
	bucketRecordName = "bucket.json"
	policyName       = "policy.json"
)

func (b *Backend) bucketSysPath(bucket string) string {
	return filepath.Join(b.sys, bucketDirName, bucket)
}

func (b *Backend) metaBucketPath(bucket string) string {
	return filepath.Join(b.sys, metaDirName, bucket)
}

func (b *Backend) uploadsPath(bucket string) string {
	return filepath.Join(b.sys, uploadDirName, bucket)
}

// bucketLock guards creation and deletion of a bucket and its policy. The
// empty key never names an object, so it cannot share a lock with one by
// construction (only by stripe, which is harmless).
func (b *Backend) bucketLock(bucket string) func() {
	mu := b.lock(bucket, "")
	mu.Lock()
	return mu.Unlock
}

// statBucket returns the bucket directory's info, or ErrBucketNotFound when
// the name is not a real directory (symbolic links are not buckets).
func (b *Backend) statBucket(bucket string) (fs.FileInfo, error) {
	if err := checkBucketName(bucket); err != nil {
		return nil, err
	}
	fi, err := b.top.Lstat(bucket)
	if err != nil {
		if absent(err) {
			return nil, fmt.Errorf("posix: bucket %q: %w", bucket, object.ErrBucketNotFound)
		}
		return nil, fmt.Errorf("posix: bucket %q: %w", bucket, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("posix: bucket %q is not a directory: %w", bucket, object.ErrBucketNotFound)
	}
	return fi, nil
}

// openBucket returns an os.Root confined to the bucket directory; the caller
// closes it.
func (b *Backend) openBucket(bucket string) (*os.Root, error) {
	if _, err := b.statBucket(bucket); err != nil {
		return nil, err
	}
	r, err := b.top.OpenRoot(bucket)
	if err != nil {
		if absent(err) {
			return nil, fmt.Errorf("posix: bucket %q: %w", bucket, object.ErrBucketNotFound)
		}
		return nil, fmt.Errorf("posix: open bucket %q: %w", bucket, err)
	}
	return r, nil
}

func (b *Backend) bucketInfo(bucket string, fi fs.FileInfo) object.BucketInfo {
	info := object.BucketInfo{Name: bucket, Created: fi.ModTime()}
	data, err := os.ReadFile(filepath.Join(b.bucketSysPath(bucket), bucketRecordName))
	if err == nil {
		var rec bucketRecord
		if json.Unmarshal(data, &rec) == nil && rec.Created != 0 {
			info.Created = time.Unix(0, rec.Created)
		}
	}
	return info
}

// ListBuckets lists the top-level directories whose names are valid bucket
// names, sorted by name.
func (b *Backend) ListBuckets(ctx context.Context) ([]object.BucketInfo, error) {
	entries, err := os.ReadDir(b.root)
	if err != nil {
		return nil, fmt.Errorf("posix: list buckets: %w", err)
	}
	out := []object.BucketInfo{}
	for _, e := range entries {
		if !e.IsDir() || !validBucketName(e.Name()) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, b.bucketInfo(e.Name(), fi))
	}
	slices.SortFunc(out, func(x, y object.BucketInfo) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// CreateBucket creates the bucket directory. State left in the system folder
// by a bucket of the same name removed by hand is discarded first, so a new
// bucket never inherits an old policy, metadata or uploads.
func (b *Backend) CreateBucket(ctx context.Context, bucket string) error {
	if err := checkBucketName(bucket); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	defer b.bucketLock(bucket)()
	if _, err := b.top.Lstat(bucket); err == nil {
		return fmt.Errorf("posix: bucket %q: %w", bucket, object.ErrBucketExists)
	} else if !absent(err) {
		return fmt.Errorf("posix: create bucket %q: %w", bucket, err)
	}
	if err := b.removeBucketState(bucket); err != nil {
		return err
	}
	rec, _ := json.Marshal(bucketRecord{Created: b.now().UnixNano()})
	if err := b.writeFileAtomic(filepath.Join(b.bucketSysPath(bucket), bucketRecordName), rec); err != nil {
		return err
	}
	if err := b.top.Mkdir(bucket, dirMode); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("posix: bucket %q: %w", bucket, object.ErrBucketExists)
		}
		return fmt.Errorf("posix: create bucket %q: %w", bucket, err)
	}
	return syncDir(b.root)
}

// removeBucketState removes a bucket's metadata, uploads and policy.
func (b *Backend) removeBucketState(bucket string) error {
	return errors.Join(
		b.removeTree(b.metaBucketPath(bucket)),
		b.removeTree(b.uploadsPath(bucket)),
		b.removeTree(b.bucketSysPath(bucket)),
		b.removeTree(b.versionsBucketPath(bucket)),
	)
}

// HeadBucket reports the bucket's creation time.
func (b *Backend) HeadBucket(ctx context.Context, bucket string) (object.BucketInfo, error) {
	fi, err := b.statBucket(bucket)
	if err != nil {
		return object.BucketInfo{}, err
	}
	return b.bucketInfo(bucket, fi), nil
}

// DeleteBucket removes a bucket that holds no object. Empty directories do
// not count as objects and are removed with it; in-progress multipart
// uploads do not block the deletion and are aborted.
func (b *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer b.bucketLock(bucket)()
	b.roots.forget(bucket)
	root, err := b.openBucket(bucket)
	if err != nil {
		return err
	}
	defer root.Close()
	has, err := b.hasObjectIn(ctx, root, root, bucket, "")
	if err != nil {
		return err
	}
	if has || b.hasVersions(bucket) {
		return fmt.Errorf("posix: bucket %q: %w", bucket, object.ErrBucketNotEmpty)
	}
	if err := removeEmptyDirs(root, "."); err != nil {
		return fmt.Errorf("posix: bucket %q: %w", bucket, err)
	}
	b.lists.dropBucket(bucket)
	if err := b.top.Remove(bucket); err != nil {
		if absent(err) {
			return fmt.Errorf("posix: bucket %q: %w", bucket, object.ErrBucketNotFound)
		}
		return fmt.Errorf("posix: bucket %q: %w (%v)", bucket, object.ErrBucketNotEmpty, err)
	}
	if err := syncDir(b.root); err != nil {
		return err
	}
	return b.removeBucketState(bucket)
}

// removeEmptyDirs removes the empty directories below dir, bottom-up. It
// fails with ErrBucketNotEmpty on anything that is not a directory.
func removeEmptyDirs(root *os.Root, dir string) error {
	f, err := root.Open(dir)
	if err != nil {
		return err
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			return fmt.Errorf("%s remains: %w", p, object.ErrBucketNotEmpty)
		}
		if err := removeEmptyDirs(root, p); err != nil {
			return err
		}
		if err := root.Remove(p); err != nil && !absent(err) {
			return fmt.Errorf("%s: %w (%v)", p, object.ErrBucketNotEmpty, err)
		}
	}
	return nil
}

// PutBucketPolicy stores the policy document as given.
func (b *Backend) PutBucketPolicy(ctx context.Context, bucket string, policy []byte) error {
	defer b.bucketLock(bucket)()
	if _, err := b.statBucket(bucket); err != nil {
		return err
	}
	return b.writeFileAtomic(filepath.Join(b.bucketSysPath(bucket), policyName), policy)
}

// GetBucketPolicy returns the stored policy, or ErrNoSuchBucketPolicy.
func (b *Backend) GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error) {
	if _, err := b.statBucket(bucket); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(b.bucketSysPath(bucket), policyName))
	if err != nil {
		if absent(err) {
			return nil, fmt.Errorf("posix: bucket %q: %w", bucket, object.ErrNoSuchBucketPolicy)
		}
		return nil, fmt.Errorf("posix: read policy of %q: %w", bucket, err)
	}
	return data, nil
}

// DeleteBucketPolicy removes the policy; removing a missing one is not an error.
func (b *Backend) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	defer b.bucketLock(bucket)()
	if _, err := b.statBucket(bucket); err != nil {
		return err
	}
	p := filepath.Join(b.bucketSysPath(bucket), policyName)
	if err := os.Remove(p); err != nil {
		if absent(err) {
			return nil
		}
		return fmt.Errorf("posix: delete policy of %q: %w", bucket, err)
	}
	return syncDir(b.bucketSysPath(bucket))
}
