// Package config turns command-line flags and environment variables into a
// validated Config. It accepts MinIO's variable names, so a deployment
// written for MinIO starts unchanged:
//
//	MINIO_ROOT_USER / MINIO_ROOT_PASSWORD   root credentials
//	MINIO_ACCESS_KEY / MINIO_SECRET_KEY     the legacy names for the same
//	MINIO_DOMAIN                            virtual-host-style domains (comma list)
//	MINIO_REGION / MINIO_SITE_REGION        the server's region
//	MINIO_IDENTITY_OPENID_* (and _<NAME>)   OpenID Connect providers for STS
//	MINIO_IAM_JWKS_URL                      the legacy bare JWKS URL
//	MINIO_POLICY_OPA_URL / _AUTH_TOKEN      an OPA server that makes every
//	                                        authorization decision (also
//	                                        MINIO_POLICY_PLUGIN_URL / _AUTH_TOKEN
//	                                        and the legacy MINIO_IAM_OPA_URL /
//	                                        MINIO_IAM_OPA_AUTHTOKEN; one only)
//	MINIO_ETCD_ENDPOINTS (comma list)       keep IAM state in etcd, shared by
//	                                        every node, instead of on this
//	                                        node (also MINIO_ETCD_PATH_PREFIX,
//	                                        _CLIENT_CERT, _CLIENT_CERT_KEY,
//	                                        _USERNAME, _PASSWORD, and Sesame's
//	                                        own MINIO_ETCD_CA: a PEM CA bundle)
//
// Flags win over environment variables, which win over the --config file
// (KEY=VALUE lines with the same names).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store/etcd"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/opa"
)

// Limits on the root credentials, as MinIO enforces them.
const (
	MinRootUserLength     = 3
	MinRootPasswordLength = 8
)

// Config is everything `sesame server` needs.
type Config struct {
	// Dir is the data directory served as S3.
	Dir string
	// Address is the listen address, default ":9000".
	Address string
	// RootUser and RootPassword are the root access and secret keys.
	RootUser, RootPassword string
	// Domains enable virtual-host-style requests.
	Domains []string
	// Region is reported to clients; default "us-east-1".
	Region string
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration
	// MaxSessionDuration is the longest DurationSeconds STS grants
	// (15 minutes to 7 days; default 7 days).
	MaxSessionDuration time.Duration
	// OpenID lists the OpenID Connect providers (MINIO_IDENTITY_OPENID_*,
	// MINIO_IAM_JWKS_URL).
	OpenID []oidc.ProviderConfig
	// OPA, when set, is the Open Policy Agent endpoint that decides every
	// request instead of the built-in policies, root's included.
	OPA *opa.Config
	// Etcd, when set, is the etcd cluster that holds IAM state for every
	// node (MINIO_ETCD_*); otherwise IAM state is a bbolt file in Dir.
	Etcd *etcd.Config
}

// ErrUsage is returned (wrapped) for bad command-line usage.
var ErrUsage = errors.New("usage")

// Load parses the arguments of `sesame server` (after the subcommand) and the
// environment read through getenv.
func Load(args []string, environ []string, stderr io.Writer) (Config, error) {
	cfg := Config{ShutdownTimeout: 30 * time.Second}
	fs := flag.NewFlagSet("sesame server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "`file` of KEY=VALUE settings with MinIO's variable names (MINIO_IDENTITY_OPENID_*, ...); the environment wins over it")
	fs.StringVar(&cfg.Address, "address", ":9000", "listen address `host:port`")
	domain := fs.String("domain", "", "comma-separated domains for virtual-host-style requests (env MINIO_DOMAIN)")
	fs.StringVar(&cfg.Region, "region", "", "region reported to clients (env MINIO_REGION)")
	fs.DurationVar(&cfg.MaxSessionDuration, "sts-max-duration", 7*24*time.Hour, "longest temporary credentials STS grants (15m to 168h)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sesame server [flags] DIR\n\nServes the files in DIR as an S3-compatible object store.\n"+
			"Root credentials come from MINIO_ROOT_USER and MINIO_ROOT_PASSWORD\n(or the legacy MINIO_ACCESS_KEY and MINIO_SECRET_KEY).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return cfg, fmt.Errorf("%w: exactly one data directory is required", ErrUsage)
	}
	cfg.Dir = fs.Arg(0)
	if *configFile != "" {
		fileEnv, err := readEnvFile(*configFile)
		if err != nil {
			return cfg, err
		}
		environ = append(fileEnv, environ...) // later entries win
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	getenv := func(k string) string { return env[k] }
	if *domain == "" {
		*domain = getenv("MINIO_DOMAIN")
	}
	if cfg.Region == "" {
		cfg.Region = firstSet(getenv, "MINIO_REGION", "MINIO_SITE_REGION")
	}
	for _, d := range strings.Split(*domain, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			cfg.Domains = append(cfg.Domains, d)
		}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	environ = make([]string, 0, len(env))
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	openID, err := oidc.ConfigFromEnv(getenv, environ)
	if err != nil {
		return cfg, err
	}
	cfg.OpenID = openID
	if cfg.OPA, err = opa.ConfigFromEnv(getenv); err != nil {
		return cfg, err
	}
	if cfg.Etcd, err = etcd.ConfigFromEnv(getenv); err != nil {
		return cfg, err
	}
	cfg.RootUser = firstSet(getenv, "MINIO_ROOT_USER", "MINIO_ACCESS_KEY")
	cfg.RootPassword = firstSet(getenv, "MINIO_ROOT_PASSWORD", "MINIO_SECRET_KEY")
	return cfg, cfg.Validate()
}

// maxConfigFile bounds the --config file.
const maxConfigFile = 1 << 20

// readEnvFile reads KEY=VALUE lines (blank lines and # comments skipped,
// an optional "export " prefix, values optionally in matching quotes).
func readEnvFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	if len(data) > maxConfigFile {
		return nil, fmt.Errorf("config file %s is larger than %d bytes", path, maxConfigFile)
	}
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("config file %s, line %d: want KEY=VALUE", path, i+1)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, k+"="+v)
	}
	return out, nil
}

// Validate reports the first problem with cfg, saying what to set.
func (c Config) Validate() error {
	switch {
	case c.RootUser == "" || c.RootPassword == "":
		return errors.New("root credentials are not set: set MINIO_ROOT_USER (at least 3 characters) and MINIO_ROOT_PASSWORD (at least 8 characters)")
	case len(c.RootUser) < MinRootUserLength:
		return fmt.Errorf("MINIO_ROOT_USER is too short: it needs at least %d characters", MinRootUserLength)
	case len(c.RootPassword) < MinRootPasswordLength:
		return fmt.Errorf("MINIO_ROOT_PASSWORD is too short: it needs at least %d characters", MinRootPasswordLength)
	case strings.ContainsAny(c.RootUser, "=,") || strings.ContainsAny(c.RootUser, " \t\n"):
		return errors.New("MINIO_ROOT_USER must not contain '=', ',' or white space")
	case c.Dir == "":
		return errors.New("no data directory given")
	case c.MaxSessionDuration != 0 && (c.MaxSessionDuration < 15*time.Minute || c.MaxSessionDuration > 7*24*time.Hour):
		return fmt.Errorf("--sts-max-duration %v is out of range: it must be between 15m and 168h", c.MaxSessionDuration)
	}
	return nil
}

func firstSet(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}
