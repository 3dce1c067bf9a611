package iam

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeSession: decoding never panics, and what decodes re-encodes to
// the same bytes (the encoding is canonical).
func FuzzDecodeSession(f *testing.F) {
	s := &Session{AccessKey: "ASIAEXAMPLE", SecretKey: "secret", Issued: time.Unix(1, 2), Expires: time.Unix(3, 4),
		Parent: "alice", ParentID: "AIDA", Name: "n", Policy: `{"Version":"2012-10-17"}`, Claims: map[string][]string{"sub": {"x"}}}
	f.Add(s.encode())
	role := &Session{Kind: KindRole, AccessKey: "ASIAEXAMPLE", SecretKey: "secret", Issued: time.Unix(1, 2), Expires: time.Unix(3, 4),
		Parent: "deployer", ParentID: "AROA", RoleID: "AROA", Name: "ci", PolicyNames: []string{"readonly"}, ProviderARN: "arn:aws:iam::000000000000:oidc-provider/idp",
		SourceIdentity: "alice", Tags: []Tag{{"team", "blue"}}, TransitiveTags: []string{"team"}, Chained: true}
	f.Add(role.encode())
	f.Add([]byte{sessionFormatV1})
	f.Add([]byte{sessionFormat})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeSession(b)
		if err != nil {
			return
		}
		if again := got.encode(); !bytes.Equal(again, b) {
			// Claims with duplicate keys or empty value lists are the only
			// non-canonical inputs; they must still decode to something that
			// re-encodes stably.
			if third, err := decodeSession(again); err != nil || !bytes.Equal(third.encode(), again) {
				t.Fatalf("unstable re-encoding")
			}
		}
	})
}

// TestSession_encodeRoundTrip checks that every field survives encoding,
// and that a format-1 session (minted before role sessions) still decodes.
func TestSession_encodeRoundTrip(t *testing.T) {
	s := &Session{Kind: KindRole, AccessKey: "ASIAEXAMPLE", SecretKey: "secret", Issued: time.Unix(1, 2), Expires: time.Unix(3, 4),
		Parent: "deployer", ParentID: "AROA1", RoleID: "AROA1", Name: "ci", Policy: "{}", PolicyNames: []string{"readonly", "x"},
		Claims: map[string][]string{"sub": {"system:serviceaccount:ns:sa"}}, Provider: "k8s", ProviderARN: "arn:aws:iam::000000000000:oidc-provider/k8s",
		SourceIdentity: "alice", Tags: []Tag{{"team", "blue"}, {"env", ""}}, TransitiveTags: []string{"team"}, Chained: true}
	got, err := decodeSession(s.encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
	v1 := &Session{AccessKey: "ASIAEXAMPLE", SecretKey: "secret", Issued: time.Unix(1, 2), Expires: time.Unix(3, 4), Parent: "sub", ParentID: "openid", Provider: "openid", Policies: []string{"readonly"}}
	enc := v1.encode()
	enc[0] = sessionFormatV1
	old, err := decodeSession(enc)
	if err != nil || old.Kind != KindFederated || old.Provider != "openid" {
		t.Fatalf("format 1: %+v, %v", old, err)
	}
	if _, err := decodeSession(append(s.encode(), 99)); err == nil {
		t.Error("an unknown field must be refused")
	}
}

// TestSession_encodeIdentityKinds checks the kinds of LDAP, certificate
// and custom-token sessions survive encoding with their fields, that a
// format-2 token minted before these fields existed decodes unchanged, and
// that a kind beyond the last one known is refused.
func TestSession_encodeIdentityKinds(t *testing.T) {
	for _, s := range []*Session{
		{Kind: KindLDAP, AccessKey: "ASIAEXAMPLE", SecretKey: "secret", Issued: time.Unix(1, 2), Expires: time.Unix(3, 4),
			Parent: "uid=dillon,ou=people,dc=example,dc=org", ParentID: "ldap", LDAPUsername: "Dillon",
			Groups: []string{"cn=admins,ou=groups,dc=example,dc=org", "cn=staff,ou=groups,dc=example,dc=org"}, Policy: "{}"},
		{Kind: KindCertificate, AccessKey: "ASIAEXAMPLE", SecretKey: "secret", Issued: time.Unix(1, 2), Expires: time.Unix(3, 4),
			Parent: "readonly", ParentID: "certificate", Policies: []string{"readonly"}},
		{Kind: KindCustom, AccessKey: "ASIAEXAMPLE", SecretKey: "secret", Issued: time.Unix(1, 2), Expires: time.Unix(3, 4),
			Parent: "alice", ParentID: "custom", Policies: []string{"readwrite"}, Claims: map[string][]string{"groups": {"a", "b"}}},
	} {
		got, err := decodeSession(s.encode())
		if err != nil {
			t.Fatalf("kind %d: %v", s.Kind, err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("kind %d round trip:\n got %+v\nwant %+v", s.Kind, got, s)
		}
	}
	// A role session as format 2 wrote it before the LDAP fields: kind 2,
	// a policy name, the chained flag.
	old := []byte{sessionFormat, 1, 'A', 1, 'S', 0, 0, 1, 'r', 0, 0, 0, 0, 0, 0, 0, fieldKind, byte(KindRole), fieldPolicyName, 1, 'p', fieldChained}
	got, err := decodeSession(old)
	if err != nil || got.Kind != KindRole || got.Parent != "r" || !got.Chained || len(got.PolicyNames) != 1 || got.LDAPUsername != "" || got.Groups != nil {
		t.Fatalf("format 2 of before: %+v, %v", got, err)
	}
	if !bytes.Equal(got.encode(), old) {
		t.Errorf("format 2 of before re-encodes differently")
	}
	bad := []byte{sessionFormat, 1, 'A', 1, 'S', 0, 0, 1, 'r', 0, 0, 0, 0, 0, 0, 0, fieldKind, byte(maxKind + 1)}
	if _, err := decodeSession(bad); err == nil {
		t.Error("a kind beyond the last known must be refused")
	}
}
