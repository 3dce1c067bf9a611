package iam_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
)

// clock is an adjustable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openAt(t *testing.T, st *memory.Store, c *clock) *iam.Service {
	t.Helper()
	svc, err := iam.Open(context.Background(), iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret", Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func TestService_AssumeRole(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	st := memory.New(memory.Options{})
	svc := openAt(t, st, c)
	svc.CreateUser(ctx, "alice")
	svc.AttachUserPolicy(ctx, "alice", "readwrite")
	alice, _ := svc.GetUser(ctx, "alice")
	parent := iam.Principal{User: "alice", UserID: alice.ID}

	onePrefix := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::photos/trip/*"}]}`
	creds, user, err := svc.AssumeRole(ctx, parent, iam.AssumeRoleOptions{Duration: time.Hour, Policy: onePrefix, RoleSessionName: "upload"})
	if err != nil {
		t.Fatal(err)
	}
	if len(creds.AccessKeyID) != 20 || len(creds.SecretAccessKey) != 40 || !creds.Expiration.Equal(c.now().Add(time.Hour)) {
		t.Fatalf("credentials %d/%d chars, expiry %v", len(creds.AccessKeyID), len(creds.SecretAccessKey), creds.Expiration)
	}
	if user.Arn != "arn:aws:sts::000000000000:assumed-role/alice/upload" {
		t.Errorf("assumed role ARN %q", user.Arn)
	}
	p, secret, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil || secret != creds.SecretAccessKey || p.User != "alice" || p.Session == nil {
		t.Fatalf("LookupSession: %+v %v", p, err)
	}
	in := &policy.Args{Action: "s3:PutObject", Resource: "arn:aws:s3:::photos/trip/a.jpg"}
	out := &policy.Args{Action: "s3:PutObject", Resource: "arn:aws:s3:::photos/other/a.jpg"}
	if !allowed(svc, p, in) || allowed(svc, p, out) {
		t.Fatalf("session policy: in=%v out=%v, want true/false", allowed(svc, p, in), allowed(svc, p, out))
	}
	// The parent's live policies bound the session: detach, and even the
	// session policy's prefix is denied.
	svc.DetachUserPolicy(ctx, "alice", "readwrite")
	if allowed(svc, p, in) {
		t.Fatal("session outlived its parent's policy")
	}
	svc.AttachUserPolicy(ctx, "alice", "readwrite")

	// Wrong access key, tampering, truncation.
	other, _, _ := svc.AssumeRole(ctx, parent, iam.AssumeRoleOptions{Duration: time.Hour})
	for name, tc := range map[string][2]string{
		"other key's token": {creds.AccessKeyID, other.SessionToken},
		"flipped byte":      {creds.AccessKeyID, creds.SessionToken[:40] + flip(creds.SessionToken[40]) + creds.SessionToken[41:]},
		"truncated":         {creds.AccessKeyID, creds.SessionToken[:len(creds.SessionToken)-10]},
		"garbage":           {creds.AccessKeyID, "not-a-token"},
		"empty":             {creds.AccessKeyID, ""},
		"huge":              {creds.AccessKeyID, strings.Repeat("A", 9000)},
	} {
		if _, _, err := svc.LookupSession(ctx, tc[0], tc[1]); !errors.Is(err, iam.ErrInvalidToken) {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}

	// Temporary credentials cannot mint more.
	if _, _, err := svc.AssumeRole(ctx, p, iam.AssumeRoleOptions{Duration: time.Hour}); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("role chaining: %v, want ErrAccessDenied", err)
	}
	// Bad session policies.
	if _, _, err := svc.AssumeRole(ctx, parent, iam.AssumeRoleOptions{Duration: time.Hour, Policy: `{"Version":"2012-10-17"}`}); !errors.Is(err, iam.ErrMalformedPolicy) {
		t.Errorf("malformed session policy: %v", err)
	}
	long := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 2000) + `","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	if _, _, err := svc.AssumeRole(ctx, parent, iam.AssumeRoleOptions{Duration: time.Hour, Policy: long}); !errors.Is(err, iam.ErrPackedPolicyTooLarge) {
		t.Errorf("2049+ character policy: %v", err)
	}

	// Expiry, with the injected clock.
	c.add(time.Hour)
	if _, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken); !errors.Is(err, iam.ErrExpiredToken) {
		t.Errorf("after expiry: %v, want ErrExpiredToken", err)
	}
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

func TestService_SessionTokenSize(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	stmt := `{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/prefix-0000/*"}`
	doc := `{"Version":"2012-10-17","Statement":[` + stmt
	for len(doc)+len(stmt)+3 <= iam.MaxSessionPolicySize {
		doc += "," + stmt
	}
	doc += "]}"
	doc = doc[:len(doc)-2] + strings.Repeat(" ", iam.MaxSessionPolicySize-len(doc)) + "]}"
	if len(doc) != iam.MaxSessionPolicySize {
		t.Fatalf("policy is %d characters", len(doc))
	}
	creds, _, err := svc.AssumeRole(ctx, iam.Principal{Root: true, User: "admin", UserID: "admin"}, iam.AssumeRoleOptions{Duration: 7 * 24 * time.Hour, Policy: doc, RoleSessionName: strings.Repeat("n", 64)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(creds.SessionToken); n >= 4096 {
		t.Fatalf("token with a 2048-character policy is %d bytes, want < 4096", n)
	}
	t.Logf("token with a 2048-character policy: %d bytes", len(creds.SessionToken))
}

func TestService_SessionRevocationAndRestart(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	st := memory.New(memory.Options{})
	svc := openAt(t, st, c)
	svc.CreateUser(ctx, "bob")
	bob, _ := svc.GetUser(ctx, "bob")
	parent := iam.Principal{User: "bob", UserID: bob.ID}
	mint := func(s *iam.Service) iam.Credentials {
		cr, _, err := s.AssumeRole(ctx, parent, iam.AssumeRoleOptions{Duration: 2 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	valid := func(s *iam.Service, cr iam.Credentials) error {
		_, _, err := s.LookupSession(ctx, cr.AccessKeyID, cr.SessionToken)
		return err
	}
	first := mint(svc)

	// Another node (a Service on the same store) accepts the token at once,
	// and so does a restarted one.
	other := openAt(t, st, c)
	if err := valid(other, first); err != nil {
		t.Fatalf("token on another node: %v", err)
	}

	// Key rotation: a day later a new key seals, the old still opens.
	c.add(25 * time.Hour)
	restarted := openAt(t, st, c)
	second := mint(restarted)
	if first.SessionToken[:12] == second.SessionToken[:12] {
		t.Error("sealing key did not rotate after 25 h")
	}
	for _, s := range []*iam.Service{svc, other, restarted} {
		if err := valid(s, first); err != nil {
			t.Errorf("old-key token after rotation: %v", err)
		}
		if err := valid(s, second); err != nil && s == restarted {
			t.Errorf("new-key token: %v", err)
		}
	}

	// Revocation ends sessions issued before it, on every node.
	c.add(time.Second)
	if err := svc.RevokeUserSessions(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	c.add(time.Second)
	third := mint(svc)
	deadline := time.Now().Add(2 * time.Second)
	for valid(other, second) == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := valid(other, second); !errors.Is(err, iam.ErrInvalidToken) {
		t.Errorf("revoked session on another node: %v", err)
	}
	if err := valid(svc, third); err != nil {
		t.Errorf("session issued after the revocation: %v", err)
	}

	// Disabling, then deleting the parent ends its sessions.
	if err := svc.SetUserStatus(ctx, "bob", iam.UserDisabled); err != nil {
		t.Fatal(err)
	}
	if err := valid(svc, third); !errors.Is(err, iam.ErrInvalidToken) {
		t.Errorf("session of a disabled user: %v", err)
	}
	svc.SetUserStatus(ctx, "bob", iam.UserEnabled)
	if err := valid(svc, third); !errors.Is(err, iam.ErrInvalidToken) {
		t.Errorf("session issued before the user was disabled, after re-enabling: %v, want ErrInvalidToken", err)
	}
	if err := svc.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := valid(svc, third); !errors.Is(err, iam.ErrInvalidToken) {
		t.Errorf("session of a deleted user: %v", err)
	}
	// A new user with the same name does not inherit the old sessions.
	svc.CreateUser(ctx, "bob")
	if err := valid(svc, third); !errors.Is(err, iam.ErrInvalidToken) {
		t.Errorf("session of a re-created user: %v", err)
	}
}

// TestService_SetUserStatus_SessionsStayRevoked checks that disabling a
// user voids its sessions for good: re-enabling it does not revive them,
// not even one minted after the disable by a request authenticated just
// before it; sessions issued after re-enabling work.
func TestService_SetUserStatus_SessionsStayRevoked(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	svc := openAt(t, memory.New(memory.Options{}), c)
	if _, err := svc.CreateUser(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateAccessKey(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	carol, _, err := svc.LookupAccessKey(ctx, key.ID)
	if err != nil {
		t.Fatal(err)
	}
	mint := func() iam.Credentials {
		t.Helper()
		cr, _, err := svc.AssumeRole(ctx, carol, iam.AssumeRoleOptions{Duration: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	valid := func(cr iam.Credentials) error {
		_, _, err := svc.LookupSession(ctx, cr.AccessKeyID, cr.SessionToken)
		return err
	}
	before := mint()
	c.add(time.Second)
	if err := svc.SetUserStatus(ctx, "carol", iam.UserDisabled); err != nil {
		t.Fatal(err)
	}
	// A request authenticated before the disable mints a session after it.
	c.add(time.Second)
	inFlight := mint()
	for name, cr := range map[string]iam.Credentials{"before": before, "in flight": inFlight} {
		if err := valid(cr); !errors.Is(err, iam.ErrInvalidToken) {
			t.Errorf("%s session while disabled: %v, want ErrInvalidToken", name, err)
		}
	}
	c.add(time.Second)
	if err := svc.SetUserStatus(ctx, "carol", iam.UserEnabled); err != nil {
		t.Fatal(err)
	}
	for name, cr := range map[string]iam.Credentials{"before": before, "in flight": inFlight} {
		if err := valid(cr); !errors.Is(err, iam.ErrInvalidToken) {
			t.Errorf("%s session after re-enabling: %v, want ErrInvalidToken", name, err)
		}
	}
	c.add(time.Second)
	after := mint()
	if err := valid(after); err != nil {
		t.Errorf("session issued after re-enabling: %v", err)
	}
	// Enabling an enabled user revokes nothing.
	c.add(time.Second)
	if err := svc.SetUserStatus(ctx, "carol", iam.UserEnabled); err != nil {
		t.Fatal(err)
	}
	if err := valid(after); err != nil {
		t.Errorf("session after enabling an enabled user: %v", err)
	}
	if err := svc.SetUserStatus(ctx, "nobody", iam.UserDisabled); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("SetUserStatus of an unknown user: %v, want ErrNoSuchEntity", err)
	}
}

func TestService_AssumeRoleWithIdentity(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	svc := openAt(t, memory.New(memory.Options{}), c)
	id := iam.FederatedIdentity{
		Provider: "", Subject: "app-1", Policies: []string{"nosuch", "readonly"},
		Claims: map[string][]string{"sub": {"app-1"}, "preferred_username": {"ci"}, "secret_claim": {"dropped"}},
		Expiry: c.now().Add(30 * time.Minute),
	}
	creds, user, err := svc.AssumeRoleWithIdentity(ctx, id, iam.AssumeRoleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !creds.Expiration.Equal(id.Expiry) {
		t.Errorf("no DurationSeconds: expiry %v, want the token's %v", creds.Expiration, id.Expiry)
	}
	if user.Arn != "arn:aws:sts::000000000000:assumed-role/openid/app-1" {
		t.Errorf("ARN %q", user.Arn)
	}
	p, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Session.Claims["secret_claim"]; ok || p.Session.Claims["preferred_username"][0] != "ci" {
		t.Errorf("claims kept: %v", p.Session.Claims)
	}
	get := &policy.Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	put := &policy.Args{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}
	if !allowed(svc, p, get) || allowed(svc, p, put) {
		t.Errorf("readonly by claim: get=%v put=%v", allowed(svc, p, get), allowed(svc, p, put))
	}
	if _, _, err := svc.AssumeRoleWithIdentity(ctx, iam.FederatedIdentity{Subject: "x", Policies: []string{"nosuch"}, Expiry: id.Expiry}, iam.AssumeRoleOptions{}); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("no existing policy: %v, want ErrAccessDenied", err)
	}
	// Revoking the identity's sessions.
	c.add(time.Second)
	if err := svc.RevokeFederatedSessions(ctx, "openid", "app-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken); !errors.Is(err, iam.ErrInvalidToken) {
		t.Errorf("revoked federated session: %v", err)
	}
}
