package ldap

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// minimal is the smallest valid environment.
func minimal() map[string]string {
	return map[string]string{
		EnvServerAddr:         "ldap.example.org",
		EnvLookupBindDN:       "cn=lookup,dc=example,dc=org",
		EnvLookupBindPassword: "secret",
		EnvUserDNSearchBaseDN: "ou=people,dc=example,dc=org",
		EnvUserDNSearchFilter: "(uid=%s)",
	}
}

func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want *Config
	}{
		{"nothing set", map[string]string{}, nil},
		{"disabled", with(minimal(), EnvEnable, "off"), nil},
		{"disabled, MinIO's documented spelling", with(minimal(), EnvEnabled, "false"), nil},
		{"disabled without anything else", map[string]string{EnvEnable: "off", EnvLookupBindDN: "cn=x"}, nil},
		{"minimal: TLS on 636", minimal(), &Config{
			ServerAddr: "ldap.example.org:636", LookupBindDN: "cn=lookup,dc=example,dc=org", LookupBindPassword: "secret",
			UserDNSearchBaseDN: []string{"ou=people,dc=example,dc=org"}, UserDNSearchFilter: "(uid=%s)",
			GroupNestingDepth: DefaultGroupNestingDepth,
		}},
		{"insecure: 389", with(minimal(), EnvServerInsecure, "on"), &Config{
			ServerAddr: "ldap.example.org:389", ServerInsecure: true, LookupBindDN: "cn=lookup,dc=example,dc=org", LookupBindPassword: "secret",
			UserDNSearchBaseDN: []string{"ou=people,dc=example,dc=org"}, UserDNSearchFilter: "(uid=%s)",
			GroupNestingDepth: DefaultGroupNestingDepth,
			Warnings:          []string{EnvServerInsecure + " is on: passwords cross the network to the LDAP server in clear text"},
		}},
		{"everything", with(minimal(),
			EnvServerAddr, "[::1]",
			EnvServerStartTLS, "on",
			EnvLookupBindPassword, " spaces kept ",
			EnvUserDNSearchBaseDN, "ou=people,dc=example,dc=org; ou=a\\;b,dc=example,dc=org;;",
			EnvUserDNAttributes, "mail, cn,,sshPublicKey",
			EnvGroupSearchBaseDN, "ou=groups,dc=example,dc=org",
			EnvGroupSearchFilter, "(&(objectclass=groupOfNames)(member=%d))",
			EnvGroupNestingDepth, "0",
			EnvComment, "corporate directory",
		), &Config{
			ServerAddr: "[::1]:389", StartTLS: true, LookupBindDN: "cn=lookup,dc=example,dc=org", LookupBindPassword: " spaces kept ",
			UserDNSearchBaseDN: []string{"ou=people,dc=example,dc=org", "ou=a\\;b,dc=example,dc=org"}, UserDNSearchFilter: "(uid=%s)",
			UserDNAttributes:  []string{"mail", "cn", "sshPublicKey"},
			GroupSearchBaseDN: []string{"ou=groups,dc=example,dc=org"}, GroupSearchFilter: "(&(objectclass=groupOfNames)(member=%d))",
			Comment: "corporate directory",
		}},
		{"SRV record", with(minimal(), EnvSRVRecordName, "LDAPS", EnvServerAddr, "example.org"), &Config{
			ServerAddr: "example.org", SRVRecordName: "ldaps", LookupBindDN: "cn=lookup,dc=example,dc=org", LookupBindPassword: "secret",
			UserDNSearchBaseDN: []string{"ou=people,dc=example,dc=org"}, UserDNSearchFilter: "(uid=%s)",
			GroupNestingDepth: DefaultGroupNestingDepth,
		}},
		{"unauthenticated lookup, explicitly", with(minimal(), EnvLookupBindPassword, "", EnvLookupBindUnauthenticated, "on"), &Config{
			ServerAddr: "ldap.example.org:636", LookupBindDN: "cn=lookup,dc=example,dc=org", LookupBindUnauthenticated: true,
			UserDNSearchBaseDN: []string{"ou=people,dc=example,dc=org"}, UserDNSearchFilter: "(uid=%s)",
			GroupNestingDepth: DefaultGroupNestingDepth,
			Warnings:          []string{EnvLookupBindUnauthenticated + " is on: the lookup account binds without a password (users' binds still need theirs)"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ConfigFromEnv(getenv(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestConfigFromEnv_Warnings(t *testing.T) {
	cfg, err := ConfigFromEnv(getenv(with(minimal(), EnvTLSSkipVerify, "on", EnvSTSExpiry, "1h")))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(cfg.Warnings, "\n")
	for _, want := range []string{EnvTLSSkipVerify, EnvSTSExpiry} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q do not name %s", cfg.Warnings, want)
		}
	}
}

// Each invalid setting is refused with an error that names the variable
// to fix and never shows the lookup password.
func TestConfigFromEnv_Invalid(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		names string // the variable the message must name
	}{
		{"bad enable", with(minimal(), EnvEnable, "maybe"), EnvEnable},
		{"enable and enabled disagree", with(minimal(), EnvEnable, "on", EnvEnabled, "off"), EnvEnabled},
		{"settings without the address", with(minimal(), EnvServerAddr, ""), EnvServerAddr},
		{"username format mode", with(minimal(), EnvUsernameFormat, "uid=%s,dc=example,dc=org"), EnvUsernameFormat},
		{"URL as address", with(minimal(), EnvServerAddr, "ldaps://ldap.example.org:636"), EnvServerAddr},
		{"bad port", with(minimal(), EnvServerAddr, "ldap.example.org:ldap"), EnvServerAddr},
		{"port out of range", with(minimal(), EnvServerAddr, "ldap.example.org:70000"), EnvServerAddr},
		{"bad insecure", with(minimal(), EnvServerInsecure, "sure"), EnvServerInsecure},
		{"bad starttls", with(minimal(), EnvServerStartTLS, "2"), EnvServerStartTLS},
		{"bad skip verify", with(minimal(), EnvTLSSkipVerify, "y"), EnvTLSSkipVerify},
		{"insecure and starttls", with(minimal(), EnvServerInsecure, "on", EnvServerStartTLS, "on"), EnvServerStartTLS},
		{"bad SRV name", with(minimal(), EnvSRVRecordName, "kerberos"), EnvSRVRecordName},
		{"SRV with a port", with(minimal(), EnvSRVRecordName, "ldap", EnvServerAddr, "example.org:389"), EnvServerAddr},
		{"no lookup DN", with(minimal(), EnvLookupBindDN, ""), EnvLookupBindDN},
		{"bad lookup DN", with(minimal(), EnvLookupBindDN, "lookup"), EnvLookupBindDN},
		{"no lookup password", with(minimal(), EnvLookupBindPassword, ""), EnvLookupBindPassword},
		{"bad unauthenticated", with(minimal(), EnvLookupBindUnauthenticated, "?"), EnvLookupBindUnauthenticated},
		{"no user base", with(minimal(), EnvUserDNSearchBaseDN, " ; "), EnvUserDNSearchBaseDN},
		{"bad user base", with(minimal(), EnvUserDNSearchBaseDN, "ou=people,dc=example,dc=org;people"), EnvUserDNSearchBaseDN},
		{"no user filter", with(minimal(), EnvUserDNSearchFilter, ""), EnvUserDNSearchFilter},
		{"user filter without %s", with(minimal(), EnvUserDNSearchFilter, "(uid=alice)"), EnvUserDNSearchFilter},
		{"user filter with %d", with(minimal(), EnvUserDNSearchFilter, "(&(uid=%s)(seeAlso=%d))"), EnvUserDNSearchFilter},
		{"user filter unbalanced", with(minimal(), EnvUserDNSearchFilter, "(uid=%s"), EnvUserDNSearchFilter},
		{"bad attribute", with(minimal(), EnvUserDNAttributes, "mail,(cn)"), EnvUserDNAttributes},
		{"group base without filter", with(minimal(), EnvGroupSearchBaseDN, "ou=groups,dc=example,dc=org"), EnvGroupSearchFilter},
		{"group filter without base", with(minimal(), EnvGroupSearchFilter, "(member=%d)"), EnvGroupSearchBaseDN},
		{"group filter without placeholder", with(minimal(), EnvGroupSearchBaseDN, "ou=groups,dc=example,dc=org", EnvGroupSearchFilter, "(objectClass=groupOfNames)"), EnvGroupSearchFilter},
		{"group filter invalid", with(minimal(), EnvGroupSearchBaseDN, "ou=groups,dc=example,dc=org", EnvGroupSearchFilter, "member=%d"), EnvGroupSearchFilter},
		{"bad group base", with(minimal(), EnvGroupSearchBaseDN, "groups", EnvGroupSearchFilter, "(member=%d)"), EnvGroupSearchBaseDN},
		{"nesting depth not a number", with(minimal(), EnvGroupNestingDepth, "deep"), EnvGroupNestingDepth},
		{"nesting depth too deep", with(minimal(), EnvGroupNestingDepth, "33"), EnvGroupNestingDepth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(getenv(tt.env))
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("got %+v, %v; want ErrInvalidConfig", cfg, err)
			}
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("%q does not name %s", err, tt.names)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("%q shows the lookup password", err)
			}
		})
	}
}

func TestConfig_Validate(t *testing.T) {
	var nilConfig *Config
	if err := nilConfig.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil config: %v", err)
	}
	cfg, err := ConfigFromEnv(getenv(minimal()))
	if err != nil {
		t.Fatal(err)
	}
	bad := *cfg
	bad.ServerAddr = "ldap.example.org" // a Config built by hand must carry the port
	if err := bad.Validate(); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), EnvServerAddr) {
		t.Errorf("address without port: %v", err)
	}
	bad = *cfg
	bad.GroupNestingDepth = -1
	if err := bad.Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("negative nesting depth: %v", err)
	}
}
