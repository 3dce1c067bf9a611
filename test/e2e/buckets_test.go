package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesame-s3/sesame/internal/config"
)

func TestBuckets(t *testing.T) {
	ep := testEndpoint(t)
	t.Run("ListBuckets", func(t *testing.T) { caseListBuckets(t, ep) })
	t.Run("CreateBucketInvalidName", func(t *testing.T) { caseCreateBucketInvalidName(t, ep) })
	t.Run("CreateBucketExisting", func(t *testing.T) { caseCreateBucketExisting(t, ep) })
	t.Run("HeadBucket", func(t *testing.T) { caseHeadBucket(t, ep) })
	t.Run("DeleteBucket", func(t *testing.T) { caseDeleteBucket(t, ep) })
	t.Run("GetBucketLocation", func(t *testing.T) { caseGetBucketLocation(t, ep) })
	t.Run("BucketPolicy", func(t *testing.T) { caseBucketPolicy(t, ep) })
	t.Run("NotImplemented", func(t *testing.T) { caseNotImplemented(t, ep) })
}

func caseListBuckets(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	before := time.Now().Add(-time.Minute)
	a, b := newBucket(t, ep), newBucket(t, ep)
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	found := map[string]bool{}
	var names []string
	for _, bk := range out.Buckets {
		name := aws.ToString(bk.Name)
		names = append(names, name)
		if name != a && name != b {
			continue
		}
		found[name] = true
		if bk.CreationDate == nil || bk.CreationDate.Before(before) || bk.CreationDate.After(time.Now().Add(time.Minute)) {
			t.Errorf("bucket %s: CreationDate = %v, want about now", name, bk.CreationDate)
		}
	}
	if !found[a] || !found[b] {
		t.Errorf("ListBuckets = %v, want it to include %s and %s", names, a, b)
	}
	if !slices.IsSorted(names) {
		t.Errorf("ListBuckets = %v, want names in ascending order", names)
	}
	if out.Owner == nil || aws.ToString(out.Owner.ID) == "" {
		t.Errorf("ListBuckets Owner = %+v, want an owner with an ID", out.Owner)
	}
}

func caseCreateBucketInvalidName(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	for _, name := range []string{
		"ab",
		"Upper",
		"-x",
		"a..b",
		"192.168.1.1",
		strings.Repeat("a", 64),
		"bucket-",
		"under_score",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
			expectError(t, err, "InvalidBucketName", http.StatusBadRequest)
			// Nothing was created.
			out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				t.Fatalf("ListBuckets: %v", err)
			}
			for _, b := range out.Buckets {
				if aws.ToString(b.Name) == name {
					t.Errorf("bucket %q was created despite the error", name)
				}
			}
		})
	}
	// The limits themselves are valid: 3 and 63 characters, dots and dashes inside.
	for _, name := range []string{"a" + uniqueBucket()[4:6], strings.Repeat("b", 51) + uniqueBucket()[4:], "a.b-" + uniqueBucket()} {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("CreateBucket(%q) (%d characters): %v", name, len(name), err)
			continue
		}
		t.Cleanup(func() { removeBucket(ctx, c, name) })
	}
}

func caseCreateBucketExisting(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	name := newBucket(t, ep)
	_, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name})
	expectError(t, err, "BucketAlreadyOwnedByYou", http.StatusConflict)
}

func caseHeadBucket(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	name := newBucket(t, ep)
	out, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &name})
	if err != nil {
		t.Fatalf("HeadBucket(existing): %v", err)
	}
	if got := aws.ToString(out.BucketRegion); got != ep.Region {
		t.Errorf("HeadBucket BucketRegion = %q, want %q", got, ep.Region)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(uniqueBucket())})
	if status := httpStatus(err); status != http.StatusNotFound {
		t.Errorf("HeadBucket(missing): status %d (err %v), want 404", status, err)
	}
}

func caseDeleteBucket(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()

	t.Run("NotEmpty", func(t *testing.T) {
		name := newBucket(t, ep)
		putObject(t, c, name, "dir/file", []byte("data"))
		_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &name})
		expectError(t, err, "BucketNotEmpty", http.StatusConflict)
		if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &name}); err != nil {
			t.Errorf("HeadBucket after refused delete: %v", err)
		}
		if got := getObject(t, c, name, "dir/file"); string(got) != "data" {
			t.Errorf("object after refused delete = %q, want %q", got, "data")
		}
	})
	t.Run("PendingUpload", func(t *testing.T) {
		// In-progress uploads do not keep a bucket alive (docs/STORAGE.md):
		// they go with it, and a re-created bucket does not inherit them.
		name := newBucket(t, ep)
		if _, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &name, Key: aws.String("pending")}); err != nil {
			t.Fatalf("CreateMultipartUpload: %v", err)
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &name}); err != nil {
			t.Fatalf("DeleteBucket with only a pending upload: %v", err)
		}
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
			t.Fatalf("CreateBucket again: %v", err)
		}
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &name})
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		if len(out.Uploads) != 0 {
			t.Errorf("re-created bucket lists %d uploads, want 0", len(out.Uploads))
		}
	})
	t.Run("Missing", func(t *testing.T) {
		_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(uniqueBucket())})
		expectError(t, err, "NoSuchBucket", http.StatusNotFound)
	})
	t.Run("Empty", func(t *testing.T) {
		name := newBucket(t, ep)
		putObject(t, c, name, "k", []byte("v"))
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &name, Key: aws.String("k")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
		if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &name}); err != nil {
			t.Fatalf("DeleteBucket(empty): %v", err)
		}
		_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &name})
		if status := httpStatus(err); status != http.StatusNotFound {
			t.Errorf("HeadBucket after delete: status %d (err %v), want 404", status, err)
		}
		// The name is free again.
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
			t.Errorf("CreateBucket after delete: %v", err)
		}
	})
}

func caseGetBucketLocation(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	name := newBucket(t, ep)
	out, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &name})
	if err != nil {
		t.Fatalf("GetBucketLocation: %v", err)
	}
	want := types.BucketLocationConstraint(ep.Region)
	if ep.Region == "us-east-1" {
		want = "" // S3 reports its classic region as an empty constraint.
	}
	if out.LocationConstraint != want {
		t.Errorf("LocationConstraint = %q, want %q", out.LocationConstraint, want)
	}
	_, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(uniqueBucket())})
	expectError(t, err, "NoSuchBucket", http.StatusNotFound)
}

// TestBuckets_LocationOtherRegion checks that a server configured for
// another region reports it (and accepts signatures scoped to it).
func TestBuckets_LocationOtherRegion(t *testing.T) {
	ep := startServer(t, func(c *config.Config) { c.Region = "eu-central-1" })
	c := sdkClient(ep)
	name := newBucket(t, ep)
	out, err := c.GetBucketLocation(context.Background(), &s3.GetBucketLocationInput{Bucket: &name})
	if err != nil {
		t.Fatalf("GetBucketLocation: %v", err)
	}
	if out.LocationConstraint != types.BucketLocationConstraintEuCentral1 {
		t.Errorf("LocationConstraint = %q, want eu-central-1", out.LocationConstraint)
	}
}

func caseBucketPolicy(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	name := newBucket(t, ep)

	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &name})
	expectError(t, err, "NoSuchBucketPolicy", http.StatusNotFound)

	// Odd spacing and key order must survive: the document is stored verbatim.
	policy := `{ "Version":"2012-10-17",
  "Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":{"AWS":["*"]},
    "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + name + `/*"]}] }`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &name, Policy: &policy}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &name})
	if err != nil {
		t.Fatalf("GetBucketPolicy: %v", err)
	}
	if got := aws.ToString(out.Policy); got != policy {
		t.Errorf("GetBucketPolicy = %q, want the stored document %q", got, policy)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &name}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &name})
	expectError(t, err, "NoSuchBucketPolicy", http.StatusNotFound)

	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &name, Policy: aws.String("{not json")})
	expectError(t, err, "MalformedPolicy", http.StatusBadRequest)
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(uniqueBucket())})
	expectError(t, err, "NoSuchBucket", http.StatusNotFound)
}

func caseNotImplemented(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	name := newBucket(t, ep)
	putObject(t, c, name, "obj", []byte("x"))

	_, err := c.PutBucketAccelerateConfiguration(ctx, &s3.PutBucketAccelerateConfigurationInput{
		Bucket:                  &name,
		AccelerateConfiguration: &types.AccelerateConfiguration{Status: types.BucketAccelerateStatusEnabled},
	})
	expectError(t, err, "NotImplemented", http.StatusNotImplemented)

	_, err = c.GetObjectTorrent(ctx, &s3.GetObjectTorrentInput{Bucket: &name, Key: aws.String("obj")})
	expectError(t, err, "NotImplemented", http.StatusNotImplemented)

	// The answer is a complete S3 error document.
	resp := ep.do(t, ep.signed(t, http.MethodGet, "/"+name, "inventory=", nil))
	expectXMLError(t, resp, http.StatusNotImplemented, "NotImplemented")

	// The refused requests did not fall through to PutObject or GetObject.
	if got := getObject(t, c, name, "obj"); string(got) != "x" {
		t.Errorf("object after refused calls = %q, want %q", got, "x")
	}
}
