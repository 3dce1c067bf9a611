package iam_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/opa"
)

// fakeOPA answers every question with allow and records the inputs; it
// stands in for OPA to check what Authorize asks and how it uses the
// answer.
type fakeOPA struct {
	allow bool
	asked []opa.Input
}

func (f *fakeOPA) Allowed(_ context.Context, in opa.Input) bool {
	f.asked = append(f.asked, in)
	return f.allow
}

// authzFixture is a service with alice (who may read bucket b and is
// explicitly denied sts:AssumeRole when denyAssume), and sessions of
// root, alice and a federated identity.
type authzFixture struct {
	svc                     *iam.Service
	root, alice, rootSess   iam.Principal
	aliceSess, fed, fedNoSP iam.Principal
	anonymous               iam.Principal
	narrow                  string
}

func newAuthzFixture(t *testing.T, ext iam.ExternalAuthorizer) *authzFixture {
	t.Helper()
	ctx := context.Background()
	st := memory.New(memory.Options{})
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret", External: ext, Providers: []string{"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	f := &authzFixture{svc: svc, anonymous: iam.Principal{Anonymous: true}}
	f.narrow = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/allowed/*"}]}`
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = svc.CreateUser(ctx, "alice")
	must(err)
	_, err = svc.CreatePolicy(ctx, "readb", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	must(err)
	must(svc.AttachUserPolicy(ctx, "alice", "readb"))
	_, err = svc.CreateUser(ctx, "nomint")
	must(err)
	must(svc.PutUserPolicy(ctx, "nomint", "deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["sts:AssumeRole","sts:GetCallerIdentity"],"Resource":"*"}]}`))
	f.root, _, _ = svc.LookupAccessKey(ctx, "admin")
	u, _ := svc.GetUser(ctx, "alice")
	f.alice = iam.Principal{User: "alice", UserID: u.ID}
	lookup := func(c iam.Credentials, err error) iam.Principal {
		t.Helper()
		must(err)
		p, _, err := svc.LookupSession(ctx, c.AccessKeyID, c.SessionToken)
		must(err)
		return p
	}
	opts := iam.AssumeRoleOptions{Duration: time.Hour, Policy: f.narrow}
	f.rootSess = lookup(first(svc.AssumeRole(ctx, f.root, opts)))
	f.aliceSess = lookup(first(svc.AssumeRole(ctx, f.alice, opts)))
	fed := iam.FederatedIdentity{Subject: "alice", Policies: []string{"readb"}, Claims: map[string][]string{"sub": {"alice"}}, Expiry: time.Now().Add(time.Hour)}
	f.fed = lookup(first(svc.AssumeRoleWithIdentity(ctx, fed, opts)))
	f.fedNoSP = lookup(first(svc.AssumeRoleWithIdentity(ctx, fed, iam.AssumeRoleOptions{})))
	return f
}

func first(c iam.Credentials, _ iam.AssumedRoleUser, err error) (iam.Credentials, error) {
	return c, err
}

func (f *authzFixture) allowed(p iam.Principal, action, resource string, rp *policy.Policy) bool {
	err := f.svc.Authorize(context.Background(), &iam.Request{Principal: p, Action: action, Resource: resource, ResourcePolicy: rp})
	if err != nil && !errors.Is(err, iam.ErrAccessDenied) {
		panic(err)
	}
	return err == nil
}

func TestService_Authorize(t *testing.T) {
	f := newAuthzFixture(t, nil)
	inside, outside := "arn:aws:s3:::b/allowed/x", "arn:aws:s3:::b/other/x"
	bucketAllowAll, err := policy.ParseBucketPolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`), "b")
	if err != nil {
		t.Fatal(err)
	}
	nomint := iam.Principal{User: "nomint"}
	cases := []struct {
		name     string
		p        iam.Principal
		action   string
		resource string
		rp       *policy.Policy
		want     bool
	}{
		{"root may do anything", f.root, "s3:DeleteBucket", "arn:aws:s3:::b", nil, true},
		{"root may call IAM", f.root, "iam:CreateUser", "arn:aws:iam::000000000000:user/x", nil, true},
		{"root session inside its session policy", f.rootSess, "s3:GetObject", inside, nil, true},
		{"root session outside its session policy", f.rootSess, "s3:GetObject", outside, nil, false},
		{"root session: a bucket policy does not widen it", f.rootSess, "s3:PutObject", inside, bucketAllowAll, false},
		{"root session may not call IAM", f.rootSess, "iam:ListUsers", "arn:aws:iam::000000000000:user/", nil, false},
		{"root session may not chain", f.rootSess, "sts:AssumeRole", "*", nil, false},
		{"user: own policy", f.alice, "s3:GetObject", outside, nil, true},
		{"user: implicit deny", f.alice, "s3:PutObject", outside, nil, false},
		{"user: the bucket policy grants", f.alice, "s3:PutObject", outside, bucketAllowAll, true},
		{"user may AssumeRole by default", f.alice, "sts:AssumeRole", "*", nil, true},
		{"an explicit Deny stops AssumeRole", nomint, "sts:AssumeRole", "*", nil, false},
		{"GetCallerIdentity despite an explicit Deny", nomint, "sts:GetCallerIdentity", "*", nil, true},
		{"user session ∩ session policy", f.aliceSess, "s3:GetObject", outside, nil, false},
		{"user session inside", f.aliceSess, "s3:GetObject", inside, nil, true},
		{"federated: named policy", f.fedNoSP, "s3:GetObject", outside, nil, true},
		{"federated ∩ session policy", f.fed, "s3:GetObject", outside, nil, false},
		{"federated may not call IAM", f.fedNoSP, "iam:GetUser", "arn:aws:iam::000000000000:user/alice", nil, false},
		{"anonymous without a resource policy", f.anonymous, "s3:GetObject", inside, nil, false},
		{"anonymous with a public bucket", f.anonymous, "s3:GetObject", inside, bucketAllowAll, true},
		{"anonymous never calls GetCallerIdentity", f.anonymous, "sts:GetCallerIdentity", "*", nil, false},
		{"anonymous never calls IAM", f.anonymous, "iam:ListUsers", "*", bucketAllowAll, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.allowed(tc.p, tc.action, tc.resource, tc.rp); got != tc.want {
				t.Errorf("Authorize = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestService_Authorize_principalKeys checks the condition keys Authorize
// derives from the principal: a federated session never has an
// aws:username, whatever its token's sub, and is named by the ARN STS
// reports for it.
func TestService_Authorize_principalKeys(t *testing.T) {
	f := newAuthzFixture(t, nil)
	check := func(p iam.Principal, want map[string]string, absent ...string) {
		t.Helper()
		req := &iam.Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x",
			Conditions: map[string][]string{"aws:username": {"forged"}, "jwt:sub": {"forged"}}}
		f.svc.Authorize(context.Background(), req)
		for k, v := range want {
			if got := req.Conditions[k]; len(got) != 1 || got[0] != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		for _, k := range absent {
			if got, ok := req.Conditions[k]; ok {
				t.Errorf("%s = %q, want absent", k, got)
			}
		}
	}
	check(f.alice, map[string]string{"aws:username": "alice", "aws:principaltype": "User", "aws:principalarn": "arn:aws:iam::000000000000:user/alice"}, "jwt:sub")
	check(f.aliceSess, map[string]string{"aws:username": "alice", "aws:principaltype": "AssumedRole", "aws:userid": f.alice.UserID}, "jwt:sub")
	check(f.fed, map[string]string{
		"aws:principaltype": "AssumedRole", "jwt:sub": "alice",
		"aws:principalarn": "arn:aws:sts::000000000000:assumed-role/openid/alice",
		"aws:userid":       iam.FederatedRoleID(iam.FederatedRole("")) + ":alice",
	}, "aws:username")
	check(f.anonymous, map[string]string{"aws:principaltype": "Anonymous"}, "aws:username", "aws:userid", "jwt:sub")
	if f.fed.ARN() == iam.UserARN("/", "alice") || f.fed.ARN() == f.aliceSess.ARN() {
		t.Errorf("federated ARN %s collides with alice's", f.fed.ARN())
	}
	if iam.FederatedRoleID("") == iam.FederatedRoleID("OTHER") {
		t.Error("two providers share a role id")
	}
}

// TestService_Authorize_external checks that an external authorizer
// answers for every caller, root included, that a session policy still
// narrows its Allow, and that the structural rules come first.
func TestService_Authorize_external(t *testing.T) {
	ext := &fakeOPA{allow: true}
	f := newAuthzFixture(t, ext)
	inside, outside := "arn:aws:s3:::b/allowed/x", "arn:aws:s3:::b/other/x"
	if !f.allowed(f.rootSess, "s3:GetObject", inside, nil) || f.allowed(f.rootSess, "s3:GetObject", outside, nil) {
		t.Error("with OPA, a root session's policy must still narrow it")
	}
	if f.allowed(f.aliceSess, "iam:ListUsers", "*", nil) {
		t.Error("with OPA, temporary credentials must still not call IAM")
	}
	if !f.allowed(f.alice, "s3:DeleteBucket", "arn:aws:s3:::b", nil) {
		t.Error("OPA allowed, Sesame denied")
	}
	ext.allow = false
	if f.allowed(f.root, "s3:GetObject", inside, nil) {
		t.Error("OPA denied root, Sesame allowed")
	}
	last := ext.asked[len(ext.asked)-1]
	if !last.Owner || last.Bucket != "b" || last.Object != "allowed/x" || last.Action != "s3:GetObject" {
		t.Errorf("OPA input %+v", last)
	}
	// Federated identities without a policy claim are OPA's to judge.
	ctx := context.Background()
	noClaim := iam.FederatedIdentity{Subject: "svc", PolicyErr: errors.New("no policy claim"), Expiry: time.Now().Add(time.Hour)}
	if _, _, err := f.svc.AssumeRoleWithIdentity(ctx, noClaim, iam.AssumeRoleOptions{}); err != nil {
		t.Errorf("with OPA, a token without a policy claim: %v", err)
	}
	builtin := newAuthzFixture(t, nil)
	if _, _, err := builtin.svc.AssumeRoleWithIdentity(ctx, noClaim, iam.AssumeRoleOptions{}); err == nil || err.Error() != "no policy claim" {
		t.Errorf("without OPA, a token without a policy claim: %v, want its PolicyErr", err)
	}
}

func TestService_CreateUser_providerName(t *testing.T) {
	f := newAuthzFixture(t, nil)
	for _, name := range []string{"openid", "OpenID"} {
		if _, err := f.svc.CreateUser(context.Background(), name); !errors.Is(err, iam.ErrInvalidInput) {
			t.Errorf("CreateUser(%q) = %v, want ErrInvalidInput: its sessions would share the provider's ARNs", name, err)
		}
	}
}
