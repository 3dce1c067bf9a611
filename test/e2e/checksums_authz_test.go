package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestChecksums_AttributesAuthz checks that GetObjectAttributes needs both
// s3:GetObjectAttributes and s3:GetObject, as on S3: either alone is
// AccessDenied.
func TestChecksums_AttributesAuthz(t *testing.T) {
	ctx := context.Background()
	root, _ := startServerOn(t, t.TempDir())
	admin := iamClient(root)
	rootS3 := sdkClient(root)
	bucket := newBucket(t, root)
	putObject(t, rootS3, bucket, "k", []byte("data"))
	attrs := &s3.GetObjectAttributesInput{Bucket: &bucket, Key: aws.String("k"), ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}}
	for i, tc := range []struct {
		actions string
		allowed bool
	}{
		{`"s3:GetObject"`, false},
		{`"s3:GetObjectAttributes"`, false},
		{`"s3:GetObject","s3:GetObjectAttributes"`, true},
	} {
		user := fmt.Sprintf("attr-user-%d", i)
		if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: &user}); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: &user})
		if err != nil {
			t.Fatalf("CreateAccessKey: %v", err)
		}
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[%s],"Resource":"arn:aws:s3:::%s/*"}]}`, tc.actions, bucket)
		pol, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(user + "-policy"), PolicyDocument: &doc})
		if err != nil {
			t.Fatalf("CreatePolicy: %v", err)
		}
		if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: &user, PolicyArn: pol.Policy.Arn}); err != nil {
			t.Fatalf("AttachUserPolicy: %v", err)
		}
		c := sdkClient(root.withKeys(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
		out, err := c.GetObjectAttributes(ctx, attrs)
		switch {
		case tc.allowed && err != nil:
			t.Errorf("%s: GetObjectAttributes: %v", tc.actions, err)
		case tc.allowed && aws.ToInt64(out.ObjectSize) != 4:
			t.Errorf("%s: ObjectSize = %d", tc.actions, aws.ToInt64(out.ObjectSize))
		case !tc.allowed:
			expectError(t, err, "AccessDenied", http.StatusForbidden)
		}
	}
}

// TestChecksums_Boto3 runs test/boto3/test_checksums.py: boto3's default
// checksums, s3transfer's multipart uploads, GetObjectAttributes and
// partNumber.
func TestChecksums_Boto3(t *testing.T) { runBoto3(t, "test_checksums.py") }
