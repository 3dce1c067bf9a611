package object

import (
	"context"
	"errors"
)

// ErrNoSuchBucketConfig is returned by GetBucketConfig when the bucket has no
// document of that name.
var ErrNoSuchBucketConfig = errors.New("object: no such bucket configuration")

// Bucket configuration names. Each names one document a bucket may hold,
// stored as the S3 layer gives it (validation is the caller's).
const (
	ConfigVersioning        = "versioning"
	ConfigObjectLock        = "object-lock"
	ConfigTagging           = "tagging"
	ConfigCORS              = "cors"
	ConfigPublicAccessBlock = "public-access-block"
	ConfigOwnership         = "ownership-controls"
	ConfigACL               = "acl"
	ConfigEncryption        = "encryption"
	ConfigLifecycle         = "lifecycle"
	ConfigLogging           = "logging"
)

// BucketConfigs is the optional part of a Backend that keeps a bucket's
// configuration documents (versioning status, tags, CORS rules, ...). Each
// document is written atomically and goes with its bucket: DeleteBucket
// removes them, and a re-created bucket has none. A Backend without it makes
// every bucket sub-resource that needs it answer 501 NotImplemented.
type BucketConfigs interface {
	// PutBucketConfig replaces the named document.
	PutBucketConfig(ctx context.Context, bucket, name string, doc []byte) error
	// GetBucketConfig returns the named document, or ErrNoSuchBucketConfig.
	GetBucketConfig(ctx context.Context, bucket, name string) ([]byte, error)
	// DeleteBucketConfig removes the named document; removing a missing one
	// is not an error.
	DeleteBucketConfig(ctx context.Context, bucket, name string) error
}

// ValidConfigName reports whether name may name a bucket configuration
// document: 1 to 64 bytes of [a-z0-9-].
func ValidConfigName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
