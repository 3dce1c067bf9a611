package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// readVersion returns the body of a version of key ("" for the latest).
func readVersion(t *testing.T, c *s3.Client, bucket, key, id string) []byte {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if id != "" {
		in.VersionId = &id
	}
	out, err := c.GetObject(context.Background(), in)
	if err != nil {
		t.Fatalf("GetObject %s version %q: %v", key, id, err)
	}
	defer out.Body.Close()
	data, _ := io.ReadAll(out.Body)
	return data
}

// responseHeader returns a header of the HTTP response behind err.
func responseHeader(err error, name string) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// TestVersioning walks through a versioned key's life with the AWS SDK:
// version IDs, reads by version, delete markers, permanent deletes and
// ListObjectVersions.
func TestVersioning(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	t.Cleanup(func() { removeVersions(ctx, c, bucket) })

	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
	if err != nil || v.Status != "" {
		t.Fatalf("GetBucketVersioning of a new bucket = %q, %v; want no status", v.Status, err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled, MFADelete: types.MFADeleteEnabled}})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	if v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket}); err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("GetBucketVersioning = %q, %v; want Enabled", v.Status, err)
	}

	p1 := putObject(t, c, bucket, "k", []byte("one"))
	p2 := putObject(t, c, bucket, "k", []byte("two"))
	id1, id2 := aws.ToString(p1.VersionId), aws.ToString(p2.VersionId)
	if id1 == "" || id1 == id2 {
		t.Fatalf("version IDs %q and %q", id1, id2)
	}
	if got := readVersion(t, c, bucket, "k", id1); string(got) != "one" {
		t.Fatalf("version 1 = %q", got)
	}
	if got := readVersion(t, c, bucket, "k", ""); string(got) != "two" {
		t.Fatalf("latest = %q", got)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("k"), VersionId: aws.String("0123456789abcdef0123456789abcdef")})
	expectError(t, err, "NoSuchVersion", http.StatusNotFound)

	// Copy an old version.
	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/k?versionId=" + id1)})
	if err != nil || aws.ToString(cp.CopySourceVersionId) != id1 || aws.ToString(cp.VersionId) == "" {
		t.Fatalf("CopyObject of version 1 = %+v, %v", cp, err)
	}
	if got := readVersion(t, c, bucket, "copy", ""); string(got) != "one" {
		t.Fatalf("copy = %q", got)
	}

	// A delete adds a marker; the key reads as missing, the marker is 405.
	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("DeleteObject = %+v, %v; want a delete marker", del, err)
	}
	marker := aws.ToString(del.VersionId)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("k")})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
	if h := responseHeader(err, "X-Amz-Delete-Marker"); h != "true" {
		t.Errorf("x-amz-delete-marker on GET of a deleted key = %q", h)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("k"), VersionId: &marker})
	expectError(t, err, "MethodNotAllowed", http.StatusMethodNotAllowed)

	list, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: aws.String("k")})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	if len(list.DeleteMarkers) != 1 || aws.ToString(list.DeleteMarkers[0].VersionId) != marker || !aws.ToBool(list.DeleteMarkers[0].IsLatest) {
		t.Fatalf("delete markers %+v", list.DeleteMarkers)
	}
	if len(list.Versions) != 2 || aws.ToString(list.Versions[0].VersionId) != id2 || aws.ToString(list.Versions[1].VersionId) != id1 {
		t.Fatalf("versions %+v", list.Versions)
	}

	// Removing the marker brings "two" back; removing it, "one".
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("k"), VersionId: &marker}); err != nil {
		t.Fatal(err)
	}
	if got := readVersion(t, c, bucket, "k", ""); string(got) != "two" {
		t.Fatalf("latest after removing the marker = %q", got)
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k"), VersionId: &id2}}}})
	if err != nil || len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].VersionId) != id2 {
		t.Fatalf("DeleteObjects of version 2 = %+v, %v", out, err)
	}
	if got := readVersion(t, c, bucket, "k", ""); string(got) != "one" {
		t.Fatalf("latest after removing version 2 = %q", got)
	}

	// Suspended: writes replace the null version.
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{"null 1", "null 2"} {
		// S3 reports no version ID for the null version it writes.
		if p := putObject(t, c, bucket, "k", []byte(data)); p.VersionId != nil {
			t.Fatalf("suspended put version %q, want none", aws.ToString(p.VersionId))
		}
	}
	list, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: aws.String("k")})
	if err != nil || len(list.Versions) != 2 || aws.ToString(list.Versions[0].VersionId) != "null" || aws.ToString(list.Versions[1].VersionId) != id1 {
		t.Fatalf("versions after suspended writes %+v, %v", list.Versions, err)
	}
}

// TestObjectLock checks retention and legal hold on a bucket created with
// Object Lock: locked versions cannot be deleted for good, GOVERNANCE
// yields to the bypass header, a delete without version ID adds a marker.
func TestObjectLock(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	plain := newBucket(t, ep)
	_, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &plain})
	expectError(t, err, "ObjectLockConfigurationNotFoundError", http.StatusNotFound)
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &plain,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled}})
	expectError(t, err, "InvalidBucketState", http.StatusConflict)

	bucket := uniqueBucket()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeVersions(ctx, c, bucket) })
	if v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket}); err != nil || v.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning of an Object Lock bucket = %q, %v", v.Status, err)
	}
	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	expectError(t, err, "InvalidBucketState", http.StatusConflict)
	_, err = c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &bucket,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(0)}}}})
	expectError(t, err, "InvalidRetentionPeriod", http.StatusBadRequest)
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: &bucket,
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}); err != nil {
		t.Fatalf("PutObjectLockConfiguration: %v", err)
	}

	// The default retention applies to a new version.
	p := putObject(t, c, bucket, "k", []byte("kept"))
	id := aws.ToString(p.VersionId)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("k")})
	if err != nil || head.ObjectLockMode != types.ObjectLockModeGovernance || head.ObjectLockRetainUntilDate == nil {
		t.Fatalf("HeadObject lock = %q %v, %v", head.ObjectLockMode, head.ObjectLockRetainUntilDate, err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("k"), VersionId: &id})
	expectError(t, err, "AccessDenied", http.StatusForbidden)

	// Shortening GOVERNANCE needs the bypass; COMPLIANCE cannot be shortened.
	later := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if _, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &bucket, Key: aws.String("k"),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &later}}); err != nil {
		t.Fatalf("extending retention: %v", err)
	}
	sooner := later.Add(-time.Hour)
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &bucket, Key: aws.String("k"),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &sooner}})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &bucket, Key: aws.String("k"), BypassGovernanceRetention: aws.Bool(true),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &sooner}}); err != nil {
		t.Fatalf("shortening with bypass: %v", err)
	}
	r, err := c.GetObjectRetention(ctx, &s3.GetObjectRetentionInput{Bucket: &bucket, Key: aws.String("k")})
	if err != nil || !r.Retention.RetainUntilDate.Equal(sooner) {
		t.Fatalf("GetObjectRetention = %+v, %v; want until %v", r.Retention, err, sooner)
	}

	// A legal hold blocks even a bypassing delete.
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: &bucket, Key: aws.String("k"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOn}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("k"), VersionId: &id, BypassGovernanceRetention: aws.Bool(true)})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := c.PutObjectLegalHold(ctx, &s3.PutObjectLegalHoldInput{Bucket: &bucket, Key: aws.String("k"),
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatal(err)
	}
	// Without a version ID a delete only adds a marker.
	if d, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("k")}); err != nil || !aws.ToBool(d.DeleteMarker) {
		t.Fatalf("DeleteObject = %+v, %v; want a delete marker", d, err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("k"), VersionId: &id, BypassGovernanceRetention: aws.Bool(true)}); err != nil {
		t.Fatalf("bypassing delete: %v", err)
	}

	// COMPLIANCE yields to nothing.
	until := time.Now().Add(time.Hour)
	p = putObject(t, c, bucket, "c", []byte("x"), func(in *s3.PutObjectInput) {
		in.ObjectLockMode, in.ObjectLockRetainUntilDate = types.ObjectLockModeCompliance, &until
	})
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("c"), VersionId: p.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = c.PutObjectRetention(ctx, &s3.PutObjectRetentionInput{Bucket: &bucket, Key: aws.String("c"), BypassGovernanceRetention: aws.Bool(true),
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeGovernance, RetainUntilDate: &until}})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
}

// removeVersions deletes every version of a bucket (bypassing GOVERNANCE)
// and then the bucket, best effort.
func removeVersions(ctx context.Context, c *s3.Client, bucket string) {
	for range 100 {
		list, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket})
		if err != nil || len(list.Versions)+len(list.DeleteMarkers) == 0 {
			break
		}
		for _, v := range list.Versions {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: v.Key, VersionId: v.VersionId, BypassGovernanceRetention: aws.Bool(true)})
		}
		for _, m := range list.DeleteMarkers {
			_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: m.Key, VersionId: m.VersionId})
		}
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
}
