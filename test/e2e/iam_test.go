package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/server"
)

// iamClient returns an aws-sdk-go-v2 IAM client for ep.
func iamClient(ep endpoint) *iam.Client {
	cfg := aws.Config{
		Region:      ep.Region,
		Credentials: credentials.NewStaticCredentialsProvider(ep.AccessKey, ep.SecretKey, ""),
		HTTPClient:  ep.Client,
	}
	return iam.NewFromConfig(cfg, func(o *iam.Options) {
		o.BaseEndpoint = aws.String(ep.URL)
		o.RetryMaxAttempts = 1
	})
}

// startServerOn serves dir until the returned stop function is called.
func startServerOn(t *testing.T, dir string) (endpoint, func()) {
	t.Helper()
	cfg := config.Config{Dir: dir, RootUser: rootUser, RootPassword: rootPassword, Region: testRegion}
	useBackend(t, &cfg)
	srv, err := server.Open(cfg, server.Options{})
	if err != nil {
		t.Fatalf("server.Open: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			ts.Close()
			if err := srv.Close(); err != nil {
				t.Errorf("server.Close: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return endpoint{URL: ts.URL, AccessKey: rootUser, SecretKey: rootPassword, Region: testRegion, Client: ts.Client()}, stop
}

const photosPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::photos/${aws:username}/*"}]}`

// TestIAM_PolicyEnforced is the IAM issue's end-to-end story: root creates a
// user and a policy through the IAM API, the policy is enforced on S3
// requests, changes take effect on the next request, and a restart changes
// nothing.
func TestIAM_PolicyEnforced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root, stop := startServerOn(t, dir)
	admin := iamClient(root)
	rootS3 := sdkClient(root)

	if _, err := rootS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	keyOut, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	pol, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("photos-own-prefix"), PolicyDocument: aws.String(photosPolicy)})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatalf("AttachUserPolicy: %v", err)
	}
	aliceEP := root.withKeys(*keyOut.AccessKey.AccessKeyId, *keyOut.AccessKey.SecretAccessKey)
	alice := sdkClient(aliceEP)

	// Allowed under photos/alice/, denied elsewhere and for ListBuckets.
	putObject(t, alice, "photos", "alice/cat.jpg", []byte("meow"))
	if got := getObject(t, alice, "photos", "alice/cat.jpg"); string(got) != "meow" {
		t.Fatalf("alice reads back %q", got)
	}
	_, err = alice.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("other/cat.jpg"), Body: http.NoBody})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = alice.ListBuckets(ctx, &s3.ListBucketsInput{})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = alice.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("other/x")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	// A user may not use the IAM API without iam: permissions.
	_, err = iamClient(aliceEP).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)

	// Disabling the key takes effect on the next request; enabling restores it.
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: keyOut.AccessKey.AccessKeyId, Status: "Inactive"}); err != nil {
		t.Fatalf("UpdateAccessKey: %v", err)
	}
	_, err = alice.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("alice/cat.jpg")})
	expectError(t, err, "InvalidAccessKeyId", http.StatusForbidden)
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: keyOut.AccessKey.AccessKeyId, Status: "Active"}); err != nil {
		t.Fatalf("UpdateAccessKey: %v", err)
	}
	getObject(t, alice, "photos", "alice/cat.jpg")

	// A restart changes nothing.
	stop()
	root, _ = startServerOn(t, dir)
	admin = iamClient(root)
	aliceEP = root.withKeys(*keyOut.AccessKey.AccessKeyId, *keyOut.AccessKey.SecretAccessKey)
	alice = sdkClient(aliceEP)
	if got := getObject(t, alice, "photos", "alice/cat.jpg"); string(got) != "meow" {
		t.Fatalf("after restart alice reads %q", got)
	}
	_, err = alice.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("other/cat.jpg"), Body: http.NoBody})
	expectError(t, err, "AccessDenied", http.StatusForbidden)

	// Detaching the policy takes effect on the next request.
	if _, err := admin.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatalf("DetachUserPolicy: %v", err)
	}
	_, err = alice.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("photos"), Key: aws.String("alice/cat.jpg")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
}

// TestIAM_BucketPolicy checks bucket policies together with identity
// policies: a public-read policy lets unsigned GETs through, and a Deny in
// a bucket policy wins over a user's Allow.
func TestIAM_BucketPolicy(t *testing.T) {
	ctx := context.Background()
	root := startServer(t, nil)
	rootS3 := sdkClient(root)
	bucket := newBucket(t, root)
	putObject(t, rootS3, bucket, "public/hello.txt", []byte("hello"))
	putObject(t, rootS3, bucket, "private/secret.txt", []byte("secret"))

	get := func(key string) int {
		resp, err := root.Client.Get(root.URL + "/" + bucket + "/" + key)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("public/hello.txt"); got != http.StatusForbidden {
		t.Fatalf("anonymous GET before policy: %d, want 403", got)
	}
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + bucket + `/public/*"]}]}`
	if _, err := rootS3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(public)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if got := get("public/hello.txt"); got != http.StatusOK {
		t.Fatalf("anonymous GET under public/: %d, want 200", got)
	}
	if got := get("private/secret.txt"); got != http.StatusForbidden {
		t.Fatalf("anonymous GET under private/: %d, want 403", got)
	}
	// A bucket policy naming another bucket is refused.
	other := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::elsewhere/*"}]}`
	_, err := rootS3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(other)})
	expectError(t, err, "MalformedPolicy", http.StatusBadRequest)

	// A user allowed everything by its identity policy is still denied by the bucket's Deny.
	admin := iamClient(root)
	admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readwrite")}); err != nil {
		t.Fatalf("attach canned readwrite: %v", err)
	}
	bob := sdkClient(root.withKeys(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	getObject(t, bob, bucket, "private/secret.txt")
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/public/*"},` +
		`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/private/*"}]}`
	if _, err := rootS3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(deny)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	_, err = bob.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("private/secret.txt")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	getObject(t, bob, bucket, "public/hello.txt")
}
