package oidc

import (
	"crypto/sha256"
	"encoding/base32"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// DefaultClaimName is the claim that names a token's policies when
// MINIO_IDENTITY_OPENID_CLAIM_NAME is not set.
const DefaultClaimName = "policy"

// ProviderConfig is one OpenID provider, as configured by the
// MINIO_IDENTITY_OPENID_*[_NAME] variables.
type ProviderConfig struct {
	// Name is "" for the un-suffixed provider, else the suffix of its
	// variables (e.g. "DEX" for MINIO_IDENTITY_OPENID_CONFIG_URL_DEX).
	Name string
	// ConfigURL is the discovery document's URL
	// (…/.well-known/openid-configuration): it gives the issuer, the
	// jwks_uri and the userinfo endpoint.
	ConfigURL string
	// JWKSURL is the legacy MINIO_IAM_JWKS_URL: a bare JWKS URL, used
	// instead of ConfigURL. There is no discovery, so no userinfo endpoint
	// and no issuer but Issuer. MinIO's legacy setup (and its documented
	// sample) sets neither Issuer nor ClientID: Sesame then skips the
	// issuer or audience check, says so in a warning at start-up
	// (Set.Warnings), and docs/OIDC.md names the variables that turn the
	// checks on.
	JWKSURL string
	// Issuer is the iss a JWKSURL provider's tokens must carry
	// (SESAME_IDENTITY_OPENID_ISSUER); with ConfigURL the discovery
	// document's issuer is required and used instead.
	Issuer string
	// ClientID must appear in a token's aud, or be its azp. Required with
	// ConfigURL.
	ClientID string
	// ClientSecret, when set, also admits HS256/384/512 tokens keyed by it
	// (at least 32, 48 or 64 bytes long respectively, RFC 7518 §3.2).
	ClientSecret string
	// ClaimName names the claim that lists a token's policies (default
	// "policy"). Unused in role-policy mode.
	ClaimName string
	// ClaimPrefix is prepended to ClaimName to form the claim looked up: it
	// is a namespace prefix of the claim's name, as MinIO documents it
	// ("JWT claim namespace prefix to apply to the specified claim name"),
	// e.g. prefix "https://min.io/" and name "policy" read the claim
	// "https://min.io/policy". Policy names themselves are not altered.
	ClaimPrefix string
	// RolePolicy, when non-empty, puts the provider in role-policy mode:
	// every valid token of this provider gets these policies, whatever its
	// claims, and the provider is selected by its role ARN (RoleARNs).
	RolePolicy []string
	// Scopes and DisplayName are kept for a console login flow; token
	// verification does not use them.
	Scopes      []string
	DisplayName string
	// MaxDuration, when set, caps the sessions of this provider's tokens
	// (SESAME_IDENTITY_OPENID_MAX_DURATION[_NAME]): a longer
	// DurationSeconds is refused, and without DurationSeconds a session
	// ends at the token's expiry or after MaxDuration, whichever is first.
	MaxDuration time.Duration
	// RedirectURI (MINIO_IDENTITY_OPENID_REDIRECT_URI) is the login page's
	// callback URL as the identity provider knows it (internal/login);
	// "" derives it from the request. Token verification does not use it.
	RedirectURI string
	// ClaimUserinfo, when set, makes Verify call the discovered userinfo
	// endpoint with the verified token as bearer token and add the claims
	// it returns to the token's own (the token's signed claims win on
	// conflicts), before the policy claim is read. The userinfo sub must
	// equal the token's sub.
	ClaimUserinfo bool
}

// The MINIO_IDENTITY_OPENID_ keys that configure a provider (with an
// optional _NAME suffix), and the legacy JWKS variable.
const (
	envPrefix        = "MINIO_IDENTITY_OPENID_"
	envLegacyJWKSURL = "MINIO_IAM_JWKS_URL"
	// envIssuer is Sesame's own: the issuer of a MINIO_IAM_JWKS_URL provider.
	envIssuer = "SESAME_IDENTITY_OPENID_ISSUER"
	// EnvClockSkew is Sesame's: the clock skew allowed on every provider's
	// exp, nbf and iat (a Go duration; default Leeway).
	EnvClockSkew = "SESAME_IDENTITY_OPENID_CLOCK_SKEW"
	// EnvMaxDuration is Sesame's: the longest session of a provider's
	// tokens; like MINIO_IDENTITY_OPENID_* it takes a _NAME suffix.
	EnvMaxDuration = "SESAME_IDENTITY_OPENID_MAX_DURATION"

	keyConfigURL     = "CONFIG_URL"
	keyClientID      = "CLIENT_ID"
	keyClientSecret  = "CLIENT_SECRET"
	keyClaimName     = "CLAIM_NAME"
	keyClaimPrefix   = "CLAIM_PREFIX"
	keyRolePolicy    = "ROLE_POLICY"
	keyScopes        = "SCOPES"
	keyDisplayName   = "DISPLAY_NAME"
	keyClaimUserinfo = "CLAIM_USERINFO"
	keyEnable        = "ENABLE"
	keyRedirectURI   = "REDIRECT_URI" // login page (internal/login)
)

// providerKeys are the keys that belong to a provider and make no sense
// without its CONFIG_URL.
var providerKeys = []string{
	keyConfigURL, keyClientID, keyClientSecret, keyClaimName, keyClaimPrefix,
	keyRolePolicy, keyScopes, keyDisplayName, keyClaimUserinfo, keyEnable, keyRedirectURI,
}

// consoleKeys are MinIO keys for its console's login flow: recognised (so
// that their suffix is not mistaken for a provider name) and ignored.
var consoleKeys = []string{
	"REDIRECT_URI_DYNAMIC", "VENDOR", "KEYCLOAK_REALM",
	"KEYCLOAK_ADMIN_URL", "COMMENT",
}

// envName is the variable that sets key for the provider called name.
func envName(key, name string) string {
	if name == "" {
		return envPrefix + key
	}
	return envPrefix + key + "_" + name
}

// ConfigFromEnv reads the OpenID providers from MinIO's variables:
// MINIO_IDENTITY_OPENID_CONFIG_URL, _CLIENT_ID, _CLIENT_SECRET,
// _CLAIM_NAME, _CLAIM_PREFIX, _ROLE_POLICY, _SCOPES, _DISPLAY_NAME,
// _CLAIM_USERINFO and _ENABLE ("off" skips the provider), each optionally
// followed by _NAME for further providers (the names are found in
// environ, a list of "KEY=VALUE" as os.Environ returns; values are read
// with getenv). The legacy MINIO_IAM_JWKS_URL configures the un-suffixed
// provider without discovery. It returns the un-suffixed provider first,
// then the others by name, and nil when nothing is configured. Errors wrap
// ErrInvalidConfig and name the variable to fix.
func ConfigFromEnv(getenv func(string) string, environ []string) ([]ProviderConfig, error) {
	names := map[string]bool{"": true}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if v == "" || !strings.HasPrefix(k, envPrefix) {
			continue
		}
		if name, ok := splitEnvKey(strings.TrimPrefix(k, envPrefix)); ok {
			names[name] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted) // "" first
	var cfgs []ProviderConfig
	for _, name := range sorted {
		cfg, ok, err := providerFromEnv(getenv, name)
		if err != nil {
			return nil, err
		}
		if ok {
			cfgs = append(cfgs, cfg)
		}
	}
	if err := validate(cfgs); err != nil {
		return nil, err
	}
	// A cap for a provider that is not configured is a mistake.
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		rest, ok := strings.CutPrefix(k, EnvMaxDuration)
		if !ok || v == "" || rest != "" && rest[0] != '_' {
			continue
		}
		name := strings.TrimPrefix(rest, "_")
		if !slices.ContainsFunc(cfgs, func(c ProviderConfig) bool { return c.Name == name }) {
			return nil, configErr("%s is set but no OpenID provider %q is configured (%s)", k, name, envName(keyConfigURL, name))
		}
	}
	return cfgs, nil
}

// The bounds of ProviderConfig.MaxDuration: STS's session limits.
const (
	MinSessionDuration = 15 * time.Minute
	MaxSessionDuration = 7 * 24 * time.Hour
)

// ClockSkewFromEnv reads SESAME_IDENTITY_OPENID_CLOCK_SKEW: 0 when unset
// (Options.Leeway's default), else a duration from 0 to MaxLeeway.
func ClockSkewFromEnv(getenv func(string) string) (time.Duration, error) {
	v := strings.TrimSpace(getenv(EnvClockSkew))
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > MaxLeeway {
		return 0, configErr("%s=%q: want a duration from 0s to %v (e.g. 2m)", EnvClockSkew, v, MaxLeeway)
	}
	if d == 0 {
		return -1, nil // none at all
	}
	return d, nil
}

// splitEnvKey splits "CLIENT_ID_DEX" into the provider name "DEX"; it
// reports false for keys it does not know. The longest known key wins, so
// that "REDIRECT_URI_DYNAMIC" is a key and not REDIRECT_URI of "DYNAMIC".
func splitEnvKey(rest string) (string, bool) {
	best := ""
	for _, list := range [][]string{providerKeys, consoleKeys} {
		for _, key := range list {
			if (rest == key || strings.HasPrefix(rest, key+"_")) && len(key) > len(best) {
				best = key
			}
		}
	}
	if best == "" {
		return "", false
	}
	return strings.TrimPrefix(strings.TrimPrefix(rest, best), "_"), true
}

// providerFromEnv reads the provider called name; ok is false when it is
// not configured (or is disabled).
func providerFromEnv(getenv func(string) string, name string) (cfg ProviderConfig, ok bool, err error) {
	get := func(key string) string { return strings.TrimSpace(getenv(envName(key, name))) }
	if enable := get(keyEnable); enable != "" {
		on, valid := parseBool(enable)
		if !valid {
			return cfg, false, configErr("%s=%q: want on or off", envName(keyEnable, name), enable)
		}
		if !on {
			return cfg, false, nil
		}
	}
	cfg = ProviderConfig{
		Name:         name,
		ConfigURL:    get(keyConfigURL),
		ClientID:     get(keyClientID),
		ClientSecret: getenv(envName(keyClientSecret, name)), // secrets keep their spaces
		ClaimName:    get(keyClaimName),
		ClaimPrefix:  get(keyClaimPrefix),
		RolePolicy:   splitList(get(keyRolePolicy)),
		Scopes:       splitList(get(keyScopes)),
		DisplayName:  get(keyDisplayName),
		RedirectURI:  get(keyRedirectURI),
	}
	if name == "" {
		cfg.JWKSURL = strings.TrimSpace(getenv(envLegacyJWKSURL))
		cfg.Issuer = strings.TrimSpace(getenv(envIssuer))
		if cfg.JWKSURL != "" && cfg.ConfigURL != "" {
			return cfg, false, configErr("%s and %s are both set: use %s alone (%s is its legacy form without discovery)",
				envName(keyConfigURL, ""), envLegacyJWKSURL, envName(keyConfigURL, ""), envLegacyJWKSURL)
		}
	}
	if v := get(keyClaimUserinfo); v != "" {
		on, valid := parseBool(v)
		if !valid {
			return cfg, false, configErr("%s=%q: want on or off", envName(keyClaimUserinfo, name), v)
		}
		cfg.ClaimUserinfo = on
	}
	maxName := EnvMaxDuration
	if name != "" {
		maxName += "_" + name
	}
	if v := strings.TrimSpace(getenv(maxName)); v != "" {
		if cfg.ConfigURL == "" && cfg.JWKSURL == "" {
			return cfg, false, configErr("%s is set but %s is not", maxName, envName(keyConfigURL, name))
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < MinSessionDuration || d > MaxSessionDuration {
			return cfg, false, configErr("%s=%q: want a duration from %v to %v (e.g. 12h)", maxName, v, MinSessionDuration, MaxSessionDuration)
		}
		cfg.MaxDuration = d
	}
	if cfg.ConfigURL == "" && cfg.JWKSURL == "" {
		for _, key := range providerKeys {
			if key != keyEnable && getenv(envName(key, name)) != "" {
				return cfg, false, configErr("%s is set but %s is not", envName(key, name), envName(keyConfigURL, name))
			}
		}
		return cfg, false, nil
	}
	if cfg.ClaimName != "" && len(cfg.RolePolicy) > 0 {
		return cfg, false, configErr("%s and %s are mutually exclusive: a role-policy provider takes its policies from its role, not from a claim",
			envName(keyRolePolicy, name), envName(keyClaimName, name))
	}
	if cfg.ClaimName == "" && len(cfg.RolePolicy) == 0 {
		cfg.ClaimName = DefaultClaimName
	}
	return cfg, true, nil
}

// validate checks providers whether they come from ConfigFromEnv or a
// caller, and names the variables to fix.
func validate(cfgs []ProviderConfig) error {
	seen := map[string]bool{}
	arns := map[string]string{}
	claimBased, haveClaimBased := "", false
	for _, c := range cfgs {
		if seen[c.Name] {
			return configErr("provider %q is configured twice", c.Name)
		}
		seen[c.Name] = true
		if c.Name != "" && !validName(c.Name) {
			return configErr("provider name %q: want letters, digits and underscores, not starting with an underscore", c.Name)
		}
		switch {
		case c.ConfigURL != "" && c.JWKSURL != "":
			return configErr("%s and %s are both set: use one", envName(keyConfigURL, c.Name), envLegacyJWKSURL)
		case c.ConfigURL != "":
			if err := checkURL(envName(keyConfigURL, c.Name), c.ConfigURL); err != nil {
				return err
			}
			if c.Issuer != "" {
				return configErr("%s is only for %s: with %s the discovery document names the issuer", envIssuer, envLegacyJWKSURL, envName(keyConfigURL, c.Name))
			}
			if c.ClientID == "" {
				return configErr("%s is required when %s is set", envName(keyClientID, c.Name), envName(keyConfigURL, c.Name))
			}
		case c.JWKSURL != "":
			if c.Name != "" {
				return configErr("provider %q: a bare JWKS URL (%s) is only for the un-suffixed provider", c.Name, envLegacyJWKSURL)
			}
			if err := checkURL(envLegacyJWKSURL, c.JWKSURL); err != nil {
				return err
			}
			if c.ClaimUserinfo {
				return configErr("%s needs the userinfo endpoint of a discovery document: set %s instead of %s",
					envName(keyClaimUserinfo, c.Name), envName(keyConfigURL, c.Name), envLegacyJWKSURL)
			}
		default:
			return configErr("%s is required", envName(keyConfigURL, c.Name))
		}
		if c.RedirectURI != "" {
			if err := checkURL(envName(keyRedirectURI, c.Name), c.RedirectURI); err != nil {
				return err
			}
		}
		for _, p := range c.RolePolicy {
			if strings.TrimSpace(p) == "" {
				return configErr("%s has an empty policy name", envName(keyRolePolicy, c.Name))
			}
		}
		if len(c.RolePolicy) == 0 {
			if haveClaimBased {
				return configErr("%s and %s both configure claim-based providers, and at most one is allowed: set %s (role-policy mode) on all but one",
					sourceVar(cfgs, claimBased), sourceVar(cfgs, c.Name), envName(keyRolePolicy, c.Name))
			}
			claimBased, haveClaimBased = c.Name, true
			continue
		}
		arn := roleARN(c)
		if other, dup := arns[arn]; dup {
			return configErr("providers %q and %q have the same URL and client id, so the same role ARN %s", other, c.Name, arn)
		}
		arns[arn] = c.Name
	}
	return nil
}

// sourceVar names the variable that configures the provider called name.
func sourceVar(cfgs []ProviderConfig, name string) string {
	for _, c := range cfgs {
		if c.Name == name && c.JWKSURL != "" {
			return envLegacyJWKSURL
		}
	}
	return envName(keyConfigURL, name)
}

func validName(name string) bool {
	if name[0] == '_' {
		return false
	}
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func checkURL(variable, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErr("%s=%q: want an absolute http or https URL", variable, raw)
	}
	return nil
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

// RoleARNPrefix starts every role ARN of a role-policy provider.
const RoleARNPrefix = "arn:minio:iam:::role/"

// roleARN derives the role ARN of a role-policy provider:
// "arn:minio:iam:::role/" followed by 16 characters (base32 of the first 10
// bytes of SHA-256 over the provider's URL and client id). It is stable
// across restarts and nodes, does not depend on the provider's name, and
// changes when the provider points at another IdP or client.
func roleARN(c ProviderConfig) string {
	source := c.ConfigURL
	if source == "" {
		source = c.JWKSURL
	}
	sum := sha256.Sum256([]byte("sesame-oidc-role\x00" + source + "\x00" + c.ClientID))
	return RoleARNPrefix + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10])
}
