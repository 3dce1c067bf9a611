package opa

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one decision when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Config names an OPA decision endpoint.
type Config struct {
	// URL is the full decision URL, e.g.
	// "http://localhost:8181/v1/data/httpapi/authz".
	URL string
	// AuthToken, when set, is sent verbatim as the Authorization header.
	AuthToken string
	// Timeout bounds one decision; zero means DefaultTimeout.
	Timeout time.Duration
}

// envPair is one naming of the OPA settings.
type envPair struct{ url, token string }

// envNames are the accepted variable names, preferred first: Sesame's and
// MinIO's policy-plugin names and the legacy IAM names.
var envNames = []envPair{
	{"MINIO_POLICY_OPA_URL", "MINIO_POLICY_OPA_AUTH_TOKEN"},
	{"MINIO_POLICY_PLUGIN_URL", "MINIO_POLICY_PLUGIN_AUTH_TOKEN"},
	{"MINIO_IAM_OPA_URL", "MINIO_IAM_OPA_AUTHTOKEN"},
}

// TimeoutEnv overrides DefaultTimeout (a Go duration, e.g. "2s").
const TimeoutEnv = "MINIO_POLICY_OPA_TIMEOUT"

// ConfigFromEnv reads the OPA configuration through getenv. It returns nil
// when no URL is set, and an error naming both variables when two of the
// URL variables are set, or when the URL or timeout does not parse.
func ConfigFromEnv(getenv func(string) string) (*Config, error) {
	var cfg *Config
	var from string
	for _, n := range envNames {
		u := strings.TrimSpace(getenv(n.url))
		if u == "" {
			continue
		}
		if cfg != nil {
			return nil, fmt.Errorf("both %s and %s are set: configure OPA with one of them", from, n.url)
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, fmt.Errorf("%s %q is not an http(s) URL", n.url, u)
		}
		cfg = &Config{URL: u, AuthToken: getenv(n.token)}
		from = n.url
	}
	if cfg == nil {
		return nil, nil
	}
	if v := strings.TrimSpace(getenv(TimeoutEnv)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s %q is not a positive duration (e.g. 2s)", TimeoutEnv, v)
		}
		cfg.Timeout = d
	}
	return cfg, nil
}
