package objecttest

import (
	"slices"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func taggingTests() []subtest {
	return []subtest{
		{"Tagging/PutWithTags", testTaggingPutWithTags},
		{"Tagging/Replace", testTaggingReplace},
	}
}

// testTaggingPutWithTags checks that tags given to PutObject and
// CreateMultipartUpload come back, in order, from HeadObject and GetObject.
func testTaggingPutWithTags(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b, testBucket)
	tags := []object.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: ""}}
	putOpts(t, b, "k", "data", object.PutOptions{Metadata: object.Metadata{Tags: tags}, Size: 4})
	info, err := b.HeadObject(ctx, testBucket, "k")
	if err != nil || !slices.Equal(info.Tags, tags) {
		t.Fatalf("HeadObject tags = %v, %v; want %v", info.Tags, err, tags)
	}
	rd, err := b.GetObject(ctx, testBucket, "k", object.GetOptions{})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	rd.Close()
	if !slices.Equal(rd.Info.Tags, tags) {
		t.Fatalf("GetObject tags = %v; want %v", rd.Info.Tags, tags)
	}
	id, err := b.CreateMultipartUpload(ctx, testBucket, "mp", object.PutOptions{Metadata: object.Metadata{Tags: tags}})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	p, err := b.UploadPart(ctx, testBucket, "mp", id, 1, strings.NewReader("x"), object.PutOptions{Size: 1})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	if _, err := b.CompleteMultipartUpload(ctx, testBucket, "mp", id, []object.CompletePart{{PartNumber: 1, ETag: p.ETag}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if info, err := b.HeadObject(ctx, testBucket, "mp"); err != nil || !slices.Equal(info.Tags, tags) {
		t.Fatalf("multipart object tags = %v, %v; want %v", info.Tags, err, tags)
	}
}

// testTaggingReplace checks the optional ObjectTagger: tags replaced
// without touching the data, ETag or modification time; removed with nil;
// a missing object or bucket is an error.
func testTaggingReplace(t *testing.T, b object.Backend) {
	tb, ok := b.(object.ObjectTagger)
	if !ok {
		t.Skip("backend cannot replace tags")
	}
	ctx := t.Context()
	newBucket(t, b, testBucket)
	before := putOpts(t, b, "dir/k", "data", object.PutOptions{Size: 4, Metadata: object.Metadata{ContentType: "text/x", Tags: []object.Tag{{Key: "old", Value: "1"}}}})
	tags := []object.Tag{{Key: "z", Value: "26"}, {Key: "y", Value: "25"}}
	if err := tb.PutObjectTags(ctx, testBucket, "dir/k", tags); err != nil {
		t.Fatalf("PutObjectTags: %v", err)
	}
	info, err := b.HeadObject(ctx, testBucket, "dir/k")
	if err != nil || !slices.Equal(info.Tags, tags) {
		t.Fatalf("tags after PutObjectTags = %v, %v; want %v", info.Tags, err, tags)
	}
	if info.ETag != before.ETag || !info.ModTime.Equal(before.ModTime) || info.Size != 4 || info.ContentType != "text/x" {
		t.Fatalf("PutObjectTags changed the object: %+v, was %+v", info, before)
	}
	if got, _ := get(t, b, "dir/k", nil); got != "data" {
		t.Fatalf("data after PutObjectTags = %q", got)
	}
	if err := tb.PutObjectTags(ctx, testBucket, "dir/k", nil); err != nil {
		t.Fatalf("PutObjectTags(nil): %v", err)
	}
	if info, _ := b.HeadObject(ctx, testBucket, "dir/k"); len(info.Tags) != 0 {
		t.Fatalf("tags after removal = %v", info.Tags)
	}
	// A folder marker has tags too.
	putOpts(t, b, "folder/", "", object.PutOptions{Size: 0})
	if err := tb.PutObjectTags(ctx, testBucket, "folder/", tags); err != nil {
		t.Fatalf("PutObjectTags of a folder marker: %v", err)
	}
	if info, err := b.HeadObject(ctx, testBucket, "folder/"); err != nil || !slices.Equal(info.Tags, tags) {
		t.Fatalf("folder marker tags = %v, %v", info.Tags, err)
	}
	wantErr(t, tb.PutObjectTags(ctx, testBucket, "missing", tags), object.ErrObjectNotFound, "PutObjectTags of a missing key")
	wantErr(t, tb.PutObjectTags(ctx, testBucket, "dir", tags), object.ErrObjectNotFound, "PutObjectTags of a prefix")
	wantErr(t, tb.PutObjectTags(ctx, "no-such-bucket", "k", tags), object.ErrBucketNotFound, "PutObjectTags in a missing bucket")
	// A later PutObject without tags drops them.
	if err := tb.PutObjectTags(ctx, testBucket, "dir/k", tags); err != nil {
		t.Fatalf("PutObjectTags: %v", err)
	}
	put(t, b, "dir/k", "new")
	if info, _ := b.HeadObject(ctx, testBucket, "dir/k"); len(info.Tags) != 0 {
		t.Fatalf("tags after overwrite = %v", info.Tags)
	}
}
