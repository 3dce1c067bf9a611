package iam_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/ldap"
)

// fakeDirectory is an LDAP directory with fixed entries; the real one is
// tested in internal/ldap and the e2e tests (slapd).
type fakeDirectory struct {
	users, groups map[string]bool // normalised DNs
	down          bool
}

const (
	peopleBase = "ou=people,dc=example,dc=org"
	groupsBase = "ou=groups,dc=example,dc=org"
	dillonDN   = "uid=dillon," + peopleBase
	readersDN  = "cn=readers," + groupsBase
)

func under(dn, base string) bool {
	n, err := ldap.NormalizeDN(dn)
	return err == nil && strings.HasSuffix(n, ","+base)
}

func (f *fakeDirectory) InUserBase(dn string) bool  { return under(dn, peopleBase) }
func (f *fakeDirectory) InGroupBase(dn string) bool { return under(dn, groupsBase) }

func (f *fakeDirectory) lookup(dn, base string, entries map[string]bool, missing error) (string, error) {
	n, err := ldap.NormalizeDN(dn)
	switch {
	case err != nil || !under(n, base):
		return "", &ldap.Error{Err: ldap.ErrOutsideBase, Op: ldap.OpLookupDN}
	case f.down:
		return "", &ldap.Error{Err: ldap.ErrUnavailable, Op: ldap.OpDial}
	case !entries[n]:
		return "", &ldap.Error{Err: missing, Op: ldap.OpLookupDN}
	}
	return n, nil
}

func (f *fakeDirectory) LookupUserDN(_ context.Context, dn string) (string, error) {
	return f.lookup(dn, peopleBase, f.users, ldap.ErrNoSuchUser)
}

func (f *fakeDirectory) LookupGroupDN(_ context.Context, dn string) (string, error) {
	return f.lookup(dn, groupsBase, f.groups, ldap.ErrNoSuchGroup)
}

func newLDAPService(t *testing.T, c *clock) (*iam.Service, *fakeDirectory, *memory.Store) {
	t.Helper()
	dir := &fakeDirectory{users: map[string]bool{dillonDN: true}, groups: map[string]bool{readersDN: true}}
	st := memory.New(memory.Options{})
	svc, err := iam.Open(context.Background(), iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret", Now: c.now,
		LDAP: dir, Providers: []string{iam.LDAPRole}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	return svc, dir, st
}

func TestService_LDAPPolicies(t *testing.T) {
	ctx := context.Background()
	svc, dir, st := newLDAPService(t, &clock{t: time.Now()})

	// Any spelling of the DN names the entry; its record is keyed by the
	// normalised DN.
	if err := svc.AttachLDAPPolicy(ctx, iam.LDAPUser, "UID=Dillon, OU=People,DC=Example,DC=org", "readwrite"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get(ctx, store.KindLDAPPolicy, "user:"+dillonDN); err != nil {
		t.Fatalf("stored mapping: %v", err)
	}
	list, err := svc.ListLDAPPolicies(ctx, iam.LDAPUser, dillonDN, "/")
	if err != nil || len(list) != 1 || list[0].Name != "readwrite" {
		t.Fatalf("ListLDAPPolicies = %v, %v", list, err)
	}
	if n := svc.AttachmentCount("readwrite"); n != 1 {
		t.Errorf("AttachmentCount = %d, want 1", n)
	}
	tests := []struct {
		name string
		kind iam.LDAPEntityKind
		dn   string
		want error
	}{
		{"user outside the user base", iam.LDAPUser, "uid=x,ou=other,dc=example,dc=org", iam.ErrInvalidInput},
		{"group DN as a user", iam.LDAPUser, readersDN, iam.ErrInvalidInput},
		{"no such user", iam.LDAPUser, "uid=nobody," + peopleBase, iam.ErrNoSuchEntity},
		{"no such group", iam.LDAPGroup, "cn=nobody," + groupsBase, iam.ErrNoSuchEntity},
	}
	for _, tc := range tests {
		if err := svc.AttachLDAPPolicy(ctx, tc.kind, tc.dn, "readonly"); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	dir.down = true
	if err := svc.AttachLDAPPolicy(ctx, iam.LDAPGroup, readersDN, "readonly"); !errors.Is(err, ldap.ErrUnavailable) {
		t.Errorf("directory down: %v, want ldap.ErrUnavailable", err)
	}
	dir.down = false
	if err := svc.AttachLDAPPolicy(ctx, iam.LDAPGroup, readersDN, "nosuch"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("unknown policy: %v, want ErrNoSuchEntity", err)
	}
	if err := svc.DeletePolicy(ctx, "readwrite"); err == nil {
		t.Error("readwrite is built in") // canned policies cannot be deleted anyway
	}
	if _, err := svc.CreatePolicy(ctx, "p", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachLDAPPolicy(ctx, iam.LDAPGroup, readersDN, "p"); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeletePolicy(ctx, "p"); !errors.Is(err, iam.ErrDeleteConflict) {
		t.Errorf("DeletePolicy attached to a DN: %v, want ErrDeleteConflict", err)
	}
	if err := svc.DetachLDAPPolicy(ctx, iam.LDAPGroup, readersDN, "p"); err != nil {
		t.Fatal(err)
	}
	if err := svc.DetachLDAPPolicy(ctx, iam.LDAPGroup, readersDN, "p"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("detach twice: %v, want ErrNoSuchEntity", err)
	}
	if list, err := svc.ListLDAPPolicies(ctx, iam.LDAPGroup, readersDN, "/"); err != nil || len(list) != 0 {
		t.Errorf("after detach: %v, %v", list, err)
	}
	if _, err := svc.ListLDAPPolicies(ctx, iam.LDAPGroup, "cn=x,ou=elsewhere", "/"); !errors.Is(err, iam.ErrNoSuchEntity) {
		t.Errorf("list outside the bases: %v, want ErrNoSuchEntity", err)
	}
	if err := svc.DeletePolicy(ctx, "p"); err != nil {
		t.Errorf("DeletePolicy once detached: %v", err)
	}

	// The IAM API's names: an IAM user of that name wins; a DN-like name
	// under the bases cannot become an IAM user.
	if dn, ok := svc.LDAPEntity(iam.LDAPUser, "uid=Dillon,ou=people,dc=example,dc=org"); !ok || dn != dillonDN {
		t.Errorf("LDAPEntity = %q, %v", dn, ok)
	}
	if _, ok := svc.LDAPEntity(iam.LDAPUser, "alice"); ok {
		t.Error("alice is no DN")
	}
	if _, err := svc.CreateUser(ctx, "uid=eve,"+peopleBase); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("CreateUser of a DN: %v, want ErrInvalidInput", err)
	}
	if _, err := svc.CreateGroup(ctx, "cn=g,"+groupsBase); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("CreateGroup of a DN: %v, want ErrInvalidInput", err)
	}
	if _, err := svc.CreateUser(ctx, "ldap"); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("CreateUser ldap: %v, want ErrInvalidInput (the sessions' role name)", err)
	}
}

func TestService_AssumeRoleWithLDAP(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	svc, _, _ := newLDAPService(t, c)
	id := iam.LDAPIdentity{Username: "Dillon", UserDN: dillonDN, Groups: []string{readersDN, "cn=staff," + groupsBase}}
	opts := iam.AssumeRoleOptions{Duration: time.Hour}
	if _, _, err := svc.AssumeRoleWithLDAP(ctx, id, opts); !errors.Is(err, iam.ErrAccessDenied) {
		t.Fatalf("no policy mapped: %v, want ErrAccessDenied", err)
	}
	home := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${ldap:username}/*"},
		{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/*","Condition":{"StringNotEquals":{"ldap:user":"` + dillonDN + `"}}}]}`
	if _, err := svc.CreatePolicy(ctx, "home", home); err != nil {
		t.Fatal(err)
	}
	if err := svc.AttachLDAPPolicy(ctx, iam.LDAPGroup, readersDN, "home"); err != nil {
		t.Fatal(err)
	}
	creds, user, err := svc.AssumeRoleWithLDAP(ctx, id, opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::000000000000:assumed-role/ldap/" + dillonDN; user.Arn != want {
		t.Errorf("ARN %q, want %q", user.Arn, want)
	}
	if !creds.Expiration.Equal(c.now().Add(time.Hour)) {
		t.Errorf("expiry %v", creds.Expiration)
	}
	p, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	own := &policy.Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/Dillon/k"}
	other := &policy.Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/bob/k"}
	if !allowed(svc, p, own) || allowed(svc, p, other) {
		t.Errorf("${ldap:username}: own=%v other=%v", allowed(svc, p, own), allowed(svc, p, other))
	}
	// A caller's own ldap: keys never reach the policies.
	forged := &policy.Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::home/bob/k", Conditions: map[string][]string{"ldap:username": {"bob"}}}
	if allowed(svc, p, forged) {
		t.Error("a forged ldap:username was used")
	}
	if arn, uid, _ := svc.CallerIdentity(p); arn != user.Arn || !strings.HasSuffix(uid, ":"+dillonDN) {
		t.Errorf("CallerIdentity = %s, %s", arn, uid)
	}
	// Live: detaching the group's policy ends the session's rights at once.
	if err := svc.DetachLDAPPolicy(ctx, iam.LDAPGroup, readersDN, "home"); err != nil {
		t.Fatal(err)
	}
	if allowed(svc, p, own) {
		t.Error("still allowed after the policy was detached from the group")
	}
	// Attached to the user's own DN, it applies again.
	if err := svc.AttachLDAPPolicy(ctx, iam.LDAPUser, dillonDN, "home"); err != nil {
		t.Fatal(err)
	}
	if !allowed(svc, p, own) {
		t.Error("the user DN's policy does not apply")
	}
	// The session policy narrows.
	narrow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}`
	creds, _, err = svc.AssumeRoleWithLDAP(ctx, id, iam.AssumeRoleOptions{Duration: time.Hour, Policy: narrow})
	if err != nil {
		t.Fatal(err)
	}
	p, _, _ = svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken)
	if allowed(svc, p, own) {
		t.Error("the session policy does not narrow")
	}
	// Temporary credentials never call IAM.
	if allowed(svc, p, &policy.Args{Action: "iam:ListUsers", Resource: "*"}) {
		t.Error("an LDAP session called IAM")
	}
}

func TestService_AssumeRoleWithLDAP_ManyGroups(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newLDAPService(t, &clock{t: time.Now()})
	if err := svc.AttachLDAPPolicy(ctx, iam.LDAPGroup, readersDN, "readonly"); err != nil {
		t.Fatal(err)
	}
	id := iam.LDAPIdentity{Username: "many", UserDN: dillonDN}
	for i := range 400 {
		id.Groups = append(id.Groups, "cn=group-with-a-long-name-"+strings.Repeat("x", 10)+string(rune('a'+i%26))+"-"+time.Duration(i).String()+","+groupsBase)
	}
	id.Groups = append(id.Groups, readersDN)
	creds, _, err := svc.AssumeRoleWithLDAP(ctx, id, iam.AssumeRoleOptions{Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Session.Groups) != 1 || p.Session.Groups[0] != readersDN {
		t.Errorf("kept groups %d, want the one with a policy", len(p.Session.Groups))
	}
}

func TestService_AssumeRoleWithCertificate(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	svc := openAt(t, memory.New(memory.Options{}), c)
	opts := iam.AssumeRoleOptions{Duration: 2 * time.Hour}
	if _, _, err := svc.AssumeRoleWithCertificate(ctx, iam.CertificateIdentity{CommonName: "nosuch", NotAfter: c.now().Add(24 * time.Hour)}, opts); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("no policy of the CN's name: %v, want ErrAccessDenied", err)
	}
	if _, _, err := svc.AssumeRoleWithCertificate(ctx, iam.CertificateIdentity{CommonName: "ReadOnly", NotAfter: c.now().Add(24 * time.Hour)}, opts); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("the CN names a policy exactly: %v, want ErrAccessDenied", err)
	}
	notAfter := c.now().Add(30 * time.Minute)
	creds, user, err := svc.AssumeRoleWithCertificate(ctx, iam.CertificateIdentity{CommonName: "readonly", NotAfter: notAfter}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !creds.Expiration.Equal(notAfter) {
		t.Errorf("expiry %v, want the certificate's NotAfter %v", creds.Expiration, notAfter)
	}
	if user.Arn != "arn:aws:sts::000000000000:assumed-role/certificate/readonly" {
		t.Errorf("ARN %q", user.Arn)
	}
	p, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if !allowed(svc, p, &policy.Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}) ||
		allowed(svc, p, &policy.Args{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}) {
		t.Error("readonly by the CN")
	}
	if _, _, err := svc.AssumeRoleWithCertificate(ctx, iam.CertificateIdentity{CommonName: "readonly", NotAfter: c.now().Add(-time.Second)}, opts); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("expired certificate: %v, want ErrAccessDenied", err)
	}
}

func TestService_AssumeRoleWithCustomToken(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	svc := openAt(t, memory.New(memory.Options{}), c)
	own := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::teams/${jwt:team}/*"}]}`
	if _, err := svc.CreatePolicy(ctx, "team", own); err != nil {
		t.Fatal(err)
	}
	opts := iam.AssumeRoleOptions{Duration: time.Hour}
	if _, _, err := svc.AssumeRoleWithCustomToken(ctx, iam.CustomIdentity{User: "alice", Policies: []string{"nosuch"}}, opts); !errors.Is(err, iam.ErrAccessDenied) {
		t.Errorf("no role policy exists: %v, want ErrAccessDenied", err)
	}
	creds, user, err := svc.AssumeRoleWithCustomToken(ctx, iam.CustomIdentity{User: "alice", Policies: []string{"team", "nosuch"},
		Claims: map[string][]string{"team": {"blue"}, "sub": {"custom:alice"}}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if user.Arn != "arn:aws:sts::000000000000:assumed-role/custom/alice" {
		t.Errorf("ARN %q", user.Arn)
	}
	p, _, err := svc.LookupSession(ctx, creds.AccessKeyID, creds.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	if !allowed(svc, p, &policy.Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::teams/blue/k"}) ||
		allowed(svc, p, &policy.Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::teams/red/k"}) {
		t.Error("${jwt:team} from the plugin's claims")
	}
}
