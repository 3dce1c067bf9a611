package iamapi_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func userNames(us []types.User) string {
	var out []string
	for _, u := range us {
		out = append(out, *u.UserName)
	}
	return strings.Join(out, " ")
}

// TestAPI_UserAndGroupPaths checks Path and PathPrefix: the review's case
// was a cleanup script deleting what ListUsers --path-prefix /s3-tests/
// returned, which was every user.
func TestAPI_UserAndGroupPaths(t *testing.T) {
	e := newEnv(t)
	u := must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/s3-tests/")}))(t).User
	if *u.Path != "/s3-tests/" || *u.Arn != "arn:aws:iam::000000000000:user/s3-tests/alice" {
		t.Errorf("CreateUser = %s %s", *u.Path, *u.Arn)
	}
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")}))(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("carol"), Path: aws.String("/s3-tests/x/")}))(t)
	got := must(e.root.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("alice")}))(t).User
	if *got.Path != "/s3-tests/" || *got.Arn != *u.Arn {
		t.Errorf("GetUser = %s %s", *got.Path, *got.Arn)
	}
	for prefix, want := range map[string]string{"/": "alice bob carol", "/s3-tests/": "alice carol", "/s3-tests/x/": "carol", "/nothing/": ""} {
		out := must(e.root.ListUsers(ctx, &awsiam.ListUsersInput{PathPrefix: aws.String(prefix)}))(t)
		if userNames(out.Users) != want {
			t.Errorf("ListUsers PathPrefix %s = %s, want %s", prefix, userNames(out.Users), want)
		}
		for _, u := range out.Users {
			if !strings.HasPrefix(*u.Path, prefix) || !strings.HasSuffix(*u.Arn, ":user"+*u.Path+*u.UserName) {
				t.Errorf("ListUsers member %s: path %s, ARN %s", *u.UserName, *u.Path, *u.Arn)
			}
		}
	}
	page := must(e.root.ListUsers(ctx, &awsiam.ListUsersInput{PathPrefix: aws.String("/s3-tests/"), MaxItems: aws.Int32(1)}))(t)
	rest := must(e.root.ListUsers(ctx, &awsiam.ListUsersInput{PathPrefix: aws.String("/s3-tests/"), Marker: page.Marker}))(t)
	if userNames(page.Users) != "alice" || !page.IsTruncated || userNames(rest.Users) != "carol" || rest.IsTruncated {
		t.Errorf("ListUsers pages under /s3-tests/: %s / %s", userNames(page.Users), userNames(rest.Users))
	}
	// A name is unique whatever the path.
	_, err := e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob"), Path: aws.String("/s3-tests/")})
	wantErr(t, err, "EntityAlreadyExists", 409)

	g := must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("testers"), Path: aws.String("/s3-tests/")}))(t).Group
	if *g.Path != "/s3-tests/" || *g.Arn != "arn:aws:iam::000000000000:group/s3-tests/testers" {
		t.Errorf("CreateGroup = %s %s", *g.Path, *g.Arn)
	}
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("ops")}))(t)
	if out := must(e.root.ListGroups(ctx, &awsiam.ListGroupsInput{PathPrefix: aws.String("/s3-tests/")}))(t); groupNames(out.Groups) != "testers" {
		t.Errorf("ListGroups PathPrefix /s3-tests/ = %s", groupNames(out.Groups))
	}
	must(e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("testers"), UserName: aws.String("alice")}))(t)
	members := must(e.root.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("testers")}))(t)
	if *members.Group.Path != "/s3-tests/" || len(members.Users) != 1 || *members.Users[0].Path != "/s3-tests/" {
		t.Errorf("GetGroup = path %s, members %s", *members.Group.Path, userNames(members.Users))
	}

	// Validation, with AWS's patterns.
	for _, tt := range []struct {
		name string
		call func() error
		msg  string
	}{
		{"CreateUser Path without the final /", func() error {
			_, err := e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("dan"), Path: aws.String("/s3-tests")})
			return err
		}, `Value '/s3-tests' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`},
		{"CreateGroup Path too long", func() error {
			_, err := e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("g"), Path: aws.String("/" + strings.Repeat("a", 512) + "/")})
			return err
		}, "Member must have length less than or equal to 512"},
		{"ListUsers PathPrefix not beginning with /", func() error {
			_, err := e.root.ListUsers(ctx, &awsiam.ListUsersInput{PathPrefix: aws.String("s3-tests/")})
			return err
		}, `at 'pathPrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`},
		{"ListGroups empty PathPrefix", func() error {
			_, err := e.root.ListGroups(ctx, &awsiam.ListGroupsInput{PathPrefix: aws.String("")})
			return err
		}, "pathPrefix"},
	} {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.call(), "ValidationError", 400, tt.msg) })
	}
	if out := must(e.root.ListUsers(ctx, &awsiam.ListUsersInput{}))(t); userNames(out.Users) != "alice bob carol" {
		t.Errorf("users after failed creates: %s", userNames(out.Users))
	}
}

// TestAPI_PolicyPaths checks managed policies with a path: the ARN names
// it, Get/Attach/Detach/Delete take that ARN and only that ARN, and
// ListPolicies and ListAttached*Policies filter by PathPrefix.
func TestAPI_PolicyPaths(t *testing.T) {
	e := newEnv(t)
	p := must(e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("read"), Path: aws.String("/team/"), PolicyDocument: aws.String(readS3)}))(t).Policy
	const arn = "arn:aws:iam::000000000000:policy/team/read"
	if *p.Path != "/team/" || *p.Arn != arn {
		t.Errorf("CreatePolicy = %s %s", *p.Path, *p.Arn)
	}
	if got := must(e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy; *got.Arn != arn || *got.Path != "/team/" {
		t.Errorf("GetPolicy = %s %s", *got.Arn, *got.Path)
	}
	for _, wrong := range []string{
		"arn:aws:iam::000000000000:policy/read",
		"arn:aws:iam::000000000000:policy/other/read",
		"arn:aws:iam::000000000000:policy/team/sub/read",
		"arn:aws:iam::000000000000:policy/Team/read",
		"arn:aws:iam::aws:policy/team/read",
	} {
		_, err := e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(wrong)})
		wantErr(t, err, "NoSuchEntity", 404, wrong)
		_, err = e.root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(wrong)})
		wantErr(t, err, "NoSuchEntity", 404)
	}
	_, err := e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/x/readonly")})
	wantErr(t, err, "NoSuchEntity", 404)

	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")}))(t)
	_, err = e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::000000000000:policy/read")})
	wantErr(t, err, "NoSuchEntity", 404)
	must(e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)}))(t)
	must(e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}))(t)
	must(e.root.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(arn)}))(t)
	for prefix, want := range map[string]int{"/": 2, "/team/": 1, "/other/": 0} {
		out := must(e.root.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: aws.String("alice"), PathPrefix: aws.String(prefix)}))(t)
		if len(out.AttachedPolicies) != want {
			t.Errorf("ListAttachedUserPolicies PathPrefix %s: %d policies, want %d", prefix, len(out.AttachedPolicies), want)
		}
	}
	if out := must(e.root.ListAttachedGroupPolicies(ctx, &awsiam.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs"), PathPrefix: aws.String("/team/")}))(t); len(out.AttachedPolicies) != 1 || *out.AttachedPolicies[0].PolicyArn != arn {
		t.Errorf("ListAttachedGroupPolicies PathPrefix /team/ = %+v", out.AttachedPolicies)
	}
	_, err = e.root.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: aws.String("alice"), PathPrefix: aws.String("/a*/")})
	wantErr(t, err, "ValidationError", 400, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`)
	if out := must(e.root.ListPolicies(ctx, &awsiam.ListPoliciesInput{PathPrefix: aws.String("/team/")}))(t); policyNames(out.Policies) != "read" {
		t.Errorf("ListPolicies PathPrefix /team/ = %s", policyNames(out.Policies))
	}
	_, err = e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("bad"), Path: aws.String("/a*b/"), PolicyDocument: aws.String(readS3)})
	wantErr(t, err, "ValidationError", 400, "at 'path'")

	must(e.root.DetachUserPolicy(ctx, &awsiam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)}))(t)
	must(e.root.DetachGroupPolicy(ctx, &awsiam.DetachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(arn)}))(t)
	must(e.root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(arn)}))(t)
}

// TestAPI_PathsAuthorized checks that IAM requests are authorized on ARNs
// with paths: a user allowed iam:* on user/s3-tests/* may manage the users
// under /s3-tests/ and create users there, and nothing else.
func TestAPI_PathsAuthorized(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/s3-tests/")}))(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")}))(t)
	tester := e.user("tester", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::000000000000:user/s3-tests/*"}]}`)
	must(tester.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("alice")}))(t)
	must(tester.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ALICE")}))(t)
	_, err := tester.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("bob")})
	wantErr(t, err, "AccessDenied", 403, "user/bob")
	must(tester.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("dan"), Path: aws.String("/s3-tests/")}))(t)
	_, err = tester.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("erin")})
	wantErr(t, err, "AccessDenied", 403, "arn:aws:iam::000000000000:user/erin")
	must(tester.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("dan")}))(t)
	_, err = tester.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("bob")})
	wantErr(t, err, "AccessDenied", 403)
}
