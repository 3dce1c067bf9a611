package objecttest

import (
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func configTests() []subtest {
	return []subtest{
		{"Config/PutGetDelete", testConfigPutGetDelete},
		{"Config/CORSDocument", testConfigCORSDocument},
	}
}

// testConfigPutGetDelete checks the optional BucketConfigs contract: named
// documents per bucket, independent of each other and of other buckets,
// gone with their bucket.
func testConfigPutGetDelete(t *testing.T, b object.Backend) {
	cb, ok := b.(object.BucketConfigs)
	if !ok {
		t.Skip("backend has no bucket configurations")
	}
	ctx := t.Context()
	newBucket(t, b, testBucket, "other-bucket")
	_, err := cb.GetBucketConfig(ctx, testBucket, object.ConfigTagging)
	wantErr(t, err, object.ErrNoSuchBucketConfig, "GetBucketConfig before any")
	_, err = cb.GetBucketConfig(ctx, "no-such-bucket", object.ConfigTagging)
	wantErr(t, err, object.ErrBucketNotFound, "GetBucketConfig of a missing bucket")
	err = cb.PutBucketConfig(ctx, "no-such-bucket", object.ConfigTagging, []byte("x"))
	wantErr(t, err, object.ErrBucketNotFound, "PutBucketConfig of a missing bucket")
	if err := cb.PutBucketConfig(ctx, testBucket, "../escape", []byte("x")); err == nil {
		t.Fatal("PutBucketConfig with name ../escape succeeded")
	}
	docs := map[string]string{object.ConfigTagging: "<Tagging/>", object.ConfigCORS: "<CORSConfiguration/>"}
	for name, doc := range docs {
		if err := cb.PutBucketConfig(ctx, testBucket, name, []byte(doc)); err != nil {
			t.Fatalf("PutBucketConfig %s: %v", name, err)
		}
	}
	for name, doc := range docs {
		got, err := cb.GetBucketConfig(ctx, testBucket, name)
		if err != nil || string(got) != doc {
			t.Fatalf("GetBucketConfig %s = %q, %v; want %q", name, got, err, doc)
		}
	}
	_, err = cb.GetBucketConfig(ctx, "other-bucket", object.ConfigTagging)
	wantErr(t, err, object.ErrNoSuchBucketConfig, "GetBucketConfig of another bucket")
	if err := cb.PutBucketConfig(ctx, testBucket, object.ConfigTagging, []byte("<Tagging>2</Tagging>")); err != nil {
		t.Fatalf("PutBucketConfig again: %v", err)
	}
	if got, _ := cb.GetBucketConfig(ctx, testBucket, object.ConfigTagging); string(got) != "<Tagging>2</Tagging>" {
		t.Fatalf("GetBucketConfig after replace = %q", got)
	}
	if err := cb.DeleteBucketConfig(ctx, testBucket, object.ConfigTagging); err != nil {
		t.Fatalf("DeleteBucketConfig: %v", err)
	}
	_, err = cb.GetBucketConfig(ctx, testBucket, object.ConfigTagging)
	wantErr(t, err, object.ErrNoSuchBucketConfig, "GetBucketConfig after delete")
	if err := cb.DeleteBucketConfig(ctx, testBucket, object.ConfigTagging); err != nil {
		t.Fatalf("DeleteBucketConfig of a missing one: %v", err)
	}
	if got, err := cb.GetBucketConfig(ctx, testBucket, object.ConfigCORS); err != nil || string(got) != docs[object.ConfigCORS] {
		t.Fatalf("the other document after delete = %q, %v", got, err)
	}
	// Documents go with their bucket.
	if err := cb.PutBucketConfig(ctx, "other-bucket", object.ConfigCORS, []byte("x")); err != nil {
		t.Fatalf("PutBucketConfig: %v", err)
	}
	if err := b.DeleteBucket(ctx, "other-bucket"); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	newBucket(t, b, "other-bucket")
	_, err = cb.GetBucketConfig(ctx, "other-bucket", object.ConfigCORS)
	wantErr(t, err, object.ErrNoSuchBucketConfig, "GetBucketConfig of a re-created bucket")
}
