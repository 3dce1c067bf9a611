package idplugin

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultTimeout bounds one call of the plugin when Config.Timeout is zero,
// as OPA's calls are bounded.
const DefaultTimeout = 5 * time.Second

// RoleARNPrefix starts the plugin's role ARN, as MinIO names it:
// arn:minio:iam:::role/idmp-<ROLE_ID>.
const RoleARNPrefix = "arn:minio:iam:::role/idmp-"

// Config is the identity plugin, as MinIO's MINIO_IDENTITY_PLUGIN_*
// variables configure it.
type Config struct {
	// URL is the plugin's endpoint: Sesame POSTs each token to it.
	URL string
	// AuthToken, when set, is sent verbatim as the Authorization header
	// (e.g. "Bearer TOKEN").
	AuthToken string
	// RolePolicy are the policies every user the plugin vouches for gets.
	RolePolicy []string
	// RoleID names the plugin's role ARN (RoleARN); when empty, an id is
	// derived from URL.
	RoleID string
	// Timeout bounds one call (DefaultTimeout when zero).
	Timeout time.Duration
	// Comment is kept, not used.
	Comment string
}

// The variables: MinIO's, and Sesame's timeout.
const (
	EnvURL        = "MINIO_IDENTITY_PLUGIN_URL"
	EnvAuthToken  = "MINIO_IDENTITY_PLUGIN_AUTH_TOKEN"
	EnvToken      = "MINIO_IDENTITY_PLUGIN_TOKEN" // the name MinIO's website uses for _AUTH_TOKEN
	EnvRolePolicy = "MINIO_IDENTITY_PLUGIN_ROLE_POLICY"
	EnvRoleID     = "MINIO_IDENTITY_PLUGIN_ROLE_ID"
	EnvComment    = "MINIO_IDENTITY_PLUGIN_COMMENT"
	EnvEnable     = "MINIO_IDENTITY_PLUGIN_ENABLE"
	EnvTimeout    = "SESAME_IDENTITY_PLUGIN_TIMEOUT"
)

// Env lists every variable ConfigFromEnv reads.
var Env = []string{EnvURL, EnvAuthToken, EnvToken, EnvRolePolicy, EnvRoleID, EnvComment, EnvEnable, EnvTimeout}

var roleIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ConfigFromEnv reads the plugin's configuration through getenv. It
// returns nil when MINIO_IDENTITY_PLUGIN_URL is unset (and no other
// variable is) or _ENABLE is off; errors name the variable to fix and
// never show the token.
func ConfigFromEnv(getenv func(string) string) (*Config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	if v := get(EnvEnable); v != "" {
		switch strings.ToLower(v) {
		case "on", "true", "yes", "1", "enable", "enabled":
		case "off", "false", "no", "0", "disable", "disabled":
			return nil, nil
		default:
			return nil, fmt.Errorf("%s=%q: want on or off", EnvEnable, v)
		}
	}
	cfg := &Config{URL: get(EnvURL), RoleID: get(EnvRoleID), Comment: get(EnvComment), AuthToken: getenv(EnvAuthToken)}
	if cfg.URL == "" {
		for _, k := range []string{EnvAuthToken, EnvToken, EnvRolePolicy, EnvRoleID, EnvTimeout} {
			if get(k) != "" {
				return nil, fmt.Errorf("%s is set but %s is not", k, EnvURL)
			}
		}
		return nil, nil
	}
	if t := getenv(EnvToken); t != "" {
		if cfg.AuthToken != "" && cfg.AuthToken != t {
			return nil, fmt.Errorf("%s and %s are both set, differently: set one", EnvAuthToken, EnvToken)
		}
		cfg.AuthToken = t
	}
	for _, p := range strings.Split(get(EnvRolePolicy), ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.RolePolicy = append(cfg.RolePolicy, p)
		}
	}
	if v := get(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s=%q: want a positive duration (e.g. 2s)", EnvTimeout, v)
		}
		cfg.Timeout = d
	}
	return cfg, cfg.Validate()
}

// Validate checks a Config, from ConfigFromEnv or a caller.
func (c *Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("%s=%q: want an http(s) URL", EnvURL, c.URL)
	}
	if len(c.RolePolicy) == 0 {
		return fmt.Errorf("%s is required: the policies of the users the plugin vouches for (comma-separated)", EnvRolePolicy)
	}
	if c.RoleID != "" && !roleIDPattern.MatchString(c.RoleID) {
		return fmt.Errorf("%s=%q: want 1 to 64 letters, digits, '.', '_' or '-'", EnvRoleID, c.RoleID)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%s: the timeout must not be negative", EnvTimeout)
	}
	return nil
}

// RoleARN is the plugin's role ARN, which AssumeRoleWithCustomToken's
// RoleArn must name: arn:minio:iam:::role/idmp-<ROLE_ID>, or, without a
// role id, idmp- and 16 characters derived from the URL (stable across
// restarts and nodes).
func (c *Config) RoleARN() string {
	if c.RoleID != "" {
		return RoleARNPrefix + c.RoleID
	}
	sum := sha256.Sum256([]byte("sesame-identity-plugin\x00" + c.URL))
	return RoleARNPrefix + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10])
}
