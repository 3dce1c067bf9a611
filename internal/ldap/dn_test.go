package ldap

import (
	"reflect"
	"testing"
)

func TestNormalizeDN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"uid=alice,ou=people,dc=example,dc=org", "uid=alice,ou=people,dc=example,dc=org"},
		{"UID=Alice, OU=People ,DC=Example,DC=ORG", "uid=alice,ou=people,dc=example,dc=org"},
		{"uid=alice;ou=people;dc=example;dc=org", "uid=alice,ou=people,dc=example,dc=org"},
		{`cn=Smith\, John,ou=people,dc=example,dc=org`, `cn=smith\, john,ou=people,dc=example,dc=org`},
		{`cn=Smith\2C John,ou=people,dc=example,dc=org`, `cn=smith\, john,ou=people,dc=example,dc=org`},
		{"cn=X+uid=B,dc=org", "cn=x+uid=b,dc=org"},
		{"uid=B+cn=X,dc=org", "cn=x+uid=b,dc=org"},
		{"cn=ÉLODIE,dc=org", "cn=élodie,dc=org"},
		{"cn=#04024869,dc=org", "cn=hi,dc=org"}, // BER-encoded OCTET STRING "Hi"
		{`cn=\ Lead\#\ ,dc=org`, `cn=\ lead#\ ,dc=org`},
		{`cn=\#Tag,dc=org`, `cn=\#tag,dc=org`},
		{`cn=a\0Db,dc=org`, `cn=a\0db,dc=org`},
		{"2.5.4.3=Bob,DC=org", "2.5.4.3=bob,dc=org"},
		{"cn=K,dc=org", "cn=k,dc=org"}, // the Kelvin sign folds with K and k
	}
	for _, tt := range tests {
		got, err := NormalizeDN(tt.in)
		if err != nil {
			t.Errorf("NormalizeDN(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeDN(%q) = %q, want %q", tt.in, got, tt.want)
		}
		// Normalising is idempotent.
		if again, err := NormalizeDN(got); err != nil || again != got {
			t.Errorf("NormalizeDN(%q) = %q, %v; want it unchanged", got, again, err)
		}
	}
	for _, bad := range []string{"", "   ", "alice", "uid=alice,", "=alice", "uid=alice,dc=\xff", `uid=a\`, `c\=n=x,dc=org`, "1.=x", "-cn=x"} {
		if got, err := NormalizeDN(bad); err == nil {
			t.Errorf("NormalizeDN(%q) = %q, want an error", bad, got)
		}
	}
}

func TestSplitDNList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"ou=a,dc=org", []string{"ou=a,dc=org"}},
		{" ou=a,dc=org ; ou=b,dc=org ;", []string{"ou=a,dc=org", "ou=b,dc=org"}},
		{`ou=a\;b,dc=org;ou=c,dc=org`, []string{`ou=a\;b,dc=org`, "ou=c,dc=org"}},
		{`ou=a\\;ou=c,dc=org`, []string{`ou=a\\`, "ou=c,dc=org"}},
	}
	for _, tt := range tests {
		if got := splitDNList(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitDNList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBaseSet_Contains(t *testing.T) {
	bases, err := newBaseSet([]string{"ou=People,dc=example,dc=org", "ou=contractors,dc=example,dc=org"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dn   string
		want bool
	}{
		{"uid=alice,ou=people,dc=example,dc=org", true},
		{"UID=alice, OU=PEOPLE, DC=example, DC=org", true},
		{"uid=eve,ou=contractors,dc=example,dc=org", true},
		{"uid=x,ou=team,ou=people,dc=example,dc=org", true},
		{"ou=people,dc=example,dc=org", true}, // the base itself
		{"dc=example,dc=org", false},
		{"uid=mallory,ou=people,dc=evil,dc=org", false},
		{"uid=mallory,ou=people2,dc=example,dc=org", false},
		// An escaped comma is part of a value, not a separator.
		{`uid=mallory\,ou=people,dc=example,dc=org`, false},
		{`uid=mallory,ou=people\,dc=example,dc=org`, false},
		{"", false},
		{"not a dn", false},
	}
	for _, tt := range tests {
		if got := bases.containsDN(tt.dn); got != tt.want {
			t.Errorf("containsDN(%q) = %v, want %v", tt.dn, got, tt.want)
		}
	}
}

func TestSubstitute(t *testing.T) {
	tests := []struct{ template, user, dn, want string }{
		{"(uid=%s)", "alice", "", "(uid=alice)"},
		{"(uid=%s)", "*)(uid=*", "", `(uid=\2a\29\28uid=\2a)`},
		{"(uid=%s)", `a\b`, "", `(uid=a\5cb)`},
		{"(uid=%s)", "a\x00b", "", `(uid=a\00b)`},
		{"(uid=%s)", "é", "", `(uid=\c3\a9)`},
		{"(&(member=%d)(x=%s))", "%d", "cn=a (b),dc=org", `(&(member=cn=a \28b\29,dc=org)(x=%d))`},
		{"(cn=100%)", "u", "", "(cn=100%)"},
	}
	for _, tt := range tests {
		if got := substitute(tt.template, tt.user, tt.dn); got != tt.want {
			t.Errorf("substitute(%q, %q, %q) = %q, want %q", tt.template, tt.user, tt.dn, got, tt.want)
		}
	}
}
