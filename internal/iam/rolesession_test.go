package iam_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
)

const readB = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`

// roleFixture: users alice (no policies) and bob (may sts:AssumeRole
// anything), role "reader" trusting alice directly, role "acct" trusting
// the account, both with readB; a web-identity role "ci".
type roleFixture struct {
	svc                *iam.Service
	alice, bob, mallet iam.Principal
	reader, acct, ci   iam.Role
}

func newRoleFixture(t *testing.T) *roleFixture {
	t.Helper()
	ctx := context.Background()
	st := memory.New(memory.Options{})
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f := &roleFixture{svc: svc}
	user := func(name string) iam.Principal {
		u, err := svc.CreateUser(ctx, name)
		must(err)
		return iam.Principal{User: u.Name, UserID: u.ID}
	}
	f.alice, f.bob, f.mallet = user("alice"), user("bob"), user("mallet")
	must(svc.PutUserPolicy(ctx, "bob", "assume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`))
	must(svc.PutUserPolicy(ctx, "mallet", "noassume", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}]}`))
	_, err = svc.CreatePolicy(ctx, "readb", readB)
	must(err)
	role := func(name, trust string) iam.Role {
		r, err := svc.CreateRole(ctx, name, trust)
		must(err)
		must(svc.AttachRolePolicy(ctx, name, "readb"))
		r, _ = svc.GetRole(ctx, name)
		return r
	}
	f.reader = role("reader", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/alice","arn:aws:iam::000000000000:user/mallet"]},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
		 "Condition":{"StringEquals":{"sts:ExternalId":"x-123"}}},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:role/reader"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`)
	f.acct = role("acct", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}`)
	f.ci = role("ci", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/k8s.example/cluster"},
		"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"k8s.example/cluster:aud":"sts.amazonaws.com"},"StringLike":{"k8s.example/cluster:sub":"system:serviceaccount:ci:*"}}}]}`)
	return f
}

// session returns a function that looks up the principal of an issued
// session: f.session(t)(f.svc.AssumeRoleAs(...)).
func (f *roleFixture) session(t *testing.T) func(iam.IssuedSession, error) iam.Principal {
	return func(out iam.IssuedSession, err error) iam.Principal {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := f.svc.LookupSession(context.Background(), out.Credentials.AccessKeyID, out.Credentials.SessionToken)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func can(svc *iam.Service, p iam.Principal, action, resource string) bool {
	return svc.Authorize(context.Background(), &iam.Request{Principal: p, Action: action, Resource: resource}) == nil
}

func TestService_AssumeRoleAs_trust(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	opts := iam.SessionOptions{RoleSessionName: "s1", ExternalID: "x-123"}
	cases := []struct {
		name   string
		caller iam.Principal
		role   iam.Role
		opts   iam.SessionOptions
		ok     bool
	}{
		{"named in the trust policy, with the external id", f.alice, f.reader, opts, true},
		{"wrong external id", f.alice, f.reader, iam.SessionOptions{RoleSessionName: "s1", ExternalID: "nope"}, false},
		{"no external id", f.alice, f.reader, iam.SessionOptions{RoleSessionName: "s1"}, false},
		{"not named", f.bob, f.reader, opts, false},
		{"named, but its own policy denies sts:AssumeRole", f.mallet, f.reader, opts, false},
		{"trusted through the account, its policy allows", f.bob, f.acct, iam.SessionOptions{RoleSessionName: "s1"}, true},
		{"trusted through the account, its policy says nothing", f.alice, f.acct, iam.SessionOptions{RoleSessionName: "s1"}, false},
		{"root keys cannot assume roles", iam.Principal{Root: true, User: "admin"}, f.acct, iam.SessionOptions{RoleSessionName: "s1"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.svc.AssumeRoleAs(ctx, tc.caller, tc.role, tc.opts)
			if tc.ok != (err == nil) {
				t.Fatalf("AssumeRoleAs: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, iam.ErrAccessDenied) {
				t.Errorf("refusal %v, want ErrAccessDenied", err)
			}
			if err == nil && out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/"+tc.role.Name+"/s1" {
				t.Errorf("ARN %s", out.AssumedRoleUser.Arn)
			}
		})
	}
}

func TestService_AssumeRoleAs_session(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	narrow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/only/*"}]}`
	out, err := f.svc.AssumeRoleAs(ctx, f.alice, f.reader, iam.SessionOptions{
		RoleSessionName: "s1", ExternalID: "x-123", Policy: narrow, Duration: 30 * time.Minute,
		Tags: []iam.Tag{{Key: "team", Value: "blue"}}, TransitiveTagKeys: []string{"team"}, SourceIdentity: "alice@corp",
	})
	p := f.session(t)(out, err)
	if out.PackedPolicySize <= 0 || out.SourceIdentity != "alice@corp" {
		t.Errorf("PackedPolicySize %d, SourceIdentity %q", out.PackedPolicySize, out.SourceIdentity)
	}
	if !can(f.svc, p, "s3:GetObject", "arn:aws:s3:::b/only/x") || can(f.svc, p, "s3:GetObject", "arn:aws:s3:::b/other") || can(f.svc, p, "s3:PutObject", "arn:aws:s3:::b/only/x") {
		t.Error("a role session: the role's policies ∩ the session policy")
	}
	// Condition keys of a role session.
	req := &iam.Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/only/x", Conditions: map[string][]string{}}
	f.svc.Authorize(ctx, req)
	for k, want := range map[string]string{
		"aws:principaltag/team": "blue", "aws:sourceidentity": "alice@corp", "aws:principaltype": "AssumedRole",
		"aws:principalarn": f.reader.ARN(), "aws:userid": f.reader.ID + ":s1",
	} {
		if got := req.Conditions[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, ok := req.Conditions["aws:username"]; ok {
		t.Error("a role session has no aws:username")
	}
	// A bucket policy naming the role names its sessions.
	bp, err := policy.ParseBucketPolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"`+f.reader.ARN()+`"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`), "b")
	if err != nil {
		t.Fatal(err)
	}
	if f.svc.Authorize(ctx, &iam.Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/only/x", ResourcePolicy: bp}) == nil {
		t.Error("a bucket policy denying the role must deny its session")
	}
	// Chaining: the role trusts itself, but this session's policy allows
	// no sts:AssumeRole (AWS: a trust policy naming the role is limited by
	// the session policy). A session without one may chain, for one hour
	// at most; the source identity and transitive tags travel on.
	if _, err := f.svc.AssumeRoleAs(ctx, p, f.reader, iam.SessionOptions{RoleSessionName: "s2"}); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("chaining past the session policy: %v", err)
	}
	q := f.session(t)(f.svc.AssumeRoleAs(ctx, f.alice, f.reader, iam.SessionOptions{
		RoleSessionName: "s1", ExternalID: "x-123", Tags: []iam.Tag{{Key: "team", Value: "blue"}, {Key: "env", Value: "ci"}},
		TransitiveTagKeys: []string{"team"}, SourceIdentity: "alice@corp"}))
	if _, err := f.svc.AssumeRoleAs(ctx, q, f.reader, iam.SessionOptions{RoleSessionName: "s2", Duration: 2 * time.Hour}); err == nil {
		t.Error("a chained session over one hour must be refused")
	}
	chained := f.session(t)(f.svc.AssumeRoleAs(ctx, q, f.reader, iam.SessionOptions{RoleSessionName: "s2"}))
	if chained.Session.SourceIdentity != "alice@corp" || len(chained.Session.Tags) != 1 || chained.Session.Tags[0].Key != "team" || !chained.Session.Chained {
		t.Errorf("chained session %+v", chained.Session)
	}
	if _, err := f.svc.AssumeRoleAs(ctx, q, f.reader, iam.SessionOptions{RoleSessionName: "s3", SourceIdentity: "other"}); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("changing the source identity: %v", err)
	}
	// Deleting the role ends its sessions.
	if err := f.svc.DetachRolePolicy(ctx, "reader", "readb"); err != nil {
		t.Fatal(err)
	}
	if can(f.svc, p, "s3:GetObject", "arn:aws:s3:::b/only/x") {
		t.Error("the role's policies are read live")
	}
	if err := f.svc.DeleteRole(ctx, "reader"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.LookupSession(ctx, out.Credentials.AccessKeyID, out.Credentials.SessionToken); !errors.Is(err, iam.ErrInvalidToken) {
		t.Errorf("session of a deleted role: %v", err)
	}
}

func TestService_AssumeRoleAs_limits(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	base := iam.SessionOptions{RoleSessionName: "s1", ExternalID: "x-123"}
	with := func(edit func(*iam.SessionOptions)) iam.SessionOptions { o := base; edit(&o); return o }
	many := make([]iam.Tag, 51)
	for i := range many {
		many[i] = iam.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"}
	}
	big := make([]iam.Tag, 20)
	for i := range big {
		big[i] = iam.Tag{Key: strings.Repeat("k", 100) + string(rune('a'+i)), Value: strings.Repeat("v", 256)}
	}
	for name, tc := range map[string]struct {
		opts iam.SessionOptions
		want error
	}{
		"over the role's MaxSessionDuration": {with(func(o *iam.SessionOptions) { o.Duration = 2 * time.Hour }), iam.ErrInvalidInput},
		"51 tags":                            {with(func(o *iam.SessionOptions) { o.Tags = many }), iam.ErrInvalidInput},
		"tags over the packed budget":        {with(func(o *iam.SessionOptions) { o.Tags = big }), iam.ErrPackedPolicyTooLarge},
		"transitive key without its tag":     {with(func(o *iam.SessionOptions) { o.TransitiveTagKeys = []string{"x"} }), iam.ErrInvalidInput},
		"unknown managed session policy":     {with(func(o *iam.SessionOptions) { o.PolicyARNs = []string{"arn:aws:iam::000000000000:policy/nope"} }), iam.ErrInvalidInput},
		"bad session policy":                 {with(func(o *iam.SessionOptions) { o.Policy = `{"Version":"2012-10-17"}` }), iam.ErrMalformedPolicy},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.svc.AssumeRoleAs(ctx, f.alice, f.reader, tc.opts); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	// Tags need sts:TagSession in the trust policy: "acct" has none.
	if _, err := f.svc.AssumeRoleAs(ctx, f.bob, f.acct, iam.SessionOptions{RoleSessionName: "s9", Tags: []iam.Tag{{Key: "a", Value: "b"}}}); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("tags without sts:TagSession: %v", err)
	}
	// Managed session policies bound the session together with the inline one.
	_, err := f.svc.CreatePolicy(ctx, "onlyx", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/x"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	p := f.session(t)(f.svc.AssumeRoleAs(ctx, f.bob, f.acct, iam.SessionOptions{RoleSessionName: "s9", PolicyARNs: []string{"arn:aws:iam::000000000000:policy/onlyx"}}))
	if !can(f.svc, p, "s3:GetObject", "arn:aws:s3:::b/x") || can(f.svc, p, "s3:GetObject", "arn:aws:s3:::b/y") {
		t.Error("managed session policy must narrow the session")
	}
}

func TestService_AssumeRoleWithWebIdentityAs(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	id := iam.WebIdentity{
		Provider: "k8s", ProviderARN: "arn:aws:iam::000000000000:oidc-provider/k8s.example/cluster", ConditionPrefix: "k8s.example/cluster",
		Subject: "system:serviceaccount:ci:builder", Audience: []string{"sts.amazonaws.com"},
		Claims: map[string][]string{"sub": {"system:serviceaccount:ci:builder"}},
	}
	opts := iam.SessionOptions{RoleSessionName: "pod"}
	p := f.session(t)(f.svc.AssumeRoleWithWebIdentityAs(ctx, id, f.ci, opts))
	if !can(f.svc, p, "s3:GetObject", "arn:aws:s3:::b/x") {
		t.Error("the web identity role session must have the role's permissions")
	}
	if got := p.ARN(); got != "arn:aws:sts::000000000000:assumed-role/ci/pod" {
		t.Errorf("ARN %s", got)
	}
	for name, edit := range map[string]func(*iam.WebIdentity){
		"other namespace":      func(w *iam.WebIdentity) { w.Subject = "system:serviceaccount:prod:builder" },
		"other audience":       func(w *iam.WebIdentity) { w.Audience = []string{"sesame"} },
		"azp wins over aud":    func(w *iam.WebIdentity) { w.AuthorizedParty = "other-client" },
		"other provider":       func(w *iam.WebIdentity) { w.ProviderARN = "arn:aws:iam::000000000000:oidc-provider/evil.example" },
		"same sub, other host": func(w *iam.WebIdentity) { w.ConditionPrefix = "evil.example" },
	} {
		t.Run(name, func(t *testing.T) {
			w := id
			edit(&w)
			if _, err := f.svc.AssumeRoleWithWebIdentityAs(ctx, w, f.ci, opts); !errors.Is(err, iam.ErrAccessDenied) {
				t.Errorf("got %v, want ErrAccessDenied", err)
			}
		})
	}
}

func TestService_GetSessionAndFederationToken(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	if err := f.svc.AttachUserPolicy(ctx, "alice", "readb"); err != nil {
		t.Fatal(err)
	}
	st := f.session(t)(f.svc.GetSessionToken(ctx, f.alice, 0))
	if st.ARN() != "arn:aws:iam::000000000000:user/alice" || !can(f.svc, st, "s3:GetObject", "arn:aws:s3:::b/x") {
		t.Errorf("GetSessionToken credentials act as alice: %s", st.ARN())
	}
	if arn, _, _ := f.svc.CallerIdentity(st); arn != "arn:aws:iam::000000000000:user/alice" {
		t.Errorf("GetCallerIdentity %s", arn)
	}
	if _, err := f.svc.GetSessionToken(ctx, st, 0); err == nil {
		t.Error("temporary credentials cannot call GetSessionToken")
	}
	if _, err := f.svc.GetSessionToken(ctx, f.alice, 37*time.Hour); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("37 hours: %v", err)
	}
	// Without session policies a federated user may do nothing.
	none := f.session(t)(f.svc.GetFederationToken(ctx, f.alice, "fed1", iam.SessionOptions{}))
	if can(f.svc, none, "s3:GetObject", "arn:aws:s3:::b/x") {
		t.Error("a federation token without policies must allow nothing")
	}
	out, err := f.svc.GetFederationToken(ctx, f.alice, "fed2", iam.SessionOptions{Policy: readB})
	fed := f.session(t)(out, err)
	if !can(f.svc, fed, "s3:GetObject", "arn:aws:s3:::b/x") || out.FederatedUser.Arn != "arn:aws:sts::000000000000:federated-user/fed2" {
		t.Errorf("federated user %s", out.FederatedUser.Arn)
	}
	if err := f.svc.DetachUserPolicy(ctx, "alice", "readb"); err != nil {
		t.Fatal(err)
	}
	if can(f.svc, fed, "s3:GetObject", "arn:aws:s3:::b/x") {
		t.Error("a federated user is bounded by its parent's live policies")
	}
}
