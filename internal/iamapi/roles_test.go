package iamapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`

func tagMap(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[*t.Key] = *t.Value
	}
	return m
}

func TestAPI_Roles(t *testing.T) {
	e := newEnv(t)
	before := time.Now().Add(-time.Second)
	r := must(e.root.CreateRole(ctx, &awsiam.CreateRoleInput{
		RoleName: aws.String("Reader"), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(trustPolicy),
		Description: aws.String("reads things"), MaxSessionDuration: aws.Int32(7200),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}, {Key: aws.String("empty"), Value: aws.String("")}},
	}))(t).Role
	if *r.RoleName != "Reader" || *r.Path != "/app/" || *r.Arn != "arn:aws:iam::000000000000:role/app/Reader" ||
		!strings.HasPrefix(*r.RoleId, "AROA") || len(*r.RoleId) != 21 || r.CreateDate.Before(before) ||
		*r.Description != "reads things" || *r.MaxSessionDuration != 7200 ||
		fmt.Sprint(tagMap(r.Tags)) != "map[empty: team:blue]" {
		t.Errorf("CreateRole = %+v", *r)
	}
	if doc := decodeDocument(t, r.AssumeRolePolicyDocument); doc != trustPolicy {
		t.Errorf("AssumeRolePolicyDocument = %s", doc)
	}

	_, err := e.root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("READER"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	wantErr(t, err, "EntityAlreadyExists", 409, "Reader")
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	_, err = e.root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("Alice"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	wantErr(t, err, "EntityAlreadyExists", 409, "user", "session")
	_, err = e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("reader")})
	wantErr(t, err, "EntityAlreadyExists", 409, "role", "session")
	_, err = e.root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17"}`)})
	wantErr(t, err, "MalformedPolicyDocument", 400, "Statement")
	_, err = e.root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy),
		PermissionsBoundary: aws.String("arn:aws:iam::000000000000:policy/boundary")})
	wantErr(t, err, "InvalidInput", 400, "Permissions boundaries are not supported")
	_, err = e.root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("bad name"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	wantErr(t, err, "InvalidInput", 400, "bad name")

	got := must(e.root.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("reader")}))(t).Role
	if *got.RoleName != "Reader" || *got.RoleId != *r.RoleId || *got.Arn != *r.Arn || len(got.Tags) != 2 ||
		*got.MaxSessionDuration != 7200 || *got.Description != "reads things" {
		t.Errorf("GetRole(reader) = %+v", *got)
	}
	_, err = e.root.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("nobody")})
	wantErr(t, err, "NoSuchEntity", 404, "nobody")

	// ListRoles: paging, path prefix, no tags.
	for _, n := range []string{"c", "b", "d"} {
		must(e.root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String(n), AssumeRolePolicyDocument: aws.String(trustPolicy)}))(t)
	}
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		page := must(e.root.ListRoles(ctx, &awsiam.ListRolesInput{Marker: marker, MaxItems: aws.Int32(3)}))(t)
		for _, r := range page.Roles {
			names = append(names, *r.RoleName)
			if len(r.Tags) != 0 || r.MaxSessionDuration == nil || r.AssumeRolePolicyDocument == nil {
				t.Errorf("ListRoles member %+v: want no tags, a MaxSessionDuration and a trust policy", r)
			}
		}
		if !page.IsTruncated {
			if pages != 1 {
				t.Errorf("%d pages", pages+1)
			}
			break
		}
		marker = page.Marker
	}
	if strings.Join(names, ",") != "b,c,d,Reader" { // regardless of case, as AWS lists them
		t.Errorf("ListRoles = %v", names)
	}
	app := must(e.root.ListRoles(ctx, &awsiam.ListRolesInput{PathPrefix: aws.String("/app/")}))(t)
	if len(app.Roles) != 1 || *app.Roles[0].RoleName != "Reader" {
		t.Errorf("ListRoles(/app/) = %+v", app.Roles)
	}

	// Updates.
	must(e.root.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("READER"), MaxSessionDuration: aws.Int32(43200)}))(t)
	upd := must(e.root.UpdateRoleDescription(ctx, &awsiam.UpdateRoleDescriptionInput{RoleName: aws.String("reader"), Description: aws.String("")}))(t).Role
	if *upd.MaxSessionDuration != 43200 || upd.Description != nil {
		t.Errorf("after UpdateRole and UpdateRoleDescription: %+v", *upd)
	}
	trust2 := `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/idp.example"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	must(e.root.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Reader"), PolicyDocument: aws.String(trust2)}))(t)
	got = must(e.root.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("Reader")}))(t).Role
	if doc := decodeDocument(t, got.AssumeRolePolicyDocument); doc != trust2 {
		t.Errorf("trust policy after update = %s", doc)
	}

	// Permissions policies.
	polARN := must(e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("media"), Path: aws.String("/m/"), PolicyDocument: aws.String(readS3)}))(t).Policy.Arn
	must(e.root.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: polARN}))(t)
	must(e.root.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}))(t)
	_, err = e.root.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::000000000000:policy/media")})
	wantErr(t, err, "NoSuchEntity", 404) // the path is part of the ARN
	att := must(e.root.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("Reader"), PathPrefix: aws.String("/m/")}))(t)
	if len(att.AttachedPolicies) != 1 || *att.AttachedPolicies[0].PolicyArn != *polARN {
		t.Errorf("ListAttachedRolePolicies(/m/) = %+v", att.AttachedPolicies)
	}
	if p := must(e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: polARN}))(t).Policy; *p.AttachmentCount != 1 {
		t.Errorf("AttachmentCount = %d, want 1", *p.AttachmentCount)
	}
	_, err = e.root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: polARN})
	wantErr(t, err, "DeleteConflict", 409, "roles")
	_, err = e.root.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("Reader")})
	wantErr(t, err, "DeleteConflict", 409, "attached policies")

	must(e.root.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("Reader"), PolicyName: aws.String("Get"), PolicyDocument: aws.String(readS3)}))(t)
	gp := must(e.root.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("READER"), PolicyName: aws.String("get")}))(t)
	if *gp.RoleName != "Reader" || *gp.PolicyName != "Get" || decodeDocument(t, gp.PolicyDocument) != readS3 {
		t.Errorf("GetRolePolicy = %+v", gp)
	}
	lp := must(e.root.ListRolePolicies(ctx, &awsiam.ListRolePoliciesInput{RoleName: aws.String("Reader")}))(t)
	if strings.Join(lp.PolicyNames, ",") != "Get" {
		t.Errorf("ListRolePolicies = %v", lp.PolicyNames)
	}
	_, err = e.root.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("Reader"), PolicyName: aws.String("x"), PolicyDocument: aws.String(`{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)})
	wantErr(t, err, "MalformedPolicyDocument", 400)
	must(e.root.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("Reader"), PolicyArn: polARN}))(t)
	must(e.root.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("Reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}))(t)
	_, err = e.root.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("Reader")})
	wantErr(t, err, "DeleteConflict", 409, "inline policies")
	must(e.root.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: aws.String("Reader"), PolicyName: aws.String("GET")}))(t)
	_, err = e.root.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("Reader"), PolicyName: aws.String("Get")})
	wantErr(t, err, "NoSuchEntity", 404, "Get")

	// Tags.
	must(e.root.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("reader"), Tags: []types.Tag{
		{Key: aws.String("TEAM"), Value: aws.String("red")}, {Key: aws.String("env"), Value: aws.String("prod")},
	}}))(t)
	page := must(e.root.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: aws.String("Reader"), MaxItems: aws.Int32(2)}))(t)
	rest := must(e.root.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: aws.String("Reader"), Marker: page.Marker}))(t)
	if !page.IsTruncated || rest.IsTruncated || fmt.Sprint(tagMap(append(page.Tags, rest.Tags...))) != "map[TEAM:red empty: env:prod]" {
		t.Errorf("ListRoleTags pages = %+v, %+v", page, rest)
	}
	must(e.root.UntagRole(ctx, &awsiam.UntagRoleInput{RoleName: aws.String("reader"), TagKeys: []string{"team", "missing"}}))(t)
	tags := must(e.root.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: aws.String("Reader")}))(t).Tags
	if fmt.Sprint(tagMap(tags)) != "map[empty: env:prod]" {
		t.Errorf("tags after UntagRole = %v", tagMap(tags))
	}
	_, err = e.root.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("reader"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantErr(t, err, "InvalidInput", 400, "aws:")

	must(e.root.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("READER")}))(t)
	_, err = e.root.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("Reader")})
	wantErr(t, err, "NoSuchEntity", 404)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("reader")}))(t) // the name is free again
}

func TestAPI_RoleValidation(t *testing.T) {
	e := newEnv(t)
	many := make([]types.Tag, 51)
	for i := range many {
		many[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
	}
	tests := []struct {
		name      string
		in        *awsiam.CreateRoleInput
		fragments []string
	}{
		{"no trust policy", &awsiam.CreateRoleInput{RoleName: aws.String("r")},
			[]string{"1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"}},
		{"session too short", &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), MaxSessionDuration: aws.Int32(3599)},
			[]string{"Value '3599' at 'maxSessionDuration'", "greater than or equal to 3600"}},
		{"session too long", &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), MaxSessionDuration: aws.Int32(43201)},
			[]string{"'maxSessionDuration'", "less than or equal to 43200"}},
		{"bad path", &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), Path: aws.String("app")},
			[]string{"'path'"}},
		{"description with a control character", &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), Description: aws.String("a\x01b")},
			[]string{"'description'", `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`}},
		{"trust policy beyond Latin-1", &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Statement":"☃"}`)},
			[]string{"'assumeRolePolicyDocument'", `[\u0009\u000A\u000D\u0020-\u00FF]+`}},
		{"bad tag key", &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy),
			Tags: []types.Tag{{Key: aws.String("a*b"), Value: aws.String("v")}}},
			[]string{"Value 'a*b' at 'tags.1.member.key'", `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`}},
		{"tag without value", &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy),
			Tags: []types.Tag{{Key: aws.String("k")}}},
			[]string{"Value null at 'tags.1.member.value'"}},
		{"51 tags", &awsiam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustPolicy), Tags: many},
			[]string{"'tags'", "less than or equal to 50"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.root.CreateRole(ctx, tt.in)
			wantErr(t, err, "ValidationError", 400, tt.fragments...)
		})
	}
	if n := len(must(e.root.ListRoles(ctx, &awsiam.ListRolesInput{}))(t).Roles); n != 0 {
		t.Errorf("%d roles created by invalid requests", n)
	}
	_, err := e.root.UpdateRoleDescription(ctx, &awsiam.UpdateRoleDescriptionInput{RoleName: aws.String("r")})
	wantErr(t, err, "ValidationError", 400, "'description'")
	_, err = e.root.UntagRole(ctx, &awsiam.UntagRoleInput{RoleName: aws.String("r")})
	wantErr(t, err, "ValidationError", 400, "'tagKeys'")
	_, err = e.root.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("r")})
	wantErr(t, err, "ValidationError", 400, "'tags'")
}

// TestAPI_RoleWireFormat checks the XML of CreateRole and GetRole as AWS
// writes it, and that a malformed list member is refused, not ignored.
func TestAPI_RoleWireFormat(t *testing.T) {
	e := newEnv(t)
	post := func(form url.Values, status int) string {
		t.Helper()
		resp, body := e.do(t, rawRequest{body: form.Encode()})
		if resp.StatusCode != status {
			t.Errorf("%s: status %d, want %d: %s", form.Get("Action"), resp.StatusCode, status, body)
		}
		return string(body)
	}
	form := url.Values{
		"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"wire"}, "AssumeRolePolicyDocument": {trustPolicy},
		"Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"},
	}
	body := post(form, http.StatusOK)
	for _, want := range []string{
		`<CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateRoleResult><Role><Path>/</Path><RoleName>wire</RoleName><RoleId>AROA`,
		`<Arn>arn:aws:iam::000000000000:role/wire</Arn><CreateDate>`,
		`<AssumeRolePolicyDocument>` + strings.ReplaceAll(url.QueryEscape(trustPolicy), "+", "%20") + `</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration>`,
		`<Tags><member><Key>k</Key><Value>v</Value></member></Tags></Role></CreateRoleResult>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("CreateRole response lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<Description>") || strings.Contains(body, "RoleLastUsed") || strings.Contains(body, "PermissionsBoundary") {
		t.Errorf("CreateRole response has empty or unsupported elements:\n%s", body)
	}
	form.Set("RoleName", "wire2")
	form.Set("Tags.member.1.Kye", "typo")
	body = post(form, http.StatusBadRequest)
	if !strings.Contains(body, "<Code>ValidationError</Code>") || !strings.Contains(body, "Tags.member.1.Kye") {
		t.Errorf("a misspelt tag field was not refused:\n%s", body)
	}
	body = post(url.Values{"Action": {"UpdateRole"}, "Version": {"2010-05-08"}, "RoleName": {"wire"}}, http.StatusOK)
	if !strings.Contains(body, "<UpdateRoleResult></UpdateRoleResult>") {
		t.Errorf("UpdateRole response:\n%s", body)
	}
}
