package iamapi_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestAPI_RoleAndProviderActionsRequirePermission calls every role and
// OpenID Connect provider action, on entities that exist, as a user
// without policies: each must be refused, naming the target's ARN.
func TestAPI_RoleAndProviderActionsRequirePermission(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("Victim"), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(trustPolicy)}))(t)
	must(e.root.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("Victim"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(readS3)}))(t)
	must(e.root.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("Victim"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t)
	provARN := must(e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://idp.example.com"), ClientIDList: []string{"app"}}))(t).OpenIDConnectProviderArn
	c := e.user("nobody")

	// The role is named in another case: requests are authorized on the
	// stored role's ARN, its path included.
	victim := aws.String("VICTIM")
	roleARN := "arn:aws:iam::000000000000:role/app/Victim"
	pol := aws.String("arn:aws:iam::aws:policy/readonly")
	calls := []struct {
		action, resource string
		call             func() error
	}{
		{"CreateRole", "arn:aws:iam::000000000000:role/team/new", func() error {
			_, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("new"), Path: aws.String("/team/"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
			return err
		}},
		{"GetRole", roleARN, func() error { _, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: victim}); return err }},
		{"ListRoles", "arn:aws:iam::000000000000:role/", func() error { _, err := c.ListRoles(ctx, &awsiam.ListRolesInput{}); return err }},
		{"DeleteRole", roleARN, func() error { _, err := c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: victim}); return err }},
		{"UpdateRole", roleARN, func() error {
			_, err := c.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: victim, MaxSessionDuration: aws.Int32(43200)})
			return err
		}},
		{"UpdateRoleDescription", roleARN, func() error {
			_, err := c.UpdateRoleDescription(ctx, &awsiam.UpdateRoleDescriptionInput{RoleName: victim, Description: aws.String("x")})
			return err
		}},
		{"UpdateAssumeRolePolicy", roleARN, func() error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: victim, PolicyDocument: aws.String(trustPolicy)})
			return err
		}},
		{"AttachRolePolicy", roleARN, func() error {
			_, err := c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: victim, PolicyArn: pol})
			return err
		}},
		{"DetachRolePolicy", roleARN, func() error {
			_, err := c.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: victim, PolicyArn: pol})
			return err
		}},
		{"ListAttachedRolePolicies", roleARN, func() error {
			_, err := c.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: victim})
			return err
		}},
		{"PutRolePolicy", roleARN, func() error {
			_, err := c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: victim, PolicyName: aws.String("x"), PolicyDocument: aws.String(allowIAM)})
			return err
		}},
		{"GetRolePolicy", roleARN, func() error {
			_, err := c.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: victim, PolicyName: aws.String("inline")})
			return err
		}},
		{"DeleteRolePolicy", roleARN, func() error {
			_, err := c.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: victim, PolicyName: aws.String("inline")})
			return err
		}},
		{"ListRolePolicies", roleARN, func() error {
			_, err := c.ListRolePolicies(ctx, &awsiam.ListRolePoliciesInput{RoleName: victim})
			return err
		}},
		{"TagRole", roleARN, func() error {
			_, err := c.TagRole(ctx, &awsiam.TagRoleInput{RoleName: victim, Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}})
			return err
		}},
		{"UntagRole", roleARN, func() error {
			_, err := c.UntagRole(ctx, &awsiam.UntagRoleInput{RoleName: victim, TagKeys: []string{"k"}})
			return err
		}},
		{"ListRoleTags", roleARN, func() error { _, err := c.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: victim}); return err }},
		{"CreateOpenIDConnectProvider", "arn:aws:iam::000000000000:oidc-provider/new.example/realm", func() error {
			_, err := c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://new.example/realm/")})
			return err
		}},
		{"GetOpenIDConnectProvider", *provARN, func() error {
			_, err := c.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN})
			return err
		}},
		{"ListOpenIDConnectProviders", "arn:aws:iam::000000000000:oidc-provider/", func() error {
			_, err := c.ListOpenIDConnectProviders(ctx, &awsiam.ListOpenIDConnectProvidersInput{})
			return err
		}},
		// Without an account, the ARN is authorized as this account's.
		{"DeleteOpenIDConnectProvider", *provARN, func() error {
			_, err := c.DeleteOpenIDConnectProvider(ctx, &awsiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam:::oidc-provider/idp.example.com")})
			return err
		}},
		{"AddClientIDToOpenIDConnectProvider", *provARN, func() error {
			_, err := c.AddClientIDToOpenIDConnectProvider(ctx, &awsiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, ClientID: aws.String("evil")})
			return err
		}},
		{"RemoveClientIDFromOpenIDConnectProvider", *provARN, func() error {
			_, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &awsiam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, ClientID: aws.String("app")})
			return err
		}},
		{"UpdateOpenIDConnectProviderThumbprint", *provARN, func() error {
			_, err := c.UpdateOpenIDConnectProviderThumbprint(ctx, &awsiam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: provARN, ThumbprintList: []string{thumbprint}})
			return err
		}},
		{"TagOpenIDConnectProvider", *provARN, func() error {
			_, err := c.TagOpenIDConnectProvider(ctx, &awsiam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("y")}}})
			return err
		}},
		{"UntagOpenIDConnectProvider", *provARN, func() error {
			_, err := c.UntagOpenIDConnectProvider(ctx, &awsiam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, TagKeys: []string{"x"}})
			return err
		}},
		{"ListOpenIDConnectProviderTags", *provARN, func() error {
			_, err := c.ListOpenIDConnectProviderTags(ctx, &awsiam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: provARN})
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
	if len(covered) != 27 {
		t.Errorf("covered %d actions, want all 27", len(covered))
	}

	// Nothing changed.
	r := must(e.root.GetRole(ctx, &awsiam.GetRoleInput{RoleName: victim}))(t).Role
	if *r.MaxSessionDuration != 3600 || r.Description != nil || len(r.Tags) != 1 {
		t.Errorf("victim role changed: %+v", *r)
	}
	p := must(e.root.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN}))(t)
	if len(p.ClientIDList) != 1 || len(p.ThumbprintList) != 0 {
		t.Errorf("provider changed: %+v", p)
	}
	if n := len(must(e.root.ListRoles(ctx, &awsiam.ListRolesInput{}))(t).Roles); n != 1 {
		t.Errorf("%d roles, want 1", n)
	}
}

// TestAPI_RoleAndProviderDenyNotSidestepped checks that a Deny about a role
// or a provider holds however the request spells it: the role's name in
// another case, the provider's ARN without its account.
func TestAPI_RoleAndProviderDenyNotSidestepped(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("Guarded"), Path: aws.String("/prod/"), AssumeRolePolicyDocument: aws.String(trustPolicy)}))(t)
	provARN := must(e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://idp.example.com")}))(t).OpenIDConnectProviderArn
	c := e.user("admin2", allowIAM, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["iam:DeleteRole","iam:PutRolePolicy","iam:AttachRolePolicy","iam:DeleteOpenIDConnectProvider","iam:AddClientIDToOpenIDConnectProvider"],
		"Resource":["arn:aws:iam::000000000000:role/prod/*","arn:aws:iam::000000000000:oidc-provider/idp.example.com"]}]}`)
	_, err := c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("guarded")})
	wantErr(t, err, "AccessDenied", 403, "role/prod/Guarded")
	_, err = c.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("GUARDED"), PolicyName: aws.String("x"), PolicyDocument: aws.String(allowIAM)})
	wantErr(t, err, "AccessDenied", 403)
	_, err = c.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("Guarded"), PolicyArn: aws.String("arn:aws:iam::aws:policy/consoleAdmin")})
	wantErr(t, err, "AccessDenied", 403)
	_, err = c.DeleteOpenIDConnectProvider(ctx, &awsiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam:::oidc-provider/idp.example.com")})
	wantErr(t, err, "AccessDenied", 403, *provARN)
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &awsiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: provARN, ClientID: aws.String("evil")})
	wantErr(t, err, "AccessDenied", 403)
	// What is not denied is allowed.
	must(c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("guarded")}))(t)
	must(c.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam:::oidc-provider/idp.example.com")}))(t)
	must(c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("free"), AssumeRolePolicyDocument: aws.String(trustPolicy)}))(t)
	must(c.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("FREE")}))(t)
	// The iam:PolicyARN condition key applies to role attachments too.
	cond := e.user("attacher", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:AttachRolePolicy",
		"Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/readonly"}}}]}`)
	must(cond.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("Guarded"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}))(t)
	_, err = cond.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("Guarded"), PolicyArn: aws.String("arn:aws:iam::aws:policy/consoleAdmin")})
	wantErr(t, err, "AccessDenied", 403)
}
