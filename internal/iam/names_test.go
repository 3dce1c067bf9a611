package iam_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
)

const readAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

// TestService_NamesUniqueRegardlessOfCase checks AWS's rule: user, group
// and managed policy names are unique without regard to case (a user's
// name also against the root user's), and kept as created.
func TestService_NamesUniqueRegardlessOfCase(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t) // root user "admin"
	if _, err := svc.CreateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateGroup(ctx, "Devs"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreatePolicy(ctx, "ReadAll", readAll); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		create func() error
	}{
		{"user ALICE beside alice", func() error { _, err := svc.CreateUser(ctx, "ALICE"); return err }},
		{"user Alice beside alice", func() error { _, err := svc.CreateUser(ctx, "Alice"); return err }},
		{"user Admin beside root admin", func() error { _, err := svc.CreateUser(ctx, "Admin"); return err }},
		{"user ADMIN beside root admin", func() error { _, err := svc.CreateUser(ctx, "ADMIN"); return err }},
		{"group devs beside Devs", func() error { _, err := svc.CreateGroup(ctx, "devs"); return err }},
		{"policy readall beside ReadAll", func() error { _, err := svc.CreatePolicy(ctx, "readall", readAll); return err }},
		{"policy ReadOnly beside canned readonly", func() error { _, err := svc.CreatePolicy(ctx, "ReadOnly", readAll); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.create(); !errors.Is(err, iam.ErrEntityAlreadyExists) {
				t.Errorf("got %v, want ErrEntityAlreadyExists", err)
			}
		})
	}
	if n := len(svc.ListUsers(ctx, "")); n != 1 {
		t.Errorf("%d users, want 1", n)
	}

	// Any case finds the entity, which keeps the name it was created with.
	if u, err := svc.GetUser(ctx, "ALICE"); err != nil || u.Name != "alice" {
		t.Errorf("GetUser(ALICE) = %+v, %v", u, err)
	}
	if g, _, err := svc.GetGroup(ctx, "DEVS"); err != nil || g.Name != "Devs" {
		t.Errorf("GetGroup(DEVS) = %+v, %v", g, err)
	}
	if p, err := svc.GetPolicy(ctx, "readall"); err != nil || p.Name != "ReadAll" {
		t.Errorf("GetPolicy(readall) = %+v, %v", p, err)
	}
	if err := svc.AddUserToGroup(ctx, "devs", "Alice"); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachUserPolicy(ctx, "ALICE", "readall"); err != nil {
		t.Fatal(err)
	}
	u, _ := svc.GetUser(ctx, "alice")
	if len(u.Groups) != 1 || u.Groups[0] != "Devs" || len(u.AttachedPolicies) != 1 || u.AttachedPolicies[0] != "ReadAll" {
		t.Errorf("alice's groups %v and policies %v, want the stored names [Devs] and [ReadAll]", u.Groups, u.AttachedPolicies)
	}
	if err := svc.DetachUserPolicy(ctx, "alice", "READALL"); err != nil {
		t.Errorf("DetachUserPolicy in another case: %v", err)
	}
	if err := svc.RemoveUserFromGroup(ctx, "DEVS", "alice"); err != nil {
		t.Errorf("RemoveUserFromGroup in another case: %v", err)
	}

	// Inline policy names are unique per user regardless of case: putting
	// a case variant replaces the policy, which keeps its name.
	if err := svc.PutUserPolicy(ctx, "alice", "Home", readAll); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutUserPolicy(ctx, "alice", "HOME", photosPolicy); err != nil {
		t.Fatal(err)
	}
	names, _ := svc.ListUserPolicies(ctx, "alice")
	if name, doc, err := svc.GetUserPolicy(ctx, "alice", "home"); len(names) != 1 || err != nil || name != "Home" || doc != photosPolicy {
		t.Errorf("inline policies %v; GetUserPolicy(home) = %q, %q, %v; want one, Home, replaced", names, name, doc, err)
	}
	if err := svc.DeleteUserPolicy(ctx, "alice", "hOmE"); err != nil {
		t.Errorf("DeleteUserPolicy in another case: %v", err)
	}
	if err := svc.DeleteUser(ctx, "ALICE"); err != nil {
		t.Errorf("DeleteUser in another case: %v", err)
	}
	if _, err := svc.GetUser(ctx, "alice"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("deleted user: %v", err)
	}
}

// TestService_NamesUniqueAcrossNodes checks that the store itself refuses
// a case variant, so that two nodes cannot create "Bob" and "bob" even
// when one has not yet seen the other's change.
func TestService_NamesUniqueAcrossNodes(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Options{})
	t.Cleanup(func() { st.Close() })
	open := func() *iam.Service {
		svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		return svc
	}
	a := open()
	// Nodes that no longer follow the store: their view stays as it is now.
	stale := func() *iam.Service { svc := open(); svc.Close(); return svc }
	b, c, d := stale(), stale(), stale()
	if _, err := a.CreateUser(ctx, "Bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateGroup(ctx, "Ops"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreatePolicy(ctx, "Audit", readAll); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateUser(ctx, "bob"); !errors.Is(err, iam.ErrEntityAlreadyExists) {
		t.Errorf("user bob on a node that has not seen Bob: %v, want ErrEntityAlreadyExists", err)
	}
	if _, err := c.CreateGroup(ctx, "OPS"); !errors.Is(err, iam.ErrEntityAlreadyExists) {
		t.Errorf("group OPS on a node that has not seen Ops: %v, want ErrEntityAlreadyExists", err)
	}
	if _, err := d.CreatePolicy(ctx, "audit", readAll); !errors.Is(err, iam.ErrEntityAlreadyExists) {
		t.Errorf("policy audit on a node that has not seen Audit: %v, want ErrEntityAlreadyExists", err)
	}
}

// TestService_NamesOfOlderRecords checks records written before names were
// unique regardless of case (stored under their own name, without a path):
// they are found in any case, changed and deleted under their own key, and
// of two names that differ only in case each is found by its exact name.
func TestService_NamesOfOlderRecords(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Options{})
	t.Cleanup(func() { st.Close() })
	for _, name := range []string{"Carol", "dave", "Dave"} {
		rec := store.Record{Kind: store.KindUser, Name: name, Value: []byte(`{"name":"` + name + `","id":"AIDA` + name + `"}`)}
		if err := st.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	u, err := svc.GetUser(ctx, "carol")
	if err != nil || u.Name != "Carol" || u.Path != "/" || u.ARN() != "arn:aws:iam::000000000000:user/Carol" {
		t.Fatalf("GetUser(carol) = %+v, %v; want Carol at path /", u, err)
	}
	if err := svc.SetUserStatus(ctx, "CAROL", iam.UserDisabled); err != nil {
		t.Fatalf("SetUserStatus of an older record: %v", err)
	}
	if rec, err := st.Get(ctx, store.KindUser, "Carol"); err != nil || string(rec.Value) == "" {
		t.Fatalf("older record after update: %v", err)
	}
	if _, err := svc.CreateUser(ctx, "CAROL"); !errors.Is(err, iam.ErrEntityAlreadyExists) {
		t.Errorf("CreateUser(CAROL) beside an older Carol: %v", err)
	}
	for _, name := range []string{"dave", "Dave"} {
		if u, err := svc.GetUser(ctx, name); err != nil || u.Name != name {
			t.Errorf("GetUser(%s) = %+v, %v", name, u, err)
		}
	}
	if err := svc.DeleteUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, store.KindUser, "Carol"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("older record after DeleteUser: %v, want ErrNotFound", err)
	}
}
