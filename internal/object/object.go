// Package object defines the storage contract behind Sesame's S3 API: a Backend
// stores buckets, objects, multipart uploads and bucket policies, using the
// project's own small types and io.Reader bodies.
//
// Invariants every Backend keeps (checked by the objecttest conformance suite):
//   - Writes are atomic: a reader sees the old object or the whole new one,
//     never a partial one, even across a crash.
//   - Nothing is read or written outside the backend's root.
//   - Errors are the sentinels below (wrapped with %w where context helps), so
//     the HTTP edge can map them to S3 error codes with errors.Is.
//
// The S3 layer applies S3's full bucket-naming rules; a backend rejects names it
// would not list back (ErrInvalidBucketName) and keys it cannot store safely
// (ErrInvalidKey, ErrKeyTooLong, ErrKeyConflict).
package object

import (
	"context"
	"errors"
	"io"
	"time"
)

// Limits shared by every backend.
const (
	// MaxObjectSize is S3's largest object: 5 TiB.
	MaxObjectSize = 5 << 40
	// MaxPartSize is S3's largest part: 5 GiB.
	MaxPartSize = 5 << 30
	// MinPartSize is the smallest part that may be followed by another: 5 MiB.
	MinPartSize = 5 << 20
	// MaxPartNumber is the highest part number S3 accepts.
	MaxPartNumber = 10000
	// MaxKeyLength is S3's longest key, in bytes.
	MaxKeyLength = 1024
)

// Sentinel errors. Backends return these (possibly wrapped with %w).
var (
	// ErrBucketNotFound is returned when the named bucket does not exist.
	ErrBucketNotFound = errors.New("object: bucket not found")
	// ErrBucketExists is returned by CreateBucket when the bucket already exists.
	ErrBucketExists = errors.New("object: bucket already exists")
	// ErrBucketNotEmpty is returned by DeleteBucket when objects remain
	// (in-progress multipart uploads do not count: they go with the bucket).
	ErrBucketNotEmpty = errors.New("object: bucket not empty")
	// ErrInvalidBucketName is returned for a name the backend cannot store.
	ErrInvalidBucketName = errors.New("object: invalid bucket name")
	// ErrObjectNotFound is returned when the key does not name an object.
	ErrObjectNotFound = errors.New("object: object not found")
	// ErrInvalidKey is returned for a key that cannot map safely to storage
	// (".." or "." segments, empty segments, a leading "/", NUL bytes, a
	// segment longer than the file system allows, non-empty data under a
	// key ending in "/").
	ErrInvalidKey = errors.New("object: invalid object key")
	// ErrKeyTooLong is returned for a key longer than MaxKeyLength bytes.
	ErrKeyTooLong = errors.New("object: key too long")
	// ErrKeyConflict is returned when a key would be both an object and a
	// prefix of other objects (for example "a" and "a/b").
	ErrKeyConflict = errors.New("object: key conflicts with an existing object or prefix")
	// ErrBadDigest is returned when the body does not match PutOptions.MD5.
	ErrBadDigest = errors.New("object: content MD5 mismatch")
	// ErrIncompleteBody is returned when the body is shorter than PutOptions.Size.
	ErrIncompleteBody = errors.New("object: body shorter than declared size")
	// ErrTooLarge is returned when a body exceeds MaxObjectSize (MaxPartSize for a part)
	// or is longer than PutOptions.Size.
	ErrTooLarge = errors.New("object: entity too large")
	// ErrInvalidRange is returned when a Range cannot be satisfied.
	ErrInvalidRange = errors.New("object: requested range not satisfiable")
	// ErrUploadNotFound is returned when the upload ID does not name an upload
	// of that bucket and key.
	ErrUploadNotFound = errors.New("object: multipart upload not found")
	// ErrInvalidPart is returned when a completed part is missing or its ETag differs.
	ErrInvalidPart = errors.New("object: invalid part")
	// ErrInvalidPartOrder is returned when completed parts are not in ascending order.
	ErrInvalidPartOrder = errors.New("object: parts not in ascending order")
	// ErrEntityTooSmall is returned when a part other than the last is below MinPartSize.
	ErrEntityTooSmall = errors.New("object: part too small")
	// ErrInvalidPartNumber is returned for a part number outside 1..MaxPartNumber.
	ErrInvalidPartNumber = errors.New("object: invalid part number")
	// ErrNoSuchBucketPolicy is returned by GetBucketPolicy when none is set.
	ErrNoSuchBucketPolicy = errors.New("object: no bucket policy")
	// ErrSlowDown is returned when the storage asks for fewer requests
	// (an upstream's 503 SlowDown); the caller may retry later.
	ErrSlowDown = errors.New("object: storage asks to slow down")
	// ErrUnavailable is returned when the storage cannot be reached (an
	// upstream that is down); the caller may retry later.
	ErrUnavailable = errors.New("object: storage unavailable")
)

// Metadata is what S3 stores with an object besides its bytes.
type Metadata struct {
	ContentType        string `json:"contentType,omitempty"`
	ContentEncoding    string `json:"contentEncoding,omitempty"`
	ContentDisposition string `json:"contentDisposition,omitempty"`
	ContentLanguage    string `json:"contentLanguage,omitempty"`
	CacheControl       string `json:"cacheControl,omitempty"`
	Expires            string `json:"expires,omitempty"`
	// User holds x-amz-meta-* values keyed by the lower-case name without
	// the "x-amz-meta-" prefix.
	User map[string]string `json:"user,omitempty"`
	// Checksum is the object's additional checksum (for an upload: the
	// algorithm and type asked for), if any.
	Checksum Checksum `json:"checksum,omitzero"`
	// Tags is the object's tag set (x-amz-tagging, PutObjectTagging).
	Tags []Tag `json:"tags,omitempty"`
	// Lock is the version's Object Lock state (objectlock.go).
	Lock ObjectLock `json:"lock,omitzero"`
	// Encryption is set when the S3 layer stored the object encrypted.
	Encryption *Encryption `json:"encryption,omitempty"`
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket  string
	Key     string
	Size    int64
	ETag    string // hex MD5, or "<hex>-<N>" for multipart; no quotes
	ModTime time.Time
	// VersionID is the object's version ("null" for the null version), ""
	// where the backend keeps no versions (see Versioned).
	VersionID string
	Metadata
	// Parts describes the parts of an object made by
	// CompleteMultipartUpload, in order; nil for any other object.
	Parts []ObjectPart
}

// PutOptions tune PutObject and CreateMultipartUpload.
type PutOptions struct {
	Metadata Metadata
	// Size is the exact body length, or -1 when unknown. A body longer than
	// Size fails with ErrTooLarge, a shorter one with ErrIncompleteBody.
	Size int64
	// MD5, when set, is the expected digest of the body (Content-MD5).
	MD5 []byte
	// Checksum, when set, is called once the body has been read to its
	// end and before anything is committed. Its result is stored with the
	// object (replacing Metadata.Checksum) or the part (as
	// PartInfo.Checksum); an error aborts the write with nothing stored.
	Checksum func() (Checksum, error)
	// IfMatch and IfNoneMatch are write conditions (an ETag list, or
	// "*"): write only if the current object's ETag is in IfMatch, and
	// only if there is no current object or its ETag is not in
	// IfNoneMatch. A ConditionalWriter (versioning.go) checks them
	// atomically with the write; other backends must not be given them.
	IfMatch     string
	IfNoneMatch string
	// Versioning is the bucket's versioning state, applied by a Versioned
	// backend.
	Versioning Versioning
}

// Range selects bytes of an object, as an HTTP Range header does.
// Exactly one form is used: Suffix > 0 means the last Suffix bytes;
// otherwise bytes First..Last inclusive, with Last = -1 meaning to the end.
type Range struct {
	First, Last int64
	Suffix      int64
}

// GetOptions tune GetObject.
type GetOptions struct {
	Range *Range // nil: the whole object
}

// Reader is an open object body.
type Reader struct {
	io.ReadCloser
	Info ObjectInfo
	// Offset and Length are the resolved byte range the body yields.
	Offset, Length int64
}

// ListOptions tune ListObjects.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// After lists only keys (and common prefixes) greater than After.
	After   string
	MaxKeys int // at most this many objects plus common prefixes; 0 means 1000
}

// ListResult is a page of ListObjects.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextAfter is the last key or common prefix returned, to pass as
	// ListOptions.After for the next page.
	NextAfter string
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	PartNumber int
	ETag       string // hex MD5, no quotes
	Size       int64
	ModTime    time.Time
	// Checksum is the part's checksum (Algorithm and Value), if it was
	// given one.
	Checksum Checksum
}

// CompletePart names a part in CompleteMultipartUpload.
type CompletePart struct {
	PartNumber int
	ETag       string // with or without quotes
}

// Upload describes an in-progress multipart upload.
type Upload struct {
	Bucket, Key string
	UploadID    string
	Initiated   time.Time
	Metadata    Metadata
}

// ListPartsOptions tune ListParts.
type ListPartsOptions struct {
	PartNumberMarker int
	MaxParts         int // 0 means 1000
}

// ListPartsResult is a page of ListParts.
type ListPartsResult struct {
	Upload
	Parts                []PartInfo
	IsTruncated          bool
	NextPartNumberMarker int
}

// ListUploadsOptions tune ListMultipartUploads.
type ListUploadsOptions struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int // 0 means 1000
}

// ListUploadsResult is a page of ListMultipartUploads.
type ListUploadsResult struct {
	Uploads            []Upload
	CommonPrefixes     []string
	IsTruncated        bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// Backend stores buckets and objects. Every method takes ctx first and is
// safe for concurrent use.
type Backend interface {
	ListBuckets(ctx context.Context) ([]BucketInfo, error)
	CreateBucket(ctx context.Context, bucket string) error
	HeadBucket(ctx context.Context, bucket string) (BucketInfo, error)
	// DeleteBucket removes an empty bucket (ErrBucketNotEmpty otherwise).
	DeleteBucket(ctx context.Context, bucket string) error

	// PutObject stores body under key atomically, replacing any object there.
	// A key ending in "/" with an empty body is a folder marker.
	PutObject(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error)
	// GetObject opens an object; the caller closes Reader.
	GetObject(ctx context.Context, bucket, key string, opts GetOptions) (*Reader, error)
	HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// DeleteObject removes an object; a missing key is not an error (S3 semantics),
	// but a missing bucket is.
	DeleteObject(ctx context.Context, bucket, key string) error
	// ListObjects lists keys in ascending byte order.
	ListObjects(ctx context.Context, bucket string, opts ListOptions) (ListResult, error)

	CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (uploadID string, err error)
	// UploadPart stores one part (opts.Metadata is ignored).
	UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, opts PutOptions) (PartInfo, error)
	ListParts(ctx context.Context, bucket, key, uploadID string, opts ListPartsOptions) (ListPartsResult, error)
	// CompleteMultipartUpload assembles the parts atomically; the ETag is the
	// hex MD5 of the concatenated binary part MD5s, "-", the part count.
	// The object records its part layout (ObjectInfo.Parts) and, when the
	// upload has a checksum algorithm, the MultipartChecksum of its parts.
	// A backend may answer a retry of a completion that succeeded with the
	// object it made, as S3 does, instead of ErrUploadNotFound.
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart) (ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListMultipartUploads(ctx context.Context, bucket string, opts ListUploadsOptions) (ListUploadsResult, error)

	// PutBucketPolicy stores the policy document as given (validation is the caller's).
	PutBucketPolicy(ctx context.Context, bucket string, policy []byte) error
	GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error)
	DeleteBucketPolicy(ctx context.Context, bucket string) error
}
