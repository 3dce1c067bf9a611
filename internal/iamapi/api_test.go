package iamapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/awsquery/querytest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/iamapi"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

const (
	rootUser   = "admin"
	rootSecret = "adminsecret"
)

// env is an IAM API server on a fresh in-memory store, and a root client.
type env struct {
	t     *testing.T
	svc   *iam.Service
	store *memory.Store
	url   string
	root  *awsiam.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := memory.New(memory.Options{})
	svc, err := iam.Open(context.Background(), iam.Options{Store: st, RootUser: rootUser, RootSecret: rootSecret})
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.New(sigv4.NewVerifier(sigv4.Options{}), auth.IAM(svc))
	api := iamapi.New(iamapi.Options{Service: svc, Auth: authn})
	srv := httptest.NewServer(httpx.Wrap(api, httpx.Options{}))
	t.Cleanup(func() {
		srv.Close()
		_ = svc.Close()
		_ = st.Close()
	})
	e := &env{t: t, svc: svc, store: st, url: srv.URL}
	e.root = e.client(rootUser, rootSecret)
	return e
}

// client returns an IAM client signing with the given key. The SDK's own
// parameter validation is off, so that the server's can be tested.
func (e *env) client(accessKey, secret string) *awsiam.Client {
	return awsiam.New(awsiam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.url),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
		Retryer:      aws.NopRetryer{},
		APIOptions: []func(*middleware.Stack) error{func(s *middleware.Stack) error {
			// Operations without required parameters have no validator.
			_, _ = s.Initialize.Remove("OperationInputValidation")
			return nil
		}},
	})
}

// user creates a user with an access key, attaches the given policy
// documents inline, and returns a client for it.
func (e *env) user(name string, docs ...string) *awsiam.Client {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		e.t.Fatalf("CreateUser %s: %v", name, err)
	}
	for i, doc := range docs {
		_, err := e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{
			UserName: aws.String(name), PolicyName: aws.String("p" + string(rune('0'+i))), PolicyDocument: aws.String(doc),
		})
		if err != nil {
			e.t.Fatalf("PutUserPolicy %s: %v", name, err)
		}
	}
	out, err := e.root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("CreateAccessKey %s: %v", name, err)
	}
	return e.client(*out.AccessKey.AccessKeyId, *out.AccessKey.SecretAccessKey)
}

// wantErr checks that err is the wire error code with HTTP status, and that
// its message contains every fragment.
var wantErr = querytest.WantErr

// must returns v, failing the test if err is not nil:
// must(client.Call(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func decodeDocument(t *testing.T, s *string) string {
	t.Helper()
	if s == nil {
		t.Fatal("no document")
	}
	doc, err := url.QueryUnescape(*s)
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", *s, err)
	}
	return doc
}

// allowIAM is a policy that grants every IAM action.
const allowIAM = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`

var ctx = context.Background()

func TestAPI_Users(t *testing.T) {
	e := newEnv(t)
	before := time.Now().Add(-time.Second)
	out := must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/")}))(t)
	u := out.User
	if *u.UserName != "alice" || *u.Arn != "arn:aws:iam::000000000000:user/alice" || *u.Path != "/" ||
		!strings.HasPrefix(*u.UserId, "AIDA") || u.CreateDate.Before(before) || u.CreateDate.After(time.Now().Add(time.Second)) {
		t.Errorf("CreateUser = %+v", *u)
	}

	_, err := e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")})
	wantErr(t, err, "EntityAlreadyExists", 409)
	var exists *types.EntityAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("CreateUser twice: %T is not EntityAlreadyExistsException", err)
	}
	_, err = e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bad name")})
	wantErr(t, err, "InvalidInput", 400, "bad name")

	got := must(e.root.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("alice")}))(t)
	if *got.User.UserId != *u.UserId || *got.User.Arn != *u.Arn || !got.User.CreateDate.Equal(u.CreateDate.Truncate(time.Second)) {
		t.Errorf("GetUser = %+v, want %+v", *got.User, *u)
	}
	_, err = e.root.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("nobody")})
	wantErr(t, err, "NoSuchEntity", 404, "nobody")
	var noSuch *types.NoSuchEntityException
	if !errors.As(err, &noSuch) {
		t.Errorf("GetUser nobody: %T is not NoSuchEntityException", err)
	}

	// Without UserName GetUser describes the caller: root here.
	self := must(e.root.GetUser(ctx, &awsiam.GetUserInput{}))(t)
	if *self.User.Arn != "arn:aws:iam::000000000000:root" || *self.User.UserId != "000000000000" {
		t.Errorf("GetUser as root = %+v", *self.User)
	}

	for _, n := range []string{"carol", "bob", "erin", "dave"} {
		must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String(n)}))(t)
	}
	var names []string
	var marker *string
	pages := 0
	for {
		page := must(e.root.ListUsers(ctx, &awsiam.ListUsersInput{Marker: marker, MaxItems: aws.Int32(2)}))(t)
		pages++
		for _, u := range page.Users {
			names = append(names, *u.UserName)
		}
		if !page.IsTruncated {
			if page.Marker != nil {
				t.Errorf("last page has Marker %q", *page.Marker)
			}
			break
		}
		marker = page.Marker
	}
	if strings.Join(names, ",") != "alice,bob,carol,dave,erin" || pages != 3 {
		t.Errorf("ListUsers pages = %d, names = %v", pages, names)
	}
	all := must(e.root.ListUsers(ctx, &awsiam.ListUsersInput{}))(t)
	if len(all.Users) != 5 || all.IsTruncated {
		t.Errorf("ListUsers = %d users, truncated %v", len(all.Users), all.IsTruncated)
	}
	_, err = e.root.ListUsers(ctx, &awsiam.ListUsersInput{MaxItems: aws.Int32(0)})
	wantErr(t, err, "ValidationError", 400, "maxItems")

	must(e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("bob")}))(t)
	_, err = e.root.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String("bob")})
	wantErr(t, err, "NoSuchEntity", 404)
	_, err = e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("bob")})
	wantErr(t, err, "NoSuchEntity", 404, "bob")
}

func TestAPI_ValidationError(t *testing.T) {
	e := newEnv(t)
	_, err := e.root.CreateUser(ctx, &awsiam.CreateUserInput{})
	wantErr(t, err, "ValidationError", 400,
		"1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null")
	_, err = e.root.DeleteUser(ctx, &awsiam.DeleteUserInput{})
	wantErr(t, err, "ValidationError", 400, "'userName'")
	_, err = e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("")})
	wantErr(t, err, "ValidationError", 400, "Member must have length greater than or equal to 1")
	_, err = e.root.PutUserPolicy(ctx, &awsiam.PutUserPolicyInput{UserName: aws.String("x")})
	wantErr(t, err, "ValidationError", 400, "2 validation errors detected", "'policyName'", "'policyDocument'")
	_, err = e.root.UpdateAccessKey(ctx, &awsiam.UpdateAccessKeyInput{UserName: aws.String("x"), AccessKeyId: aws.String("AKIAX"), Status: "Paused"})
	wantErr(t, err, "ValidationError", 400, "Value 'Paused' at 'status'", "[Active, Inactive]")
	_, err = e.root.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: "Everything"})
	wantErr(t, err, "ValidationError", 400, "'scope'")
	_, err = e.root.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:s3:::bucket")})
	wantErr(t, err, "ValidationError", 400, "'policyArn'")
	_, err = e.root.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")})
	wantErr(t, err, "ValidationError", 400, "'versionId'")
	_, err = e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{UserName: aws.String("x")})
	wantErr(t, err, "ValidationError", 400, "'groupName'")
}
