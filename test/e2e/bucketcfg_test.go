package e2e

// Tagging, ACLs, ownership controls, public access block, policy status
// and bucket logging, through aws-sdk-go-v2 against an in-process server
// (some answers are Sesame's decisions, docs/S3.md).

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func tagSet(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func tagStrings(tags []types.Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return out
}

func objectTags(t *testing.T, c *s3.Client, bucket, key string) []string {
	t.Helper()
	out, err := c.GetObjectTagging(context.Background(), &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObjectTagging(%s): %v", key, err)
	}
	return tagStrings(out.TagSet)
}

func wantTags(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s tags = %q, want %q", what, got, want)
	}
}

func TestBucketCfg_ObjectTagging(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)

	putObject(t, c, bucket, "k", []byte("data"), func(in *s3.PutObjectInput) { in.Tagging = aws.String("foo=bar&bar") })
	wantTags(t, "x-amz-tagging", objectTags(t, c, bucket, "k"), "bar=", "foo=bar")
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("k")})
	if err != nil || aws.ToInt32(head.TagCount) != 2 {
		t.Fatalf("HeadObject TagCount = %v, %v; want 2", head.TagCount, err)
	}
	etag := aws.ToString(head.ETag)

	// Replace, keeping the data and ETag.
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: tagSet("b", "2", "a", "1")}}); err != nil {
		t.Fatalf("PutObjectTagging: %v", err)
	}
	wantTags(t, "replaced", objectTags(t, c, bucket, "k"), "a=1", "b=2")
	if got := getObject(t, c, bucket, "k"); string(got) != "data" {
		t.Errorf("data after PutObjectTagging = %q", got)
	}
	if h, _ := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("k")}); aws.ToString(h.ETag) != etag {
		t.Errorf("ETag after PutObjectTagging = %s, want %s", aws.ToString(h.ETag), etag)
	}

	// Limits: nothing changes on a refusal.
	var eleven []string
	for i := range 11 {
		eleven = append(eleven, fmt.Sprint(i), "v")
	}
	for name, tags := range map[string][]types.Tag{
		"11 tags":       tagSet(eleven...),
		"long key":      tagSet(string(bytes.Repeat([]byte("k"), 129)), "v"),
		"long value":    tagSet("k", string(bytes.Repeat([]byte("v"), 257))),
		"duplicate key": tagSet("k", "1", "k", "2"),
		"aws: prefix":   tagSet("aws:k", "v"),
	} {
		_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("k"), Tagging: &types.Tagging{TagSet: tags}})
		expectError(t, err, "InvalidTag", http.StatusBadRequest)
		wantTags(t, "after refused "+name, objectTags(t, c, bucket, "k"), "a=1", "b=2")
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bad"), Body: bytes.NewReader(nil), Tagging: aws.String("k=1&k=2")})
	expectError(t, err, "InvalidTag", http.StatusBadRequest)
	expectNoObject(t, c, bucket, "bad")

	// CopyObject: COPY (the default) keeps the tags, REPLACE sets new ones.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy"), CopySource: aws.String(bucket + "/k")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	wantTags(t, "copy", objectTags(t, c, bucket, "copy"), "a=1", "b=2")
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: aws.String("copy2"), CopySource: aws.String(bucket + "/k"),
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("new=1")}); err != nil {
		t.Fatalf("CopyObject REPLACE: %v", err)
	}
	wantTags(t, "copy REPLACE", objectTags(t, c, bucket, "copy2"), "new=1")

	// Multipart uploads take x-amz-tagging at creation.
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), Tagging: aws.String("Hello=World")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	part, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: mp.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
	if err != nil {
		t.Fatalf("UploadPart: %v", err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: aws.String("mp"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	wantTags(t, "multipart", objectTags(t, c, bucket, "mp"), "Hello=World")

	// Delete, and the missing key.
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: &bucket, Key: aws.String("k")}); err != nil {
		t.Fatalf("DeleteObjectTagging: %v", err)
	}
	wantTags(t, "deleted", objectTags(t, c, bucket, "k"))
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: aws.String("missing")})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("missing"), Tagging: &types.Tagging{TagSet: tagSet("a", "1")}})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
}

func TestBucketCfg_BucketTagging(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	_, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket})
	expectError(t, err, "NoSuchTagSet", http.StatusNotFound)
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: &types.Tagging{TagSet: tagSet("Hello", "World")}}); err != nil {
		t.Fatalf("PutBucketTagging: %v", err)
	}
	out, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("GetBucketTagging: %v", err)
	}
	wantTags(t, "bucket", tagStrings(out.TagSet), "Hello=World")
	var many []string
	for i := range 51 {
		many = append(many, fmt.Sprint("k", i), "v")
	}
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: &types.Tagging{TagSet: tagSet(many...)}})
	expectError(t, err, "InvalidTag", http.StatusBadRequest)
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: &types.Tagging{TagSet: tagSet(many[:100]...)}}); err != nil {
		t.Fatalf("PutBucketTagging of 50 tags: %v", err)
	}
	if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: &bucket}); err != nil {
		t.Fatalf("DeleteBucketTagging: %v", err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket})
	expectError(t, err, "NoSuchTagSet", http.StatusNotFound)
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(uniqueBucket())})
	expectError(t, err, "NoSuchBucket", http.StatusNotFound)
}

func TestBucketCfg_ACLAndOwnership(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "k", []byte("x"))

	acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("GetBucketAcl: %v", err)
	}
	if len(acl.Grants) != 1 || acl.Grants[0].Permission != types.PermissionFullControl || acl.Grants[0].Grantee.Type != types.TypeCanonicalUser ||
		aws.ToString(acl.Grants[0].Grantee.ID) != aws.ToString(acl.Owner.ID) {
		t.Errorf("GetBucketAcl = owner %v grants %+v, want the owner's FULL_CONTROL alone", aws.ToString(acl.Owner.ID), acl.Grants)
	}
	oacl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: aws.String("k")})
	if err != nil || len(oacl.Grants) != 1 || oacl.Grants[0].Permission != types.PermissionFullControl {
		t.Errorf("GetObjectAcl = %+v, %v", oacl, err)
	}
	_, err = c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: aws.String("missing")})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)

	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Errorf("PutBucketAcl private: %v", err)
	}
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, ACL: types.BucketCannedACLPublicRead})
	expectError(t, err, "AccessControlListNotSupported", http.StatusBadRequest)
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("k"),
		AccessControlPolicy: &types.AccessControlPolicy{Owner: acl.Owner, Grants: acl.Grants}}); err != nil {
		t.Errorf("PutObjectAcl with the owner's FULL_CONTROL: %v", err)
	}
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: aws.String("k"), AccessControlPolicy: &types.AccessControlPolicy{Owner: acl.Owner,
		Grants: append(acl.Grants, types.Grant{Grantee: &types.Grantee{Type: types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: types.PermissionRead})}})
	expectError(t, err, "AccessControlListNotSupported", http.StatusBadRequest)

	// Ownership controls.
	_, err = c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: &bucket})
	expectError(t, err, "OwnershipControlsNotFoundError", http.StatusNotFound)
	_, err = c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: &bucket,
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipObjectWriter}}}})
	expectError(t, err, "NotImplemented", http.StatusNotImplemented)
	if _, err := c.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: &bucket,
		OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}}); err != nil {
		t.Fatalf("PutBucketOwnershipControls: %v", err)
	}
	oc, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: &bucket})
	if err != nil || len(oc.OwnershipControls.Rules) != 1 || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("GetBucketOwnershipControls = %+v, %v", oc, err)
	}
	// BucketOwnerEnforced set explicitly: only bucket-owner-full-control, as in S3.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("private"), Body: bytes.NewReader(nil), ACL: types.ObjectCannedACLPrivate})
	expectError(t, err, "AccessControlListNotSupported", http.StatusBadRequest)
	expectNoObject(t, c, bucket, "private")
	putObject(t, c, bucket, "bofc", nil, func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl })
	if _, err := c.DeleteBucketOwnershipControls(ctx, &s3.DeleteBucketOwnershipControlsInput{Bucket: &bucket}); err != nil {
		t.Fatalf("DeleteBucketOwnershipControls: %v", err)
	}
	_, err = c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: &bucket})
	expectError(t, err, "OwnershipControlsNotFoundError", http.StatusNotFound)

	// CreateBucket's x-amz-object-ownership is recorded.
	name := uniqueBucket()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name, ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	t.Cleanup(func() { removeBucket(ctx, c, name) })
	if oc, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: &name}); err != nil || oc.OwnershipControls.Rules[0].ObjectOwnership != types.ObjectOwnershipBucketOwnerEnforced {
		t.Fatalf("GetBucketOwnershipControls after CreateBucket = %+v, %v", oc, err)
	}
}

func TestBucketCfg_PublicAccessBlock(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "foo", []byte("bar"))

	_, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &bucket})
	expectError(t, err, "NoSuchPublicAccessBlockConfiguration", http.StatusNotFound)
	status := func() bool {
		t.Helper()
		out, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: &bucket})
		if err != nil {
			t.Fatalf("GetBucketPolicyStatus: %v", err)
		}
		return aws.ToBool(out.PolicyStatus.IsPublic)
	}
	if status() {
		t.Error("IsPublic without a policy")
	}
	pab := func(cfg types.PublicAccessBlockConfiguration) {
		t.Helper()
		if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &bucket, PublicAccessBlockConfiguration: &cfg}); err != nil {
			t.Fatalf("PutPublicAccessBlock: %v", err)
		}
	}
	public := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, bucket)
	private := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}`, bucket)

	pab(types.PublicAccessBlockConfiguration{BlockPublicPolicy: aws.Bool(true), BlockPublicAcls: aws.Bool(true)})
	got, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &bucket})
	if err != nil || !aws.ToBool(got.PublicAccessBlockConfiguration.BlockPublicPolicy) || aws.ToBool(got.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Fatalf("GetPublicAccessBlock = %+v, %v", got, err)
	}
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(public)})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(private)}); err != nil {
		t.Fatalf("PutBucketPolicy of a non-public policy: %v", err)
	}
	if status() {
		t.Error("IsPublic with a policy naming one principal")
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("pub"), Body: bytes.NewReader(nil), ACL: types.ObjectCannedACLPublicRead})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	expectNoObject(t, c, bucket, "pub")

	// A public policy lets anonymous callers in until RestrictPublicBuckets.
	pab(types.PublicAccessBlockConfiguration{})
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(public)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if !status() {
		t.Error("IsPublic false with Principal *")
	}
	if resp := ep.do(t, ep.newRequest(t, http.MethodGet, "/"+bucket+"/foo", "", nil)); resp.StatusCode != http.StatusOK || string(resp.Body) != "bar" {
		t.Fatalf("anonymous GET with a public policy = %d %q", resp.StatusCode, resp.Body)
	}
	pab(types.PublicAccessBlockConfiguration{RestrictPublicBuckets: aws.Bool(true)})
	expectXMLError(t, ep.do(t, ep.newRequest(t, http.MethodGet, "/"+bucket+"/foo", "", nil)), http.StatusForbidden, "AccessDenied")
	if got := getObject(t, c, bucket, "foo"); string(got) != "bar" {
		t.Errorf("owner GET under RestrictPublicBuckets = %q", got)
	}
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: &bucket}); err != nil {
		t.Fatalf("DeletePublicAccessBlock: %v", err)
	}
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &bucket})
	expectError(t, err, "NoSuchPublicAccessBlockConfiguration", http.StatusNotFound)
	if resp := ep.do(t, ep.newRequest(t, http.MethodGet, "/"+bucket+"/foo", "", nil)); resp.StatusCode != http.StatusOK {
		t.Errorf("anonymous GET after DeletePublicAccessBlock = %d", resp.StatusCode)
	}
}

func TestBucketCfg_Logging(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	out, err := c.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: &bucket})
	if err != nil || out.LoggingEnabled != nil {
		t.Fatalf("GetBucketLogging = %+v, %v; want logging off", out, err)
	}
	if _, err := c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: &bucket, BucketLoggingStatus: &types.BucketLoggingStatus{}}); err != nil {
		t.Fatalf("PutBucketLogging off: %v", err)
	}
	_, err = c.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: &bucket, BucketLoggingStatus: &types.BucketLoggingStatus{
		LoggingEnabled: &types.LoggingEnabled{TargetBucket: &bucket, TargetPrefix: aws.String("log/")}}})
	expectError(t, err, "NotImplemented", http.StatusNotImplemented)
}

func TestBucketCfg_PolicyParsing(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	anyBucket := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(anyBucket)}); err != nil {
		t.Errorf("PutBucketPolicy with Resource arn:aws:s3:::*: %v", err)
	}
	notPrincipal := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::s3tenant1:root"},"Action":"s3:ListBucket","Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`, bucket, bucket)
	_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(notPrincipal)})
	expectError(t, err, "MalformedPolicy", http.StatusBadRequest)
}

// TestBucketCfg_TagConditions checks the tag condition keys of bucket
// policies: s3:ExistingObjectTag for reads and tagging, s3:RequestObjectTag
// for x-amz-tagging on PutObject, for a user with no policy of its own.
func TestBucketCfg_TagConditions(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	user := sdkClient(newPathUser(t, ep, "/", "tagger"))
	arn := "arn:aws:iam::000000000000:user/tagger"
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":%[2]q},"Action":["s3:GetObject","s3:GetObjectTagging"],"Resource":"arn:aws:s3:::%[1]s/*",
		 "Condition":{"StringEquals":{"s3:ExistingObjectTag/security":"public"}}},
		{"Effect":"Allow","Principal":{"AWS":%[2]q},"Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::%[1]s/*",
		 "Condition":{"StringEquals":{"s3:RequestObjectTag/security":"public"}}}]}`, bucket, arn)
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(policy)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	putObject(t, c, bucket, "public", []byte("p"), func(in *s3.PutObjectInput) { in.Tagging = aws.String("security=public&foo=bar") })
	putObject(t, c, bucket, "private", []byte("s"), func(in *s3.PutObjectInput) { in.Tagging = aws.String("security=private") })
	putObject(t, c, bucket, "untagged", []byte("u"))

	if _, err := user.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("public")}); err != nil {
		t.Errorf("GetObject of the public-tagged object: %v", err)
	}
	if _, err := user.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &bucket, Key: aws.String("public")}); err != nil {
		t.Errorf("GetObjectTagging of the public-tagged object: %v", err)
	}
	for _, key := range []string{"private", "untagged"} {
		_, err := user.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(key)})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	}
	// A write must carry the tag the policy asks for.
	_, err := user.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("w1"), Body: bytes.NewReader([]byte("x"))})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	_, err = user.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("w2"), Body: bytes.NewReader([]byte("x")), Tagging: aws.String("security=private")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := user.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("w3"), Body: bytes.NewReader([]byte("x")), Tagging: aws.String("security=public")}); err != nil {
		t.Errorf("PutObject with security=public: %v", err)
	}
	expectNoObject(t, c, bucket, "w1")
	expectNoObject(t, c, bucket, "w2")
	// PutObjectTagging: the body's tags are the request's.
	_, err = user.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("untagged"), Tagging: &types.Tagging{TagSet: tagSet("security", "private")}})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	wantTags(t, "after a denied PutObjectTagging", objectTags(t, c, bucket, "untagged"))
	if _, err := user.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: &bucket, Key: aws.String("untagged"), Tagging: &types.Tagging{TagSet: tagSet("security", "public")}}); err != nil {
		t.Errorf("PutObjectTagging with security=public: %v", err)
	}
	wantTags(t, "after PutObjectTagging", objectTags(t, c, bucket, "untagged"), "security=public")
	// A malformed body is reported to an allowed caller only.
	anon := ep.do(t, ep.newRequest(t, http.MethodPut, "/"+bucket+"/untagged", "tagging=", []byte("<Tagging")))
	expectXMLError(t, anon, http.StatusForbidden, "AccessDenied")
	expectXMLError(t, ep.do(t, ep.signed(t, http.MethodPut, "/"+bucket+"/untagged", "tagging=", []byte("<Tagging"))), http.StatusBadRequest, "MalformedXML")
}

// TestBucketCfg_ResourceTag checks aws:ResourceTag/<key> in a bucket
// policy: the bucket's own tags.
func TestBucketCfg_ResourceTag(t *testing.T) {
	ep := startServer(t, nil)
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "k", []byte("x"))
	user := sdkClient(newPathUser(t, ep, "/", "reader"))
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/reader"},
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*","Condition":{"StringEquals":{"aws:ResourceTag/stage":"prod"}}}]}`, bucket)
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: aws.String(policy)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	_, err := user.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("k")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: &types.Tagging{TagSet: tagSet("stage", "prod")}}); err != nil {
		t.Fatalf("PutBucketTagging: %v", err)
	}
	if _, err := user.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("k")}); err != nil {
		t.Errorf("GetObject with the bucket tagged stage=prod: %v", err)
	}
}
