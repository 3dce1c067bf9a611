package objecttest

import (
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func policyTests() []subtest {
	return []subtest{
		{"Policy/PutGetDelete", testPolicyPutGetDelete},
	}
}

func testPolicyPutGetDelete(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b, testBucket, "other-bucket")
	_, err := b.GetBucketPolicy(ctx, testBucket)
	wantErr(t, err, object.ErrNoSuchBucketPolicy, "GetBucketPolicy before any")
	p1 := []byte(`{"Version":"2012-10-17","Statement":[]}`)
	p2 := []byte("not even JSON: stored as given")
	for _, p := range [][]byte{p1, p2} {
		if err := b.PutBucketPolicy(ctx, testBucket, p); err != nil {
			t.Fatalf("PutBucketPolicy: %v", err)
		}
		got, err := b.GetBucketPolicy(ctx, testBucket)
		if err != nil || string(got) != string(p) {
			t.Fatalf("GetBucketPolicy = %q, %v; want %q", got, err, p)
		}
	}
	_, err = b.GetBucketPolicy(ctx, "other-bucket")
	wantErr(t, err, object.ErrNoSuchBucketPolicy, "GetBucketPolicy of another bucket")
	if err := b.DeleteBucketPolicy(ctx, testBucket); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	_, err = b.GetBucketPolicy(ctx, testBucket)
	wantErr(t, err, object.ErrNoSuchBucketPolicy, "GetBucketPolicy after delete")
	if err := b.DeleteBucketPolicy(ctx, testBucket); err != nil {
		t.Fatalf("DeleteBucketPolicy without a policy: %v", err)
	}
	// The policy goes with its bucket.
	if err := b.PutBucketPolicy(ctx, "other-bucket", p1); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if err := b.DeleteBucket(ctx, "other-bucket"); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	newBucket(t, b, "other-bucket")
	_, err = b.GetBucketPolicy(ctx, "other-bucket")
	wantErr(t, err, object.ErrNoSuchBucketPolicy, "GetBucketPolicy of a re-created bucket")
}
