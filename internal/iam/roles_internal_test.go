package iam

import (
	"context"
	"testing"

	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
)

// TestSnapshot_RoleEffective checks that the snapshot holds each role's
// compiled permissions policies, attached then inline, by folded name,
// and follows every change.
func TestSnapshot_RoleEffective(t *testing.T) {
	ctx := context.Background()
	st := memory.New(memory.Options{})
	s, err := Open(ctx, Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); st.Close() })
	trust := `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	if _, err := s.CreateRole(ctx, "Worker", trust); err != nil {
		t.Fatal(err)
	}
	if eff, ok := s.snap.Load().roleEffective["worker"]; !ok || len(eff) != 0 {
		t.Fatalf("new role: roleEffective = %v, %v; want present and empty", eff, ok)
	}
	if err := s.AttachRolePolicy(ctx, "worker", "readonly"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRolePolicy(ctx, "worker", "nodelete", inline); err != nil {
		t.Fatal(err)
	}
	snap := s.snap.Load()
	eff := snap.roleEffective["worker"]
	if len(eff) != 2 || eff[0] != snap.managed["readonly"] {
		t.Fatalf("roleEffective = %v, want [readonly, nodelete]", eff)
	}
	get := &policy.Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	del := &policy.Args{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k"}
	if eff[0].Evaluate(get) != policy.Allow || eff[1].Evaluate(del) != policy.Deny {
		t.Errorf("compiled policies do not decide as written")
	}
	if err := s.DetachRolePolicy(ctx, "worker", "readonly"); err != nil {
		t.Fatal(err)
	}
	if eff := s.snap.Load().roleEffective["worker"]; len(eff) != 1 {
		t.Errorf("after detach: %d policies, want 1", len(eff))
	}
	s.DeleteRolePolicy(ctx, "worker", "nodelete")
	s.DeleteRole(ctx, "worker")
	if _, ok := s.snap.Load().roleEffective["worker"]; ok {
		t.Error("a deleted role keeps its policies in the snapshot")
	}
}
