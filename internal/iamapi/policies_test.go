package iamapi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const readS3 = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::photos/*"}]
}`

func policyNames(ps []types.Policy) string {
	var out []string
	for _, p := range ps {
		out = append(out, *p.PolicyName)
	}
	return strings.Join(out, ",")
}

func TestAPI_ManagedPolicies(t *testing.T) {
	e := newEnv(t)
	out := must(e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{
		PolicyName: aws.String("photos"), PolicyDocument: aws.String(readS3), Path: aws.String("/"), Description: aws.String("ignored"),
	}))(t)
	p := out.Policy
	arn := "arn:aws:iam::000000000000:policy/photos"
	if *p.PolicyName != "photos" || *p.Arn != arn || *p.Path != "/" || *p.DefaultVersionId != "v1" ||
		!strings.HasPrefix(*p.PolicyId, "ANPA") || *p.AttachmentCount != 0 || !p.IsAttachable || p.CreateDate == nil || p.UpdateDate == nil {
		t.Errorf("CreatePolicy = %+v", *p)
	}
	_, err := e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("photos"), PolicyDocument: aws.String(readS3)})
	wantErr(t, err, "EntityAlreadyExists", 409)
	_, err = e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("readonly"), PolicyDocument: aws.String(readS3)})
	wantErr(t, err, "EntityAlreadyExists", 409)

	got := must(e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy
	if *got.PolicyId != *p.PolicyId || *got.Arn != arn || *got.DefaultVersionId != "v1" || !got.IsAttachable {
		t.Errorf("GetPolicy = %+v", *got)
	}
	canned := must(e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/consoleAdmin")}))(t).Policy
	if *canned.PolicyName != "consoleAdmin" || *canned.Arn != "arn:aws:iam::aws:policy/consoleAdmin" {
		t.Errorf("GetPolicy(consoleAdmin) = %+v", *canned)
	}
	for _, missing := range []string{
		"arn:aws:iam::000000000000:policy/nope",
		"arn:aws:iam::aws:policy/photos",            // a customer policy is not AWS-managed
		"arn:aws:iam::000000000000:policy/readonly", // nor the reverse
		"arn:aws:iam::123456789012:policy/photos",   // another account
		"arn:aws:iam::000000000000:policy/x/photos", // Sesame keeps no paths
	} {
		_, err = e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(missing)})
		wantErr(t, err, "NoSuchEntity", 404, missing)
	}

	v := must(e.root.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")}))(t).PolicyVersion
	if *v.VersionId != "v1" || !v.IsDefaultVersion || v.CreateDate == nil {
		t.Errorf("GetPolicyVersion = %+v", *v)
	}
	// AWS returns the document URL-encoded; the Go SDK does not decode it.
	if strings.ContainsAny(*v.Document, "{\" ") || decodeDocument(t, v.Document) != readS3 {
		t.Errorf("GetPolicyVersion document = %q", *v.Document)
	}
	_, err = e.root.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	wantErr(t, err, "NoSuchEntity", 404, "v2")

	// ListPolicies: scopes, attachment, paging.
	must(e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("audit"), PolicyDocument: aws.String(readS3)}))(t)
	local := must(e.root.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal}))(t)
	if policyNames(local.Policies) != "audit,photos" {
		t.Errorf("ListPolicies Local = %s", policyNames(local.Policies))
	}
	awsScope := must(e.root.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws}))(t)
	if policyNames(awsScope.Policies) != "consoleAdmin,diagnostics,readonly,readwrite,writeonly" {
		t.Errorf("ListPolicies AWS = %s", policyNames(awsScope.Policies))
	}
	var names []string
	var marker *string
	for {
		page := must(e.root.ListPolicies(ctx, &awsiam.ListPoliciesInput{Marker: marker, MaxItems: aws.Int32(3)}))(t)
		names = append(names, policyNames(page.Policies))
		if !page.IsTruncated {
			break
		}
		marker = page.Marker
	}
	if strings.Join(names, "|") != "audit,consoleAdmin,diagnostics|photos,readonly,readwrite|writeonly" {
		t.Errorf("ListPolicies pages = %v", names)
	}

	// Attaching.
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)}))(t)
	must(e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}))(t)
	_, err = e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::000000000000:policy/nope")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = e.root.AttachUserPolicy(ctx, &awsiam.AttachUserPolicyInput{UserName: aws.String("nobody"), PolicyArn: aws.String(arn)})
	wantErr(t, err, "NoSuchEntity", 404, "nobody")
	att := must(e.root.ListAttachedUserPolicies(ctx, &awsiam.ListAttachedUserPoliciesInput{UserName: aws.String("alice")}))(t)
	if len(att.AttachedPolicies) != 2 || *att.AttachedPolicies[0].PolicyName != "photos" || *att.AttachedPolicies[0].PolicyArn != arn ||
		*att.AttachedPolicies[1].PolicyArn != "arn:aws:iam::aws:policy/readonly" {
		t.Errorf("ListAttachedUserPolicies = %+v", att.AttachedPolicies)
	}
	if n := *must(e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t).Policy.AttachmentCount; n != 1 {
		t.Errorf("AttachmentCount = %d, want 1", n)
	}
	attached := must(e.root.ListPolicies(ctx, &awsiam.ListPoliciesInput{OnlyAttached: true}))(t)
	if policyNames(attached.Policies) != "photos,readonly" || *attached.Policies[0].AttachmentCount != 1 {
		t.Errorf("ListPolicies OnlyAttached = %s", policyNames(attached.Policies))
	}

	_, err = e.root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantErr(t, err, "DeleteConflict", 409, "attached")
	var conflict *types.DeleteConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("DeletePolicy attached: %T is not DeleteConflictException", err)
	}
	_, err = e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")})
	wantErr(t, err, "DeleteConflict", 409, "attached policies")
	_, err = e.root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/writeonly")})
	wantErr(t, err, "InvalidInput", 400, "built in")

	must(e.root.DetachUserPolicy(ctx, &awsiam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)}))(t)
	must(e.root.DetachUserPolicy(ctx, &awsiam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}))(t)
	_, err = e.root.DetachUserPolicy(ctx, &awsiam.DetachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(arn)})
	wantErr(t, err, "NoSuchEntity", 404)
	must(e.root.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(arn)}))(t)
	_, err = e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)})
	wantErr(t, err, "NoSuchEntity", 404)
	must(e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")}))(t)
}

func TestAPI_MalformedPolicyDocument(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	tests := []struct {
		name, doc string
		fragments []string
	}{
		{"not JSON", `{"Version": "2012-10-17", "Statement": [`, nil},
		{"bad effect", `{"Version":"2012-10-17","Statement":[{"Sid":"one","Effect":"Allw","Action":"s3:*","Resource":"*"}]}`, []string{"Statement 0", "Effect", "Allw"}},
		{"unknown element", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Actions":"s3:*","Resource":"*"}]}`, []string{"Actions"}},
		{"principal in identity policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, []string{"Principal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.root.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(tt.doc)})
			wantErr(t, err, "MalformedPolicyDocument", 400, tt.fragments...)
			var mal *types.MalformedPolicyDocumentException
			if !errors.As(err, &mal) {
				t.Errorf("%T is not MalformedPolicyDocumentException", err)
			}
			_, err = e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"), PolicyDocument: aws.String(tt.doc)})
			wantErr(t, err, "MalformedPolicyDocument", 400, tt.fragments...)
		})
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("a", 3000) + `"}]}`
	_, err := e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"), PolicyDocument: aws.String(big)})
	wantErr(t, err, "LimitExceeded", 409, "2048")
}

func TestAPI_InlinePolicies(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	for _, n := range []string{"b", "a", "c"} {
		must(e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String(n), PolicyDocument: aws.String(readS3)}))(t)
	}
	_, err := e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("nobody"), PolicyName: aws.String("a"), PolicyDocument: aws.String(readS3)})
	wantErr(t, err, "NoSuchEntity", 404)

	got := must(e.root.GetUserPolicy(ctx, &awsiam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("b")}))(t)
	if *got.UserName != "alice" || *got.PolicyName != "b" || decodeDocument(t, got.PolicyDocument) != readS3 || strings.Contains(*got.PolicyDocument, "{") {
		t.Errorf("GetUserPolicy = %+v", got)
	}
	_, err = e.root.GetUserPolicy(ctx, &awsiam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("zzz")})
	wantErr(t, err, "NoSuchEntity", 404, "zzz")

	list := must(e.root.ListUserPolicies(ctx, &awsiam.ListUserPoliciesInput{UserName: aws.String("alice")}))(t)
	if strings.Join(list.PolicyNames, ",") != "a,b,c" || list.IsTruncated {
		t.Errorf("ListUserPolicies = %v", list.PolicyNames)
	}
	page := must(e.root.ListUserPolicies(ctx, &awsiam.ListUserPoliciesInput{UserName: aws.String("alice"), MaxItems: aws.Int32(2)}))(t)
	if strings.Join(page.PolicyNames, ",") != "a,b" || !page.IsTruncated || *page.Marker != "c" {
		t.Errorf("ListUserPolicies MaxItems 2 = %v %v", page.PolicyNames, page.Marker)
	}

	_, err = e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")})
	wantErr(t, err, "DeleteConflict", 409, "inline policies")
	for _, n := range []string{"a", "b", "c"} {
		must(e.root.DeleteUserPolicy(ctx, &awsiam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String(n)}))(t)
	}
	_, err = e.root.DeleteUserPolicy(ctx, &awsiam.DeleteUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("a")})
	wantErr(t, err, "NoSuchEntity", 404)
	list = must(e.root.ListUserPolicies(ctx, &awsiam.ListUserPoliciesInput{UserName: aws.String("alice")}))(t)
	if len(list.PolicyNames) != 0 {
		t.Errorf("ListUserPolicies after delete = %v", list.PolicyNames)
	}
	must(e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")}))(t)
}
