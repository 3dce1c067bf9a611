package iamapi_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestAPI_NamesRegardlessOfCase checks names on the wire: a case variant
// of a taken name is EntityAlreadyExists (409), any case finds an entity,
// and responses show the name it was created with.
func TestAPI_NamesRegardlessOfCase(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("Devs")}))(t)
	must(e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("ReadAll"), PolicyDocument: aws.String(readS3)}))(t)

	_, err := e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("Alice")})
	wantErr(t, err, "EntityAlreadyExists", 409, "alice")
	_, err = e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("Admin")}) // root is "admin"
	wantErr(t, err, "EntityAlreadyExists", 409)
	_, err = e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("DEVS")})
	wantErr(t, err, "EntityAlreadyExists", 409, "Devs")
	_, err = e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("readall"), PolicyDocument: aws.String(readS3)})
	wantErr(t, err, "EntityAlreadyExists", 409, "ReadAll")

	u := must(e.root.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ALICE")}))(t).User
	if *u.UserName != "alice" || *u.Arn != "arn:aws:iam::000000000000:user/alice" {
		t.Errorf("GetUser(ALICE) = %s %s, want alice", *u.UserName, *u.Arn)
	}
	g := must(e.root.GetGroup(ctx, &awsiam.GetGroupInput{GroupName: aws.String("devs")}))(t).Group
	if *g.GroupName != "Devs" {
		t.Errorf("GetGroup(devs) = %s, want Devs", *g.GroupName)
	}
	must(e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("DEVS"), UserName: aws.String("Alice")}))(t)
	groups := must(e.root.ListGroupsForUser(ctx, &awsiam.ListGroupsForUserInput{UserName: aws.String("aLiCe")}))(t).Groups
	if len(groups) != 1 || *groups[0].GroupName != "Devs" {
		t.Errorf("ListGroupsForUser = %v", groupNames(groups))
	}
	must(e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("ALICE"), PolicyName: aws.String("Home"), PolicyDocument: aws.String(readS3)}))(t)
	got := must(e.root.GetUserPolicy(ctx, &awsiam.GetUserPolicyInput{UserName: aws.String("Alice"), PolicyName: aws.String("HOME")}))(t)
	if *got.UserName != "alice" || *got.PolicyName != "Home" {
		t.Errorf("GetUserPolicy = %s/%s, want alice/Home", *got.UserName, *got.PolicyName)
	}
}

// TestAPI_NamesAuthorizedAsStored checks that a request naming an entity
// in another case is authorized on the stored entity's ARN: a Deny of
// user/alice also holds for UserName=ALICE, and an Allow of user/ALICE
// grants nothing on alice.
func TestAPI_NamesAuthorizedAsStored(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("devs")}))(t)
	denyAlice := e.user("mallory", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:*","Resource":"*"},
		{"Effect":"Deny","Action":"iam:*","Resource":["arn:aws:iam::000000000000:user/alice","arn:aws:iam::000000000000:group/devs"]}]}`)
	onlyUpper := e.user("eve", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:*","Resource":["arn:aws:iam::000000000000:user/ALICE","arn:aws:iam::000000000000:group/DEVS"]}]}`)
	for who, c := range map[string]*awsiam.Client{"denied alice": denyAlice, "allowed ALICE only": onlyUpper} {
		_, err := c.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("ALICE")})
		wantErr(t, err, "AccessDenied", 403, "user/alice")
		_, err = c.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("ALICE")})
		wantErr(t, err, "AccessDenied", 403, "user/alice")
		_, err = c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("Alice")})
		wantErr(t, err, "AccessDenied", 403, "user/alice")
		_, err = c.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("ALICE"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readwrite")})
		wantErr(t, err, "AccessDenied", 403, "user/alice")
		_, err = c.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("DEVS"), UserName: aws.String("mallory")})
		wantErr(t, err, "AccessDenied", 403, "group/devs")
		if t.Failed() {
			t.Fatalf("%s: a case variant sidestepped a policy", who)
		}
	}
	keys := must(e.root.ListAccessKeys(ctx, &awsiam.ListAccessKeysInput{UserName: aws.String("alice")}))(t)
	if len(keys.AccessKeyMetadata) != 0 {
		t.Errorf("alice has %d keys", len(keys.AccessKeyMetadata))
	}
}
