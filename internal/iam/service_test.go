package iam_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
)

func newService(t testing.TB) (*iam.Service, *memory.Store) {
	t.Helper()
	st := memory.New(memory.Options{})
	svc, err := iam.Open(context.Background(), iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	return svc, st
}

const photosPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::photos/${aws:username}/*"}]}`

func args(action, resource, user string) *policy.Args {
	return &policy.Args{Action: action, Resource: resource, Conditions: map[string][]string{"aws:username": {user}}}
}

func TestService_UserLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	if _, err := svc.CreateUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "alice"); !errors.Is(err, iam.ErrEntityAlreadyExists) {
		t.Fatalf("duplicate user: %v, want ErrEntityAlreadyExists", err)
	}
	if _, err := svc.CreateUser(ctx, "admin"); !errors.Is(err, iam.ErrEntityAlreadyExists) {
		t.Fatalf("user named like root: %v, want ErrEntityAlreadyExists", err)
	}
	if _, err := svc.CreateUser(ctx, "bad name!"); !errors.Is(err, iam.ErrInvalidInput) {
		t.Fatalf("bad name: %v, want ErrInvalidInput", err)
	}
	key, err := svc.CreateAccessKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(key.ID) != 20 || len(key.Secret) != 40 {
		t.Fatalf("key lengths %d/%d, want 20/40", len(key.ID), len(key.Secret))
	}
	p, secret, err := svc.LookupAccessKey(ctx, key.ID)
	if err != nil || p.User != "alice" || secret != key.Secret || p.Root {
		t.Fatalf("lookup: %+v %v", p, err)
	}
	if _, err := svc.CreateAccessKey(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateAccessKey(ctx, "alice"); !errors.Is(err, iam.ErrLimitExceeded) {
		t.Fatalf("third key: %v, want ErrLimitExceeded", err)
	}
	if err := svc.UpdateAccessKey(ctx, "alice", key.ID, iam.StatusInactive); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.LookupAccessKey(ctx, key.ID); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Fatalf("inactive key lookup: %v, want ErrNoSuchEntity", err)
	}
	if err := svc.DeleteUser(ctx, "alice"); !errors.Is(err, iam.ErrDeleteConflict) {
		t.Fatalf("delete user with keys: %v, want ErrDeleteConflict", err)
	}
	keys, _ := svc.ListAccessKeys(ctx, "alice")
	for _, k := range keys {
		if k.Secret != "" {
			t.Fatal("ListAccessKeys leaks a secret")
		}
		if err := svc.DeleteAccessKey(ctx, "alice", k.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.DeleteUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetUser(ctx, "alice"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Fatalf("get deleted user: %v", err)
	}
}

func TestService_PoliciesAndGroups(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	svc.CreateUser(ctx, "alice")
	alice := iam.Principal{User: "alice"}
	put := args("s3:PutObject", "arn:aws:s3:::photos/alice/cat.jpg", "alice")
	other := args("s3:PutObject", "arn:aws:s3:::photos/bob/cat.jpg", "alice")

	if allowed(svc, alice, put) {
		t.Fatal("allowed with no policy")
	}
	if _, err := svc.CreatePolicy(ctx, "photos", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`); !errors.Is(err, iam.ErrMalformedPolicy) {
		t.Fatalf("policy without Resource: %v, want ErrMalformedPolicy", err)
	}
	if _, err := svc.CreatePolicy(ctx, "photos", photosPolicy); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachUserPolicy(ctx, "alice", "nope"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Fatalf("attach missing policy: %v", err)
	}
	if err := svc.AttachUserPolicy(ctx, "alice", "photos"); err != nil {
		t.Fatal(err)
	}
	if !allowed(svc, alice, put) || allowed(svc, alice, other) {
		t.Fatal("photos policy: want own prefix allowed, other denied")
	}
	if err := svc.DeletePolicy(ctx, "photos"); !errors.Is(err, iam.ErrDeleteConflict) {
		t.Fatalf("delete attached policy: %v", err)
	}
	if err := svc.DetachUserPolicy(ctx, "alice", "photos"); err != nil {
		t.Fatal(err)
	}
	if allowed(svc, alice, put) {
		t.Fatal("still allowed after detach")
	}

	// Through a group, with a canned policy, and an inline Deny that wins.
	svc.CreateGroup(ctx, "staff")
	if err := svc.AttachGroupPolicy(ctx, "staff", "readwrite"); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddUserToGroup(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	if !allowed(svc, alice, other) {
		t.Fatal("readwrite through group: want allowed")
	}
	if err := svc.DeleteGroup(ctx, "staff"); !errors.Is(err, iam.ErrDeleteConflict) {
		t.Fatalf("delete group with members: %v", err)
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/bob/*"}]}`
	if err := svc.PutUserPolicy(ctx, "alice", "nobob", deny); err != nil {
		t.Fatal(err)
	}
	if allowed(svc, alice, other) || !allowed(svc, alice, put) {
		t.Fatal("inline deny must win over the group's allow, and only there")
	}
	if name, doc, err := svc.GetUserPolicy(ctx, "alice", "NoBob"); err != nil || name != "nobob" || doc != deny {
		t.Fatalf("GetUserPolicy: %q %q %v", name, doc, err)
	}
	if err := svc.RemoveUserFromGroup(ctx, "staff", "alice"); err != nil {
		t.Fatal(err)
	}
	if allowed(svc, alice, put) {
		t.Fatal("allowed after leaving the group")
	}
	if !allowed(svc, iam.Principal{Root: true}, other) {
		t.Fatal("root must be allowed")
	}
}

// TestService_FollowsStore checks that a change written by another node
// (another Service on the same store) takes effect here.
func TestService_FollowsStore(t *testing.T) {
	ctx := context.Background()
	a, st := newService(t)
	b, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.CreateUser(ctx, "carol")
	key, err := a.CreateAccessKey(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if _, _, err := b.LookupAccessKey(ctx, key.ID); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("node B never saw the key created on node A")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// allowed asks svc.Authorize whether p may do what a describes.
func allowed(svc *iam.Service, p iam.Principal, a *policy.Args) bool {
	return svc.Authorize(context.Background(), &iam.Request{Principal: p, Action: a.Action, Resource: a.Resource, Conditions: maps.Clone(a.Conditions)}) == nil
}
