package e2e

// The identity findings of the security review, end to end: IAM paths
// (stored, in ARNs, filtering the List calls), names unique regardless of
// case, and a disabled user's sessions staying dead once it is enabled
// again. Run them with go test ./test/e2e/ -run IAMPaths.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// newPathUser creates a user at path with an access key and returns an
// endpoint signing with that key.
func newPathUser(t *testing.T, root endpoint, path, name string) endpoint {
	t.Helper()
	ctx := context.Background()
	admin := iamClient(root)
	out, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(path)})
	if err != nil {
		t.Fatalf("CreateUser %s%s: %v", path, name, err)
	}
	if *out.User.Path != path {
		t.Fatalf("CreateUser %s%s: path %s", path, name, *out.User.Path)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return root.withKeys(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey)
}

// TestIAMPaths_BucketPolicyNamesUserByPath checks that a user's ARN, as
// bucket policies and GetCallerIdentity see it, includes its path: a
// bucket policy naming arn:aws:iam::000000000000:user/team/alice lets
// alice at /team/ in, and one naming user/bob (no path) does not let in
// bob at /team/.
func TestIAMPaths_BucketPolicyNamesUserByPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := startServer(t, nil)
	bucket := newBucket(t, root)
	putObject(t, sdkClient(root), bucket, "shared/doc.txt", []byte("doc"))
	alice := newPathUser(t, root, "/team/", "alice")
	bob := newPathUser(t, root, "/team/", "bob")

	for ep, want := range map[endpoint]string{
		alice: "arn:aws:iam::000000000000:user/team/alice",
		bob:   "arn:aws:iam::000000000000:user/team/bob",
	} {
		id, err := stsClient(ep).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
		if *id.Arn != want {
			t.Errorf("GetCallerIdentity ARN = %s, want %s", *id.Arn, want)
		}
	}

	bp := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":["arn:aws:iam::000000000000:user/team/alice","arn:aws:iam::000000000000:user/bob"]},
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/shared/*"}]}`, bucket)
	if _, err := sdkClient(root).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: &bp}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if got := getObject(t, sdkClient(alice), bucket, "shared/doc.txt"); string(got) != "doc" {
		t.Errorf("alice at /team/ reads %q", got)
	}
	_, err := sdkClient(bob).GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("shared/doc.txt")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)

	// A wildcard over the path works as in AWS.
	bp = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/shared/*",
		"Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/team/*"}}}]}`, bucket)
	if _, err := sdkClient(root).PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: &bp}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	getObject(t, sdkClient(bob), bucket, "shared/doc.txt")
	outsider := newPathUser(t, root, "/", "carol")
	_, err = sdkClient(outsider).GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("shared/doc.txt")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
}

// TestIAMPaths_CleanupByPathPrefix is the review's story: a test suite
// creates its users under /s3-tests/ and its cleanup deletes what
// ListUsers --path-prefix /s3-tests/ returns; other users must survive.
func TestIAMPaths_CleanupByPathPrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := startServer(t, nil)
	admin := iamClient(root)
	for _, u := range []struct{ path, name string }{
		{"/", "keeper"}, {"/ops/", "operator"}, {"/s3-tests/", "tester1"}, {"/s3-tests/", "tester2"}, {"/s3-tests/alt/", "tester3"},
	} {
		if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.name), Path: aws.String(u.path)}); err != nil {
			t.Fatalf("CreateUser %s%s: %v", u.path, u.name, err)
		}
	}
	pol, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("tests-read"), Path: aws.String("/s3-tests/"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	if *pol.Policy.Arn != "arn:aws:iam::000000000000:policy/s3-tests/tests-read" {
		t.Errorf("policy ARN %s", *pol.Policy.Arn)
	}
	if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("tester1"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatalf("AttachUserPolicy with a path ARN: %v", err)
	}

	// The cleanup, paging as the SDK's paginator does.
	var deleted []string
	p := iam.NewListUsersPaginator(admin, &iam.ListUsersInput{PathPrefix: aws.String("/s3-tests/"), MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		for _, u := range page.Users {
			if !strings.HasPrefix(*u.Path, "/s3-tests/") {
				t.Errorf("ListUsers PathPrefix /s3-tests/ returned %s at %s", *u.UserName, *u.Path)
				continue
			}
			deleted = append(deleted, *u.UserName)
		}
	}
	if strings.Join(deleted, " ") != "tester1 tester2 tester3" {
		t.Fatalf("to delete: %v", deleted)
	}
	if _, err := admin.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("tester1"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatalf("DetachUserPolicy: %v", err)
	}
	for _, name := range deleted {
		if _, err := admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}); err != nil {
			t.Errorf("DeleteUser %s: %v", name, err)
		}
	}
	policies, err := admin.ListPolicies(ctx, &iam.ListPoliciesInput{PathPrefix: aws.String("/s3-tests/")})
	if err != nil {
		t.Fatalf("ListPolicies: %v", err)
	}
	if len(policies.Policies) != 1 {
		t.Fatalf("ListPolicies PathPrefix /s3-tests/: %d policies, want 1", len(policies.Policies))
	}
	if _, err := admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: policies.Policies[0].Arn}); err != nil {
		t.Errorf("DeletePolicy: %v", err)
	}

	left, err := admin.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range left.Users {
		names = append(names, *u.Path+*u.UserName)
	}
	if strings.Join(names, " ") != "/keeper /ops/operator" {
		t.Errorf("users left after the cleanup: %v", names)
	}
}

// TestIAMPaths_NamesRegardlessOfCase checks AWS's naming rule through the
// SDK: a case variant of a user, group or policy name, or of the root
// user's name, is EntityAlreadyExists; any case finds the user.
func TestIAMPaths_NamesRegardlessOfCase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := startServer(t, nil)
	admin := iamClient(root)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("Devs")}); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"user Alice": func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Alice"), Path: aws.String("/other/")})
			return err
		},
		"user named like the root user": func() error {
			_, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.ToUpper(rootUser))})
			return err
		},
		"group devs": func() error {
			_, err := admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")})
			return err
		},
		"policy ReadWrite (canned readwrite)": func() error {
			_, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ReadWrite"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { expectError(t, call(), "EntityAlreadyExists", http.StatusConflict) })
	}
	u, err := admin.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("ALICE")})
	if err != nil {
		t.Fatalf("GetUser ALICE: %v", err)
	}
	if *u.User.UserName != "alice" {
		t.Errorf("GetUser ALICE = %s, want alice", *u.User.UserName)
	}
}

// TestIAMPaths_DisabledUserSessionsStayRevoked checks that a session of a
// user who is disabled stays refused after the user is enabled again,
// while a session issued after that works.
func TestIAMPaths_DisabledUserSessionsStayRevoked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := startServer(t, nil)
	bucket := newBucket(t, root)
	putObject(t, sdkClient(root), bucket, "k", []byte("v"))
	dave := newUser(t, root, "dave", readwrite)
	session := func() *s3.Client {
		t.Helper()
		out, err := stsClient(dave).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("dave-session")})
		if err != nil {
			t.Fatalf("AssumeRole: %v", err)
		}
		c := out.Credentials
		return s3WithCreds(dave, credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
	}
	setStatus := func(status string) {
		t.Helper()
		resp := root.do(t, root.signedForm(t, "iam", "Action=SetUserStatus&Version=2010-05-08&UserName=dave&Status="+status))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("SetUserStatus %s: %d %s", status, resp.StatusCode, resp.Body)
		}
	}
	get := func(c *s3.Client) error {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("k")})
		return err
	}

	old := session()
	if err := get(old); err != nil {
		t.Fatalf("session before the disable: %v", err)
	}
	setStatus("disabled")
	expectError(t, get(old), "InvalidToken", http.StatusForbidden)
	expectError(t, get(sdkClient(dave)), "InvalidAccessKeyId", http.StatusForbidden)
	setStatus("enabled")
	expectError(t, get(old), "InvalidToken", http.StatusForbidden)
	if err := get(sdkClient(dave)); err != nil {
		t.Errorf("dave's key after re-enabling: %v", err)
	}
	if err := get(session()); err != nil {
		t.Errorf("session issued after re-enabling: %v", err)
	}
}
