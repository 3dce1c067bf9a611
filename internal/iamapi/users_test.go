package iamapi_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestAPI_AccessKeys(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("iam"), PolicyDocument: aws.String(allowIAM)}))(t)

	k1 := must(e.root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t).AccessKey
	if *k1.UserName != "alice" || k1.Status != types.StatusTypeActive || len(*k1.SecretAccessKey) != 40 ||
		len(*k1.AccessKeyId) != 20 || k1.CreateDate == nil {
		t.Errorf("CreateAccessKey = %+v", *k1)
	}
	alice := e.client(*k1.AccessKeyId, *k1.SecretAccessKey)

	// The new key signs IAM calls; without UserName they act on the caller.
	self := must(alice.GetUser(ctx, &awsiam.GetUserInput{}))(t)
	if *self.User.UserName != "alice" || *self.User.Arn != "arn:aws:iam::000000000000:user/alice" {
		t.Errorf("GetUser as alice = %+v", *self.User)
	}
	k2 := must(alice.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{}))(t).AccessKey
	if *k2.UserName != "alice" {
		t.Errorf("CreateAccessKey without UserName made a key for %s", *k2.UserName)
	}
	_, err := e.root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("alice")})
	wantErr(t, err, "LimitExceeded", 409, "AccessKeysPerUser")
	var limit *types.LimitExceededException
	if !errors.As(err, &limit) {
		t.Errorf("third key: %T is not LimitExceededException", err)
	}

	list := must(alice.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{}))(t)
	if len(list.AccessKeyMetadata) != 2 || list.IsTruncated {
		t.Fatalf("ListAccessKeys = %+v", list)
	}
	seen := map[string]bool{}
	for _, m := range list.AccessKeyMetadata {
		seen[*m.AccessKeyId] = true
		if *m.UserName != "alice" || m.Status != types.StatusTypeActive || m.CreateDate == nil {
			t.Errorf("ListAccessKeys member = %+v", m)
		}
	}
	if !seen[*k1.AccessKeyId] || !seen[*k2.AccessKeyId] {
		t.Errorf("ListAccessKeys = %v, want %s and %s", seen, *k1.AccessKeyId, *k2.AccessKeyId)
	}
	page := must(e.root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("alice"), MaxItems: aws.Int32(1)}))(t)
	if len(page.AccessKeyMetadata) != 1 || !page.IsTruncated || page.Marker == nil {
		t.Fatalf("ListAccessKeys MaxItems 1 = %+v", page)
	}
	rest := must(e.root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("alice"), Marker: page.Marker}))(t)
	if len(rest.AccessKeyMetadata) != 1 || rest.IsTruncated || *rest.AccessKeyMetadata[0].AccessKeyId == *page.AccessKeyMetadata[0].AccessKeyId {
		t.Errorf("ListAccessKeys second page = %+v", rest)
	}

	// A user with keys cannot be deleted.
	_, err = e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")})
	wantErr(t, err, "DeleteConflict", 409, "access keys")

	// Deactivating a key revokes it at once.
	must(e.root.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	_, err = alice.GetUser(ctx, &awsiam.GetUserInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
	list = must(e.root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("alice")}))(t)
	for _, m := range list.AccessKeyMetadata {
		if want := map[bool]types.StatusType{true: types.StatusTypeInactive, false: types.StatusTypeActive}[*m.AccessKeyId == *k1.AccessKeyId]; m.Status != want {
			t.Errorf("key %s status %s, want %s", *m.AccessKeyId, m.Status, want)
		}
	}
	// The other key still works, and may reactivate the first.
	alice2 := e.client(*k2.AccessKeyId, *k2.SecretAccessKey)
	must(alice2.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeActive}))(t)
	must(alice.GetUser(ctx, &awsiam.GetUserInput{}))(t)

	_, err = e.root.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String("AKIANOSUCHKEY0000000"), Status: types.StatusTypeInactive})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = e.root.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("nobody"), AccessKeyId: k1.AccessKeyId})
	wantErr(t, err, "NoSuchEntity", 404, "nobody")

	must(alice.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{AccessKeyId: k2.AccessKeyId}))(t)
	_, err = alice2.GetUser(ctx, &awsiam.GetUserInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
	must(e.root.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k1.AccessKeyId}))(t)
	list = must(e.root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("alice")}))(t)
	if len(list.AccessKeyMetadata) != 0 {
		t.Errorf("ListAccessKeys after deleting both = %+v", list.AccessKeyMetadata)
	}
	must(e.root.DeleteUserPolicy(ctx, &awsiam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("iam")}))(t)
	must(e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")}))(t)
}

func TestAPI_RootUser(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	rootName := aws.String(rootUser)

	got := must(e.root.GetUser(ctx, &awsiam.GetUserInput{UserName: rootName}))(t)
	if *got.User.Arn != "arn:aws:iam::000000000000:root" {
		t.Errorf("GetUser(root) = %+v", *got.User)
	}
	_, err := e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: rootName})
	wantErr(t, err, "EntityAlreadyExists", 409)

	readonly := aws.String("arn:aws:iam::aws:policy/readonly")
	calls := map[string]func() error{
		"DeleteUser": func() error {
			_, err := e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: rootName})
			return err
		},
		"CreateAccessKey(caller)": func() error {
			_, err := e.root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{})
			return err
		},
		"ListAccessKeys(caller)": func() error {
			_, err := e.root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{})
			return err
		},
		"UpdateAccessKey": func() error {
			_, err := e.root.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: rootName, AccessKeyId: rootName, Status: types.StatusTypeInactive})
			return err
		},
		"DeleteAccessKey(caller)": func() error {
			_, err := e.root.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{AccessKeyId: rootName})
			return err
		},
		"AddUserToGroup": func() error {
			_, err := e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{UserName: rootName, GroupName: aws.String("g")})
			return err
		},
		"AttachUserPolicy": func() error {
			_, err := e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: rootName, PolicyArn: readonly})
			return err
		},
		"PutUserPolicy": func() error {
			_, err := e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: rootName, PolicyName: aws.String("p"), PolicyDocument: aws.String(allowIAM)})
			return err
		},
		"ListGroupsForUser": func() error {
			_, err := e.root.ListGroupsForUser(ctx, &awsiam.ListGroupsForUserInput{UserName: rootName})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			wantErr(t, call(), "InvalidInput", 400, "root user")
		})
	}
	// The root credentials are untouched.
	must(e.root.GetUser(ctx, &awsiam.GetUserInput{}))(t)
}
