package ldaptest

import (
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // {SSHA} is what slapd's fixture passwords use; test data only
	"encoding/base64"
	"fmt"
	"strings"
)

// The fixture's naming contexts and accounts.
const (
	BaseDN        = "dc=example,dc=org"
	PeopleDN      = "ou=people," + BaseDN
	ContractorsDN = "ou=contractors," + BaseDN
	GroupsDN      = "ou=groups," + BaseDN
	ServicesDN    = "ou=services," + BaseDN

	// LookupDN and LookupPassword are the read-only account for
	// MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN and _PASSWORD: it can read
	// everything but passwords.
	LookupDN       = "cn=lookup," + ServicesDN
	LookupPassword = "lookup-secret"

	// AdminDN and AdminPassword are slapd's rootdn, which the helpers
	// use to change the directory.
	AdminDN       = "cn=admin," + BaseDN
	AdminPassword = "admin-secret"

	// UserFilter and GroupFilter are the filters the fixture is made for.
	UserFilter  = "(uid=%s)"
	GroupFilter = "(&(objectclass=groupOfNames)(member=%d))"
)

// The fixture's users, all under ou=people with the password
// Password(uid), except those said otherwise:
//
//   - dillon: in admins, and in readers directly (so also in staff);
//   - alice: in interns; interns is in readers, readers in staff;
//   - bob: in cycle-a; cycle-a and cycle-b are members of each other;
//   - carol: in no group;
//   - sam1 and sam2: both have cn "Sam Smith" (ambiguous with (cn=%s));
//   - dup: exists in ou=people and in ou=contractors (ambiguous when both
//     are search bases);
//   - many: in ManyGroups groups many-000, many-001, ...
//   - eve: under ou=contractors only.
const ManyGroups = 100

// UserDN returns the DN of the fixture user uid under ou=people.
func UserDN(uid string) string { return "uid=" + uid + "," + PeopleDN }

// GroupDN returns the DN of the fixture group cn under ou=groups.
func GroupDN(cn string) string { return "cn=" + cn + "," + GroupsDN }

// Password returns the fixture password of the user uid.
func Password(uid string) string { return uid + "-secret" }

// fixtureLDIF returns the directory's initial content.
func fixtureLDIF() (string, error) {
	var b strings.Builder
	entry := func(dn string, lines ...string) {
		b.WriteString("dn: " + dn + "\n")
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	entry(BaseDN, "objectClass: dcObject", "objectClass: organization", "dc: example", "o: Example")
	for _, ou := range []string{"people", "contractors", "groups", "services"} {
		entry("ou="+ou+","+BaseDN, "objectClass: organizationalUnit", "ou: "+ou)
	}
	lookupPW, err := ssha(LookupPassword)
	if err != nil {
		return "", err
	}
	entry(LookupDN, "objectClass: person", "cn: lookup", "sn: lookup", "userPassword: "+lookupPW)

	user := func(parent, uid, cn string) error {
		pw, err := ssha(Password(uid))
		if err != nil {
			return err
		}
		entry("uid="+uid+","+parent,
			"objectClass: inetOrgPerson", "uid: "+uid, "cn: "+cn, "sn: "+uid,
			"mail: "+uid+"@example.org", "userPassword: "+pw)
		return nil
	}
	for _, u := range []struct{ parent, uid, cn string }{
		{PeopleDN, "dillon", "Dillon"},
		{PeopleDN, "alice", "Alice"},
		{PeopleDN, "bob", "Bob"},
		{PeopleDN, "carol", "Carol"},
		{PeopleDN, "sam1", "Sam Smith"},
		{PeopleDN, "sam2", "Sam Smith"},
		{PeopleDN, "dup", "Dup People"},
		{PeopleDN, "many", "Many"},
		{ContractorsDN, "dup", "Dup Contractor"},
		{ContractorsDN, "eve", "Eve"},
	} {
		if err := user(u.parent, u.uid, u.cn); err != nil {
			return "", err
		}
	}

	group := func(cn string, members ...string) {
		lines := []string{"objectClass: groupOfNames", "cn: " + cn}
		for _, m := range members {
			lines = append(lines, "member: "+m)
		}
		entry(GroupDN(cn), lines...)
	}
	group("admins", UserDN("dillon"))
	group("interns", UserDN("alice"))
	group("readers", GroupDN("interns"), UserDN("dillon"))
	group("staff", GroupDN("readers"))
	group("cycle-a", GroupDN("cycle-b"), UserDN("bob"))
	group("cycle-b", GroupDN("cycle-a"))
	for i := range ManyGroups {
		group(fmt.Sprintf("many-%03d", i), UserDN("many"))
	}
	return b.String(), nil
}

// ssha hashes a password as slapd's {SSHA}: SHA-1 over password and a
// random salt, followed by the salt.
func ssha(password string) (string, error) {
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	h := sha1.New() //nolint:gosec // see the import
	h.Write([]byte(password))
	h.Write(salt)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(h.Sum(nil), salt...)), nil
}
