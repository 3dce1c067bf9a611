package iam_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/iam"
)

func TestPathRule_Valid(t *testing.T) {
	long := "/" + strings.Repeat("a", iam.MaxPathLength-2) + "/"
	tests := []struct {
		rule iam.PathRule
		path string
		want bool
	}{
		{iam.EntityPath, "/", true},
		{iam.EntityPath, "/s3-tests/", true},
		{iam.EntityPath, "/division_abc/subdivision_xyz/", true},
		{iam.EntityPath, "/a*b?:~/", true}, // any printable ASCII
		{iam.EntityPath, long, true},
		{iam.EntityPath, long + "a/", false}, // 514 characters
		{iam.EntityPath, "", false},
		{iam.EntityPath, "s3-tests/", false},
		{iam.EntityPath, "/s3-tests", false},
		{iam.EntityPath, "//", false},
		{iam.EntityPath, "/a b/", false},
		{iam.EntityPath, "/é/", false},
		{iam.EntityPath, "/a\x7f/", false},
		{iam.PolicyPath, "/", true},
		{iam.PolicyPath, "/team/", true},
		{iam.PolicyPath, "/team/s3.read+write@x=y,z_-/", true},
		{iam.PolicyPath, "/team", false},
		{iam.PolicyPath, "/a*b/", false},
		{iam.PolicyPath, "//", false},
		{iam.PolicyPath, "/a:b/", false},
		{iam.PathPrefix, "/", true},
		{iam.PathPrefix, "/s3", true}, // a prefix need not end with "/"
		{iam.PathPrefix, "/s3-tests/", true},
		{iam.PathPrefix, "s3-tests/", false},
		{iam.PathPrefix, "", false},
		{iam.PathPrefix, "/a b", false},
	}
	for _, tt := range tests {
		if got := tt.rule.Valid(tt.path); got != tt.want {
			t.Errorf("%s: Valid(%q) = %v, want %v", tt.rule.Pattern, tt.path, got, tt.want)
		}
	}
}

// TestService_Paths checks that users, groups and policies keep their
// path, show it in their ARN, are listed by path prefix, and that a path
// does not make a name: names are unique whatever the paths.
func TestService_Paths(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	alice, err := svc.CreateUser(ctx, "alice", iam.WithPath("/s3-tests/"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "carol", iam.WithPath("/s3-tests/nested/")); err != nil {
		t.Fatal(err)
	}
	if alice.Path != "/s3-tests/" || alice.ARN() != "arn:aws:iam::000000000000:user/s3-tests/alice" {
		t.Errorf("alice = %s %s", alice.Path, alice.ARN())
	}
	if got, _ := svc.GetUser(ctx, "alice"); got.Path != "/s3-tests/" || got.ARN() != alice.ARN() {
		t.Errorf("GetUser(alice) = %s %s", got.Path, got.ARN())
	}
	if bob, _ := svc.GetUser(ctx, "bob"); bob.Path != "/" || bob.ARN() != "arn:aws:iam::000000000000:user/bob" {
		t.Errorf("bob = %s %s", bob.Path, bob.ARN())
	}
	for prefix, want := range map[string]string{
		"":                  "alice bob carol",
		"/":                 "alice bob carol",
		"/s3-tests/":        "alice carol",
		"/s3":               "alice carol",
		"/s3-tests/nested/": "carol",
		"/other/":           "",
		"s3-tests/":         "",
	} {
		var got []string
		for _, u := range svc.ListUsers(ctx, prefix) {
			got = append(got, u.Name)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("ListUsers(%q) = %v, want %s", prefix, got, want)
		}
	}
	for name, err := range map[string]error{
		"alice at /":             func() error { _, err := svc.CreateUser(ctx, "alice"); return err }(),
		"Alice at /other/":       func() error { _, err := svc.CreateUser(ctx, "Alice", iam.WithPath("/other/")); return err }(),
		"bob at /s3-tests/":      func() error { _, err := svc.CreateUser(ctx, "bob", iam.WithPath("/s3-tests/")); return err }(),
		"policy readonly at /x/": func() error { _, err := svc.CreatePolicy(ctx, "readonly", readAll, iam.WithPath("/x/")); return err }(),
		"group ops twice by path": func() error {
			svc.CreateGroup(ctx, "ops")
			_, err := svc.CreateGroup(ctx, "ops", iam.WithPath("/y/"))
			return err
		}(),
	} {
		if !errors.Is(err, iam.ErrEntityAlreadyExists) {
			t.Errorf("%s: %v, want ErrEntityAlreadyExists", name, err)
		}
	}
	for name, err := range map[string]error{
		"user path without the final /": func() error { _, err := svc.CreateUser(ctx, "dan", iam.WithPath("/x")); return err }(),
		"empty user path":               func() error { _, err := svc.CreateUser(ctx, "dan", iam.WithPath("")); return err }(),
		"group path with a space":       func() error { _, err := svc.CreateGroup(ctx, "g", iam.WithPath("/a b/")); return err }(),
		"policy path with an asterisk":  func() error { _, err := svc.CreatePolicy(ctx, "p", readAll, iam.WithPath("/a*/")); return err }(),
	} {
		if !errors.Is(err, iam.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}

	// Groups and policies.
	g, err := svc.CreateGroup(ctx, "testers", iam.WithPath("/s3-tests/"))
	if err != nil || g.ARN() != "arn:aws:iam::000000000000:group/s3-tests/testers" {
		t.Fatalf("CreateGroup = %s, %v", g.ARN(), err)
	}
	if groups := svc.ListGroups(ctx, "/s3-tests/"); len(groups) != 1 || groups[0].Name != "testers" {
		t.Errorf("ListGroups(/s3-tests/) = %v", groups)
	}
	p, err := svc.CreatePolicy(ctx, "read", readAll, iam.WithPath("/team/"))
	if err != nil || p.ARN() != "arn:aws:iam::000000000000:policy/team/read" {
		t.Fatalf("CreatePolicy = %s, %v", p.ARN(), err)
	}
	if ps := svc.ListPolicies(ctx, "/team/"); len(ps) != 1 || ps[0].Name != "read" {
		t.Errorf("ListPolicies(/team/) = %v", ps)
	}
	if n := len(svc.ListPolicies(ctx, "/")); n != len(svc.ListPolicies(ctx, "")) || n < 2 {
		t.Errorf("ListPolicies(/) has %d policies", n)
	}
	if err := svc.AttachUserPolicy(ctx, "bob", "read"); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachUserPolicy(ctx, "bob", "readonly"); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachGroupPolicy(ctx, "testers", "read"); err != nil {
		t.Fatal(err)
	}
	for prefix, want := range map[string]int{"": 2, "/": 2, "/team/": 1, "/other/": 0} {
		if ps, err := svc.ListAttachedUserPolicies(ctx, "bob", prefix); err != nil || len(ps) != want {
			t.Errorf("ListAttachedUserPolicies(bob, %q) = %v, %v; want %d", prefix, ps, err, want)
		}
	}
	if ps, err := svc.ListAttachedGroupPolicies(ctx, "testers", "/other/"); err != nil || len(ps) != 0 {
		t.Errorf("ListAttachedGroupPolicies(testers, /other/) = %v, %v", ps, err)
	}
}

// TestService_PrincipalARNHasPath checks that the ARN policies see for a
// user (Principal.ARN, aws:PrincipalArn, GetCallerIdentity) includes the
// user's path.
func TestService_PrincipalARNHasPath(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.CreateUser(ctx, "alice", iam.WithPath("/team/")); err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateAccessKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := svc.LookupAccessKey(ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	const want = "arn:aws:iam::000000000000:user/team/alice"
	if p.ARN() != want {
		t.Errorf("Principal.ARN() = %s, want %s", p.ARN(), want)
	}
	if arn, _, _ := svc.CallerIdentity(p); arn != want {
		t.Errorf("CallerIdentity = %s, want %s", arn, want)
	}
	req := &iam.Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	_ = svc.Authorize(ctx, req)
	if got := req.Conditions["aws:principalarn"]; len(got) != 1 || got[0] != want {
		t.Errorf("aws:principalarn = %v, want %s", got, want)
	}
}
