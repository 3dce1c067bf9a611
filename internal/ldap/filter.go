package ldap

import (
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// substitute fills a MinIO filter template: "%s" becomes the username and
// "%d" the user's DN, each escaped per RFC 4515 (so "*", "(", ")", "\" and
// NUL in a username are matched literally, never as filter syntax). The
// template is scanned once, so a "%d" inside a substituted value is not
// substituted again.
func substitute(template, username, userDN string) string {
	var b strings.Builder
	for i := 0; i < len(template); i++ {
		if template[i] == '%' && i+1 < len(template) {
			switch template[i+1] {
			case 's':
				b.WriteString(goldap.EscapeFilter(username))
				i++
				continue
			case 'd':
				b.WriteString(goldap.EscapeFilter(userDN))
				i++
				continue
			}
		}
		b.WriteByte(template[i])
	}
	return b.String()
}

// checkFilter reports whether template compiles once substituted.
func checkFilter(template string) error {
	_, err := goldap.CompileFilter(substitute(template, "user", "cn=user,dc=example,dc=org"))
	return err
}
