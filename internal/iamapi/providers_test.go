package iamapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const thumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

func TestAPI_OIDCProviders(t *testing.T) {
	e := newEnv(t)
	before := time.Now().Add(-time.Second)
	out := must(e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://idp.example.com/realms/lab"), ClientIDList: []string{"app", "cli"}, ThumbprintList: []string{thumbprint},
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("lab")}},
	}))(t)
	arn := "arn:aws:iam::000000000000:oidc-provider/idp.example.com/realms/lab"
	if *out.OpenIDConnectProviderArn != arn || fmt.Sprint(tagMap(out.Tags)) != "map[env:lab]" {
		t.Errorf("CreateOpenIDConnectProvider = %s, %v", *out.OpenIDConnectProviderArn, tagMap(out.Tags))
	}
	_, err := e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://idp.example.com/realms/lab/")})
	wantErr(t, err, "EntityAlreadyExists", 409, "https://idp.example.com/realms/lab")
	_, err = e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("ftp://idp.example.com")})
	wantErr(t, err, "InvalidInput", 400, "https://")
	_, err = e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://x.example"), ThumbprintList: []string{thumbprint[1:]}})
	wantErr(t, err, "ValidationError", 400, "'thumbprintList.1.member'", "greater than or equal to 40")
	_, err = e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://x.example"), ClientIDList: []string{strings.Repeat("c", 256)}})
	wantErr(t, err, "ValidationError", 400, "'clientIDList.1.member'", "less than or equal to 255")
	_, err = e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{})
	wantErr(t, err, "ValidationError", 400, "'url'")

	for _, a := range []string{arn, "arn:aws:iam:::oidc-provider/idp.example.com/realms/lab"} {
		got := must(e.root.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(a)}))(t)
		if *got.Url != "idp.example.com/realms/lab" || strings.Join(got.ClientIDList, ",") != "app,cli" ||
			strings.Join(got.ThumbprintList, ",") != thumbprint || got.CreateDate.Before(before) || len(got.Tags) != 1 {
			t.Errorf("GetOpenIDConnectProvider(%s) = %+v", a, got)
		}
	}
	_, err = e.root.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::000000000000:role/not-a-provider")})
	wantErr(t, err, "InvalidInput", 400, "not the ARN of an OpenID Connect provider")
	_, err = e.root.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::000000000000:oidc-provider/missing.example")})
	wantErr(t, err, "NoSuchEntity", 404, "missing.example")

	must(e.root.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://accounts.example.org")}))(t)
	list := must(e.root.ListOpenIDConnectProviders(ctx, &awsiam.ListOpenIDConnectProvidersInput{}))(t)
	var arns []string
	for _, p := range list.OpenIDConnectProviderList {
		arns = append(arns, *p.Arn)
	}
	if strings.Join(arns, " ") != "arn:aws:iam::000000000000:oidc-provider/accounts.example.org "+arn {
		t.Errorf("ListOpenIDConnectProviders = %v", arns)
	}

	must(e.root.AddClientIDToOpenIDConnectProvider(ctx, &awsiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("web")}))(t)
	must(e.root.AddClientIDToOpenIDConnectProvider(ctx, &awsiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("web")}))(t)
	must(e.root.RemoveClientIDFromOpenIDConnectProvider(ctx, &awsiam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("cli")}))(t)
	must(e.root.UpdateOpenIDConnectProviderThumbprint(ctx, &awsiam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{strings.Repeat("a", 40), strings.Repeat("b", 40)},
	}))(t)
	_, err = e.root.UpdateOpenIDConnectProviderThumbprint(ctx, &awsiam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantErr(t, err, "ValidationError", 400, "'thumbprintList'")
	got := must(e.root.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	if strings.Join(got.ClientIDList, ",") != "app,web" || len(got.ThumbprintList) != 2 {
		t.Errorf("after updates: %+v", got)
	}

	// A provider's tag keys are case sensitive.
	must(e.root.TagOpenIDConnectProvider(ctx, &awsiam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("ENV"), Value: aws.String("prod")}}}))(t)
	tags := must(e.root.ListOpenIDConnectProviderTags(ctx, &awsiam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	if fmt.Sprint(tagMap(tags.Tags)) != "map[ENV:prod env:lab]" || tags.IsTruncated {
		t.Errorf("ListOpenIDConnectProviderTags = %+v", tags)
	}
	must(e.root.UntagOpenIDConnectProvider(ctx, &awsiam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"env"}}))(t)
	tags = must(e.root.ListOpenIDConnectProviderTags(ctx, &awsiam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	if fmt.Sprint(tagMap(tags.Tags)) != "map[ENV:prod]" {
		t.Errorf("after UntagOpenIDConnectProvider: %v", tagMap(tags.Tags))
	}

	must(e.root.DeleteOpenIDConnectProvider(ctx, &awsiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))(t)
	_, err = e.root.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = e.root.DeleteOpenIDConnectProvider(ctx, &awsiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantErr(t, err, "NoSuchEntity", 404)
	if n := len(e.svc.OIDCProviders()); n != 1 {
		t.Errorf("%d providers left, want 1", n)
	}
}
