package iam_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
)

// FuzzLookupSession presents fuzzed access keys and session tokens to
// LookupSession: the whole path from the token's text through the key
// ring, the AES-GCM opening and the session decoding to the checks on the
// parent. Properties: it never panics; it fails with ErrInvalidToken or
// ErrExpiredToken, in a message that does not repeat the token; and it
// succeeds only for a session it issued, presented with that session's
// own access key, giving that session's secret and parent.
func FuzzLookupSession(f *testing.F) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	st := memory.New(memory.Options{})
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret", Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close(); st.Close() })
	if _, err := svc.CreateUser(ctx, "alice"); err != nil {
		f.Fatal(err)
	}
	if err := svc.AttachUserPolicy(ctx, "alice", "readwrite"); err != nil {
		f.Fatal(err)
	}
	alice, err := svc.GetUser(ctx, "alice")
	if err != nil {
		f.Fatal(err)
	}
	issued := map[string]iam.Credentials{} // by parent
	for parent, p := range map[string]iam.Principal{
		"alice": {User: "alice", UserID: alice.ID},
		"admin": {Root: true, User: "admin"},
	} {
		creds, _, err := svc.AssumeRole(ctx, p, iam.AssumeRoleOptions{Duration: time.Hour, RoleSessionName: "fuzz"})
		if err != nil {
			f.Fatal(err)
		}
		issued[parent] = creds
		f.Add(creds.AccessKeyID, creds.SessionToken)
		f.Add(creds.AccessKeyID, creds.SessionToken[:len(creds.SessionToken)-1])
		f.Add(creds.AccessKeyID, creds.SessionToken+"A")
		f.Add("ASIAOTHER", creds.SessionToken)
	}
	f.Add("", "")
	f.Add("ASIA", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("ASIA", strings.Repeat("A", 8193))
	f.Fuzz(func(t *testing.T, accessKey, token string) {
		p, secret, err := svc.LookupSession(ctx, accessKey, token)
		if err != nil {
			if !errors.Is(err, iam.ErrInvalidToken) && !errors.Is(err, iam.ErrExpiredToken) {
				t.Fatalf("error %v is neither ErrInvalidToken nor ErrExpiredToken", err)
			}
			if len(token) >= 32 && strings.Contains(err.Error(), token) {
				t.Fatalf("error repeats the token: %v", err)
			}
			return
		}
		var found *iam.Credentials
		for parent, creds := range issued {
			if creds.AccessKeyID == accessKey {
				found = &creds
				if p.User != parent {
					t.Fatalf("session of %s came back for %q", parent, p.User)
				}
			}
		}
		if found == nil || secret != found.SecretAccessKey || p.Session == nil || p.AccessKey != accessKey {
			t.Fatalf("LookupSession(%q, %q) accepted a session it did not issue: %+v", accessKey, token, p)
		}
	})
}
