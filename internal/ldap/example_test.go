package ldap_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/sesame-s3/sesame/internal/ldap"
)

func ExampleNormalizeDN() {
	dn, err := ldap.NormalizeDN(`UID=Alice, OU=People,DC=Example,DC=org`)
	fmt.Println(dn, err)
	dn, err = ldap.NormalizeDN(`cn=Smith\2C John;ou=People;dc=example;dc=org`)
	fmt.Println(dn, err)
	// Output:
	// uid=alice,ou=people,dc=example,dc=org <nil>
	// cn=smith\, john,ou=people,dc=example,dc=org <nil>
}

// How the STS handler of AssumeRoleWithLDAPIdentity is meant to use a
// Client: one answer for every refusal, a retryable one when the directory
// is unavailable, and the details in the log only.
func ExampleClient_Authenticate() {
	cfg, err := ldap.ConfigFromEnv(os.Getenv)
	if err != nil || cfg == nil {
		return // not configured (or an error naming the variable to fix)
	}
	client, err := ldap.New(cfg, ldap.Options{})
	if err != nil {
		return
	}
	id, err := client.Authenticate(context.Background(), "alice", "alice-secret")
	switch {
	case errors.Is(err, ldap.ErrUnavailable):
		slog.Warn("LDAP unavailable", "err", err) // *ldap.Error logs its details
		// answer a retryable error; never grant
	case err != nil:
		slog.Info("LDAP login refused", "err", err)
		// answer AccessDenied, the same for ErrInvalidCredentials,
		// ErrNoSuchUser, ErrAmbiguousUser and ErrGroupLimit
	default:
		// look up the policies attached to id.UserDN and id.Groups
		fmt.Println(id.UserDN, id.Groups)
	}
}
