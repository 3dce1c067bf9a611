package object

import (
	"context"
	"errors"
	"time"
)

// NullVersionID is the version ID of an object written while its bucket's
// versioning was never enabled or is suspended.
const NullVersionID = "null"

// Versioning is a bucket's versioning state as the S3 layer passes it to
// the optional operations below: "" (never enabled), VersioningEnabled or
// VersioningSuspended. The S3 layer keeps it as the ConfigVersioning
// document; the backend only applies it.
type Versioning string

// Versioning states.
const (
	VersioningOff       Versioning = ""
	VersioningEnabled   Versioning = "Enabled"
	VersioningSuspended Versioning = "Suspended"
)

// Sentinels of conditional writes and versions.
var (
	// ErrPreconditionFailed is returned when PutOptions.IfMatch or
	// IfNoneMatch (or DeleteOptions.IfMatch) does not hold at the moment of
	// the write; nothing is written.
	ErrPreconditionFailed = errors.New("object: precondition failed")
	// ErrVersionNotFound is returned when a version ID names no version of
	// the key.
	ErrVersionNotFound = errors.New("object: version not found")
	// ErrInvalidVersionID is returned for a version ID that this backend
	// could never have issued.
	ErrInvalidVersionID = errors.New("object: invalid version id")
	// ErrDeleteMarker is the sentinel a *DeleteMarkerError matches: the
	// version read (or the latest one) is a delete marker.
	ErrDeleteMarker = errors.New("object: version is a delete marker")
)

// DeleteMarkerError is returned by GetObjectVersion and HeadObjectVersion
// when the version asked for (or, without a version ID, the latest
// version) is a delete marker. errors.Is(err, ErrDeleteMarker) holds.
type DeleteMarkerError struct {
	VersionID string
	ModTime   time.Time
}

func (e *DeleteMarkerError) Error() string {
	return "object: version " + e.VersionID + " is a delete marker"
}

// Is makes a *DeleteMarkerError match ErrDeleteMarker.
func (e *DeleteMarkerError) Is(target error) bool { return target == ErrDeleteMarker }

// ConditionalWriter is the optional part of a Backend that evaluates write
// conditions atomically with the write: its PutObject honours
// PutOptions.IfMatch and IfNoneMatch, checked against the key's current
// object while no other write of the key (by any process sharing the
// storage) can come in between. A Backend without it has every conditional
// write refused with 501 NotImplemented.
type ConditionalWriter interface {
	// CompleteMultipartUploadWith is CompleteMultipartUpload honouring
	// opts.IfMatch, opts.IfNoneMatch and opts.Versioning (opts.Metadata and
	// Size are ignored). A failed condition leaves the upload as it was.
	CompleteMultipartUploadWith(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, opts PutOptions) (ObjectInfo, error)
	// DeleteObjectWith is DeleteObject honouring opts. An IfMatch naming
	// a key with no current object succeeds with nothing done, as S3 does.
	DeleteObjectWith(ctx context.Context, bucket, key string, opts DeleteOptions) (DeleteResult, error)
}

// DeleteOptions tune DeleteObjectWith.
type DeleteOptions struct {
	// VersionID, when set, removes that version for good (a delete marker
	// included) instead of deleting the current object.
	VersionID string
	// Versioning is the bucket's versioning state: Enabled and Suspended
	// delete the current object by adding a delete marker.
	Versioning Versioning
	// IfMatch, IfMatchSize and IfMatchModTime, when set, delete only if
	// the target (the version named, else the latest version, a delete
	// marker included: no ETag, size 0) has an ETag in this If-Match
	// list, this size, this modification time to the second
	// (ErrPreconditionFailed otherwise). A key without any version
	// succeeds with nothing done.
	IfMatch        string
	IfMatchSize    *int64
	IfMatchModTime *time.Time
	// Allow, when set, is called with the info of the version that a
	// delete by VersionID would remove, under the key's lock; an error
	// refuses the delete and is returned.
	Allow func(ObjectInfo) error
}

// DeleteResult says what a delete did.
type DeleteResult struct {
	// VersionID is the version removed, or the delete marker added.
	VersionID string
	// DeleteMarker is true when a delete marker was added or removed.
	DeleteMarker bool
}

// Versioned is the optional part of a Backend that keeps object versions.
// Its PutObject and CompleteMultipartUploadWith honour PutOptions.Versioning
// (Enabled: the current object becomes a noncurrent version and the new
// one gets a fresh version ID; Suspended: the new one is the "null"
// version, replacing any other), and DeleteObjectWith honours VersionID and
// Versioning. A Backend without it has ?versions, ?versionId and
// PutBucketVersioning Enabled answered with 501 NotImplemented.
type Versioned interface {
	ConditionalWriter
	// GetObjectVersion opens the given version of key; versionID ""
	// means the latest. A delete marker yields a *DeleteMarkerError.
	GetObjectVersion(ctx context.Context, bucket, key, versionID string, opts GetOptions) (*Reader, error)
	// HeadObjectVersion describes the given version, as GetObjectVersion.
	HeadObjectVersion(ctx context.Context, bucket, key, versionID string) (ObjectInfo, error)
	// ListObjectVersions lists every version and delete marker, by key
	// and, within a key, newest first.
	ListObjectVersions(ctx context.Context, bucket string, opts ListVersionsOptions) (ListVersionsResult, error)
}

// ListVersionsOptions tune ListObjectVersions.
type ListVersionsOptions struct {
	Prefix    string
	Delimiter string
	// KeyMarker and VersionIDMarker resume a listing: versions of
	// KeyMarker older than VersionIDMarker (none when it is ""), then the
	// keys after KeyMarker.
	KeyMarker       string
	VersionIDMarker string
	MaxKeys         int // versions plus common prefixes; 0 means 1000
}

// ObjectVersion is one entry of ListObjectVersions.
type ObjectVersion struct {
	ObjectInfo // VersionID set ("null" for the null version)
	IsLatest   bool
	// DeleteMarker is true for a delete marker (Size and ETag are zero).
	DeleteMarker bool
}

// ListVersionsResult is a page of ListObjectVersions.
type ListVersionsResult struct {
	Versions            []ObjectVersion
	CommonPrefixes      []string
	IsTruncated         bool
	NextKeyMarker       string
	NextVersionIDMarker string
}
