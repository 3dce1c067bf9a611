package iam_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
)

const trustEveryone = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`

func TestService_RoleLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	r, err := svc.CreateRole(ctx, "Reader", trustEveryone, iam.WithRolePath("/app/"), iam.WithDescription("reads"),
		iam.WithTags(iam.Tag{Key: "team", Value: "blue"}))
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "Reader" || r.Path != "/app/" || !strings.HasPrefix(r.ID, "AROA") || len(r.ID) != 21 ||
		r.ARN() != "arn:aws:iam::000000000000:role/app/Reader" || r.MaxSessionDuration != iam.DefaultRoleSessionDuration ||
		r.AssumeRolePolicyDocument != trustEveryone || r.Description != "reads" || r.Created.IsZero() ||
		len(r.Tags) != 1 || r.Tags[0] != (iam.Tag{Key: "team", Value: "blue"}) {
		t.Errorf("CreateRole = %+v", r)
	}
	for _, name := range []string{"Reader", "reader", "READER"} {
		if _, err := svc.CreateRole(ctx, name, trustEveryone); !errors.Is(err, iam.ErrEntityAlreadyExists) {
			t.Errorf("CreateRole(%s) beside Reader: %v, want ErrEntityAlreadyExists", name, err)
		}
	}
	got, err := svc.GetRole(ctx, "rEaDeR")
	if err != nil || got.Name != "Reader" || got.ID != r.ID || !got.Created.Equal(r.Created) {
		t.Errorf("GetRole(rEaDeR) = %+v, %v", got, err)
	}
	// A returned role is a copy: changing it changes nothing stored.
	got.Tags[0].Value = "red"
	if again, _ := svc.GetRole(ctx, "Reader"); again.Tags[0].Value != "blue" {
		t.Error("GetRole returns the snapshot's tags, not a copy")
	}

	desc, hours := "", 12*3600
	if err := svc.UpdateRole(ctx, "reader", iam.RoleUpdate{Description: &desc, MaxSessionDuration: &hours}); err != nil {
		t.Fatal(err)
	}
	trust2 := `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/idp.example"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	if err := svc.UpdateAssumeRolePolicy(ctx, "READER", trust2); err != nil {
		t.Fatal(err)
	}
	got, _ = svc.GetRole(ctx, "Reader")
	if got.Description != "" || got.MaxSessionDuration != hours || got.AssumeRolePolicyDocument != trust2 {
		t.Errorf("after updates: %+v", got)
	}
	if err := svc.UpdateRole(ctx, "nobody", iam.RoleUpdate{Description: &desc}); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("UpdateRole(nobody): %v", err)
	}

	if err := svc.DeleteRole(ctx, "READER"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetRole(ctx, "Reader"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("GetRole after delete: %v", err)
	}
	if err := svc.DeleteRole(ctx, "Reader"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("DeleteRole twice: %v", err)
	}
}

func TestService_CreateRoleValidation(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	many := make([]iam.Tag, iam.MaxTags+1)
	for i := range many {
		many[i] = iam.Tag{Key: fmt.Sprintf("k%d", i)}
	}
	big := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Sid":"` + strings.Repeat("x", iam.MaxTrustPolicySize) + `"}]}`
	tests := []struct {
		name, role, trust string
		opts              []iam.RoleOption
		want              error
	}{
		{"bad name", "bad name", trustEveryone, nil, iam.ErrInvalidInput},
		{"long name", strings.Repeat("r", 65), trustEveryone, nil, iam.ErrInvalidInput},
		{"bad path", "r", trustEveryone, []iam.RoleOption{iam.WithRolePath("app/")}, iam.ErrInvalidInput},
		{"trust not JSON", "r", `Statement`, nil, iam.ErrMalformedPolicy},
		{"trust not an object", "r", `[{"Statement":[{}]}]`, nil, iam.ErrMalformedPolicy},
		{"trust without Statement", "r", `{"Version":"2012-10-17"}`, nil, iam.ErrMalformedPolicy},
		{"trust with empty Statement", "r", `{"Statement":[]}`, nil, iam.ErrMalformedPolicy},
		{"trust too large", "r", big, nil, iam.ErrLimitExceeded},
		{"description too long", "r", trustEveryone, []iam.RoleOption{iam.WithDescription(strings.Repeat("d", 1001))}, iam.ErrInvalidInput},
		{"description with a control character", "r", trustEveryone, []iam.RoleOption{iam.WithDescription("a\x00b")}, iam.ErrInvalidInput},
		{"session too short", "r", trustEveryone, []iam.RoleOption{iam.WithMaxSessionDuration(3599)}, iam.ErrInvalidInput},
		{"session too long", "r", trustEveryone, []iam.RoleOption{iam.WithMaxSessionDuration(43201)}, iam.ErrInvalidInput},
		{"tag key aws:", "r", trustEveryone, []iam.RoleOption{iam.WithTags(iam.Tag{Key: "AWS:x"})}, iam.ErrInvalidInput},
		{"tag key empty", "r", trustEveryone, []iam.RoleOption{iam.WithTags(iam.Tag{Key: ""})}, iam.ErrInvalidInput},
		{"tag key bad character", "r", trustEveryone, []iam.RoleOption{iam.WithTags(iam.Tag{Key: "a*b"})}, iam.ErrInvalidInput},
		{"tag value too long", "r", trustEveryone, []iam.RoleOption{iam.WithTags(iam.Tag{Key: "k", Value: strings.Repeat("v", 257)})}, iam.ErrInvalidInput},
		{"tag keys differing in case", "r", trustEveryone, []iam.RoleOption{iam.WithTags(iam.Tag{Key: "Dept"}, iam.Tag{Key: "dept"})}, iam.ErrInvalidInput},
		{"51 tags", "r", trustEveryone, []iam.RoleOption{iam.WithTags(many...)}, iam.ErrLimitExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.CreateRole(ctx, tt.role, tt.trust, tt.opts...); !errors.Is(err, tt.want) {
				t.Errorf("CreateRole: %v, want %v", err, tt.want)
			}
		})
	}
	if n := len(svc.ListRoles(ctx, "")); n != 0 {
		t.Errorf("%d roles created by invalid requests", n)
	}
	// At the limits.
	ok := []iam.RoleOption{iam.WithMaxSessionDuration(43200), iam.WithDescription(strings.Repeat("d", 1000)), iam.WithTags(many[:iam.MaxTags]...)}
	if _, err := svc.CreateRole(ctx, strings.Repeat("r", 64), trustEveryone, ok...); err != nil {
		t.Errorf("CreateRole at the limits: %v", err)
	}
	// White space does not count against the trust policy's size, as in AWS.
	spaced := strings.Replace(trustEveryone, ",", ","+strings.Repeat(" ", iam.MaxTrustPolicySize), 1)
	if _, err := svc.CreateRole(ctx, "spaced", spaced); err != nil {
		t.Errorf("CreateRole with a trust policy padded with white space: %v", err)
	}
	if err := svc.UpdateAssumeRolePolicy(ctx, "spaced", `{}`); !errors.Is(err, iam.ErrMalformedPolicy) {
		t.Errorf("UpdateAssumeRolePolicy({}): %v", err)
	}
	bad := 100
	if err := svc.UpdateRole(ctx, "spaced", iam.RoleUpdate{MaxSessionDuration: &bad}); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("UpdateRole(MaxSessionDuration 100): %v", err)
	}
}

// TestService_RoleNamesShareNamespace checks that roles, users (root
// included) and the configured OpenID providers never share a name, in
// any case: it is the role part of their sessions' ARNs.
func TestService_RoleNamesShareNamespace(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Options{})
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret", Providers: []string{"openid", "Keycloak"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	if _, err := svc.CreateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateRole(ctx, "App", trustEveryone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		create func() error
		want   error
	}{
		{"role Alice beside user alice", func() error { _, err := svc.CreateRole(ctx, "Alice", trustEveryone); return err }, iam.ErrEntityAlreadyExists},
		{"role admin beside root", func() error { _, err := svc.CreateRole(ctx, "admin", trustEveryone); return err }, iam.ErrEntityAlreadyExists},
		{"role ADMIN beside root", func() error { _, err := svc.CreateRole(ctx, "ADMIN", trustEveryone); return err }, iam.ErrEntityAlreadyExists},
		{"role openid beside provider", func() error { _, err := svc.CreateRole(ctx, "openid", trustEveryone); return err }, iam.ErrInvalidInput},
		{"role keycloak beside provider Keycloak", func() error { _, err := svc.CreateRole(ctx, "keycloak", trustEveryone); return err }, iam.ErrInvalidInput},
		{"user app beside role App", func() error { _, err := svc.CreateUser(ctx, "app"); return err }, iam.ErrEntityAlreadyExists},
		{"user APP beside role App", func() error { _, err := svc.CreateUser(ctx, "APP"); return err }, iam.ErrEntityAlreadyExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.create()
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "session") && !strings.Contains(err.Error(), "already exists") {
				t.Errorf("message %q does not say why", err)
			}
		})
	}
	if n := len(svc.ListRoles(ctx, "")); n != 1 {
		t.Errorf("%d roles, want 1", n)
	}
	if n := len(svc.ListUsers(ctx, "")); n != 1 {
		t.Errorf("%d users, want 1", n)
	}
	// The name is free again once the role is gone.
	if err := svc.DeleteRole(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "app"); err != nil {
		t.Errorf("CreateUser(app) after the role is deleted: %v", err)
	}
}

func TestService_RolePolicies(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.CreateRole(ctx, "worker", trustEveryone); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreatePolicy(ctx, "photos", photosPolicy, iam.WithPath("/media/")); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachRolePolicy(ctx, "worker", "nope"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("attach a missing policy: %v", err)
	}
	if err := svc.AttachRolePolicy(ctx, "nobody", "photos"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("attach to a missing role: %v", err)
	}
	for _, p := range []string{"PHOTOS", "photos", "readonly"} { // any case; twice is a no-op
		if err := svc.AttachRolePolicy(ctx, "WORKER", p); err != nil {
			t.Fatalf("AttachRolePolicy(%s): %v", p, err)
		}
	}
	if n := svc.AttachmentCount("photos"); n != 1 {
		t.Errorf("AttachmentCount(photos) = %d, want 1 (the role)", n)
	}
	if err := svc.DeletePolicy(ctx, "photos"); !errors.Is(err, iam.ErrDeleteConflict) {
		t.Errorf("DeletePolicy while a role has it: %v, want ErrDeleteConflict", err)
	}
	all, _ := svc.ListAttachedRolePolicies(ctx, "worker", "")
	media, _ := svc.ListAttachedRolePolicies(ctx, "worker", "/media/")
	if len(all) != 2 || len(media) != 1 || media[0].Name != "photos" {
		t.Errorf("ListAttachedRolePolicies: all %v, /media/ %v", all, media)
	}
	if _, err := svc.ListAttachedRolePolicies(ctx, "nobody", ""); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("ListAttachedRolePolicies(nobody): %v", err)
	}
	if err := svc.DeleteRole(ctx, "worker"); !errors.Is(err, iam.ErrDeleteConflict) || !strings.Contains(err.Error(), "attached policies") {
		t.Errorf("DeleteRole with attached policies: %v", err)
	}

	// At most MaxAttachedPolicies.
	for i := 0; i < iam.MaxAttachedPolicies-2; i++ {
		name := fmt.Sprintf("p%d", i)
		if _, err := svc.CreatePolicy(ctx, name, readAll); err != nil {
			t.Fatal(err)
		}
		if err := svc.AttachRolePolicy(ctx, "worker", name); err != nil {
			t.Fatal(err)
		}
	}
	svc.CreatePolicy(ctx, "one-too-many", readAll)
	if err := svc.AttachRolePolicy(ctx, "worker", "one-too-many"); !errors.Is(err, iam.ErrLimitExceeded) || !strings.Contains(err.Error(), "PoliciesPerRole") {
		t.Errorf("11th policy: %v, want ErrLimitExceeded for PoliciesPerRole", err)
	}
	for i := 0; i < iam.MaxAttachedPolicies-2; i++ {
		svc.DetachRolePolicy(ctx, "worker", fmt.Sprintf("p%d", i))
	}
	if err := svc.DetachRolePolicy(ctx, "worker", "photos"); err != nil {
		t.Fatal(err)
	}
	if err := svc.DetachRolePolicy(ctx, "worker", "photos"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("detach twice: %v", err)
	}
	if err := svc.DeletePolicy(ctx, "photos"); err != nil {
		t.Errorf("DeletePolicy once detached: %v", err)
	}
	svc.DetachRolePolicy(ctx, "worker", "readonly")

	// Inline policies: names in any case, documents parsed.
	if err := svc.PutRolePolicy(ctx, "worker", "Inline", readAll); err != nil {
		t.Fatal(err)
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	if err := svc.PutRolePolicy(ctx, "worker", "INLINE", deny); err != nil {
		t.Fatal(err)
	}
	if name, doc, err := svc.GetRolePolicy(ctx, "Worker", "inline"); err != nil || name != "Inline" || doc != deny {
		t.Errorf("GetRolePolicy = %q %q %v", name, doc, err)
	}
	if err := svc.PutRolePolicy(ctx, "worker", "bad", `{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`); !errors.Is(err, iam.ErrMalformedPolicy) {
		t.Errorf("inline policy without Resource: %v", err)
	}
	if err := svc.PutRolePolicy(ctx, "worker", "bad name", readAll); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("inline policy named 'bad name': %v", err)
	}
	if err := svc.PutRolePolicy(ctx, "worker", strings.Repeat("n", 128), readAll); err != nil {
		t.Errorf("inline policy name of 128 characters: %v", err)
	}
	names, _ := svc.ListRolePolicies(ctx, "worker")
	if len(names) != 2 || names[0] != "Inline" {
		t.Errorf("ListRolePolicies = %v", names)
	}
	if err := svc.DeleteRole(ctx, "worker"); !errors.Is(err, iam.ErrDeleteConflict) || !strings.Contains(err.Error(), "inline policies") {
		t.Errorf("DeleteRole with inline policies: %v", err)
	}
	for _, n := range names {
		if err := svc.DeleteRolePolicy(ctx, "worker", strings.ToUpper(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.DeleteRolePolicy(ctx, "worker", "inline"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("DeleteRolePolicy twice: %v", err)
	}
	if _, _, err := svc.GetRolePolicy(ctx, "worker", "inline"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("GetRolePolicy after delete: %v", err)
	}
	if err := svc.DeleteRole(ctx, "worker"); err != nil {
		t.Errorf("DeleteRole once bare: %v", err)
	}
}

// TestService_RoleInlinePolicySize checks AWS's quota: all of a role's
// inline policies together are at most 10,240 characters, white space not
// counted.
func TestService_RoleInlinePolicySize(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	svc.CreateRole(ctx, "r", trustEveryone)
	// doc(n) is a policy of exactly n characters other than white space.
	doc := func(n int) string {
		base := `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/"}]}`
		pad := n - len(base)
		return strings.Replace(base, `b/"`, `b/`+strings.Repeat("x", pad)+`"`, 1)
	}
	if err := svc.PutRolePolicy(ctx, "r", "big", doc(iam.MaxRoleInlinePolicySize+1)); !errors.Is(err, iam.ErrLimitExceeded) {
		t.Errorf("one policy over the limit: %v", err)
	}
	if err := svc.PutRolePolicy(ctx, "r", "a", doc(6000)); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutRolePolicy(ctx, "r", "b", doc(iam.MaxRoleInlinePolicySize-6000+1)); !errors.Is(err, iam.ErrLimitExceeded) {
		t.Errorf("two policies over the limit together: %v", err)
	}
	if err := svc.PutRolePolicy(ctx, "r", "b", doc(iam.MaxRoleInlinePolicySize-6000)); err != nil {
		t.Errorf("two policies at the limit together: %v", err)
	}
	// Replacing a policy counts its new size, not both.
	if err := svc.PutRolePolicy(ctx, "r", "A", doc(6000)); err != nil {
		t.Errorf("replacing a policy with one of the same size: %v", err)
	}
	// White space is not counted.
	spaced := strings.Replace(doc(100), ",", ", "+strings.Repeat("\n", 5000), 1)
	svc.DeleteRolePolicy(ctx, "r", "b")
	if err := svc.PutRolePolicy(ctx, "r", "spaced", spaced); err != nil {
		t.Errorf("a policy padded with white space: %v", err)
	}
}

func TestService_ListRolesPathPrefix(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	for _, r := range []struct{ path, name string }{{"/", "b"}, {"/app/", "c"}, {"/app/x/", "a"}, {"/apple/", "d"}} {
		if _, err := svc.CreateRole(ctx, r.name, trustEveryone, iam.WithRolePath(r.path)); err != nil {
			t.Fatal(err)
		}
	}
	for prefix, want := range map[string]string{"": "a,b,c,d", "/": "a,b,c,d", "/app/": "a,c", "/app": "a,c,d", "/none/": ""} {
		var got []string
		for _, r := range svc.ListRoles(ctx, prefix) {
			got = append(got, r.Name)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("ListRoles(%q) = %v, want %s", prefix, got, want)
		}
	}
}

func TestService_RoleByARN(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.CreateRole(ctx, "Reader", trustEveryone, iam.WithRolePath("/app/")); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateRole(ctx, "plain", trustEveryone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arn  string
		want string // role name, "" for none
	}{
		{"arn:aws:iam::000000000000:role/app/Reader", "Reader"},
		{"arn:aws:iam:::role/app/Reader", "Reader"},
		{"arn:aws:iam::000000000000:role/plain", "plain"},
		{"arn:aws:iam:::role/plain", "plain"},
		{"arn:aws:iam::000000000000:role/Reader", ""},       // path missing
		{"arn:aws:iam::000000000000:role/other/Reader", ""}, // wrong path
		{"arn:aws:iam::000000000000:role/app/reader", ""},   // wrong case
		{"arn:aws:iam::123456789012:role/plain", ""},        // another account
		{"arn:aws:iam::000000000000:user/plain", ""},
		{"arn:aws:sts::000000000000:assumed-role/plain/s", ""},
		{"arn:aws:iam::000000000000:role/nobody", ""},
		{"plain", ""},
		{"", ""},
	}
	for _, tt := range tests {
		r, ok := svc.RoleByARN(tt.arn)
		if ok != (tt.want != "") || r.Name != tt.want {
			t.Errorf("RoleByARN(%q) = %q, %v; want %q", tt.arn, r.Name, ok, tt.want)
		}
	}
}

func TestService_RoleTags(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	svc.CreateRole(ctx, "r", trustEveryone, iam.WithTags(iam.Tag{Key: "Department", Value: "finance"}, iam.Tag{Key: "env", Value: "prod"}))
	// AWS: a role's tag keys are not case sensitive; the new tag replaces the old.
	if err := svc.TagRole(ctx, "R", []iam.Tag{{Key: "department", Value: "hr"}, {Key: "owner", Value: ""}}); err != nil {
		t.Fatal(err)
	}
	tags, _ := svc.ListRoleTags(ctx, "r")
	want := []iam.Tag{{Key: "department", Value: "hr"}, {Key: "env", Value: "prod"}, {Key: "owner"}}
	if !slices.Equal(tags, want) {
		t.Errorf("tags = %v, want %v", tags, want)
	}
	if err := svc.UntagRole(ctx, "r", []string{"DEPARTMENT", "missing"}); err != nil {
		t.Fatal(err)
	}
	tags, _ = svc.ListRoleTags(ctx, "r")
	if !slices.Equal(tags, want[1:]) {
		t.Errorf("after UntagRole: %v, want %v", tags, want[1:])
	}
	// At most MaxTags in all.
	var more []iam.Tag
	for i := 0; i < iam.MaxTags-1; i++ {
		more = append(more, iam.Tag{Key: fmt.Sprintf("k%d", i)})
	}
	if err := svc.TagRole(ctx, "r", more); !errors.Is(err, iam.ErrLimitExceeded) {
		t.Errorf("51 tags in all: %v, want ErrLimitExceeded", err)
	}
	if err := svc.TagRole(ctx, "r", more[:iam.MaxTags-2]); err != nil {
		t.Errorf("50 tags in all: %v", err)
	}
	if err := svc.TagRole(ctx, "r", []iam.Tag{{Key: "aws:reserved", Value: "x"}}); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("tag aws:reserved: %v", err)
	}
	if err := svc.TagRole(ctx, "nobody", []iam.Tag{{Key: "k"}}); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("TagRole(nobody): %v", err)
	}
	if err := svc.UntagRole(ctx, "r", []string{""}); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("UntagRole with an empty key: %v", err)
	}
	if _, err := svc.ListRoleTags(ctx, "nobody"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("ListRoleTags(nobody): %v", err)
	}
}
