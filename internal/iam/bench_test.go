package iam_test

import (
	"context"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
)

// BenchmarkService_LookupSession measures what a request with temporary
// credentials costs before its signature is checked: unseal, decode, checks.
func BenchmarkService_LookupSession(b *testing.B) {
	ctx := context.Background()
	svc, _ := newService(b)
	svc.CreateUser(ctx, "alice")
	u, _ := svc.GetUser(ctx, "alice")
	creds, _, err := svc.AssumeRole(ctx, iam.Principal{User: "alice", UserID: u.ID}, iam.AssumeRoleOptions{Duration: time.Hour, Policy: photosPolicy})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkService_AuthorizeSession measures a decision for temporary
// credentials: the parent's policies intersected with the session policy,
// with the principal's condition keys added to a fresh request map.
func BenchmarkService_AuthorizeSession(b *testing.B) {
	ctx := context.Background()
	svc, _ := newService(b)
	svc.CreateUser(ctx, "alice")
	svc.AttachUserPolicy(ctx, "alice", "readwrite")
	u, _ := svc.GetUser(ctx, "alice")
	creds, _, _ := svc.AssumeRole(ctx, iam.Principal{User: "alice", UserID: u.ID}, iam.AssumeRoleOptions{Duration: time.Hour, Policy: photosPolicy})
	p, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := &iam.Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::photos/alice/x", Conditions: map[string][]string{"aws:sourceip": {"127.0.0.1"}}}
		if err := svc.Authorize(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
