package object

import "context"

// Encryption modes recorded in Encryption.Mode.
const (
	SSES3  = "SSE-S3"
	SSEKMS = "SSE-KMS" // sealed by a named master key (docs/ENCRYPTION.md)
	SSEC   = "SSE-C"
)

// Encryption describes how the S3 layer encrypted an object's stored bytes
// (internal/sse, docs/ENCRYPTION.md). Backends store it with the object and
// its multipart upload as given, never interpret it, and report the stored
// (encrypted) size and ETag as for any object.
type Encryption struct {
	// Mode is SSES3, SSEKMS or SSEC.
	Mode string `json:"mode"`
	// MasterKeyID names the master key that sealed DataKey (SSE-S3, SSE-KMS).
	MasterKeyID string `json:"masterKeyId,omitempty"`
	// DataKey is the object's data key, sealed (never in clear).
	DataKey string `json:"dataKey"`
	// CustomerKeyMD5 is the base64 MD5 of an SSE-C customer key, which S3
	// echoes in responses (the key itself is never stored).
	CustomerKeyMD5 string `json:"customerKeyMd5,omitempty"`
	// Size is the plaintext size, or -1 while unknown (an upload, or an
	// object completed but not yet described: the S3 layer then reads the
	// sizes from the data).
	Size int64 `json:"size"`
	// Parts, when set, are the plaintext sizes of the segments of a
	// completed multipart upload (one per part), so that a range finds
	// its parts without reading every part's header.
	Parts []int64 `json:"parts,omitempty"`
	// ETag, when set, is the ETag to report instead of the stored one
	// (the hex MD5 of the plaintext for SSE-S3).
	ETag string `json:"etag,omitempty"`
}

// MetadataUpdater is the optional part of a Backend that replaces the
// metadata of an existing object in place, without rewriting its data.
// The S3 layer uses it to record what it learns only once the data is
// written (the plaintext digest and size of an encrypted object); without
// it those are derived again on each read.
type MetadataUpdater interface {
	// UpdateMetadata replaces the metadata of the object at key if its
	// ETag is still etag; otherwise (the object was replaced or removed
	// meanwhile) it changes nothing and returns ErrObjectNotFound.
	UpdateMetadata(ctx context.Context, bucket, key, etag string, meta Metadata) error
}

// UploadDescriber is the optional part of a Backend that describes one
// multipart upload cheaply (ListParts would do, listing its parts too).
type UploadDescriber interface {
	// GetUpload returns the upload, or ErrUploadNotFound.
	GetUpload(ctx context.Context, bucket, key, uploadID string) (Upload, error)
}
