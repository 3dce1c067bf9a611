package s3backend

import (
	"fmt"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
)

// maxSegment is the longest key segment the contract allows: what a file
// system stores, so that keys move between backends.
const maxSegment = 255

// checkBucket refuses names that are no S3 bucket name, before any of
// them reaches a path of the state directory or an upstream name.
func checkBucket(bucket string) error {
	ok := len(bucket) >= 3 && len(bucket) <= 63
	for i := 0; ok && i < len(bucket); i++ {
		c := bucket[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		ok = alnum || (c == '-' || c == '.') && i > 0 && i < len(bucket)-1
	}
	if !ok || strings.Contains(bucket, "..") {
		return fmt.Errorf("s3 backend: bucket %q: %w", bucket, object.ErrInvalidBucketName)
	}
	return nil
}

// checkKey applies the contract's key rules (object package docs), the
// same as the posix backend's, so that keys stay portable.
func checkKey(key string) error {
	if len(key) > object.MaxKeyLength {
		return object.ErrKeyTooLong
	}
	if key == "" || strings.HasPrefix(key, "/") || strings.IndexByte(key, 0) >= 0 {
		return object.ErrInvalidKey
	}
	segs := strings.Split(strings.TrimSuffix(key, "/"), "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." || len(s) > maxSegment {
			return object.ErrInvalidKey
		}
	}
	return nil
}

// check validates a bucket and key.
func check(bucket, key string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return fmt.Errorf("s3 backend: key %q: %w", abbrev(key), err)
	}
	return nil
}

func abbrev(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
