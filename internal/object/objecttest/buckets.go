package objecttest

import (
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

func bucketTests() []subtest {
	return []subtest{
		{"Bucket/CreateHead", testBucketCreateHead},
		{"Bucket/List", testBucketList},
		{"Bucket/Delete", testBucketDelete},
		{"Bucket/DeleteNotEmpty", testBucketDeleteNotEmpty},
		{"Bucket/DeleteWithUploads", testBucketDeleteWithUploads},
		{"Bucket/MissingEverywhere", testBucketMissingEverywhere},
	}
}

func testBucketCreateHead(t *testing.T, b object.Backend) {
	ctx := t.Context()
	start := time.Now()
	newBucket(t, b, "alpha")
	info, err := b.HeadBucket(ctx, "alpha")
	if err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	if info.Name != "alpha" {
		t.Errorf("HeadBucket name = %q", info.Name)
	}
	if info.Created.IsZero() || info.Created.Before(start.Add(-time.Hour)) {
		t.Errorf("HeadBucket created = %v, want about %v", info.Created, start)
	}
	wantErr(t, b.CreateBucket(ctx, "alpha"), object.ErrBucketExists, "CreateBucket twice")
	_, err = b.HeadBucket(ctx, "beta")
	wantErr(t, err, object.ErrBucketNotFound, "HeadBucket(missing)")
}

func testBucketList(t *testing.T, b object.Backend) {
	ctx := t.Context()
	buckets, err := b.ListBuckets(ctx)
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if len(buckets) != 0 {
		t.Fatalf("ListBuckets on a new backend = %v, want none", buckets)
	}
	newBucket(t, b, "charlie", "alpha", "bravo-2", "bravo")
	buckets, err = b.ListBuckets(ctx)
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, bk := range buckets {
		names = append(names, bk.Name)
		if bk.Created.IsZero() {
			t.Errorf("bucket %q has no creation time", bk.Name)
		}
	}
	want := []string{"alpha", "bravo", "bravo-2", "charlie"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("ListBuckets = %v, want %v", names, want)
	}
}

func testBucketDelete(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b, "alpha", "bravo")
	if err := b.DeleteBucket(ctx, "alpha"); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err := b.HeadBucket(ctx, "alpha")
	wantErr(t, err, object.ErrBucketNotFound, "HeadBucket after delete")
	wantErr(t, b.DeleteBucket(ctx, "alpha"), object.ErrBucketNotFound, "DeleteBucket twice")
	buckets, err := b.ListBuckets(ctx)
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	if len(buckets) != 1 || buckets[0].Name != "bravo" {
		t.Fatalf("ListBuckets after delete = %v, want [bravo]", buckets)
	}
	newBucket(t, b, "alpha")
	if _, err := b.HeadBucket(ctx, "alpha"); err != nil {
		t.Fatalf("HeadBucket after re-create: %v", err)
	}
}

func testBucketDeleteNotEmpty(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	for _, key := range []string{"k", "a/b/c", "dir/"} {
		put(t, b, key, "")
		wantErr(t, b.DeleteBucket(ctx, testBucket), object.ErrBucketNotEmpty, "DeleteBucket with %q", key)
		if err := b.DeleteObject(ctx, testBucket, key); err != nil {
			t.Fatalf("DeleteObject(%q): %v", key, err)
		}
	}
	// Only now-empty prefixes remain: the bucket is empty.
	if err := b.DeleteBucket(ctx, testBucket); err != nil {
		t.Fatalf("DeleteBucket of an emptied bucket: %v", err)
	}
}

// testBucketDeleteWithUploads checks that in-progress multipart uploads do
// not block DeleteBucket and vanish with the bucket, as does its policy.
func testBucketDeleteWithUploads(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	id, err := b.CreateMultipartUpload(ctx, testBucket, "big", object.PutOptions{})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	if _, err := b.UploadPart(ctx, testBucket, "big", id, 1, strings.NewReader("part"), object.PutOptions{Size: 4}); err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	if err := b.PutBucketPolicy(ctx, testBucket, []byte(`{"Version":"2012-10-17"}`)); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if err := b.DeleteBucket(ctx, testBucket); err != nil {
		t.Fatalf("DeleteBucket with only an upload: %v", err)
	}
	newBucket(t, b)
	res, err := b.ListMultipartUploads(ctx, testBucket, object.ListUploadsOptions{})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	if len(res.Uploads) != 0 {
		t.Fatalf("re-created bucket has uploads %v", res.Uploads)
	}
	_, err = b.ListParts(ctx, testBucket, "big", id, object.ListPartsOptions{})
	wantErr(t, err, object.ErrUploadNotFound, "ListParts of an upload of a deleted bucket")
	_, err = b.GetBucketPolicy(ctx, testBucket)
	wantErr(t, err, object.ErrNoSuchBucketPolicy, "GetBucketPolicy of a re-created bucket")
}

func testBucketMissingEverywhere(t *testing.T, b object.Backend) {
	ctx := t.Context()
	const missing = "no-such-bucket"
	newBucket(t, b) // another bucket exists
	body := func() *strings.Reader { return strings.NewReader("x") }
	const id = "0000000000000000AAAAAAAAAAAAAAAAAAAAAAAAAA"
	ops := map[string]func() error{
		"HeadBucket":   func() error { _, err := b.HeadBucket(ctx, missing); return err },
		"DeleteBucket": func() error { return b.DeleteBucket(ctx, missing) },
		"PutObject": func() error {
			_, err := b.PutObject(ctx, missing, "k", body(), object.PutOptions{Size: 1})
			return err
		},
		"GetObject": func() error {
			r, err := b.GetObject(ctx, missing, "k", object.GetOptions{})
			if err == nil {
				r.Close()
			}
			return err
		},
		"HeadObject":   func() error { _, err := b.HeadObject(ctx, missing, "k"); return err },
		"DeleteObject": func() error { return b.DeleteObject(ctx, missing, "k") },
		"ListObjects":  func() error { _, err := b.ListObjects(ctx, missing, object.ListOptions{}); return err },
		"CreateMultipartUpload": func() error {
			_, err := b.CreateMultipartUpload(ctx, missing, "k", object.PutOptions{})
			return err
		},
		"UploadPart": func() error {
			_, err := b.UploadPart(ctx, missing, "k", id, 1, body(), object.PutOptions{Size: 1})
			return err
		},
		"ListParts": func() error {
			_, err := b.ListParts(ctx, missing, "k", id, object.ListPartsOptions{})
			return err
		},
		"CompleteMultipartUpload": func() error {
			_, err := b.CompleteMultipartUpload(ctx, missing, "k", id, []object.CompletePart{{PartNumber: 1, ETag: emptyETag}})
			return err
		},
		"AbortMultipartUpload": func() error { return b.AbortMultipartUpload(ctx, missing, "k", id) },
		"ListMultipartUploads": func() error {
			_, err := b.ListMultipartUploads(ctx, missing, object.ListUploadsOptions{})
			return err
		},
		"PutBucketPolicy":    func() error { return b.PutBucketPolicy(ctx, missing, []byte("{}")) },
		"GetBucketPolicy":    func() error { _, err := b.GetBucketPolicy(ctx, missing); return err },
		"DeleteBucketPolicy": func() error { return b.DeleteBucketPolicy(ctx, missing) },
	}
	for name, op := range ops {
		wantErr(t, op(), object.ErrBucketNotFound, "%s on a missing bucket", name)
	}
	// Nothing above may have created the bucket.
	_, err := b.HeadBucket(ctx, missing)
	wantErr(t, err, object.ErrBucketNotFound, "HeadBucket after all operations")
}
