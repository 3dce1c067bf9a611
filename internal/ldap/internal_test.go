package ldap

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/ldap/ldaptest"
)

func TestGroupCache(t *testing.T) {
	now := time.Unix(0, 0)
	c := newGroupCache(10*time.Second, 2, func() time.Time { return now })
	c.put("a", []string{"g1"})
	c.put("b", []string{"g2"})
	got, ok := c.get("a") // a is now the most recently used
	if !ok || !reflect.DeepEqual(got, []string{"g1"}) {
		t.Fatalf("get(a) = %q, %v", got, ok)
	}
	got[0] = "changed" // callers get a copy
	c.put("c", nil)    // evicts b, the least recently used
	if _, ok := c.get("b"); ok {
		t.Error("b survived eviction")
	}
	if got, ok := c.get("a"); !ok || got[0] != "g1" {
		t.Errorf("get(a) = %q, %v after the caller changed its copy", got, ok)
	}
	if got, ok := c.get("c"); !ok || got != nil {
		t.Errorf("get(c) = %q, %v; want a cached empty list", got, ok)
	}
	now = now.Add(10 * time.Second)
	if _, ok := c.get("a"); ok {
		t.Error("a did not expire after the TTL")
	}
	if n := c.len(); n != 1 {
		t.Errorf("len = %d after an expiry, want 1", n)
	}
	c.clear()
	if n := c.len(); n != 0 {
		t.Errorf("len = %d after clear", n)
	}

	off := newGroupCache(-1, 10, time.Now)
	off.put("a", []string{"g"})
	if _, ok := off.get("a"); ok {
		t.Error("a disabled cache returned an entry")
	}
}

// The bind code refuses an empty password or DN on its own, whatever its
// caller checked.
func TestSession_userBind_empty(t *testing.T) {
	srv := ldaptest.Start(t)
	env := srv.Env()
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.open(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	before := srv.Ops(t)
	for _, tt := range []struct{ dn, password string }{
		{ldaptest.UserDN("alice"), ""},
		{"", ldaptest.Password("alice")},
		{"", ""},
	} {
		if err := s.userBind(tt.dn, tt.password); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("userBind(%q, %q) = %v, want ErrInvalidCredentials", tt.dn, tt.password, err)
		}
	}
	if after := srv.Ops(t); after.Binds != before.Binds {
		t.Errorf("binds went from %d to %d", before.Binds, after.Binds)
	}
	if err := s.userBind(ldaptest.UserDN("alice"), ldaptest.Password("alice")); err != nil {
		t.Errorf("alice's bind: %v", err)
	}
}
