package s3backend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesame-s3/sesame/internal/object"
)

// ListBuckets lists the upstream buckets with the prefix (bucket mode) or
// the bucket markers (single-bucket mode).
func (b *Backend) ListBuckets(ctx context.Context) ([]object.BucketInfo, error) {
	var out []object.BucketInfo
	if b.singleBucket() {
		in := &s3.ListObjectsV2Input{Bucket: aws.String(b.cfg.Bucket), Prefix: aws.String(markerPrefix)}
		for {
			page, err := call(ctx, b, "ListBuckets", func(ctx context.Context) (*s3.ListObjectsV2Output, error) {
				return b.client.ListObjectsV2(ctx, in)
			})
			if err != nil {
				return nil, err
			}
			for _, o := range page.Contents {
				name := strings.TrimPrefix(aws.ToString(o.Key), markerPrefix)
				if checkBucket(name) == nil {
					out = append(out, object.BucketInfo{Name: name, Created: aws.ToTime(o.LastModified)})
				}
			}
			if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
				break
			}
			in.ContinuationToken = page.NextContinuationToken
		}
		return out, nil
	}
	res, err := call(ctx, b, "ListBuckets", func(ctx context.Context) (*s3.ListBucketsOutput, error) {
		return b.client.ListBuckets(ctx, &s3.ListBucketsInput{})
	})
	if err != nil {
		return nil, err
	}
	for _, bk := range res.Buckets {
		name, ok := strings.CutPrefix(aws.ToString(bk.Name), b.cfg.BucketPrefix)
		if ok && checkBucket(name) == nil {
			out = append(out, object.BucketInfo{Name: name, Created: aws.ToTime(bk.CreationDate)})
		}
	}
	slices.SortFunc(out, func(x, y object.BucketInfo) int { return strings.Compare(x.Name, y.Name) })
	return out, nil
}

// CreateBucket creates the upstream bucket, or the marker.
func (b *Backend) CreateBucket(ctx context.Context, bucket string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	if b.singleBucket() {
		// If-None-Match would make this atomic where the upstream has
		// it; a HEAD first works everywhere.
		if err := b.exists(ctx, bucket); err == nil {
			return fmt.Errorf("s3 backend: bucket %s: %w", bucket, object.ErrBucketExists)
		} else if !errors.Is(err, object.ErrBucketNotFound) {
			return err
		}
		if err := b.local.drop(bucket); err != nil {
			return err
		}
		_, err := call(ctx, b, "CreateBucket", func(ctx context.Context) (*s3.PutObjectOutput, error) {
			return b.client.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(b.cfg.Bucket), Key: aws.String(markerPrefix + bucket),
				Body: strings.NewReader(""), ContentLength: aws.Int64(0),
			}, once)
		})
		return err
	}
	if len(b.cfg.BucketPrefix+bucket) > 63 {
		return fmt.Errorf("s3 backend: bucket %s: with the prefix %q, longer than an upstream bucket name may be: %w", bucket, b.cfg.BucketPrefix, object.ErrInvalidBucketName)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(b.cfg.BucketPrefix + bucket)}
	if b.cfg.Region != DefaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(b.cfg.Region)}
	}
	_, err := call(ctx, b, "CreateBucket", func(ctx context.Context) (*s3.CreateBucketOutput, error) {
		return b.client.CreateBucket(ctx, in, once)
	})
	if err != nil {
		return err
	}
	// Documents left by a bucket deleted behind Sesame's back go.
	return b.local.drop(bucket)
}

// HeadBucket reports the bucket and its creation time.
func (b *Backend) HeadBucket(ctx context.Context, bucket string) (object.BucketInfo, error) {
	if err := checkBucket(bucket); err != nil {
		return object.BucketInfo{}, err
	}
	if b.singleBucket() {
		out, err := call(ctx, b, "HeadBucket", func(ctx context.Context) (*s3.HeadObjectOutput, error) {
			return b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: aws.String(markerPrefix + bucket)})
		})
		if err != nil {
			if errors.Is(err, object.ErrObjectNotFound) || isNotFound(err) {
				return object.BucketInfo{}, fmt.Errorf("s3 backend: bucket %s: %w", bucket, object.ErrBucketNotFound)
			}
			return object.BucketInfo{}, err
		}
		return object.BucketInfo{Name: bucket, Created: aws.ToTime(out.LastModified)}, nil
	}
	if err := b.exists(ctx, bucket); err != nil {
		return object.BucketInfo{}, err
	}
	// HEAD has no creation time; the listing has.
	all, err := b.ListBuckets(ctx)
	if err != nil {
		return object.BucketInfo{}, err
	}
	for _, bk := range all {
		if bk.Name == bucket {
			return bk, nil
		}
	}
	return object.BucketInfo{Name: bucket, Created: b.opts.Now().Truncate(time.Second)}, nil
}

// exists returns nil when bucket exists, else ErrBucketNotFound or why
// the upstream could not tell: one HEAD request.
func (b *Backend) exists(ctx context.Context, bucket string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	var err error
	if b.singleBucket() {
		_, err = call(ctx, b, "HeadBucket", func(ctx context.Context) (*s3.HeadObjectOutput, error) {
			return b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: aws.String(markerPrefix + bucket)})
		})
		if errors.Is(err, object.ErrObjectNotFound) {
			err = object.ErrBucketNotFound
		}
	} else {
		_, err = call(ctx, b, "HeadBucket", func(ctx context.Context) (*s3.HeadBucketOutput, error) {
			return b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.cfg.BucketPrefix + bucket)})
		})
	}
	if err != nil && (isNotFound(err) || errors.Is(err, object.ErrBucketNotFound)) {
		return fmt.Errorf("s3 backend: bucket %s: %w", bucket, object.ErrBucketNotFound)
	}
	return err
}

// DeleteBucket removes an empty bucket with its uploads and documents.
func (b *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	if err := b.exists(ctx, bucket); err != nil {
		return err
	}
	res, err := b.ListObjects(ctx, bucket, object.ListOptions{MaxKeys: 1})
	if err != nil {
		return err
	}
	if len(res.Objects) > 0 || len(res.CommonPrefixes) > 0 {
		return fmt.Errorf("s3 backend: bucket %s: %w", bucket, object.ErrBucketNotEmpty)
	}
	if err := b.abortAll(ctx, bucket); err != nil {
		return err
	}
	if b.singleBucket() {
		_, err = call(ctx, b, "DeleteBucket", func(ctx context.Context) (*s3.DeleteObjectOutput, error) {
			return b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: aws.String(markerPrefix + bucket)})
		})
	} else {
		_, err = call(ctx, b, "DeleteBucket", func(ctx context.Context) (*s3.DeleteBucketOutput, error) {
			return b.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b.cfg.BucketPrefix + bucket)})
		})
	}
	if err != nil {
		return err
	}
	return b.local.drop(bucket)
}

// abortAll aborts the bucket's multipart uploads: they go with it. The
// uploads started through Sesame are known from their records, in case
// the upstream's listing misses them (MinIO lists one key's only).
func (b *Backend) abortAll(ctx context.Context, bucket string) error {
	for _, rec := range b.local.uploads(bucket) {
		if err := b.AbortMultipartUpload(ctx, bucket, rec.Key, rec.UploadID); err != nil && !errors.Is(err, object.ErrUploadNotFound) {
			return err
		}
	}
	opts := object.ListUploadsOptions{}
	for {
		res, err := b.ListMultipartUploads(ctx, bucket, opts)
		if errors.Is(err, object.ErrUploadNotFound) {
			return nil // some upstreams' way to say there are none
		}
		if err != nil {
			return err
		}
		for _, u := range res.Uploads {
			if err := b.AbortMultipartUpload(ctx, bucket, u.Key, u.UploadID); err != nil && !errors.Is(err, object.ErrUploadNotFound) {
				return err
			}
		}
		if !res.IsTruncated {
			return nil
		}
		opts.KeyMarker, opts.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

// policyFile is the bucket policy's name in the state directory.
const policyFile = "policy.json"

// PutBucketPolicy keeps the policy in the state directory: Sesame enforces
// it, so the upstream never needs to understand it.
func (b *Backend) PutBucketPolicy(ctx context.Context, bucket string, policy []byte) error {
	if err := b.exists(ctx, bucket); err != nil {
		return err
	}
	return b.local.put(bucket, policy, policyFile)
}

// GetBucketPolicy returns the policy, or ErrNoSuchBucketPolicy.
func (b *Backend) GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error) {
	if err := b.exists(ctx, bucket); err != nil {
		return nil, err
	}
	doc, err := b.local.get(bucket, policyFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, object.ErrNoSuchBucketPolicy
	}
	return doc, err
}

// DeleteBucketPolicy removes the policy.
func (b *Backend) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	if err := b.exists(ctx, bucket); err != nil {
		return err
	}
	return b.local.remove(bucket, policyFile)
}

// PutBucketConfig keeps the document in the state directory.
func (b *Backend) PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	if !object.ValidConfigName(name) {
		return fmt.Errorf("s3 backend: configuration name %q is not valid", name)
	}
	if err := b.exists(ctx, bucket); err != nil {
		return err
	}
	return b.local.put(bucket, doc, "config", name)
}

// GetBucketConfig returns the document, or ErrNoSuchBucketConfig.
func (b *Backend) GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, error) {
	if !object.ValidConfigName(name) {
		return nil, object.ErrNoSuchBucketConfig
	}
	if err := b.exists(ctx, bucket); err != nil {
		return nil, err
	}
	doc, err := b.local.get(bucket, "config", name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, object.ErrNoSuchBucketConfig
	}
	return doc, err
}

// DeleteBucketConfig removes the document.
func (b *Backend) DeleteBucketConfig(ctx context.Context, bucket, name string) error {
	if !object.ValidConfigName(name) {
		return nil
	}
	if err := b.exists(ctx, bucket); err != nil {
		return err
	}
	return b.local.remove(bucket, "config", name)
}
