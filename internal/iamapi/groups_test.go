package iamapi_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func groupNames(gs []types.Group) string {
	var out []string
	for _, g := range gs {
		out = append(out, *g.GroupName)
	}
	return strings.Join(out, ",")
}

func TestAPI_Groups(t *testing.T) {
	e := newEnv(t)
	g := must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")}))(t).Group
	if *g.GroupName != "devs" || *g.Arn != "arn:aws:iam::000000000000:group/devs" || *g.Path != "/" ||
		!strings.HasPrefix(*g.GroupId, "AGPA") || g.CreateDate == nil {
		t.Errorf("CreateGroup = %+v", *g)
	}
	_, err := e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")})
	wantErr(t, err, "EntityAlreadyExists", 409)
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("ops")}))(t)

	for _, u := range []string{"bob", "alice"} {
		must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(u)}))(t)
		must(e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String(u)}))(t)
	}
	must(e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: aws.String("alice")}))(t)
	_, err = e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("nogroup"), UserName: aws.String("alice")})
	wantErr(t, err, "NoSuchEntity", 404, "nogroup")
	_, err = e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("nobody")})
	wantErr(t, err, "NoSuchEntity", 404, "nobody")

	got := must(e.root.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("devs")}))(t)
	if *got.Group.GroupId != *g.GroupId || len(got.Users) != 2 || *got.Users[0].UserName != "alice" ||
		*got.Users[1].UserName != "bob" || *got.Users[1].Arn != "arn:aws:iam::000000000000:user/bob" || got.IsTruncated {
		t.Errorf("GetGroup = %+v", got)
	}
	page := must(e.root.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("devs"), MaxItems: aws.Int32(1)}))(t)
	if len(page.Users) != 1 || !page.IsTruncated || *page.Marker != "bob" {
		t.Errorf("GetGroup MaxItems 1 = %+v", page)
	}
	_, err = e.root.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("nogroup")})
	wantErr(t, err, "NoSuchEntity", 404)

	groups := must(e.root.ListGroupsForUser(ctx, &awsiam.ListGroupsForUserInput{UserName: aws.String("alice")}))(t)
	if groupNames(groups.Groups) != "devs,ops" {
		t.Errorf("ListGroupsForUser alice = %s", groupNames(groups.Groups))
	}
	_, err = e.root.ListGroupsForUser(ctx, &awsiam.ListGroupsForUserInput{UserName: aws.String("nobody")})
	wantErr(t, err, "NoSuchEntity", 404)
	all := must(e.root.ListGroups(ctx, &awsiam.ListGroupsInput{}))(t)
	if groupNames(all.Groups) != "devs,ops" || all.IsTruncated {
		t.Errorf("ListGroups = %s", groupNames(all.Groups))
	}
	first := must(e.root.ListGroups(ctx, &awsiam.ListGroupsInput{MaxItems: aws.Int32(1)}))(t)
	second := must(e.root.ListGroups(ctx, &awsiam.ListGroupsInput{Marker: first.Marker}))(t)
	if groupNames(first.Groups) != "devs" || !first.IsTruncated || groupNames(second.Groups) != "ops" || second.IsTruncated {
		t.Errorf("ListGroups pages = %s / %s", groupNames(first.Groups), groupNames(second.Groups))
	}

	// Members block deleting the group and the user.
	_, err = e.root.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("devs")})
	wantErr(t, err, "DeleteConflict", 409, "members")
	_, err = e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("bob")})
	wantErr(t, err, "DeleteConflict", 409, "group")

	must(e.root.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("bob")}))(t)
	_, err = e.root.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("bob")})
	wantErr(t, err, "NoSuchEntity", 404)
	must(e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("bob")}))(t)
	must(e.root.RemoveUserFromGroup(ctx, &awsiam.RemoveUserFromGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))(t)
	got = must(e.root.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("devs")}))(t)
	if len(got.Users) != 0 {
		t.Errorf("GetGroup after removals = %+v", got.Users)
	}
	must(e.root.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("devs")}))(t)
	_, err = e.root.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("devs")})
	wantErr(t, err, "NoSuchEntity", 404)
}

func TestAPI_GroupPolicies(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("admins")}))(t)
	p := must(e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("iam-all"), PolicyDocument: aws.String(allowIAM)}))(t).Policy
	must(e.root.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: p.Arn}))(t)
	must(e.root.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}))(t)
	_, err := e.root.AttachGroupPolicy(ctx, &awsiam.AttachGroupPolicyInput{GroupName: aws.String("nogroup"), PolicyArn: p.Arn})
	wantErr(t, err, "NoSuchEntity", 404)

	att := must(e.root.ListAttachedGroupPolicies(ctx, &awsiam.ListAttachedGroupPoliciesInput{GroupName: aws.String("admins")}))(t)
	if len(att.AttachedPolicies) != 2 || *att.AttachedPolicies[0].PolicyArn != *p.Arn ||
		*att.AttachedPolicies[1].PolicyArn != "arn:aws:iam::aws:policy/readonly" || *att.AttachedPolicies[1].PolicyName != "readonly" {
		t.Errorf("ListAttachedGroupPolicies = %+v", att.AttachedPolicies)
	}

	// A member gets the group's policies.
	bob := e.user("bob")
	_, err = bob.ListUsers(ctx, &awsiam.ListUsersInput{})
	wantErr(t, err, "AccessDenied", 403)
	must(e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("bob")}))(t)
	must(bob.ListUsers(ctx, &awsiam.ListUsersInput{}))(t)

	_, err = e.root.DeleteGroup(ctx, &awsiam.DeleteGroupInput{GroupName: aws.String("admins")})
	wantErr(t, err, "DeleteConflict", 409)
	_, err = e.root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: p.Arn})
	wantErr(t, err, "DeleteConflict", 409, "attached")

	must(e.root.DetachGroupPolicy(ctx, &awsiam.DetachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: p.Arn}))(t)
	_, err = bob.ListUsers(ctx, &awsiam.ListUsersInput{})
	wantErr(t, err, "AccessDenied", 403)
	_, err = e.root.DetachGroupPolicy(ctx, &awsiam.DetachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: p.Arn})
	wantErr(t, err, "NoSuchEntity", 404)
	must(e.root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: p.Arn}))(t)
}
