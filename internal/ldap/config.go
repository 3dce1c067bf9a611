package ldap

import (
	"net"
	"strconv"
	"strings"
)

// The default ports: LDAP over TLS, and plain LDAP (also StartTLS's).
const (
	DefaultTLSPort   = "636"
	DefaultPlainPort = "389"
)

// DefaultGroupNestingDepth is how many levels of groups within groups
// ConfigFromEnv follows when SESAME_IDENTITY_LDAP_GROUP_NESTING_DEPTH is
// not set.
const DefaultGroupNestingDepth = 8

// MaxGroupNestingDepth bounds SESAME_IDENTITY_LDAP_GROUP_NESTING_DEPTH.
const MaxGroupNestingDepth = 32

// The values MINIO_IDENTITY_LDAP_SRV_RECORD_NAME accepts besides "".
const (
	SRVLDAP  = "ldap"  // look up _ldap._tcp.<ServerAddr>
	SRVLDAPS = "ldaps" // look up _ldaps._tcp.<ServerAddr>
	SRVOn    = "on"    // ServerAddr is the full SRV record name
)

// Config is the LDAP directory, as configured by the
// MINIO_IDENTITY_LDAP_* variables (MinIO's lookup-bind mode). Fields hold
// parsed values; Validate checks a Config built by hand.
type Config struct {
	// ServerAddr is host:port (ConfigFromEnv adds the default port: 636
	// for TLS, 389 with ServerInsecure or StartTLS). With SRVRecordName it
	// is a domain or SRV record name without a port.
	ServerAddr string
	// SRVRecordName, when set, finds the servers by a DNS SRV lookup:
	// "ldap" or "ldaps" look up _ldap._tcp.ServerAddr or
	// _ldaps._tcp.ServerAddr, "on" looks up ServerAddr itself. The targets
	// are tried in priority and weight order. It does not change the TLS
	// mode.
	SRVRecordName string
	// ServerInsecure connects with plain LDAP: passwords cross the network
	// in clear. Off by default; ConfigFromEnv warns when it is on.
	ServerInsecure bool
	// StartTLS connects with plain LDAP and upgrades with the StartTLS
	// operation before any bind. Excludes ServerInsecure.
	StartTLS bool
	// TLSSkipVerify accepts any server certificate. Off by default;
	// ConfigFromEnv warns when it is on.
	TLSSkipVerify bool

	// LookupBindDN and LookupBindPassword are the read-only account that
	// searches users and groups. Both are required, unless
	// LookupBindUnauthenticated allows an empty password.
	LookupBindDN       string
	LookupBindPassword string
	// LookupBindUnauthenticated makes an empty LookupBindPassword an
	// unauthenticated bind (RFC 4513 §5.1.2) as MinIO does, instead of a
	// configuration error (SESAME_IDENTITY_LDAP_LOOKUP_BIND_UNAUTHENTICATED).
	// It never applies to users' binds.
	LookupBindUnauthenticated bool

	// UserDNSearchBaseDN lists the subtrees searched for users; a user must
	// be found in exactly one entry across all of them.
	UserDNSearchBaseDN []string
	// UserDNSearchFilter finds a user's entry; "%s" is the username,
	// escaped per RFC 4515, e.g. "(uid=%s)".
	UserDNSearchFilter string
	// UserDNAttributes are attributes of the user's entry returned in
	// Identity.Attributes (e.g. mail, cn).
	UserDNAttributes []string

	// GroupSearchBaseDN lists the subtrees searched for groups. Optional,
	// together with GroupSearchFilter.
	GroupSearchBaseDN []string
	// GroupSearchFilter finds the groups of a user: "%d" is the user's DN
	// and "%s" the username, both escaped, e.g.
	// "(&(objectclass=groupOfNames)(member=%d))".
	GroupSearchFilter string
	// GroupNestingDepth is how many levels of nested groups are followed:
	// a group whose DN is matched by the filter's "%d" of a group already
	// found is a group of the user too. 0 follows none (MinIO's behaviour);
	// ConfigFromEnv sets DefaultGroupNestingDepth. Nesting needs "%d" in
	// GroupSearchFilter.
	GroupNestingDepth int

	// Comment is MINIO_IDENTITY_LDAP_COMMENT, kept for display.
	Comment string
	// Warnings lists settings that weaken security or are ignored, for the
	// caller to log at start-up. ConfigFromEnv fills it.
	Warnings []string
}

// The variables. MinIO's are MINIO_IDENTITY_LDAP_*; Sesame's own
// extensions are SESAME_IDENTITY_LDAP_*.
const (
	envPrefix = "MINIO_IDENTITY_LDAP_"

	EnvServerAddr         = envPrefix + "SERVER_ADDR"
	EnvSRVRecordName      = envPrefix + "SRV_RECORD_NAME"
	EnvServerInsecure     = envPrefix + "SERVER_INSECURE"
	EnvServerStartTLS     = envPrefix + "SERVER_STARTTLS"
	EnvTLSSkipVerify      = envPrefix + "TLS_SKIP_VERIFY"
	EnvLookupBindDN       = envPrefix + "LOOKUP_BIND_DN"
	EnvLookupBindPassword = envPrefix + "LOOKUP_BIND_PASSWORD"
	EnvUserDNSearchBaseDN = envPrefix + "USER_DN_SEARCH_BASE_DN"
	EnvUserDNSearchFilter = envPrefix + "USER_DN_SEARCH_FILTER"
	EnvUserDNAttributes   = envPrefix + "USER_DN_ATTRIBUTES"
	EnvGroupSearchBaseDN  = envPrefix + "GROUP_SEARCH_BASE_DN"
	EnvGroupSearchFilter  = envPrefix + "GROUP_SEARCH_FILTER"
	EnvComment            = envPrefix + "COMMENT"
	EnvEnable             = envPrefix + "ENABLE"
	EnvEnabled            = envPrefix + "ENABLED"

	// MinIO variables that Sesame does not support.
	EnvUsernameFormat     = envPrefix + "USERNAME_FORMAT"      // username-format mode: refused
	EnvSTSExpiry          = envPrefix + "STS_EXPIRY"           // removed from MinIO: ignored, with a warning
	EnvGroupNameAttribute = envPrefix + "GROUP_NAME_ATTRIBUTE" // removed from MinIO: ignored, with a warning

	EnvLookupBindUnauthenticated = "SESAME_IDENTITY_LDAP_LOOKUP_BIND_UNAUTHENTICATED"
	EnvGroupNestingDepth         = "SESAME_IDENTITY_LDAP_GROUP_NESTING_DEPTH"
)

// ConfigFromEnv reads the LDAP directory from MinIO's variables (see the
// Env* constants and docs/LDAP.md). It returns nil, nil when
// MINIO_IDENTITY_LDAP_SERVER_ADDR is unset and no other variable is, or
// when MINIO_IDENTITY_LDAP_ENABLE is off. Errors wrap ErrInvalidConfig and
// name the variable to fix; they never contain the lookup password.
func ConfigFromEnv(getenv func(string) string) (*Config, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	on, err := enabled(get)
	if err != nil || !on {
		return nil, err
	}
	if get(EnvServerAddr) == "" {
		for _, name := range []string{
			EnvSRVRecordName, EnvLookupBindDN, EnvLookupBindPassword, EnvUserDNSearchBaseDN,
			EnvUserDNSearchFilter, EnvUserDNAttributes, EnvGroupSearchBaseDN, EnvGroupSearchFilter,
			EnvServerInsecure, EnvServerStartTLS, EnvTLSSkipVerify, EnvUsernameFormat,
		} {
			if get(name) != "" {
				return nil, configErr("%s is set but %s is not", name, EnvServerAddr)
			}
		}
		return nil, nil
	}
	if get(EnvUsernameFormat) != "" {
		return nil, configErr("%s (MinIO's username-format mode) is not supported: unset it and configure lookup-bind mode (%s, %s, %s, %s)",
			EnvUsernameFormat, EnvLookupBindDN, EnvLookupBindPassword, EnvUserDNSearchBaseDN, EnvUserDNSearchFilter)
	}

	cfg := &Config{
		ServerAddr:         get(EnvServerAddr),
		SRVRecordName:      strings.ToLower(get(EnvSRVRecordName)),
		LookupBindDN:       get(EnvLookupBindDN),
		LookupBindPassword: getenv(EnvLookupBindPassword), // a secret keeps its spaces
		UserDNSearchBaseDN: splitDNList(get(EnvUserDNSearchBaseDN)),
		UserDNSearchFilter: get(EnvUserDNSearchFilter),
		UserDNAttributes:   splitList(get(EnvUserDNAttributes)),
		GroupSearchBaseDN:  splitDNList(get(EnvGroupSearchBaseDN)),
		GroupSearchFilter:  get(EnvGroupSearchFilter),
		GroupNestingDepth:  DefaultGroupNestingDepth,
		Comment:            get(EnvComment),
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{
		{EnvServerInsecure, &cfg.ServerInsecure},
		{EnvServerStartTLS, &cfg.StartTLS},
		{EnvTLSSkipVerify, &cfg.TLSSkipVerify},
		{EnvLookupBindUnauthenticated, &cfg.LookupBindUnauthenticated},
	} {
		if v := get(b.name); v != "" {
			value, ok := parseBool(v)
			if !ok {
				return nil, configErr("%s=%q: want on or off", b.name, v)
			}
			*b.dst = value
		}
	}
	if v := get(EnvGroupNestingDepth); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > MaxGroupNestingDepth {
			return nil, configErr("%s=%q: want a number of levels from 0 (off) to %d", EnvGroupNestingDepth, v, MaxGroupNestingDepth)
		}
		cfg.GroupNestingDepth = n
	}

	// Add the default port, and refuse a URL in place of an address.
	if strings.Contains(cfg.ServerAddr, "://") || strings.ContainsAny(cfg.ServerAddr, "/?# ") {
		return nil, configErr("%s=%q: want host or host:port, without a scheme or path (TLS is chosen by %s and %s)",
			EnvServerAddr, cfg.ServerAddr, EnvServerInsecure, EnvServerStartTLS)
	}
	if cfg.SRVRecordName == "" {
		if _, _, err := net.SplitHostPort(cfg.ServerAddr); err != nil {
			port := DefaultTLSPort
			if cfg.ServerInsecure || cfg.StartTLS {
				port = DefaultPlainPort
			}
			cfg.ServerAddr = net.JoinHostPort(strings.Trim(cfg.ServerAddr, "[]"), port)
		}
	}

	if cfg.ServerInsecure {
		cfg.Warnings = append(cfg.Warnings, EnvServerInsecure+" is on: passwords cross the network to the LDAP server in clear text")
		if cfg.TLSSkipVerify {
			cfg.Warnings = append(cfg.Warnings, EnvTLSSkipVerify+" has no effect: "+EnvServerInsecure+" is on")
		}
	} else if cfg.TLSSkipVerify {
		cfg.Warnings = append(cfg.Warnings, EnvTLSSkipVerify+" is on: the LDAP server's certificate is not verified, so anyone on the path can read passwords")
	}
	if cfg.LookupBindUnauthenticated && cfg.LookupBindPassword == "" {
		cfg.Warnings = append(cfg.Warnings, EnvLookupBindUnauthenticated+" is on: the lookup account binds without a password (users' binds still need theirs)")
	}
	for _, name := range []string{EnvSTSExpiry, EnvGroupNameAttribute} {
		if get(name) != "" {
			cfg.Warnings = append(cfg.Warnings, name+" is ignored: MinIO removed it (AssumeRoleWithLDAPIdentity's DurationSeconds sets the lifetime; groups are DNs)")
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// enabled reads MINIO_IDENTITY_LDAP_ENABLE (MinIO's config key is
// "enable"; its documentation also writes "enabled", so _ENABLED is
// accepted too). Unset means on.
func enabled(get func(string) string) (bool, error) {
	result, seen := true, ""
	for _, name := range []string{EnvEnable, EnvEnabled} {
		v := get(name)
		if v == "" {
			continue
		}
		on, ok := parseBool(v)
		if !ok {
			return false, configErr("%s=%q: want on or off", name, v)
		}
		if seen != "" && on != result {
			return false, configErr("%s and %s disagree: set one", seen, name)
		}
		result, seen = on, name
	}
	return result, nil
}

// Validate checks a Config, whether it comes from ConfigFromEnv or a
// caller, and names the variable to fix. It does not contact the server.
func (c *Config) Validate() error {
	if c == nil {
		return configErr("no configuration")
	}
	switch c.SRVRecordName {
	case "":
		host, port, err := net.SplitHostPort(c.ServerAddr)
		if err != nil || host == "" || port == "" {
			return configErr("%s=%q: want host:port", EnvServerAddr, c.ServerAddr)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return configErr("%s=%q: the port must be a number from 1 to 65535", EnvServerAddr, c.ServerAddr)
		}
	case SRVLDAP, SRVLDAPS, SRVOn:
		if c.ServerAddr == "" {
			return configErr("%s is required", EnvServerAddr)
		}
		if _, _, err := net.SplitHostPort(c.ServerAddr); err == nil {
			return configErr("%s=%q must not have a port when %s is set: the SRV records give the ports", EnvServerAddr, c.ServerAddr, EnvSRVRecordName)
		}
	default:
		return configErr("%s=%q: want ldap, ldaps or on", EnvSRVRecordName, c.SRVRecordName)
	}
	if c.ServerInsecure && c.StartTLS {
		return configErr("%s and %s are both on: StartTLS encrypts the connection, insecure does not; turn one off", EnvServerInsecure, EnvServerStartTLS)
	}

	if c.LookupBindDN == "" {
		return configErr("%s is required (Sesame supports MinIO's lookup-bind mode only)", EnvLookupBindDN)
	}
	if _, err := parseDN(c.LookupBindDN); err != nil {
		return configErr("%s is not a valid DN: %v", EnvLookupBindDN, err)
	}
	if c.LookupBindPassword == "" && !c.LookupBindUnauthenticated {
		return configErr("%s is required (an empty one would be an unauthenticated bind; set %s=on to allow that)",
			EnvLookupBindPassword, EnvLookupBindUnauthenticated)
	}

	if len(c.UserDNSearchBaseDN) == 0 {
		return configErr("%s is required", EnvUserDNSearchBaseDN)
	}
	if err := checkDNs(EnvUserDNSearchBaseDN, c.UserDNSearchBaseDN); err != nil {
		return err
	}
	if c.UserDNSearchFilter == "" {
		return configErr("%s is required, e.g. (uid=%%s)", EnvUserDNSearchFilter)
	}
	if !strings.Contains(c.UserDNSearchFilter, "%s") {
		return configErr("%s=%q must contain %%s (the username)", EnvUserDNSearchFilter, c.UserDNSearchFilter)
	}
	if strings.Contains(c.UserDNSearchFilter, "%d") {
		return configErr("%s=%q: %%d (the user's DN) is only known after this search", EnvUserDNSearchFilter, c.UserDNSearchFilter)
	}
	if err := checkFilter(c.UserDNSearchFilter); err != nil {
		return configErr("%s=%q is not a valid LDAP filter: %v", EnvUserDNSearchFilter, c.UserDNSearchFilter, err)
	}
	for _, a := range c.UserDNAttributes {
		if !validAttribute(a) {
			return configErr("%s: %q is not an attribute name", EnvUserDNAttributes, a)
		}
	}

	switch {
	case c.GroupSearchFilter == "" && len(c.GroupSearchBaseDN) > 0:
		return configErr("%s is set but %s is not", EnvGroupSearchBaseDN, EnvGroupSearchFilter)
	case c.GroupSearchFilter != "" && len(c.GroupSearchBaseDN) == 0:
		return configErr("%s is set but %s is not", EnvGroupSearchFilter, EnvGroupSearchBaseDN)
	case c.GroupSearchFilter != "":
		if err := checkDNs(EnvGroupSearchBaseDN, c.GroupSearchBaseDN); err != nil {
			return err
		}
		if !strings.Contains(c.GroupSearchFilter, "%d") && !strings.Contains(c.GroupSearchFilter, "%s") {
			return configErr("%s=%q must contain %%d (the user's DN) or %%s (the username)", EnvGroupSearchFilter, c.GroupSearchFilter)
		}
		if err := checkFilter(c.GroupSearchFilter); err != nil {
			return configErr("%s=%q is not a valid LDAP filter: %v", EnvGroupSearchFilter, c.GroupSearchFilter, err)
		}
	}
	if c.GroupNestingDepth < 0 || c.GroupNestingDepth > MaxGroupNestingDepth {
		return configErr("%s=%d: want 0 (off) to %d", EnvGroupNestingDepth, c.GroupNestingDepth, MaxGroupNestingDepth)
	}
	return nil
}

func checkDNs(variable string, dns []string) error {
	for _, dn := range dns {
		if _, err := parseDN(dn); err != nil {
			return configErr("%s: %q is not a valid DN: %v", variable, dn, err)
		}
	}
	return nil
}

// validAttribute accepts an attribute description: a name or OID, with
// options (mail;lang-en).
func validAttribute(a string) bool {
	if a == "" {
		return false
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ';') {
			return false
		}
	}
	return true
}

// parseBool accepts MinIO's on/off and the usual spellings of a boolean.
func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "on", "true", "yes", "1", "enable", "enabled":
		return true, true
	case "off", "false", "no", "0", "disable", "disabled":
		return false, true
	}
	return false, false
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty entries.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
