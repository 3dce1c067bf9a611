package object

import "context"

// Tag is one key-value pair of an object's tag set. Order is kept as
// given, so a tag set reads back as it was written.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// ObjectTagger is the optional part of a Backend that replaces the tags
// of an existing object (Metadata.Tags) without rewriting its data: the
// object's bytes, ETag and modification time stay, and the change is
// atomic (a reader sees the old tag set or the new one, even across a
// crash). PutObject, CopyObject and multipart uploads set tags through
// PutOptions.Metadata whether or not a Backend has it; a Backend without it
// makes PutObjectTagging and DeleteObjectTagging answer 501 NotImplemented.
type ObjectTagger interface {
	// PutObjectTags replaces key's tags with tags (nil removes them all).
	// A missing object is ErrObjectNotFound.
	PutObjectTags(ctx context.Context, bucket, key string, tags []Tag) error
}
