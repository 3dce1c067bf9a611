package ldaptest_test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sesame-s3/sesame/internal/ldap/ldaptest"
)

func TestStart(t *testing.T) {
	began := time.Now()
	srv := ldaptest.Start(t)
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("start-up took %v, want < 2 s", d)
	}

	conn, err := goldap.DialURL("ldap://" + srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(ldaptest.UserDN("alice"), ldaptest.Password("alice")); err != nil {
		t.Fatalf("alice's bind: %v", err)
	}
	if err := conn.Bind(ldaptest.UserDN("alice"), "wrong"); !goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials) {
		t.Fatalf("wrong password: got %v, want invalid credentials", err)
	}
	// The fixture accepts unauthenticated binds, like many servers.
	if err := conn.UnauthenticatedBind(ldaptest.UserDN("alice")); err != nil {
		t.Fatalf("unauthenticated bind: %v", err)
	}

	if err := conn.Bind(ldaptest.LookupDN, ldaptest.LookupPassword); err != nil {
		t.Fatal(err)
	}
	res, err := conn.Search(goldap.NewSearchRequest(ldaptest.GroupsDN, goldap.ScopeWholeSubtree, 0, 0, 0, false,
		"(member="+ldaptest.UserDN("many")+")", []string{"1.1"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != ldaptest.ManyGroups {
		t.Errorf("many is in %d groups, want %d", len(res.Entries), ldaptest.ManyGroups)
	}

	// LDAP over TLS with the test CA.
	tconn, err := goldap.DialURL("ldaps://"+srv.TLSAddr(), goldap.DialWithTLSConfig(&tls.Config{RootCAs: srv.CertPool(), ServerName: "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	defer tconn.Close()
	if err := tconn.Bind(ldaptest.UserDN("bob"), ldaptest.Password("bob")); err != nil {
		t.Fatalf("bind over TLS: %v", err)
	}
}

func TestServer_Ops(t *testing.T) {
	srv := ldaptest.Start(t)
	before := srv.Ops(t)
	if before != (ldaptest.Ops{}) {
		t.Errorf("fresh server: %+v, want no operations", before)
	}
	conn, err := goldap.DialURL("ldap://" + srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(ldaptest.LookupDN, ldaptest.LookupPassword); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := conn.Search(goldap.NewSearchRequest(ldaptest.PeopleDN, goldap.ScopeWholeSubtree, 0, 0, 0, false, "(uid=alice)", nil, nil)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := srv.Ops(t), (ldaptest.Ops{Binds: 1, Searches: 3}); got != want {
		t.Errorf("Ops = %+v, want %+v", got, want)
	}
}

func TestServer_Stop(t *testing.T) {
	srv := ldaptest.Start(t)
	srv.Stop()
	if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("slapd still accepts connections after Stop")
	}
	srv.Stop() // twice is fine
}

func TestServer_SetPassword(t *testing.T) {
	srv := ldaptest.Start(t)
	srv.SetPassword(t, ldaptest.UserDN("carol"), "new-secret")
	conn, err := goldap.DialURL("ldap://" + srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Bind(ldaptest.UserDN("carol"), "new-secret"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if err := conn.Bind(ldaptest.UserDN("carol"), ldaptest.Password("carol")); err == nil {
		t.Fatal("old password still accepted")
	}
}
