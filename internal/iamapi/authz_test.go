package iamapi_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestAPI_EveryActionRequiresPermission calls every action, on entities
// that exist, as a user without policies: each must be refused before it
// does anything. A handler that forgot to authorize fails here.
func TestAPI_EveryActionRequiresPermission(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("victim")}))(t)
	key := must(e.root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("victim")}))(t).AccessKey.AccessKeyId
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("victim")}))(t)
	polARN := must(e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("pol"), PolicyDocument: aws.String(readS3)}))(t).Policy.Arn
	must(e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("spare"), PolicyDocument: aws.String(readS3)}))(t)
	spareARN := aws.String("arn:aws:iam::000000000000:policy/spare")
	must(e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("victim"), PolicyArn: polARN}))(t)
	must(e.root.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: polARN}))(t)
	must(e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("victim"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(readS3)}))(t)
	c := e.user("nobody")

	victim := aws.String("victim")
	g := aws.String("g")
	userARN := "arn:aws:iam::000000000000:user/victim"
	selfARN := "arn:aws:iam::000000000000:user/nobody"
	groupARN := "arn:aws:iam::000000000000:group/g"
	calls := []struct {
		action, resource string
		call             func() error
	}{
		{"CreateUser", "arn:aws:iam::000000000000:user/new", func() error {
			_, err := c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("new")})
			return err
		}},
		{"GetUser", userARN, func() error { _, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: victim}); return err }},
		{"GetUser", selfARN, func() error { _, err := c.GetUser(ctx, &awsiam.GetUserInput{}); return err }},
		{"ListUsers", "arn:aws:iam::000000000000:user/", func() error { _, err := c.ListUsers(ctx, &awsiam.ListUsersInput{}); return err }},
		{"DeleteUser", userARN, func() error { _, err := c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: victim}); return err }},
		{"CreateAccessKey", userARN, func() error {
			_, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: victim})
			return err
		}},
		{"CreateAccessKey", selfARN, func() error { _, err := c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{}); return err }},
		{"ListAccessKeys", userARN, func() error {
			_, err := c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: victim})
			return err
		}},
		{"UpdateAccessKey", userARN, func() error {
			_, err := c.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: victim, AccessKeyId: key, Status: types.StatusTypeInactive})
			return err
		}},
		{"DeleteAccessKey", userARN, func() error {
			_, err := c.DeleteAccessKey(ctx, &awsiam.DeleteAccessKeyInput{UserName: victim, AccessKeyId: key})
			return err
		}},
		{"CreateGroup", "arn:aws:iam::000000000000:group/new", func() error {
			_, err := c.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("new")})
			return err
		}},
		{"GetGroup", groupARN, func() error { _, err := c.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: g}); return err }},
		{"ListGroups", "arn:aws:iam::000000000000:group/", func() error { _, err := c.ListGroups(ctx, &awsiam.ListGroupsInput{}); return err }},
		{"DeleteGroup", groupARN, func() error { _, err := c.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: g}); return err }},
		{"AddUserToGroup", groupARN, func() error {
			_, err := c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: g, UserName: aws.String("nobody")})
			return err
		}},
		{"RemoveUserFromGroup", groupARN, func() error {
			_, err := c.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{GroupName: g, UserName: victim})
			return err
		}},
		{"ListGroupsForUser", userARN, func() error {
			_, err := c.ListGroupsForUser(ctx, &awsiam.ListGroupsForUserInput{UserName: victim})
			return err
		}},
		{"CreatePolicy", "arn:aws:iam::000000000000:policy/new", func() error {
			_, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("new"), PolicyDocument: aws.String(readS3)})
			return err
		}},
		{"GetPolicy", *polARN, func() error { _, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: polARN}); return err }},
		{"GetPolicyVersion", *polARN, func() error {
			_, err := c.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: polARN, VersionId: aws.String("v1")})
			return err
		}},
		{"ListPolicies", "arn:aws:iam::000000000000:policy/", func() error {
			_, err := c.ListPolicies(ctx, &awsiam.ListPoliciesInput{})
			return err
		}},
		{"DeletePolicy", *spareARN, func() error {
			_, err := c.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: spareARN})
			return err
		}},
		{"AttachUserPolicy", userARN, func() error {
			_, err := c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: victim, PolicyArn: spareARN})
			return err
		}},
		{"AttachUserPolicy", selfARN, func() error {
			_, err := c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("nobody"), PolicyArn: aws.String("arn:aws:iam::aws:policy/consoleAdmin")})
			return err
		}},
		{"DetachUserPolicy", userARN, func() error {
			_, err := c.DetachUserPolicy(ctx, &awsiam.DetachUserPolicyInput{UserName: victim, PolicyArn: polARN})
			return err
		}},
		{"AttachGroupPolicy", groupARN, func() error {
			_, err := c.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: g, PolicyArn: spareARN})
			return err
		}},
		{"DetachGroupPolicy", groupARN, func() error {
			_, err := c.DetachGroupPolicy(ctx, &awsiam.DetachGroupPolicyInput{GroupName: g, PolicyArn: polARN})
			return err
		}},
		{"ListAttachedUserPolicies", userARN, func() error {
			_, err := c.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: victim})
			return err
		}},
		{"ListAttachedGroupPolicies", groupARN, func() error {
			_, err := c.ListAttachedGroupPolicies(ctx, &awsiam.ListAttachedGroupPoliciesInput{GroupName: g})
			return err
		}},
		{"PutUserPolicy", selfARN, func() error {
			_, err := c.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("x"), PolicyDocument: aws.String(allowIAM)})
			return err
		}},
		{"GetUserPolicy", userARN, func() error {
			_, err := c.GetUserPolicy(ctx, &awsiam.GetUserPolicyInput{UserName: victim, PolicyName: aws.String("inline")})
			return err
		}},
		{"DeleteUserPolicy", userARN, func() error {
			_, err := c.DeleteUserPolicy(ctx, &awsiam.DeleteUserPolicyInput{UserName: victim, PolicyName: aws.String("inline")})
			return err
		}},
		{"ListUserPolicies", userARN, func() error {
			_, err := c.ListUserPolicies(ctx, &awsiam.ListUserPoliciesInput{UserName: victim})
			return err
		}},
	}
	covered := map[string]bool{}
	for _, tc := range calls {
		covered[tc.action] = true
		t.Run(tc.action, func(t *testing.T) {
			want := fmt.Sprintf("User: arn:aws:iam::000000000000:user/nobody is not authorized to perform: iam:%s on resource: %s", tc.action, tc.resource)
			wantErr(t, tc.call(), "AccessDenied", 403, want)
		})
	}
	if len(covered) != 30 {
		t.Errorf("covered %d actions, want all 30", len(covered))
	}

	// Nothing changed.
	list := must(e.root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: victim}))(t)
	if len(list.AccessKeyMetadata) != 1 || list.AccessKeyMetadata[0].Status != types.StatusTypeActive {
		t.Errorf("victim's keys = %+v", list.AccessKeyMetadata)
	}
	grp := must(e.root.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: g}))(t)
	if len(grp.Users) != 1 {
		t.Errorf("group members = %d", len(grp.Users))
	}
	users := must(e.root.ListUsers(ctx, &awsiam.ListUsersInput{}))(t)
	if len(users.Users) != 2 {
		t.Errorf("users = %d, want 2", len(users.Users))
	}
	att := must(e.root.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: aws.String("nobody")}))(t)
	if len(att.AttachedPolicies) != 0 {
		t.Errorf("nobody attached %+v to itself", att.AttachedPolicies)
	}
}

func TestAPI_Authorization(t *testing.T) {
	e := newEnv(t)
	t.Run("iam:*", func(t *testing.T) {
		c := e.user("iamadmin", allowIAM)
		must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("made-by-iamadmin")}))(t)
		must(c.ListUsers(ctx, &awsiam.ListUsersInput{}))(t)
		must(c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("by-iamadmin"), PolicyDocument: aws.String(readS3)}))(t)
		must(c.ListPolicies(ctx, &awsiam.ListPoliciesInput{}))(t)
	})
	t.Run("consoleAdmin", func(t *testing.T) {
		c := e.user("console")
		must(e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("console"), PolicyArn: aws.String("arn:aws:iam::aws:policy/consoleAdmin")}))(t)
		must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("made-by-console")}))(t)
		must(c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("made-by-console")}))(t)
	})
	t.Run("explicit deny wins over admin:*", func(t *testing.T) {
		c := e.user("limited",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"admin:*","Resource":"arn:aws:s3:::*"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}`)
		must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("made-by-limited")}))(t)
		_, err := c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("made-by-limited")})
		wantErr(t, err, "AccessDenied", 403, "iam:DeleteUser")
	})
	t.Run("self service with ${aws:username}", func(t *testing.T) {
		c := e.user("self", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
			"Action":["iam:GetUser","iam:*AccessKey*"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`)
		must(c.GetUser(ctx, &awsiam.GetUserInput{}))(t)
		must(c.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{}))(t)
		_, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("iamadmin")})
		wantErr(t, err, "AccessDenied", 403, "on resource: arn:aws:iam::000000000000:user/iamadmin")
		_, err = c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("iamadmin")})
		wantErr(t, err, "AccessDenied", 403)
		_, err = c.ListUsers(ctx, &awsiam.ListUsersInput{})
		wantErr(t, err, "AccessDenied", 403)
	})
	t.Run("list on the user path prefix", func(t *testing.T) {
		c := e.user("lister", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"arn:aws:iam::000000000000:user/*"}]}`)
		must(c.ListUsers(ctx, &awsiam.ListUsersInput{}))(t)
		_, err := c.ListGroups(ctx, &awsiam.ListGroupsInput{})
		wantErr(t, err, "AccessDenied", 403)
	})
	t.Run("iam:PolicyARN condition", func(t *testing.T) {
		c := e.user("attacher", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:AttachUserPolicy",
			"Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/readonly"}}}]}`)
		must(c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("attacher"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}))(t)
		_, err := c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("attacher"), PolicyArn: aws.String("arn:aws:iam::aws:policy/consoleAdmin")})
		wantErr(t, err, "AccessDenied", 403)
	})
	t.Run("aws:SourceIp condition", func(t *testing.T) {
		c := e.user("remote", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers",
			"Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
		_, err := c.ListUsers(ctx, &awsiam.ListUsersInput{})
		wantErr(t, err, "AccessDenied", 403)
		local := e.user("local", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers",
			"Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}`)
		must(local.ListUsers(ctx, &awsiam.ListUsersInput{}))(t)
	})
	t.Run("s3 policies grant nothing here", func(t *testing.T) {
		c := e.user("s3only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}`)
		_, err := c.ListUsers(ctx, &awsiam.ListUsersInput{})
		wantErr(t, err, "AccessDenied", 403)
	})
}
